"""Chart builders for the partner page: one partner's quarters, focus and investments."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from channel.charts import (
    REVENUE_COLOR,
    STATUS_COLORS,
    TARGET_COLOR,
    apply_layout,
    pct,
)

NO_TARGET_COLOR = "#B8C2CC"
PROGRAM_COLORS = ["#1F4E79", "#48B3A5", "#D9A21B", "#7B6CD9", "#C0392B", "#8E9AAF"]


def quarter_performance(frame: pl.DataFrame, symbol: str = "$") -> go.Figure:
    """Won revenue per quarter coloured hit / missed / no target, with the target as markers.

    ``frame``: fiscal_quarter, revenue, target_amount, attainment, is_missed, quarter_state
    (partner_quarters). The quarter in progress is "To date": neither hit nor missed yet.
    """
    quarters = frame["fiscal_quarter"].to_list()
    missed = frame["is_missed"].to_list()
    states = frame["quarter_state"].to_list()
    outcome = [
        "To date"
        if s == "in_progress"
        else "No target"
        if m is None
        else ("Missed" if m else "Hit")
        for m, s in zip(missed, states, strict=True)
    ]
    colors = {"Hit": STATUS_COLORS["ok"], "Missed": STATUS_COLORS["replace_review"]}
    fig = go.Figure()
    for label in ("Hit", "Missed", "To date", "No target"):
        idx = [i for i, o in enumerate(outcome) if o == label]
        if not idx:
            continue
        fig.add_bar(
            x=[quarters[i] for i in idx],
            y=[frame["revenue"][i] for i in idx],
            name=f"Won revenue: {label.lower()}",
            marker_color=colors.get(label, NO_TARGET_COLOR),
            marker_pattern_shape="/" if label == "To date" else "",
            customdata=[pct(frame["attainment"][i]) for i in idx],
            hovertemplate=f"%{{x}}<br>Won revenue: {symbol}%{{y:,.0f}}<br>"
            f"Attainment: %{{customdata}} ({label.lower()})<extra></extra>",
        )
    fig.add_scatter(
        x=quarters,
        y=frame["target_amount"].to_list(),
        name="Target",
        mode="markers+lines",
        line={"color": TARGET_COLOR, "dash": "dash", "width": 1.5},
        marker={"symbol": "line-ew-open", "size": 18, "color": TARGET_COLOR},
        hovertemplate=f"%{{x}}<br>Target: {symbol}%{{y:,.0f}}<extra></extra>",
        connectgaps=False,
    )
    apply_layout(fig, "Won revenue against target", "Fiscal quarter", f"Revenue ({symbol})")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=quarters)
    fig.update_yaxes(tickprefix=symbol, tickformat="~s")
    fig.update_layout(barmode="overlay")
    return fig


def won_deals(frame: pl.DataFrame) -> go.Figure:
    """Won, lost and open deals per quarter (partner_quarters)."""
    fig = go.Figure()
    for column, name, color in (
        ("won_deals", "Won", REVENUE_COLOR),
        ("lost_deals", "Lost", "#C9B79C"),
        ("open_deals", "Open", "#8E9AAF"),
    ):
        fig.add_bar(
            x=frame["fiscal_quarter"].to_list(),
            y=frame[column].to_list(),
            name=name,
            marker_color=color,
            hovertemplate=f"%{{x}}<br>{name} deals: %{{y:,}}<extra></extra>",
        )
    apply_layout(fig, "Deals per quarter", "Fiscal quarter", "Deals (count)")
    fig.update_xaxes(type="category")
    fig.update_layout(barmode="group")
    return fig


def focus_comparison(frame: pl.DataFrame) -> go.Figure:
    """Declared focus, realised deal mix and vendor priority per vertical (partner_focus)."""
    verticals = frame["vertical"].to_list()
    fig = go.Figure()
    for column, name, color in (
        ("declared_share", "Declared focus (share)", "#7B6CD9"),
        ("realised_share", "Won revenue mix, last 4 quarters (share)", REVENUE_COLOR),
        ("priority_weight_rel", "Vendor priority (weight ÷ top weight)", "#D9A21B"),
    ):
        values = frame[column].fill_null(0).to_list()
        fig.add_bar(
            y=verticals,
            x=values,
            name=name,
            orientation="h",
            marker_color=color,
            hovertemplate=f"%{{y}}<br>{name}: %{{x:.0%}}<extra></extra>",
        )
    apply_layout(fig, "Focus: declared, realised and prioritised", "Share (0–100%)", "Vertical")
    fig.update_xaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_yaxes(autorange="reversed", rangemode=None)
    fig.update_layout(barmode="group", height=max(300, 90 + 60 * len(verticals)))
    return fig


def investments_by_program(frame: pl.DataFrame, symbol: str = "$") -> go.Figure:
    """Investment per quarter, stacked by program (partner_investments)."""
    quarters = sorted(set(frame["fiscal_quarter"].to_list()))
    fig = go.Figure()
    programs = sorted(set(frame["program"].to_list()))
    for i, program in enumerate(programs):
        rows = frame.filter(pl.col("program") == program)
        by_quarter = dict(zip(rows["fiscal_quarter"], rows["amount"], strict=True))
        fig.add_bar(
            x=quarters,
            y=[by_quarter.get(q, 0) for q in quarters],
            name=program,
            marker_color=PROGRAM_COLORS[i % len(PROGRAM_COLORS)],
            hovertemplate=f"%{{x}} · {program}<br>{symbol}%{{y:,.0f}}<extra></extra>",
        )
    apply_layout(fig, "Investment by program", "Fiscal quarter", f"Invested ({symbol})", "Program")
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickprefix=symbol, tickformat="~s")
    fig.update_layout(barmode="stack")
    return fig
