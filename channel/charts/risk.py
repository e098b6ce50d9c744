"""Chart builders for the miss forecast (the Missed targets page's Next quarter tab). Pure
functions: ``(pl.DataFrame, ...) -> go.Figure``.

Frames come from ``queries/risk_*.sql``, named in each docstring. A risk is a probability, a
fraction from 0 to 1, shown as a percentage. Colours come from the shared theme in
``channel.charts``: a segment keeps its colour, and the forecast's own marks are black on white,
like every reference mark, so no new colour has to be learned.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from channel.charts import (
    GUIDE_COLOR,
    INK_DARK,
    SEGMENT_COLORS,
    apply_layout,
    money,
    pct,
)
from channel.contract import SEGMENTS

BANDS = 10  # risk bands of 10 points, as risk_distribution.sql groups them
KIND_WORDS = {  # what a forecast of each kind is the chance of, for titles and captions
    "next": "missing",
    "nowcast": "ending missed",
}


def band_label(band: int) -> str:
    """Risk band 0..9 as words: 0 -> '0–10%', 9 -> '90–100%'."""
    return f"{band * 100 // BANDS}–{(band + 1) * 100 // BANDS}%"


def risk_distribution(
    frame: pl.DataFrame, target_quarter: str, kind: str = "next", symbol: str = "$"
) -> go.Figure:
    """Grouped bars: per risk band (10 points wide), the share of each segment's partners whose
    forecast falls in it, one colour per segment, so segments of different sizes compare.

    ``frame`` (``risk_distribution``): segment, risk_band (0..9), partners, revenue_at_stake,
    segment_partners, segment_median_risk. Bands without partners are drawn as 0. An empty frame
    gives empty axes with the same titles.
    """
    labels = [band_label(b) for b in range(BANDS)]
    fig = go.Figure()
    present = set(frame["segment"].to_list())
    for segment in [s for s in SEGMENTS if s in present]:
        rows = frame.filter(pl.col("segment") == segment)
        by_band = {r["risk_band"]: r for r in rows.iter_rows(named=True)}
        total = rows["segment_partners"][0]
        median = rows["segment_median_risk"][0]
        counts = [by_band[b]["partners"] if b in by_band else 0 for b in range(BANDS)]
        stakes = [by_band[b]["revenue_at_stake"] if b in by_band else 0.0 for b in range(BANDS)]
        fig.add_bar(
            x=labels,
            y=[c / total for c in counts],
            name=f"{segment} (median {pct(median, 0)})",
            marker_color=SEGMENT_COLORS[segment],
            customdata=[[c, total, money(s, symbol)] for c, s in zip(counts, stakes, strict=True)],
            hovertemplate=f"{segment} · chance of {KIND_WORDS[kind]} %{{x}}<br>"
            "%{customdata[0]:,} of %{customdata[1]:,} partners (%{y:.0%})<br>"
            "Revenue at stake: %{customdata[2]}<extra></extra>",
        )
    apply_layout(
        fig,
        f"How likely partners are to miss {target_quarter}, by segment"
        if kind == "next"
        else f"How likely partners are to end {target_quarter} missed, by segment",
        f"Chance of {KIND_WORDS[kind]} {target_quarter} (forecast, in bands of 10 points)",
        "Share of the segment's partners",
        "Segment (median chance)",
    )
    fig.update_layout(barmode="group", bargap=0.15)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    fig.update_yaxes(tickformat=".0%")
    return fig


def reliability(frame: pl.DataFrame) -> go.Figure:
    """The backtest's reliability: per decile of predicted risk, the mean predicted chance of a
    miss (x) against the share that did miss (y), with the diagonal where the two agree. A point
    above the diagonal: more partners missed than the forecast said.

    ``frame`` (``risk_reliability``): decile, predictions, missed, predicted_miss_rate,
    observed_miss_rate, risk_from, risk_to, first_quarter, last_quarter, total_predictions.
    """
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name="Perfectly calibrated (forecast = outcome)",
        line={"color": GUIDE_COLOR, "dash": "dot", "width": 2},
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=frame["predicted_miss_rate"].to_list(),
        y=frame["observed_miss_rate"].to_list(),
        mode="lines+markers+text",
        name="Partners grouped by forecast (tenths, lowest first)",
        line={"color": INK_DARK, "width": 1.5},
        marker={"color": INK_DARK, "size": 9, "symbol": "circle"},
        text=[str(d) for d in frame["decile"].to_list()],
        textposition="top left",
        textfont={"color": INK_DARK, "size": 10},
        customdata=[
            [
                r["decile"],
                r["predictions"],
                r["missed"],
                pct(r["risk_from"], 0),
                pct(r["risk_to"], 0),
            ]
            for r in frame.iter_rows(named=True)
        ],
        hovertemplate="Tenth %{customdata[0]}: forecasts from %{customdata[3]} to "
        "%{customdata[4]}<br>Forecast, on average: %{x:.0%}<br>Missed: %{y:.0%} "
        "(%{customdata[2]:,} of %{customdata[1]:,})<extra></extra>",
    )
    span = ""
    if frame.height:
        first, last = frame["first_quarter"][0], frame["last_quarter"][0]
        total = frame["total_predictions"][0]
        quarters = f"{first} to {last}" if first != last else first
        span = f", quarters predicted {quarters} ({total:,} forecasts)"
    apply_layout(
        fig,
        f"Forecast chance of missing against the share that missed{span}",
        "Chance of missing that the forecast gave (average of the group)",
        "Share that actually missed",
    )
    fig.update_xaxes(range=[-0.01, 1.01], dtick=0.2, tickformat=".0%")
    fig.update_yaxes(range=[-0.01, 1.05], dtick=0.2, tickformat=".0%")
    fig.update_layout(height=420)
    return fig
