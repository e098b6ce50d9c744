"""Chart builders for the Partner tiers page: ``(pl.DataFrame, ...) -> go.Figure``, no Streamlit.

Every builder takes the frame of one ``queries/tiers_*.sql`` file (or the Overview's
``revenue_by_segment_tier``) as it comes back from the runner, and uses the shared theme in
``channel.charts``: one colour per tier everywhere, money() for currency, apply_layout().
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from channel.charts import (
    FONT,
    GUIDE_COLOR,
    INK_DARK,
    MUTED_TEXT,
    REVENUE_COLOR,
    TIER_COLORS,
    TIER_SYMBOLS,
    apply_layout,
    ink_on,
    money,
    pct,
)
from channel.contract import SEGMENTS
from channel.settings import TIERS

ALL_SEGMENTS = "All segments"
NO_TIER = "(none)"
PROGRAM_TIERS = (*TIERS, NO_TIER)  # the rows of the held-vs-earned matrix, highest first

INVESTMENT_COLOR = "#E07A5F"
PREVIOUS_COLOR = "#9AA5B1"
SHARE_COLORS = {"revenue_share": REVENUE_COLOR, "investment_share": INVESTMENT_COLOR}
PERIOD_COLORS = {"current": REVENUE_COLOR, "previous": PREVIOUS_COLOR}  # also dash: solid, dash
LABEL_BACKDROP = "rgba(255, 255, 255, 0.8)"  # behind the quadrant labels
# held-vs-earned findings, by the sign of tier_gap (queries/build/51_tier_gap.sql)
FINDING_LABELS = {
    1: "Over-tiered: holds more than it earns",
    0: "Holds the tier it earns",
    -1: "Promotion candidate: earns more than it holds",
}
FINDING_SHORT = {1: "Over-tiered", 0: "Match", -1: "Promotion candidate"}
# light fills under dark counts: orange above the diagonal (holds too much), blue below it (earns
# more); an arrow in the cell says which way the tier should move, without colour
FINDING_COLORS = {1: "#F4B77E", 0: "#ECEEF1", -1: "#93C0EC"}
FINDING_MARKS = {1: "▼", 0: "", -1: "▲"}
MOVE_COLORS = {  # Sankey links: climbed (blue), stayed (grey), dropped (orange)
    1: "rgba(29, 78, 158, 0.5)",
    0: "rgba(154, 165, 177, 0.3)",
    -1: "rgba(217, 120, 13, 0.55)",
}
QUADRANTS = ("high_high", "high_low", "low_high", "low_low", "no_revenue")
QUADRANT_LABELS = {
    "high_high": "High velocity / high volume",
    "high_low": "High velocity / low volume",
    "low_high": "Low velocity / high volume",
    "low_low": "Low velocity / low volume",
    "no_revenue": "No won revenue (not on the chart)",
}
# where each quadrant's label sits on the velocity x volume chart (x = velocity, y = volume)
_QUADRANT_CORNERS = {
    "high_high": (0.99, 0.99, "right", "top"),
    "low_high": (0.01, 0.99, "left", "top"),
    "high_low": (0.99, 0.01, "right", "bottom"),
    "low_low": (0.01, 0.01, "left", "bottom"),
}


def _sign(value: float | int | None) -> int:
    return 0 if not value else (1 if value > 0 else -1)


def short_money(value: float, symbol: str = "$") -> str:
    """Axis-tick currency: $500, $2K, $1.5M (money() without a trailing .0)."""
    return money(value, symbol).replace(".0K", "K").replace(".0M", "M").replace(".0B", "B")


def log_ticks(low: float | None, high: float | None) -> list[float]:
    """1-2-5 tick values covering [low, high] (both > 0) for a log axis."""
    if not low or not high or low <= 0 or high <= 0:
        return []
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        ticks.extend(m * 10.0**exponent for m in (1, 2, 5))
    inside = [t for t in ticks if low / 2.5 <= t <= high * 2.5]
    return inside or ticks


# ---------------------------------------------------------------------------------------------
# 1. Tier structure


def tier_structure(frame: pl.DataFrame, symbol: str = "$") -> go.Figure:
    """Share of partners next to share of revenue per earned tier, one bar per segment.

    ``frame``: segment, earned_tier, partners, revenue_t4q (``revenue_by_segment_tier``, one row
    per segment and tier). Each bar is 100% of its segment; an "All segments" bar at the bottom
    sums the segments when there is more than one. Shares within a segment are computed here,
    from the query's counts and sums, only to lay out the bars.
    """
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04)
    present = [s for s in SEGMENTS if s in set(frame["segment"].to_list())]
    rows = frame.select("segment", "earned_tier", "partners", "revenue_t4q")
    if len(present) > 1:
        total = rows.group_by("earned_tier").agg(
            pl.col("partners").sum(), pl.col("revenue_t4q").sum()
        )
        rows = pl.concat(
            [rows, total.select(pl.lit(ALL_SEGMENTS).alias("segment"), pl.all())], how="vertical"
        )
        present = [*present, ALL_SEGMENTS]
    rows = rows.with_columns(
        (pl.col("partners") / pl.col("partners").sum().over("segment")).alias("partner_share"),
        (pl.col("revenue_t4q") / pl.col("revenue_t4q").sum().over("segment"))
        .fill_nan(None)
        .alias("revenue_share"),
    )
    order = list(reversed(present))  # first segment at the top, "All segments" at the bottom
    for tier in TIERS:
        by_segment = {
            r["segment"]: r
            for r in rows.filter(pl.col("earned_tier") == tier).iter_rows(named=True)
        }
        if not by_segment:
            continue
        cells = [by_segment.get(s) for s in order]
        hover = [
            (
                f"<b>{s} · {tier}</b><br>{c['partners']:,} partners "
                f"({pct(c['partner_share'])} of the segment's)<br>"
                f"{money(c['revenue_t4q'], symbol)} revenue ({pct(c['revenue_share'])} of the "
                "segment's)"
            )
            if c
            else ""
            for s, c in zip(order, cells, strict=True)
        ]
        for col, share in ((1, "partner_share"), (2, "revenue_share")):
            values = [(c[share] or 0) if c else 0 for c in cells]
            fig.add_bar(
                x=values,
                y=order,
                orientation="h",
                name=tier,
                legendgroup=tier,
                showlegend=col == 1,
                marker_color=TIER_COLORS[tier],
                text=[pct(v, 0) if v >= 0.07 else "" for v in values],
                textfont={"color": ink_on(TIER_COLORS[tier])},
                textposition="inside",
                insidetextanchor="middle",
                hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
                row=1,
                col=col,
            )
    apply_layout(fig, "Partners and revenue per earned tier, by segment", "", "", "Earned tier")
    fig.update_layout(barmode="stack", height=max(280, 150 + 44 * len(order)))
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    fig.update_xaxes(title_text="Share of the segment's partners (%)", row=1, col=1)
    fig.update_xaxes(
        title_text="Share of the segment's won revenue, trailing four quarters (%)", row=1, col=2
    )
    fig.update_yaxes(title_text="Segment", row=1, col=1)
    fig.update_yaxes(rangemode=None)
    return fig


# ---------------------------------------------------------------------------------------------
# 2. Held tier against earned tier


def tier_matrix(frame: pl.DataFrame, symbol: str = "$") -> go.Figure:
    """Program tier held (rows) against earned tier (columns): partner counts per cell.

    ``frame``: program_tier ('(none)' for no tier), earned_tier, tier_gap, partners, revenue_t4q
    (``tiers_matrix``). Cells are coloured by finding (the sign of tier_gap).
    """
    cells = {(r["program_tier"], r["earned_tier"]): r for r in frame.iter_rows(named=True)}
    held = [t for t in PROGRAM_TIERS if t != NO_TIER or any(k[0] == NO_TIER for k in cells)]
    z, text, hover = [], [], []
    for h in held:
        z_row, text_row, hover_row = [], [], []
        for e in TIERS:
            cell = cells.get((h, e))
            if cell is None:
                z_row.append(None)
                text_row.append("")
                hover_row.append(f"Holds {h}, earns {e}: no partners")
                continue
            finding = _sign(cell["tier_gap"])
            z_row.append(finding)
            text_row.append(f"{FINDING_MARKS[finding]} {cell['partners']:,}".strip())
            hover_row.append(
                f"<b>Holds {h}, earns {e}</b><br>{cell['partners']:,} partners<br>"
                f"Revenue (T4Q): {money(cell['revenue_t4q'], symbol)}<br>{FINDING_LABELS[finding]}"
            )
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    scale = [
        [0.0, FINDING_COLORS[-1]],
        [0.33, FINDING_COLORS[-1]],
        [0.33, FINDING_COLORS[0]],
        [0.67, FINDING_COLORS[0]],
        [0.67, FINDING_COLORS[1]],
        [1.0, FINDING_COLORS[1]],
    ]
    fig = go.Figure(
        go.Heatmap(
            x=list(TIERS),
            y=held,
            z=z,
            zmin=-1,
            zmax=1,
            colorscale=scale,
            showscale=False,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 15, "family": FONT, "color": INK_DARK},  # every fill is light
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            xgap=3,
            ygap=3,
        )
    )
    for finding in (1, -1, 0):  # legend entries for the cell colours
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"symbol": "square", "size": 14, "color": FINDING_COLORS[finding]},
            name=f"{FINDING_MARKS[finding]} {FINDING_SHORT[finding]}".strip(),
        )
    apply_layout(
        fig,
        "Program tier held against tier earned (partners per cell)",
        "Earned tier (from trailing-four-quarter revenue)",
        "Program tier held",
    )
    fig.update_xaxes(type="category", side="bottom", showgrid=False)
    fig.update_yaxes(type="category", autorange="reversed", showgrid=False, rangemode=None)
    fig.update_layout(height=90 + 62 * len(held) + 60, plot_bgcolor="white")
    return fig


# ---------------------------------------------------------------------------------------------
# 3. Revenue concentration


def concentration_kpis(frame: pl.DataFrame) -> dict[str, dict]:
    """The per-period figures of ``tiers_concentration`` (repeated on each row): period -> row."""
    out: dict[str, dict] = {}
    for row in frame.iter_rows(named=True):
        out.setdefault(row["period"], row)
    return out


def concentration_curve(frame: pl.DataFrame) -> go.Figure:
    """Pareto curve: the share of revenue held by the largest x% of partners.

    ``frame``: period ('current' / 'previous'), fiscal_quarter, partners, top10_share,
    top20_share, partner_share, revenue_share (``tiers_concentration``). The previous four
    quarters are drawn dashed when present, with markers at the top 10% and top 20%.
    """
    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name="Every partner equal",
        line={"color": GUIDE_COLOR, "dash": "dot", "width": 1},
        hoverinfo="skip",
    )
    kpis = concentration_kpis(frame)
    for period, dash in (("previous", "dash"), ("current", "solid")):
        color = PERIOD_COLORS[period]
        rows = frame.filter(pl.col("period") == period)
        if rows.height == 0 or rows["revenue_share"].null_count() == rows.height:
            continue
        quarter = kpis[period]["fiscal_quarter"]
        label = f"4 quarters to {quarter}" + (" (previous)" if period == "previous" else "")
        fig.add_scatter(
            x=[0.0, *rows["partner_share"].to_list()],
            y=[0.0, *rows["revenue_share"].to_list()],
            mode="lines",
            name=label,
            line={"color": color, "dash": dash, "width": 3 if period == "current" else 2},
            line_shape="hv" if rows.height <= 50 else "linear",
            hovertemplate="Largest %{x:.1%} of partners hold %{y:.1%} of revenue<extra>"
            + quarter
            + "</extra>",
        )
        if period == "current":
            n = kpis[period]["partners"]
            marks = [(0.1, "top10_share", "Top 10%"), (0.2, "top20_share", "Top 20%")]
            xs = [math.ceil(n * p) / n for p, _, _ in marks]
            ys = [kpis[period][col] for _, col, _ in marks]
            fig.add_scatter(
                x=xs,
                y=ys,
                mode="markers+text",
                name="Top 10% and top 20% of partners",
                marker={"color": color, "size": 10, "line": {"color": "white", "width": 1.5}},
                text=[f"{name}: {pct(y)}" for (_, _, name), y in zip(marks, ys, strict=True)],
                textposition="middle right",
                textfont={"size": 12},
                hovertemplate="%{text} of revenue<extra></extra>",
                showlegend=False,
            )
    apply_layout(
        fig,
        "Revenue held by the largest partners",
        "Largest partners first (% of partners)",
        "Cumulative share of won revenue (%)",
    )
    fig.update_layout(
        legend={"x": 0.98, "xanchor": "right", "y": 0.04, "yanchor": "bottom", "orientation": "v"},
        height=440,
    )
    fig.update_xaxes(tickformat=".0%", range=[0, 1.001], dtick=0.2)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.03])
    return fig


# ---------------------------------------------------------------------------------------------
# 4. Velocity x volume


def quadrant_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The quadrant rows of ``tiers_quadrants`` in quadrant order, with a readable label."""
    rows = frame.filter(pl.col("dimension") == "quadrant")
    return rows.with_columns(
        pl.col("group_key").replace_strict(QUADRANT_LABELS, default=None).alias("quadrant")
    )


