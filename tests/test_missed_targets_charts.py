"""Missed targets: the chart builders, as plain functions of small hand-made frames (the
queries are in tests/test_missed_targets_queries.py)."""

from __future__ import annotations

import math

import polars as pl
import pytest

from channel.charts import SEGMENT_COLORS, STATUS_COLORS
from channel.charts import missed as missed_charts

# ---------------------------------------------------------------------------------------------
# Chart builders


def heat_frame() -> pl.DataFrame:
    """Two partners over four quarters; 2025-Q4 is in progress (attainment to date, no verdict).
    ``is_missed`` is the query's verdict: P2's 99% in 2025-Q3 is a miss, P1's 150% in 2025-Q4 is
    not a hit, because that quarter is not over."""
    rows = []
    for order, (pid, name, status, atts, missed) in enumerate(
        [
            ("P1", "One", "at_risk", [0.5, None, 1.0, 1.5], [True, None, False, None]),
            ("P2", "Two", "ok", [1.5, 2.5, 0.99, 0.2], [False, False, True, None]),
        ],
        start=1,
    ):
        for i, (att, is_missed) in enumerate(zip(atts, missed, strict=True)):
            rows.append(
                {
                    "row_order": order,
                    "partner_id": pid,
                    "partner_name": name,
                    "status": status,
                    "missed_streak": 3 if status == "at_risk" else 0,
                    "missed_last_8": 3,
                    "revenue_t4q": 1000.0,
                    "fiscal_quarter": f"2025-Q{i + 1}",
                    "quarter_idx": 8100 + i,
                    "revenue": None if att is None else att * 100,
                    "target_amount": None if att is None else 100.0,
                    "attainment": att,
                    "is_missed": is_missed,
                    "quarter_state": "in_progress" if i == 3 else "complete",
                }
            )
    return pl.DataFrame(rows)


def test_heatmap_builder_greys_out_quarters_without_target():
    fig = missed_charts.attainment_heatmap(heat_frame(), miss_below=1.0, not_shown=7)
    traces = {t.name: t for t in fig.data}
    at_risk, ok = traces["A At risk"], traces["✓ OK"]
    cells, grey = traces["Attainment"], traces["No target"]
    # the status strip: one square per partner, a trace (legend entry) per status, severe first,
    # and the status letter on each square
    assert [t.name for t in fig.data[:2]] == ["A At risk", "✓ OK"]
    assert at_risk.type == "scatter"
    assert at_risk.marker.color == STATUS_COLORS["at_risk"]
    assert ok.marker.color == STATUS_COLORS["ok"]
    assert list(at_risk.y) == ["One · P1"] and at_risk.customdata[0][0] == "P1"
    letters = traces["Status letters"]
    assert list(zip(letters.y, letters.text, strict=True)) == [("One · P1", "A"), ("Two · P2", "✓")]
    assert list(cells.y) == ["One · P1", "Two · P2"]
    assert list(cells.x) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    # no target: no colour on the attainment scale (not 0), a grey cell instead
    assert math.isnan(cells.z[0][1]) and grey.z[0][1] == 1
    assert math.isnan(grey.z[0][0]) and cells.z[0][0] == 0.5
    assert grey.colorscale[0][1] == missed_charts.NO_TARGET_COLOR and grey.showscale is False
    assert cells.z[1][1] == 2.0  # 250% is capped at the top of the scale (200%)
    assert "no target" in grey.customdata[0][1][1]
    assert cells.customdata[0][0][0] == "P1"  # the partner id comes first
    assert cells.customdata[0][0][1].startswith("50.0% of target (missed)")
    assert cells.customdata[1][2][1].startswith("99.0% of target (missed)")
    assert (cells.zmin, cells.zmax) == (0, 2.0)
    assert "7 not shown" in fig.layout.title.text
    assert any("No target" in a.text for a in fig.layout.annotations)
    assert list(fig.layout.yaxis.range) == [1.5, -0.5]  # the first row on top


