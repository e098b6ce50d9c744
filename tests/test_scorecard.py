"""The partner scorecard against the tiny hand-built datasets.

Every expected value below was worked out by hand from the written rules (the README's KPI
definitions), not by running the code. The arithmetic, partner by partner, is in
tests/data/tiny/EXPECTED.md: when a test here fails, audit that file first, then the SQL.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import SCORECARD_COLUMNS as COLUMNS

# The to-date columns, filled in only when the as-of quarter is in progress (tested below).
TO_DATE_COLUMNS = ["as_of_state", "revenue_to_date", "target_share_elapsed", "pace"]
# The miss forecast's columns: empty here, as the tiny datasets are too small for the loader to
# fit a forecast (tests/test_risk_pages.py checks them on hand-made forecasts).
RISK_COLUMNS = ["miss_risk_next", "risk_drivers"]
KPI_COLUMNS = [c for c in COLUMNS[7:] if c not in TO_DATE_COLUMNS + RISK_COLUMNS]
FLOAT_COLUMNS = [
    "revenue_t4q",
    "attainment",
    "revenue_to_date",
    "target_share_elapsed",
    "pace",
    "alignment_score",
    "miss_risk_next",
]
INT_COLUMNS = ["won_deals_t4q", "missed_streak", "missed_last_8"]

# Descriptive columns, stored canonically (the files spell several of them in other cases).
IDENTITY = {
    "P01": ("Alpha Systems", "SMB", "North", "Reseller", "Silver", "Ann Lee"),
    "P02": ("Bravo, Inc.", "Midmarket", "South", "Integrator", "Silver", "Ben Ortiz"),
    "P03": ("Charlie Global", "Enterprise", "North", "Distributor", "Gold", "Cara Nyman"),
    "P04": ("Delta Direct", "SMB", "South", "Reseller", "Registered", "Ann Lee"),
    "P05": ("Echo Partners", "Enterprise", "West", "Integrator", "Gold", "Ben Ortiz"),
    "P06": ("Foxtrot Solutions", "Midmarket", "East", "Reseller", "Silver", "Cara Nyman"),
    "P07": ("Golf Consulting", "Enterprise", "North", "Distributor", "Registered", "Dan Wu"),
    "P08": ("Hotel Referrals", "Mixed", "West", "Referral", None, None),
    "P09": ("India Tech", "Midmarket", "East", "Integrator", "Platinum", "Dan Wu"),
    "P10": ("Juliet Retail IT", "SMB", "North", "Referral", "Registered", "Dan Wu"),
}
ALL_IDS = sorted(IDENTITY)

# KPI_COLUMNS, in order:
#   earned_tier, revenue_t4q, won_deals_t4q, attainment, missed_streak, missed_last_8,
#   alignment_score, status

# Default as-of = 2025-Q4 (latest quarter with a target). FY2025 priorities.
KPIS_2025Q4 = {
    # Silver floor hit exactly; attainment exactly 1.0; deals on 10-01 and 12-31; lost+open ignored.
    "P01": ("Silver", 250_000.0, 5, 1.0, 0, 0, 0.8, "ok"),
    # Gold floor hit exactly; program Silver; Q3 missed (lost deal ignored); focus on a 3/1 scale.
    "P02": ("Gold", 1_000_000.0, 5, 1.2, 0, 1, 0.25, "ok"),
    # Platinum; fallback mix without the empty-vertical deal; the 2026-01-15 deal must not count.
    "P03": ("Platinum", 6_500_000.0, 5, 2.0, 0, 0, 0.6875, "ok"),
    # Two misses in a row (open deal ignored).
    "P04": ("Silver", 350_000.0, 4, 0.8, 2, 2, 0.375, "watch"),
    # Zero revenue with a target; streak skips a zero target and a missing target; lost deal.
    "P05": ("Registered", 230_000.0, 3, 0.0, 3, 3, 0.125, "at_risk"),
    # Six of the last eight missed although the as-of quarter hit.
    "P06": ("Silver", 270_000.0, 4, 1.5, 0, 6, 0.5, "replace_review"),
    # Streak broken by a hit in 2025-Q3; five of eight missed is not enough for review.
    "P07": ("Silver", 300_000.0, 4, 0.5, 1, 5, 0.625, "ok"),
    # No focus, no won deal in the window; as-of target 0 = no target.
    "P08": ("Registered", 0.0, 0, None, 0, 0, None, "ok"),
    # No target row for the as-of quarter.
    "P09": ("Silver", 320_000.0, 4, None, 0, 0, 0.5, "ok"),
    # Empty status = won; "Retail", "retail", "Retail " merge in the fallback mix.
    "P10": ("Silver", 400_000.0, 4, 1.0, 0, 0, 0.375, "ok"),
}

# Explicit as-of 2024-Q4: the earlier fiscal year, FY2024 priorities, nothing from 2025 leaks in.
KPIS_2024Q4 = {
    "P01": ("Registered", 200_000.0, 4, 1.0, 0, 0, 0.4, "ok"),
    "P02": ("Gold", 1_000_000.0, 4, 1.0, 0, 0, 0.875, "ok"),
    "P03": ("Gold", 4_000_000.0, 4, 1.0, 0, 0, 1.0, "ok"),
    "P04": ("Silver", 400_000.0, 4, 1.0, 0, 0, 0.125, "ok"),
    "P05": ("Silver", 750_000.0, 4, 0.5, 1, 1, 0.0, "ok"),
    "P06": ("Registered", 220_000.0, 4, 0.4, 3, 3, 0.25, "at_risk"),
    "P07": ("Silver", 300_000.0, 4, 0.5, 2, 2, 0.5625, "watch"),
    "P08": ("Registered", 100_000.0, 2, None, 0, 0, 0.9, "ok"),
    "P09": ("Registered", 0.0, 0, None, 0, 0, 0.25, "ok"),
    "P10": ("Registered", 0.0, 0, None, 0, 0, None, "ok"),
}

# Explicit as-of 2025-Q3: mid fiscal year; the window straddles the year boundary.
KPIS_2025Q3 = {
    "P01": ("Registered", 200_000.0, 4, 1.0, 0, 0, 0.8, "ok"),
    "P03": ("Platinum", 5_500_000.0, 4, 1.5, 0, 0, 15 / 22, "ok"),
    "P04": ("Silver", 370_000.0, 4, 0.5, 1, 1, 0.375, "ok"),
    "P05": ("Silver", 330_000.0, 4, None, 2, 2, 0.125, "watch"),
    "P06": ("Registered", 160_000.0, 4, 0.4, 6, 6, 0.5, "replace_review"),
}

# tiny_fy_april (fiscal year starts in April).
APRIL_IDENTITY = {
    "F1": ("Fiscal April One", "Enterprise", "North", "Reseller", "Silver", "Ann Lee"),
    "F2": ("Fiscal April Two", "SMB", "South", "Referral", "Registered", "Ben Ortiz"),
}
APRIL_KPIS_DEFAULT = {  # as-of 2026-Q1 = Apr-Jun 2025; window Jul 2024 .. Jun 2025
    "F1": ("Silver", 320_000.0, 5, 1.0, 0, 0, 1.0, "ok"),
    "F2": ("Registered", 120_000.0, 4, 0.8, 2, 2, 0.5, "watch"),
}
APRIL_KPIS_2025Q4 = {  # as-of 2025-Q4 = Jan-Mar 2025; window Apr 2024 .. Mar 2025
    "F1": ("Registered", 135_000.0, 5, 1.0, 0, 0, 0.0, "ok"),
    "F2": ("Registered", 80_000.0, 3, 0.6, 1, 1, 1.0, "ok"),
}


def scorecard(db, as_of=None, segment=None, region=None, partner_type=None, program_tier=None,
              partner_manager=None, scope=None):  # fmt: skip
    from channel.runner import run

    return run(
        "scorecard",
        db=db,
        as_of=as_of,
        segment=segment,
        region=region,
        partner_type=partner_type,
        program_tier=program_tier,
        partner_manager=partner_manager,
        scope=scope,
    )


def rows_by_id(df) -> dict[str, dict]:
    rows = df.to_dicts()
    ids = [r["partner_id"] for r in rows]
    assert len(ids) == len(set(ids)), f"duplicate partner rows: {ids}"
    return {r["partner_id"]: r for r in rows}


def full_row(pid: str, identity: dict, kpis: dict) -> dict:
    """The whole export row as of a complete quarter (the to-date columns empty)."""
    row = dict(zip(COLUMNS[:7], (pid, *identity[pid]), strict=True))
    row |= kpi_row(pid, kpis) | {"as_of_state": "complete"}
    row |= {c: None for c in TO_DATE_COLUMNS[1:]}
    row |= dict.fromkeys(RISK_COLUMNS)
    return {c: row[c] for c in COLUMNS}


def kpi_row(pid: str, kpis: dict) -> dict:
    return dict(zip(KPI_COLUMNS, kpis[pid], strict=True))


# ---------------------------------------------------------------- default as-of (2025-Q4)


@pytest.fixture(scope="module")
def default_rows(tiny_db):
    return rows_by_id(scorecard(tiny_db))


def test_columns_exactly_in_order(tiny_db):
    assert scorecard(tiny_db).columns == COLUMNS


def test_one_row_per_partner(default_rows):
    assert sorted(default_rows) == ALL_IDS


def test_column_types(tiny_db):
    import polars as pl

    schema = scorecard(tiny_db).schema
    for name in FLOAT_COLUMNS:
        assert schema[name].is_float(), (name, schema[name])
    for name in INT_COLUMNS:
        assert schema[name].is_integer(), (name, schema[name])
    for name in set(COLUMNS) - set(FLOAT_COLUMNS) - set(INT_COLUMNS):
        assert schema[name] == pl.String, (name, schema[name])


@pytest.mark.parametrize("pid", ALL_IDS)
def test_default_scorecard_row(default_rows, pid):
    expected = full_row(pid, IDENTITY, KPIS_2025Q4)
    assert list(default_rows[pid]) == COLUMNS
    assert default_rows[pid] == pytest.approx(expected)


def test_default_as_of_is_latest_target_quarter(tiny_db):
    """No target is dated after 2025-Q4, though a won deal is (2026-01-15)."""
    assert (
        scorecard(tiny_db).sort("partner_id").to_dicts()
        == scorecard(tiny_db, as_of="2025-Q4").sort("partner_id").to_dicts()
    )


# ---------------------------------------------------------------- explicit earlier as-of


@pytest.mark.parametrize("pid", ALL_IDS)
def test_as_of_2024q4_earlier_fiscal_year(tiny_db, pid):
    rows = rows_by_id(scorecard(tiny_db, as_of="2024-Q4"))
    assert sorted(rows) == ALL_IDS
    actual = {c: rows[pid][c] for c in KPI_COLUMNS}
    assert actual == pytest.approx(kpi_row(pid, KPIS_2024Q4))


@pytest.mark.parametrize("pid", sorted(KPIS_2025Q3))
def test_as_of_2025q3_mid_year(tiny_db, pid):
    rows = rows_by_id(scorecard(tiny_db, as_of="2025-Q3"))
    actual = {c: rows[pid][c] for c in KPI_COLUMNS}
    assert actual == pytest.approx(kpi_row(pid, KPIS_2025Q3))


def test_as_of_does_not_change_descriptive_columns(tiny_db, default_rows):
    rows = rows_by_id(scorecard(tiny_db, as_of="2024-Q4"))
    for pid in ALL_IDS:
        assert [rows[pid][c] for c in COLUMNS[:7]] == [pid, *IDENTITY[pid]]


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("filters", "expected_ids"),
    [
        ({"segment": ["SMB"]}, ["P01", "P04", "P10"]),
        ({"segment": ["SMB", "Midmarket"]}, ["P01", "P02", "P04", "P06", "P09", "P10"]),
        ({"segment": ["SMB"], "region": ["North"]}, ["P01", "P10"]),
        ({"program_tier": ["Silver"]}, ["P01", "P02", "P06"]),
        ({"partner_manager": ["Dan Wu"]}, ["P07", "P09", "P10"]),
    ],
    ids=["smb", "smb-or-midmarket", "smb-and-north", "program-silver", "manager"],
)
def test_filters(tiny_db, default_rows, filters, expected_ids):
    rows = rows_by_id(scorecard(tiny_db, **filters))
    assert sorted(rows) == expected_ids
    # Filtering selects rows; it never changes a partner's figures.
    for pid in expected_ids:
        assert rows[pid] == default_rows[pid]


# ---------------------------------------------------------------- fiscal year starting in April


@pytest.mark.parametrize("pid", sorted(APRIL_IDENTITY))
def test_april_start_default_as_of(tiny_db_april, pid):
    rows = rows_by_id(scorecard(tiny_db_april))
    assert sorted(rows) == sorted(APRIL_IDENTITY)
    assert rows[pid] == pytest.approx(full_row(pid, APRIL_IDENTITY, APRIL_KPIS_DEFAULT))


def test_april_start_default_as_of_is_2026q1(tiny_db_april):
    assert (
        scorecard(tiny_db_april).sort("partner_id").to_dicts()
        == scorecard(tiny_db_april, as_of="2026-Q1").sort("partner_id").to_dicts()
    )


@pytest.mark.parametrize("pid", sorted(APRIL_IDENTITY))
def test_april_start_as_of_2025q4(tiny_db_april, pid):
    rows = rows_by_id(scorecard(tiny_db_april, as_of="2025-Q4"))
    actual = {c: rows[pid][c] for c in KPI_COLUMNS}
    assert actual == pytest.approx(kpi_row(pid, APRIL_KPIS_2025Q4))


# ------------------------------------------- the hand-assigned quarters agree with channel.fiscal


@pytest.mark.parametrize(
    ("day", "start_month", "label"),
    [
        ("2024-12-31", 1, "2024-Q4"),
        ("2025-01-01", 1, "2025-Q1"),
        ("2025-03-31", 1, "2025-Q1"),
        ("2025-04-01", 1, "2025-Q2"),
        ("2025-09-30", 1, "2025-Q3"),
        ("2025-10-01", 1, "2025-Q4"),
        ("2025-12-31", 1, "2025-Q4"),
        ("2026-01-15", 1, "2026-Q1"),
        ("2024-03-31", 4, "2024-Q4"),
        ("2024-04-01", 4, "2025-Q1"),
        ("2024-06-30", 4, "2025-Q1"),
        ("2024-12-31", 4, "2025-Q3"),
        ("2025-01-01", 4, "2025-Q4"),
        ("2025-03-31", 4, "2025-Q4"),
        ("2025-04-01", 4, "2026-Q1"),
        ("2025-06-30", 4, "2026-Q1"),
        ("2025-07-01", 4, "2026-Q2"),
    ],
)
def test_dataset_dates_fall_in_hand_assigned_quarters(day, start_month, label):
    from channel.fiscal import quarter_label, quarter_of

    assert quarter_label(quarter_of(dt.date.fromisoformat(day), start_month)) == label


def test_to_date_columns_are_empty_for_a_complete_quarter_and_filled_in_progress(tiny_db):
    # The tiny data's latest deal date is 2026-01-15 (P03's D0310, 2,000,000 won), so 2025-Q4 is
    # complete and 2026-Q1 is in progress: 15 of its 90 days have elapsed. No partner has a
    # 2026-Q1 target, so attainment and pace are empty there; revenue to date is D0310 alone.
    complete = scorecard(tiny_db)
    assert set(complete["as_of_state"]) == {"complete"}
    assert complete.select(TO_DATE_COLUMNS[1:]).null_count().row(0) == (10, 10, 10)
    to_date = {r["partner_id"]: r for r in scorecard(tiny_db, as_of="2026-Q1").to_dicts()}
    assert {r["as_of_state"] for r in to_date.values()} == {"in_progress"}
    assert to_date["P03"]["revenue_to_date"] == 2_000_000.0
    assert {p: r["revenue_to_date"] for p, r in to_date.items() if p != "P03"} == {
        p: 0.0 for p in ALL_IDS if p != "P03"
    }
    assert to_date["P03"]["target_share_elapsed"] == pytest.approx(15 / 90)
    assert all(r["pace"] is None and r["attainment"] is None for r in to_date.values())
