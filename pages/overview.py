"""Overview: the Monday-morning view for sales leadership."""

import polars as pl
import streamlit as st

from channel import charts
from channel.definitions import explain
from channel.runner import run
from channel.ui import (
    currency,
    db_settings,
    download_csv,
    go_to_partner,
    page_header,
    partner_columns,
    partners_match,
    query,
    revenue_card,
    status_cards,
    with_partner_links,
)

ATTENTION_ROWS = 15
TREND_QUARTERS = 8

filters = page_header(
    "Channel overview",
    "Revenue, attainment and the partners that need attention, for the partners in the filters.",
)
if not partners_match(filters):
    st.stop()

params = filters.params()
symbol = currency()
settings = db_settings()
kpis = query("overview_kpis", **params).row(0, named=True)
concentration = query("tiers_concentration", **params).filter(pl.col("period") == "current")
top20_share = concentration["top20_share"][0] if concentration.height else None

# --- KPI cards ---------------------------------------------------------------------------------
trend = query("revenue_by_quarter", quarters=TREND_QUARTERS, **params)
c1, c2, c3, c4 = st.columns(4)
revenue_card(c1, kpis["revenue_t4q"], kpis["revenue_prev4q"])
c2.metric(
    "Active partners",
    f"{kpis['active_partners']:,}",
    delta=f"of {kpis['partners']:,} in scope",
    delta_color="off",
    delta_arrow="off",
    help=explain("active_partners", settings, symbol),
    border=True,
)
if filters.in_progress and kpis["target_asof"]:
    attainment_delta = (
        f"pace {charts.pct(kpis['pace_asof'], 0)} · {charts.pct(kpis['share_elapsed'], 0)} elapsed"
    )
elif kpis["target_asof"]:
    attainment_delta = (
        f"{charts.money(kpis['revenue_asof'], symbol)} of "
        f"{charts.money(kpis['target_asof'], symbol)} target"
    )
else:
    attainment_delta = "no targets this quarter"
c3.metric(
    f"Attainment {filters.as_of_label}",
    charts.pct(kpis["attainment_asof"]),
    delta=attainment_delta,
    delta_color="off",
    delta_arrow="off",
    help=explain("attainment_asof", settings, symbol)
    + ("  \n" + explain("pace", settings, symbol) if filters.in_progress else ""),
    border=True,
)
c4.metric(
    "Top-20% revenue share",
    charts.pct(top20_share),
    delta="of revenue, last 4 quarters",
    delta_color="off",
    delta_arrow="off",
    help=explain("top20_share", settings, symbol),
    border=True,
)

status_cards(st.columns(3), kpis, of="partners in scope")

# --- Charts ------------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    if trend.height:
        st.plotly_chart(charts.revenue_vs_target(trend, symbol), key="revenue_vs_target")
    else:
        st.info("No quarters with data up to this as-of quarter.")
mix = query("revenue_by_segment_tier", **params)
with right:
    st.plotly_chart(charts.revenue_by_segment_tier(mix, symbol), key="segment_tier")

# --- Attention list ----------------------------------------------------------------------------
st.subheader("Partners that most need attention")
st.caption(
    "Not OK as of the as-of quarter: replacement review first, then at risk, then watch; "
    "within each, the largest trailing-four-quarter revenue first. Select a row, or click an "
    "ID, to open the partner. " + explain("status", settings, symbol).split("  \n")[0]
)
attention = query("attention_list", limit=ATTENTION_ROWS, **params)
if attention.height == 0:
    st.success("Every partner in scope is OK as of this quarter.")
else:
    shown = with_partner_links(attention).with_columns(
        pl.col("status").replace_strict(charts.STATUS_LABELS).alias("status")
    )
    picked = st.dataframe(
        shown,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="attention_table",
        column_order=[c for c in shown.columns if c not in ("partner_id", "segment")],
        width="stretch",
        column_config=partner_columns(filters),
    )
    if picked.selection.rows:  # a selected row opens that partner's page
        go_to_partner(attention["partner_id"][picked.selection.rows[0]])
    total = kpis["watch"] + kpis["at_risk"] + kpis["replace_review"]
    st.caption(f"Showing {attention.height:,} of {total:,} partners that are not OK.")
    download_csv(attention, f"attention_{filters.as_of}.csv", key="attention_csv")

st.caption(
    f"The full partner scorecard for these filters ({kpis['partners']:,} partners) is the same "
    "table that `python -m channel export scorecard` writes."
)
download_csv(
    lambda: run("scorecard", **params),
    f"scorecard_{filters.as_of}.csv",
    key="scorecard_csv",
    label="Download the full scorecard (CSV)",
)