def test_heatmap_marks_misses_from_the_query_and_never_judges_the_quarter_in_progress():
    fig = missed_charts.attainment_heatmap(heat_frame(), miss_below=1.0)
    traces = {t.name: t for t in fig.data}
    cells, dots = traces["Attainment"], traces["Missed"]
    # a dot on each missed cell, and only there: P1 2025-Q1 and P2 2025-Q3 (99%, is_missed)
    assert list(zip(dots.x, dots.y, strict=True)) == [
        ("2025-Q1", "One · P1"),
        ("2025-Q3", "Two · P2"),
    ]
    assert dots.marker.symbol == missed_charts.MISSED_MARK and dots.hoverinfo == "skip"
    assert any(t.name.startswith("Missed (dot") for t in fig.data)  # the dot's legend entry
    # P1's 100% in 2025-Q3 is a hit: exactly at the threshold, on the hit side of the break
    assert cells.z[0][2] == 1.0 and cells.customdata[0][2][1].startswith("100.0% of target (hit)")
    # the quarter in progress: no colour on the scale, a neutral cell that says "to date", both
    # for P1 at 150% (not a hit yet) and P2 at 20% (not a miss yet)
    assert math.isnan(cells.z[0][3]) and math.isnan(cells.z[1][3])
    progress = traces["In progress"]
    assert progress.z[0][3] == 1 and progress.z[1][3] == 1 and math.isnan(progress.z[0][0])
    assert (
        progress.colorscale[0][1]
        == missed_charts.IN_PROGRESS_COLOR
        != missed_charts.NO_TARGET_COLOR
    )
    assert "to date" in progress.customdata[1][3][1] and "150.0%" in progress.customdata[0][3][1]
    assert "(missed)" not in progress.customdata[1][3][1]
    assert "(hit)" not in progress.customdata[0][3][1]
    to_date = traces["To date"]
    assert list(to_date.x) == ["2025-Q4", "2025-Q4"] and set(to_date.text) == {"to date"}
    assert list(fig.layout.xaxis2.ticktext)[-1] == "2025-Q4 (to date)"
    assert any("In progress" in a.text for a in fig.layout.annotations)
    complete = missed_charts.attainment_heatmap(heat_frame().filter(pl.col("quarter_idx") < 8103))
    assert not any("In progress" in a.text for a in complete.layout.annotations)
    assert not next(complete.select_traces(selector={"name": "To date"})).x


def test_heatmap_colour_follows_the_query_verdict_not_a_threshold_in_python():
    # is_missed is the query's verdict: when it disagrees with attainment < miss_below (say the
    # query rounds), the side of the colour scale and the dot still follow is_missed
    frame = heat_frame().with_columns(
        pl.when((pl.col("partner_id") == "P2") & (pl.col("fiscal_quarter") == "2025-Q3"))
        .then(False)
        .otherwise(pl.col("is_missed"))
        .alias("is_missed")
    )
    fig = missed_charts.attainment_heatmap(frame, miss_below=1.0)
    traces = {t.name: t for t in fig.data}
    cells = traces["Attainment"]
    assert cells.z[1][2] == 1.0  # drawn at the break, on the hit side
    assert cells.customdata[1][2][1].startswith("99.0% of target (hit)")
    assert list(traces["Missed"].x) == ["2025-Q1"]


def test_heatmap_requires_the_quarter_state():
    with pytest.raises(pl.exceptions.ColumnNotFoundError):
        missed_charts.attainment_heatmap(heat_frame().drop("quarter_state"))


@pytest.mark.parametrize("miss_below", [1.0, 0.9])
def test_attainment_scale_breaks_at_the_threshold(miss_below):
    scale, z_max = missed_charts.attainment_colorscale(miss_below)
    assert z_max == pytest.approx(2 * miss_below)
    positions = [p for p, _ in scale]
    colours = [c for _, c in scale]
    # just below the middle is a miss colour, the middle itself (exactly at target) a hit colour
    assert positions[2] == pytest.approx(0.5) and colours[2] == missed_charts.HIT_NEAR
    assert positions[1] < 0.5 and colours[1] == missed_charts.MISS_NEAR
    assert colours[0] == missed_charts.MISS_DEEP and colours[-1] == missed_charts.HIT_DEEP


def test_streak_distribution_builder():
    frame = pl.DataFrame(
        {
            "segment": ["SMB", "SMB", "SMB", "Enterprise"],
            "streak_bucket": [0, 2, 8, 3],
            "partners": [50, 4, 1, 2],
        }
    )
    fig = missed_charts.streak_distribution(frame, watch_streak=2, at_risk_streak=3)
    assert [t.name for t in fig.data] == ["SMB", "Enterprise"]
    smb = fig.data[0]
    assert list(smb.x) == ["1", "2", "3", "4", "5", "6", "7", "8+"]  # 0 is not drawn
    assert list(smb.y) == [0, 4, 0, 0, 0, 0, 0, 1]
    assert smb.marker.color == SEGMENT_COLORS["SMB"]
    assert fig.layout.yaxis.title.text == "Partners"
    assert len(fig.layout.shapes) == 2  # the watch and at-risk bands
    assert fig.layout.yaxis.dtick == 1  # a handful of partners: whole-number ticks


