"""The Partner tiers page's chart builders, as plain functions of small hand-made frames: traces,
colours, axes and findings (the queries are in tests/test_tiers_queries.py)."""

from __future__ import annotations

import polars as pl
import pytest

from channel import charts
from channel.charts import tiers as tier_charts

# ---------------------------------------------------------------------------------------------
# Chart builders


def test_tier_structure_shares_within_each_segment():
    frame = pl.DataFrame(
        {
            "segment": ["SMB", "SMB", "Enterprise"],
            "earned_tier": ["Registered", "Silver", "Platinum"],
            "partners": [3, 1, 1],
            "revenue_t4q": [100.0, 300.0, 600.0],
        }
    )
    fig = tier_charts.tier_structure(frame)
    names = [t.name for t in fig.data]
    assert names == ["Platinum", "Platinum", "Silver", "Silver", "Registered", "Registered"]
    for trace in fig.data:
        assert trace.marker.color == charts.TIER_COLORS[trace.name]
    # bars bottom-up: "All segments", Enterprise, SMB
    registered_partners, registered_revenue = fig.data[4], fig.data[5]
    assert list(registered_partners.y) == ["All segments", "Enterprise", "SMB"]
    assert list(registered_partners.x) == pytest.approx([3 / 5, 0, 3 / 4])
    assert list(registered_revenue.x) == pytest.approx([100 / 1000, 0, 100 / 400])
    assert [t.showlegend for t in fig.data] == [True, False] * 3
    assert "partners (%)" in fig.layout.xaxis.title.text
    assert "revenue" in fig.layout.xaxis2.title.text
    assert fig.layout.barmode == "stack"
    # one segment: no "All segments" bar
    only = tier_charts.tier_structure(frame.filter(pl.col("segment") == "SMB"))
    assert list(only.data[0].y) == ["SMB"]


def test_tier_matrix_cells_and_findings():
    frame = pl.DataFrame(
        {
            "program_tier": ["Gold", "Gold", "(none)"],
            "earned_tier": ["Platinum", "Gold", "Silver"],
            "tier_gap": [-1, 0, -1],
            "partners": [2, 5, 1],
            "revenue_t4q": [7e6, 4e6, 3e5],
        }
    )
    fig = tier_charts.tier_matrix(frame)
    heat = fig.data[0]
    assert list(heat.x) == ["Platinum", "Gold", "Silver", "Registered"]
    assert list(heat.y) == ["Platinum", "Gold", "Silver", "Registered", "(none)"]
    assert list(heat.z[1][:2]) == [-1, 0] and heat.z[0][0] is None
    # the count, with an arrow that says which way the tier should move (no colour needed)
    assert heat.text[1][0] == "▲ 2" and heat.text[4][2] == "▲ 1" and heat.text[1][1] == "5"
    assert "$7.0M" in heat.hovertext[1][0]
    assert [t.name for t in fig.data[1:]] == ["▼ Over-tiered", "▲ Promotion candidate", "Match"]
    assert [t.marker.color for t in fig.data[1:]] == [
        tier_charts.FINDING_COLORS[f] for f in (1, -1, 0)
    ]
    assert fig.layout.yaxis.title.text == "Program tier held"
    assert "Earned tier" in fig.layout.xaxis.title.text
    without_none = tier_charts.tier_matrix(frame.filter(pl.col("program_tier") != "(none)"))
    assert "(none)" not in list(without_none.data[0].y)


