"""Portfolio: a partner manager's book, worked as a list, against the whole channel."""

import polars as pl
import streamlit as st

from channel import charts, ui
from channel.charts import portfolio as portfolio_charts
from channel.definitions import explain
from channel.filters import no_filters
from channel.runner import run

WORKLIST_ROWS = 500

page = ui.open_page(
    "Partner manager portfolio",
    "A partner manager's book: how it compares with the channel, and what to work on first.",
    require_partners=False,  # the manager picker comes first
)
filters, params, symbol, settings = page.filters, page.params, page.symbol, page.settings

# --- The manager picker, synced with the sidebar's Partner manager filter -----------------------
options = ui.query("filter_options", scope=filters.scope_param())
managers = options.filter(pl.col("filter") == "partner_manager")["value"].to_list()
st.session_state["portfolio_managers"] = list(filters.choices["partner_manager"])


def _sync_to_sidebar() -> None:
    # runs before the next script run, so the sidebar widget (and the URL) take the new value
    st.session_state["partner_manager"] = st.session_state["portfolio_managers"]


st.multiselect(
    "Partner managers",
    managers,
    key="portfolio_managers",
    on_change=_sync_to_sidebar,
    placeholder="Choose one or more partner managers",
    help="The same selection as the Partner manager filter in the sidebar, and in the link.",
)
chosen = filters.choices["partner_manager"]

page.require_partners()

# --- 1. The book at a glance ------------------------------------------------------------------
if chosen:
    everyone = {**params, **no_filters(filters.scope_param())}
    book = ui.query("overview_kpis", **params).row(0, named=True)
    channel = ui.query("overview_kpis", **everyone).row(0, named=True)
    versus = "channel" if filters.scope is None else "all yours"
    who = ", ".join(chosen) if len(chosen) <= 3 else f"{len(chosen)} partner managers"
    st.subheader(f"The book of {who}", anchor=False)
    m1, m2, m3, m4 = st.columns(4)
    ui.card(
        m1,
        "Partners",
        f"{book['partners']:,}",
        f"{charts.pct(book['partners'] / channel['partners'])} of {filters.everyone}",
    )
    revenue_share = book["revenue_t4q"] / channel["revenue_t4q"] if channel["revenue_t4q"] else None
    ui.card(
        m2,
        "Revenue, last 4 quarters",
        charts.money(book["revenue_t4q"], symbol),
        f"{charts.pct(revenue_share)} of {filters.everyone}",
        help=explain("revenue_t4q", settings, symbol),
    )
    ui.card(
        m3,
        f"Attainment {filters.as_of_label}",
        charts.pct(book["attainment_asof"]),
        f"{versus} {charts.pct(channel['attainment_asof'])}"
        if page.has_targets
        else "no targets loaded",
        help=explain("attainment_asof", settings, symbol),
    )
    flagged = book["watch"] + book["at_risk"] + book["replace_review"]
    channel_flagged = channel["watch"] + channel["at_risk"] + channel["replace_review"]
    ui.card(
        m4,
        "Partners not OK",
        f"{flagged:,}" if page.has_targets else "–",
        f"{charts.pct(flagged / book['partners'])} vs {versus} "
        f"{charts.pct(channel_flagged / channel['partners'])}"
        if page.has_targets
        else "no targets loaded",
        help=explain("status", settings, symbol),
    )
    book_counts = ui.query("tier_status_counts", **params)
    channel_counts = ui.query("tier_status_counts", **everyone)
    left, right = st.columns(2)
    with left:
        if page.require_targets("the partners by status"):
            st.plotly_chart(
                portfolio_charts.book_against_channel(
                    book_counts, channel_counts, "status", filters.everyone
                ),
                key="book_status",
            )
            st.caption("Bars above the diamonds: more of this book is in that status than usual.")
    with right:
        st.plotly_chart(
            portfolio_charts.book_against_channel(
                book_counts, channel_counts, "earned_tier", filters.everyone
            ),
            key="book_tiers",
        )
        st.caption(f"The tier mix this book earns, against the mix of {filters.everyone}.")
