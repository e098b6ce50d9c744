"""The miss forecast at load: ``partner_risk`` and ``risk_model``, the loader's last build step.

For every complete as-of quarter t that has a next quarter in the grid, one model is fitted on
the outcomes known at the end of t (quarters up to t that were missed or hit) and scores every
partner with a target in t + 1. A model per as-of quarter, trained only on earlier outcomes,
means that the risk shown at a past as-of quarter is what the dashboard would have said then;
the rows whose outcome is now known (``missed_actual``) are a rolling-origin backtest of
exactly what ships.

For the quarter in progress, the nowcast (channel/nowcast.py) gives the chance that the quarter
itself ends missed, fitted on past quarters seen at the same share elapsed (kind 'nowcast').

The model is ``forecast.fit_risk``: an additive logistic regression whose log-odds split exactly
into a baseline plus one signed contribution per feature. The three largest contributions by
size are the drivers, worded by the ``risk_driver_words`` macro (queries/build/).

Tables (README "Miss forecast"):

- ``partner_risk``: partner_id, quarter_idx and fiscal_quarter (the as-of quarter), kind
  ('next' or 'nowcast'), target_idx and target_quarter (the quarter predicted), target_amount,
  miss_risk, revenue_at_stake (miss_risk x target_amount), driver_1..3 (words), effect_1..3
  (signed log-odds; > 0 raises the risk), risk_drivers (the three as one line) and
  missed_actual (1 / 0 once the quarter predicted is complete with a target, else null).
- ``risk_model``: one row per as-of quarter and kind: what its model learned from, or in
  ``note`` why there is none.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable

import duckdb
import numpy as np
import polars as pl

from channel import forecast

# What a model needs to learn from: the outcomes of at least 2 quarters, and at least 200
# partner-quarters with 20 misses and 20 hits among them. Below that a fitted model is noise
# (a ten-partner channel has nothing to learn from), and risk_model.note says so instead.
MIN_OUTCOME_QUARTERS = 2
MIN_TRAIN_ROWS = 200
MIN_EACH_OUTCOME = 20
DRIVERS = 3
# Fit the as-of quarters' models in parallel processes past this much work (training plus
# scored rows over all of them): at 100,000 partners a model a quarter is ten fits of several
# seconds; on a small channel starting the processes costs more than it saves.
PARALLEL_ROWS = 300_000
MAX_WORKERS = 4

Progress = Callable[[str], None]

_RAW_SCHEMA = {
    "partner_id": pl.String,
    "quarter_idx": pl.Int32,
    "kind": pl.String,
    "target_idx": pl.Int32,
    "target_amount": pl.Float64,
    "miss_risk": pl.Float64,
    "missed_actual": pl.Int32,
    **{
        f"{part}_{i}": dtype
        for i in range(1, DRIVERS + 1)
        for part, dtype in (
            ("feature", pl.String),
            ("value", pl.Float64),
            ("category", pl.String),
            ("effect", pl.Float64),
        )
    },
}
_MODEL_SCHEMA = {
    "quarter_idx": pl.Int32,
    "kind": pl.String,
    "target_idx": pl.Int32,
    "model": pl.String,
    "trained_rows": pl.Int64,
    "trained_from_idx": pl.Int32,
    "trained_to_idx": pl.Int32,
    "base_rate": pl.Float64,
    "scored_rows": pl.Int64,
    "note": pl.String,
}


def drivers(
    model: forecast.RiskModel, rows: pl.DataFrame
) -> tuple[np.ndarray, dict[str, np.ndarray | pl.Series]]:
    """The risk of each row, and its ``DRIVERS`` largest contributions by size: for driver i,
    ``feature_i``, ``value_i`` (the numeric value, NaN when unknown or a text feature),
    ``category_i`` (a text feature's value) and ``effect_i`` (signed log-odds)."""
    risk, contrib = model.explain(rows)
    names = model.names
    top = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :DRIVERS]
    n = rows.height
    numeric = np.column_stack(
        [
            rows[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
            if c in model.numeric
            else np.full(n, np.nan)
            for c in names
        ]
    )
    text = np.column_stack(
        [
            rows[c].cast(pl.String).to_numpy().astype(object)
            if c in model.categorical
            else np.full(n, None, dtype=object)
            for c in names
        ]
    )
    at = np.arange(n)
    out: dict[str, np.ndarray | pl.Series] = {}
    for i in range(min(DRIVERS, len(names))):
        which = top[:, i]
        out[f"feature_{i + 1}"] = pl.Series(np.array(names)[which], dtype=pl.String)
        out[f"value_{i + 1}"] = numeric[at, which]
        out[f"category_{i + 1}"] = pl.Series(text[at, which].tolist(), dtype=pl.String)
        out[f"effect_{i + 1}"] = contrib[at, which]
    return risk, out


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _too_little(quarters: int, rows: int, missed: int) -> str | None:
    """Why there is too little history to learn from, in words; None when there is enough."""
    hit = rows - missed
    if quarters >= MIN_OUTCOME_QUARTERS and missed >= MIN_EACH_OUTCOME and hit >= MIN_EACH_OUTCOME:
        if rows >= MIN_TRAIN_ROWS:
            return None
    return (
        f"too little history to learn from: the forecast needs partners' misses and hits in at "
        f"least {MIN_OUTCOME_QUARTERS} complete quarters with targets, at least "
        f"{MIN_TRAIN_ROWS} partner-quarters in all with {MIN_EACH_OUTCOME} misses and "
        f"{MIN_EACH_OUTCOME} hits; by this quarter it has {_count(quarters, 'quarter')}, "
        f"{_count(rows, 'partner-quarter')}, {_count(missed, 'miss', 'misses')} and "
        f"{_count(hit, 'hit')}"
    )


@dataclasses.dataclass
class Job:
    """One model to fit and the rows it scores: ``rows`` has partner_id, target_amount,
    missed_actual and the features; ``train`` the sample it learns from, drawn from the
    ``known`` outcomes of the quarters ``trained_from_idx`` .. ``trained_to_idx``."""

    quarter_idx: int
    kind: str
    target_idx: int
    train: pl.DataFrame
    rows: pl.DataFrame
    known: int
    trained_from_idx: int
    trained_to_idx: int
    numeric: tuple[str, ...] = forecast.NUMERIC
    categorical: tuple[str, ...] = forecast.CATEGORICAL
    outcome: str = forecast.OUTCOME


def _fit_explain(job: Job) -> tuple[np.ndarray, dict, float, float]:
    """Fit a job's model on a sample of its training rows; its risks, drivers, base rate and
    the seconds it took. Runs in a worker process when the load is big."""
    t0 = time.perf_counter()
    model = forecast.fit_risk(job.train, job.numeric, job.categorical, job.outcome)
    risk, top = drivers(model, job.rows)
    return risk, top, model.base_rate, time.perf_counter() - t0


def next_quarter_jobs(frame: pl.DataFrame) -> tuple[list[Job], list[dict]]:
    """For every complete as-of quarter t of the feature rows: a job that learns from the
    outcomes known at the end of t and scores the partners with a target in t + 1, or a
    risk_model row saying why there is none."""
    labelled = frame.filter(pl.col(forecast.OUTCOME).is_not_null()).with_columns(
        (pl.col("quarter_idx") + 1).alias("outcome_idx")
    )
    jobs, skipped = [], []
    for t in sorted(frame["quarter_idx"].unique().to_list()):
        info = {"quarter_idx": t, "kind": "next", "target_idx": t + 1}
        rows = frame.filter((pl.col("quarter_idx") == t) & pl.col("target_next").is_not_null())
        train = labelled.filter(pl.col("outcome_idx") <= t)
        missed = int(train[forecast.OUTCOME].sum())
        short = _too_little(train["outcome_idx"].n_unique(), train.height, missed)
        if short or rows.height == 0:
            skipped.append({**info, "scored_rows": 0, "note": short or "no target next quarter"})
            continue
        rows = rows.with_columns(
            pl.col("target_next").alias("target_amount"),
            pl.col(forecast.OUTCOME).alias("missed_actual"),
        )
        outcomes = train["outcome_idx"]
        sample = forecast.training_sample(train)
        jobs.append(
            Job(t, "next", t + 1, sample, rows, train.height, outcomes.min(), outcomes.max())
        )
    return jobs, skipped


def nowcast_job(con: duckdb.DuckDBPyConnection) -> tuple[list[Job], list[dict]]:
    """The quarter in progress, read at its own share elapsed (so day d is the data's date): a
    job that learns from the past complete quarters read at the same share, or a risk_model
    row saying why there is none. Nothing at all without a quarter in progress."""
    from channel import nowcast

    current = nowcast.in_progress(con)
    if current is None:
        return [], []
    idx, _label, share = current
    info = {"quarter_idx": idx, "kind": "nowcast", "target_idx": idx}
    frame = nowcast.features(con, share)
    live = frame.filter(pl.col("quarter_idx") == idx)
    past = frame.filter((pl.col("quarter_idx") < idx) & pl.col(nowcast.OUTCOME).is_not_null())
    missed = int(past[nowcast.OUTCOME].sum()) if past.height else 0
    short = _too_little(past["quarter_idx"].n_unique(), past.height, missed)
    if short or live.height == 0:
        return [], [{**info, "scored_rows": 0, "note": short or "no target in this quarter"}]
    live = live.with_columns(pl.lit(None, pl.Int32).alias("missed_actual"))
    job = Job(
        idx,
        "nowcast",
        idx,
        nowcast.capped(past),  # the sample its backtest measures
        live,
        past.height,
        int(past["quarter_idx"].min()),
        int(past["quarter_idx"].max()),
        nowcast.NUMERIC,
        nowcast.CATEGORICAL,
        nowcast.OUTCOME,
    )
    return [job], []


def run(jobs: list[Job], say: Progress) -> tuple[list[pl.DataFrame], list[dict]]:
    """Fit and score every job, in parallel processes when there is enough work to pay for
    starting them (each needs scikit-learn imported, about a second)."""
    work = sum(j.train.height + j.rows.height for j in jobs)
    workers = min(len(jobs), os.cpu_count() or 1, MAX_WORKERS) if work > PARALLEL_ROWS else 1
    if workers > 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=workers)(delayed(_fit_explain)(j) for j in jobs)
    else:
        results = [_fit_explain(j) for j in jobs]
    parts, models = [], []
    for job, (risk, top, base, seconds) in zip(jobs, results, strict=True):
        parts.append(
            pl.DataFrame(
                {
                    "partner_id": job.rows["partner_id"],
                    "quarter_idx": job.quarter_idx,
                    "kind": job.kind,
                    "target_idx": job.target_idx,
                    "target_amount": job.rows["target_amount"],
                    "miss_risk": risk,
                    "missed_actual": job.rows["missed_actual"],
                    **top,
                },
                schema_overrides=_RAW_SCHEMA,
                strict=False,
            )
        )
        models.append(
            {
                "quarter_idx": job.quarter_idx,
                "kind": job.kind,
                "target_idx": job.target_idx,
                "model": "additive logistic regression",
                "trained_rows": job.train.height,
                "trained_from_idx": job.trained_from_idx,
                "trained_to_idx": job.trained_to_idx,
                "base_rate": base,
                "scored_rows": job.rows.height,
            }
        )
        t, learned = job.quarter_idx, job.train.height
        say(
            f"miss forecast ({job.kind}) at {t // 4}-Q{t % 4 + 1}: learned from {learned:,} of"
            f" {job.known:,} partner-quarters, scored {job.rows.height:,} ({seconds:.1f} s"
            f"{f', {workers} processes' if workers > 1 else ''})"
        )
    return parts, models