def test_concentration_curve_marks_top_shares():
    frame = pl.DataFrame(
        {
            "period": ["current"] * 4 + ["previous"] * 4,
            "fiscal_quarter": ["2025-Q4"] * 4 + ["2024-Q4"] * 4,
            "partners": [4] * 8,
            "revenue_t4q": [100.0] * 8,
            "top10_share": [0.7] * 4 + [0.5] * 4,
            "top20_share": [0.7] * 4 + [0.5] * 4,
            "hhi": [5400.0] * 4 + [3000.0] * 4,
            "partner_share": [0.25, 0.5, 0.75, 1.0] * 2,
            "revenue_share": [0.7, 0.9, 1.0, 1.0, 0.5, 0.8, 0.95, 1.0],
        }
    )
    fig = tier_charts.concentration_curve(frame)
    names = [t.name for t in fig.data]
    assert names[:3] == [
        "Every partner equal",
        "4 quarters to 2024-Q4 (previous)",
        "4 quarters to 2025-Q4",
    ]
    previous, current, marks = fig.data[1], fig.data[2], fig.data[3]
    assert previous.line.dash == "dash" and current.line.color == charts.REVENUE_COLOR
    assert list(current.x)[0] == 0 and list(current.y)[:2] == [0, 0.7]
    # ceil(10% of 4) = ceil(20% of 4) = 1 partner -> x = 0.25
    assert list(marks.x) == [0.25, 0.25] and list(marks.text) == [
        "Top 10%: 70.0%",
        "Top 20%: 70.0%",
    ]
    assert "(% of partners)" in fig.layout.xaxis.title.text
    assert "(%)" in fig.layout.yaxis.title.text


def _quadrant_frame() -> pl.DataFrame:
    keys = ["high_high", "high_low", "low_high", "low_low", "no_revenue"]
    return pl.DataFrame(
        {
            "dimension": ["quadrant"] * 5,
            "group_key": keys,
            "partners": [2, 1, 2, 4, 1],
            "revenue_t4q": [7.5e6, 2.5e5, 7.5e5, 1.12e6, 0.0],
            "investment_t4q": [52e3, 7.5e3, 1.5e3, 8e3, 0.0],
            "partner_share": [0.2, 0.1, 0.2, 0.4, 0.1],
            "revenue_share": [0.78, 0.03, 0.08, 0.11, 0.0],
            "investment_share": [0.75, 0.11, 0.02, 0.12, 0.0],
            "revenue_per_invested": [144.2, 33.3, 500.0, 140.0, None],
            "median_won_deals": [4.0] * 5,
            "median_revenue": [320e3] * 5,
            "significant_investment": [8e3] * 5,
            "flagged_partners": [0, 0, 0, 1, 0],
        }
    )


def test_velocity_volume_uses_webgl_log_axes_and_medians():
    marks = pl.DataFrame(
        {
            "earned_tier": ["Platinum", "Silver", "Silver"],
            "partners": [1, 1, 40],
            "won_deals_t4q": [5.0, 4.0, 12.0],
            "revenue_t4q": [6.5e6, 2.5e5, 9e4],
            "revenue_total": [6.5e6, 2.5e5, 3.6e6],
            "won_deals_min": [5, 4, 11],
            "won_deals_max": [5, 4, 13],
            "partner_id": ["P03", "P01", None],
            "partner_name": ["Charlie", "Alpha", None],
        },
        schema_overrides={"won_deals_min": pl.Int32, "won_deals_max": pl.Int32},
    )
    fig = tier_charts.velocity_volume(marks, _quadrant_frame())
    assert [t.type for t in fig.data] == ["scattergl", "scattergl"]
    platinum, silver = fig.data
    assert platinum.marker.color == charts.TIER_COLORS["Platinum"]
    assert [c[0] for c in silver.customdata] == ["P01", ""]  # only single partners carry an id
    assert "40 Silver partners" in silver.hovertext[1] and "11–13" in silver.hovertext[1]
    assert silver.marker.size[1] > silver.marker.size[0]  # a fuller cell draws bigger
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert "won deals" in fig.layout.xaxis.title.text and "($" in fig.layout.yaxis.title.text
    lines = {(s.type, s.x0, s.y0) for s in fig.layout.shapes}
    assert ("line", 4.0, 0) in lines and ("line", 0, 320e3) in lines
    texts = [a.text for a in fig.layout.annotations]
    assert any("High velocity / high volume" in t and "2 partners · $7.5M" in t for t in texts)
    assert any("Low velocity / low volume" in t and "4 partners" in t for t in texts)
    assert "$1M" in list(fig.layout.yaxis.ticktext)


