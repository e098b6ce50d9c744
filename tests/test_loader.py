"""The validating loader: one test per rule of the import contract (issue 2, sections 1 and 2).

Each test writes a small valid folder (``BASE``, below) into ``tmp_path``, breaks one thing and
checks three facts: ``load()`` raises ``LoadError``; a ``Problem`` names the file, the line (the
physical CSV line, header = 1; Parquet: ``row N``), the column and the offending value, and the
printed report says the same; the database loaded before is byte-for-byte unchanged.
Inputs the contract accepts load, and are stored exactly like the plain baseline.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

from channel import loader
from channel.contract import TABLES
from channel.loader import MAX_SHOWN_PER_RULE, LoadError, Problem, load
from channel.runner import run
from channel.settings import Settings

REPO = Path(__file__).resolve().parent.parent

# A small valid folder. Line numbers in the tests below refer to these texts (header = line 1).
BASE: dict[str, str] = {
    "partners": (
        "partner_id,partner_name,segment,region,partner_type,program_tier,partner_manager,joined_on\n"
        "P01,Alpha Systems,SMB,North,Reseller,Gold,Ann Lee,2020-01-15\n"
        "P02,Bravo Inc,Enterprise,South,Integrator,Silver,Ben Ortiz,2019-05-05\n"
        "P03,Charlie Global,Midmarket,East,,,,\n"
    ),
    "contacts": (
        "partner_id,contact_name,role,is_certified\n"
        "P01,Maria Alvarez,Sales,true\n"
        "P02,Tom Becker,Technical,false\n"
    ),
    "partner_verticals": (
        "partner_id,vertical,focus_share\nP01,Finance,60\nP01,Retail,40\nP02,Finance,1\n"
    ),
    "vendor_priorities": (
        "fiscal_year,vertical,priority_weight\n2025,Finance,3\n2025,Retail,1\n2024,Retail,2\n"
    ),
    "targets": (
        "partner_id,fiscal_quarter,target_amount\n"
        "P01,2025-Q1,1000\n"
        "P01,2025-Q2,1000\n"
        "P02,2025-Q1,5000\n"
        "P03,2025-Q2,0\n"
    ),
    "deals": (
        "deal_id,partner_id,amount,closed_on,status,vertical,created_on\n"
        "D1,P01,1200,2025-02-10,won,Finance,2025-01-05\n"
        "D2,P01,300.50,2025-05-10,lost,Retail,\n"
        "D3,P02,4000,2025-03-31,won,Finance,2025-03-01\n"
        "D4,P03,500,2025-04-01,open,,\n"
    ),
    "investments": (
        "partner_id,fiscal_quarter,program,amount\nP01,2025-Q1,MDF,5000\nP02,2025-Q2,Rebates,750\n"
    ),
}
REQUIRED = ("partners", "targets", "deals")
OPTIONAL = tuple(name for name in BASE if name not in REQUIRED)
CONTRACT_TABLES = [t.name for t in TABLES]

Files = dict[str, str | bytes | None]


# ---------------------------------------------------------------------------------------------
# Helpers


def files(**changes: str | bytes | None) -> Files:
    """BASE with some files replaced (text or bytes) or removed (None)."""
    out: Files = dict(BASE)
    out.update(changes)
    return out


def set_cell(text: str, line: int, column: str, value: str) -> str:
    """``text`` with the cell at physical ``line`` (header = 1) and ``column`` replaced.
    Only for the simple texts in BASE (no quoted delimiters)."""
    lines = text.split("\n")
    header = [h.lower() for h in lines[0].split(",")]
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    return "\n".join(lines)


def cell(name: str, line: int, column: str, value: str) -> Files:
    """BASE with one cell of one file changed."""
    return files(**{name: set_cell(BASE[name], line, column, value)})


def write_folder(folder: Path, content: Files) -> Path:
    """Write ``content`` as ``<name>.csv`` (names with a suffix are written as given)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in content.items():
        if data is None:
            continue
        path = folder / (name if "." in name else f"{name}.csv")
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_bytes(data.encode("utf-8"))
    return folder


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every contract table of ``db``, rows sorted, read through a read-only connection."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: sorted(con.table(name).fetchall(), key=repr) for name in CONTRACT_TABLES}
    finally:
        con.close()


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


ANY = object()


def expect_problem(
    tmp_path: Path,
    db: Path,
    content: Files,
    *,
    file: str,
    line: int | None | object = ANY,
    column: str | None | object = ANY,
    value: str | None | tuple[str, ...] | object = ANY,
    reason: str = "",
    line_word: str = "line",
    source: Path | None = None,
) -> tuple[LoadError, Problem]:
    """Load ``content`` over ``db`` and check that it fails with a matching problem and leaves
    ``db`` byte-for-byte unchanged. ``value`` as a tuple: substrings the value must contain."""
    before = digest(db)
    folder = source or write_folder(tmp_path / "src", content)
    with pytest.raises(LoadError) as info:
        load(folder, db, settings=Settings())
    err = info.value
    assert digest(db) == before, "a failed load changed the database"

    def matches(p: Problem) -> bool:
        if p.file != file or reason.lower() not in p.reason.lower():
            return False
        if line is not ANY and p.line != line:
            return False
        if column is not ANY and p.column != column:
            return False
        if isinstance(value, tuple):
            return p.value is not None and all(part in p.value for part in value)
        return value is ANY or p.value == value

    found = [p for p in err.problems if matches(p)]
    assert found, (
        f"no problem for {file}, line {line}, column {column}, value {value!r}, "
        f"reason ~{reason!r} in:\n{err.report()}"
    )
    problem = found[0]
    assert problem.line_word == line_word
    # The printed report names the same file, line, column and value on one line.
    text = str(problem)
    assert text in err.report().splitlines()[1:][err.problems.index(problem)]
    assert text.startswith(problem.file)
    if problem.line is not None:
        assert f"{line_word} {problem.line}" in text
    if problem.column:
        assert f"column {problem.column}" in text
    if problem.value and len(problem.value) <= 60:
        assert repr(problem.value) in text
    return err, problem


