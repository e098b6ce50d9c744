"""One rule, one place: each SQL rule is written once, and these tests fail when a copy appears.

Where each rule lives (all under queries/build/):
- the tier floors (revenue -> tier): the earned_tier macro, 07_earned_tier.sql
- the tier order and the status order: tier_order() / tier_rank() in 01_tier_order.sql and
  02_tier_rank.sql, status_order() / status_rank() in 03_status_order.sql and 04_status_rank.sql
- attainment against miss_below (is_missed) and the shortfall of a missed quarter:
  partner_quarter, 40_partner_quarter.sql
- investment per partner over four quarters: partner_quarter.investment_t4q (40), summed from
  partner_investment (36_partner_investment.sql), the one reader of the investments table
- the alignment gap threshold: the alignment_gap_pts setting (channel.toml), read from table
  settings
- the partner row as of a quarter: the partner_scorecard table macro, 93_partner_scorecard.sql
- the global filters and the viewer's scope: the passes_filters macro, 89_passes_filters.sql,
  which filtered_partners and the filtered_* table macros (90, 92, 96, 97) apply
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from channel.loader import load
from channel.runner import run
from channel.settings import STATUSES, TIERS, Settings
from tests.helpers import DATA

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
BUILD = QUERIES / "build"
SQL_FILES = sorted(QUERIES.glob("*.sql")) + sorted(BUILD.glob("*.sql"))
NO_FILTERS = dict.fromkeys(
    ["segment", "region", "partner_type", "program_tier", "partner_manager", "scope"]
)


def _code(path: Path) -> str:
    """The SQL of a file without its comments (string literals kept), lowercased."""
    return re.sub(r"--[^\n]*", " ", path.read_text(encoding="utf-8")).lower()


def _copies(pattern: str, allowed: set[str]) -> list[str]:
    """Files (other than ``allowed``) whose SQL matches ``pattern``."""
    return [
        f.relative_to(QUERIES).as_posix()
        for f in SQL_FILES
        if f.relative_to(QUERIES).as_posix() not in allowed and re.search(pattern, _code(f))
    ]


def _list_literals(sql: str) -> list[list[str]]:
    """The quoted strings of every list literal ``[...]`` in ``sql``."""
    return [re.findall(r"'((?:[^']|'')*)'", body) for body in re.findall(r"\[([^\[\]]*)\]", sql)]


def test_tier_floors_only_in_the_earned_tier_macro():
    # a floors `case`: a comparison with a floor setting, or a branch that names a tier
    assert _copies(r"\$tier_floor_\w+\s*then|>=\s*\$tier_floor", {"build/07_earned_tier.sql"}) == []
    assert (
        _copies(r"then\s+'(platinum|gold|silver|registered)'", {"build/07_earned_tier.sql"}) == []
    )


@pytest.mark.parametrize(
    ("values", "home"),
    [(TIERS, "build/01_tier_order.sql"), (STATUSES, "build/03_status_order.sql")],
    ids=["tiers", "statuses"],
)
def test_order_lists_only_in_their_macro(values, home):
    names = {v.lower() for v in values}
    found = [
        f.relative_to(QUERIES).as_posix()
        for f in SQL_FILES
        for literal in _list_literals(_code(f))
        if len(names.intersection(literal)) >= 2
    ]
    assert found == [home]


def test_no_hard_coded_alignment_gap_threshold():
    assert _copies(r"(?<![\w.])5(\.0*)?(\s*::\s*double)?\s+as\s+gap_threshold_pts", set()) == []
    assert "alignment_gap_pts from settings" in _code(QUERIES / "alignment_coverage.sql")
    five = re.compile(r"(?<![\w.])5\.0\b")
    pages = [p.name for p in sorted((ROOT / "pages").glob("*.py")) if five.search(p.read_text())]
    queries = [f.name for f in SQL_FILES if five.search(_code(f))]
    assert pages == [] and queries == []


def test_miss_rule_and_shortfall_only_in_partner_quarter():
    home = {"build/40_partner_quarter.sql"}
    assert _copies(r"attainment\s*<", home) == []
    assert _copies(r"\bas\s+is_missed\b", home) == []
    assert _copies(r"\$miss_below", home) == []
    assert _copies(r"target_amount\s*-\s*[\w.]*revenue", home) == []


def _ctes(sql: str) -> dict[str, str]:
    """name -> body of each ``name as (...)`` in ``sql`` (balanced parentheses)."""
    out = {}
    for m in re.finditer(r"(\w+)\s+as\s+(?:materialized\s+)?\(", sql):
        depth, i = 1, m.end()
        while depth and i < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        out[m.group(1)] = sql[m.end() : i - 1]
    return out


def test_investment_per_partner_summed_once():
    # the four-quarter window over the raw lines is partner_investment's (a page may still list
    # one partner's lines quarter by quarter); partner_quarter sums it per partner
    window = r"\binvestments\b.*quarter_idx\s+between\s+[^\n]*-\s*3\b"
    assert [
        f.relative_to(QUERIES).as_posix() for f in SQL_FILES if re.search(window, _code(f), re.S)
    ] == ["build/36_partner_investment.sql"]
    per_partner = [
        f"{f.relative_to(QUERIES).as_posix()}:{name}"
        for f in SQL_FILES
        for name, body in _ctes(_code(f)).items()
        if re.search(r"\bpartner_investment\b", body)
        and re.search(r"group\s+by\s+(all|[^)]*\bpartner_id\b)", body)
    ]
    assert per_partner == ["build/40_partner_quarter.sql:invested"]


@pytest.mark.parametrize(
    "name",
    ["attention_list", "missed_status_list", "portfolio_worklist", "scorecard", "partner_profile"],
)
def test_partner_row_comes_from_partner_scorecard(name):
    sql = _code(QUERIES / f"{name}.sql")
    assert "partner_scorecard(" in sql
    assert "filtered_partners(" not in sql


def test_filter_rule_only_in_passes_filters():
    # a filter list compared with a partner column: `segment = any($segment)`, `= any(scopes)`
    assert _copies(r"=\s*any\s*\(", {"build/89_passes_filters.sql"}) == []
    # every filtered_* macro applies it
    for name in [
        "90_filtered_partners",
        "92_filtered_partner_quarters",
        "96_filtered_vertical_revenue",
        "97_filtered_partner_focus",
    ]:
        assert "passes_filters(" in _code(BUILD / f"{name}.sql"), name


def test_no_hand_written_partner_join_at_the_as_of_quarter():
    # filtered partners joined to their partner_quarter row at the as-of quarter: that is
    # partner_scorecard (93_partner_scorecard.sql), which keeps the early filter in one place
    join = (
        r"join\s+partner_quarter\s+as\s+\w+\s+on\s+\w+\.partner_id\s*=\s*p\.partner_id\s+and\s+"
        r"\w+\.quarter_idx\s*=\s*(\(select quarter_idx from as_of\)|as_of_idx\(\$as_of\))"
    )
    assert _copies(join, {"build/93_partner_scorecard.sql"}) == []


def _macros() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in ["01_tier_order", "02_tier_rank", "03_status_order", "04_status_rank"]:
        con.sql((BUILD / f"{name}.sql").read_text(encoding="utf-8"))
    con.sql((BUILD / "07_earned_tier.sql").read_text(encoding="utf-8"))
    return con


def test_tier_and_status_order_agree_with_python():
    con = _macros()
    assert tuple(con.sql("select tier_order()").fetchall()[0][0]) == TIERS
    assert tuple(con.sql("select status_order()").fetchall()[0][0]) == STATUSES
    for rank, tier in enumerate(TIERS, start=1):
        assert con.sql("select tier_rank($t)", params={"t": tier}).fetchall()[0][0] == rank
    for rank, status in enumerate(STATUSES, start=1):
        assert con.sql("select status_rank($s)", params={"s": status}).fetchall()[0][0] == rank
    assert con.sql("select tier_rank('(none)'), status_rank(null)").fetchall()[0] == (None, None)


def test_earned_tier_macro_floors():
    con = _macros()
    got = [
        con.sql("select earned_tier($r, 500, 100, 25)", params={"r": r}).fetchall()[0][0]
        for r in [500, 499.99, 100, 99, 25, 24, 0]
    ]
    assert got == ["Platinum", "Gold", "Gold", "Silver", "Silver", "Registered", "Registered"]


def test_alignment_gap_setting_reaches_the_verdicts(tmp_path):
    db = tmp_path / "gap.duckdb"
    load(DATA / "tiny", db, Settings(alignment_gap_pts=12.5))
    assert run("settings", db=db)["alignment_gap_pts"][0] == 12.5
    coverage = run("alignment_coverage", db=db, as_of=None, **NO_FILTERS)
    assert coverage.height and set(coverage["gap_threshold_pts"]) == {12.5}
