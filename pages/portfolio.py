"""Portfolio: a partner manager's book, worked as a list, against the whole channel."""

import polars as pl
import streamlit as st

from channel import charts
from channel.charts import portfolio as portfolio_charts
from channel.definitions import explain
from channel.runner import run
from channel.ui import (
    currency,
    db_settings,
    download_csv,
    page_header,
    partner_columns,
    partners_match,
    query,
    with_partner_links,
)

WORKLIST_ROWS = 500

filters = page_header(
    "Partner manager portfolio",
    "A partner manager's book: how it compares with the channel, and what to work on first.",
)
symbol = currency()
settings = db_settings()
params = filters.params()

# --- The manager picker, synced with the sidebar's Partner manager filter -----------------------
options = query("filter_options", scope=filters.scope_param())
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

if not partners_match(filters):
    st.stop()

# --- 1. The book at a glance ------------------------------------------------------------------
if chosen:
    everyone = {**params, **dict.fromkeys(("segment", "region", "partner_type", "program_tier"))}
    everyone["partner_manager"] = None
    book = query("overview_kpis", **params).row(0, named=True)
    channel = query("overview_kpis", **everyone).row(0, named=True)
    versus = "channel" if filters.scope is None else "all yours"
    who = ", ".join(chosen) if len(chosen) <= 3 else f"{len(chosen)} partner managers"
    st.subheader(f"The book of {who}", anchor=False)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        "Partners",
        f"{book['partners']:,}",
        delta=f"{charts.pct(book['partners'] / channel['partners'])} of {filters.everyone}",
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
    revenue_share = book["revenue_t4q"] / channel["revenue_t4q"] if channel["revenue_t4q"] else None
    m2.metric(
        "Revenue, last 4 quarters",
        charts.money(book["revenue_t4q"], symbol),
        delta=f"{charts.pct(revenue_share)} of {filters.everyone}",
        delta_color="off",
        delta_arrow="off",
        help=explain("revenue_t4q", settings, symbol),
        border=True,
    )
    m3.metric(
        f"Attainment {filters.as_of_label}",
        charts.pct(book["attainment_asof"]),
        delta=f"{versus} {charts.pct(channel['attainment_asof'])}",
        delta_color="off",
        delta_arrow="off",
        help=explain("attainment_asof", settings, symbol),
        border=True,
    )
    flagged = book["watch"] + book["at_risk"] + book["replace_review"]
    channel_flagged = channel["watch"] + channel["at_risk"] + channel["replace_review"]
    m4.metric(
        "Partners not OK",
        f"{flagged:,}",
        delta=f"{charts.pct(flagged / book['partners'])} vs {versus} "
        f"{charts.pct(channel_flagged / channel['partners'])}",
        delta_color="off",
        delta_arrow="off",
        help=explain("status", settings, symbol),
        border=True,
    )
    book_counts = query("tier_status_counts", **params)
    channel_counts = query("tier_status_counts", **everyone)
    left, right = st.columns(2)
    with left:
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
    "a tier it does not earn, or earning one it does not hold), then the weakest alignment."
)
worklist = query("portfolio_worklist", limit=WORKLIST_ROWS, **params)
shown = with_partner_links(worklist).with_columns(
    pl.col("status").replace_strict(charts.STATUS_LABELS)
)
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_order=[
        c
        for c in shown.columns
        if c not in ("partner_id", "alignment_gap")
        and not (c == "partner_manager" and len(chosen) == 1)
        and not (c == "pace" and not filters.in_progress)
    ],
    column_config={
        **partner_columns(filters),
        "partner_manager": "Manager",
        "program_tier": "Holds",
        "earned_tier": st.column_config.TextColumn(
            "Earns", help=explain("earned_tier", settings, symbol)
        ),
        "shortfall": st.column_config.NumberColumn(
            f"Shortfall ({symbol})",
            format="compact",
            help="Target minus won revenue in the as-of quarter, when missed",
        ),
        "tier_gap": st.column_config.NumberColumn(
            "Tier gap",
            help="Tiers held above (+) or below (−) the tier earned",
            width="small",
        ),
    },
)
total = query("partner_count", **params)["partners"][0]
if total > worklist.height:
    st.caption(f"Showing the first {worklist.height:,} of {total:,} partners; the CSV has them.")
download_csv(
    lambda: run("portfolio_worklist", limit=total, **params),
    f"worklist_{filters.as_of}.csv",
    key="worklist_csv",
)

# --- 3. Manager comparison (for leadership; hidden for a single manager) ----------------------
if len(chosen) != 1:
    st.subheader("Partner managers compared", anchor=False)
    comparison = query("manager_comparison", **params)
    st.plotly_chart(portfolio_charts.manager_workload(comparison, symbol), key="workload")
    st.caption(
        "Each point is a partner manager. Far right with little height: many partners, little "
        "revenue (a high-volume, low-value book). Large points carry many flagged partners."
    )
    st.dataframe(
        comparison,
        hide_index=True,
        width="stretch",
        column_config={
            "partner_manager": "Partner manager",
            "partners": "Partners",
            "revenue_t4q": st.column_config.NumberColumn(
                f"Revenue 4Q ({symbol})", format="compact"
            ),
            "attainment": st.column_config.NumberColumn(
                f"Attainment {filters.as_of_label}", format="percent"
            ),
            "flagged": st.column_config.NumberColumn("Not OK", help="Watch, at risk or review"),
            "replace_review": "Replacement review",
            "smb": "SMB",
            "midmarket": "Midmarket",
            "enterprise": "Enterprise",
            "mixed": "Mixed",
            "main_segment": "Main segment",
        },
    )
    download_csv(comparison, f"managers_{filters.as_of}.csv", key="managers_csv")