def velocity_volume(marks: pl.DataFrame, quadrants: pl.DataFrame, symbol: str = "$") -> go.Figure:
    """Won deals (velocity) against revenue (volume), trailing four quarters, on log axes.

    ``marks``: earned_tier, partners, won_deals_t4q, revenue_t4q, revenue_total, won_deals_min,
    won_deals_max, partner_id, partner_name (``tiers_velocity``: one row per partner, or per
    log-scale cell above 5,000 partners). ``quadrants``: ``tiers_quadrants`` rows (the medians
    and the count and revenue per quadrant). One WebGL trace per earned tier; a mark that is one
    partner carries its id as the first customdata item.
    """
    fig = go.Figure()
    biggest = max(marks["partners"].max() or 1, 1) if marks.height else 1
    for tier in TIERS:
        rows = marks.filter(pl.col("earned_tier") == tier)
        if rows.height == 0:
            continue
        hover, ids, sizes = [], [], []
        for r in rows.iter_rows(named=True):
            if r["partners"] == 1:
                hover.append(
                    f"<b>{r['partner_name']}</b> ({r['partner_id']})<br>{tier}<br>"
                    f"Won deals (T4Q): {r['won_deals_min']:,}<br>"
                    f"Revenue (T4Q): {money(r['revenue_total'], symbol)}<br>Click to open"
                )
            else:
                deals = (
                    f"{r['won_deals_min']:,}"
                    if r["won_deals_min"] == r["won_deals_max"]
                    else f"{r['won_deals_min']:,}–{r['won_deals_max']:,}"
                )
                hover.append(
                    f"<b>{r['partners']:,} {tier} partners</b><br>Won deals each (T4Q): {deals}"
                    f"<br>Revenue together: {money(r['revenue_total'], symbol)}"
                )
            ids.append(r["partner_id"] or "")
            sizes.append(7 + 18 * math.sqrt(r["partners"] / biggest) if biggest > 1 else 9)
        fig.add_scattergl(
            x=rows["won_deals_t4q"].to_list(),
            y=rows["revenue_t4q"].to_list(),
            mode="markers",
            name=tier,
            marker={
                "color": TIER_COLORS[tier],
                "symbol": TIER_SYMBOLS[tier],
                "size": sizes,
                "opacity": 0.8,
                "line": {"color": "white", "width": 0.5},
            },
            customdata=[[i] for i in ids],
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
        )
    by_key = {r["group_key"]: r for r in quadrant_rows(quadrants).iter_rows(named=True)}
    any_row = next(iter(by_key.values()), None)
    if any_row and any_row["median_won_deals"] is not None and marks.height:
        fig.add_vline(
            x=any_row["median_won_deals"], line={"color": MUTED_TEXT, "dash": "dash", "width": 1}
        )
        fig.add_hline(
            y=any_row["median_revenue"], line={"color": MUTED_TEXT, "dash": "dash", "width": 1}
        )
        for key, (x, y, xanchor, yanchor) in _QUADRANT_CORNERS.items():
            row = by_key.get(key)
            count = row["partners"] if row else 0
            revenue = row["revenue_t4q"] if row else 0
            fig.add_annotation(
                x=x,
                y=y,
                xref="x domain",
                yref="y domain",
                xanchor=xanchor,
                yanchor=yanchor,
                showarrow=False,
                align=xanchor,
                text=f"<b>{QUADRANT_LABELS[key]}</b><br>{count:,} partners · "
                f"{money(revenue, symbol)}",
                font={"size": 11, "color": INK_DARK},
                bgcolor=LABEL_BACKDROP,
            )
    apply_layout(
        fig,
        "Velocity against volume (trailing four quarters, log scales)",
        "Velocity: won deals, trailing four quarters (count, log scale)",
        f"Volume: won revenue, trailing four quarters ({symbol}, log scale)",
        "Earned tier",
    )
    if marks.height:
        x_ticks = log_ticks(marks["won_deals_min"].min(), marks["won_deals_max"].max())
        y_ticks = log_ticks(marks["revenue_t4q"].min(), marks["revenue_t4q"].max())
        fig.update_xaxes(tickvals=x_ticks, ticktext=[f"{v:,.0f}" for v in x_ticks])
        fig.update_yaxes(tickvals=y_ticks, ticktext=[short_money(v, symbol) for v in y_ticks])
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log", rangemode=None)
    fig.update_layout(height=520)
    return fig


