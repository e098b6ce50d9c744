"""The query runner, the query files, and the rule that no value is ever formatted into SQL."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from channel.runner import QueryParamError, run
from channel.sqlfiles import QUERIES_DIR, sql_params

ROOT = Path(__file__).resolve().parent.parent
FILTER_PARAMS = {
    "as_of",
    "segment",
    "region",
    "partner_type",
    "program_tier",
    "partner_manager",
    "scope",
}


def test_sql_params_ignores_comments_and_strings():
    sql = "-- uses $not_this\nselect '$nor_this', $a, $b_2 from t where x = $a -- $c"
    assert sql_params(sql) == {"a", "b_2"}


def test_run_rejects_missing_and_unexpected_params(tiny_db):
    with pytest.raises(QueryParamError, match=r"missing \['as_of'"):
        run("scorecard", db=tiny_db)
    with pytest.raises(QueryParamError, match=r"unexpected \['colour'\]"):
        run("settings", db=tiny_db, colour="red")


@pytest.mark.parametrize("name", ["../secrets", "scorecard; drop", "Scorecard", "nope"])
def test_run_rejects_unknown_query_names(tiny_db, name):
    with pytest.raises(QueryParamError):
        run(name, db=tiny_db)


def test_hostile_values_are_data_not_sql(tiny_db):
    nothing = dict.fromkeys(FILTER_PARAMS - {"as_of"})
    hostile = run("scorecard", db=tiny_db, as_of=None, **{**nothing, "segment": ["' or 1=1 --"]})
    assert hostile.height == 0
    unknown_quarter = run("scorecard", db=tiny_db, as_of="2025-Q9' or '1'='1", **nothing)
    assert unknown_quarter.height == 0


QUERY_FILES = sorted(QUERIES_DIR.glob("*.sql"))


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_every_query_states_its_grain_and_runs(path, tiny_db):
    sql = path.read_text()
    assert sql.startswith("-- "), f"{path.name} needs a header comment giving its grain"
    params = sql_params(sql)
    values = {p: None for p in params}
    if "quarters" in params:
        values["quarters"] = 8
    if "limit" in params:
        values["limit"] = 5
    frame = run(path.stem, db=tiny_db, **values)
    assert frame.width > 0


def test_page_queries_take_the_whole_filter_set():
    """A query that takes one global filter list takes them all, so no page forgets one.
    (A query about one partner may take $as_of alone.)"""
    for path in QUERY_FILES:
        params = sql_params(path.read_text())
        if params & (FILTER_PARAMS - {"as_of", "scope"}):
            assert FILTER_PARAMS <= params, f"{path.name} takes only {params & FILTER_PARAMS}"


SQL_CALLS = {"sql", "execute", "executemany", "query", "run"}


def _formatted(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def _python_files() -> list[Path]:
    folders = [ROOT / "channel", ROOT / "pages", ROOT / "tests"]
    return [ROOT / "app.py", *(p for f in folders for p in f.rglob("*.py"))]


# (file, the one formatted call allowed there, why)
ALLOWED = {
    ("loader.py", "create table _spellings as {_SPELLINGS}"): "a constant SQL text",
    ("loader.py", "create table _in_"): "table and column names from channel.contract",
    ("loader.py", "create view stage_"): "table and column names from channel.contract",
    ("loader.py", "drop view stage_"): "table names from channel.contract",
    ("loader.py", "drop table _in_"): "table names from channel.contract",
    ("loader.py", "insert into {table} by name"): "staging table names from channel.contract",
    ("loader.py", "select t.{ROW}, "): "key and column names from channel.contract",
    ("loader.py", "select count(*) from"): "table names from channel.contract",
    ("loader.py", "create table settings"): "column names are Settings field names",
    ("corruptions.py", "select {cols} from {table.name}"): "contract names, in a test helper",
    ("importer.py", "update _out_partners set {cname}"): "contract column names; values bound",
    ("importer.py", "select {SRC}, {LINE}, {raw} from"): "module constants and contract names",
    ("importer.py", "create table _out_{t.name}"): "table and column names from channel.contract",
}


def test_no_string_formatted_sql_in_python():
    offenders = []
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        source = path.read_text()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in SQL_CALLS or not node.args:
                continue
            first = node.args[0]
            if not _formatted(first):
                continue
            text = ast.get_source_segment(source, first) or ""
            if any(path.name == f and marker in text for f, marker in ALLOWED):
                continue
            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:60]}")
    assert not offenders, "SQL built from strings:\n" + "\n".join(offenders)


def test_the_scan_catches_what_it_should():
    bad = "con.sql(f'select * from t where x = {value}')\ncur.execute('a' + b)\n"
    tree = ast.parse(bad)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.args]
    assert sum(_formatted(c.args[0]) for c in calls) == 2


def test_no_string_formatting_inside_query_files():
    for path in [*QUERY_FILES, *sorted((QUERIES_DIR / "build").glob("*.sql"))]:
        text = path.read_text()
        assert not re.search(r"\{[a-z_]+\}|%s|%\(", text), path.name