else:
    st.info(
        f"Choose a partner manager above (or in the sidebar) to see their book against "
        f"{filters.everyone}. Meanwhile the worklist covers every partner in the filters."
    )

# --- 2. The worklist --------------------------------------------------------------------------
st.subheader("Worklist", anchor=False)
st.caption(
    "What needs attention first: replacement review, at risk, watch, then OK; within each, the "
    "largest shortfall against this quarter's target, then the largest tier mismatch (holding "
    "a tier it does not earn, or earning one it does not hold), then the weakest alignment. "
    "*Miss risk* is the forecast's chance of missing the next quarter (sort by it with a click "
    "on its header; empty without a forecast); Missed targets, *Next quarter*, explains it."
)
worklist = ui.query("portfolio_worklist", limit=WORKLIST_ROWS, **params)
# the quarter the risk column predicts: the next one, or the as-of quarter when it is in progress
risk_model = ui.query("risk_model_status", as_of=filters.as_of)
risk_quarter = risk_model["target_quarter"][0] if risk_model.height else None
shown = ui.with_labels(ui.with_partner_links(worklist))
# measured against targets: without any, the status, streaks, attainment, pace and shortfall
TARGET_COLUMNS = (
    "status",
    "missed_streak",
    "missed_last_8",
    "attainment",
    "pace",
    "shortfall",
    "miss_risk",
)
if not page.require_targets("the status, streak, attainment and shortfall columns"):
    shown = shown.drop(TARGET_COLUMNS)
order = [
    c
    for c in shown.columns
    if c not in ("partner_id", "alignment_gap", "miss_risk")
    and not (c == "partner_manager" and len(chosen) == 1)
    and not (c == "pace" and not filters.in_progress)
]
if "miss_risk" in shown.columns:  # next to the status it looks ahead of
    order.insert(order.index("status") + 1, "miss_risk")
ui.table(
    shown,
    filters,
    order,
    partner_manager="Manager",
    program_tier={"label": "Holds", "width": None},
    earned_tier={"label": "Earns", "width": None},
    miss_risk={
        "label": f"Miss risk {risk_quarter}" if risk_quarter else "Miss risk",
        "width": None,
    },
)
total = ui.query("partner_count", **params)["partners"][0]
if total > worklist.height:
    st.caption(f"Showing the first {worklist.height:,} of {total:,} partners; the CSV has them.")
ui.download_csv(
    lambda: run("portfolio_worklist", limit=total, **params),
    f"worklist_{filters.as_of}.csv",
    key="worklist_csv",
)

# --- 3. Manager comparison (for leadership; hidden for a single manager) ----------------------
if len(chosen) != 1:
    st.subheader("Partner managers compared", anchor=False)
    comparison = ui.query("manager_comparison", **params)
    st.plotly_chart(
        portfolio_charts.manager_workload(comparison, symbol, targets=page.has_targets),
        key="workload",
    )
    st.caption(
        "Each point is a partner manager. Far right with little height: many partners, little "
        "revenue (a high-volume, low-value book)."
        + (" Large points carry many flagged partners." if page.has_targets else "")
    )
    if not page.require_targets("the attainment and not-OK columns"):
        comparison = comparison.drop("attainment", "flagged", "replace_review")
    ui.table(
        comparison,
        filters,
        partner_manager={},
        partners="Partners",
        revenue_t4q={"width": None},
        attainment=st.column_config.NumberColumn(  # a book's, not a partner's
            f"Attainment {filters.as_of_label}", format="percent"
        ),
        flagged=st.column_config.NumberColumn("Not OK", help="Watch, at risk or review"),
        replace_review="Replacement review",
        smb="SMB",
        midmarket="Midmarket",
        enterprise="Enterprise",
        mixed="Mixed",
        main_segment="Main segment",
    )
    ui.download_csv(comparison, f"managers_{filters.as_of}.csv", key="managers_csv")