OUT_OF_MEMORY = (
    "no forecast: at this many partners the forecast's features ran out of the load's memory "
    "(README, Miss forecast)"
)

# The forecast's feature rows are the complete partner-quarters, held at once (DuckDB, then one
# Polars frame). Measured on the 2-core, 24 GB machine under the load's 4 GB limit: 1.2 million
# (100,000 partners, 12 complete quarters) take 40 s; 12 million (a million partners) spilled
# past 20 GB to disk and were stopped. Above this many the load does not try: it would spend
# minutes and fail.
MAX_FEATURE_ROWS = 2_000_000


def _too_many(rows: int) -> str:
    return (
        f"no forecast: {rows:,} complete partner-quarters are more than the "
        f"{MAX_FEATURE_ROWS:,} its features fit in the load's memory (README, Miss forecast)"
    )


def _no_forecast(con: duckdb.DuckDBPyConnection, note: str) -> list[dict]:
    """A risk_model row for every quarter a forecast would cover, saying why there is none."""
    rows = con.sql(
        "select quarter_idx, quarter_state from quarters where quarter_state <> 'planned'"
    ).fetchall()
    return [
        {
            "quarter_idx": q,
            "kind": "next" if state == "complete" else "nowcast",
            "target_idx": q + 1 if state == "complete" else q,
            "scored_rows": 0,
            "note": note,
        }
        for q, state in rows
    ]


