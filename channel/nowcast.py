"""The nowcast: will the quarter in progress end missed (issue 18).

The miss forecast (channel/forecast.py) looks one quarter ahead from a complete one. The
nowcast looks at the quarter in progress: on day d, with revenue to date, the pace, and the
pipeline due before the quarter ends, what is the chance that the quarter ends below target?

``features(con_or_db, share)`` runs ``queries/forecast/nowcast_features.sql``: one row per
partner and quarter, rebuilt as it was known on day d = the quarter's start + floor(share x
its days) - 1, from the deal dates. Passing the quarter in progress its own
``quarters.share_elapsed`` makes d the data's date.

``backtest(db, share, holdout)`` is a rolling origin over the last ``holdout`` complete
quarters: for each, the model is fitted on the earlier complete quarters seen at the same share
and scores it, beside three baselines scored the same way (``forecast.scores``):

- ``logistic``: ``forecast.fit_risk`` on ``NUMERIC`` and ``CATEGORICAL``;
- ``logistic_no_pipeline``: the same without the pipeline features (the ablation: the backtest
  reads each deal's actual close date as the one expected on day d, which flatters the
  pipeline);
- ``base_rate``: the training miss rate for everyone;
- ``pace``: the training miss rate of partners behind pace (run rate below target) and of those
  on pace: the status-quo projection, as a probability;
- ``pace_decile``: the training miss rate by decile of pace (a stronger pace baseline);
- ``missed_last_quarter``: the training miss rate by whether q - 1 was missed (1 / 0 / no
  target).

At load, ``channel/risk.py`` (``nowcast_job``) fits on the past complete quarters read at the
quarter in progress's own share and scores the quarter in progress.

Training sets are ``capped`` at ``MAX_TRAIN`` rows by a seeded random sample, in the backtest as
at load, so the backtest measures what ships and a fit takes seconds at 100,000 partners.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from channel import forecast
from channel.sqlfiles import FORECAST_DIR

FEATURES_SQL = FORECAST_DIR / "nowcast_features.sql"
OUTCOME = "missed"
NUMERIC = (
    # pace, not attainment_to_date too: at one share the two are proportional
    "pace",
    "pipeline_coverage",
    "attainment_with_pipeline",
    "deals_to_date",
    "attainment_prev",
    "missed_streak",
    "missed_last_8",
)
CATEGORICAL = ("segment", "program_tier")
DEFAULT_SHARE = 0.5  # the CLI's share when no quarter is in progress
MAX_TRAIN = forecast.MAX_TRAIN_ROWS
SEED = 18
MIN_QUARTERS = 2  # past complete quarters with both a miss and a hit, to fit on

Fit = Callable[[pl.DataFrame], Callable[[pl.DataFrame], np.ndarray]]


def _check_share(share: float) -> float:
    share = float(share)
    if not 0 < share <= 1:
        raise ValueError(f"share {share!r}: the share of the quarter elapsed is in (0, 1]")
    return share


def _query(con, sql: str, params: dict | None = None) -> pl.DataFrame:
    """One cursor per query (DuckDB 2.0: a connection holds one unfinished result at a time)."""
    cur = con.cursor()
    try:
        return cur.sql(sql, params=params).pl()
    finally:
        cur.close()


def features(con_or_db, share: float) -> pl.DataFrame:
    """The nowcast's feature rows at ``share``, from an open connection or a database path
    (opened read-only)."""
    share = _check_share(share)
    sql = FEATURES_SQL.read_text(encoding="utf-8")
    if isinstance(con_or_db, str | Path):
        import duckdb

        with duckdb.connect(str(con_or_db), read_only=True) as con:
            return _query(con, sql, {"share": share})
    return _query(con_or_db, sql, {"share": share})


def in_progress(con) -> tuple[int, str, float] | None:
    """The quarter in progress: (quarter_idx, fiscal_quarter, share_elapsed), or None."""
    rows = _query(
        con,
        "select quarter_idx, fiscal_quarter, share_elapsed from quarters"
        " where quarter_state = 'in_progress'",
    ).rows()
    return rows[0] if rows else None


def default_share(db: str | Path) -> float:
    """The in-progress quarter's share elapsed, else ``DEFAULT_SHARE``."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        current = in_progress(con)
    return current[2] if current else DEFAULT_SHARE


def capped(train: pl.DataFrame, max_rows: int | None = MAX_TRAIN) -> pl.DataFrame:
    """The training rows a nowcast model learns from, in the backtest as at load."""
    return forecast.training_sample(train, max_rows, seed=SEED)


# ---------------------------------------------------------------------------------------------
# Models and baselines: fit(train) -> predict(rows) -> probabilities


def _rate_by(key: Callable[[pl.DataFrame], pl.Series]) -> Fit:
    """The training miss rate of each value of ``key`` (the overall rate for a value unseen)."""

    def fit(train: pl.DataFrame) -> Callable[[pl.DataFrame], np.ndarray]:
        base = float(train[OUTCOME].mean())
        rates = (
            pl.DataFrame({"key": key(train), "y": train[OUTCOME]})
            .group_by("key")
            .agg(pl.col("y").mean())
        )
        table = dict(rates.iter_rows())

        def predict(rows: pl.DataFrame) -> np.ndarray:
            return np.array([table.get(k, base) for k in key(rows).to_list()], dtype=float)

        return predict

    return fit


