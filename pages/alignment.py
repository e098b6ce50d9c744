"""Vertical alignment: does the channel's focus match the vendor's priorities?

Composes the queries in queries/alignment_*.sql and the builders in channel.charts.alignment.
Every number respects the global filters and the as-of quarter; alignment_score is the one in
partner_quarter (queries/build/34_partner_alignment_by_year.sql).
"""

import polars as pl
import streamlit as st

from channel import charts, ui
from channel.charts import alignment as alignment_charts

SAY_DO_CHART_ROWS = 10
SAY_DO_ROW_CHOICES = (25, 100, 500)
ENABLE_ROWS = 50
UNKNOWN_NAMED = 10
UNSIZED = {  # the registry's partner columns, sized by Streamlit in this page's tables
    "partner_link": "Partner ID",
    **{
        name: {"width": None} for name in ("partner_name", "segment", "program_tier", "earned_tier")
    },
}

page = ui.open_page(
    "Vertical alignment",
    "Where the partners' vertical focus and won deals line up with the vendor's priority "
    "verticals for the as-of fiscal year, and where they do not.",
)
filters, params, symbol, settings = page.filters, page.params, page.symbol, page.settings
colors = alignment_charts.vertical_colors(ui.query("alignment_verticals")["vertical"].to_list())
summary = ui.query("alignment_summary", **params).row(0, named=True)
coverage = ui.query("alignment_coverage", **params)
fy = summary["fiscal_year"]
prior_fy = summary["prior_fiscal_year"]
priority = alignment_charts.priority_verticals(coverage)
order = coverage["vertical"].to_list()
star_note = (
    f"{alignment_charts.STAR} marks the vendor's priority verticals in FY{fy} (weight above 0)."
)

if not summary["has_priorities"]:
    st.warning(
        f"The vendor has no priority verticals for FY{fy} (no vendor_priorities rows, or only "
        "zero weights), so no partner has an alignment score this year. Focus, revenue and "
        "say-against-do below still apply; load the FY priorities to score alignment.",
        icon="⚠️",
    )

# --- Headline numbers --------------------------------------------------------------------------
score_help = (
    "alignment_score (0 to 1) = Σ over verticals of the partner's focus share × (the vertical's "
    f"FY{fy} priority weight ÷ the year's largest weight). The focus is the declared focus, or, "
    "for a partner that declares none, its won-revenue mix by vertical over the last four "
    "quarters. Defined in queries/build/34_partner_alignment_by_year.sql."
)
verdicts = coverage["verdict"].to_list()
under = [v for v, x in zip(order, verdicts, strict=True) if x == "under_covered"]
over = [v for v, x in zip(order, verdicts, strict=True) if x == "over_served"]
change = summary["change_vs_prior_pts"]
c1, c2, c3, c4, c5 = st.columns(5)
threshold = settings["alignment_gap_pts"]
n_priorities = len(priority)
c1.metric(
    "Weighted alignment",
    alignment_charts.score(summary["revenue_weighted_score"]),
    delta=None if change is None else f"{change:+.1f} pts vs FY{prior_fy}",
    delta_color="normal",
    help=score_help
    + " Weighted by each scored partner's won revenue over the last four quarters. The change "
    f"scores the same partners' focus against FY{prior_fy}'s priorities instead: above 0 means "
    "the channel's focus fits this year's priorities better than last year's, i.e. it followed "
    "the vendor's shift.",
    border=True,
)
ui.card(
    c2,
    "Median alignment",
    alignment_charts.score(summary["median_score"]),
    f"{summary['scored_partners']:,} scored",
    help=score_help
    + f" {summary['declared_partners']:,} partners are scored on their declared focus, "
    f"{summary['fallback_partners']:,} on their deal mix.",
)
ui.card(
    c3,
    "Under-covered",
    f"{len(under)}",
    f"of {n_priorities} priorities",
    help="Priority verticals whose share of the channel's declared focus or of its won revenue "
    f"falls {threshold:g} points or more below their share of the vendor's priority weight.",
)
ui.card(
    c4,
    "Non-priority effort",
    f"{len(over)}",
    "verticals",
    help="Verticals without priority this year that hold "
    f"{threshold:g}% or more of the channel's declared focus or won revenue.",
)
ui.card(
    c5,
    "Unknown alignment",
    f"{summary['unknown_partners']:,}",
    f"of {summary['partners']:,} partners",
    help="Partners with no declared focus and no won deal with a vertical in the last four "
    "quarters: they have no score, and are left out of the scores (never counted as 0).",
)
if under or over:
    st.markdown(
        (f"**Under-covered priorities:** {ui.md_escape(', '.join(under))}  \n" if under else "")
        + (f"**Effort on non-priorities:** {ui.md_escape(', '.join(over))}" if over else "")
    )

