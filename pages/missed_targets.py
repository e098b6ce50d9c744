"""Missed targets: who keeps missing, for how long, and does a run of misses usually recover."""

import polars as pl
import streamlit as st

from channel import charts, ui
from channel.charts import missed as missed_charts
from channel.runner import run

HEATMAP_QUARTERS = 12
HEATMAP_ROWS = 60
LIST_ROWS = 200
RATE_QUARTERS = 12
LISTS = (
    ("replace_review", "Replacement review"),
    ("at_risk", "At risk"),
    ("watch", "Watch"),
)
NONE_IN = {
    "replace_review": "No partner in scope is in replacement review",
    "at_risk": "No partner in scope is at risk",
    "watch": "No partner in scope is on watch",
}

page = ui.open_page(
    "Missed targets",
    "Who keeps missing target, for how long, and whether a run of misses usually recovers: "
    "a two- or three-quarter dip is normally not a reason to drop a partner; years of misses "
    "may be.",
)
page.require_targets(stop=True)  # every part of this page measures against targets
filters, params, symbol, settings = page.filters, page.params, page.symbol, page.settings
miss_below = settings["miss_below"]
watch, at_risk = settings["watch_streak"], settings["at_risk_streak"]
review = settings["replace_review_missed"]
threshold = f"{miss_below * 100:g}%"

st.markdown(
    f"**How a quarter counts.** A quarter is *missed* when won revenue is below {threshold} of "
    "its target; reaching it exactly is a hit. A quarter without a target (or with a target of "
    "0) is skipped: it is neither a hit nor a miss and does not break a streak. Only complete "
    "quarters count: the quarter in progress on the data's date is shown *to date* and is never "
    "a miss.  \n"
    f"**Statuses** as of {filters.as_of}: *Replacement review* when {review} or more of the last "
    f"8 fiscal quarters were missed; otherwise *At risk* at {at_risk} or more missed quarters in "
    f"a row; otherwise *Watch* at {watch} or more in a row. A partner has one status, the most "
    "severe it qualifies for, so it appears in one list only."
)

# --- KPI cards ---------------------------------------------------------------------------------
kpis = ui.query("overview_kpis", **params).row(0, named=True)  # the same counts as the Overview
rates = ui.query("missed_rate_by_quarter", quarters=RATE_QUARTERS, **params)
as_of_rate = rates.filter(pl.col("is_total") & (pl.col("fiscal_quarter") == filters.as_of))
now = as_of_rate.row(0, named=True) if as_of_rate.height else None
cards = st.columns(5)
ui.status_cards(cards[:3], kpis)
not_over = "in progress"
ui.card(
    cards[3],
    f"Miss rate {filters.as_of}",
    charts.pct(now["miss_rate"]) if now else "–",
    (
        f"{now['missed_partners']:,} of {now['targeted_partners']:,}"
        if now
        else not_over
        if filters.in_progress
        else "no targets this quarter"
    ),
    help="Share of the partners with a target above 0 in the as-of quarter whose won revenue "
    f"was below {threshold} of it. Defined in queries/missed_rate_by_quarter.sql.",
)
ui.card(
    cards[4],
    f"Shortfall {filters.as_of}",
    charts.money(now["shortfall"], symbol) if now else "–",
    not_over if filters.in_progress else "misses only",
    help="Sum of (target - won revenue) over the partners that missed in the as-of quarter. "
    "Partners above target do not offset it. Defined in queries/missed_rate_by_quarter.sql.",
)

# --- 1. Attainment heatmap ---------------------------------------------------------------------
st.subheader("Attainment, partner by partner")
heat = ui.query("missed_heatmap", quarters=HEATMAP_QUARTERS, limit=HEATMAP_ROWS, **params)
shown = heat["partner_id"].n_unique()
in_scope = heat["partners_in_scope"][0] if heat.height else 0
st.plotly_chart(
    missed_charts.attainment_heatmap(heat, miss_below, symbol, not_shown=in_scope - shown),
    key="attainment_heatmap",
)
st.caption(
    f"Orange to brown, with a dot: missed (below {threshold} of target), deeper the further "
    "below; blue: hit, darker the further above. The colour breaks at the miss threshold. Light "
    "grey: no target that quarter, neither hit nor miss. Mid grey, *to date*: the quarter in "
    "progress, not hit or missed yet. The strip on the left is the status as of the as-of "
    "quarter, with its letter: R replacement review, A at risk, W watch, ✓ OK. "
    f"Rows: partners that are not OK first (at most {HEATMAP_ROWS}, largest revenue over the "
    "last 4 quarters first), then the largest other partners; sorted by status, then streak, "
    "then revenue. "
    + (
        f"**{in_scope - shown:,} of {in_scope:,} partners are not shown**; narrow the filters "
        "or use the lists below."
        if in_scope > shown
        else f"All {in_scope:,} partners in scope are shown."
    )
)

