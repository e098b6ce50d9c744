"""Vertical alignment: the chart builders, as plain functions of small hand-made frames
(the queries are in tests/test_alignment_queries.py)."""

from __future__ import annotations

import polars as pl
import pytest

from channel.charts import SEGMENT_COLORS, STATUS_COLORS, TIER_COLORS
from channel.charts import alignment as alignment_charts

MFG = "manufacturing"


# ---------------------------------------------------------------------------------------------
# Chart builders


def test_vertical_colours_are_deterministic_and_sorted_by_name():
    colors = alignment_charts.vertical_colors(["Retail", "finance", "Healthcare"])
    assert colors == {
        "finance": alignment_charts.PALETTE[0],
        "Healthcare": alignment_charts.PALETTE[1],
        "Retail": alignment_charts.PALETTE[2],
    }
    assert alignment_charts.vertical_colors(["Healthcare", "Retail", "finance", "Retail"]) == colors
    many = alignment_charts.vertical_colors([f"V{i:02d}" for i in range(14)])
    assert many["V12"] == alignment_charts.PALETTE[0]  # the palette repeats past 12 verticals


def test_priority_marking():
    assert alignment_charts.vertical_label("Finance", True) == "<b>★ Finance</b>"
    assert alignment_charts.vertical_label("Finance", True, html=False) == "★ Finance"
    assert alignment_charts.vertical_label("Education", False) == "Education"
    tick = alignment_charts.vertical_tick("Finance", True, {"Finance": "#123456"})
    assert "#123456" in tick and "★ Finance" in tick
    assert alignment_charts.md("A$B *x*") == "A\\$B \\*x\\*"


COLORS = alignment_charts.vertical_colors(["Finance", "Retail", MFG, "Healthcare", "Education"])


def coverage_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "vertical": ["Finance", "Healthcare"],
            "priority_weight": [4.0, 0.0],
            "weight_rel": [1.0, 0.0],
            "priority_share": [1.0, 0.0],
            "is_priority": [True, False],
            "focus_share": [0.4, 0.6],
            "revenue_t4q": [800.0, 200.0],
            "revenue_share": [0.8, 0.2],
            "focus_gap_pts": [-60.0, 60.0],
            "revenue_gap_pts": [-20.0, 20.0],
            "verdict": ["under_covered", "over_served"],
            "gap_threshold_pts": [5.0, 5.0],
        }
    )


def test_coverage_chart_bars_markers_and_gaps():
    fig = alignment_charts.coverage_chart(coverage_frame(), COLORS, 2025, "€")
    bar, focus, revenue = fig.data
    assert bar.type == "bar" and bar.orientation == "h"
    assert list(bar.marker.color) == [COLORS["Finance"], COLORS["Healthcare"]]
    assert list(bar.x) == [1.0, 0.0]
    assert list(focus.x) == [0.4, 0.6] and list(revenue.x) == [0.8, 0.2]
    assert "★ Finance" in bar.y[0] and "★" not in bar.y[1]
    notes = [a.text for a in fig.layout.annotations]
    assert any("Under-covered priority" in n and "−60.0 pts" in n for n in notes)
    assert any("Effort on a non-priority" in n for n in notes)
    assert "FY2025" in fig.layout.title.text
    assert fig.layout.xaxis.title.text.endswith("(%)") and fig.layout.xaxis.tickformat == ".0%"


def test_coverage_chart_without_priorities_has_no_bars():
    frame = coverage_frame().with_columns(
        pl.lit(None, pl.Float64).alias("priority_share"),
        pl.lit(None, pl.String).alias("verdict"),
        pl.lit(False).alias("is_priority"),
    )
    fig = alignment_charts.coverage_chart(frame, COLORS, 2026)
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert not fig.layout.annotations


def test_heatmap_rows_are_segment_shares_with_priority_columns():
    frame = pl.DataFrame(
        {
            "segment": ["SMB", "SMB", "Enterprise"],
            "vertical": ["Finance", "Retail", "Finance"],
            "revenue_t4q": [100.0, 300.0, 50.0],
            "revenue_share": [0.25, 0.75, 1.0],
            "focus_partners": [1.0, 0.0, 2.0],
            "focus_share": [1.0, 0.0, 1.0],
            "is_priority": [True, False, True],
        }
    )
    fig = alignment_charts.segment_vertical_heatmap(
        frame, ["Finance", "Retail"], {"Finance"}, COLORS
    )
    heat, labels = fig.data
    assert list(heat.y) == ["SMB", "Enterprise"]  # segment order, not row order
    assert [list(r) for r in heat.z] == [[0.25, 0.75], [1.0, 0.0]]
    assert "★ Finance" in heat.x[0] and "★" not in heat.x[1]
    # one label per non-empty cell, drawn over the heatmap in dark or light ink
    assert list(labels.y) == ["SMB", "SMB", "Enterprise"] and labels.mode == "text"
    assert "$100" in labels.text[0] and labels.x[0] == heat.x[0]
    focus = alignment_charts.segment_vertical_heatmap(
        frame, ["Finance", "Retail"], {"Finance"}, COLORS, "focus"
    )
    assert [list(r) for r in focus.data[0].z] == [[1.0, 0.0], [1.0, 0.0]]
    assert "focus" in focus.layout.title.text


