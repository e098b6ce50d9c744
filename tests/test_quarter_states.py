"""Quarters that are not over yet: a plan ahead or a partial quarter never counts as a miss.

A hand-built dataset, written out below, with every expected value worked out by hand in the
comments. Fiscal years start in January unless a test says otherwise. Three partners, targets of
100 in every quarter of 2025 and 2026-Q1, deals on the dates shown:

    partner  2025-Q1   2025-Q2   2025-Q3   2025-Q4   | 2026-Q1 (to 2026-02-15)
    A        50 miss   50 miss   50 miss   150 hit   | 30 (2026-01-20)
    B        100 hit   80 miss   90 miss   60 miss   | nothing
    C        120 hit   100 hit   40 miss   70 miss   | 60 (2026-02-15)

As of 2025-Q4 (complete):
    A: streak 0 (the Q4 hit ends it), missed_last_8 3 -> ok
    B: streak 3 (Q2, Q3, Q4), missed_last_8 3 -> at_risk (at_risk_streak 3)
    C: streak 2 (Q3, Q4), missed_last_8 2 -> watch (watch_streak 2)
2026-Q1 runs from 2026-01-01 to 2026-03-31: 90 days. On 2026-02-15, 31 + 15 = 46 days have
elapsed: share_elapsed = 46/90. Pace = attainment to date / share elapsed:
    A: 30/100 = 0.30 -> 0.30 / (46/90) = 27/46 = 0.5869...
    B: 0 -> 0
    C: 60/100 = 0.60 -> 0.60 / (46/90) = 54/46 = 1.1739...
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from channel.cli import main
from channel.loader import load
from channel.runner import run
from channel.settings import Settings
from tests.helpers import (
    DEALS_2025,
    DEALS_2026,
    PLAN_2026,
    QUARTERS_2025,
    STATUS_2025Q4,
)
from tests.helpers import quarter_states_folder as _folder


def _load(folder: Path, db: Path, settings: Settings | None = None, **kw):
    return load(folder, db, settings or Settings(), **kw)


def _statuses(db: Path, as_of: str | None = None) -> dict[str, tuple]:
    card = run("scorecard", db=db, **_everyone(as_of))
    return {
        r["partner_id"]: (r["missed_streak"], r["missed_last_8"], r["status"])
        for r in card.iter_rows(named=True)
    }


def _everyone(as_of: str | None = None) -> dict:
    return {
        "as_of": as_of,
        "segment": None,
        "region": None,
        "partner_type": None,
        "program_tier": None,
        "partner_manager": None,
        "scope": None,
    }


def _default_as_of(db: Path) -> str:
    quarters = run("as_of_quarters", db=db)
    return quarters.filter(pl.col("is_default"))["fiscal_quarter"].item()


def test_a_plan_ahead_does_not_change_the_statuses(tmp_path):
    # Deals end on 2025-12-31. With the plan for 2026 loaded, the old default as-of (the latest
    # quarter with a target) was 2026-Q4 and every partner "missed" it. Now 2025-Q4 is the default.
    without = _load(_folder(tmp_path / "a", DEALS_2025, QUARTERS_2025), tmp_path / "a.duckdb")
    with_plan = _load(
        _folder(tmp_path / "b", DEALS_2025, QUARTERS_2025 + PLAN_2026),
        tmp_path / "b.duckdb",
    )
    assert without.data_as_of == with_plan.data_as_of == dt.date(2025, 12, 31)
    assert with_plan.default_as_of == without.default_as_of == "2025-Q4"
    assert _statuses(tmp_path / "a.duckdb") == STATUS_2025Q4
    assert _statuses(tmp_path / "b.duckdb") == STATUS_2025Q4
    assert "2025-Q4 complete; 2026-Q1 to 2026-Q4 planned" in with_plan.report()
    assert "data as of 2025-12-31 (latest deal date)" in with_plan.report()
    # the planned quarters are kept as the plan, never as an as-of quarter
    grid = run("as_of_quarters", db=tmp_path / "b.duckdb")
    planned = grid.filter(pl.col("quarter_state") == "planned")
    assert planned["fiscal_quarter"].sort().to_list() == PLAN_2026
    assert not planned["is_pickable"].any()
    trend = run("revenue_by_quarter", db=tmp_path / "b.duckdb", quarters=4, **_everyone())
    assert trend["fiscal_quarter"].to_list() == QUARTERS_2025 + PLAN_2026
    assert trend.filter(pl.col("is_plan"))["target"].to_list() == [300.0] * 4
    assert trend.filter(pl.col("is_plan"))["revenue"].null_count() == 4


def test_mid_quarter_the_quarter_in_progress_is_to_date_and_never_missed(mid_quarter_db):
    db = mid_quarter_db
    assert _default_as_of(db) == "2025-Q4"  # the latest complete quarter with a target
    assert _statuses(db) == STATUS_2025Q4
    card = {r["partner_id"]: r for r in run("scorecard", db=db, **_everyone("2026-Q1")).to_dicts()}
    share = 46 / 90
    for pid, revenue in (("A", 30.0), ("B", 0.0), ("C", 60.0)):
        row = card[pid]
        assert row["as_of_state"] == "in_progress"
        assert row["revenue_to_date"] == revenue
        assert row["attainment"] == pytest.approx(revenue / 100)
        assert row["target_share_elapsed"] == pytest.approx(share)
        assert row["pace"] == pytest.approx(revenue / 100 / share)
        # streaks, last-8 counts and statuses are those of the complete quarters before it
        assert (row["missed_streak"], row["missed_last_8"], row["status"]) == STATUS_2025Q4[pid]
    assert card["A"]["pace"] == pytest.approx(27 / 46)
    assert card["C"]["pace"] == pytest.approx(54 / 46)
    quarter = run(
        "partner_quarters", db=db, partner_id="B", as_of="2026-Q1", quarters=2, scope=None
    )
    assert quarter["is_missed"].to_list() == [True, None]  # 2025-Q4 missed; 2026-Q1 not over
    # a complete as-of quarter has no to-date columns
    complete = run("scorecard", db=db, **_everyone("2025-Q4"))
    assert set(complete["as_of_state"]) == {"complete"}
    assert complete["revenue_to_date"].null_count() == complete["pace"].null_count() == 3
    # the miss rate has no row for a quarter that is not over
    rates = run("missed_rate_by_quarter", db=db, quarters=8, **_everyone("2026-Q1"))
    assert "2026-Q1" not in rates["fiscal_quarter"].to_list()
    heat = run("missed_heatmap", db=db, quarters=2, limit=10, **_everyone("2026-Q1"))
    in_progress = heat.filter(pl.col("fiscal_quarter") == "2026-Q1")
    assert set(in_progress["quarter_state"]) == {"in_progress"}
    assert in_progress["is_missed"].null_count() == 3


def test_after_the_quarter_ends_it_counts(tmp_path):
    # The same data as of 2026-03-31, the last day of 2026-Q1: the quarter is complete, so every
    # partner misses it (A 30, B 0, C 60 against 100). Streaks: A 1, B 4, C 3; last-8 misses:
    # A 3 + 1 = 4, B 3 + 1 = 4, C 2 + 1 = 3. Statuses: A ok (1 < 2), B and C at_risk (>= 3).
    folder = _folder(tmp_path / "src", DEALS_2025 + DEALS_2026, QUARTERS_2025 + PLAN_2026)
    summary = _load(folder, tmp_path / "end.duckdb", data_as_of=dt.date(2026, 3, 31))
    assert summary.data_as_of_source == "--data-as-of"
    assert summary.default_as_of == "2026-Q1"
    assert "2026-Q1 complete; 2026-Q2 to 2026-Q4 planned" in summary.report()
    assert _statuses(tmp_path / "end.duckdb") == {
        "A": (1, 4, "ok"),
        "B": (4, 4, "at_risk"),
        "C": (3, 3, "at_risk"),
    }
    card = run("scorecard", db=tmp_path / "end.duckdb", **_everyone())
    assert set(card["as_of_state"]) == {"complete"} and card["pace"].null_count() == 3


def test_the_day_before_the_quarter_ends_it_is_still_in_progress(tmp_path):
    folder = _folder(tmp_path / "src", DEALS_2025 + DEALS_2026, QUARTERS_2025 + PLAN_2026)
    db = tmp_path / "eve.duckdb"
    summary = _load(folder, db, data_as_of=dt.date(2026, 3, 30))
    assert summary.default_as_of == "2025-Q4"
    assert "2026-Q1 in progress (99% elapsed)" in summary.report()  # 89/90
    card = run("scorecard", db=db, **_everyone("2026-Q1"))
    assert card["target_share_elapsed"].to_list() == pytest.approx([89 / 90] * 3)
    assert _statuses(db, "2026-Q1") == STATUS_2025Q4


def test_an_earlier_data_date_leaves_later_deals_out(tmp_path):
    # As of 2026-01-31: C's deal of 2026-02-15 has not happened yet; A's of 2026-01-20 has.
    folder = _folder(tmp_path / "src", DEALS_2025 + DEALS_2026, QUARTERS_2025 + PLAN_2026)
    db = tmp_path / "jan.duckdb"
    summary = _load(folder, db, data_as_of=dt.date(2026, 1, 31))
    assert any("1 deals close or were created after" in w for w in summary.warnings)
    card = {r["partner_id"]: r for r in run("scorecard", db=db, **_everyone("2026-Q1")).to_dicts()}
    assert card["A"]["revenue_to_date"] == 30.0 and card["C"]["revenue_to_date"] == 0.0
    assert card["A"]["target_share_elapsed"] == pytest.approx(31 / 90)


def test_the_data_date_comes_from_the_flag_then_the_settings_then_the_deals(tmp_path):
    folder = _folder(tmp_path / "src", DEALS_2025 + DEALS_2026, QUARTERS_2025)
    from_settings = _load(folder, tmp_path / "s.duckdb", Settings(data_as_of=dt.date(2026, 1, 31)))
    assert from_settings.data_as_of == dt.date(2026, 1, 31)
    assert from_settings.data_as_of_source == "data_as_of in the settings"
    flag_wins = _load(
        folder,
        tmp_path / "f.duckdb",
        Settings(data_as_of=dt.date(2026, 1, 31)),
        data_as_of=dt.date(2026, 2, 1),
    )
    assert flag_wins.data_as_of == dt.date(2026, 2, 1)
    fresh = run("data_freshness", db=tmp_path / "f.duckdb").row(0, named=True)
    assert fresh["data_as_of"] == dt.date(2026, 2, 1)
    assert fresh["data_as_of_source"] == "--data-as-of"


def test_the_latest_deal_date_is_never_later_than_today(tmp_path):
    future = dt.date.today() + dt.timedelta(days=400)
    deals = [*DEALS_2025, ("Z1", "A", 10, future.isoformat(), "won")]
    summary = _load(_folder(tmp_path / "src", deals, QUARTERS_2025), tmp_path / "z.duckdb")
    assert summary.data_as_of == dt.date.today()
    assert any("1 deals close or were created after" in w for w in summary.warnings)


def test_a_fiscal_year_that_starts_in_april(tmp_path):
    # FY2026 runs from 2025-04-01 to 2026-03-31: 2026-Q3 is Oct-Dec 2025, 2026-Q4 Jan-Mar 2026,
    # 2027-Q1 Apr-Jun 2026. As of 2026-02-15: 2026-Q3 complete (A: 150 against 100, a hit; B: 60,
    # a miss; C: 70, a miss), 2026-Q4 in progress (46 of 90 days), 2027-Q1 planned.
    folder = _folder(tmp_path / "src", DEALS_2025 + DEALS_2026, ["2026-Q3", "2026-Q4", "2027-Q1"])
    db = tmp_path / "april.duckdb"
    summary = _load(folder, db, Settings(fiscal_year_start_month=4))
    assert summary.data_as_of == dt.date(2026, 2, 15)
    assert summary.default_as_of == "2026-Q3"
    assert "2026-Q3 complete; 2026-Q4 in progress (51% elapsed); 2027-Q1 planned" in (
        summary.report()
    )
    quarters = run("as_of_quarters", db=db)
    states = dict(zip(quarters["fiscal_quarter"], quarters["quarter_state"], strict=True))
    assert states["2026-Q3"] == "complete" and states["2027-Q1"] == "planned"
    card = {r["partner_id"]: r for r in run("scorecard", db=db, **_everyone("2026-Q4")).to_dicts()}
    assert card["A"]["revenue_to_date"] == 30.0
    assert card["A"]["pace"] == pytest.approx(27 / 46)
    assert {p: r["status"] for p, r in card.items()} == {"A": "ok", "B": "ok", "C": "ok"}
    assert {p: r["missed_streak"] for p, r in card.items()} == {"A": 0, "B": 1, "C": 1}


def test_a_planned_as_of_is_refused_on_the_command_line(mid_quarter_db, capsys):
    code = main(["export", "scorecard", "--db", str(mid_quarter_db), "--as-of", "2026-Q3"])
    err = capsys.readouterr().err
    assert code == 2
    assert "planned quarter" in err and "2026-02-15" in err and "Traceback" not in err
    assert main(["export", "scorecard", "--db", str(mid_quarter_db), "--as-of", "2026-Q1"]) == 0
    exported = pl.read_csv(capsys.readouterr().out.encode(), infer_schema_length=None)
    assert set(exported["as_of_state"]) == {"in_progress"}


def test_load_takes_the_data_date_on_the_command_line(tmp_path, capsys):
    folder = _folder(tmp_path / "src", DEALS_2025 + DEALS_2026, QUARTERS_2025)
    db = tmp_path / "cli.duckdb"
    assert main(["load", str(folder), "--db", str(db), "--data-as-of", "2026-03-31"]) == 0
    assert "data as of 2026-03-31 (--data-as-of): 2026-Q1 complete" in capsys.readouterr().out
    assert main(["load", str(folder), "--db", str(db), "--data-as-of", "31/03/2026"]) == 2
    assert "--data-as-of" in capsys.readouterr().err


def test_a_planned_as_of_in_the_url_falls_back_with_a_notice(app_on, mid_quarter_db):
    at = app_on(mid_quarter_db, as_of="2026-Q3")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "has not started yet: it is a planned quarter" in warnings
    assert "Showing 2025-Q4" in warnings
    assert at.selectbox(key="as_of").value == "2025-Q4"


@pytest.mark.parametrize(
    "page",
    [
        "pages/overview.py",
        "pages/tiers.py",
        "pages/alignment.py",
        "pages/missed_targets.py",
        "pages/portfolio.py",
        "pages/partner.py",
    ],
)
def test_every_page_draws_the_quarter_in_progress(app_on, mid_quarter_db, page):
    at = app_on(mid_quarter_db, as_of="2026-Q1 (in progress)", partner="C")
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception
    assert at.selectbox(key="as_of").value == "2026-Q1"
    text = " ".join(str(m.value) for m in at.markdown) + " ".join(i.value for i in at.info)
    assert "Data as of 2026-02-15 (latest deal date)" in text
    assert "2026-Q1 is in progress" in text
    labels = " ".join(m.label for m in at.metric)
    if page in ("pages/overview.py", "pages/partner.py"):  # portfolio: with a manager only
        assert "Attainment 2026-Q1 to date" in labels


def test_a_plain_link_to_the_quarter_in_progress_says_how_it_reads(app_on, mid_quarter_db):
    at = app_on(mid_quarter_db, as_of="2026-Q1")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "is in progress: its link reads" in warnings and "Showing 2025-Q4" in warnings
