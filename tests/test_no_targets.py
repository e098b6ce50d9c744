"""Databases without a plan: no targets at all (a CRM import with none: meta.target_rows = 0), or
targets an import derived by a rule (meta.targets_derived). Fixtures ``no_targets_db`` and
``derived_targets_db`` are in tests/conftest.py (tests/data/tiny, its targets emptied or marked
derived).

Every page opens without an exception on both. Without targets, each page says so once
(``ui.NO_TARGETS``) in place of what needs targets, and shows the rest: the Missed targets page
stops there. With derived targets, the header says how they were derived. On the plain tiny
database neither shows. The CLI export works without targets.
"""

from __future__ import annotations

import io
import json

import polars as pl
import pytest

from channel import charts
from channel.charts import alignment as alignment_charts
from channel.charts import portfolio as portfolio_charts
from channel.cli import main
from channel.ui import NO_TARGETS
from tests.helpers import SCORECARD_COLUMNS

NO_TARGETS_HEAD = "No targets were loaded"
DERIVED_HEAD = "Targets are derived, not a plan"

# Every page of app.py, with the link that opens the part of it that needs targets.
PAGES = {
    "overview": ("pages/overview.py", {}),
    "tiers": ("pages/tiers.py", {}),
    "tiers_resources": ("pages/tiers.py", {"tiers_view": "Resources and segments"}),
    "alignment_enable": ("pages/alignment.py", {"view": "Who to enable"}),
    "missed_targets": ("pages/missed_targets.py", {}),
    "portfolio": ("pages/portfolio.py", {}),
    "portfolio_book": ("pages/portfolio.py", {"partner_manager": "Dan Wu"}),
    "partner": ("pages/partner.py", {"partner": "P01"}),
}


def open_page(app_on, db, name):
    page, query_params = PAGES[name]
    at = app_on(db, **query_params)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def infos(at) -> list[str]:
    return [i.value for i in at.info]


def texts(at) -> str:
    """Everything the page wrote as text: infos, captions, markdown."""
    return " ".join([*infos(at), *(c.value for c in at.caption), *(m.value for m in at.markdown)])


def metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def chart_specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def shown_columns(frame_element) -> list[str]:
    """The columns a table shows: its column order when it sets one, else the frame's."""
    order = list(frame_element.proto.column_order)
    return order or list(frame_element.value.columns)


# ---------------------------------------------------------------------------------------------
# Every page, on each kind of database


@pytest.mark.parametrize("name", PAGES)
def test_without_targets_every_page_opens_and_says_so_once(no_targets_db, app_on, name):
    at = open_page(app_on, no_targets_db, name)
    said = [i for i in infos(at) if NO_TARGETS_HEAD in i]
    assert said == [NO_TARGETS]
    assert "Targets when the CRM has none" in said[0]
    assert DERIVED_HEAD not in texts(at)


@pytest.mark.parametrize("name", PAGES)
def test_with_derived_targets_every_page_says_how_once(derived_targets_db, app_on, name):
    at = open_page(app_on, derived_targets_db, name)
    said = [i for i in infos(at) if DERIVED_HEAD in i]
    assert len(said) == 1
    assert "the same quarter of the previous fiscal year" in said[0]
    assert NO_TARGETS_HEAD not in texts(at)


@pytest.mark.parametrize("name", PAGES)
def test_with_planned_targets_no_page_says_either(tiny_db, app_on, name):
    at = open_page(app_on, tiny_db, name)
    assert NO_TARGETS_HEAD not in texts(at)
    assert DERIVED_HEAD not in texts(at)


@pytest.mark.parametrize("view", ["Priority coverage", "Alignment scores", "Say against do"])
def test_alignment_views_without_targets_need_no_message(no_targets_db, app_on, view):
    at = app_on(no_targets_db, view=view)
    at.switch_page("pages/alignment.py").run()
    assert not at.exception
    assert NO_TARGETS_HEAD not in texts(at)


# ---------------------------------------------------------------------------------------------
# What each page shows without targets


def test_overview_without_targets_keeps_revenue_and_drops_statuses(no_targets_db, app_on):
    at = open_page(app_on, no_targets_db, "overview")
    shown = metrics(at)
    assert shown["Revenue, last 4 quarters"][0].startswith("$")
    assert shown["Active partners"][1] == "of 10 in scope"
    assert shown["Attainment 2025-Q4"] == ("–", "no targets loaded")
    assert "Partners on watch" not in shown and "Replacement review" not in shown
    specs = chart_specs(at)
    revenue = specs[0]
    assert [t["name"] for t in revenue["data"]] == ["Won revenue"]  # no empty target line
    assert revenue["layout"]["title"]["text"] == "Won revenue by fiscal quarter"
    assert len(specs) == 2  # and revenue by segment and tier
    assert "Not shown without targets: the target line." in texts(at)
    assert not any("status" in d.value.columns for d in at.dataframe)  # no attention list
    assert [b.label for b in at.get("download_button")] == ["Download the full scorecard (CSV)"]


def test_missed_targets_without_targets_stops_after_the_message(no_targets_db, app_on):
    at = open_page(app_on, no_targets_db, "missed_targets")
    assert at.title[0].value == "Missed targets"
    assert infos(at) == [NO_TARGETS]
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe
    assert not at.subheader


def test_portfolio_without_targets_leaves_out_the_target_columns(no_targets_db, app_on):
    at = open_page(app_on, no_targets_db, "portfolio_book")
    shown = metrics(at)
    assert shown["Partners"] == ("3", "30.0% of the channel")
    assert shown["Attainment 2025-Q4"] == ("–", "no targets loaded")
    assert shown["Partners not OK"] == ("–", "no targets loaded")
    worklist = next(d for d in at.dataframe if "tier_gap" in d.value.columns)
    assert set(worklist.value["partner_id"]) == {"P07", "P09", "P10"}
    for column in ("status", "missed_streak", "attainment", "shortfall"):
        assert column not in shown_columns(worklist)
    assert len(chart_specs(at)) == 1  # earned tiers only; no partners by status