@pytest.fixture(scope="module")
def baseline_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("baseline") / "baseline.duckdb"
    load(write_folder(db.parent / "src", BASE), db, settings=Settings())
    return db


@pytest.fixture
def db(tmp_path: Path, baseline_db: Path) -> Path:
    """A valid database (BASE loaded) that each failing load must leave untouched."""
    path = tmp_path / "channel.duckdb"
    shutil.copyfile(baseline_db, path)
    return path


def load_ok(tmp_path: Path, db: Path, content: Files | None = None, source: Path | None = None):
    folder = source or write_folder(tmp_path / "src", content or {})
    return load(folder, db, settings=Settings())


# ---------------------------------------------------------------------------------------------
# Files


@pytest.mark.parametrize("name", REQUIRED)
def test_required_file_missing(tmp_path, db, name):
    _, p = expect_problem(
        tmp_path, db, files(**{name: None}), file=f"{name}.csv", reason="required file is missing"
    )
    assert (p.line, p.column, p.value) == (None, None, None)


@pytest.mark.parametrize("name", OPTIONAL)
def test_optional_file_may_be_absent(tmp_path, db, name):
    summary = load_ok(tmp_path, db, files(**{name: None}))
    assert summary.rows[name] == 0


def test_both_csv_and_parquet(tmp_path, db):
    folder = write_folder(tmp_path / "src", BASE)
    pl.read_csv(folder / "deals.csv", infer_schema=False).write_parquet(folder / "deals.parquet")
    _, p = expect_problem(tmp_path, db, {}, source=folder, file="deals.parquet", reason="both")
    assert "deals.csv" in p.reason and "deals.parquet" in p.reason


def test_directory_named_like_a_file(tmp_path, db):
    folder = write_folder(tmp_path / "src", files(deals=None))
    (folder / "deals.csv").mkdir()
    expect_problem(tmp_path, db, {}, source=folder, file="deals.csv", reason="not a regular file")


def test_source_is_not_a_folder(tmp_path, db):
    missing = tmp_path / "nowhere"
    expect_problem(tmp_path, db, {}, source=missing, file=str(missing), reason="not a folder")


@pytest.mark.parametrize("name", ["partners", "targets", "deals", "contacts"])
def test_zero_byte_file(tmp_path, db, name):
    _, p = expect_problem(tmp_path, db, files(**{name: b""}), file=f"{name}.csv", reason="empty")
    assert p.column is None and p.value is None


def test_header_only_partners_has_no_data_rows(tmp_path, db):
    header_only = {name: BASE[name].split("\n", 1)[0] + "\n" for name in REQUIRED}
    _, p = expect_problem(tmp_path, db, header_only, file="partners.csv", reason="has no data rows")
    assert p.column is None


@pytest.mark.parametrize("names", [("targets",), ("deals",), ("targets", "deals")])
def test_header_only_targets_and_deals_are_valid(tmp_path, db, names):
    summary = load_ok(tmp_path, db, files(**{n: BASE[n].split("\n", 1)[0] + "\n" for n in names}))
    for name in names:
        assert summary.rows[name] == 0
    assert summary.rows["partners"] == 3


# ---------------------------------------------------------------------------------------------
# Header


REQUIRED_COLUMNS = [
    (t.name, c.name) for t in TABLES for c in t.columns if c.required and t.name in BASE
]


@pytest.mark.parametrize(("name", "column"), REQUIRED_COLUMNS)
def test_required_column_missing(tmp_path, db, name, column):
    header, rest = BASE[name].split("\n", 1)
    renamed = ",".join("unrelated" if h == column else h for h in header.split(","))
    _, p = expect_problem(
        tmp_path,
        db,
        files(**{name: renamed + "\n" + rest}),
        file=f"{name}.csv",
        line=1,
        column=column,
        reason="required column is missing",
    )
    assert "unrelated" in p.reason  # names what it found instead


@pytest.mark.parametrize("second", ["amount", "Amount", "AMOUNT "])
def test_duplicated_column(tmp_path, db, second):
    text = BASE["deals"].replace("created_on\n", f"{second}\n", 1)
    expect_problem(
        tmp_path,
        db,
        files(deals=text),
        file="deals.csv",
        line=1,
        column="amount",
        reason="more than once",
    )


def test_extra_column_is_ignored_with_a_warning(tmp_path, db, baseline_db):
    lines = BASE["partners"].rstrip("\n").split("\n")
    text = "\n".join([lines[0] + ",Notes"] + [f"{ln},note {i}" for i, ln in enumerate(lines[1:])])
    summary = load_ok(tmp_path, db, files(partners=text + "\n"))
    assert any("partners.csv" in w and "notes" in w.lower() for w in summary.warnings)
    assert snapshot(db) == snapshot(baseline_db)


# ---------------------------------------------------------------------------------------------
# Inputs that must load exactly like the baseline


Texts = dict[str, str]


def _upper_headers(content: Texts) -> Files:
    def up(text: str) -> str:
        header, rest = text.split("\n", 1)
        names = [h.upper() if i % 2 else h.title() for i, h in enumerate(header.split(","))]
        return ",".join(names) + "\n" + rest

    return {k: up(v) for k, v in content.items()}


def _reordered(content: Texts) -> Files:
    out: Files = {}
    for name, text in content.items():
        frame = pl.read_csv(io.StringIO(text), infer_schema=False)
        out[name] = frame.select(reversed(frame.columns)).write_csv()
    return out


def _quoted(content: Texts) -> Files:
    def quote(line: str) -> str:
        return ",".join(f'"{x}"' for x in line.split(",")) if line else ""

    return {k: "\n".join(quote(ln) for ln in v.split("\n")) for k, v in content.items()}