# ---------------------------------------------------------------------------------------------
# 5. Resources against revenue


def share_comparison(frame: pl.DataFrame, dimension: str, title: str) -> go.Figure:
    """Share of revenue next to share of investment per group of one dimension.

    ``frame``: ``tiers_quadrants`` (dimension, group_key, partners, revenue_share,
    investment_share, revenue_t4q, investment_t4q, revenue_per_invested). ``dimension`` is
    'earned_tier' or 'quadrant'.
    """
    rows = frame.filter(pl.col("dimension") == dimension)
    if dimension == "quadrant":
        labels = [QUADRANT_LABELS.get(k, k) for k in rows["group_key"].to_list()]
        axis = "Velocity × volume quadrant"
    else:
        labels = rows["group_key"].to_list()
        axis = "Earned tier"
    labels = [label.replace(" (not on the chart)", "") for label in labels]
    fig = go.Figure()
    for column, name in (
        ("revenue_share", "Share of revenue"),
        ("investment_share", "Share of investment"),
    ):
        color = SHARE_COLORS[column]
        values = [v or 0 for v in rows[column].to_list()]
        fig.add_bar(
            y=labels,
            x=values,
            orientation="h",
            name=name,
            marker_color=color,
            text=[pct(v, 0) for v in values],
            textposition="outside",
            customdata=rows.select("partners", "revenue_t4q", "investment_t4q").rows(),
            hovertemplate="<b>%{y}</b><br>" + name + ": %{x:.1%}<br>Partners: %{customdata[0]:,}"
            "<extra></extra>",
        )
    top = max([v or 0 for v in [*rows["revenue_share"], *rows["investment_share"]]] or [0])
    apply_layout(fig, title, "Share of the filtered partners' total (%)", axis)
    fig.update_layout(barmode="group", height=140 + 58 * max(rows.height, 1))
    fig.update_xaxes(tickformat=".0%", range=[0, max(top, 0.01) * 1.15])
    fig.update_yaxes(autorange="reversed", rangemode=None)
    return fig


