"""Partner tiers: who carries the revenue, whether tiers and resources follow it, how segments
differ. Four tabs; only the open tab runs its queries (the tab is kept in the URL)."""

import polars as pl
import streamlit as st

from channel import charts, ui
from channel.charts import tiers as tier_charts
from channel.definitions import explain
from channel.runner import run

MISMATCH_ROWS = 500  # rows shown; the download holds them all
FLAGGED_ROWS = 200
FLOOR_KEYS = {
    "Platinum": ("tiers_floor_platinum", "tier_floor_platinum"),
    "Gold": ("tiers_floor_gold", "tier_floor_gold"),
    "Silver": ("tiers_floor_silver", "tier_floor_silver"),
}

page = ui.open_page(
    "Partner tiers",
    "Which partners carry the revenue, whether the tiers they hold and the resources they get "
    "follow it, and how segments differ, for the partners in the filters.",
)
filters, params, symbol, settings = page.filters, page.params, page.symbol, page.settings
tier_help = explain("earned_tier", settings, symbol)
money = charts.money
pct = charts.pct
REVENUE = {"width": None}  # the registry's revenue_t4q, sized by Streamlit in these tables


# --- Tab 1: tiers -------------------------------------------------------------------------------
def tiers_tab() -> None:
    mismatches = ui.query("tiers_mismatches", limit=MISMATCH_ROWS, **params)
    movement = ui.query("tiers_movement", **params)
    totals = mismatches.row(0, named=True) if mismatches.height else {}
    over = (totals.get("over_tiered_partners", 0), totals.get("over_tiered_revenue_t4q", 0))
    under = (totals.get("promotion_partners", 0), totals.get("promotion_revenue_t4q", 0))
    in_scope = ui.query("partner_count", **params)["partners"][0]

    c1, c2, c3, c4 = st.columns(4)
    ui.card(c1, "Partners in scope", f"{in_scope:,}", help="Partners that pass the filters.")
    ui.card(
        c2,
        "Over-tiered",
        f"{over[0]:,}",
        f"{money(over[1], symbol)} revenue 4Q",
        help="Partners holding a higher program tier than their trailing-four-quarter revenue "
        "earns: their benefits are over-paid. " + tier_help,
    )
    ui.card(
        c3,
        "Promotion candidates",
        f"{under[0]:,}",
        f"{money(under[1], symbol)} revenue 4Q",
        help="Partners earning a higher tier than the program tier they hold (a partner with "
        "no program tier counts as Registered). " + tier_help,
    )
    if movement.height:
        m = movement.row(0, named=True)
        ui.card(
            c4,
            f"Tier moves since {m['quarter_before']}",
            f"▲ {m['moved_up']:,}",
            f"▼ {m['moved_down']:,} · {m['stayed']:,} kept their tier",
            help="Partners whose earned tier climbed (▲) or dropped (▼) between the quarter four "
            "quarters before the as-of quarter and the as-of quarter.",
        )
    else:
        c4.metric("Tier moves", "–", help="Needs data four quarters before the as-of quarter.")

    st.subheader("Who carries the revenue")
    structure = ui.query("revenue_by_segment_tier", **params)
    st.plotly_chart(tier_charts.tier_structure(structure, symbol), key="tier_structure")
    st.caption(
        "Compare the two halves of each bar: the top tiers are a thin slice of the partners but "
        "most of the revenue. Tiers are earned from trailing-four-quarter won revenue."
    )

    left, right = st.columns([1, 1])
    with left:
        st.subheader("Held tier against earned tier")
        matrix = ui.query("tiers_matrix", **params)
        st.plotly_chart(tier_charts.tier_matrix(matrix, symbol), key="tier_matrix")
        st.caption(
            "The diagonal holds what it earns; orange cells (▼) above it are over-tiered "
            "(benefits over-paid), blue cells (▲) below it are promotion candidates. Hover for "
            "revenue."
        )
    with right:
        st.subheader("Tier movement over four quarters")
        if movement.height:
            st.plotly_chart(tier_charts.tier_movement(movement), key="tier_movement")
            st.caption(
                f"Partners per earned tier in {movement['quarter_before'][0]} (left) and "
                f"{filters.as_of} (right): blue bands climbed a tier, orange bands dropped."
            )
        else:
            st.info(
                "The data does not reach four quarters before the as-of quarter (plus the "
                "four quarters behind that tier), so there is no earlier tier to compare with."
            )

    st.subheader("Partners whose held tier differs from the earned tier")
    total = over[0] + under[0]
    if total == 0:
        st.success("Every partner in scope holds the tier it earns.")
        return
    shown = ui.with_partner_links(
        ui.with_labels(
            mismatches.with_columns(
                pl.col("tier_gap")
                .sign()
                .replace_strict(tier_charts.FINDING_SHORT)
                .alias("finding"),
                pl.col("tier_gap").abs().alias("tiers_apart"),
            )
        )
    )
    with_status = page.require_targets("the Status column")
    ui.table(
        shown,
        filters,
        [
            "partner_link",
            "partner_name",
            "finding",
            "program_tier",
            "earned_tier",
            "tiers_apart",
            "revenue_t4q",
            "won_deals_t4q",
            *(["status"] if with_status else []),
            "segment",
            "partner_manager",
        ],
        partner_link="Partner ID",
        finding="Finding",
        program_tier={
            "label": "Holds",
            "help": "Program tier held; (none) = no tier",
            "width": None,
        },
        earned_tier={"label": "Earns", "width": None},
        tiers_apart=st.column_config.NumberColumn("Apart", help="Tiers apart", width="small"),
        revenue_t4q=REVENUE,
        won_deals_t4q={"label": "Deals 4Q", "width": "small"},
        status={"width": "small"},
        segment={"width": None},
    )
    st.caption(
        f"Showing {mismatches.height:,} of {total:,} (at most {MISMATCH_ROWS:,} of each "
        "finding): over-tiered first (widest gap, least revenue first), then promotion "
        "candidates (widest gap, most revenue first)."
    )
    ui.download_csv(
        mismatches
        if total <= mismatches.height
        else lambda: run("tiers_mismatches", limit=None, **params),
        f"tier_mismatches_{filters.as_of}.csv",
        key="mismatches_csv",
        total=None if total <= mismatches.height else total,
    )