def _padded(content: Texts) -> Files:
    def pad(line: str) -> str:
        return ",".join(f" {x} " if x else x for x in line.split(","))

    return {
        k: "\n".join(ln if i == 0 else pad(ln) for i, ln in enumerate(v.split("\n")))
        for k, v in content.items()
    }


SAME_AS_BASE: dict[str, Callable[[Texts], Files]] = {
    "column names in any case": _upper_headers,
    "columns in another order": _reordered,
    "utf-8 with BOM": lambda c: {k: b"\xef\xbb\xbf" + v.encode() for k, v in c.items()},
    "CRLF line endings": lambda c: {k: v.replace("\n", "\r\n") for k, v in c.items()},
    "semicolon delimiter": lambda c: {k: v.replace(",", ";") for k, v in c.items()},
    "BOM + CRLF + semicolons": lambda c: {
        k: b"\xef\xbb\xbf" + v.replace(",", ";").replace("\n", "\r\n").encode()
        for k, v in c.items()
    },
    "quoted fields": _quoted,
    "cells padded with spaces": _padded,
    "trailing blank lines": lambda c: {k: v + "\n\n" for k, v in c.items()},
    "no final newline": lambda c: {k: v.rstrip("\n") for k, v in c.items()},
}


@pytest.mark.parametrize("variant", SAME_AS_BASE, ids=list(SAME_AS_BASE))
def test_accepted_variants_load_like_the_baseline(tmp_path, db, baseline_db, variant):
    load_ok(tmp_path, db, SAME_AS_BASE[variant](dict(BASE)))
    assert snapshot(db) == snapshot(baseline_db)


def test_quoted_field_with_newline_loads(tmp_path, db):
    text = BASE["partners"].replace("Bravo Inc", '"Bravo\nInc, the ""best"""')
    load_ok(tmp_path, db, files(partners=text))
    names = query(db, "select partner_name from partners where partner_id = 'P02'")
    assert names == [('Bravo\nInc, the "best"',)]


# ---------------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize(("name", "column"), REQUIRED_COLUMNS)
def test_required_value_empty(tmp_path, db, name, column):
    _, p = expect_problem(
        tmp_path,
        db,
        cell(name, 3, column, ""),
        file=f"{name}.csv",
        line=3,
        column=column,
        reason="required value is empty",
    )
    assert not p.value


@pytest.mark.parametrize("blank", ["   ", '""', '" "'])
def test_required_value_blank(tmp_path, db, blank):
    expect_problem(
        tmp_path,
        db,
        cell("deals", 4, "deal_id", blank),
        file="deals.csv",
        line=4,
        column="deal_id",
        reason="required value is empty",
    )


DUPLICATES = [
    # file, line changed, column, new value, reported column, value parts, first line of the key
    ("partners", 4, "partner_id", "P01", "partner_id", ("P01",), 2),
    ("partners", 4, "partner_id", " P02 ", "partner_id", ("P02",), 3),
    ("deals", 5, "deal_id", "D2", "deal_id", ("D2",), 3),
    ("deals", 5, "deal_id", " D1 ", "deal_id", ("D1",), 2),
    ("targets", 3, "fiscal_quarter", "2025-Q1", "fiscal_quarter", ("P01", "2025-Q1"), 2),
    ("targets", 3, "fiscal_quarter", "2025-q1", "fiscal_quarter", ("P01", "2025-Q1"), 2),
    ("partner_verticals", 3, "vertical", "Finance", "vertical", ("P01", "Finance"), 2),
    ("partner_verticals", 3, "vertical", "FINANCE", "vertical", ("P01", "FINANCE"), 2),
    ("vendor_priorities", 3, "vertical", "Finance", "vertical", ("2025", "Finance"), 2),
    ("vendor_priorities", 3, "vertical", " finance ", "vertical", ("2025", "finance"), 2),
]


@pytest.mark.parametrize(
    ("name", "line", "column", "new", "reported", "parts", "first"), DUPLICATES
)
def test_duplicate_key(tmp_path, db, name, line, column, new, reported, parts, first):
    _, p = expect_problem(
        tmp_path,
        db,
        cell(name, line, column, new),
        file=f"{name}.csv",
        line=line,
        column=reported,
        value=parts,
        reason="duplicate",
    )
    assert f"first on line {first}" in p.reason


ORPHANS = [
    ("contacts", 3),
    ("partner_verticals", 4),
    ("targets", 5),
    ("deals", 4),
    ("investments", 3),
]


@pytest.mark.parametrize(("name", "line"), ORPHANS)
def test_orphan_partner_id(tmp_path, db, name, line):
    expect_problem(
        tmp_path,
        db,
        cell(name, line, "partner_id", "P99"),
        file=f"{name}.csv",
        line=line,
        column="partner_id",
        value="P99",
        reason="not in partners",
    )


def test_partner_ids_are_not_matched_case_insensitively(tmp_path, db):
    expect_problem(
        tmp_path,
        db,
        cell("deals", 2, "partner_id", "p01"),
        file="deals.csv",
        line=2,
        column="partner_id",
        value="p01",
        reason="not in partners",
    )


NOT_ALLOWED = [
    ("partners", 3, "segment", "Small business"),
    ("partners", 3, "segment", "SMB."),
    ("partners", 2, "program_tier", "Bronze"),
    ("contacts", 3, "role", "CEO"),
    ("deals", 3, "status", "pending"),
    ("contacts", 2, "is_certified", "maybe"),
    ("contacts", 2, "is_certified", "2"),
]


@pytest.mark.parametrize(("name", "line", "column", "bad"), NOT_ALLOWED)
def test_value_not_in_allowed_set(tmp_path, db, name, line, column, bad):
    expect_problem(
        tmp_path,
        db,
        cell(name, line, column, bad),
        file=f"{name}.csv",
        line=line,
        column=column,
        value=bad,
        reason="must be",
    )