def test_share_comparison_and_program_roi():
    fig = tier_charts.share_comparison(_quadrant_frame(), "quadrant", "Per quadrant")
    revenue, investment = fig.data
    assert revenue.marker.color == charts.REVENUE_COLOR
    assert investment.marker.color == tier_charts.INVESTMENT_COLOR
    assert list(revenue.y)[0] == "High velocity / high volume"
    assert list(investment.x) == [0.75, 0.11, 0.02, 0.12, 0.0]
    assert "(%)" in fig.layout.xaxis.title.text
    programs = pl.DataFrame(
        {
            "program": ["Rebates", "MDF"],
            "partners": [1, 3],
            "investment_t4q": [40e3, 14.5e3],
            "investment_share": [0.73, 0.27],
            "revenue_t4q": [6.5e6, 8.8e5],
            "revenue_per_invested": [162.5, 60.69],
        }
    )
    roi = tier_charts.program_roi(programs, "€")
    assert list(roi.data[0].y) == ["Rebates", "MDF"]
    assert list(roi.data[0].text) == ["€162 per €1", "€61 per €1"]
    assert roi.layout.xaxis.title.text == "Revenue per €1 invested (€)"


def test_tier_movement_sankey_colours():
    frame = pl.DataFrame(
        {
            "quarter_before": ["2024-Q4"] * 3,
            "tier_before": ["Gold", "Registered", "Silver"],
            "tier_now": ["Platinum", "Silver", "Registered"],
            "tiers_moved": [1, 1, -1],
            "partners": [1, 4, 1],
            "revenue_t4q": [6.5e6, 1.24e6, 2.3e5],
        }
    )
    fig = tier_charts.tier_movement(frame)
    sankey = fig.data[0]
    assert list(sankey.node.label) == [
        "Gold · 1",
        "Silver · 1",
        "Registered · 4",
        "Platinum · 1",
        "Silver · 4",
        "Registered · 1",
    ]
    assert list(sankey.node.color)[0] == charts.TIER_COLORS["Gold"]
    assert list(sankey.link.source) == [0, 2, 1] and list(sankey.link.target) == [3, 4, 5]
    assert list(sankey.link.color) == [
        tier_charts.MOVE_COLORS[1],
        tier_charts.MOVE_COLORS[1],
        tier_charts.MOVE_COLORS[-1],
    ]
    assert "2024-Q4" in fig.layout.title.text


def test_what_if_bars_and_floor_choices():
    frame = pl.DataFrame(
        {
            "earned_tier": ["Silver", "Silver", "Registered"],
            "what_if_tier": ["Silver", "Registered", "Registered"],
            "tiers_moved": [0, -1, 0],
            "partners": [4, 2, 2],
            "revenue_t4q": [1.37e6, 5.2e5, 2.3e5],
        }
    )
    fig = tier_charts.what_if_tiers(frame)
    now, then = fig.data
    assert list(now.x) == list(charts.TIERS)
    assert list(now.y) == [0, 0, 6, 2] and list(then.y) == [0, 0, 4, 4]
    assert list(now.marker.color) == [charts.TIER_COLORS[t] for t in charts.TIERS]
    assert then.marker.pattern.shape == "/"
    assert fig.layout.yaxis.title.text == "Partners (count)"
    choices = tier_charts.floor_choices([5e6, 1e6, 333_333.0])
    assert choices == sorted(choices) and 333_333.0 in choices and 0.0 in choices
    assert 250_000.0 in choices and choices[-1] == 1e8


def test_axis_helpers():
    assert tier_charts.log_ticks(3, 40) == [2, 5, 10, 20, 50, 100]
    assert tier_charts.log_ticks(0, 10) == []
    assert [tier_charts.short_money(v) for v in (500, 2_000, 1_500_000)] == ["$500", "$2K", "$1.5M"]
