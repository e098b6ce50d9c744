"""Chart builders for the Missed targets page. Pure functions: ``(pl.DataFrame, ...) -> go.Figure``.

Frames come from the ``queries/missed_*.sql`` files named in each docstring. Attainment is a
fraction (1.0 = at target); ``miss_below`` is the settings threshold under which a quarter is
missed. Colours come from the shared theme in ``channel.charts``.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from channel.charts import (
    FONT,
    GUIDE_COLOR,
    HIT_DEEP,
    HIT_NEAR,
    IN_PROGRESS_COLOR,
    INK_DARK,
    MISS_DEEP,
    MISS_NEAR,
    MUTED_TEXT,
    NO_TARGET_COLOR,
    SEGMENT_COLORS,
    SEGMENT_DASHES,
    SEGMENT_SYMBOLS,
    STATUS_COLORS,
    STATUS_LABELS,
    STATUS_LETTERS,
    STATUS_SYMBOLS,
    apply_layout,
    ink_on,
    money,
    pct,
    scale_color,
)
from channel.contract import SEGMENTS
from channel.settings import DEFAULTS, STATUSES

ALL_SEGMENTS = "All segments"
ALL_COLOR = "#222222"  # the whole channel, drawn over the segments
# one colour, dash and marker per series on the miss-rate chart: the whole channel, then segments
SERIES_COLORS = {ALL_SEGMENTS: ALL_COLOR, **SEGMENT_COLORS}
MISSED_MARK = "circle"  # the dot on every missed cell: it prints in black and white
COLORBAR_PX = 220
STREAK_CAP = 8  # the queries bucket longer streaks into "8+"
HORIZONS = (1, 2, 4)
TO_DATE = "to date"


def _segment_color(segment: str) -> str:
    return SERIES_COLORS.get(segment, GUIDE_COLOR)


def _segments_in(frame: pl.DataFrame) -> list[str]:
    present = set(frame["segment"].to_list())
    return [s for s in (ALL_SEGMENTS, *SEGMENTS) if s in present]


def _streak_label(streak: int) -> str:
    return f"{streak}+" if streak >= STREAK_CAP else str(streak)


def _short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# 1. Attainment heatmap


def attainment_colorscale(miss_below: float) -> tuple[list[list], float]:
    """A diverging scale with a hard break at ``miss_below``, and the top of the colour range.

    The range is 0 .. 2 x miss_below, so the threshold sits in the middle: orange to brown below
    it (deeper the further below), light to dark blue from it up (exactly at the threshold is a
    hit, so it is blue).
    """
    z_max = 2 * miss_below if miss_below > 0 else 2.0
    mid = miss_below / z_max
    below = max(mid - 1e-6, 0.0)
    scale = [[0.0, MISS_DEEP], [below, MISS_NEAR], [mid, HIT_NEAR], [1.0, HIT_DEEP]]
    if mid == 0.0:  # miss_below = 0: nothing can be missed
        scale = [[0.0, HIT_NEAR], [1.0, HIT_DEEP]]
    return scale, z_max


def _cell_z(attainment: float, is_missed: bool, miss_below: float, z_max: float) -> float:
    """Where a judged cell sits on the colour scale. The side comes from ``is_missed`` (the
    query's verdict), the depth from the attainment, so the colour never disagrees with it."""
    z = min(max(attainment, 0.0), z_max)
    if is_missed:
        return min(z, miss_below - z_max * 1e-4)  # strictly on the miss side of the break
    return max(z, miss_below)


def attainment_heatmap(
    frame: pl.DataFrame,
    miss_below: float = DEFAULTS.miss_below,
    symbol: str = DEFAULTS.currency_symbol,
    not_shown: int = 0,
) -> go.Figure:
    """Partners (rows, in ``row_order``) x fiscal quarters, coloured by attainment, with a narrow
    status strip on the left (a letter in each square). A missed quarter carries a dot, so the
    chart reads without colour. Quarters without a target stay light grey ("no target"); the
    quarter in progress is mid grey and says "to date": it is neither a hit nor a miss yet.

    ``frame`` (``missed_heatmap``): row_order, partner_id, partner_name, status, missed_streak,
    missed_last_8, revenue_t4q, fiscal_quarter, quarter_idx, revenue, target_amount, attainment,
    is_missed, quarter_state. Misses are the query's ``is_missed``, never recomputed here; a frame
    without ``quarter_state`` raises ``polars.exceptions.ColumnNotFoundError``.
    """
    rows = (
        frame.select("row_order", "partner_id", "partner_name", "status", "missed_streak")
        .unique("row_order")
        .sort("row_order")
    )
    extra = frame.select("row_order", "missed_last_8", "revenue_t4q").unique("row_order")
    rows = rows.join(extra, on="row_order", how="left").sort("row_order")
    quarters = (
        frame.select("quarter_idx", "fiscal_quarter").unique().sort("quarter_idx")["fiscal_quarter"]
    ).to_list()
    labels = [
        f"{_short(name)} · {pid}"
        for name, pid in rows.select("partner_name", "partner_id").iter_rows()
    ]
    cell_columns = ("attainment", "revenue", "target_amount", "is_missed", "quarter_state")
    cells = {
        (r["partner_id"], r["fiscal_quarter"]): r
        for r in frame.select("partner_id", "fiscal_quarter", *cell_columns).iter_rows(named=True)
    }
    label_of = dict(zip(rows["partner_id"].to_list(), labels, strict=True))
    scale, z_max = attainment_colorscale(miss_below)
    z, custom, no_target, to_date = [], [], [], []
    missed_at: list[tuple[str, str, float]] = []  # (quarter, row label, z) of each missed cell
    to_date_at: list[tuple[str, str]] = []
    for pid in rows["partner_id"].to_list():
        z_row, c_row, nt_row, td_row = [], [], [], []
        for q in quarters:
            cell = cells.get((pid, q)) or {}
            att, missed = cell.get("attainment"), cell.get("is_missed")
            amounts = (
                f"{money(cell.get('revenue'), symbol)} won of "
                f"{money(cell.get('target_amount'), symbol)}"
            )
            value = nt = td = None
            if att is None:
                what, nt = "no target (neither hit nor missed)", 1.0
            elif cell.get("quarter_state") == "in_progress":
                what, td = (
                    f"{pct(att)} of target {TO_DATE} (quarter in progress: not hit or missed "
                    f"yet)<br>{amounts} so far",
                    1.0,
                )
                to_date_at.append((q, label_of[pid]))
            elif missed is None:  # a complete quarter the query did not judge
                what, nt = "no target (neither hit nor missed)", 1.0
            else:
                value = _cell_z(att, missed, miss_below, z_max)
                what = f"{pct(att)} of target ({'missed' if missed else 'hit'})<br>{amounts}"
                if missed:
                    missed_at.append((q, label_of[pid], value))
            z_row.append(value)
            nt_row.append(nt)
            td_row.append(td)
            c_row.append([pid, what])
        z.append(z_row)
        no_target.append(nt_row)
        to_date.append(td_row)
        custom.append(c_row)

    def grid(values: list[list]) -> np.ndarray:
        # numpy arrays pass Plotly's validation in one step (nested lists are walked cell by cell)
        return np.array(values, dtype=float) if values else np.empty((0, len(quarters)))

    fig = make_subplots(
        rows=1, cols=2, shared_yaxes=True, column_widths=[0.035, 0.965], horizontal_spacing=0.005
    )
    # the status strip: one square per partner, one trace (and legend entry) per status, and the
    # status letter on each square
    letters: dict[str, list] = {"x": [], "y": [], "text": [], "color": []}
    for status in reversed(STATUSES):  # most severe first, as the rows are sorted
        strip = rows.filter(pl.col("status") == status)
        if strip.height == 0:
            continue
        ys = [label_of[pid] for pid in strip["partner_id"].to_list()]
        fig.add_trace(
            go.Scatter(
                x=["Status"] * strip.height,
                y=ys,
                mode="markers",
                marker={"symbol": "square", "size": 15, "color": STATUS_COLORS[status]},
                name=f"{STATUS_LETTERS[status]} {STATUS_LABELS[status]}",
                customdata=[
                    [pid, streak, m8, money(rev, symbol)]
                    for pid, streak, m8, rev in strip.select(
                        "partner_id", "missed_streak", "missed_last_8", "revenue_t4q"
                    ).iter_rows()
                ],
                hovertemplate=f"%{{y}}<br>Status: {STATUS_LABELS[status]}<br>"
                "Missed streak: %{customdata[1]}<br>Missed of last 8: %{customdata[2]}"
                "<br>Revenue, last 4 quarters: %{customdata[3]}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        letters["x"] += ["Status"] * strip.height
        letters["y"] += ys
        letters["text"] += [STATUS_LETTERS[status]] * strip.height
        letters["color"] += [ink_on(STATUS_COLORS[status])] * strip.height
    fig.add_trace(
        go.Scatter(
            x=letters["x"],
            y=letters["y"],
            text=letters["text"],
            mode="text",
            textfont={"color": letters["color"], "size": 10, "family": FONT},
            hoverinfo="skip",
            showlegend=False,
            name="Status letters",
        ),
        row=1,
        col=1,
    )
    ticks = [0, z_max / 4, z_max / 2, 3 * z_max / 4, z_max]
    fig.add_trace(
        go.Heatmap(
            x=quarters,
            y=labels,
            z=grid(z),
            zmin=0,
            zmax=z_max,
            colorscale=scale,
            customdata=np.array(custom, dtype=object),
            hoverongaps=False,
            xgap=1,
            ygap=1,
            hovertemplate="%{y}<br>%{x}: %{customdata[1]}<extra></extra>",
            colorbar={
                "title": {"text": "Attainment of target", "side": "right"},
                "tickvals": ticks,
                "ticktext": [
                    pct(t, 0) + (" (miss below)" if t == z_max / 2 else "") for t in ticks[:-1]
                ]
                + [pct(z_max, 0) + "+"],
                "lenmode": "pixels",
                "len": COLORBAR_PX,
                "y": 1,
                "yanchor": "top",
                "thickness": 14,
            },
            name="Attainment",
        ),
        row=1,
        col=2,
    )
    for name, values, color in (
        ("No target", no_target, NO_TARGET_COLOR),  # neither hit nor miss, never on the scale
        ("In progress", to_date, IN_PROGRESS_COLOR),  # not over: no verdict yet
    ):
        fig.add_trace(
            go.Heatmap(
                x=quarters,
                y=labels,
                z=grid(values),
                zmin=0,
                zmax=1,
                colorscale=[[0, color], [1, color]],
                showscale=False,
                customdata=np.array(custom, dtype=object),
                hoverongaps=False,
                xgap=1,
                ygap=1,
                hovertemplate="%{y}<br>%{x}: %{customdata[1]}<extra></extra>",
                name=name,
            ),
            row=1,
            col=2,
        )
    fig.add_trace(  # "to date" written in every cell of a quarter in progress
        go.Scatter(
            x=[q for q, _ in to_date_at],
            y=[label for _, label in to_date_at],
            text=[TO_DATE] * len(to_date_at),
            mode="text",
            textfont={"color": ink_on(IN_PROGRESS_COLOR), "size": 9, "family": FONT},
            hoverinfo="skip",
            showlegend=False,
            name="To date",
        ),
        row=1,
        col=2,
    )
    fig.add_trace(  # a dot on each missed cell, dark or light by the cell's fill
        go.Scatter(
            x=[q for q, _, _ in missed_at],
            y=[label for _, label, _ in missed_at],
            mode="markers",
            marker={
                "symbol": MISSED_MARK,
                "size": 6,
                "color": [ink_on(scale_color(scale, v / z_max)) for _, _, v in missed_at],
            },
            hoverinfo="skip",
            showlegend=False,
            name="Missed",
        ),
        row=1,
        col=2,
    )
    fig.add_trace(  # the dot's legend entry (the marks themselves change ink with the fill)
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": MISSED_MARK, "size": 8, "color": INK_DARK},
            name=f"Missed (dot, below {pct(miss_below, 0)} of target)",
        ),
        row=1,
        col=2,
    )
    shown = len(labels)
    title = f"Attainment by partner and fiscal quarter ({shown:,} partners"
    title += f", {not_shown:,} not shown)" if not_shown else ")"
    apply_layout(fig, title, "", "")
    fig.update_layout(
        height=max(340, 190 + 19 * shown),
        legend={"title": {"text": ""}},
        # the legend may wrap to two or three rows on a narrow page: room for it under the title,
        # which is pinned to the top in pixels (in a tall figure 0.97 of the height is far down)
        title={"y": 1, "yref": "container", "yanchor": "top", "pad": {"t": 12}},
        margin={"l": 10, "r": 10, "t": 120, "b": 10},
    )
    in_progress = {q for q, _ in to_date_at}
    fig.update_xaxes(title_text="Fiscal quarter", row=1, col=2)
    fig.update_xaxes(
        type="category",
        showgrid=False,
        tickangle=-45,
        tickvals=quarters,
        ticktext=[f"{q} ({TO_DATE})" if q in in_progress else q for q in quarters],
        row=1,
        col=2,
    )
    fig.update_xaxes(showticklabels=False, showgrid=False, title_text="", row=1, col=1)
    fig.add_annotation(  # the key for the grey cells, under the colour bar
        xref="paper",
        yref="paper",
        x=1.0,
        y=1.0,
        xanchor="left",
        yanchor="top",
        xshift=8,
        yshift=-COLORBAR_PX - 8,
        text=f"<span style='color:{NO_TARGET_COLOR}'>■</span> No target"
        + (
            f"<br><span style='color:{IN_PROGRESS_COLOR}'>■</span> In progress<br>({TO_DATE})"
            if in_progress
            else ""
        ),
        showarrow=False,
        align="left",
    )
    # the first row on top; a fixed range, so the strip's markers add no padding
    fig.update_yaxes(
        range=[len(labels) - 0.5, -0.5], showgrid=False, rangemode="normal", title_text=""
    )
    fig.update_yaxes(tickfont={"size": 11})
    return fig


# ---------------------------------------------------------------------------------------------
# 3. Streak distribution


def streak_distribution(
    frame: pl.DataFrame,
    watch_streak: int = DEFAULTS.watch_streak,
    at_risk_streak: int = DEFAULTS.at_risk_streak,
) -> go.Figure:
    """Grouped bars: partners per current missed streak (1 .. 8+), one colour per segment.
    Partners with no current streak (0) are left out of the bars; the page states their count.

    ``frame`` (``missed_streak_distribution``): segment, streak_bucket, partners.
    """
    on_streak = frame.filter(pl.col("streak_bucket") >= 1)
    top = max([watch_streak, at_risk_streak, *on_streak["streak_bucket"].to_list()])
    streaks = list(range(1, min(max(top, 4), STREAK_CAP) + 1))
    categories = [_streak_label(s) for s in streaks]
    fig = go.Figure()
    for segment in [s for s in SEGMENTS if s in set(on_streak["segment"].to_list())]:
        counts = dict(
            on_streak.filter(pl.col("segment") == segment)
            .select("streak_bucket", "partners")
            .iter_rows()
        )
        fig.add_bar(
            x=categories,
            y=[counts.get(s, 0) for s in streaks],
            name=segment,
            marker_color=SEGMENT_COLORS[segment],
            hovertemplate=f"{segment}<br>Streak %{{x}}: %{{y:,}} partners<extra></extra>",
        )
    apply_layout(
        fig,
        "Partners by current missed streak",
        "Consecutive missed quarters up to the as-of quarter",
        "Partners",
        "Segment",
    )
    fig.update_layout(barmode="group", bargap=0.2)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=categories)
    fig.update_yaxes(tickformat=",d")
    if (on_streak["partners"].max() or 0) <= 10:  # few partners: whole numbers only
        fig.update_yaxes(dtick=1)
    # shaded bands: the streak lengths that make a partner watch or at risk
    edge = len(streaks) - 0.5
    bands = [
        (watch_streak, at_risk_streak, "Watch", STATUS_COLORS["watch"]),
        (at_risk_streak, None, "At risk", STATUS_COLORS["at_risk"]),
    ]
    for start, end, label, color in bands:
        if start not in streaks or start == end:
            continue
        x1 = streaks.index(end) - 0.5 if end in streaks else edge
        fig.add_vrect(
            x0=streaks.index(start) - 0.5,
            x1=x1,
            fillcolor=color,
            opacity=0.15,
            line_width=0,
            layer="below",
            annotation={"text": label, "font": {"color": MUTED_TEXT, "size": 11}},
            annotation_position="top left",
        )
    return fig


# ---------------------------------------------------------------------------------------------
# 4. Miss rate over time


def miss_rate_over_time(frame: pl.DataFrame, symbol: str = "$") -> go.Figure:
    """Top: share of targeted partners that missed, one line per segment and a black line for
    all segments. Bottom: the shortfall (target minus won revenue over the missed partners),
    stacked by segment.

    ``frame`` (``missed_rate_by_quarter``): fiscal_quarter, quarter_idx, segment, is_total,
    targeted_partners, missed_partners, miss_rate, shortfall.
    """
    quarters = (
        frame.select("quarter_idx", "fiscal_quarter").unique().sort("quarter_idx")["fiscal_quarter"]
    ).to_list()
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.08
    )
    for segment in _segments_in(frame):
        rows = {
            r["fiscal_quarter"]: r
            for r in frame.filter(pl.col("segment") == segment).iter_rows(named=True)
        }
        is_all = segment == ALL_SEGMENTS
        fig.add_scatter(
            x=quarters,
            y=[rows[q]["miss_rate"] if q in rows else None for q in quarters],
            customdata=[
                [
                    rows[q]["missed_partners"],
                    rows[q]["targeted_partners"],
                    money(rows[q]["shortfall"], symbol),
                ]
                if q in rows
                else [0, 0, "–"]
                for q in quarters
            ],
            mode="lines+markers",
            name=segment,
            legendgroup=segment,
            line={
                "color": _segment_color(segment),
                "width": 3.5 if is_all else 2,
                "dash": "solid" if is_all else SEGMENT_DASHES.get(segment, "solid"),
            },
            marker={
                "size": 7 if is_all else 6,
                "symbol": "circle" if is_all else SEGMENT_SYMBOLS.get(segment, "circle"),
            },
            hovertemplate=f"{segment} · %{{x}}<br>Missed: %{{y:.1%}} "
            "(%{customdata[0]:,} of %{customdata[1]:,} partners with a target)"
            "<br>Shortfall: %{customdata[2]}<extra></extra>",
            row=1,
            col=1,
        )
        if is_all:
            continue
        fig.add_bar(
            x=quarters,
            y=[rows[q]["shortfall"] if q in rows else 0 for q in quarters],
            name=segment,
            legendgroup=segment,
            showlegend=False,
            marker_color=_segment_color(segment),
            hovertemplate=f"{segment} · %{{x}}<br>Shortfall: {symbol}%{{y:,.0f}}<extra></extra>",
            row=2,
            col=1,
        )
    apply_layout(fig, "Missed targets per fiscal quarter", "", "", "Segment")
    fig.update_layout(barmode="stack", height=460)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=quarters)
    fig.update_xaxes(title_text="Fiscal quarter", row=2, col=1)
    fig.update_yaxes(title_text="Partners that missed (%)", tickformat=".0%", row=1, col=1)
    fig.update_yaxes(
        title_text=f"Shortfall ({symbol})", tickprefix=symbol, tickformat="~s", row=2, col=1
    )
    return fig


