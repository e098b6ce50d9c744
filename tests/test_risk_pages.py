"""The miss forecast on the pages (AppTest): Missed targets → Next quarter, the partner page's
risk card, the Portfolio worklist's risk column, and the scorecard's risk columns.

The database is tests/data/tiny (default as-of 2025-Q4, complete) with hand-made
``partner_risk`` and ``risk_model`` rows written over the loader's, so every expected value
below follows from the rows in ``FORECASTS`` and the tiny dataset's statuses as of 2025-Q4
(tests/data/tiny/EXPECTED.md): P01, P02, P03, P07, P08, P09, P10 ok; P04 watch (streak 2);
P05 at risk (streak 3); P06 replacement review (streak 0); P07 missed 2025-Q4 (streak 1).

Worked by hand, with the early-warning threshold 50% (pages/missed_targets.py):

* Forecasts at 2025-Q4 for 2026-Q1 (kind 'next'); revenue at stake = risk × target:
  P01 60% × 100k = 60k; P02 20% × 250k = 50k; P03 55% × 1,000k = 550k; P04 70% × 100k = 70k;
  P05 90% × 200k = 180k; P06 30% × 100k = 30k; P07 50% × 100k = 50k; P10 49% × 100k = 49k.
  P08 and P09 have no forecast (no target in 2026-Q1).
* Early warning = status ok and risk ≥ 50%: P01, P03, P07 (exactly 50% counts; P10's 49% does
  not; P04 and P05 are not ok). By revenue at stake: P03 (550k), P01 (60k), P07 (50k).
* Recovery = missed streak ≥ 1: P04, P05, P07. By chance of hitting (1 − risk): P07 50%,
  P04 30%, P05 10%.
* Enterprise only (P03, P05, P07): early warning P03, P07; recovery P07, P05.
* The backtest: 10 forecasts whose quarter predicted is known by 2025-Q4, risks 5%, 15%, ...,
  95%, so each tenth holds one forecast and its average is its own risk. Eight predict 2025-Q4
  (made at 2025-Q3) and two predict 2025-Q3 (made at 2025-Q2). At as-of 2025-Q3 only the two
  predicting 2025-Q3 are known: 2025-Q4 had not ended.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.helpers import FORECASTS, NOTE, write_risk_rows

PAGE = "pages/missed_targets.py"


@pytest.fixture(scope="module")
def risk_db(tiny_risk_db):
    return tiny_risk_db


@pytest.fixture(scope="module")
def no_risk_db(tiny_db, tmp_path_factory):
    """The tiny database with no forecast at all: partner_risk empty, every risk_model row
    explaining why."""
    path = tmp_path_factory.mktemp("no_risk") / "no_risk.duckdb"
    shutil.copyfile(tiny_db, path)
    with duckdb.connect(str(path)) as con:
        write_risk_rows(con)
        con.sql("delete from partner_risk")
        con.sql(
            "update risk_model set model = null, trained_rows = null, trained_from = null, "
            "trained_to = null, base_rate = null, note = $note",
            params={"note": NOTE},
        )
    return path


def open_tab(app_on, db, **query_params):
    at = app_on(db, missed_view="Next quarter", **query_params)
    return at.switch_page(PAGE).run()


def table_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def tables_with(at, column: str) -> list:
    return [d.value for d in at.dataframe if column in d.value.columns]


def metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


# ---------------------------------------------------------------------------------------------
# Missed targets → Next quarter


def test_next_quarter_tab_lists_and_cards(risk_db, app_on):
    at = open_tab(app_on, risk_db)
    assert not at.exception
    shown = metrics(at)
    assert shown["Partners with a forecast"][0] == "8"
    assert shown["Early warnings"][0] == "3"
    assert shown["On a missed streak"][0] == "3"
    early, recovery = tables_with(at, "risk_drivers")[:2]
    assert early["partner_id"].tolist() == ["P03", "P01", "P07"]
    assert early["revenue_at_stake"].tolist() == pytest.approx([550_000, 60_000, 50_000])
    assert early["miss_risk"].tolist() == pytest.approx([0.55, 0.60, 0.50])
    assert "hit_chance" in recovery.columns
    assert recovery["partner_id"].tolist() == ["P07", "P04", "P05"]
    assert recovery["hit_chance"].tolist() == pytest.approx([0.5, 0.3, 0.1])
    assert recovery["missed_streak"].tolist() == [1, 2, 3]
    assert early["risk_drivers"][0].startswith("pipeline covers 40% of the 2026-Q1 target (raises")
    text = " ".join(m.value for m in at.markdown)
    assert "2025-Q4 is complete" in text and "chance of missing 2026-Q1" in text
    assert "not a verdict" in text and "Miss forecast" in text and "not causes" in text
    captions = " ".join(c.value for c in at.caption)
    assert "at least **50%** chance of missing 2026-Q1" in captions  # the threshold, shown
    assert len(at.get("plotly_chart")) == 2  # the distribution and the backtest


def test_next_quarter_backtest_deciles(risk_db, app_on):
    at = open_tab(app_on, risk_db)
    deciles = table_with(at, "observed_miss_rate")
    assert deciles["decile"].tolist() == list(range(1, 11))
    assert deciles["predictions"].tolist() == [1] * 10
    assert deciles["predicted_miss_rate"].tolist() == pytest.approx(
        [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95]
    )
    # sorted by risk: P01 0, P02 0, P03 0, P06 0, P10 0, P01@Q3 1, P04 1, P02@Q3 1, P07 1, P05 1
    assert deciles["observed_miss_rate"].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]


def test_next_quarter_backtest_only_uses_outcomes_known_at_the_as_of_quarter(risk_db, app_on):
    at = open_tab(app_on, risk_db, as_of="2025-Q3")
    assert not at.exception
    deciles = table_with(at, "observed_miss_rate")
    # only the two forecasts of 2025-Q3; those of 2025-Q4 had no outcome yet at 2025-Q3
    assert deciles["predictions"].sum() == 2
    assert deciles["predicted_miss_rate"].tolist() == pytest.approx([0.55, 0.75])
    # the lists read the forecasts made at 2025-Q3, for 2025-Q4
    assert "chance of missing 2025-Q4" in " ".join(m.value for m in at.markdown)


def test_next_quarter_tab_for_one_segment(risk_db, app_on):
    at = open_tab(app_on, risk_db, segment="Enterprise")
    assert not at.exception
    early, recovery = tables_with(at, "risk_drivers")[:2]
    assert early["partner_id"].tolist() == ["P03", "P07"]
    assert recovery["partner_id"].tolist() == ["P07", "P05"]
    segments = table_with(at, "segment_expected_misses")
    assert segments["segment"].tolist() == ["Enterprise"]
    assert segments["segment_partners"].tolist() == [3]
    assert segments["segment_expected_misses"].tolist() == pytest.approx([0.55 + 0.90 + 0.50])


def test_next_quarter_tab_without_a_forecast_says_why(no_risk_db, app_on):
    at = open_tab(app_on, no_risk_db)
    assert not at.exception
    infos = " ".join(i.value for i in at.info)
    assert "No forecast for 2025" in infos and "too little history" in infos
    assert not at.get("plotly_chart") and not tables_with(at, "risk_drivers")


def test_next_quarter_tab_on_the_loaders_own_tables(tiny_db, app_on):
    """The tiny dataset is too small for the loader to fit a model: the note, no traceback."""
    at = open_tab(app_on, tiny_db)
    assert not at.exception
    assert any("No forecast for 2025-Q4" in i.value for i in at.info)


def test_the_first_tab_is_unchanged(risk_db, app_on):
    at = app_on(risk_db).switch_page(PAGE).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 5  # the Who keeps missing tab, as before
    assert not tables_with(at, "risk_drivers")


# ---------------------------------------------------------------------------------------------
# The partner page's card


def test_partner_risk_card(risk_db, app_on):
    at = app_on(risk_db, partner="P03").switch_page("pages/partner.py").run()
    assert not at.exception
    value, note = metrics(at)["Miss risk 2026-Q1"]
    assert value == "55%" and note == "$550.0K of $1.0M target at stake"
    card = next(m.value for m in at.markdown if "chance of missing" in m.value)
    assert card.startswith("**55% chance of missing 2026-Q1.**")
    assert "▲ pipeline covers 40% of the 2026" in card and "▼ 2 people" in card


def test_partner_without_a_forecast(risk_db, app_on):
    at = app_on(risk_db, partner="P09").switch_page("pages/partner.py").run()
    assert not at.exception
    assert metrics(at)["Miss risk 2026-Q1"][0] == "–"
    assert any("No forecast for this partner" in m.value for m in at.markdown)
    assert any("no target in 2026" in m.value for m in at.markdown)


# ---------------------------------------------------------------------------------------------
# The portfolio worklist's column, and the scorecard


def test_portfolio_worklist_risk_column(risk_db, app_on):
    at = app_on(risk_db).switch_page("pages/portfolio.py").run()
    assert not at.exception
    worklist = table_with(at, "miss_risk")
    risk = dict(zip(worklist["partner_id"], worklist["miss_risk"], strict=True))
    expected = {p: r for p, r, _ in FORECASTS}
    assert {p: risk[p] for p in expected} == pytest.approx(expected)
    assert risk["P08"] != risk["P08"] and risk["P09"] != risk["P09"]  # NaN: shown blank


def test_scorecard_risk_columns(risk_db):
    from channel.runner import run
    from tests.helpers import NO_FILTERS, SCORECARD_COLUMNS

    frame = run("scorecard", db=risk_db, as_of=None, **NO_FILTERS)
    assert frame.columns == SCORECARD_COLUMNS
    risk = dict(zip(frame["partner_id"], frame["miss_risk_next"], strict=True))
    assert risk["P03"] == pytest.approx(0.55) and risk["P09"] is None and risk["P08"] is None
    drivers = dict(zip(frame["partner_id"], frame["risk_drivers"], strict=True))
    assert drivers["P01"].endswith("2 people (lowers risk)") and drivers["P09"] is None
    # an earlier as-of quarter reads its own forecasts: none were stored at 2024-Q4
    earlier = run("scorecard", db=risk_db, as_of="2024-Q4", **NO_FILTERS)
    assert earlier["miss_risk_next"].null_count() == earlier.height
