"""Chart builders for the Vertical alignment page: ``(pl.DataFrame, ...) -> go.Figure``.

One colour per vertical everywhere: ``vertical_colors`` maps the database's verticals, sorted by
name, onto a fixed qualitative palette of 12 (``PALETTE``), so a vertical keeps its colour
whatever the filters, the as-of quarter or the chart. Twelve colours cannot all stay far apart
under every colour-vision deficiency, so where colour alone tells verticals apart (the stacked
say-against-do bars) each palette slot also has a fill pattern (``VERTICAL_PATTERNS``).
Priority verticals (weight above 0 in the as-of fiscal year) are marked the same way on every
chart: a star and bold text ("<b>★ Finance</b>"), and a square in the vertical's colour where
the vertical is an axis label.

Pure functions: no Streamlit here. Frames are the outputs of ``queries/alignment_*.sql``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import plotly.graph_objects as go
import polars as pl

from channel.charts import (
    INK_DARK,
    MUTED_TEXT,
    SEGMENT_COLORS,
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_SYMBOLS,
    TIER_COLORS,
    apply_layout,
    ink_on,
    money,
    pct,
    scale_color,
)
from channel.contract import SEGMENTS
from channel.settings import STATUSES, TIERS

# Okabe-Ito, then Paul Tol's muted colours, each moved (by 7 to 17 CAM02-UCS units) until every
# pair stays 15 or more apart under simulated deuteranopia, protanopia and tritanopia.
PALETTE = (
    "#3343D1",  # blue
    "#F5D541",  # yellow
    "#07844C",  # green
    "#FD7F8F",  # pink
    "#4B91FD",  # sky blue
    "#CE2F02",  # vermilion
    "#4F376E",  # indigo
    "#B7A228",  # olive
    "#7F092D",  # wine
    "#08D3C0",  # turquoise
    "#8A5572",  # mauve
    "#8487AB",  # lavender grey
)
# A fill pattern per palette slot: two slots share a pattern only when their colours stay 40 or
# more apart under every simulated deficiency, so colour and pattern together always tell apart.
VERTICAL_PATTERNS = ("/", "", "x", ".", "", "/", "\\", "|", "", "\\", "-", "+")
OTHER_COLOR = "#BBBBBB"  # a vertical the mapping has not seen (should not happen)
# the share heatmap: white to dark blue, lightness falling at every step under every deficiency
SHARE_SCALE = ("#F7FBFF", "#C6DBEF", "#6BAED6", "#2171B5", "#08306B")
STAR = "★"
FOCUS_COLOR = "#444444"
REVENUE_COLOR = "#111111"
# note colours on white, 4.5:1 or more; the verdict is also written out in bold; "in line" is grey
VERDICT_COLORS = {"under_covered": "#B34700", "over_served": "#7A3E9D"}
VERDICT_LABELS = {
    "under_covered": "Under-covered priority",
    "over_served": "Effort on a non-priority",
    "in_line": "In line",
}
SIGNAL_LABELS = {"proven": "Proven", "enable": "Enable", "undeclared": "Sells, undeclared"}
SIGNAL_HELP = (
    "Proven: declares the vertical and won deals in it. Enable: declares it but won no deal in "
    "it in the last four quarters. Sells, undeclared: won deals in it without declaring it."
)
MEASURES = {"revenue": "Won revenue", "focus": "Declared focus"}
GROUPS = {"earned_tier": "Earned tier", "segment": "Segment"}
RANKINGS = {"revenue": "Won revenue in the vertical", "focus": "Declared focus on the vertical"}


# ---------------------------------------------------------------------------------------------
# Colours and labels


def vertical_colors(verticals: Iterable[str]) -> dict[str, str]:
    """vertical -> colour: the verticals sorted case-insensitively onto PALETTE, in order.

    Deterministic for a given set of verticals (pass every vertical the database knows, from
    ``queries/alignment_verticals.sql``, so that filters never shift a colour). Past 12 verticals
    the palette repeats.
    """
    ordered = sorted(set(verticals), key=lambda v: (v.lower(), v))
    return {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(ordered)}


def vertical_pattern(color: str) -> str:
    """The fill pattern that goes with a palette colour ('' = solid, also for unknown colours)."""
    return VERTICAL_PATTERNS[PALETTE.index(color)] if color in PALETTE else ""


def vertical_label(vertical: str, is_priority: bool, html: bool = True) -> str:
    """'★ Finance' for a priority vertical (bold in Plotly), 'Education' otherwise."""
    if not is_priority:
        return vertical
    return f"<b>{STAR} {vertical}</b>" if html else f"{STAR} {vertical}"


def vertical_tick(vertical: str, is_priority: bool, colors: dict[str, str]) -> str:
    """An axis label: a square in the vertical's colour, then the (starred) name."""
    color = colors.get(vertical, OTHER_COLOR)
    return f'<span style="color:{color}">■</span> {vertical_label(vertical, is_priority)}'