def test_enumerations_are_stored_canonically(tmp_path, db):
    content = files(
        partners=set_cell(
            set_cell(BASE["partners"], 2, "segment", "smb"), 2, "program_tier", "GOLD"
        ),
        contacts=set_cell(BASE["contacts"], 3, "role", "tECHNICAL"),
        deals=set_cell(set_cell(BASE["deals"], 2, "status", "Won"), 3, "status", "LOST"),
        targets=set_cell(BASE["targets"], 2, "fiscal_quarter", "2025-q1"),
    )
    load_ok(tmp_path, db, content)
    assert query(db, "select segment, program_tier from partners where partner_id = 'P01'") == [
        ("SMB", "Gold")
    ]
    assert query(db, "select role from contacts where contact_name = 'Tom Becker'") == [
        ("Technical",)
    ]
    assert query(
        db, "select deal_id, status from deals where deal_id in ('D1', 'D2') order by 1"
    ) == [
        ("D1", "won"),
        ("D2", "lost"),
    ]
    assert ("P01", "2025-Q1") in query(db, "select partner_id, fiscal_quarter from targets")


def test_defaults_for_empty_optional_values(tmp_path, db):
    content = files(
        deals=set_cell(BASE["deals"], 3, "status", ""),
        contacts=set_cell(BASE["contacts"], 2, "is_certified", ""),
    )
    load_ok(tmp_path, db, content)
    assert query(db, "select status from deals where deal_id = 'D2'") == [("won",)]
    assert query(db, "select is_certified from contacts where partner_id = 'P01'") == [(False,)]
    # and an absent is_certified column means false for everyone
    load_ok(tmp_path, db, files(contacts="partner_id,contact_name,role\nP01,Sam,Other\n"))
    assert query(db, "select is_certified from contacts") == [(False,)]


@pytest.mark.parametrize("bad", ["2025-Q0", "2025Q5", "FY25", "2025-Q5", "2025-Q1x", "25-Q1"])
@pytest.mark.parametrize(("name", "line"), [("targets", 3), ("investments", 2)])
def test_bad_fiscal_quarter(tmp_path, db, name, line, bad):
    expect_problem(
        tmp_path,
        db,
        cell(name, line, "fiscal_quarter", bad),
        file=f"{name}.csv",
        line=line,
        column="fiscal_quarter",
        value=bad,
        reason="YYYY-Qn",
    )


@pytest.mark.parametrize("bad", ["25", "abcd", "2025.5", "20255"])
def test_bad_fiscal_year(tmp_path, db, bad):
    expect_problem(
        tmp_path,
        db,
        cell("vendor_priorities", 3, "fiscal_year", bad),
        file="vendor_priorities.csv",
        line=3,
        column="fiscal_year",
        value=bad,
        reason="year",
    )


@pytest.mark.parametrize(
    ("name", "line", "column", "bad"),
    [
        ("deals", 3, "closed_on", "2025-02-30"),
        ("deals", 3, "closed_on", "2025/01/05"),
        ("deals", 3, "closed_on", "yesterday"),
        ("deals", 4, "closed_on", "2025-13-01"),
        ("deals", 2, "created_on", "2025-02-30"),
        ("deals", 3, "created_on", "05/01/2025"),
        ("partners", 2, "joined_on", "yesterday"),
        ("partners", 3, "joined_on", "2019-02-29"),
    ],
)
def test_bad_date(tmp_path, db, name, line, column, bad):
    expect_problem(
        tmp_path,
        db,
        cell(name, line, column, bad),
        file=f"{name}.csv",
        line=line,
        column=column,
        value=bad,
        reason="date",
    )


def test_created_on_after_closed_on(tmp_path, db):
    expect_problem(
        tmp_path,
        db,
        cell("deals", 4, "created_on", "2025-04-01"),  # D3 closed 2025-03-31
        file="deals.csv",
        line=4,
        column="created_on",
        value=("2025-04-01",),
        reason="after closed_on",
    )


def test_created_on_equal_to_closed_on_is_valid(tmp_path, db):
    load_ok(tmp_path, db, cell("deals", 4, "created_on", "2025-03-31"))


AMOUNT_CELLS = [
    ("deals", 3, "amount"),
    ("targets", 4, "target_amount"),
    ("investments", 3, "amount"),
]


@pytest.mark.parametrize("bad", ["-1", "NaN", "inf", "-inf", "1e308", "12abc", "1 200"])
@pytest.mark.parametrize(("name", "line", "column"), AMOUNT_CELLS)
def test_bad_amount(tmp_path, db, name, line, column, bad):
    expect_problem(
        tmp_path,
        db,
        cell(name, line, column, bad),
        file=f"{name}.csv",
        line=line,
        column=column,
        value=bad,
        reason="finite number",
    )


@pytest.mark.parametrize(
    ("name", "line", "column"),
    [("partner_verticals", 3, "focus_share"), ("vendor_priorities", 4, "priority_weight")],
)
@pytest.mark.parametrize("bad", ["-1", "-0.5", "nan", "x"])
def test_bad_share_or_weight(tmp_path, db, name, line, column, bad):
    expect_problem(
        tmp_path,
        db,
        cell(name, line, column, bad),
        file=f"{name}.csv",
        line=line,
        column=column,
        value=bad,
        reason="number",
    )


def test_amount_edge_values_are_valid(tmp_path, db):
    content = files(
        deals=set_cell(set_cell(BASE["deals"], 3, "amount", "0"), 4, "amount", "1e12"),
        targets=set_cell(BASE["targets"], 3, "target_amount", "1234.5678"),
    )
    load_ok(tmp_path, db, content)
    assert query(db, "select amount from deals where deal_id in ('D2', 'D3') order by 1") == [
        (0.0,),
        (1e12,),
    ]


# Open deals may leave closed_on empty (its expected close date); won and lost deals may not.

EMPTY_CLOSED_ON = "only an open deal may leave it empty"