def test_histogram_colours_and_median():
    frame = pl.DataFrame(
        {
            "group_value": ["Gold", "Silver", "Silver"],
            "bin": [5, 7, 10],
            "bin_start": [0.25, 0.35, 0.5],
            "bin_end": [0.3, 0.4, 0.55],
            "partners": [1, 2, 2],
            "group_partners": [1, 4, 4],
            "group_median": [0.25, 0.4375, 0.4375],
        }
    )
    fig = alignment_charts.alignment_histogram(frame, "earned_tier", 0.5)
    gold, silver = fig.data
    assert gold.marker.color == TIER_COLORS["Gold"] and silver.marker.color == TIER_COLORS["Silver"]
    assert list(silver.x) == pytest.approx([0.375, 0.525])  # bin centres
    assert "median 0.44" in silver.name
    assert fig.layout.shapes[0].x0 == 0.5  # the overall median
    assert fig.layout.yaxis.title.text == "Partners"
    seg = alignment_charts.alignment_histogram(
        frame.with_columns(pl.lit("SMB").alias("group_value")), "segment"
    )
    assert seg.data[0].marker.color == SEGMENT_COLORS["SMB"]


def test_say_do_chart_stacks_both_vectors_in_vertical_colours():
    frame = pl.DataFrame(
        {
            "partner_id": ["P02"],
            "partner_name": ["Bravo, Inc."],
            "distance": [0.55],
            "declared_mix": [
                [{"vertical": "Finance", "share": 0.25}, {"vertical": "Healthcare", "share": 0.75}]
            ],
            "deal_mix": [
                [{"vertical": "Finance", "share": 0.8}, {"vertical": "Healthcare", "share": 0.2}]
            ],
        }
    )
    fig = alignment_charts.say_do_chart(frame, COLORS, {"Finance"})
    finance, health = fig.data
    assert finance.marker.color == COLORS["Finance"] and finance.name == "<b>★ Finance</b>"
    assert list(finance.x) == [0.25, 0.8] and list(health.x) == [0.75, 0.2]
    assert list(finance.y[1]) == ["Declared", "Deals"]
    assert finance.customdata[0][0] == "P02"  # the partner id comes first, for click-through
    assert fig.layout.barmode == "stack"


def test_enable_chart_colours_by_status_with_open_markers_for_no_focus():
    frame = pl.DataFrame(
        {
            "rank": [1, 2],
            "partner_id": ["P03", "P06"],
            "partner_name": ["Charlie", "Foxtrot"],
            "status": ["ok", "replace_review"],
            "focus_share": [None, 1.0],
            "revenue_vertical_t4q": [1.5e6, 2.7e5],
            "certified_technical": [1, 0],
        }
    )
    fig = alignment_charts.enable_chart(frame, "Retail", True, COLORS)
    ok, review, legend = fig.data
    assert ok.marker.color == STATUS_COLORS["ok"] and ok.marker.symbol == "circle-open"
    assert review.marker.color == STATUS_COLORS["replace_review"] and list(review.x) == [1.0]
    assert ok.customdata[0][0] == "P03"
    assert "declares no focus" in legend.name
    assert "★ Retail" in fig.layout.title.text and COLORS["Retail"] in fig.layout.title.text


def test_priorities_over_time_small_multiples():
    frame = pl.DataFrame(
        {
            "fiscal_year": [2024, 2024, 2025, 2025],
            "vertical": ["Finance", "Healthcare", "Finance", "Healthcare"],
            "priority_weight": [2.0, 4.0, 4.0, 0.0],
            "priority_share": [1 / 3, 2 / 3, 1.0, 0.0],
            "is_priority": [True, True, True, False],
            "revenue": [10.0, 90.0, 60.0, 40.0],
            "revenue_share": [0.1, 0.9, 0.6, 0.4],
            "quarters_with_data": [4, 4, 3, 3],
        }
    )
    fig = alignment_charts.priorities_over_time(
        frame, COLORS, {"Finance"}, ["Finance", "Healthcare"]
    )
    panels = [t for t in fig.data if t.showlegend is False]
    assert len(panels) == 4  # two panels, a solid and a dotted line each
    assert panels[0].line.color == COLORS["Finance"] and panels[0].line.dash is None
    assert panels[1].line.dash == "dot" and list(panels[1].y) == [0.1, 0.6]
    assert list(panels[0].x) == ["FY24", "FY25*"]  # FY2025 has 3 quarters of data
    assert panels[2].xaxis == "x2" and panels[2].line.color == COLORS["Healthcare"]
    titles = [a.text for a in fig.layout.annotations]
    assert "★ Finance" in titles[0] and "★" not in titles[1]
    assert [t.name for t in fig.data if t.showlegend is not False] == [
        "Vendor priority share",
        "Channel won-revenue share",
    ]


def test_a_vertical_has_one_colour_on_every_chart():
    bar = alignment_charts.coverage_chart(coverage_frame(), COLORS, 2025).data[0]
    finance_bar = bar.marker.color[0]
    frame = pl.DataFrame(
        {
            "partner_id": ["P01"],
            "partner_name": ["A"],
            "distance": [0.1],
            "declared_mix": [[{"vertical": "Finance", "share": 1.0}]],
            "deal_mix": [[{"vertical": "Finance", "share": 1.0}]],
        }
    )
    say_do = alignment_charts.say_do_chart(frame, COLORS, {"Finance"}).data[0]
    assert finance_bar == say_do.marker.color == COLORS["Finance"]


def test_empty_frames_draw_a_message():
    empty = pl.DataFrame({"vertical": []}, schema={"vertical": pl.String})
    assert alignment_charts.coverage_chart(empty, COLORS, 2025).layout.annotations
    assert alignment_charts.priorities_over_time(
        pl.DataFrame(schema={"vertical": pl.String, "fiscal_year": pl.Int32}), COLORS, set()
    ).layout.annotations