# --- Tab 2: concentration and velocity --------------------------------------------------------
def concentration_tab() -> None:
    concentration = ui.query("tiers_concentration", **params)
    quadrants = ui.query("tiers_quadrants", limit=FLAGGED_ROWS, **params)
    kpis = tier_charts.concentration_kpis(concentration)
    now, before = kpis.get("current"), kpis.get("previous")
    st.subheader("Revenue concentration")
    if not now or not now["revenue_t4q"]:
        st.info("No won revenue in the trailing four quarters for these partners.")
    else:
        versus = f"vs 4 quarters to {before['fiscal_quarter']}" if before else None
        c1, c2, c3 = st.columns(3)
        for column, key, label in (
            (c1, "top10_share", "Top-10% revenue share"),
            (c2, "top20_share", "Top-20% revenue share"),
        ):
            change = (now[key] - before[key]) * 100 if before and before[key] is not None else None
            column.metric(
                label,
                pct(now[key]),
                delta=f"{change:+.1f} pp" if change is not None else None,
                delta_color="inverse",
                delta_description=versus if change is not None else None,
                help=f"Share of trailing-four-quarter revenue held by the largest {label[4:7]} of "
                "partners in scope (rounded up to whole partners). The change compares with the "
                "four quarters before, in percentage points; up means more concentrated.",
                border=True,
            )
        hhi_change = now["hhi"] - before["hhi"] if before and before["hhi"] is not None else None
        digits = 0 if now["hhi"] >= 100 else 1  # 100,000 small partners give an HHI near 1
        c3.metric(
            "Herfindahl–Hirschman index",
            f"{now['hhi']:,.{digits}f}",
            delta=f"{hhi_change:+,.{digits}f}" if hhi_change is not None else None,
            delta_color="inverse",
            delta_description=versus if hhi_change is not None else None,
            help="Sum over partners of (100 × share of trailing-four-quarter revenue)², from "
            "near 0 (revenue spread evenly) to 10,000 (one partner has it all). Above 2,500 is "
            "highly concentrated, 1,500–2,500 moderately (US merger guidelines).",
            border=True,
        )
        if not before:
            st.caption(
                "No comparison: the data does not cover the four quarters before the window."
            )

    left, right = st.columns([2, 3])
    with left:
        if now and now["revenue_t4q"]:
            st.plotly_chart(tier_charts.concentration_curve(concentration), key="concentration")
            st.caption(
                "Read up from any share of partners (largest first) to the share of revenue "
                "they hold; the further the curve bows above the diagonal, the more a few "
                "partners carry the channel."
            )
    with right:
        marks = ui.query("tiers_velocity", **params)
        rows = tier_charts.quadrant_rows(quadrants)
        off_chart = rows.filter(pl.col("group_key") == "no_revenue")
        off = off_chart["partners"][0] if off_chart.height else 0
        if marks.height:
            event = st.plotly_chart(
                tier_charts.velocity_volume(marks, quadrants, symbol),
                key="velocity_volume",
                on_select="rerun",
                selection_mode="points",
            )
            picked = ui.selected_partner(event)
            if picked:
                ui.go_to_partner(picked)
            first = rows.row(0, named=True) if rows.height else {}
            st.caption(
                "Up and right is better: dashed lines are the medians of the partners on the "
                f"chart ({first.get('median_won_deals') or 0:,.0f} won deals, "
                f"{money(first.get('median_revenue'), symbol)}). "
                + (
                    f"{off:,} partners with no won deal or no won revenue in the window cannot "
                    "sit on the log axes and are counted below, not drawn. "
                    if off
                    else ""
                )
                + "Click a partner to open it."
            )
        else:
            st.info("No partner in scope won a deal in the trailing four quarters.")

    st.subheader("Velocity × volume quadrants")
    table = rows.select(
        "quadrant",
        "partners",
        "partner_share",
        "revenue_t4q",
        "revenue_share",
    )
    ui.table(
        table,
        filters,
        revenue_t4q=REVENUE,
        quadrant=st.column_config.TextColumn(
            "Quadrant",
            help="Velocity = won deals, volume = won revenue, both over the trailing four "
            "quarters. High = above the median of the partners on the chart (at the median "
            "counts as low).",
        ),
        partners=st.column_config.NumberColumn("Partners", format="localized"),
        partner_share=st.column_config.NumberColumn("Share of partners", format="percent"),
        revenue_share=st.column_config.NumberColumn("Share of revenue", format="percent"),
    )
    st.caption(
        "Count and revenue per quadrant: the top-right quadrant should hold most of the revenue; "
        "a crowded bottom-left is a long tail that costs attention."
    )
    ui.download_csv(
        rows.drop("flagged", "dimension"), f"quadrants_{filters.as_of}.csv", key="quadrants_csv"
    )


