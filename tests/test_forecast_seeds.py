"""The miss forecast beats its baselines whatever the demo's seed (issue 18).

tests/test_forecast.py scores the default seed only; a model that wins there could owe it to
one lucky draw. Here the 2,000-partner, 12-quarter demo is rebuilt for other seeds and the same
rolling origin (six held-out quarters) runs on each. The demo is synthetic: it has momentum,
a pipeline that leads revenue and partners that recover at different speeds built in
(channel/demo.py), so these tests say the model finds that structure on any draw of it, not how
well a real channel can be forecast. The boosted model is left out to keep the file quick.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from channel import forecast
from channel.cli import main

SEEDS = (1, 2, 3)  # the default seed, 7, is tests/test_forecast.py's
BASELINES = ("base_rate", "missed_now", "status")
# Expected calibration error over ten bins. About 11,000 held-out rows give each busy bin a
# sampling error near 0.01, and the logistic model scored 0.009-0.018 on seeds 1-3 when this
# was written (0.012 on the default seed, 7): 0.05 leaves room for noise without letting a
# badly calibrated model through.
MAX_ECE = 0.05


def _models() -> dict[str, forecast.Model]:
    # Looked up by name when the test runs, so the test follows whatever "logistic" is.
    return {name: forecast.MODELS[name] for name in ("logistic", *BASELINES)}


@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed{seed}")
def scored(request, tmp_path_factory) -> dict[str, dict[str, float]]:
    db: Path = tmp_path_factory.mktemp(f"seed{request.param}") / "demo.duckdb"
    args = ["demo", "--partners", "2000", "--quarters", "12", "--seed", str(request.param)]
    assert main([*args, "--data-as-of", "2026-11-30", "--db", str(db)]) == 0
    result = forecast.backtest(forecast.features(db), holdout=6, models=_models())
    assert len(result.quarters) == 6
    return {row["model"]: row for row in result.table.iter_rows(named=True)}


def test_the_demo_has_misses_to_find(scored):
    # Prerequisites for the comparison below to mean anything: thousands of held-out rows,
    # and a miss rate the demo promises (about a quarter to a third of partner-quarters).
    logistic = scored["logistic"]
    assert logistic["rows"] > 10_000
    assert 0.2 <= logistic["miss_rate"] <= 0.35


@pytest.mark.parametrize("baseline", BASELINES)
def test_the_logistic_model_beats_the_baseline(scored, baseline):
    logistic, other = scored["logistic"], scored[baseline]
    assert logistic["brier"] < other["brier"], (logistic["brier"], other["brier"])
    assert logistic["log_loss"] < other["log_loss"], (logistic["log_loss"], other["log_loss"])


def test_the_logistic_model_is_calibrated(scored):
    assert scored["logistic"]["ece"] <= MAX_ECE, scored["logistic"]["ece"]
