"""Overview: the Monday-morning view for sales leadership."""

import polars as pl
import streamlit as st

from channel import charts, ui
from channel.definitions import explain
from channel.runner import run

ATTENTION_ROWS = 15
TREND_QUARTERS = 8

page = ui.open_page(
    "Channel overview",
    "Revenue, attainment and the partners that need attention, for the partners in the filters.",
)
filters, params, symbol, settings = page.filters, page.params, page.symbol, page.settings
kpis = ui.query("overview_kpis", **params).row(0, named=True)
concentration = ui.query("tiers_concentration", **params).filter(pl.col("period") == "current")
top20_share = concentration["top20_share"][0] if concentration.height else None

# --- KPI cards ---------------------------------------------------------------------------------
trend = ui.query("revenue_by_quarter", quarters=TREND_QUARTERS, **params)
c1, c2, c3, c4 = st.columns(4)
ui.revenue_card(c1, kpis["revenue_t4q"], kpis["revenue_prev4q"])
ui.card(
    c2,
    "Active partners",
    f"{kpis['active_partners']:,}",
    f"of {kpis['partners']:,} in scope",
    help=explain("active_partners", settings, symbol),
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
elif page.has_targets:
    attainment_delta = "no targets this quarter"
else:
    attainment_delta = "no targets loaded"
ui.card(
    c3,
    f"Attainment {filters.as_of_label}",
    charts.pct(kpis["attainment_asof"]),
    attainment_delta,
    help=explain("attainment_asof", settings, symbol)
    + ("  \n" + explain("pace", settings, symbol) if filters.in_progress else ""),
)
ui.card(
    c4,
    "Top-20% revenue share",
    charts.pct(top20_share),
    "of revenue, last 4 quarters",
    help=explain("top20_share", settings, symbol),
)

if page.require_targets():  # statuses come from missed quarters
    ui.status_cards(st.columns(3), kpis, of="partners in scope")

# --- Charts ------------------------------------------------------------------------------------
left, right = st.columns(2)
with left:
    if trend.height:
        st.plotly_chart(charts.revenue_vs_target(trend, symbol), key="revenue_vs_target")
        page.require_targets("the target line")
    else:
        st.info("No quarters with data up to this as-of quarter.")
mix = ui.query("revenue_by_segment_tier", **params)
with right:
    st.plotly_chart(charts.revenue_by_segment_tier(mix, symbol), key="segment_tier")

# --- Attention list ----------------------------------------------------------------------------
st.subheader("Partners that most need attention")
if page.require_targets("the partners that need attention (statuses come from missed quarters)"):
    st.caption(
        "Not OK as of the as-of quarter: replacement review first, then at risk, then watch; "
        "within each, the largest trailing-four-quarter revenue first. Select a row, or click an "
        "ID, to open the partner. " + explain("status", settings, symbol).split("  \n")[0]
    )
    attention = ui.query("attention_list", limit=ATTENTION_ROWS, **params)
    if attention.height == 0:
        st.success("Every partner in scope is OK as of this quarter.")
    else:
        shown = ui.with_labels(ui.with_partner_links(attention))
        picked = ui.table(
            shown,
            filters,
            [c for c in shown.columns if c not in ("partner_id", "segment")],
            key="attention_table",
            on_select="rerun",
            selection_mode="single-row",
        )
        if picked.selection.rows:  # a selected row opens that partner's page
            ui.go_to_partner(attention["partner_id"][picked.selection.rows[0]])
        total = kpis["watch"] + kpis["at_risk"] + kpis["replace_review"]
        st.caption(f"Showing {attention.height:,} of {total:,} partners that are not OK.")
        ui.download_csv(attention, f"attention_{filters.as_of}.csv", key="attention_csv")

st.caption(
    f"The full partner scorecard for these filters ({kpis['partners']:,} partners) is the same "
    "table that `python -m channel export scorecard` writes."
)
ui.download_csv(
    lambda: run("scorecard", **params),
    f"scorecard_{filters.as_of}.csv",
    key="scorecard_csv",
    label="Download the full scorecard (CSV)",
)