def program_roi(frame: pl.DataFrame, symbol: str = "$") -> go.Figure:
    """Revenue per invested unit by investment program (horizontal bars).

    ``frame``: program, partners, investment_t4q, investment_share, revenue_t4q,
    revenue_per_invested (``tiers_program_roi``, largest investment first).
    """
    fig = go.Figure(
        go.Bar(
            y=frame["program"].to_list(),
            x=[v or 0 for v in frame["revenue_per_invested"].to_list()],
            orientation="h",
            marker_color=INVESTMENT_COLOR,
            text=[
                f"{symbol}{v:,.0f} per {symbol}1" if v is not None else "–"
                for v in frame["revenue_per_invested"].to_list()
            ],
            textposition="outside",
            customdata=[
                [money(i, symbol), pct(s), p, money(r, symbol)]
                for i, s, p, r in frame.select(
                    "investment_t4q", "investment_share", "partners", "revenue_t4q"
                ).iter_rows()
            ],
            hovertemplate="<b>%{y}</b><br>Invested: %{customdata[0]} (%{customdata[1]} of all)"
            "<br>Partners funded: %{customdata[2]:,}<br>Their revenue: %{customdata[3]}"
            "<extra></extra>",
            showlegend=False,
        )
    )
    top = max([v or 0 for v in frame["revenue_per_invested"].to_list()] or [0])
    apply_layout(
        fig,
        "Revenue per unit invested, by program",
        f"Revenue per {symbol}1 invested ({symbol})",
        "Program",
    )
    fig.update_layout(height=140 + 48 * max(frame.height, 1))
    fig.update_xaxes(tickprefix=symbol, range=[0, max(top, 1) * 1.45])
    fig.update_yaxes(autorange="reversed", rangemode=None)
    return fig