# --- Tab 3: resources and segments ------------------------------------------------------------
def resources_tab() -> None:
    fresh = ui.query("data_freshness").row(0, named=True)
    has_investments = "investments" in (fresh["files_present"] or [])
    st.subheader("Resources against revenue")
    if not has_investments:
        st.info(
            "No investments were loaded (the optional investments file is missing or empty), "
            "so there is nothing to set against revenue. Add `investments.csv` (partner_id, "
            "fiscal_quarter, program, amount) to the import folder and load it again.",
            icon=":material/info:",
        )
    quadrants = (
        ui.query("tiers_quadrants", limit=FLAGGED_ROWS, **params) if has_investments else None
    )
    if quadrants is not None and not quadrants["investment_t4q"].sum():
        st.info(
            "None of these partners received investment in the trailing four quarters "
            f"to {filters.as_of}."
        )
    elif quadrants is not None:
        left, right = st.columns(2)
        with left:
            st.plotly_chart(
                tier_charts.share_comparison(
                    quadrants, "earned_tier", "Revenue and investment per earned tier"
                ),
                key="resources_tier",
            )
            st.caption(
                "Where the orange bar outruns the blue one, a tier gets more of the investment "
                "than it brings in revenue."
            )
        with right:
            st.plotly_chart(
                tier_charts.share_comparison(
                    quadrants, "quadrant", "Revenue and investment per velocity × volume quadrant"
                ),
                key="resources_quadrant",
            )
            st.caption(
                "Investment should follow the high-velocity, high-volume partners; a long "
                "orange bar in a low quadrant is money that does not come back as revenue."
            )
        left, right = st.columns(2)
        with left:
            programs = ui.query("tiers_program_roi", **params)
            st.plotly_chart(tier_charts.program_roi(programs, symbol), key="program_roi")
            st.caption(
                "Each program's funded partners' revenue per unit it invested in them, over the "
                "same four quarters; a partner funded by two programs counts in both."
            )
            ui.download_csv(programs, f"programs_{filters.as_of}.csv", key="programs_csv")
        with right:
            flagged = tier_charts.flagged_partners(quadrants).head(FLAGGED_ROWS)
            lines = quadrants.row(0, named=True)
            count = lines["flagged_total"]
            st.markdown(
                f"**Significant investment, low velocity and low volume** · {count:,} partners"
            )
            st.caption(
                f"Partners that got at least {money(lines['significant_investment'], symbol)} "
                "(the median investment of the partners in scope that got any) in the trailing "
                "four quarters, yet sit in the low-velocity / low-volume quadrant or won nothing."
            )
            if flagged.height == 0:
                st.success("No partner with significant investment sits in the low quadrant.")
            else:
                ui.table(
                    ui.with_partner_links(flagged),
                    filters,
                    [
                        "partner_link",
                        "partner_name",
                        "investment_t4q",
                        "revenue_t4q",
                        "won_deals_t4q",
                        "earned_tier",
                        "quadrant",
                        "segment",
                        "partner_manager",
                    ],
                    partner_link="Partner ID",
                    revenue_t4q=REVENUE,
                    earned_tier={"width": None},
                    quadrant="Quadrant",
                    segment={"width": None},
                )
                everything = count <= flagged.height
                if not everything:
                    st.caption(f"Showing the {flagged.height:,} largest investments of {count:,}.")
                ui.download_csv(
                    flagged
                    if everything
                    else lambda: tier_charts.flagged_partners(
                        run("tiers_quadrants", limit=None, **params)
                    ),
                    f"flagged_{filters.as_of}.csv",
                    key="flagged_csv",
                    total=None if everything else count,
                )

    st.subheader("Segments side by side")
    segments = ui.query("tiers_segments", **params)
    hidden = set() if has_investments else {"investment_per_partner", "revenue_per_invested"}
    if not page.require_targets("the Attainment column"):
        hidden.add("attainment")
    ui.table(
        segments,
        filters,
        [
            c
            for c in (
                "segment",
                "partners",
                "revenue_t4q",
                "avg_deal_size",
                "deals_per_partner",
                "cycle_days_median",
                "attainment",
                "investment_per_partner",
                "revenue_per_invested",
            )
            if c not in hidden
        ],
        segment={"width": None},
        partners=st.column_config.NumberColumn("Partners", format="localized"),
        revenue_t4q=REVENUE,
        avg_deal_size=st.column_config.NumberColumn(
            f"Avg deal ({symbol})",
            help="Won revenue ÷ won deals, trailing four quarters",
            format="compact",
        ),
        deals_per_partner=st.column_config.NumberColumn(
            "Deals per partner",
            help="Won deals in the trailing four quarters ÷ partners",
            format="%.1f",
        ),
        cycle_days_median=st.column_config.NumberColumn(
            "Cycle days",
            help="Median days from created_on to closed_on over the won deals of the "
            "trailing four quarters that have a created_on; empty when none has one",
            format="%.0f",
        ),
        attainment=st.column_config.NumberColumn(  # a segment's, not a partner's
            "Attainment",
            help=explain("attainment_asof", settings, symbol),
            format="percent",
        ),
        investment_per_partner=st.column_config.NumberColumn(
            f"Invested/partner ({symbol})",
            help="Investment in the trailing four quarters ÷ partners",
            format="compact",
        ),
        revenue_per_invested=st.column_config.NumberColumn(
            f"Revenue per {symbol}1",
            help="Won revenue ÷ investment, both over the trailing four quarters",
            format="%.1f",
        ),
    )
    st.caption(
        "One row per segment (engagement model), then all of them together: compare deal size "
        "and velocity against what each segment gets and brings back."
    )
    ui.download_csv(segments, f"segments_{filters.as_of}.csv", key="segments_csv")