def _forecast(con: duckdb.DuckDBPyConnection, say: Progress) -> tuple[list[pl.DataFrame], list]:
    """Every model's scored rows and its risk_model row (or, out of memory, the reason)."""
    t0 = time.perf_counter()
    try:
        frame = con.sql(forecast.FEATURES_SQL.read_text(encoding="utf-8")).pl()
        say(f"miss forecast features: {frame.height:,} rows ({time.perf_counter() - t0:.1f} s)")
        jobs, skipped = next_quarter_jobs(frame)
        now_jobs, now_skipped = nowcast_job(con)
    except duckdb.OutOfMemoryException as e:
        # The feature queries hold every partner-quarter at once; past the load's memory limit
        # the dashboard without a forecast beats no dashboard, and risk_model says why on every
        # page that would show one.
        say(f"miss forecast skipped: its features ran out of memory ({str(e).splitlines()[0]})")
        return [], _no_forecast(con, OUT_OF_MEMORY)
    parts, models = run(jobs + now_jobs, say)
    return parts, models + skipped + now_skipped


def build(con: duckdb.DuckDBPyConnection, say: Progress | None = None) -> int:
    """Write ``partner_risk`` and ``risk_model`` into a built database; returns the risk rows."""
    say = say or (lambda _m: None)
    t0 = time.perf_counter()
    complete = con.sql(
        "select count(*) from partner_quarter where quarter_state = 'complete'"
    ).fetchall()[0][0]
    if complete > MAX_FEATURE_ROWS:
        note = _too_many(complete)
        say(f"miss forecast skipped: {note.removeprefix('no forecast: ')}")
        parts, models = [], _no_forecast(con, note)
    else:
        parts, models = _forecast(con, say)
    raw = pl.concat(parts) if parts else pl.DataFrame(schema=_RAW_SCHEMA)
    raw = raw.select(list(_RAW_SCHEMA)).cast(_RAW_SCHEMA)
    raw = raw.with_columns(pl.col(pl.Float64).fill_nan(None))  # unknown is null, not NaN
    con.register("risk_raw", raw.to_arrow())
    con.register("risk_models", pl.DataFrame(models, schema=_MODEL_SCHEMA).to_arrow())
    con.sql(
        """
        create table partner_risk as
        with named as (
            select
                r.*,
                a.fiscal_quarter,
                n.fiscal_quarter as target_quarter,
                risk_driver_words(r.feature_1, r.value_1, r.category_1, a.fiscal_quarter,
                    n.fiscal_quarter) as driver_1,
                risk_driver_words(r.feature_2, r.value_2, r.category_2, a.fiscal_quarter,
                    n.fiscal_quarter) as driver_2,
                risk_driver_words(r.feature_3, r.value_3, r.category_3, a.fiscal_quarter,
                    n.fiscal_quarter) as driver_3
            from risk_raw as r
            join quarters as a on a.quarter_idx = r.quarter_idx
            join quarters as n on n.quarter_idx = r.target_idx
        )
        select
            partner_id,
            quarter_idx,
            fiscal_quarter,
            kind,
            target_idx,
            target_quarter,
            target_amount,
            miss_risk,
            miss_risk * target_amount as revenue_at_stake,
            driver_1,
            effect_1,
            driver_2,
            effect_2,
            driver_3,
            effect_3,
            concat_ws('; ',
                driver_1 || case when effect_1 > 0 then ' (raises risk)' else ' (lowers risk)' end,
                driver_2 || case when effect_2 > 0 then ' (raises risk)' else ' (lowers risk)' end,
                driver_3 || case when effect_3 > 0 then ' (raises risk)' else ' (lowers risk)' end
            ) as risk_drivers,
            missed_actual
        from named
        order by quarter_idx, kind, partner_id
        """
    )
    con.sql(
        """
        create table risk_model as
        select
            m.quarter_idx,
            a.fiscal_quarter,
            m.kind,
            n.fiscal_quarter as target_quarter,
            m.model,
            m.trained_rows,
            f.fiscal_quarter as trained_from,
            l.fiscal_quarter as trained_to,
            m.base_rate,
            m.scored_rows,
            m.note
        from risk_models as m
        left join quarters as a on a.quarter_idx = m.quarter_idx
        left join quarters as n on n.quarter_idx = m.target_idx
        left join quarters as f on f.quarter_idx = m.trained_from_idx
        left join quarters as l on l.quarter_idx = m.trained_to_idx
        order by m.quarter_idx, m.kind
        """
    )
    con.unregister("risk_raw")
    con.unregister("risk_models")
    rows = con.sql("select count(*) from partner_risk").fetchall()[0][0]
    say(f"built partner_risk: {rows:,} rows ({time.perf_counter() - t0:.1f} s)")
    return rows