def _revenue(db: Path) -> list[tuple]:
    return query(db, "select partner_id, sum(revenue) from partner_quarter group by all order by 1")


@pytest.mark.parametrize("status", ["open", "OPEN", " Open "])
def test_open_deal_without_closed_on_loads(tmp_path, db, baseline_db, status):
    text = set_cell(BASE["deals"], 5, "closed_on", "")  # D4 (P03)
    text = set_cell(text, 5, "status", status)
    text = set_cell(text, 5, "amount", "900000")
    text = set_cell(text, 5, "created_on", "2025-01-02")  # nothing to compare it with
    load_ok(tmp_path, db, files(deals=text))
    assert query(
        db, "select status, closed_on, quarter_idx, fiscal_quarter from deals where deal_id = 'D4'"
    ) == [("open", None, None, None)]
    assert _revenue(db) == _revenue(baseline_db)  # never revenue
    assert query(
        db, "select coalesce(sum(revenue), 0) from partner_quarter where partner_id = 'P03'"
    ) == [(0,)]


@pytest.mark.parametrize(
    ("line", "status"),
    [(2, "won"), (3, "lost"), (3, "LOST"), (4, ""), (4, "  ")],
    ids=["won", "lost", "LOST", "empty status (won)", "blank status (won)"],
)
def test_won_or_lost_deal_without_closed_on_is_refused(tmp_path, db, line, status):
    text = set_cell(set_cell(BASE["deals"], line, "closed_on", ""), line, "status", status)
    err, p = expect_problem(
        tmp_path,
        db,
        files(deals=text),
        file="deals.csv",
        line=line,
        column="closed_on",
        reason=EMPTY_CLOSED_ON,
    )
    assert not p.value
    assert "won or lost deal" in p.reason
    assert len(err.problems) == 1


def test_closed_on_is_required_when_the_status_column_is_absent(tmp_path, db):
    text = set_cell(BASE["deals"], 5, "closed_on", "")  # D4 is open, but without the column
    frame = pl.read_csv(io.StringIO(text), infer_schema=False).drop("status")  # ... it is won
    expect_problem(
        tmp_path,
        db,
        files(deals=frame.write_csv()),
        file="deals.csv",
        line=5,
        column="closed_on",
        reason=EMPTY_CLOSED_ON,
    )


def test_bad_status_and_empty_closed_on_names_the_status_only(tmp_path, db):
    text = set_cell(set_cell(BASE["deals"], 3, "closed_on", ""), 3, "status", "pending")
    err, _ = expect_problem(
        tmp_path, db, files(deals=text), file="deals.csv", line=3, column="status", value="pending"
    )
    assert [(p.line, p.column) for p in err.problems] == [(3, "status")]


def test_only_the_won_deal_without_closed_on_is_named(tmp_path, db):
    """Both kinds in one file: only the won deal is named."""
    text = set_cell(BASE["deals"], 5, "closed_on", "")  # D4, open: fine
    text = set_cell(text, 4, "closed_on", " ")  # D3, won: refused
    err, _ = expect_problem(
        tmp_path, db, files(deals=text), file="deals.csv", line=4, reason=EMPTY_CLOSED_ON
    )
    assert [(p.line, p.column) for p in err.problems] == [(4, "closed_on")]


# ---------------------------------------------------------------------------------------------
# Encodings and CSV shape


def test_latin1_bytes_name_the_line(tmp_path, db):
    data = BASE["partners"].replace("Bravo Inc", "Bravo Müller").encode("latin-1")
    _, p = expect_problem(
        tmp_path, db, files(partners=data), file="partners.csv", line=3, reason="UTF-8"
    )
    assert p.value is not None and "fc" in p.value.lower()  # the offending byte \xfc


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    "quoted", ['"Bravo\nInc"', '"Bravo\n\n""Inc""\n"', '"B' + "x" * 200_000 + '\nInc"']
)
def test_line_numbers_after_a_multiline_field(tmp_path, db, newline, quoted):
    extra = quoted.count("\n")
    text = BASE["partners"].replace("Bravo Inc", quoted)
    text = set_cell(text, 4 + extra, "segment", "Mid").replace("\n", newline)
    expect_problem(
        tmp_path,
        db,
        files(partners=text.encode()),
        file="partners.csv",
        line=4 + extra,  # P03's record starts on this physical line
        column="segment",
        value="Mid",
        reason="must be one of",
    )


def test_line_numbers_after_blank_lines(tmp_path, db):
    text = BASE["deals"].replace("\nD3,", "\n\n  \n,,,,,,\nD3,")  # three blank records
    text = text.replace("D4,P03,500", "D4,P03,-500")
    expect_problem(
        tmp_path,
        db,
        files(deals=text),
        file="deals.csv",
        line=8,
        column="amount",
        value="-500",
        reason="finite number",
    )


def test_row_with_more_fields_than_the_header(tmp_path, db):
    text = BASE["deals"].replace("Finance,2025-03-01\n", "Finance,2025-03-01,surplus\n")
    _, p = expect_problem(
        tmp_path, db, files(deals=text), file="deals.csv", line=4, reason="fields"
    )
    assert "8" in p.reason and "7" in p.reason
    assert p.value is not None and "surplus" in p.value


def test_bare_cr_line_endings_are_a_clear_error(tmp_path, db):
    expect_problem(
        tmp_path,
        db,
        files(partners=BASE["partners"].replace("\n", "\r")),
        file="partners.csv",
        line=1,
        reason="line",
    )


