"""Missed targets: who keeps missing, for how long, does a run of misses usually recover, and who
is likely to miss the next quarter. Two tabs, kept in the URL (``?missed_view=``); only the open
tab runs its queries."""

import polars as pl
import streamlit as st

from channel import charts, ui
from channel.charts import missed as missed_charts
from channel.charts import risk as risk_charts
from channel.runner import run

HEATMAP_QUARTERS = 12
HEATMAP_ROWS = 60
LIST_ROWS = 200
RATE_QUARTERS = 12
EARLY_WARNING_RISK = 0.5  # the early-warning list: status OK and at least this chance of a miss
RELIABILITY_QUARTERS = 6  # the backtest shown: the last 6 quarters predicted with an outcome
RISK_LIST_ROWS = 200
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


# --- Tab 1: where partners stand now, and how runs of misses went ---------------------------
def standing_tab() -> None:
    # --- 1. Attainment heatmap --------------------------------------------------------------------
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
        "below; blue: hit, darker the further above. The colour breaks at the miss threshold. "
        "Light grey: no target that quarter, neither hit nor miss. Mid grey, *to date*: the "
        "quarter in progress, not hit or missed yet. The strip on the left is the status as of "
        "the as-of quarter, with its letter: R replacement review, A at risk, W watch, ✓ OK. "
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

    # --- 2. Status lists --------------------------------------------------------------------------
    st.subheader("Partners by status")
    flagged = ui.query(
        "missed_status_list", limit=LIST_ROWS, **params
    )  # the rows shown, per status
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
                "over the last 4 quarters first"
                + (f"; {more:,} more are in the CSV." if more else ".")
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

    # --- 3 and 6. Streaks, chronic against temporary ----------------------------------------------
    left, right = st.columns(2)
    streaks = ui.query("missed_streak_distribution", **params)
    no_streak = streaks.filter(pl.col("streak_bucket") == 0)["partners"].sum()
    with left:
        if no_streak == streaks["partners"].sum():
            st.success("No partner in scope has missed its latest quarter with a target.")
        else:
            st.plotly_chart(
                missed_charts.streak_distribution(streaks, watch, at_risk), key="streaks"
            )
        st.caption(
            "How long the current runs of misses are, per segment. Bars in the shaded bands are on "
            "watch or at risk (unless already in replacement review). Not drawn: "
            f"{no_streak:,} partners with no current streak (their latest quarter with a target "
            "was a hit, or they never had a target)."
        )
    grid = ui.query("missed_chronic_grid", **params)
    with right:
        st.plotly_chart(
            missed_charts.chronic_vs_temporary(grid, watch, at_risk, review, symbol), key="chronic"
        )
        st.caption(
            "Each bubble is a group of partners with the same current streak and the same number "
            "of missed quarters out of the last 8; its size is the number of partners. High up and "
            "to the left are the chronic partners, who miss most quarters even when the last one "
            "was a hit; on the diagonal the misses are one fresh run."
        )

    # --- 4. Miss rate over time -------------------------------------------------------------------
    st.subheader("Miss rate over time")
    if rates.height == 0:
        st.info("No partner in scope had a target in these quarters, so nothing could be missed.")
    else:
        st.plotly_chart(missed_charts.miss_rate_over_time(rates, symbol), key="miss_rate")
        st.caption(
            "Top: the share of partners with a target (above 0) that missed it, per fiscal "
            "quarter; the black line is all segments together. Bottom: the shortfall, target "
            "minus won revenue summed over the partners that missed (hits do not offset it)."
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

    # --- 5. Recovery ------------------------------------------------------------------------------
    st.subheader("Do runs of misses recover?")
    recovery = ui.query("missed_recovery", **params)
    observed = recovery.filter(pl.col("episodes") > 0)
    if observed.height == 0:
        st.info(
            f"No run of {watch} or more missed quarters can be followed up yet in the history up "
            f"to {filters.as_of} for these partners."
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
                f"Of the **{h['episodes']:,}** times a partner in scope missed {watch} quarters "
                f"in a row (with 4 quarters to follow up), "
                f"**{charts.pct(h['recovery_rate'], 0)}** hit target again within the next 4 "
                "fiscal quarters."
            )
        st.plotly_chart(missed_charts.recovery_rates(recovery), key="recovery")
        st.caption(
            f"An episode is a quarter in which a partner's missed streak reached {watch} (or "
            f"{at_risk}), counted over the whole history up to {filters.as_of}; a partner can have "
            "several. It recovered within N quarters if the partner hit target in at least one "
            "of the next N fiscal quarters (a quarter without a target is no hit). Episodes too "
            f"recent to have N quarters of follow-up by {filters.as_of} are left out of that "
            "horizon, so each bar has its own sample size n."
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


# --- Tab 2: the miss forecast ---------------------------------------------------------------------
RISK_HELP = (
    "**How to read the forecast.** Each number is a probability learned from past quarters, not "
    "a verdict: of the partners the forecast gave 30%, about 30% missed in held-out quarters "
    "(the chart below checks it on this data). It never replaces the status rules above, which "
    "stay as defined. The drivers are the three largest contributions to one partner's number, "
    "against the average partner; they are not causes. Each quarter's forecast was made by a "
    "model trained only on outcomes known by then, so a past as-of quarter shows what the "
    "dashboard would have said at the time. The backtest reads each deal's actual close date as "
    "its expected one, which flatters the pipeline's part. How it is computed: README, *Miss "
    "forecast*."
)


def next_quarter_tab() -> None:
    found = ui.query("risk_model_status", as_of=filters.as_of)
    if found.height == 0:
        st.info(f"No forecast exists for {filters.as_of}.")
        return
    model = found.row(0, named=True)
    target, nowcast = model["target_quarter"], model["kind"] == "nowcast"
    chance = f"chance that {target} ends missed" if nowcast else f"chance of missing {target}"
    st.markdown(
        (
            f"**{filters.as_of} is in progress**, so each partner with a target in it gets the "
            f"*{chance}*: a nowcast from the quarter so far, not a final result."
            if nowcast
            else f"**{filters.as_of} is complete**, so each partner with a target in the next "
            f"quarter gets the *{chance}*, the quarter after it."
        )
        + "  \n"
        + RISK_HELP
    )
    if not model["risk_rows"]:
        st.info(
            f"No forecast for {filters.as_of}: "
            + ui.md_escape(
                model["note"]
                or f"none was made (a forecast needs partners with a target in {target})."
            ),
            icon=":material/query_stats:",
        )
        return
    trained = (
        f"Model: {model['model']}, trained on {model['trained_rows']:,} partner-quarters with "
        f"outcomes from {model['trained_from']} to {model['trained_to']} (miss rate then "
        f"{charts.pct(model['base_rate'], 0)})."
        if model["model"]
        else ""
    )

    # risk by segment
    spread = ui.query("risk_distribution", **params)
    lists = ui.query("risk_lists", min_risk=EARLY_WARNING_RISK, limit=RISK_LIST_ROWS, **params)
    counts = dict(lists.group_by("list").agg(pl.col("list_partners").first()).iter_rows())
    segments = spread.unique("segment", keep="first").sort("segment")
    forecast_partners = int(segments["segment_partners"].sum()) if segments.height else 0
    c1, c2, c3 = st.columns(3)
    ui.card(
        c1,
        "Partners with a forecast",
        f"{forecast_partners:,}",
        f"with a target in {target}",
        help="Partners in the filters with a target above 0 in the quarter predicted. " + trained,
    )
    ui.card(
        c2,
        "Early warnings",
        f"{counts.get('early_warning', 0):,}",
        f"OK now, chance of a miss ≥ {charts.pct(EARLY_WARNING_RISK, 0)}",
        help=f"Partners whose status is OK as of {filters.as_of} and whose forecast gives at "
        f"least {charts.pct(EARLY_WARNING_RISK, 0)} {chance}.",
    )
    ui.card(
        c3,
        "On a missed streak",
        f"{counts.get('recovery', 0):,}",
        "missed the latest quarter with a target",
        help="Partners with a missed streak of 1 or more; the recovery list below gives each "
        f"one's chance of hitting {target}.",
    )
    if forecast_partners == 0:
        st.info(f"No partner in these filters has a forecast for {target}.")
        return

    st.subheader(f"Risk by segment, {target}")
    st.plotly_chart(
        risk_charts.risk_distribution(spread, target, model["kind"], symbol),
        key="risk_distribution",
    )
    st.caption(
        "Each bar is the share of a segment's partners whose forecast falls in that band; a "
        "segment leaning right has more partners likely to miss. The legend gives each segment's "
        "median chance."
    )
    by_segment = segments.select(
        "segment",
        "segment_partners",
        "segment_median_risk",
        "segment_expected_misses",
        "segment_revenue_at_stake",
    )
    ui.table(
        by_segment,
        filters,
        segment={},
        segment_partners=st.column_config.NumberColumn("Partners with a forecast"),
        segment_median_risk=st.column_config.NumberColumn(
            "Median chance", format="percent", help=f"The middle partner's {chance}"
        ),
        segment_expected_misses=st.column_config.NumberColumn(
            "Expected misses",
            format="%.1f",
            help="The sum of the chances: how many of these partners would miss if the forecast "
            "holds as it did in the backtest",
        ),
        segment_revenue_at_stake=st.column_config.NumberColumn(
            f"Revenue at stake ({symbol})",
            format="compact",
            help="Sum of chance × target over the segment's partners",
        ),
        key="risk_segments",
    )
    ui.download_csv(spread, f"risk_by_segment_{filters.as_of}.csv", key="csv_risk_segments")

    # the two lists
    columns = dict(
        miss_risk={"label": f"Miss risk {target}"},
        hit_chance=st.column_config.NumberColumn(
            f"Chance of hitting {target}",
            format="percent",
            help="1 − miss risk",
        ),
        target_amount=st.column_config.NumberColumn(
            f"Target {target} ({symbol})", format="compact", width="small"
        ),
    )
    for name, title, intro, order in (
        (
            "early_warning",
            "Early warning: OK now, likely to miss",
            f"Status OK as of {filters.as_of}, and at least **"
            f"{charts.pct(EARLY_WARNING_RISK, 0)}** {chance}; the most revenue at stake (chance "
            "× target) first. The status rules do not flag them yet.",
            [
                "partner_link",
                "partner_name",
                "miss_risk",
                "revenue_at_stake",
                "target_amount",
                "risk_drivers",
                "segment",
                "partner_manager",
                "revenue_t4q",
            ],
        ),
        (
            "recovery",
            "Recovery: on a missed streak, chance of hitting",
            f"Missed their latest quarter with a target as of {filters.as_of} (streak 1 or more), "
            f"with the chance of hitting {target}; the likeliest to recover first.",
            [
                "partner_link",
                "partner_name",
                "missed_streak",
                "status",
                "hit_chance",
                "risk_drivers",
                "target_amount",
                "segment",
                "partner_manager",
                "revenue_t4q",
            ],
        ),
    ):
        st.subheader(title)
        st.caption(intro)
        rows = lists.filter(pl.col("list") == name)
        total = counts.get(name, 0)
        if total == 0:
            st.success(
                "No OK partner in these filters reaches that risk."
                if name == "early_warning"
                else "No partner in these filters is on a missed streak."
            )
            continue
        ui.table(
            ui.with_labels(ui.with_partner_links(rows)),
            filters,
            order,
            key=f"risk_{name}",
            **columns,
        )
        if total > rows.height:
            st.caption(f"Showing {rows.height:,} of {total:,}; the CSV has them all.")
        ui.download_csv(
            lambda name=name: run(
                "risk_lists", min_risk=EARLY_WARNING_RISK, limit=None, **params
            ).filter(pl.col("list") == name),
            f"{name}_{filters.as_of}.csv",
            key=f"csv_risk_{name}",
            total=total,
        )

    # the backtest
    st.subheader("Did the forecast hold?")
    deciles = ui.query("risk_reliability", quarters=RELIABILITY_QUARTERS, **params)
    if deciles.height == 0:
        st.info(
            f"No forecast made before {filters.as_of} can be checked yet: none of the quarters "
            "it predicted has ended with a target, for these partners."
        )
        return
    st.plotly_chart(risk_charts.reliability(deciles), key="risk_reliability")
    checked = "next-quarter " if deciles["kind"][0] == "next" and nowcast else ""
    st.caption(
        f"A backtest of the {checked}forecast on the last {RELIABILITY_QUARTERS} quarters "
        f"predicted whose outcome was known by {filters.as_of}: the forecasts are split into "
        "ten equal groups from the lowest chance to the highest, and each point sets the group's "
        "average forecast against the share that missed. Points on the dotted diagonal mean the "
        "numbers can be read as they stand; above it, more partners missed than forecast."
        + (
            " The nowcast's own quarters have not ended yet, so the check uses the next-quarter "
            "forecast."
            if checked
            else ""
        )
    )
    ui.table(
        deciles.drop("kind", "first_quarter", "last_quarter", "total_predictions"),
        filters,
        decile=st.column_config.NumberColumn("Group (tenth)", width="small"),
        predictions=st.column_config.NumberColumn("Forecasts", format="localized"),
        missed=st.column_config.NumberColumn("Missed", format="localized"),
        predicted_miss_rate=st.column_config.NumberColumn("Forecast, average", format="percent"),
        observed_miss_rate=st.column_config.NumberColumn("Actually missed", format="percent"),
        risk_from=st.column_config.NumberColumn("Lowest forecast", format="percent"),
        risk_to=st.column_config.NumberColumn("Highest forecast", format="percent"),
        key="risk_deciles",
    )
    ui.download_csv(deciles, f"risk_backtest_{filters.as_of}.csv", key="csv_risk_backtest")


ui.lazy_tabs(
    {"Who keeps missing": standing_tab, "Next quarter": next_quarter_tab},
    key="missed_view",
    on_change="rerun",
    warn_unknown=True,
)