def base_rate(train: pl.DataFrame) -> Callable[[pl.DataFrame], np.ndarray]:
    rate = float(train[OUTCOME].mean())
    return lambda rows: np.full(rows.height, rate)


def logistic(numeric: tuple[str, ...] = NUMERIC) -> Fit:
    def fit(train: pl.DataFrame) -> Callable[[pl.DataFrame], np.ndarray]:
        return forecast.fit_risk(train, numeric, CATEGORICAL, OUTCOME).predict

    return fit


def pace_decile(train: pl.DataFrame) -> Callable[[pl.DataFrame], np.ndarray]:
    """The training miss rate by decile of pace (edges from the training rows): a fairer pace
    baseline than "below 1", since most quarters book late and most partners are behind a
    straight-line pace early on."""
    edges = np.unique(np.quantile(train["pace"].to_numpy(), np.linspace(0.1, 0.9, 9)))
    return _rate_by(lambda f: pl.Series(np.searchsorted(edges, f["pace"].to_numpy())))(train)


PIPELINE = ("pipeline_coverage", "attainment_with_pipeline")
MODELS: dict[str, Fit] = {
    "logistic": logistic(),
    "logistic_no_pipeline": logistic(tuple(c for c in NUMERIC if c not in PIPELINE)),
    "base_rate": base_rate,
    "pace": _rate_by(lambda f: f["pace"] < 1),
    "pace_decile": pace_decile,
    "missed_last_quarter": _rate_by(lambda f: f["missed_prev"]),
}


# ---------------------------------------------------------------------------------------------
# The rolling origin


def _label(q: int) -> str:
    return f"{q // 4}-Q{q % 4 + 1}"


@dataclasses.dataclass
class Backtest:
    share: float
    quarters: list[str]  # the held-out complete quarters, oldest first
    predictions: pl.DataFrame  # partner_id, quarter, missed, one column per model
    table: pl.DataFrame  # one row per model: the scores over every held-out row

    def reliability(self, model: str = "logistic") -> pl.DataFrame:
        y = self.predictions[OUTCOME].to_numpy().astype(float)
        return forecast.reliability(y, self.predictions[model].to_numpy())


def backtest(
    db,
    share: float,
    holdout: int = 6,
    models: dict[str, Fit] | None = None,
    max_train: int | None = MAX_TRAIN,
    progress: Callable[[str], None] | None = None,
    frame: pl.DataFrame | None = None,
) -> Backtest:
    """Score ``models`` on the last ``holdout`` complete quarters read at ``share``, each fitted
    on the earlier complete quarters read at the same share. ``db`` is a path or a connection;
    ``frame`` (the features at ``share``) skips reading them again. Raises ValueError when the
    history is too short."""
    share = _check_share(share)
    models = models or MODELS
    say = progress or (lambda _m: None)
    if frame is None:
        frame = features(db, share)
    labelled = frame.filter(pl.col(OUTCOME).is_not_null())
    complete = sorted(labelled["quarter_idx"].unique().to_list())
    if len(complete) < holdout + MIN_QUARTERS:
        raise ValueError(
            f"{len(complete)} complete quarters have targets; the nowcast backtest holds out "
            f"{holdout} and needs at least {MIN_QUARTERS} before them to learn from"
        )
    held = complete[-holdout:]
    parts = []
    for q in held:
        train = capped(labelled.filter(pl.col("quarter_idx") < q), max_train)
        test = labelled.filter(pl.col("quarter_idx") == q)
        if train[OUTCOME].n_unique() < 2:
            continue
        say(
            f"{_label(q)} at {share:.0%}: trained on {train.height:,} rows, scoring {test.height:,}"
        )
        out = test.select("partner_id", pl.lit(_label(q)).alias("quarter"), OUTCOME)
        for name, fit in models.items():
            out = out.with_columns(pl.Series(name, fit(train)(test), dtype=pl.Float64))
        parts.append(out)
    if not parts:
        raise ValueError("no held-out quarter had a training set with both a miss and a hit")
    predictions = pl.concat(parts)
    y = predictions[OUTCOME].to_numpy().astype(float)
    rows = [{"model": name, **forecast.scores(y, predictions[name].to_numpy())} for name in models]
    return Backtest(share, [_label(q) for q in held], predictions, pl.DataFrame(rows))


def report(result: Backtest) -> str:
    """The nowcast backtest as a text table, with the logistic model's reliability by decile."""
    t = result.table
    lines = [
        f"nowcast at {result.share:.1%} of the quarter elapsed; held-out quarters: "
        f"{', '.join(result.quarters)} ({int(t['rows'][0]):,} partner-quarters, miss rate "
        f"{t['miss_rate'][0]:.1%})",
        *forecast.score_lines(t),
    ]
    if "logistic" in t["model"]:
        lines += forecast.reliability_lines(result.reliability("logistic"))
    lines.append(
        "\nThe past quarters read each deal's actual close date as the one expected on day d, "
        "which flatters the pipeline; logistic_no_pipeline is the model without it."
    )
    return "\n".join(lines)