SHORT = BASE["deals"].replace("D2,P01,300.50,2025-05-10,lost,Retail,\n", "D2,P01,300.50\n")
CUT = BASE["deals"][: BASE["deals"].index("D4,") + len("D4,P03,500,2025-04")]
SHORT_RECORDS = {
    # text, line of the short record, its text, fields
    "file cut in the middle of the last record": (CUT, 5, "D4,P03,500,2025-04", 4),
    "file cut right after a delimiter": (CUT[:-7], 5, "D4,P03,500,", 4),
    "short record in the middle": (SHORT, 3, "D2,P01,300.50", 3),
    "short record after a quoted multi-line field": (
        SHORT.replace("Finance,2025-01-05", '"Fin\nance, the ""best""\n",2025-01-05'),
        5,  # D1's vertical spans lines 2 to 4
        "D2,P01,300.50",
        3,
    ),
    "quoted delimiter in the short record": (
        SHORT.replace("D2,P01,300.50", 'D2,"P01,x",300.50'),
        3,
        'D2,"P01,x",300.50',
        3,
    ),
    "a lone value on a line": (BASE["deals"].replace("\nD3,", "\n  x  \nD3,"), 4, "  x  ", 1),
}


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("case", SHORT_RECORDS, ids=list(SHORT_RECORDS))
def test_record_with_fewer_fields_than_the_header(tmp_path, db, case, delimiter, newline):
    text, line, record, fields = SHORT_RECORDS[case]
    text = text.replace(",", delimiter).replace("\n", newline)
    err, p = expect_problem(
        tmp_path,
        db,
        files(deals=text.encode()),
        file="deals.csv",
        line=line,
        column=None,
        value=record.replace(",", delimiter),
        reason=f"has {fields} fields but the header names 7",
    )
    assert len(err.problems) == 1
    assert f"deals.csv, line {line}, value {record.replace(',', delimiter)!r}: has" in err.report()


def test_many_short_records_are_counted(tmp_path, db):
    text = BASE["deals"] + "".join(f"X{i},P01,5\n" for i in range(MAX_SHOWN_PER_RULE + 5))
    err, _ = expect_problem(tmp_path, db, files(deals=text), file="deals.csv", line=6)
    assert [p.line for p in err.problems[:-1]] == list(range(6, 6 + MAX_SHOWN_PER_RULE))
    assert err.problems[-1] == Problem(
        "deals.csv", None, None, None, "5 more records have fewer fields than the header"
    )
    assert err.report().splitlines()[0] == f"load failed: {MAX_SHOWN_PER_RULE + 1} problems"


def test_short_record_before_a_long_one_is_named_first(tmp_path, db):
    text = SHORT.replace("Finance,2025-03-01\n", "Finance,2025-03-01,surplus\n")
    err, _ = expect_problem(
        tmp_path, db, files(deals=text), file="deals.csv", line=3, reason="has 3 fields"
    )
    assert len(err.problems) == 1


@pytest.mark.parametrize(
    "tail",
    [",,\n", " \t \n", '""\n', '" ", \n', "\n\n"],
    ids=["delimiters", "blanks", "empty quotes", "quoted blank", "blank lines"],
)
def test_short_blank_records_are_skipped(tmp_path, db, baseline_db, tail):
    load_ok(tmp_path, db, files(deals=BASE["deals"] + tail + "D5,P03,1,2025-04-01,open,,\n"))
    assert query(db, "select count(*) from deals") == [(5,)]


@pytest.mark.parametrize("case", SHORT_RECORDS, ids=list(SHORT_RECORDS))
def test_short_records_agree_with_the_csv_module(case):
    """The Polars passes and the csv-module pass (used when lines and records do not add up)
    find the same records on the same lines."""
    text = SHORT_RECORDS[case][0] + "\n,,\n  \nD9,P01\n"
    names = text.split("\n", 1)[0].split(",")
    frame = pl.read_csv(
        text.encode(), new_columns=names, infer_schema=False, row_index_name=loader.ROW
    )
    fast = loader._short_records(text, ",", 7, frame)
    slow = loader._short_records_csv(text, ",", 7)
    assert [(line, fields) for line, fields, _ in fast[0]] == [
        (line, fields) for line, fields, _ in slow[0]
    ]
    assert fast[1] == slow[1] == 2


def test_short_record_in_a_big_file_names_its_line(tmp_path, db):
    """The one-pass check and the per-line pass both run on more rows than a chunk of Polars."""
    body = "".join(f"X{i},P01,1,2025-01-01,lost,,\n" for i in range(200_000))
    lines = (BASE["deals"] + body).split("\n")
    lines[150_000] = lines[150_000].rsplit(",", 3)[0]
    expect_problem(
        tmp_path,
        db,
        files(deals="\n".join(lines)),
        file="deals.csv",
        line=150_001,
        value=lines[150_000],
        reason="has 4 fields but the header names 7",
    )


# ---------------------------------------------------------------------------------------------
# Parquet