def flagged_partners(frame: pl.DataFrame) -> pl.DataFrame:
    """The partners flagged in ``tiers_quadrants`` (significant investment, low/low or no
    revenue), one row each, largest investment first, with a readable quadrant."""
    rows = frame.filter(pl.col("dimension") == "quadrant").select("flagged").explode("flagged")
    rows = rows.drop_nulls("flagged").unnest("flagged")
    if rows.height == 0:
        return rows
    return rows.sort(["investment_t4q", "partner_id"], descending=[True, False]).with_columns(
        pl.col("quadrant").replace_strict(QUADRANT_LABELS, default=None)
    )


# ---------------------------------------------------------------------------------------------
# 7. Tier movement


def tier_movement(frame: pl.DataFrame) -> go.Figure:
    """Sankey from the earned tier four quarters earlier (left) to the earned tier now (right).

    ``frame``: quarter_before, tier_before, tier_now, tiers_moved, partners, revenue_t4q
    (``tiers_movement``). Links are blue when partners climbed, orange when they dropped.
    """
    before_totals = frame.group_by("tier_before").agg(pl.col("partners").sum())
    now_totals = frame.group_by("tier_now").agg(pl.col("partners").sum())
    before = {r[0]: r[1] for r in before_totals.iter_rows()}
    now = {r[0]: r[1] for r in now_totals.iter_rows()}
    left = [t for t in TIERS if t in before]
    right = [t for t in TIERS if t in now]
    quarter = frame["quarter_before"][0] if frame.height else ""
    labels = [f"{t} · {before[t]:,}" for t in left] + [f"{t} · {now[t]:,}" for t in right]
    index_left = {t: i for i, t in enumerate(left)}
    index_right = {t: len(left) + i for i, t in enumerate(right)}
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            textfont={"family": FONT, "size": 12, "color": INK_DARK},
            node={
                "label": labels,
                "color": [TIER_COLORS[t] for t in left + right],
                "pad": 18,
                "thickness": 18,
                "line": {"color": "white", "width": 0.5},
                "hovertemplate": "%{label} partners<extra></extra>",
            },
            link={
                "source": [index_left[t] for t in frame["tier_before"].to_list()],
                "target": [index_right[t] for t in frame["tier_now"].to_list()],
                "value": frame["partners"].to_list(),
                "color": [MOVE_COLORS[_sign(m)] for m in frame["tiers_moved"].to_list()],
                "customdata": [
                    [b, n, p]
                    for b, n, p in frame.select("tier_before", "tier_now", "partners").rows()
                ],
                "hovertemplate": "%{customdata[0]} → %{customdata[1]}: %{customdata[2]:,} partners"
                "<extra></extra>",
            },
        )
    )
    apply_layout(fig, f"Earned tier in {quarter} (left) and now (right)", "", "")
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return fig


