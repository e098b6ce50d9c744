"""Pure chart builders: ``(pl.DataFrame, ...) -> go.Figure``. No Streamlit here.

This module holds the shared theme and the Overview builders; each other page has its own
module beside it (``channel.charts.tiers``, ...) built on the same theme.

One theme for every page: a colour per earned/program tier, per status and per segment, and the
same number formats. Tests check ``fig.data`` and ``fig.layout``.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from channel.contract import SEGMENTS
from channel.settings import STATUSES, TIERS

# Every palette below was chosen to stay apart under simulated deuteranopia, protanopia and
# tritanopia (tests/test_colours.py measures it), and each colour keeps one meaning everywhere.
# Colour is never the only cue: statuses also have a letter and a marker shape, segments a line
# dash and a marker shape, and labels inside fills take dark or light ink by contrast.
TIER_COLORS = {  # deep violet, gold, steel blue, stone
    "Platinum": "#46287A",
    "Gold": "#C4910A",
    "Silver": "#6F93C0",
    "Registered": "#C9BFAE",
}
TIER_SYMBOLS = {  # markers on scatter plots, so a tier reads without its colour
    "Platinum": "diamond",
    "Gold": "square",
    "Silver": "circle",
    "Registered": "triangle-up",
}
STATUS_COLORS = {  # blue for fine, then yellow, amber and wine as it gets worse
    "ok": "#336AD8",
    "watch": "#F5C400",
    "at_risk": "#C26A00",
    "replace_review": "#8A0F22",
}
STATUS_LABELS = {
    "ok": "OK",
    "watch": "Watch",
    "at_risk": "At risk",
    "replace_review": "Replacement review",
}
STATUS_LETTERS = {"ok": "✓", "watch": "W", "at_risk": "A", "replace_review": "R"}
STATUS_SYMBOLS = {
    "ok": "circle",
    "watch": "diamond",
    "at_risk": "triangle-up",
    "replace_review": "square",
}
SEGMENT_COLORS = {
    "SMB": "#9DCBF5",
    "Midmarket": "#4468D6",
    "Enterprise": "#0B3C7A",
    "Mixed": "#D9507A",
}
SEGMENT_DASHES = {"SMB": "dot", "Midmarket": "dash", "Enterprise": "dashdot", "Mixed": "longdash"}
SEGMENT_SYMBOLS = {
    "SMB": "circle",
    "Midmarket": "square",
    "Enterprise": "diamond",
    "Mixed": "triangle-up",
}
REVENUE_COLOR = "#1F4E79"
TARGET_COLOR = "#C0392B"
REVENUE_TARGET_COLORS = {"revenue": REVENUE_COLOR, "target": TARGET_COLOR}  # drawn together

# Attainment, on every chart of hit and missed: orange to brown below the miss threshold (deeper
# the further below), light to dark blue from it up. The two sides differ in hue and lightness
# under each simulated deficiency; the greys are neutral and apart from both sides.
MISS_DEEP, MISS_NEAR = "#7F3B08", "#D9780D"  # far below target .. just below it
HIT_NEAR, HIT_DEEP = "#8EC1EE", "#1D4E9E"  # at target .. far above it
NO_TARGET_COLOR = "#EBEBEB"  # a quarter without a target: neither hit nor miss
IN_PROGRESS_COLOR = "#939393"  # the quarter not over yet: revenue to date, no verdict

# Neutrals: text, reference lines and outlines, never a category.
# Text on a fill takes black or white ink, whichever contrasts more: one of the two always
# reaches 4.5:1 (they cross at a luminance of 0.18, both at 4.58:1); a softer dark ink would not.
INK_DARK, INK_LIGHT = "#000000", "#FFFFFF"
MUTED_TEXT = "#555555"  # notes on a white plot (7.5:1)
GUIDE_COLOR = "#999999"  # dotted guides such as a diagonal
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"

assert set(TIER_COLORS) == set(TIERS) == set(TIER_SYMBOLS)
assert set(STATUS_COLORS) == set(STATUSES) == set(STATUS_LETTERS) == set(STATUS_SYMBOLS)
assert set(SEGMENT_COLORS) == set(SEGMENTS) == set(SEGMENT_DASHES) == set(SEGMENT_SYMBOLS)


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of a ``#RRGGBB`` colour (0 = black, 1 = white)."""
    channels = [int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two ``#RRGGBB`` colours, 1 to 21."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(fill: str) -> str:
    """The text colour for a label on ``fill``: dark or light ink, whichever contrasts more."""
    return max((INK_DARK, INK_LIGHT), key=lambda ink: contrast_ratio(ink, fill))


def scale_color(scale: list[list], position: float) -> str:
    """The colour of a Plotly colour scale (``[[0, "#..."], ..., [1, "#..."]]``) at ``position``
    (0..1), interpolated in sRGB as Plotly does; used to pick the ink for a heatmap cell."""
    position = min(max(position, 0.0), 1.0)
    for (p0, c0), (p1, c1) in zip(scale, scale[1:], strict=False):
        if position <= p1:
            t = 0.0 if p1 == p0 else (position - p0) / (p1 - p0)
            a = [int(c0[i : i + 2], 16) for i in (1, 3, 5)]
            b = [int(c1[i : i + 2], 16) for i in (1, 3, 5)]
            return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b, strict=True))
    return scale[-1][1]