def _parquet_folder(folder: Path, edit: dict[str, Callable[[pl.DataFrame], pl.DataFrame]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in BASE.items():
        frame = pl.read_csv(io.StringIO(text), infer_schema=False)
        frame = edit.get(name, lambda f: f)(frame)
        frame.write_parquet(folder / f"{name}.parquet")
    return folder


TYPED = {
    "deals": lambda f: f.with_columns(
        pl.col("amount").cast(pl.Float64),
        pl.col("closed_on").str.to_date(),
        pl.col("created_on").str.to_date(),
    ),
    "targets": lambda f: f.with_columns(pl.col("target_amount").cast(pl.Int64)),
    "contacts": lambda f: f.with_columns(pl.col("is_certified") == "true"),
    "vendor_priorities": lambda f: f.with_columns(
        pl.col("fiscal_year").cast(pl.Int64), pl.col("priority_weight").cast(pl.Float64)
    ),
    "partners": lambda f: f.rename({"partner_id": "Partner_ID"}),
}


@pytest.mark.parametrize("typed", [False, True], ids=["text columns", "typed columns"])
def test_parquet_folder_loads_like_the_baseline(tmp_path, db, baseline_db, typed):
    folder = _parquet_folder(tmp_path / "pq", TYPED if typed else {})
    load_ok(tmp_path, db, source=folder)
    assert snapshot(db) == snapshot(baseline_db)


@pytest.mark.parametrize(
    ("name", "column", "edit", "value"),
    [
        (
            "deals",
            "amount",
            lambda f: f.with_columns(pl.Series("amount", [1200.0, 300.5, -4000.0, 500.0])),
            ("-4000",),
        ),
        (
            "deals",
            "amount",
            lambda f: f.with_columns(pl.Series("amount", [1.0, 2.0, float("nan"), 3.0])),
            ("NaN",),
        ),
        (
            "deals",
            "status",
            lambda f: f.with_columns(pl.Series("status", ["won", "lost", "maybe", "open"])),
            "maybe",
        ),
        (
            "targets",
            "fiscal_quarter",
            lambda f: f.with_columns(
                pl.Series("fiscal_quarter", ["2025-Q1", "2025-Q2", "2025-Q9", "2025-Q2"])
            ),
            "2025-Q9",
        ),
    ],
    ids=["negative amount", "NaN amount", "bad status", "bad quarter"],
)
def test_bad_value_in_parquet_reports_the_row(tmp_path, db, name, column, edit, value):
    folder = _parquet_folder(tmp_path / "pq", {name: edit})
    err, p = expect_problem(
        tmp_path,
        db,
        {},
        source=folder,
        file=f"{name}.parquet",
        line=3,  # the third data row
        column=column,
        value=value,
        reason="must be",
        line_word="row",
    )
    assert f"{name}.parquet, row 3, column {column}" in err.report()


def _closed_on_dropped(deal_id: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def edit(frame: pl.DataFrame) -> pl.DataFrame:
        dropped = pl.when(pl.col("deal_id") != deal_id).then(pl.col("closed_on"))
        return TYPED["deals"](frame).with_columns(dropped.alias("closed_on"))

    return edit


def test_parquet_open_deal_without_closed_on_loads(tmp_path, db):
    folder = _parquet_folder(tmp_path / "pq", {"deals": _closed_on_dropped("D4")})
    load_ok(tmp_path, db, source=folder)
    assert query(db, "select closed_on, quarter_idx from deals where deal_id = 'D4'") == [
        (None, None)
    ]


def test_parquet_won_deal_without_closed_on_is_refused(tmp_path, db, monkeypatch):
    monkeypatch.setattr(loader, "BATCH_ROWS", 2)  # D3, the third row, is in the second batch
    folder = _parquet_folder(tmp_path / "pq", {"deals": _closed_on_dropped("D3")})
    err, _ = expect_problem(
        tmp_path,
        db,
        {},
        source=folder,
        file="deals.parquet",
        line=3,
        column="closed_on",
        reason=EMPTY_CLOSED_ON,
        line_word="row",
    )
    assert len(err.problems) == 1


# ---------------------------------------------------------------------------------------------
# Reporting every problem


def test_every_problem_is_reported(tmp_path, db):
    text = set_cell(BASE["deals"], 2, "amount", "abc")
    text = set_cell(text, 3, "status", "bogus")
    text = set_cell(text, 5, "closed_on", "2025-13-01")
    err, _ = expect_problem(tmp_path, db, files(deals=text), file="deals.csv", line=2)
    found = {(p.file, p.line, p.column, p.value) for p in err.problems}
    assert found == {
        ("deals.csv", 2, "amount", "abc"),
        ("deals.csv", 3, "status", "bogus"),
        ("deals.csv", 5, "closed_on", "2025-13-01"),
    }
    assert err.more == []
    assert err.report().splitlines()[0] == "load failed: 3 problems"


def test_problems_in_several_files_are_all_reported(tmp_path, db):
    content = files(
        partners=set_cell(BASE["partners"], 4, "segment", "Tiny"),
        targets=set_cell(BASE["targets"], 2, "target_amount", "-3"),
        investments=set_cell(BASE["investments"], 2, "fiscal_quarter", "Q1"),
    )
    err, _ = expect_problem(tmp_path, db, content, file="partners.csv", line=4, column="segment")
    assert {(p.file, p.line, p.column) for p in err.problems} == {
        ("partners.csv", 4, "segment"),
        ("targets.csv", 2, "target_amount"),
        ("investments.csv", 2, "fiscal_quarter"),
    }


def test_more_than_twenty_problems_of_one_rule_are_counted(tmp_path, db):
    bad_rows = "".join(f"X{i},P01,-{i + 1},2025-01-01,won,,\n" for i in range(27))
    err, _ = expect_problem(
        tmp_path, db, files(deals=BASE["deals"] + bad_rows), file="deals.csv", line=6
    )
    assert MAX_SHOWN_PER_RULE == 20
    shown = [p for p in err.problems if p.column == "amount"]
    assert [p.line for p in shown] == list(range(6, 26))
    assert [p.value for p in shown] == [f"-{i}" for i in range(1, 21)]
    assert len(err.more) == 1
    file, column, reason, count = err.more[0]
    assert (file, column, count) == ("deals.csv", "amount", 7)
    assert "finite number" in reason
    assert "7 more rows" in err.report()
    assert err.report().splitlines()[0] == "load failed: 27 problems"


def test_more_than_twenty_duplicates_are_counted(tmp_path, db):
    dups = "".join(f"D1,P01,{i},2025-01-01,won,,\n" for i in range(23))
    err, _ = expect_problem(
        tmp_path, db, files(deals=BASE["deals"] + dups), file="deals.csv", reason="duplicate"
    )
    assert len([p for p in err.problems if "duplicate" in p.reason]) == 20
    assert [n for f, c, r, n in err.more if f == "deals.csv" and c == "deal_id"] == [3]


# ---------------------------------------------------------------------------------------------
# CLI


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (cell("deals", 3, "amount", "-5"), "deals.csv, line 3, column amount, value '-5'"),
        (
            cell("targets", 4, "fiscal_quarter", "FY25"),
            "targets.csv, line 4, column fiscal_quarter",
        ),
        (files(partners=BASE["partners"].replace("\n", "\r")), "partners.csv, line 1"),
        (files(deals=None), "deals.csv: required file is missing"),
    ],
    ids=["bad amount", "bad quarter", "bare CR", "missing file"],
)
def test_cli_load_reports_without_traceback(tmp_path, db, content, expected):
    before = digest(db)
    folder = write_folder(tmp_path / "bad", content)
    result = subprocess.run(
        [sys.executable, "-m", "channel", "load", str(folder), "--db", str(db)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=_cli_env(),
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert expected in result.stderr
    assert digest(db) == before


def _cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CHANNEL_SETTINGS", "CHANNEL_DB")}
    env["PYTHONPATH"] = str(REPO)
    return env


# ---------------------------------------------------------------------------------------------
# Atomicity and concurrency


def _scorecard(db: Path, scratch: Path) -> pl.DataFrame:
    """The scorecard read from a fresh copy of ``db`` (the runner caches a connection per path)."""
    copy = scratch / f"check-{time.perf_counter_ns()}.duckdb"
    shutil.copyfile(db, copy)
    params = dict.fromkeys(
        ["as_of", "segment", "region", "partner_type", "program_tier", "partner_manager", "scope"]
    )
    return run("scorecard", db=copy, **params)


def _write_big_folder(folder: Path, partners: int = 3000, deals: int = 30000) -> Path:
    folder.mkdir(parents=True)
    segments = ("SMB", "Midmarket", "Enterprise", "Mixed")
    (folder / "partners.csv").write_text(
        "partner_id,partner_name,segment,region\n"
        + "".join(f"B{i:05d},Partner {i},{segments[i % 4]},R{i % 5}\n" for i in range(partners))
    )
    (folder / "targets.csv").write_text(
        "partner_id,fiscal_quarter,target_amount\n"
        + "".join(
            f"B{i:05d},{2023 + q // 4}-Q{q % 4 + 1},{1000 + (i * 37 + q) % 5000}\n"
            for i in range(partners)
            for q in range(12)
        )
    )
    (folder / "deals.csv").write_text(
        "deal_id,partner_id,amount,closed_on,status,vertical\n"
        + "".join(
            f"D{j:07d},B{j % partners:05d},{(j * 7919) % 9000 + 100},"
            f"{2023 + (j % 36) // 12}-{j % 12 + 1:02d}-{j % 28 + 1:02d},"
            f"{('won', 'lost', 'open')[j % 3]},V{j % 6}\n"
            for j in range(deals)
        )
    )
    return folder


def _start_load(folder: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "channel", "load", str(folder), "--db", str(db)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_cli_env(),
    )


def _wait_for(proc: subprocess.Popen, marker: str) -> None:
    """Block until the loader prints ``marker`` (its progress goes to stderr, flushed)."""
    assert proc.stderr is not None
    for line in proc.stderr:
        if marker in line:
            return
    raise AssertionError(f"the loader ended before printing {marker!r}")


def _temp_files(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.tmp-*"))


def test_killed_load_leaves_the_previous_database_intact(tmp_path, db):
    big = _write_big_folder(tmp_path / "big")
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    # The database a complete load of ``big`` produces, and how long its write phase takes.
    reference = tmp_path / "reference" / "channel.duckdb"
    reference.parent.mkdir()
    proc = _start_load(big, reference)
    _wait_for(proc, "validated")
    t0 = time.perf_counter()
    assert proc.wait(timeout=60) == 0
    write_time = time.perf_counter() - t0
    new_card = _scorecard(reference, scratch)
    assert new_card.height == 3000

    old_bytes = digest(db)
    old_card = _scorecard(db, scratch)
    assert old_card.height == 3 and not old_card.equals(new_card)

    rng = random.Random(20250)
    kills, killed, mid_write = 5, 0, 0
    for k in range(kills):
        proc = _start_load(big, db)
        _wait_for(proc, "validated")  # from here on it writes the temporary database
        time.sleep(0.9 * write_time * (k + rng.random()) / kills)  # spread over the write phase
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()
        killed += proc.returncode == -signal.SIGKILL
        mid_write += bool(_temp_files(db))
        # Either the old file, untouched, or (killed after the swap) the complete new one.
        assert query(db, "select count(*) from partners")[0][0] in (3, 3000)  # opens read-only
        card = _scorecard(db, scratch)
        if digest(db) == old_bytes:
            assert card.equals(old_card)
        else:
            assert card.equals(new_card), f"kill {k}: the database is neither old nor new"
            old_bytes, old_card = digest(db), card
    assert killed >= 3, f"only {killed} of {kills} loads were still running when killed"
    assert mid_write >= 1, "no kill landed while the temporary database was being written"

    proc = _start_load(big, db)
    assert proc.wait(timeout=60) == 0
    if proc.stderr is not None:
        proc.stderr.close()
    assert _scorecard(db, scratch).equals(new_card)
    assert _temp_files(db) == []


def test_load_refused_while_another_holds_the_lock(tmp_path, db):
    before = digest(db)
    folder = write_folder(tmp_path / "src", BASE)
    with open(db.with_name(f".{db.name}.lock"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LoadError) as info:
            load(folder, db, settings=Settings())
        assert digest(db) == before
        fcntl.flock(handle, fcntl.LOCK_UN)
    assert "another load" in str(info.value)
    assert [p.file for p in info.value.problems] == [str(db)]
    # once the lock is free, the same load goes through
    load(folder, db, settings=Settings())


def test_next_load_removes_a_crashed_loads_leftovers(tmp_path, db):
    leftover = db.with_name(f".{db.name}.tmp-999999")
    leftover.write_bytes(b"half-written by a crashed load")
    (db.parent / (leftover.name + ".wal")).write_bytes(b"wal")
    expect_problem(tmp_path, db, cell("deals", 2, "amount", "-1"), file="deals.csv", line=2)
    load_ok(tmp_path, db, BASE)
    assert _temp_files(db) == []