# --- Unknown alignment -------------------------------------------------------------------------
if summary["unknown_partners"]:
    unknown = ui.query("alignment_unknown", **params)
    named = unknown.head(UNKNOWN_NAMED).to_dicts()
    names = ", ".join(ui.md_escape(f"{r['partner_name']} ({r['partner_id']})") for r in named)
    more = unknown.height - UNKNOWN_NAMED
    st.info(
        f"**Unknown alignment: {unknown.height:,} partner{'s' if unknown.height != 1 else ''}** "
        "with no declared focus and no won deal with a vertical in the last four quarters, so "
        "no alignment score. They are left out of the histogram and the averages, not scored 0: "
        + names
        + (f", and {more:,} more (table below)." if more > 0 else "."),
        icon=":material/help:",
    )
    with st.expander(f"Partners of unknown alignment ({unknown.height:,})"):
        ui.table(
            ui.with_partner_links(unknown),
            filters,
            [
                "partner_link",
                "partner_name",
                "segment",
                "program_tier",
                "partner_manager",
                "revenue_t4q",
                "won_deals_t4q",
                "reason",
            ],
            key="unknown_table",
            **UNSIZED,
            revenue_t4q={"width": None},
            reason="Why no score",
        )
        ui.download_csv(unknown, f"unknown_alignment_{filters.as_of}.csv", key="unknown_csv")


# --- The five views ----------------------------------------------------------------------------
# Only the open tab runs its queries and draws its charts, so a filter change costs one view.