def test_portfolio_manager_comparison_without_targets(no_targets_db, app_on):
    at = open_page(app_on, no_targets_db, "portfolio")
    comparison = next(d for d in at.dataframe if "main_segment" in d.value.columns)
    assert not {"attainment", "flagged", "replace_review"} & set(comparison.value.columns)
    workload = chart_specs(at)[-1]
    assert "flagged" not in workload["layout"]["legend"]["title"]["text"]


def test_partner_without_targets_has_no_status(no_targets_db, app_on):
    at = open_page(app_on, no_targets_db, "partner")
    shown = metrics(at)
    assert shown["Missed in a row / of last 8"] == ("–", "no targets loaded")
    assert shown["Attainment 2025-Q4"] == ("–", "no targets loaded")
    badges = " ".join(m.value for m in at.markdown)
    assert ":gray-badge[No status]" in badges and "OK" not in badges
    assert "**Status.**" not in badges


def test_tiers_without_targets_hides_status_and_attainment(no_targets_db, app_on):
    at = open_page(app_on, no_targets_db, "tiers")
    mismatches = next(d for d in at.dataframe if "tier_gap" in d.value.columns)
    assert "status" not in shown_columns(mismatches)
    assert "program_tier" in shown_columns(mismatches)
    at = open_page(app_on, no_targets_db, "tiers_resources")
    segments = next(d for d in at.dataframe if "deals_per_partner" in d.value.columns)
    assert "attainment" not in shown_columns(segments)
    assert "revenue_t4q" in shown_columns(segments)


def test_tiers_with_targets_keeps_status_and_attainment(tiny_db, app_on):
    at = open_page(app_on, tiny_db, "tiers")
    mismatches = next(d for d in at.dataframe if "tier_gap" in d.value.columns)
    assert "status" in shown_columns(mismatches)
    at = open_page(app_on, tiny_db, "tiers_resources")
    segments = next(d for d in at.dataframe if "deals_per_partner" in d.value.columns)
    assert "attainment" in shown_columns(segments)


def test_alignment_enable_without_targets_has_no_status(no_targets_db, app_on):
    at = open_page(app_on, no_targets_db, "alignment_enable")
    table = next(d for d in at.dataframe if "signal" in d.value.columns)
    assert "status" not in table.value.columns
    names = {t["name"] for t in chart_specs(at)[-1]["data"]}
    assert not names & set(charts.STATUS_LABELS.values())
    assert "Partner" in names


# ---------------------------------------------------------------------------------------------
# Chart builders without targets


def test_revenue_vs_target_without_any_target_draws_revenue_alone():
    frame = pl.DataFrame(
        {
            "fiscal_quarter": ["2025-Q3", "2025-Q4", "2026-Q1"],
            "quarter_state": ["complete", "complete", "planned"],
            "is_plan": [False, False, True],
            "revenue": [100.0, 200.0, None],
            "target": [None, None, None],
            "attainment": [None, None, None],
        },
        schema_overrides={"target": pl.Float64, "attainment": pl.Float64},
    )
    fig = charts.revenue_vs_target(frame, "€")
    assert [t.name for t in fig.data] == ["Won revenue"]
    assert "Attainment" not in fig.data[0].hovertemplate
    assert list(fig.layout.xaxis.categoryarray) == ["2025-Q3", "2025-Q4"]
    assert fig.layout.yaxis.title.text == "Revenue (€)"


def test_manager_workload_without_targets_has_one_size():
    frame = pl.DataFrame(
        {
            "partner_manager": ["Ann", "Ben"],
            "partners": [2, 3],
            "revenue_t4q": [10.0, 20.0],
            "attainment": [None, None],
            "flagged": [0, 0],
            "main_segment": ["SMB", "SMB"],
        },
        schema_overrides={"attainment": pl.Float64},
    )
    fig = portfolio_charts.manager_workload(frame, targets=False)
    assert fig.data[0].marker.size == 12
    assert "Flagged" not in fig.data[0].hovertemplate
    assert "flagged" not in fig.layout.legend.title.text


def test_enable_chart_without_status_draws_every_partner_alike():
    frame = pl.DataFrame(
        {
            "rank": [1, 2],
            "partner_id": ["P1", "P2"],
            "partner_name": ["A", "B"],
            "focus_share": [0.5, None],
            "revenue_vertical_t4q": [100.0, 50.0],
            "certified_technical": [1, 0],
        }
    )
    fig = alignment_charts.enable_chart(frame, "Retail", True, {})
    points = [t for t in fig.data if t.x != (None,)]
    assert [t.name for t in points] == ["Partner", "Partner"]
    assert points[0].marker.symbol == "circle" and points[1].marker.symbol == "circle-open"


# ---------------------------------------------------------------------------------------------
# The CLI export


def test_export_without_targets(no_targets_db, capsys):
    assert main(["export", "scorecard", "--db", str(no_targets_db)]) == 0
    frame = pl.read_csv(io.StringIO(capsys.readouterr().out))
    assert frame.columns == SCORECARD_COLUMNS
    assert frame.height == 10
    assert frame["attainment"].null_count() == 10
    # nothing to miss: no streaks and no status, rather than "ok"
    for column in ("missed_streak", "missed_last_8", "status"):
        assert frame[column].null_count() == 10, column
    assert frame["revenue_t4q"].sum() > 0