# ---------------------------------------------------------------------------------------------
# 8. What-if tier floors


def floor_choices(configured: list[float]) -> list[float]:
    """Values offered by the what-if floor sliders: round amounts from 10,000 to 100,000,000
    (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5 per decade), plus 0 and the configured floors."""
    steps = {0.0, 1e8, *(float(f) for f in configured)}
    for exponent in range(4, 8):
        for mantissa in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5):
            steps.add(mantissa * 10.0**exponent)
    return sorted(steps)


def what_if_tiers(frame: pl.DataFrame) -> go.Figure:
    """Partners per tier under the configured floors against the what-if floors.

    ``frame``: earned_tier, what_if_tier, tiers_moved, partners, revenue_t4q (``tiers_what_if``).
    """
    now = frame.group_by("earned_tier").agg(pl.col("partners").sum())
    then = frame.group_by("what_if_tier").agg(pl.col("partners").sum())
    now_by = {r[0]: r[1] for r in now.iter_rows()}
    then_by = {r[0]: r[1] for r in then.iter_rows()}
    fig = go.Figure()
    for name, counts, pattern in (
        ("Configured floors (earned tier)", now_by, ""),
        ("What-if floors", then_by, "/"),
    ):
        values = [counts.get(t, 0) for t in TIERS]
        fig.add_bar(
            x=list(TIERS),
            y=values,
            name=name,
            marker={
                "color": [TIER_COLORS[t] for t in TIERS],
                "pattern": {"shape": pattern, "fgcolor": "white", "solidity": 0.3},
                "line": {"color": INK_DARK, "width": 1 if pattern else 0},
            },
            text=[f"{v:,}" for v in values],
            textposition="outside",
            hovertemplate="%{x}: %{y:,} partners<extra>" + name + "</extra>",
        )
    apply_layout(
        fig,
        "Partners per tier: configured floors against what-if floors",
        "Tier",
        "Partners (count)",
    )
    fig.update_layout(barmode="group")
    return fig


__all__ = [
    "ALL_SEGMENTS",
    "FINDING_LABELS",
    "FINDING_SHORT",
    "INVESTMENT_COLOR",
    "QUADRANTS",
    "QUADRANT_LABELS",
    "concentration_curve",
    "concentration_kpis",
    "floor_choices",
    "flagged_partners",
    "log_ticks",
    "program_roi",
    "quadrant_rows",
    "share_comparison",
    "short_money",
    "tier_matrix",
    "tier_movement",
    "tier_structure",
    "velocity_volume",
    "what_if_tiers",
]