def show_coverage() -> None:
    """Priority against coverage, and the segment x vertical heatmap."""
    st.plotly_chart(
        alignment_charts.coverage_chart(coverage, colors, fy, symbol), key="coverage_chart"
    )
    no_vertical = summary["revenue_t4q_no_vertical"]
    left_out = (
        f" {charts.money(no_vertical, symbol)} of won revenue on deals without a vertical is "
        "left out of the revenue shares."
        if no_vertical
        else ""
    )
    st.caption(
        "Read each row left to right: the coloured bar is the vertical's share of the vendor's "
        f"FY{fy} priority weight; the diamond is the channel's share of declared focus, the dot "
        "its share of won revenue over the last four quarters. A dot or diamond well left of its "
        "bar is an under-covered priority; one to the right of a missing bar is effort on a "
        f"non-priority. {star_note}{left_out}"
    )
    with st.expander("Coverage table"):
        shown = alignment_charts.with_vertical_labels(coverage).with_columns(
            pl.col("verdict")
            .replace_strict(alignment_charts.VERDICT_LABELS, default=None)
            .alias("verdict"),
        )
        ui.table(
            shown,
            filters,
            [
                "vertical_label",
                "priority_weight",
                "priority_share",
                "focus_share",
                "revenue_t4q",
                "revenue_share",
                "focus_gap_pts",
                "revenue_gap_pts",
                "verdict",
            ],
            vertical_label="Vertical",
            priority_weight=st.column_config.NumberColumn(
                f"Weight FY{fy}", help="The vendor's priority weight", format="%g"
            ),
            priority_share=st.column_config.NumberColumn(
                "Priority share", help="Weight ÷ the year's total weight", format="percent"
            ),
            focus_share=st.column_config.NumberColumn(
                "Focus share",
                help="Sum of the partners' normalised declared focus on the vertical ÷ the "
                "partners that declare a focus",
                format="percent",
            ),
            revenue_t4q={"label": "Won revenue 4Q", "width": None},
            revenue_share=st.column_config.NumberColumn(
                "Revenue share",
                help="Won revenue in the vertical ÷ won revenue on deals with a vertical",
                format="percent",
            ),
            focus_gap_pts=st.column_config.NumberColumn(
                "Focus gap (pts)", help="Focus share − priority share", format="%+.1f"
            ),
            revenue_gap_pts=st.column_config.NumberColumn(
                "Revenue gap (pts)", help="Revenue share − priority share", format="%+.1f"
            ),
            verdict="Verdict",
            key="coverage_table",
        )
        ui.download_csv(
            coverage.drop("gap_threshold_pts"),
            f"coverage_{filters.as_of}.csv",
            key="coverage_csv",
        )

    st.subheader("Segment × vertical")
    measure = st.segmented_control(
        "Show",
        list(alignment_charts.MEASURES),
        format_func=alignment_charts.MEASURES.get,
        default="revenue",
        key="heatmap_measure",
        required=True,
    )
    by_segment = ui.query("alignment_segment_vertical", **params)
    st.plotly_chart(
        alignment_charts.segment_vertical_heatmap(
            by_segment, order, priority, colors, measure or "revenue", symbol
        ),
        key="segment_vertical_chart",
    )
    st.caption(
        "Each row is one engagement model and adds up to 100%: the darker the cell, the more of "
        "that segment's won revenue (last four quarters) or declared focus sits in the vertical. "
        "Compare the starred columns across rows to see which segment carries each priority. "
        + star_note
    )


def show_scores() -> None:
    """The alignment histogram, its median, the revenue-weighted average and its shift."""
    group_by = (
        st.segmented_control(
            "Group by",
            list(alignment_charts.GROUPS),
            format_func=alignment_charts.GROUPS.get,
            default="earned_tier",
            key="histogram_group",
            required=True,
        )
        or "earned_tier"
    )
    distribution = ui.query("alignment_distribution", group_by=group_by, **params)
    st.plotly_chart(
        alignment_charts.alignment_histogram(distribution, group_by, summary["median_score"]),
        key="alignment_histogram",
    )
    if summary["revenue_weighted_score"] is None:
        st.caption("No partner in scope has an alignment score as of this quarter.")
        return
    if change is None:
        shift = f"FY{prior_fy} has no priorities, so there is no shift to compare with."
    else:
        direction = (
            "followed" if change >= 1 else "moved against" if change <= -1 else "hardly moved with"
        )
        shift = (
            f"Scored against FY{prior_fy}'s priorities, the same partners reach "
            f"{alignment_charts.score(summary['revenue_weighted_score_prior'])}: the channel "
            f"{direction} the vendor's shift ({change:+.1f} points)."
        )
    st.caption(
        "Bars further right are partners whose focus sits in the vendor's top priorities. "
        f"Median {alignment_charts.score(summary['median_score'])} over "
        f"{summary['scored_partners']:,} scored partners; weighted by won revenue the channel "
        f"scores {alignment_charts.score(summary['revenue_weighted_score'])}. {shift}"
    )