def md(text: str) -> str:
    """Data text made safe for Streamlit markdown (captions, notes): markdown and LaTeX
    characters are escaped, so a partner called "A$B *x*" shows as written."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", text)


def with_vertical_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (with vertical, is_priority) plus ``vertical_label``: '★ Finance' for a
    priority vertical, the plain name otherwise (for tables and downloads)."""
    return frame.with_columns(
        pl.when(pl.col("is_priority"))
        .then(pl.lit(f"{STAR} ") + pl.col("vertical"))
        .otherwise(pl.col("vertical"))
        .alias("vertical_label")
    )


def priority_verticals(frame: pl.DataFrame) -> set[str]:
    """The verticals flagged ``is_priority`` in a query result."""
    if frame.height == 0:
        return set()
    return set(frame.filter(pl.col("is_priority"))["vertical"].to_list())


def score(value: float | None) -> str:
    """An alignment score for display: 0.5937 -> '0.59'. None -> an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.2f}"


def _pts(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.1f} pts".replace("-", "−")


def _legend_above(fig: go.Figure, gap_px: int = 30) -> None:
    """Lift the horizontal legend ``gap_px`` pixels above the plot area, clear of subplot
    titles and annotations that sit on the plot's top edge."""
    layout = fig.layout
    plot_px = layout.height - layout.margin.t - layout.margin.b
    fig.update_layout(legend={"y": 1 + gap_px / max(plot_px, 1), "yanchor": "bottom"})


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


# ---------------------------------------------------------------------------------------------
# 1. Priority against coverage


