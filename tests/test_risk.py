"""The miss forecast at load (channel/risk.py): partner_risk and risk_model.

The leakage test comes first, at the level of what ships: the risk a load writes for as-of
quarter t must not move when anything after the end of t changes. Then the drivers: they add up
to the risk exactly, the three kept are the largest, and their words are checked by hand. The
demo used here is synthetic (channel/demo.py), not a real channel.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from channel import demo, fiscal, forecast, risk
from channel.loader import load

LEAK_AS_OF = dt.date(2026, 11, 30)
T = fiscal.parse_quarter("2025-Q4")  # quarter t of the leakage test; it ends 2025-12-31
T_END = dt.date(2025, 12, 31)


def _table(db: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).pl()


def test_the_risk_at_t_does_not_move_when_the_future_changes(tmp_path):
    """Two loads of one demo: in the second, every deal that closed after the end of t has won
    and lost swapped. The outcomes of t + 1 and later change, so the risks of later as-of
    quarters do; the risks at t and before must not. Equal up to 1e-9: DuckDB's parallel sums
    add in any order, so two loads of the same files differ in the 16th digit (2e-16 in an
    alignment score was seen here, 3e-10 in a risk); a feature that looked ahead moves by
    far more."""
    source = tmp_path / "source"
    demo.generate(source, partners=600, seed=3, data_as_of=LEAK_AS_OF)
    changed = tmp_path / "changed"
    changed.mkdir()
    for f in source.iterdir():
        frame = pl.read_parquet(f)
        if f.stem == "deals":
            after = pl.col("closed_on") > T_END
            frame = frame.with_columns(
                pl.when(after & (pl.col("status") == "won"))
                .then(pl.lit("lost"))
                .when(after & (pl.col("status") == "lost"))
                .then(pl.lit("won"))
                .otherwise(pl.col("status"))
                .alias("status")
            )
        frame.write_parquet(changed / f.name)
    load(source, tmp_path / "before.duckdb", data_as_of=LEAK_AS_OF)
    load(changed, tmp_path / "after.duckdb", data_as_of=LEAK_AS_OF)
    sql = "select * from partner_risk order by quarter_idx, kind, partner_id"
    before, after = _table(tmp_path / "before.duckdb", sql), _table(tmp_path / "after.duckdb", sql)
    known = [c for c in before.columns if c != "missed_actual"]  # the outcome itself may move
    at_t = pl.col("quarter_idx") <= T
    a, b = before.filter(at_t).select(known), after.filter(at_t).select(known)
    assert a.height > 0 and a["quarter_idx"].max() == T
    assert_frame_equal(a, b, rel_tol=1e-9, abs_tol=1e-9)
    # the change reached the later as-of quarters: a risk that looked ahead would have moved
    later = pl.col("quarter_idx") > T
    with pytest.raises(AssertionError):
        assert_frame_equal(
            before.filter(later).select(known),
            after.filter(later).select(known),
            rel_tol=1e-9,
            abs_tol=1e-9,
        )


# ---------------------------------------------------------------------------------------------
# On the 2,000-partner demo (tests/conftest.py risk_demo_db)


def test_every_complete_as_of_quarter_with_history_is_scored(risk_demo_db):
    models = _table(risk_demo_db, "select * from risk_model order by quarter_idx")
    quarters = _table(risk_demo_db, "select quarter_idx, quarter_state from quarters")
    complete = quarters.filter(pl.col("quarter_state") == "complete")["quarter_idx"].to_list()
    nexts = models.filter(pl.col("kind") == "next")
    # every complete quarter (it has a next one in the grid) has a row, scored or explained
    assert sorted(nexts["quarter_idx"].to_list()) == sorted(complete)
    scored = nexts.filter(pl.col("scored_rows") > 0)
    unscored = nexts.filter(pl.col("scored_rows") == 0)
    # the first two complete quarters have no outcome yet to learn from, and say so
    assert unscored.height == 2
    assert all("too little history" in n for n in unscored["note"].to_list())
    # each model learned only from outcome quarters up to its as-of quarter
    for r in scored.iter_rows(named=True):
        assert r["trained_to"] == r["fiscal_quarter"]
        assert 0 < r["trained_rows"] <= forecast.MAX_TRAIN_ROWS
    counts = _table(
        risk_demo_db,
        "select quarter_idx, count(*) as n from partner_risk where kind = 'next' group by all",
    )
    assert dict(counts.iter_rows()) == dict(
        scored.select("quarter_idx", pl.col("scored_rows").cast(pl.Int64)).iter_rows()
    )


def test_rows_have_a_target_and_drivers_in_order_of_size(risk_demo_db):
    rows = _table(risk_demo_db, "select * from partner_risk where kind = 'next'")
    assert rows["target_amount"].null_count() == 0
    assert rows["miss_risk"].is_between(0, 1).all()
    assert (rows["revenue_at_stake"] - rows["miss_risk"] * rows["target_amount"]).abs().max() < 1e-6
    e1, e2, e3 = (rows[f"effect_{i}"].abs() for i in (1, 2, 3))
    assert ((e1 >= e2) & (e2 >= e3)).all()
    assert rows["driver_1"].null_count() == 0
    # the one line names each driver with the direction of its effect
    first = rows.row(0, named=True)
    sign = "raises risk" if first["effect_1"] > 0 else "lowers risk"
    assert first["risk_drivers"].startswith(f"{first['driver_1']} ({sign}); ")
    # the outcome is known for every target quarter that is complete, and only those
    states = _table(risk_demo_db, "select quarter_idx as target_idx, quarter_state from quarters")
    joined = rows.join(states, on="target_idx")
    assert joined.filter(pl.col("quarter_state") != "complete")["missed_actual"].null_count() == (
        joined.filter(pl.col("quarter_state") != "complete").height
    )


def test_the_loaded_risks_are_calibrated_on_held_out_quarters(risk_demo_db):
    """The rows whose outcome is known are a rolling-origin backtest of what ships: each was
    scored by a model that had not seen its outcome quarter. Over the last six: ECE <= 0.05."""
    rows = _table(
        risk_demo_db,
        "select miss_risk, missed_actual, target_idx from partner_risk"
        " where kind = 'next' and missed_actual is not null",
    )
    last6 = sorted(rows["target_idx"].unique().to_list())[-6:]
    held = rows.filter(pl.col("target_idx").is_in(last6))
    y, p = held["missed_actual"].to_numpy().astype(float), held["miss_risk"].to_numpy()
    assert forecast.ece(y, p) <= 0.05
    base = np.full_like(p, y.mean())  # even the base rate of the held-out rows themselves
    assert forecast.scores(y, p)["brier"] < forecast.scores(y, base)["brier"]


def test_the_drivers_add_up_to_the_risk_exactly(risk_demo_db):
    frame = forecast.features(risk_demo_db)
    train = frame.filter(pl.col(forecast.OUTCOME).is_not_null())
    model = forecast.fit_risk(train)
    rows = frame.filter(pl.col("quarter_idx") == frame["quarter_idx"].max())
    p, contributions = model.explain(rows)
    assert contributions.shape == (rows.height, len(model.names))
    logit = model.baseline + contributions.sum(axis=1)
    assert np.allclose(1 / (1 + np.exp(-logit)), model.predict(rows), atol=1e-9)
    assert np.allclose(p, model.predict(rows), atol=1e-9)


def test_a_channel_too_small_to_learn_from_gets_a_reason_not_a_risk(tiny_db):
    assert _table(tiny_db, "select count(*) as n from partner_risk")["n"][0] == 0
    notes = _table(tiny_db, "select note from risk_model")["note"].to_list()
    assert notes and all(n.startswith("too little history to learn from") for n in notes)


@pytest.mark.parametrize(
    ("feature", "value", "category", "words"),
    [
        ("pipeline_coverage", 0.4, None, "pipeline covers 40% of the 2026-Q1 target"),
        ("pipeline_coverage", 3.0, None, "pipeline covers 300% of the 2026-Q1 target"),
        ("missed_streak", 3, None, "missed 3 quarters in a row"),
        ("missed_streak", 1, None, "missed 1 quarter in a row"),
        ("missed_streak", 0, None, "no missed target in a row at 2025-Q4"),
        ("attainment_trend", -0.08, None, "attainment falling 8 points a quarter"),
        ("attainment_trend", 0.001, None, "attainment flat over 4 quarters"),
        ("attainment", 0.72, None, "attainment 72% in 2025-Q4"),
        ("attainment", None, None, "no target in 2025-Q4"),
        ("revenue_growth", -0.12, None, "revenue down 12% on the year before"),
        ("target_growth", 0.25, None, "target up 25% from 2025-Q4"),
        ("tier_gap", 1, None, "holds 1 tier(s) above the one earned"),
        ("tier_gap", -2, None, "earns 2 tier(s) above the one held"),
        ("avg_deal_4q", 12345.6, None, "average won deal 12,346"),
        ("segment", None, "SMB", "segment SMB"),
        ("cycle_days_4q", None, None, "no deal won in four quarters"),
    ],
)
def test_driver_words_by_hand(tiny_db, feature, value, category, words):
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        got = con.sql(
            "select risk_driver_words($f, $v::double, $c, '2025-Q4', '2026-Q1')",
            params={"f": feature, "v": value, "c": category},
        ).fetchall()[0][0]
    assert got == words


def test_top_three_drivers_by_hand():
    """Three rows, four features with known contributions: the drivers are the three largest
    by size, with their values and signs."""

    class Fixed:
        names = ("a", "b", "c", "segment")
        numeric = ("a", "b", "c")
        categorical = ("segment",)

        def explain(self, rows):
            contrib = np.array([[0.1, -0.5, 0.3, 0.0], [2.0, 0.0, -0.1, -1.0], [0, 0, 0, 0.2]])
            return np.array([0.2, 0.5, 0.9]), contrib

    rows = pl.DataFrame(
        {"a": [1.0, 2.0, 3.0], "b": [None, 5.0, 6.0], "c": [7.0, 8.0, 9.0], "segment": ["X"] * 3}
    )
    p, top = risk.drivers(Fixed(), rows)
    assert top["feature_1"].to_list() == ["b", "a", "segment"]
    assert top["feature_2"].to_list() == ["c", "segment", "a"]  # ties keep the feature order
    assert top["effect_1"].tolist() == [-0.5, 2.0, 0.2]
    assert math.isnan(top["value_1"][0])  # b unknown for the first row
    assert top["value_1"][1] == 2.0 and top["category_1"][2] == "X"
    assert top["category_1"][0] is None


def test_explaining_a_slice_at_a_time_gives_the_same_answer(risk_demo_db, monkeypatch):
    """A million-partner quarter is scored 100,000 rows at a time; the slices must join up."""
    frame = forecast.features(risk_demo_db)
    model = forecast.fit_risk(frame.filter(pl.col(forecast.OUTCOME).is_not_null()))
    rows = frame.filter(pl.col("quarter_idx") == frame["quarter_idx"].max())
    whole_p, whole_c = model.explain(rows)
    monkeypatch.setattr(forecast, "EXPLAIN_ROWS", 7)  # 1,900-odd rows: many uneven slices
    sliced_p, sliced_c = model.explain(rows)
    assert rows.height % 7 != 0
    assert np.allclose(whole_p, sliced_p, atol=1e-12)
    assert np.allclose(whole_c, sliced_c, atol=1e-12)


class _RunsOutOfMemory:
    """A connection whose forecast feature query runs out of memory, as it does at a million
    partners; everything else goes to the real connection."""

    def __init__(self, con):
        self._con = con

    def sql(self, query, *args, **kwargs):
        if query == forecast.FEATURES_SQL.read_text(encoding="utf-8"):
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate (test)")
        return self._con.sql(query, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_a_forecast_that_runs_out_of_memory_leaves_the_load_and_a_reason(risk_demo_db, tmp_path):
    db = tmp_path / "oom.duckdb"
    db.write_bytes(risk_demo_db.read_bytes())
    messages = []
    with duckdb.connect(str(db)) as con:
        con.sql("drop table partner_risk")
        con.sql("drop table risk_model")
        assert risk.build(_RunsOutOfMemory(con), messages.append) == 0
    assert any("ran out of memory" in m for m in messages)
    models = _table(db, "select kind, scored_rows, note from risk_model")
    states = _table(db, "select quarter_state from quarters where quarter_state <> 'planned'")
    assert models.height == states.height > 0  # every quarter a forecast would cover says why
    assert models["scored_rows"].sum() == 0
    assert all("ran out of the load's memory" in n for n in models["note"].to_list())
    assert set(models["kind"]) == {"next", "nowcast"}  # the demo has a quarter in progress


def test_a_channel_too_big_for_the_forecast_is_not_tried(risk_demo_db, tmp_path, monkeypatch):
    # past MAX_FEATURE_ROWS complete partner-quarters the load does not run the feature query
    # (at a million partners it spilled past 20 GB): it says why, for every quarter
    db = tmp_path / "big.duckdb"
    db.write_bytes(risk_demo_db.read_bytes())
    messages = []
    with duckdb.connect(str(db)) as con:
        complete = con.sql(
            "select count(*) from partner_quarter where quarter_state = 'complete'"
        ).fetchall()[0][0]
        monkeypatch.setattr(risk, "MAX_FEATURE_ROWS", complete - 1)
        con.sql("drop table partner_risk")
        con.sql("drop table risk_model")
        # the feature query would fail this test if it ran
        assert risk.build(_RunsOutOfMemory(con), messages.append) == 0
    assert not any("ran out of memory" in m for m in messages)
    assert any(f"{complete:,} complete partner-quarters" in m for m in messages)
    models = _table(db, "select kind, scored_rows, note from risk_model")
    assert models.height > 0 and models["scored_rows"].sum() == 0
    assert all(f"more than the {complete - 1:,}" in n for n in models["note"].to_list())


def test_a_channel_at_the_limit_gets_its_forecast(risk_demo_db, tmp_path, monkeypatch):
    db = tmp_path / "edge.duckdb"
    db.write_bytes(risk_demo_db.read_bytes())
    with duckdb.connect(str(db)) as con:
        complete = con.sql(
            "select count(*) from partner_quarter where quarter_state = 'complete'"
        ).fetchall()[0][0]
        monkeypatch.setattr(risk, "MAX_FEATURE_ROWS", complete)  # exactly at it: tried
        con.sql("drop table partner_risk")
        con.sql("drop table risk_model")
        assert risk.build(con) > 0