def money(value: float | None, symbol: str = "$") -> str:
    """Compact currency: 1234 -> $1.2K, 5_600_000 -> $5.6M. None/NaN -> an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "-" if value < 0 else ""
    value = abs(value)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= div:
            return f"{sign}{symbol}{value / div:,.1f}{suffix}"
    return f"{sign}{symbol}{value:,.0f}"


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.875 -> 87.5%. None/NaN -> an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:,.{digits}f}%"


# The house template, set once as Plotly's default instead of named on every figure: a figure
# that names its template validates a copy of it (8 to 45 ms a chart, measured; a quarter of
# the Missed targets page's time at 100,000 partners), while the default is filled in when the
# figure is written out, giving the same JSON.
pio.templates.default = "plotly_white"


def apply_layout(
    fig: go.Figure, title: str, x_title: str, y_title: str, legend_title: str = ""
) -> None:
    """The house layout: title top-left, legend above the plot, axis titles with units."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.97, "font": {"size": 16}},
        font={"family": FONT, "size": 12},
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        legend={
            "title": {"text": legend_title},
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "left",
            "x": 0,
        },
        hoverlabel={"font": {"family": FONT}},
        height=380,
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, rangemode="tozero")


def revenue_vs_target(frame: pl.DataFrame, symbol: str = "$") -> go.Figure:
    """Bars of won revenue and a line of target per fiscal quarter, then the plan ahead.

    ``frame``: fiscal_quarter, quarter_state, is_plan, revenue, target, attainment (one row per
    quarter, in order; ``revenue_by_quarter``). A quarter in progress is drawn as a hatched bar
    named "to date"; quarters after the as-of quarter (``is_plan``) show only their target, as a
    dotted "Plan ahead" line joined to the target line. Without any target in ``frame`` (none
    loaded, or none for these partners and quarters) it draws the revenue bars alone.
    """
    has_target = frame["target"].drop_nulls().len() > 0
    rows = frame.with_columns(
        pl.col("is_plan").fill_null(False),
        (pl.col("quarter_state") == "in_progress").fill_null(False).alias("_to_date"),
    )
    quarters = rows["fiscal_quarter"].to_list()
    shown = rows.filter(~pl.col("is_plan"))
    fig = go.Figure()
    for to_date, name, pattern in ((False, "Won revenue", ""), (True, "Won revenue to date", "/")):
        bars = shown.filter(pl.col("_to_date") == to_date)
        if bars.height == 0:
            continue
        fig.add_bar(
            x=bars["fiscal_quarter"].to_list(),
            y=bars["revenue"].to_list(),
            name=name,
            marker={
                "color": REVENUE_COLOR,
                "pattern": {"shape": pattern, "fgcolor": INK_LIGHT, "solidity": 0.35},
            },
            customdata=[pct(a) for a in bars["attainment"].to_list()],
            hovertemplate=f"%{{x}}<br>{name}: {symbol}%{{y:,.0f}}"
            + (
                "<br>" + ("Attainment to date" if to_date else "Attainment") + ": %{customdata}"
                if has_target
                else ""
            )
            + "<extra></extra>",
        )
    if not has_target:
        apply_layout(fig, "Won revenue by fiscal quarter", "Fiscal quarter", f"Revenue ({symbol})")
        fig.update_xaxes(
            type="category", categoryorder="array", categoryarray=shown["fiscal_quarter"].to_list()
        )
        fig.update_yaxes(tickprefix=symbol, tickformat="~s")
        return fig
    fig.add_scatter(
        x=shown["fiscal_quarter"].to_list(),
        y=shown["target"].to_list(),
        name="Target",
        mode="lines+markers",
        line={"color": TARGET_COLOR, "width": 2, "dash": "dash"},
        marker={"symbol": "diamond", "size": 7},
        hovertemplate=f"%{{x}}<br>Target: {symbol}%{{y:,.0f}}<extra></extra>",
    )
    plan = rows.filter(pl.col("is_plan"))
    if plan.height and plan["target"].drop_nulls().len():
        joined = pl.concat([shown.tail(1), plan]) if shown.height else plan
        fig.add_scatter(
            x=joined["fiscal_quarter"].to_list(),
            y=joined["target"].to_list(),
            name="Plan ahead (target)",
            mode="lines+markers",
            line={"color": TARGET_COLOR, "width": 2, "dash": "dot"},
            marker={"symbol": "diamond-open", "size": 8},
            hovertemplate=f"%{{x}}<br>Planned target: {symbol}%{{y:,.0f}}<extra></extra>",
        )
    apply_layout(
        fig,
        "Won revenue against target, by fiscal quarter",
        "Fiscal quarter",
        f"Revenue ({symbol})",
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=quarters)
    fig.update_yaxes(tickprefix=symbol, tickformat="~s")
    return fig