# ---------------------------------------------------------------------------------------------
# 5. Recovery


def recovery_rates(frame: pl.DataFrame) -> go.Figure:
    """Share of episodes that hit target again within 1, 2 and 4 quarters: one panel per streak
    level, one bar per segment (black: all segments), labelled with the rate; the hover gives the
    sample size (n = observed episodes). A bar without any observed episode is left out.

    ``frame`` (``missed_recovery``): reached_streak, segment, horizon_quarters, episodes,
    recovered, recovery_rate, censored.
    """
    levels = sorted(set(frame["reached_streak"].to_list()))
    fig = make_subplots(
        rows=1, cols=max(len(levels), 1), shared_yaxes=True, horizontal_spacing=0.04
    )
    horizon_labels = {h: f"within {h} quarter{'s' if h > 1 else ''}" for h in HORIZONS}
    for col, level in enumerate(levels, start=1):
        at_level = frame.filter(pl.col("reached_streak") == level)
        for segment in _segments_in(at_level):
            rows = {
                r["horizon_quarters"]: r
                for r in at_level.filter(pl.col("segment") == segment).iter_rows(named=True)
            }
            ys, texts, custom = [], [], []
            for h in HORIZONS:
                r = rows.get(h) or {"episodes": 0, "recovered": 0, "censored": 0}
                observed = r["episodes"] > 0
                ys.append(r["recovery_rate"] if observed else None)
                labelled = observed and segment == ALL_SEGMENTS
                texts.append(pct(r["recovery_rate"], 0) if labelled else "")
                custom.append([r["recovered"], r["episodes"], r["censored"]])
            fig.add_bar(
                x=[horizon_labels[h] for h in HORIZONS],
                y=ys,
                text=texts,
                textposition="outside",
                textfont={"size": 12},
                cliponaxis=False,
                name=segment,
                legendgroup=segment,
                showlegend=col == 1,
                marker_color=_segment_color(segment),
                customdata=custom,
                hovertemplate=f"{segment} · after {level} in a row, %{{x}}<br>"
                "Back on target: %{y:.1%} (%{customdata[0]:,} of n = %{customdata[1]:,} "
                "episodes)<br>Too recent to tell: %{customdata[2]:,}<extra></extra>",
                row=1,
                col=col,
            )
    apply_layout(
        fig,
        "Back on target after a run of misses (whole history up to the as-of quarter)",
        "",
        "Episodes back on target (%)",
        "Segment",
    )
    for col, level in enumerate(levels, start=1):
        fig.update_xaxes(title_text=f"After {level} missed quarters in a row", row=1, col=col)
    fig.update_layout(barmode="group", height=400, bargap=0.25)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.12], tickvals=[0, 0.25, 0.5, 0.75, 1])
    if len(levels) > 1:
        fig.update_yaxes(title_text="", row=1, col=2)
    return fig


