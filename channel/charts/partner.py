"""Chart builders for the partner page: one partner's quarters, focus and investments."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from channel.charts import (
    HIT_DEEP,
    IN_PROGRESS_COLOR,
    MISS_NEAR,
    MUTED_TEXT,
    NO_TARGET_COLOR,
    REVENUE_COLOR,
    TARGET_COLOR,
    apply_layout,
    pct,
)

# a quarter's outcome, in the attainment colours of the Missed targets heatmap; a missed bar is
# also cross-hatched and the quarter in progress striped, so the bars read in black and white
OUTCOME_COLORS = {
    "Hit": HIT_DEEP,
    "Missed": MISS_NEAR,
    "To date": IN_PROGRESS_COLOR,
    "No target": NO_TARGET_COLOR,
}
OUTCOME_PATTERNS = {"Hit": "", "Missed": "x", "To date": "/", "No target": ""}
PROGRAM_COLORS = ["#40368D", "#29A479", "#FDC615", "#7B709A", "#B01F14", "#B8B1DE"]
DEAL_COLORS = {"won_deals": REVENUE_COLOR, "lost_deals": "#E2A37B", "open_deals": "#A3B4C6"}
FOCUS_COLORS = {
    "declared_share": "#9B8AE6",
    "realised_share": REVENUE_COLOR,
    "priority_weight_rel": "#D9A21B",
}


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
    fig = go.Figure()
    for label in ("Hit", "Missed", "To date", "No target"):
        idx = [i for i, o in enumerate(outcome) if o == label]
        if not idx:
            continue
        fig.add_bar(
            x=[quarters[i] for i in idx],
            y=[frame["revenue"][i] for i in idx],
            name=f"Won revenue: {label.lower()}",
            marker={
                "color": OUTCOME_COLORS[label],
                "pattern": {"shape": OUTCOME_PATTERNS[label], "solidity": 0.3},
                "line": {"color": MUTED_TEXT, "width": 1 if label == "No target" else 0},
            },
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
    for column, name in (("won_deals", "Won"), ("lost_deals", "Lost"), ("open_deals", "Open")):
        color = DEAL_COLORS[column]
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
    for column, name in (
        ("declared_share", "Declared focus (share)"),
        ("realised_share", "Won revenue mix, last 4 quarters (share)"),
        ("priority_weight_rel", "Vendor priority (weight ÷ top weight)"),
    ):
        color = FOCUS_COLORS[column]
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