def revenue_by_segment_tier(frame: pl.DataFrame, symbol: str = "$") -> go.Figure:
    """Stacked bars: trailing-four-quarter revenue per segment, one colour per earned tier.

    ``frame``: segment, earned_tier, partners, revenue_t4q, revenue_share.
    """
    fig = go.Figure()
    segments = [s for s in SEGMENTS if s in set(frame["segment"].to_list())]
    for tier in TIERS:
        rows = frame.filter(pl.col("earned_tier") == tier)
        if rows.height == 0:
            continue
        by_segment = {r["segment"]: r for r in rows.iter_rows(named=True)}
        fig.add_bar(
            x=segments,
            y=[by_segment[s]["revenue_t4q"] if s in by_segment else 0 for s in segments],
            name=tier,
            marker_color=TIER_COLORS[tier],
            customdata=[
                [by_segment[s]["partners"], pct(by_segment[s]["revenue_share"])]
                if s in by_segment
                else [0, pct(0)]
                for s in segments
            ],
            hovertemplate=f"%{{x}} · {tier}<br>Revenue (T4Q): {symbol}%{{y:,.0f}}<br>"
            "Partners: %{customdata[0]:,}<br>Share of revenue: %{customdata[1]}<extra></extra>",
        )
    apply_layout(
        fig,
        "Revenue by segment and earned tier (trailing four quarters)",
        "Segment",
        f"Won revenue, trailing four quarters ({symbol})",
        "Earned tier",
    )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(tickprefix=symbol, tickformat="~s")
    return fig