def coverage_chart(
    frame: pl.DataFrame, colors: dict[str, str], fiscal_year: int, symbol: str = "$"
) -> go.Figure:
    """Bars: the vendor's priority share per vertical (in the vertical's colour); markers: the
    channel's declared-focus share and won-revenue share; the gap in points on the right.

    ``frame``: queries/alignment_coverage.sql (ordered by priority weight, largest at the top).
    """
    fig = go.Figure()
    title = f"Vendor priority against channel coverage, FY{fiscal_year}"
    if frame.height == 0:
        apply_layout(fig, title, "Share (%)", "")
        return _empty(fig, "No verticals: no priorities, declared focus or won deals")
    rows = frame.to_dicts()
    labels = [vertical_tick(r["vertical"], r["is_priority"], colors) for r in rows]
    has_priorities = any(r["priority_share"] is not None for r in rows)
    hover = [
        [
            r["vertical"],
            f"{r['priority_weight']:g}",
            pct(r["priority_share"]),
            pct(r["focus_share"]),
            _pts(r["focus_gap_pts"]),
            money(r["revenue_t4q"], symbol),
            pct(r["revenue_share"]),
            _pts(r["revenue_gap_pts"]),
            VERDICT_LABELS.get(r["verdict"], "no priorities this year"),
        ]
        for r in rows
    ]
    head = "<b>%{customdata[0]}</b> · %{customdata[8]}<br>"
    if has_priorities:
        fig.add_bar(
            y=labels,
            x=[r["priority_share"] or 0 for r in rows],
            orientation="h",
            name="Vendor priority",
            marker={"color": [colors.get(r["vertical"], OTHER_COLOR) for r in rows]},
            opacity=0.8,
            customdata=hover,
            hovertemplate=head + "Priority weight %{customdata[1]} = %{customdata[2]} of the "
            "year's weight<extra></extra>",
        )
    fig.add_scatter(
        y=labels,
        x=[r["focus_share"] for r in rows],
        mode="markers",
        name="Declared focus",
        marker={
            "symbol": "diamond",
            "size": 12,
            "color": "white",
            "line": {"color": FOCUS_COLOR, "width": 2},
        },
        customdata=hover,
        hovertemplate=head + "Declared focus %{customdata[3]} (%{customdata[4]} against "
        "priority)<extra></extra>",
    )
    fig.add_scatter(
        y=labels,
        x=[r["revenue_share"] for r in rows],
        mode="markers",
        name="Won revenue, last 4 quarters",
        marker={"symbol": "circle", "size": 11, "color": REVENUE_COLOR},
        customdata=hover,
        hovertemplate=head + "Won revenue %{customdata[5]} = %{customdata[6]} "
        "(%{customdata[7]} against priority)<extra></extra>",
    )
    for label, r in zip(labels, rows, strict=True):
        verdict = r["verdict"]
        if verdict is None:
            continue
        text = f"focus {_pts(r['focus_gap_pts'])} · revenue {_pts(r['revenue_gap_pts'])}"
        if verdict != "in_line":
            text = f"<b>{VERDICT_LABELS[verdict]}</b>: {text}"
        fig.add_annotation(
            x=1.01,
            xref="paper",
            y=label,
            yref="y",
            xanchor="left",
            showarrow=False,
            align="left",
            text=text,
            font={"color": VERDICT_COLORS.get(verdict, MUTED_TEXT), "size": 11},
        )
    apply_layout(fig, title, "Share of the year's priority weight / focus / revenue (%)", "")
    fig.update_layout(
        height=max(300, 90 + 42 * len(rows)),
        margin={"l": 10, "r": 330, "t": 90, "b": 10},
        bargap=0.35,
    )
    _legend_above(fig, 8)
    fig.update_xaxes(tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


# ---------------------------------------------------------------------------------------------
# 2. Segment x vertical


def segment_vertical_heatmap(
    frame: pl.DataFrame,
    verticals: list[str],
    priority: set[str],
    colors: dict[str, str],
    measure: str = "revenue",
    symbol: str = "$",
) -> go.Figure:
    """Heatmap: each segment's split across verticals (row shares), for won revenue or declared
    focus. Columns follow ``verticals`` (the coverage order); priority verticals are starred.

    ``frame``: queries/alignment_segment_vertical.sql. ``measure``: 'revenue' or 'focus'.
    """
    measure = measure if measure in MEASURES else "revenue"
    fig = go.Figure()
    if measure == "revenue":
        title = "Where each segment's won revenue goes, by vertical (last 4 quarters)"
        bar_title = "Share of the<br>segment's revenue"
    else:
        title = "Where each segment's partners declare their focus, by vertical"
        bar_title = "Share of the<br>segment's focus"
    if frame.height == 0 or not verticals:
        apply_layout(fig, title, "Vertical", "Segment")
        return _empty(fig, "No won revenue or declared focus for these partners")
    segments = [s for s in SEGMENTS if s in set(frame["segment"].to_list())]
    cells = {(r["segment"], r["vertical"]): r for r in frame.iter_rows(named=True)}
    share_col = "revenue_share" if measure == "revenue" else "focus_share"
    z, text, hover = [], [], []
    for segment in segments:
        z_row, text_row, hover_row = [], [], []
        for vertical in verticals:
            cell = cells.get((segment, vertical))
            share = cell[share_col] if cell else None
            share = 0.0 if share is None and cell is None else share
            z_row.append(share)
            if measure == "revenue":
                amount = money(cell["revenue_t4q"] if cell else 0, symbol)
                text_row.append(f"{pct(share, 0)}<br>{amount}" if share else "")
                hover_row.append(f"Won revenue {amount} = {pct(share)} of the segment's")
            else:
                partners = cell["focus_partners"] if cell else 0
                text_row.append(f"{pct(share, 0)}<br>{partners:,.1f} p." if share else "")
                hover_row.append(
                    f"Declared focus {partners:,.1f} partner-equivalents = {pct(share)} "
                    "of the segment's"
                )
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    ticks = [vertical_tick(v, v in priority, colors) for v in verticals]
    z_max = max([v for row in z for v in row if v is not None] or [1]) or 1
    scale = [[i / (len(SHARE_SCALE) - 1), c] for i, c in enumerate(SHARE_SCALE)]
    fig.add_heatmap(
        z=z,
        x=ticks,
        y=segments,
        customdata=hover,
        colorscale=scale,
        zmin=0,
        zmax=z_max,
        colorbar={"title": {"text": bar_title}, "tickformat": ".0%"},
        hovertemplate="%{y} · %{x}<br>%{customdata}<extra></extra>",
        xgap=2,
        ygap=2,
        name="Share",
    )
    labelled = [
        (tick, segment, label, value)
        for segment, z_row, text_row in zip(segments, z, text, strict=True)
        for tick, value, label in zip(ticks, z_row, text_row, strict=True)
        if label
    ]
    fig.add_scatter(  # the labels, dark or light by the cell's fill
        x=[c[0] for c in labelled],
        y=[c[1] for c in labelled],
        text=[c[2] for c in labelled],
        mode="text",
        textfont={"color": [ink_on(scale_color(scale, c[3] / z_max)) for c in labelled]},
        hoverinfo="skip",
        showlegend=False,
        name="Labels",
    )
    apply_layout(fig, title, f"Vertical ({STAR} = priority this fiscal year)", "Segment")
    fig.update_layout(height=140 + 70 * len(segments))
    fig.update_yaxes(autorange="reversed", rangemode="normal")
    fig.update_xaxes(side="bottom", tickangle=0 if len(verticals) <= 6 else -30)
    return fig


# ---------------------------------------------------------------------------------------------
# 3. Alignment distribution


def alignment_histogram(
    frame: pl.DataFrame, group_by: str = "earned_tier", median_score: float | None = None
) -> go.Figure:
    """Stacked histogram of alignment_score (bins of 0.05), one colour per earned tier or
    segment, with each group's median in the legend and the overall median as a dashed line.

    ``frame``: queries/alignment_distribution.sql.
    """
    group_by = group_by if group_by in GROUPS else "earned_tier"
    palette, order = (
        (TIER_COLORS, TIERS) if group_by == "earned_tier" else (SEGMENT_COLORS, SEGMENTS)
    )
    fig = go.Figure()
    title = f"Alignment score of the partners, by {GROUPS[group_by].lower()}"
    apply_layout(
        fig,
        title,
        "Alignment score (0 = only non-priority verticals, 1 = only the top priority)",
        "Partners",
        GROUPS[group_by],
    )
    if frame.height == 0:
        return _empty(fig, "No partner has an alignment score")
    for group in order:
        rows = frame.filter(pl.col("group_value") == group)
        if rows.height == 0:
            continue
        first = rows.row(0, named=True)
        n = first["group_partners"]
        fig.add_bar(
            x=[(b + 0.5) / 20 for b in rows["bin"].to_list()],
            y=rows["partners"].to_list(),
            width=0.05,
            name=f"{group} · median {first['group_median']:.2f} ({n:,})",
            marker={"color": palette[group], "line": {"color": "white", "width": 0.5}},
            customdata=list(zip(rows["bin_start"], rows["bin_end"], strict=True)),
            hovertemplate=f"{group}<br>Score %{{customdata[0]:.2f}}–%{{customdata[1]:.2f}}: "
            "%{y:,} partners<extra></extra>",
        )
    if median_score is not None:
        fig.add_vline(
            x=median_score,
            line={"color": INK_DARK, "dash": "dash", "width": 1.5},
            annotation_text=f"median {median_score:.2f}",
            annotation_position="top right",
        )
    fig.update_layout(barmode="stack", bargap=0)
    fig.update_xaxes(range=[0, 1], dtick=0.1)
    return fig


# ---------------------------------------------------------------------------------------------
# 4. Say against do


def _short(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def say_do_chart(
    frame: pl.DataFrame, colors: dict[str, str], priority: set[str], top: int = 10
) -> go.Figure:
    """For the ``top`` most divergent partners, two stacked bars each: the declared focus and the
    won-revenue mix, split by vertical in the vertical's colour and fill pattern.

    ``frame``: queries/alignment_say_do.sql (ordered, with the list columns declared_mix and
    deal_mix). The partner id is the first customdata item of every bar (for click-through).
    """
    fig = go.Figure()
    title = "Say against do: declared focus and won-revenue mix, most divergent partners"
    apply_layout(fig, title, "Share of the partner's focus / won revenue (%)", "", "Vertical")
    rows = frame.head(top).to_dicts()
    if not rows:
        return _empty(fig, "No partner both declares a focus and won a deal with a vertical")
    names = [f"{_short(r['partner_name'])} · {r['distance']:.2f}" for r in rows]
    shares: dict[str, dict[tuple[int, str], float]] = {}
    for i, r in enumerate(rows):
        for kind, column in (("Declared", "declared_mix"), ("Deals", "deal_mix")):
            for item in r[column] or []:
                shares.setdefault(item["vertical"], {})[(i, kind)] = item["share"]
    y_names = [n for n in names for _ in (0, 1)]
    y_kind = ["Declared", "Deals"] * len(rows)
    ids = [r["partner_id"] for r in rows for _ in (0, 1)]
    ordered = sorted(shares, key=lambda v: (v not in priority, v.lower()))
    for vertical in ordered:
        color = colors.get(vertical, OTHER_COLOR)
        x = [shares[vertical].get((i // 2, y_kind[i])) for i in range(len(y_kind))]
        fig.add_bar(
            y=[y_names, y_kind],
            x=x,
            orientation="h",
            name=vertical_label(vertical, vertical in priority),
            marker={
                "color": color,
                "pattern": {
                    "shape": vertical_pattern(color),
                    "fgcolor": ink_on(color),
                    "fgopacity": 0.6,
                    "solidity": 0.25,
                },
            },
            customdata=[[pid, vertical] for pid in ids],
            hovertemplate="%{y}<br>%{customdata[1]}: %{x:.0%}<extra></extra>",
        )
    fig.update_layout(
        barmode="stack",
        height=120 + 52 * len(rows),
        bargap=0.25,
        legend={
            "traceorder": "normal",
            "orientation": "v",
            "x": 1.01,
            "xanchor": "left",
            "y": 1,
            "yanchor": "top",
        },
    )
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_yaxes(autorange="reversed", rangemode="normal")
    return fig


# ---------------------------------------------------------------------------------------------
# 5. Who to enable


def enable_chart(
    frame: pl.DataFrame,
    vertical: str,
    is_priority: bool,
    colors: dict[str, str],
    symbol: str = "$",
) -> go.Figure:
    """Scatter of the ranked partners: declared focus on the vertical (x) against won revenue in
    it (y), one colour and marker shape per status; an open marker means the partner declares no
    focus at all. A frame without a ``status`` column (no targets were loaded, so there is no
    status) draws every partner alike.

    ``frame``: queries/alignment_enable.sql. The partner id is the first customdata item.
    """
    by_status = "status" in frame.columns
    fig = go.Figure()
    name = vertical_label(vertical, is_priority)
    color = colors.get(vertical, OTHER_COLOR)
    title = f'<span style="color:{color}">■</span> {name}: declared focus against won revenue'
    apply_layout(
        fig,
        title,
        f"Declared focus on {vertical} (% of the partner's focus)",
        f"Won revenue in {vertical}, last 4 quarters ({symbol})",
        "Status" if by_status else "",
    )
    if frame.height == 0:
        return _empty(fig, f"No partner declares {vertical} or won a deal in it")
    hover = (
        "#%{customdata[2]} %{customdata[1]} (%{customdata[0]})<br>"
        f"Focus %{{x:.0%}} · won {symbol}%{{y:,.0f}}<br>"
        "Certified technical contacts: %{customdata[3]}<extra></extra>"
    )
    for status in STATUSES if by_status else [None]:
        rows = frame.filter(pl.col("status") == status) if by_status else frame
        mark_color = STATUS_COLORS[status] if by_status else INK_DARK
        symbol_name = STATUS_SYMBOLS[status] if by_status else "circle"
        # filled: declares a focus; open: declares none (drawn at 0%)
        for declared in (True, False):
            part = rows.filter(pl.col("focus_share").is_not_null() == declared)
            if part.height == 0:
                continue
            fig.add_scatter(
                x=[f or 0 for f in part["focus_share"].to_list()],
                y=part["revenue_vertical_t4q"].to_list(),
                mode="markers",
                name=STATUS_LABELS[status] if by_status else "Partner",
                legendgroup=status or "partner",
                showlegend=declared or rows["focus_share"].is_null().all(),
                marker={
                    "color": mark_color,
                    "size": 11,
                    "symbol": symbol_name + ("" if declared else "-open"),
                    "line": {"color": mark_color, "width": 2},
                },
                customdata=[
                    [r["partner_id"], r["partner_name"], r["rank"], r["certified_technical"]]
                    for r in part.iter_rows(named=True)
                ],
                hovertemplate=hover,
            )
    if frame["focus_share"].is_null().any():
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name="Open: declares no focus",
            marker={"symbol": "circle-open", "size": 11, "color": MUTED_TEXT},
        )
    fig.update_xaxes(tickformat=".0%", range=[-0.03, 1.03])
    fig.update_yaxes(tickprefix=symbol, tickformat="~s")
    return fig


# ---------------------------------------------------------------------------------------------
# 6. Priorities over time


def priorities_over_time(
    frame: pl.DataFrame,
    colors: dict[str, str],
    priority: set[str],
    order: list[str] | None = None,
    columns: int = 5,
) -> go.Figure:
    """Small multiples, one per vertical: the vendor's priority share per fiscal year (solid) and
    the channel's won-revenue share (dotted), both in the vertical's colour.

    ``frame``: queries/alignment_priorities_over_time.sql. ``order``: the panel order (verticals
    missing from it go last, by name). ``priority``: the as-of year's priority verticals.
    """
    title = "Vendor priorities per fiscal year, and the channel's won-revenue share"
    if frame.height == 0:
        fig = go.Figure()
        apply_layout(fig, title, "Fiscal year", "Share (%)")
        return _empty(fig, "No priorities or won revenue up to this quarter")
    present = set(frame["vertical"].to_list())
    verticals = [v for v in (order or []) if v in present]
    verticals += sorted(present - set(verticals), key=str.lower)
    columns = max(1, min(columns, len(verticals)))
    n_rows = math.ceil(len(verticals) / columns)
    years = sorted(set(frame["fiscal_year"].to_list()))
    partial = {
        r["fiscal_year"]: r["quarters_with_data"]
        for r in frame.select("fiscal_year", "quarters_with_data").unique().iter_rows(named=True)
    }
    x_labels = {y: f"FY{y % 100:02d}" + ("*" if 0 < partial.get(y, 0) < 4 else "") for y in years}

    # The grid is laid out by hand and the figure built in one go: make_subplots plus
    # per-panel updates cost ~10x more with ten panels (this chart is redrawn on every rerun).
    height = 130 + 240 * n_rows
    margin = {"t": 110, "b": 10, "l": 10, "r": 10}
    h_gap, v_gap = 0.02, 70 / (height - margin["t"] - margin["b"])
    width = (1 - h_gap * (columns - 1)) / columns
    row_h = (1 - v_gap * (n_rows - 1)) / n_rows
    traces: list[go.Scatter] = []
    axes: dict[str, dict] = {}
    titles: list[dict] = []
    top = 0.0
    for i, vertical in enumerate(verticals):
        row, col = divmod(i, columns)
        n = "" if i == 0 else str(i + 1)
        x0 = col * (width + h_gap)
        y1 = 1 - row * (row_h + v_gap)
        axes[f"xaxis{n}"] = {
            "domain": [x0, x0 + width],
            "anchor": f"y{n}",
            "type": "category",
            "tickangle": 0,
            "tickfont": {"size": 10},
        }
        axes[f"yaxis{n}"] = {
            "domain": [y1 - row_h, y1],
            "anchor": f"x{n}",
            "tickformat": ".0%",
            "showticklabels": col == 0,
            "title": {"text": "Share (%)" if col == 0 else ""},
        }
        titles.append(
            {
                "text": vertical_tick(vertical, vertical in priority, colors),
                "x": x0 + width / 2,
                "y": y1,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12},
            }
        )
        panel = frame.filter(pl.col("vertical") == vertical).sort("fiscal_year")
        x = [x_labels[y] for y in panel["fiscal_year"].to_list()]
        color = colors.get(vertical, OTHER_COLOR)
        prio = panel["priority_share"].to_list()
        rev = panel["revenue_share"].to_list()
        top = max([top, *[v for v in prio + rev if v is not None]])
        common = {"x": x, "mode": "lines+markers", "showlegend": False, "xaxis": f"x{n}"}
        traces += [
            go.Scatter(
                common,
                y=prio,
                yaxis=f"y{n}",
                line={"color": color, "width": 2.5},
                marker={"size": 7},
                name="Vendor priority share",
                hovertemplate=f"{vertical} · %{{x}}<br>Priority share %{{y:.1%}}<extra></extra>",
            ),
            go.Scatter(
                common,
                y=rev,
                yaxis=f"y{n}",
                line={"color": color, "width": 2, "dash": "dot"},
                marker={"size": 6, "symbol": "circle-open"},
                name="Channel won-revenue share",
                hovertemplate=f"{vertical} · %{{x}}<br>Won-revenue share %{{y:.1%}}<extra></extra>",
            ),
        ]
    for axis in (k for k in axes if k.startswith("yaxis")):
        axes[axis]["range"] = [0, max(top * 1.1, 0.05)]
    # neutral legend entries: the line style, not the colour, tells the two series apart
    for name, dash in (("Vendor priority share", "solid"), ("Channel won-revenue share", "dot")):
        traces.append(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name=name,
                line={"color": MUTED_TEXT, "dash": dash, "width": 2},
            )
        )
    house = go.Figure()
    apply_layout(house, title, "", "")
    layout = house.layout.to_plotly_json()
    layout.pop("xaxis", None)
    layout.pop("yaxis", None)
    fig = go.Figure(
        data=traces,
        layout={**layout, **axes, "height": height, "margin": margin, "annotations": titles},
    )
    _legend_above(fig, 40)
    return fig