def show_say_do() -> None:
    """Declared focus against the realised deal mix, most divergent partners first."""
    rows = st.selectbox(
        "Partners to list", SAY_DO_ROW_CHOICES, index=0, key="say_do_rows", width=200
    )
    say_do = ui.query("alignment_say_do", limit=rows, **params)
    if say_do.height == 0:
        st.info("No partner in scope both declares a focus and won a deal with a vertical.")
        return
    event = st.plotly_chart(
        alignment_charts.say_do_chart(say_do, colors, priority, SAY_DO_CHART_ROWS),
        key="say_do_chart",
        on_select="rerun",
        selection_mode="points",
    )
    if partner := ui.selected_partner(event):
        ui.go_to_partner(partner)
    compared = say_do["partners_compared"][0]
    st.caption(
        "For each partner, the top bar is what it declares, the bottom bar where its won "
        "revenue of the last four quarters went; the number after the name is the distance "
        "(half the sum of the absolute differences: 0 = the deals follow the declared focus, "
        f"1 = nothing won in a declared vertical). {compared:,} partners compared; "
        f"{say_do['declared_without_deals'][0]:,} declare a focus but won no deal with a "
        f"vertical, and {summary['fallback_partners']:,} declare none (scored on their deals, "
        "so there is nothing to compare). Click a bar to open the partner."
    )
    ui.table(
        ui.with_partner_links(
            say_do.drop("declared_mix", "deal_mix", "partners_compared", "declared_without_deals")
        ),
        filters,
        [
            "partner_link",
            "partner_name",
            "distance",
            "declared",
            "deals",
            "off_focus_revenue",
            "revenue_with_vertical",
            "segment",
            "earned_tier",
            "partner_manager",
        ],
        key="say_do_table",
        **UNSIZED,
        distance=st.column_config.ProgressColumn(
            "Distance",
            help="Half the L1 distance between declared focus and won-revenue mix, 0 to 1",
            format="%.2f",
            min_value=0.0,
            max_value=1.0,
        ),
        declared=st.column_config.TextColumn("Declares", width="medium"),
        deals=st.column_config.TextColumn("Wins (last 4 quarters)", width="medium"),
        revenue_with_vertical=st.column_config.NumberColumn(
            f"Won 4Q ({symbol})",
            help="Won revenue on deals with a vertical, last four quarters",
            format="compact",
        ),
        off_focus_revenue=st.column_config.NumberColumn(
            f"Off focus ({symbol})",
            help="Distance × won revenue: the revenue that would have to move between "
            "verticals for the deals to match the declared focus",
            format="compact",
        ),
    )
    st.caption(f"Showing the {say_do.height:,} most divergent of {compared:,} partners.")
    ui.download_csv(
        say_do.drop("declared_mix", "deal_mix"),
        f"say_against_do_{filters.as_of}.csv",
        key="say_do_csv",
    )


def pick_vertical() -> str:
    """The vertical for "Who to enable". It lives in the URL as ?vertical=<name> (shareable);
    the widget is keyed by the fiscal year so that, with no choice in the URL, it follows the top
    priority."""
    asked = st.query_params.get("vertical")
    if asked and asked not in order:
        st.warning(
            "The vertical in the link is not one this view offers; showing "
            f"{ui.md_escape(order[0])}.",
            icon="⚠️",
        )
    vertical = st.selectbox(
        "Vertical",
        order,
        index=order.index(asked) if asked in order else 0,
        format_func=lambda v: alignment_charts.vertical_label(v, v in priority, html=False),
        key=f"enable_vertical_{fy}",
        help=f"Default: the top priority of FY{fy}. {star_note}",
    )
    if vertical != order[0]:
        st.query_params["vertical"] = vertical
    elif "vertical" in st.query_params:
        del st.query_params["vertical"]
    return vertical


