"""The nowcast (channel/nowcast.py, queries/forecast/nowcast_features.sql): will the quarter in
progress end missed, from what was known on day d of past quarters.

The leakage test comes first: a feature of quarter q read at a share may use nothing dated
after its day d. Then feature values worked out by hand on a small folder written here (quarter
edges, a quarter without a target, the quarter in progress at its own share), and the rolling
origin on a 2,000-partner synthetic demo (generated, not a real channel).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from channel import fiscal, nowcast, risk
from channel.cli import main
from channel.loader import load
from tests.helpers import DATA

AS_OF = dt.date(2026, 1, 15)  # the tiny dataset's date, fixed for both loads
SHARE = 0.5
T = fiscal.parse_quarter("2025-Q3")  # 1 July to 30 September: 92 days
D = "2025-08-15"  # day d of T at half way: 1 July + floor(0.5 x 92) - 1

# Deals added to tiny for the leakage test (columns of tests/data/tiny/deals.csv), so that T
# has pipeline on day d and a deal closed exactly on it.
BEFORE_D = [
    "DP1,P01,30000,2025-09-10,won,Finance,2025-08-01,crm",  # pipeline at d, won later
    "DP2,P04,40000,2025-08-15,won,Retail,2025-08-01,crm",  # closed on d: revenue to date
    "DP3,P04,25000,2025-08-16,lost,Retail,2025-08-10,crm",  # pipeline at d, lost later
]


def _features(folder: Path, db: Path, share: float = SHARE) -> pl.DataFrame:
    load(folder, db, data_as_of=AS_OF)
    return nowcast.features(db, share)


def _after_d(folder: Path) -> None:
    """Change everything dated after day d of T, and nothing on or before it: flip won and
    lost for deals closed after d (amounts and dates kept: a pipeline deal's amount and close
    date are read as known at d), and add deals created after d, closing in T and later."""
    path = folder / "deals.csv"
    lines = path.read_text().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        status = cells[4].lower()
        if cells[3] > D and status in ("won", "lost"):
            cells[4] = "lost" if status == "won" else "won"
        out.append(",".join(cells))
    out += [
        "DX1,P02,900000,2025-09-05,won,Healthcare,2025-08-20,crm",
        "DX2,P03,500000,2025-10-10,won,Finance,2025-08-16,crm",
        "DX3,P06,100000,2025-11-15,lost,Retail,2025-09-01,crm",
        "DX4,P01,300000,2025-12-20,open,Finance,2025-12-01,crm",
    ]
    path.write_text("\n".join(out) + "\n")


def test_no_feature_reads_anything_after_day_d(tmp_path):
    base = tmp_path / "base"
    shutil.copytree(DATA / "tiny", base)
    with (base / "deals.csv").open("a") as f:
        f.write("\n".join(BEFORE_D) + "\n")
    changed = tmp_path / "changed"
    shutil.copytree(base, changed)
    _after_d(changed)
    before = _features(base, tmp_path / "before.duckdb")
    after = _features(changed, tmp_path / "after.duckdb")
    key = ["partner_id", "quarter_idx"]
    known = [c for c in before.columns if c != nowcast.OUTCOME]

    at_t = before.filter(pl.col("quarter_idx") == T)
    assert at_t.height > 0 and set(at_t["known_day"].cast(pl.String)) == {D}
    # the hand-added deals reach T's features: some pipeline, and the deal closed on d counts
    assert at_t["pipeline_amount"].sum() > 0
    p04 = at_t.filter(pl.col("partner_id") == "P04").row(0, named=True)
    assert p04["revenue_to_date"] == 90000  # D0407 (20 July) + DP2 (on d)

    upto = pl.col("quarter_idx") <= T
    a, b = before.filter(upto).select(known), after.filter(upto).select(known)
    assert a.equals(b), a.join(b, on=key, suffix="_after")
    # earlier quarters are untouched, outcome included
    earlier = pl.col("quarter_idx") < T
    assert before.filter(earlier).equals(after.filter(earlier))
    # the change did reach T's outcome and the later quarters' features, so the test would see
    # a feature that looked past d
    assert not before.filter(pl.col("quarter_idx") == T)[nowcast.OUTCOME].equals(
        after.filter(pl.col("quarter_idx") == T)[nowcast.OUTCOME]
    )
    later = pl.col("quarter_idx") > T
    assert not before.filter(later).select(known).equals(after.filter(later).select(known))


def test_day_d_is_the_data_date_at_the_quarter_in_progress_share():
    """On every day of a quarter of each length (90, 91, 92 days), passing the share elapsed as
    20_quarters.sql computes it back to the features gives d = the data's date, never the day
    before (the floor of a float a hair under the whole number) or after."""
    con = duckdb.connect()
    con.sql(
        "create table partners as select 'A' as partner_id, 'SMB' as segment, null as program_tier"
    )
    con.sql(
        "create table deals as select 'A' as partner_id, 0 as quarter_idx, 1.0 as amount,"
        " 'won' as status, date '2000-01-01' as closed_on, date '2000-01-01' as created_on"
        " where false"
    )
    con.sql(
        "create table partner_quarter as select 'A' as partner_id, 0 as quarter_idx,"
        " 100.0 as target_amount, null::boolean as is_missed, null::double as attainment,"
        " 0 as missed_streak, 0 as missed_last_8"
    )
    for start, end in (
        ("2025-01-01", "2025-03-31"),
        ("2024-01-01", "2024-03-31"),
        ("2025-07-01", "2025-09-30"),
    ):
        first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        for day in range((last - first).days):  # the last day makes the quarter complete
            as_of = first + dt.timedelta(days=day)
            con.sql("drop table if exists quarters")
            # share_elapsed exactly as queries/build/20_quarters.sql computes it
            con.sql(
                "create table quarters as select 0 as quarter_idx, 'Q' as fiscal_quarter,"
                " 'in_progress' as quarter_state, $s::date as quarter_start,"
                " $e::date as quarter_end, (date_diff('day', $s::date, $a::date) + 1)"
                " / (date_diff('day', $s::date, $e::date) + 1) as share_elapsed",
                params={"s": first, "e": last, "a": as_of},
            )
            share = con.sql("select share_elapsed from quarters").fetchall()[0][0]
            rows = nowcast.features(con, share)
            assert rows["known_day"].to_list() == [as_of], (as_of, share)


# ---------------------------------------------------------------------------------------------
# By hand. Data as of 10 February 2026: 2026-Q1 (90 days) is in progress at 41/90.

PARTNERS = """partner_id,partner_name,segment,region,program_tier,joined_on
A,Edges,SMB,EMEA,Gold,2023-01-01
B,No target in Q4,SMB,EMEA,,2023-01-01
C,Zero target in Q4,Midmarket,EMEA,Silver,2023-01-01
"""
TARGETS = """partner_id,fiscal_quarter,target_amount
A,2025-Q3,100000
A,2025-Q4,100000
A,2026-Q1,50000
B,2025-Q3,50000
B,2026-Q1,50000
C,2025-Q3,10000
C,2025-Q4,0
"""
# 2025-Q4 at half way: 92 days, d = 15 November
DEALS = """deal_id,partner_id,amount,closed_on,status,created_on
A01,A,120000,2025-08-10,won,2025-07-01
A10,A,2000,2025-09-30,won,2025-09-01
A02,A,3000,2025-10-01,won,2025-09-01
A03,A,10000,2025-11-15,won,2025-10-15
A04,A,6000,2025-11-10,lost,2025-10-01
A05,A,20000,2025-11-16,won,2025-11-01
A06,A,5000,2025-12-01,lost,2025-10-10
A07,A,7000,2025-12-20,won,2025-11-16
A08,A,1000,2025-12-31,open,2025-11-15
A09,A,8000,2026-01-02,won,2025-11-01
A11,A,2000,2026-02-10,won,2026-02-01
A12,A,30000,2026-03-10,open,2026-01-20
A13,A,9000,2026-04-05,open,2026-01-20
A14,A,4000,2026-02-05,open,2026-01-05
A15,A,50000,2026-02-11,won,2026-01-05
B01,B,10000,2025-11-01,won,2025-10-01
C01,C,12000,2025-11-01,won,2025-10-01
"""
HAND_AS_OF = dt.date(2026, 2, 10)


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("nowcast_hand")
    folder = root / "data"
    folder.mkdir()
    (folder / "partners.csv").write_text(PARTNERS)
    (folder / "targets.csv").write_text(TARGETS)
    (folder / "deals.csv").write_text(DEALS)
    db = root / "hand.duckdb"
    load(folder, db, data_as_of=HAND_AS_OF)
    return db


def _row(frame: pl.DataFrame, partner: str, quarter: str) -> dict:
    rows = frame.filter((pl.col("partner_id") == partner) & (pl.col("fiscal_quarter") == quarter))
    assert rows.height == 1, (partner, quarter, rows)
    return rows.row(0, named=True)


def test_a_past_quarter_at_half_way_by_hand(hand_db):
    f = nowcast.features(hand_db, 0.5)
    a = _row(f, "A", "2025-Q4")
    assert a["known_day"] == dt.date(2025, 11, 15)
    assert a["quarter_state"] == "complete"
    # won on the first day (A02, 3,000) and on d itself (A03, 10,000); not A05, won on d + 1
    assert a["revenue_to_date"] == 13000
    assert a["attainment_to_date"] == pytest.approx(0.13)
    assert a["pace"] == pytest.approx(0.26)
    assert a["deals_to_date"] == 2  # deals won to date; A04 was lost
    # created by d, closing d + 1 .. 31 December, whatever became of them: A05 (won later),
    # A06 (lost later), A08 (still open); not A07 (created after d) nor A09 (closes in 2026-Q1)
    assert a["pipeline_amount"] == 26000
    assert a["pipeline_coverage"] == pytest.approx(0.26)
    assert a["attainment_with_pipeline"] == pytest.approx(0.39)
    assert a["missed"] == 1  # the quarter ended at 40,000 of 100,000
    # known at the end of 2025-Q3: 122,000 of 100,000 (A10, won on its last day, is in Q3)
    assert a["attainment_prev"] == pytest.approx(1.22)
    assert (a["missed_prev"], a["missed_streak"], a["missed_last_8"]) == (0, 0, 0)
    assert a["segment"] == "SMB" and a["program_tier"] == "Gold"
    # B has no 2025-Q4 target and C a zero one: no row (nothing to be missed)
    q4 = f.filter(pl.col("fiscal_quarter") == "2025-Q4")
    assert q4["partner_id"].to_list() == ["A"]
    # half way through 2026-Q1 is 14 February, after the data's date: not known yet
    assert "2026-Q1" not in f["fiscal_quarter"].to_list()
    assert f["share"].unique().to_list() == [0.5]


def test_the_quarter_in_progress_at_its_own_share_by_hand(hand_db):
    with duckdb.connect(str(hand_db), read_only=True) as con:
        idx, label, share = nowcast.in_progress(con)
        f = nowcast.features(con, share)
    assert label == "2026-Q1" and share == pytest.approx(41 / 90)
    a = _row(f, "A", "2026-Q1")
    assert a["known_day"] == HAND_AS_OF and a["quarter_state"] == "in_progress"
    assert a["missed"] is None
    # A09 (2 January) and A11 (on the data's date); A15, won the day after, is not loaded
    assert a["revenue_to_date"] == 10000 and a["deals_to_date"] == 2
    assert a["attainment_to_date"] == pytest.approx(0.2)
    assert a["pace"] == pytest.approx(0.2 * 90 / 41)
    # the open deals due by 31 March: A12; not A13 (April) nor A14 (due 5 February, overdue)
    assert a["pipeline_amount"] == 30000 and a["pipeline_coverage"] == pytest.approx(0.6)
    # 2025-Q4: 40,000 of 100,000, the first miss
    assert a["attainment_prev"] == pytest.approx(0.4)
    assert (a["missed_prev"], a["missed_streak"], a["missed_last_8"]) == (1, 1, 1)
    b = _row(f, "B", "2026-Q1")
    # no target in 2025-Q4: nothing to say about that quarter, but the 2025-Q3 miss carries
    assert (b["missed_prev"], b["attainment_prev"]) == (None, None)
    assert (b["missed_streak"], b["missed_last_8"]) == (1, 1)
    assert b["program_tier"] == "Registered"
    # 2025-Q4 read at the same share: 1 October + floor(41 / 90 x 92) - 1 = 10 November
    assert _row(f, "A", "2025-Q4")["known_day"] == dt.date(2025, 11, 10)


def test_the_load_says_why_not_on_a_short_history(hand_db):
    with duckdb.connect(str(hand_db), read_only=True) as con:
        jobs, skipped = risk.nowcast_job(con)
    assert jobs == []
    # only 2025-Q3 has both a hit (A) and misses (B, C): far from enough to learn from
    assert [s["kind"] for s in skipped] == ["nowcast"]
    assert skipped[0]["note"].startswith("too little history to learn from")


def test_a_share_outside_the_quarter_is_refused(hand_db):
    for share in (0, -0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match="share"):
            nowcast.features(hand_db, share)


# ---------------------------------------------------------------------------------------------
# On the synthetic demo: data as of 30 November 2026, 2026-Q4 in progress at 61/92


@pytest.fixture(scope="module")
def demo_db(risk_demo_db) -> Path:
    """The 2,000-partner demo as of 30 November 2026 (tests/conftest.py)."""
    return risk_demo_db


def test_the_nowcast_beats_its_baselines_and_is_calibrated(demo_db):
    result = nowcast.backtest(demo_db, 0.5, holdout=4)
    assert len(result.quarters) == 4
    t = {r["model"]: r for r in result.table.iter_rows(named=True)}
    for baseline in ("base_rate", "pace", "pace_decile", "missed_last_quarter"):
        assert t["logistic"]["brier"] < t[baseline]["brier"], baseline
        assert t["logistic"]["log_loss"] < t[baseline]["log_loss"], baseline
        assert t["logistic"]["auc"] > t[baseline]["auc"], baseline
    assert t["logistic"]["ece"] <= 0.05
    assert result.predictions.height == int(t["logistic"]["rows"])
    assert "2026-Q4" not in result.quarters  # the quarter in progress has no outcome


def test_the_load_scores_the_quarter_in_progress(demo_db):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        jobs, skipped = risk.nowcast_job(con)
        current = nowcast.in_progress(con)
        loaded = con.sql(
            "select partner_id, miss_risk from partner_risk where kind = 'nowcast' order by all"
        ).pl()
    assert skipped == [] and len(jobs) == 1
    job = jobs[0]
    assert (job.quarter_idx, job.target_idx) == (current[0], current[0])
    assert current[2] == pytest.approx(61 / 92)
    assert job.rows["share"].unique().to_list() == [pytest.approx(61 / 92)]
    assert job.rows["partner_id"].n_unique() == job.rows.height > 0
    assert job.known > 0 and job.trained_to_idx == current[0] - 1  # the last complete quarter
    risk_, top, _base, _seconds = risk._fit_explain(job)
    assert ((risk_ >= 0) & (risk_ <= 1)).all()
    assert set(top["feature_1"]) <= set(nowcast.NUMERIC + nowcast.CATEGORICAL)
    # what the load wrote is this job's answer
    mine = pl.DataFrame({"partner_id": job.rows["partner_id"], "miss_risk": risk_})
    mine = mine.sort("partner_id")
    assert loaded["partner_id"].to_list() == mine["partner_id"].to_list()
    assert np.allclose(loaded["miss_risk"].to_numpy(), mine["miss_risk"].to_numpy(), atol=1e-9)


def test_backtest_cli_nowcast(demo_db, tmp_path, capsys):
    assert (
        main(["backtest", "--nowcast", "--share", "0.4", "--holdout", "2", "--db", str(demo_db)])
        == 0
    )
    out = capsys.readouterr().out
    assert "nowcast at 40.0%" in out and "missed_last_quarter" in out
    assert main(["backtest", "--nowcast", "--share", "1.5", "--db", str(demo_db)]) == 2
    assert "--share 1.5" in capsys.readouterr().err
    db = tmp_path / "short.duckdb"
    load(DATA / "tiny", db, data_as_of=AS_OF)
    assert main(["backtest", "--nowcast", "--json", "--holdout", "7", "--db", str(db)]) == 2
    assert "needs at least 2 before them" in capsys.readouterr().err