# --- Tab 4: what-if floors -----------------------------------------------------------------------
def reset_floors() -> None:
    for key, setting in FLOOR_KEYS.values():
        st.session_state[key] = float(settings[setting])


def what_if_tab() -> None:
    configured = {tier: float(settings[s]) for tier, (_, s) in FLOOR_KEYS.items()}
    choices = tier_charts.floor_choices(list(configured.values()))
    st.subheader("What if the tier floors moved?")
    st.caption(
        "Move a floor to see at once how many partners, and how much revenue, would change "
        "tier against the configured floors. Only this browser session sees it: nothing is "
        "saved, and the settings file is untouched."
    )
    columns = st.columns(3)
    chosen = {}
    for column, (tier, (key, _)) in zip(columns, FLOOR_KEYS.items(), strict=True):
        st.session_state.setdefault(key, configured[tier])
        if st.session_state[key] not in choices:
            st.session_state[key] = configured[tier]
        chosen[tier] = column.select_slider(
            f"{tier} floor (revenue 4Q, {symbol})",
            options=choices,
            key=key,
            format_func=lambda v: money(v, symbol),
            help=f"Configured: {money(configured[tier], symbol)}",
        )
    st.button("Reset to the configured floors", on_click=reset_floors, key="tiers_floor_reset")
    if not chosen["Platinum"] >= chosen["Gold"] >= chosen["Silver"]:
        st.warning("Floors must keep Platinum ≥ Gold ≥ Silver. Move a slider to fix the order.")
        return
    what_if = ui.query(
        "tiers_what_if",
        floor_platinum=chosen["Platinum"],
        floor_gold=chosen["Gold"],
        floor_silver=chosen["Silver"],
        **params,
    )
    if what_if.height == 0:
        st.info("No partners to recount.")
        return
    totals = what_if.row(0, named=True)
    c1, c2, c3, c4 = st.columns(4)
    ui.card(
        c1,
        "Would change tier",
        f"{totals['changed_partners']:,}",
        f"of {ui.query('partner_count', **params)['partners'][0]:,} in scope",
        help="Partners whose tier under the floors above differs from the tier they earn now",
    )
    ui.card(
        c2,
        "Their revenue 4Q",
        money(totals["changed_revenue_t4q"], symbol),
        help="Trailing-four-quarter revenue of the partners whose tier would change",
    )
    ui.card(
        c3,
        "Would climb",
        f"▲ {totals['moved_up']:,}",
        help="Partners that would earn a higher tier than they earn now",
    )
    ui.card(
        c4,
        "Would drop",
        f"▼ {totals['moved_down']:,}",
        help="Partners that would earn a lower tier than they earn now",
    )
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(tier_charts.what_if_tiers(what_if), key="what_if")
        st.caption(
            "Solid bars are today's earned tiers; hatched bars are the tiers the same revenue "
            "would earn with the floors above."
        )
    with right:
        moves = what_if.filter(pl.col("tiers_moved") != 0).select(
            "earned_tier", "what_if_tier", "partners", "revenue_t4q"
        )
        if moves.height == 0:
            st.success("No partner changes tier with these floors.")
        else:
            ui.table(
                moves,
                filters,
                earned_tier={"label": "Earned now", "width": None},
                what_if_tier="Would earn",
                partners=st.column_config.NumberColumn("Partners", format="localized"),
                revenue_t4q=REVENUE,
            )
            ui.download_csv(moves, f"what_if_{filters.as_of}.csv", key="what_if_csv")


ui.lazy_tabs(
    {
        "Tiers": tiers_tab,
        "Concentration and velocity": concentration_tab,
        "Resources and segments": resources_tab,
        "What-if floors": what_if_tab,
    },
    key="tiers_view",
    on_change="rerun",
)