def test_miss_rate_builder():
    frame = pl.DataFrame(
        {
            "fiscal_quarter": ["2025-Q1", "2025-Q1", "2025-Q2", "2025-Q2"],
            "quarter_idx": [8100, 8100, 8101, 8101],
            "segment": ["All segments", "SMB", "All segments", "SMB"],
            "is_total": [True, False, True, False],
            "targeted_partners": [4, 4, 4, 4],
            "missed_partners": [1, 1, 2, 2],
            "miss_rate": [0.25, 0.25, 0.5, 0.5],
            "shortfall": [10.0, 10.0, 30.0, 30.0],
        }
    )
    fig = missed_charts.miss_rate_over_time(frame, "€")
    lines = [t for t in fig.data if t.type == "scatter"]
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in lines] == ["All segments", "SMB"]
    assert lines[0].line.color == missed_charts.ALL_COLOR
    assert list(lines[1].y) == [0.25, 0.5]
    assert [t.name for t in bars] == ["SMB"] and list(bars[0].y) == [10.0, 30.0]
    assert fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.yaxis2.title.text == "Shortfall (€)"
    assert fig.layout.xaxis2.title.text == "Fiscal quarter"


def recovery_frame() -> pl.DataFrame:
    rows = []
    for level in (2, 3):
        for segment in ("All segments", "SMB"):
            for h, (n, rec, cen) in zip((1, 2, 4), [(4, 1, 0), (4, 2, 0), (0, 0, 4)], strict=True):
                rows.append(
                    {
                        "reached_streak": level,
                        "segment": segment,
                        "is_total": segment == "All segments",
                        "horizon_quarters": h,
                        "episodes": n,
                        "recovered": rec,
                        "recovery_rate": rec / n if n else None,
                        "censored": cen,
                    }
                )
    return pl.DataFrame(rows)


def test_recovery_builder_and_table():
    fig = missed_charts.recovery_rates(recovery_frame())
    assert [t.name for t in fig.data] == ["All segments", "SMB", "All segments", "SMB"]
    everyone = fig.data[0]
    assert list(everyone.y) == [0.25, 0.5, None]  # no observed episode: no bar, not 0
    assert list(everyone.text) == ["25%", "50%", ""]
    assert list(fig.data[1].text) == ["", "", ""]  # only the all-segments bars are labelled
    assert everyone.marker.color == missed_charts.ALL_COLOR
    assert fig.data[1].marker.color == SEGMENT_COLORS["SMB"]
    assert fig.layout.xaxis.title.text == "After 2 missed quarters in a row"
    assert fig.layout.xaxis2.title.text == "After 3 missed quarters in a row"
    table = missed_charts.recovery_table(recovery_frame())
    assert table.columns == ["reached_streak", "segment", "within 1 q", "within 2 q", "within 4 q"]
    assert table.row(0) == (2, "All segments", "25% (n = 4)", "50% (n = 4)", "– (n = 0)")
    assert table["segment"].to_list() == ["All segments", "SMB", "All segments", "SMB"]


def test_chronic_builder():
    frame = pl.DataFrame(
        {
            "streak_bucket": [0, 2, 0],
            "missed_last_8": [0, 2, 7],
            "status": ["ok", "watch", "replace_review"],
            "partners": [100, 4, 1],
            "revenue_t4q": [1e6, 1e5, 2e4],
            "examples": [["A", "B"], ["C"], ["D"]],
        }
    )
    fig = missed_charts.chronic_vs_temporary(frame)
    assert [t.name for t in fig.data] == ["OK", "Watch", "Replacement review"]
    for trace, status in zip(fig.data, ["ok", "watch", "replace_review"], strict=True):
        assert trace.marker.color == STATUS_COLORS[status]
    assert fig.data[0].marker.size[0] > fig.data[2].marker.size[0]  # sized by partners
    assert fig.data[0].customdata[0][2] == "A, B"
    assert fig.layout.xaxis.title.text.startswith("Current missed streak")
    assert fig.layout.yaxis.title.text == "Missed quarters of the last 8"