# --- 2. Status lists ---------------------------------------------------------------------------
st.subheader("Partners by status")
flagged = ui.query("missed_status_list", limit=LIST_ROWS, **params)  # the rows shown, per status
counts = dict(flagged.group_by("status").agg(pl.col("status_partners").first()).iter_rows())
tabs = st.tabs([f"{label} ({counts.get(s, 0):,})" for s, label in LISTS])
list_columns = dict(  # the registry's partner columns, and these
    targeted_last_8=st.column_config.NumberColumn(
        "Targeted/8", help="Quarters with a target among the same 8", width="small"
    ),
    last_attainment=st.column_config.NumberColumn(
        "Attainment",
        help="Won revenue / target in the latest quarter with a target, up to the as-of "
        "quarter (the CSV names that quarter)",
        format="percent",
        width="small",
    ),
    last_target_quarter=st.column_config.TextColumn("In", width="small"),
    attainment_trend=st.column_config.BarChartColumn(
        "Attainment trend",
        help="Attainment in each quarter with a target among the last 8, oldest first; "
        "quarters without a target are left out, as the streak skips them. The scale runs "
        f"from 0 to {2 * miss_below:.0%} of target.",
        width="small",
        y_min=0,
        y_max=2 * miss_below,
    ),
)
shown_columns = [  # the evidence first, then who the partner is
    "partner_link",
    "partner_name",
    "missed_streak",
    "missed_last_8",
    "last_attainment",
    "attainment_trend",
    "revenue_t4q",
    "segment",
    "partner_manager",
    "program_tier",
    "earned_tier",
]
definitions = {
    "replace_review": f"missed {review} or more of the last 8 fiscal quarters",
    "at_risk": f"{at_risk} or more missed quarters in a row (and fewer than {review} of 8)",
    "watch": f"{watch} to {at_risk - 1} missed quarters in a row (and fewer than {review} of 8)"
    if at_risk - 1 > watch
    else f"{watch} missed quarters in a row (and fewer than {review} of 8)",
}
for tab, (status, label) in zip(tabs, LISTS, strict=True):
    rows = flagged.filter(pl.col("status") == status)
    total = counts.get(status, 0)
    with tab:
        st.caption(f"**{label}**: {definitions[status]}, as of {filters.as_of}.")
        if total == 0:
            st.success(f"{NONE_IN[status]} as of {filters.as_of}.")
            continue
        ui.table(
            ui.with_partner_links(rows),
            filters,
            shown_columns,
            key=f"list_{status}",
            **list_columns,
        )
        more = total - rows.height
        st.caption(
            f"Showing {rows.height:,} of {total:,}, the largest revenue "
            "over the last 4 quarters first" + (f"; {more:,} more are in the CSV." if more else ".")
        )
        ui.download_csv(  # queried on click; the trend list becomes "1.0;0.8;..." for the CSV
            lambda status=status: (
                run("missed_status_list", limit=None, **params)
                .filter(pl.col("status") == status)
                .drop("status_partners")
                .with_columns(
                    pl.col("attainment_trend")
                    .list.eval(pl.element().round(4).cast(pl.String))
                    .list.join(";")
                )
            ),
            f"{status}_{filters.as_of}.csv",
            key=f"csv_{status}",
            label=f"Download all {total:,} ({label.lower()}) as CSV",
        )

# --- 3 and 6. Streaks, chronic against temporary -----------------------------------------------
left, right = st.columns(2)
streaks = ui.query("missed_streak_distribution", **params)
no_streak = streaks.filter(pl.col("streak_bucket") == 0)["partners"].sum()
with left:
    if no_streak == streaks["partners"].sum():
        st.success("No partner in scope has missed its latest quarter with a target.")
    else:
        st.plotly_chart(missed_charts.streak_distribution(streaks, watch, at_risk), key="streaks")
    st.caption(
        "How long the current runs of misses are, per segment. Bars in the shaded bands are on "
        "watch or at risk (unless already in replacement review). Not drawn: "
        f"{no_streak:,} partners with no current streak (their latest quarter with a target was "
        "a hit, or they never had a target)."
    )