def recovery_table(frame: pl.DataFrame) -> pl.DataFrame:
    """The recovery frame (``missed_recovery``) as a readable table: one row per streak level and
    segment, one text column per horizon, "rate (n = episodes)"; "–" when none was observed."""
    order = {s: i for i, s in enumerate((ALL_SEGMENTS, *SEGMENTS))}
    table: dict[tuple[int, str], dict[str, object]] = {}
    for r in frame.iter_rows(named=True):
        key = (r["reached_streak"], r["segment"])
        row = table.setdefault(key, {"reached_streak": key[0], "segment": key[1]})
        rate = pct(r["recovery_rate"], 0) if r["episodes"] else "–"
        row[f"within {r['horizon_quarters']} q"] = f"{rate} (n = {r['episodes']:,})"
    rows = [table[k] for k in sorted(table, key=lambda k: (k[0], order.get(k[1], 99)))]
    columns = ["reached_streak", "segment", *(f"within {h} q" for h in HORIZONS)]
    return pl.DataFrame(
        [{c: row.get(c, "–") for c in columns} for row in rows],
        schema={c: (pl.Int64 if c == "reached_streak" else pl.String) for c in columns},
    )


# ---------------------------------------------------------------------------------------------
# 6. Chronic against temporary


def chronic_vs_temporary(
    frame: pl.DataFrame,
    watch_streak: int = DEFAULTS.watch_streak,
    at_risk_streak: int = DEFAULTS.at_risk_streak,
    replace_review_missed: int = DEFAULTS.replace_review_missed,
    symbol: str = DEFAULTS.currency_symbol,
) -> go.Figure:
    """Bubbles on a grid of current streak (x) against missed quarters of the last 8 (y), sized
    by partners and coloured by status. Top left holds the chronic partners (many misses, even if
    the last quarter hit); bottom right a fresh dip (a current streak, few misses before it).

    ``frame`` (``missed_chronic_grid``): streak_bucket, missed_last_8, status, partners,
    revenue_t4q, examples (a list of up to 3 names).
    """
    biggest = max(frame["partners"].max() or 1, 1)
    fig = go.Figure()
    for status in STATUSES:
        rows = frame.filter(pl.col("status") == status)
        if rows.height == 0:
            continue
        fig.add_scatter(
            x=rows["streak_bucket"].to_list(),
            y=rows["missed_last_8"].to_list(),
            mode="markers",
            name=STATUS_LABELS[status],
            marker={
                "color": STATUS_COLORS[status],
                "symbol": STATUS_SYMBOLS[status],
                "size": [9 + 33 * math.sqrt(p / biggest) for p in rows["partners"].to_list()],
                "line": {"width": 1, "color": "white"},
                "opacity": 0.9,
            },
            customdata=[
                [p, money(r, symbol), ", ".join(e or [])]
                for p, r, e in zip(
                    rows["partners"].to_list(),
                    rows["revenue_t4q"].to_list(),
                    rows["examples"].to_list(),
                    strict=True,
                )
            ],
            hovertemplate="Current streak %{x}, missed %{y} of the last 8<br>"
            "%{customdata[0]:,} partners, %{customdata[1]} revenue in the last 4 quarters"
            "<br>Largest: %{customdata[2]}<extra></extra>",
        )
    apply_layout(
        fig,
        "Chronic or temporary?",
        "Current missed streak (quarters in a row)",
        "Missed quarters of the last 8",
        "Status",
    )
    fig.update_layout(height=440)
    fig.update_xaxes(
        range=[-0.6, STREAK_CAP + 0.6],
        tickvals=list(range(STREAK_CAP + 1)),
        ticktext=[_streak_label(s) for s in range(STREAK_CAP + 1)],
        zeroline=False,
    )
    fig.update_yaxes(range=[-0.6, 8.6], tickvals=list(range(9)), zeroline=False, rangemode="normal")
    fig.add_hline(
        y=replace_review_missed - 0.5,
        line={"color": STATUS_COLORS["replace_review"], "width": 1.5, "dash": "dash"},
        layer="below",
    )
    for streak, color in (
        (watch_streak, STATUS_COLORS["watch"]),
        (at_risk_streak, STATUS_COLORS["at_risk"]),
    ):
        fig.add_vline(
            x=streak - 0.5, line={"color": color, "width": 1.5, "dash": "dot"}, layer="below"
        )
    fig.add_shape(  # on the diagonal every recent miss belongs to the current streak
        type="line",
        x0=0,
        y0=0,
        x1=8,
        y1=8,
        line={"color": GUIDE_COLOR, "width": 1, "dash": "dot"},
        layer="below",
    )
    # below the diagonal stays empty (a streak of n means at least n misses), room for the key
    for y, text in (
        (1.3, "<b>Chronic</b>: top left"),
        (0.5, "<b>Fresh dip</b>: on the diagonal"),
    ):
        fig.add_annotation(
            x=STREAK_CAP + 0.5,
            y=y,
            xanchor="right",
            text=text,
            showarrow=False,
            font={"color": MUTED_TEXT, "size": 11},
        )
    return fig