def show_enable() -> None:
    """Who to enable for a vertical, ranked, with tier, status and certified people."""
    if not order:
        st.info("No vertical to choose: no priorities, declared focus or won deals in scope.")
        return
    left, right = st.columns([2, 3])
    with left:
        vertical = pick_vertical()
    rank_by = (
        right.segmented_control(
            "Rank by",
            list(alignment_charts.RANKINGS),
            format_func=alignment_charts.RANKINGS.get,
            default="revenue",
            key="enable_rank",
            required=True,
        )
        or "revenue"
    )
    enable = ui.query(
        "alignment_enable", vertical=vertical, rank_by=rank_by, limit=ENABLE_ROWS, **params
    )
    if enable.height == 0:
        st.info(f"No partner in scope declares {ui.md_escape(vertical)} or won a deal in it.")
        return
    if not page.require_targets("the Status column and the status colours"):
        enable = enable.drop("status")  # every partner would read "OK": nothing can be missed
    shown = ui.with_labels(enable, signal=alignment_charts.SIGNAL_LABELS)
    ui.table(
        ui.with_partner_links(shown),
        filters,
        [
            "rank",
            "partner_link",
            "partner_name",
            "focus_share",
            "revenue_vertical_t4q",
            "vertical_share_of_deals",
            "signal",
            *(["status"] if page.has_targets else []),
            "certified_technical",
            "earned_tier",
            "segment",
            "partner_manager",
        ],
        key="enable_table",
        **UNSIZED,
        rank=st.column_config.NumberColumn("#", width=40),
        status={"help": "From the missed-targets logic (partner_quarter.status)"},
        focus_share=st.column_config.NumberColumn(
            "Focus",
            help=f"Share of the partner's declared focus on {vertical}; empty when it "
            "declares no focus at all",
            format="percent",
        ),
        revenue_vertical_t4q=st.column_config.NumberColumn(
            f"Won 4Q ({symbol})",
            help=f"Won revenue in {vertical}, last four quarters",
            format="compact",
        ),
        vertical_share_of_deals=st.column_config.NumberColumn(
            "Of its deals",
            help=f"{vertical} ÷ the partner's won revenue on deals with a vertical",
            format="percent",
        ),
        certified_technical=st.column_config.NumberColumn(
            "Certified tech.",
            help="Contacts with role Technical who are certified",
            width="small",
        ),
        signal=st.column_config.TextColumn("Signal", help=alignment_charts.SIGNAL_HELP),
    )
    st.caption(
        f"Showing {enable.height:,} of {enable['candidates'][0]:,} partners that declare "
        f"{ui.md_escape(vertical)} or won revenue in it over the last four quarters. Enable the "
        "partners that declare it without winning yet; recruit those that win without "
        "declaring it."
    )
    ui.download_csv(enable, f"enable_{vertical}_{filters.as_of}.csv", key="enable_csv")
    event = st.plotly_chart(
        alignment_charts.enable_chart(enable, vertical, vertical in priority, colors, symbol),
        key="enable_chart",
        on_select="rerun",
        selection_mode="points",
    )
    if partner := ui.selected_partner(event):
        ui.go_to_partner(partner)
    st.caption(
        "Top right: partners that say and do; bottom right: declared but not yet winning "
        "(enable them); open markers: partners that win without declaring any focus. "
        + ("Colour and marker shape are the partner's status. " if page.has_targets else "")
        + "Click a point to open the partner."
    )


def show_over_time() -> None:
    """The vendor's priorities per fiscal year next to the channel's revenue mix."""
    over_time = ui.query("alignment_priorities_over_time", **params)
    st.plotly_chart(
        alignment_charts.priorities_over_time(over_time, colors, priority, order),
        key="over_time_chart",
    )
    st.caption(
        "One panel per vertical: the solid line is the vertical's share of the vendor's "
        "priority weight in each fiscal year, the dotted line its share of the channel's won "
        "revenue that year. Lines that move together mean the channel followed the vendor's "
        "shift. * marks a fiscal year with fewer than four quarters of data up to the as-of "
        f"quarter. {star_note}"
    )


ui.lazy_tabs(
    {
        "Priority coverage": show_coverage,
        "Alignment scores": show_scores,
        "Say against do": show_say_do,
        "Who to enable": show_enable,
        "Priorities over time": show_over_time,
    },
    key="view",
    warn_unknown=True,
)
