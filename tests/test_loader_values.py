"""The loader, one rule of the import contract per test for the values in the cells: required
values, duplicate keys, unknown partners, allowed sets, quarters, dates, amounts, and open deals
without a close date.

How the loader tests work (the folder ``BASE``, the database ``db``, ``expect_problem``): see
tests/README.md, "The loader tests"."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest

from tests.helpers import (
    BASE,
    EMPTY_CLOSED_ON,
    REQUIRED_COLUMNS,
    cell,
    expect_problem,
    files,
    load_ok,
    query,
    set_cell,
)

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
