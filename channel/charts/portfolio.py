"""Chart builders for the portfolio page: a manager's book against the channel, and workloads."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from channel.charts import (
    SEGMENT_COLORS,
    SEGMENT_SYMBOLS,
    STATUS_COLORS,
    STATUS_LABELS,
    TIER_COLORS,
    apply_layout,
    pct,
)

BENCHMARK_COLOR = "#222222"


def book_against_channel(
    book: pl.DataFrame, channel: pl.DataFrame, dimension: str, against: str = "the channel"
) -> go.Figure:
    """Share of partners per earned tier (or status): bars for the book, a black diamond for the
    whole channel. Frames come from ``tier_status_counts`` (dimension, value, partners, share).
    ``against`` names the comparison ("the partners you can see" for a signed-in manager)."""
    mine = book.filter(pl.col("dimension") == dimension)
    theirs = channel.filter(pl.col("dimension") == dimension)
    values = mine["value"].to_list()
    if dimension == "status":
        labels = [STATUS_LABELS[v] for v in values]
        colors = [STATUS_COLORS[v] for v in values]
        title, legend = f"Partners by status: this book against {against}", "Status"
    else:
        labels, colors = values, [TIER_COLORS[v] for v in values]
        title, legend = f"Partners by earned tier: this book against {against}", "Earned tier"
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=mine["share"].fill_null(0).to_list(),
        marker_color=colors,
        name="This book",
        customdata=mine["partners"].to_list(),
        hovertemplate="%{x}: %{y:.1%} of the book (%{customdata:,} partners)<extra></extra>",
    )
    fig.add_scatter(
        x=labels,
        y=theirs["share"].fill_null(0).to_list(),
        mode="markers",
        marker={"symbol": "diamond", "size": 12, "color": BENCHMARK_COLOR},
        name="Whole channel" if against == "the channel" else against[0].upper() + against[1:],
        customdata=theirs["partners"].to_list(),
        hovertemplate="%{x}: %{y:.1%} of " + against + " (%{customdata:,} partners)<extra></extra>",
    )
    apply_layout(fig, title, legend, "Share of partners (%)")
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(height=320)
    return fig


def manager_workload(frame: pl.DataFrame, symbol: str = "$", *, targets: bool = True) -> go.Figure:
    """One point per partner manager: partners managed against revenue, coloured by the main
    segment of the book, sized by flagged partners (``manager_comparison``). Without targets
    (``targets=False``: none loaded, so nobody is flagged) every point has one size and the
    hover leaves out flags and attainment."""
    fig = go.Figure()
    flagged_max = max(frame["flagged"].max() or 1, 1)
    hover = "%{customdata[0]}<br>%{x:,} partners · " + f"{symbol}%{{y:,.0f}} revenue (4Q)"
    if targets:
        hover += "<br>Flagged: %{customdata[1]:,} · attainment %{customdata[2]}"
    for segment, color in SEGMENT_COLORS.items():
        rows = frame.filter(pl.col("main_segment") == segment)
        if rows.height == 0:
            continue
        fig.add_scatter(
            x=rows["partners"].to_list(),
            y=rows["revenue_t4q"].to_list(),
            mode="markers",
            name=f"Mostly {segment}",
            showlegend=True,
            marker={
                "color": color,
                "symbol": SEGMENT_SYMBOLS[segment],
                "size": [8 + 22 * (f / flagged_max) for f in rows["flagged"].to_list()]
                if targets
                else 12,
                "line": {"width": 1, "color": "white"},
                "opacity": 0.85,
            },
            customdata=[
                [m, f, pct(a)]
                for m, f, a in zip(
                    rows["partner_manager"], rows["flagged"], rows["attainment"], strict=True
                )
            ],
            hovertemplate=hover + "<extra></extra>",
        )
    apply_layout(
        fig,
        "Workload by partner manager",
        "Partners managed (count)",
        f"Won revenue, last 4 quarters ({symbol})",
        "Main segment of the book" + (" (size = flagged partners)" if targets else ""),
    )
    fig.update_yaxes(tickprefix=symbol, tickformat="~s")
    fig.update_xaxes(rangemode="tozero")
    return fig