grid = ui.query("missed_chronic_grid", **params)
with right:
    st.plotly_chart(
        missed_charts.chronic_vs_temporary(grid, watch, at_risk, review, symbol), key="chronic"
    )
    st.caption(
        "Each bubble is a group of partners with the same current streak and the same number of "
        "missed quarters out of the last 8; its size is the number of partners. High up and to "
        "the left are the chronic partners, who miss most quarters even when the last one was a "
        "hit; on the diagonal the misses are one fresh run."
    )

# --- 4. Miss rate over time --------------------------------------------------------------------
st.subheader("Miss rate over time")
if rates.height == 0:
    st.info("No partner in scope had a target in these quarters, so nothing could be missed.")
else:
    st.plotly_chart(missed_charts.miss_rate_over_time(rates, symbol), key="miss_rate")
    st.caption(
        "Top: the share of partners with a target (above 0) that missed it, per fiscal quarter; "
        "the black line is all segments together. Bottom: the shortfall, target minus won "
        "revenue summed over the partners that missed (hits do not offset it)."
    )
    with st.expander("Miss rate per quarter and segment (table)"):
        st.dataframe(
            rates.drop("quarter_idx", "is_total"),
            hide_index=True,
            width="stretch",
            column_config={
                "fiscal_quarter": "Quarter",
                "segment": "Segment",
                "targeted_partners": st.column_config.NumberColumn("With a target"),
                "missed_partners": st.column_config.NumberColumn("Missed"),
                "miss_rate": st.column_config.NumberColumn("Miss rate", format="percent"),
                "shortfall": st.column_config.NumberColumn(
                    f"Shortfall ({symbol})", format="compact"
                ),
                "target": st.column_config.NumberColumn(f"Target ({symbol})", format="compact"),
                "revenue": st.column_config.NumberColumn(
                    f"Won revenue ({symbol})", format="compact"
                ),
            },
            key="rates_table",
        )
        ui.download_csv(rates, f"miss_rate_{filters.as_of}.csv", key="csv_rates")

# --- 5. Recovery -------------------------------------------------------------------------------
st.subheader("Do runs of misses recover?")
recovery = ui.query("missed_recovery", **params)
observed = recovery.filter(pl.col("episodes") > 0)
if observed.height == 0:
    st.info(
        f"No run of {watch} or more missed quarters can be followed up yet in the history up to "
        f"{filters.as_of} for these partners."
    )
else:
    headline = recovery.filter(
        pl.col("is_total")
        & (pl.col("reached_streak") == watch)
        & (pl.col("horizon_quarters") == 4)
        & (pl.col("episodes") > 0)
    )
    if headline.height:
        h = headline.row(0, named=True)
        st.markdown(
            f"Of the **{h['episodes']:,}** times a partner in scope missed {watch} quarters in a "
            f"row (with 4 quarters to follow up), **{charts.pct(h['recovery_rate'], 0)}** hit "
            "target again within the next 4 fiscal quarters."
        )
    st.plotly_chart(missed_charts.recovery_rates(recovery), key="recovery")
    st.caption(
        f"An episode is a quarter in which a partner's missed streak reached {watch} (or "
        f"{at_risk}), counted over the whole history up to {filters.as_of}; a partner can have "
        "several. It recovered within N quarters if the partner hit target in at least one of "
        "the next N fiscal quarters (a quarter without a target is no hit). Episodes too recent "
        f"to have N quarters of follow-up by {filters.as_of} are left out of that horizon, so "
        "each bar has its own sample size n."
    )
    st.dataframe(
        missed_charts.recovery_table(recovery),
        hide_index=True,
        width="stretch",
        column_config={
            "reached_streak": st.column_config.NumberColumn(
                "After N missed in a row", width="small"
            ),
            "segment": "Segment",
        },
        key="recovery_table",
    )
    st.caption(
        "Share back on target and n, the number of episodes with the whole follow-up observed. "
        "The CSV also counts the episodes left out as too recent."
    )
    ui.download_csv(recovery, f"recovery_{filters.as_of}.csv", key="csv_recovery")
