"""Chart builders as plain functions on small frames: traces, axis titles, colours."""

from __future__ import annotations

import polars as pl
import pytest

from channel import charts


def test_revenue_vs_target_has_bars_line_titles_and_units():
    frame = pl.DataFrame(
        {
            "fiscal_quarter": ["2025-Q1", "2025-Q2"],
            "quarter_state": ["complete", "complete"],
            "is_plan": [False, False],
            "revenue": [100.0, 250.0],
            "target": [200.0, None],
            "attainment": [0.5, None],
        }
    )
    fig = charts.revenue_vs_target(frame, "€")
    bar, line = fig.data
    assert bar.type == "bar" and line.type == "scatter"
    assert list(bar.y) == [100.0, 250.0] and list(line.y) == [200.0, None]
    assert list(bar.customdata) == ["50.0%", "–"]
    assert bar.marker.color == charts.REVENUE_COLOR
    assert fig.layout.title.text.startswith("Won revenue against target")
    assert fig.layout.xaxis.title.text == "Fiscal quarter"
    assert fig.layout.yaxis.title.text == "Revenue (€)"
    assert fig.layout.yaxis.tickprefix == "€"


def test_revenue_vs_target_marks_the_quarter_to_date_and_draws_the_plan_ahead():
    # as of 2026-Q3 (complete): 2026-Q4 is in progress and 2027-Q1 planned; both are after the
    # as-of quarter, so they show their targets only, as the plan ahead
    frame = pl.DataFrame(
        {
            "fiscal_quarter": ["2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"],
            "quarter_state": ["complete", "complete", "in_progress", "planned"],
            "is_plan": [False, False, True, True],
            "revenue": [90.0, 120.0, None, None],
            "target": [100.0, 100.0, 110.0, 130.0],
            "attainment": [0.9, 1.2, None, None],
        }
    )
    fig = charts.revenue_vs_target(frame)
    names = [t.name for t in fig.data]
    assert names == ["Won revenue", "Target", "Plan ahead (target)"]
    bars, target, plan = fig.data
    assert list(bars.x) == ["2026-Q2", "2026-Q3"]
    assert list(target.x) == ["2026-Q2", "2026-Q3"]
    # the plan line starts at the last quarter shown, so the two lines join
    assert list(plan.x) == ["2026-Q3", "2026-Q4", "2027-Q1"]
    assert list(plan.y) == [100.0, 110.0, 130.0]
    assert plan.line.dash == "dot" and target.line.dash == "dash"
    assert list(fig.layout.xaxis.categoryarray) == list(frame["fiscal_quarter"])

    # as of the quarter in progress: its bar is a separate, hatched "to date" trace
    to_date = frame.with_columns(
        is_plan=pl.Series([False, False, False, True]),
        revenue=pl.Series([90.0, 120.0, 15.0, None]),
        attainment=pl.Series([0.9, 1.2, 15 / 110, None]),
    )
    fig = charts.revenue_vs_target(to_date)
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert list(bars["Won revenue to date"].x) == ["2026-Q4"]
    assert bars["Won revenue to date"].marker.pattern.shape == "/"
    assert "Attainment to date" in bars["Won revenue to date"].hovertemplate
    assert list(bars["Won revenue"].x) == ["2026-Q2", "2026-Q3"]


def test_segment_tier_bars_use_one_colour_per_tier_in_tier_order():
    frame = pl.DataFrame(
        {
            "segment": ["SMB", "SMB", "Enterprise"],
            "earned_tier": ["Registered", "Silver", "Platinum"],
            "partners": [10, 2, 1],
            "revenue_t4q": [100.0, 600.0, 9000.0],
            "revenue_share": [0.01, 0.06, 0.93],
        }
    )
    fig = charts.revenue_by_segment_tier(frame)
    assert [t.name for t in fig.data] == ["Platinum", "Silver", "Registered"]
    for trace in fig.data:
        assert trace.marker.color == charts.TIER_COLORS[trace.name]
        assert list(trace.x) == ["SMB", "Enterprise"]  # segments in canonical order
    platinum = fig.data[0]
    assert list(platinum.y) == [0, 9000.0]
    assert fig.layout.barmode == "stack"
    assert fig.layout.legend.title.text == "Earned tier"
    assert "trailing four quarters" in fig.layout.yaxis.title.text


def test_palettes_are_distinct():
    for palette in (charts.TIER_COLORS, charts.STATUS_COLORS, charts.SEGMENT_COLORS):
        assert len(set(palette.values())) == len(palette)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "–"),
        (float("nan"), "–"),
        (0, "$0"),
        (999, "$999"),
        (1_000, "$1.0K"),
        (250_000, "$250.0K"),
        (5_600_000, "$5.6M"),
        (-2_500_000_000, "-$2.5B"),
    ],
)
def test_money(value, text):
    assert charts.money(value) == text


def test_pct():
    assert charts.pct(0.875) == "87.5%"
    assert charts.pct(1.0) == "100.0%"
    assert charts.pct(None) == "–"
