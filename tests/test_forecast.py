"""The miss forecast's features and backtest (channel/forecast.py, queries/forecast/).

The leakage test comes first: a feature of quarter t may read nothing dated after the end of t.
The scores are recomputed by hand on four rows. The demo checks run the rolling origin on a
2,000-partner synthetic demo: the demo is generated, not a real channel.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from channel import fiscal, forecast
from channel.cli import main
from channel.loader import load
from tests.helpers import DATA

AS_OF = dt.date(2026, 1, 15)  # the tiny dataset's date, fixed for both loads
T = fiscal.parse_quarter("2025-Q2")  # quarter t of the leakage test; it ends 2025-06-30
T_END = "2025-06-30"


def _features(folder: Path, db: Path) -> pl.DataFrame:
    load(folder, db, data_as_of=AS_OF)
    return forecast.features(db)


def _after_t(folder: Path) -> None:
    """Change everything dated after the end of t, and nothing before: flip won and lost for
    deals closed after it (amounts and dates kept: an open deal's amount and expected close
    date were known at t), and add deals created after it, closing in t + 1 and later."""
    path = folder / "deals.csv"
    lines = path.read_text().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        if cells[3] > T_END and cells[4] in ("won", "lost"):
            cells[4] = "lost" if cells[4] == "won" else "won"
        out.append(",".join(cells))
    out += [
        "DX1,P01,900000,2025-08-01,won,Finance,2025-07-05,crm",
        "DX2,P02,700000,2025-09-30,won,Retail,2025-07-01,crm",
        "DX3,P03,500000,2025-11-15,lost,Retail,2025-08-01,crm",
        "DX4,P01,300000,,open,Finance,2025-12-01,crm",
    ]
    path.write_text("\n".join(out) + "\n")


def test_no_feature_reads_anything_after_the_end_of_t(tmp_path):
    before = _features(DATA / "tiny", tmp_path / "before.duckdb")
    changed = tmp_path / "changed"
    shutil.copytree(DATA / "tiny", changed)
    _after_t(changed)
    after = _features(changed, tmp_path / "after.duckdb")
    known = [c for c in before.columns if c != forecast.OUTCOME]
    at_or_before_t = pl.col("quarter_idx") <= T
    a = before.filter(at_or_before_t).select(known)
    b = after.filter(at_or_before_t).select(known)
    assert a.height > 0 and a["quarter_idx"].max() == T
    assert a.equals(b), a.join(b, on=["partner_id", "quarter_idx"], suffix="_after")
    # the change did reach later quarters: the test would see a feature that looked ahead
    later = pl.col("quarter_idx") > T
    assert not before.filter(later).select(known).equals(after.filter(later).select(known))


PARTNERS = """partner_id,partner_name,segment,region,program_tier,joined_on
A,Thin pipeline,Midmarket,EMEA,Gold,2023-01-01
B,Full pipeline,Midmarket,EMEA,Gold,2023-01-01
"""


def _pipeline_case(root: Path) -> pl.DataFrame:
    """Partners A and B alike up to t = 2025-Q4, except that B's deals open at the end of t and
    due in 2026-Q1 add up to three times its 2026-Q1 target, and A has none."""
    folder = root / "pipeline"
    folder.mkdir()
    (folder / "partners.csv").write_text(PARTNERS)
    targets = ["partner_id,fiscal_quarter,target_amount"]
    deals = ["deal_id,partner_id,amount,closed_on,status,created_on"]
    for p in ("A", "B"):
        for q in ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"):
            targets.append(f"{p},{q},100000")
        for i, day in enumerate(("2025-02-10", "2025-05-10", "2025-08-10", "2025-11-10")):
            deals.append(f"{p}{i},{p},90000,{day},won,{day[:8]}01")
    # B: 300,000 due in 2026-Q1, created by the end of t: one won later, one lost, one still open
    deals += [
        "B10,B,100000,2026-01-20,won,2025-12-01",
        "B11,B,100000,2026-02-20,lost,2025-11-01",
        "B12,B,100000,2026-03-30,open,2025-12-15",
        "A10,A,100000,2026-02-01,won,2026-01-05",  # created after t: not pipeline at t
    ]
    (folder / "targets.csv").write_text("\n".join(targets) + "\n")
    (folder / "deals.csv").write_text("\n".join(deals) + "\n")
    db = root / "pipeline.duckdb"
    load(folder, db, data_as_of=dt.date(2026, 2, 25))
    return forecast.features(db).filter(pl.col("fiscal_quarter") == "2025-Q4")


def test_pipeline_coverage_by_hand(tmp_path):
    rows = _pipeline_case(tmp_path).sort("partner_id")
    assert rows["partner_id"].to_list() == ["A", "B"]
    assert rows["pipeline_coverage"].to_list() == [0.0, 3.0]  # 300,000 / 100,000
    assert rows["target_next"].to_list() == [100000.0, 100000.0]
    assert rows["attainment"].to_list() == [0.9, 0.9]  # both missed t: 90,000 of 100,000
    assert rows["missed_now"].to_list() == [1, 1]
    assert rows["missed_next"].to_list() == [None, None]  # 2026-Q1 is in progress


# ---------------------------------------------------------------------------------------------
# Scores by hand: y = 1, 0, 1, 0 predicted 0.9, 0.1, 0.6, 0.4


Y = np.array([1.0, 0.0, 1.0, 0.0])
P = np.array([0.9, 0.1, 0.6, 0.4])


def test_scores_by_hand():
    s = forecast.scores(Y, P)
    assert s["auc"] == 1.0  # both misses ranked above both hits
    assert s["brier"] == pytest.approx((0.01 + 0.01 + 0.16 + 0.16) / 4)  # 0.085
    assert s["log_loss"] == pytest.approx(-(2 * math.log(0.9) + 2 * math.log(0.6)) / 4)
    # one row in each of four bins: |0.9-1|, |0.1-0|, |0.6-1|, |0.4-0|, a quarter each
    assert s["ece"] == pytest.approx(0.25 * (0.1 + 0.1 + 0.4 + 0.4))
    # the top tenth of 4 rows is 1 row (0.9, a miss): precision 1, lift 1 / 0.5
    assert (s["top_decile_precision"], s["top_decile_lift"]) == (1.0, 2.0)


def test_reliability_by_decile_by_hand():
    table = forecast.reliability(Y, P, bins=2)
    # sorted: 0.1 (0), 0.4 (0) | 0.6 (1), 0.9 (1)
    assert table.rows() == [(1, 2, 0.25, 0.0), (2, 2, 0.75, 1.0)]


# ---------------------------------------------------------------------------------------------
# On the synthetic demo


@pytest.fixture(scope="module")
def demo_features(risk_demo_db) -> pl.DataFrame:
    return forecast.features(risk_demo_db)


QUICK = {k: forecast.MODELS[k] for k in ("logistic", "base_rate", "missed_now", "status")}


def test_the_logistic_model_beats_every_baseline_and_is_calibrated(demo_features):
    result = forecast.backtest(demo_features, holdout=6, models=QUICK)
    assert len(result.quarters) == 6
    t = {r["model"]: r for r in result.table.iter_rows(named=True)}
    for baseline in ("base_rate", "missed_now", "status"):
        assert t["logistic"]["brier"] < t[baseline]["brier"], baseline
        assert t["logistic"]["log_loss"] < t[baseline]["log_loss"], baseline
    assert t["logistic"]["ece"] <= 0.05
    # every held-out row was scored by a model that never saw its outcome quarter
    assert result.predictions.height == int(t["logistic"]["rows"])
    # the early-warning list: partners the status rule calls ok, ranked by risk, miss more
    n, precision, ok_rate = result.early_warning()
    assert n > 0 and precision > 2 * ok_rate


def test_zero_pipeline_ranks_riskier_than_three_times_the_target(demo_features, tmp_path):
    fit = forecast.logistic()(demo_features.filter(pl.col(forecast.OUTCOME).is_not_null()))
    rows = _pipeline_case(tmp_path).sort("partner_id")
    risk = dict(zip(rows["partner_id"], fit(rows), strict=True))
    assert risk["A"] > risk["B"], risk


def test_backtest_cli(demo_features, tmp_path, capsys):
    db = tmp_path / "short.duckdb"
    load(DATA / "tiny", db, data_as_of=AS_OF)
    assert main(["backtest", "--db", str(db)]) == 2  # too little history: said, not raised
    assert "needs at least 2 before them" in capsys.readouterr().err
