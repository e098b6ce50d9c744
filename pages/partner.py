"""Partner: one partner company, its people, performance, focus, investment and deals."""

import polars as pl
import streamlit as st

from channel import charts, narrative, ui
from channel.charts import partner as partner_charts
from channel.definitions import explain

QUARTERS = 8

page = ui.open_page(
    "Partner",
    "One partner company: its people, performance, focus and deals.",
    require_partners=False,  # one partner, whatever the filters
)
filters, symbol, settings = page.filters, page.symbol, page.settings
scope = filters.scope_param()  # the signed-in viewer's partners only (None: all)

# --- Which partner: ?partner=<id>, or the search box -------------------------------------------
requested = st.query_params.get("partner")
search = st.text_input(
    "Find a partner by name or id",
    placeholder="e.g. Northwind or P000123",
    key="partner_search",
)
if search:
    found = ui.query("partner_search", search=search[:200], scope=scope)
    if found.height == 0:
        st.info("No partner name or id contains that text.")
    else:
        labels = {
            r["partner_id"]: ui.md_escape(
                f"{r['partner_name']} · {r['partner_id']} · {r['segment']}, {r['region']}"
            )
            for r in found.iter_rows(named=True)
        }
        picked = st.radio(
            "Matches",
            list(labels),
            format_func=labels.get,
            index=None,
            key="partner_pick",
            label_visibility="collapsed",
        )
        if picked and picked != requested:
            st.query_params["partner"] = picked
            st.rerun()

if not requested:
    st.info("Search for a partner above, or open one from any partner link in the app.")
    st.stop()

profile_frame = ui.query(
    "partner_profile", partner_id=requested[:200], as_of=filters.as_of, scope=scope
)
if profile_frame.height == 0:
    st.warning(
        "No such partner in this database. Search for one above."
        if scope is None
        else "No such partner among the partners you can see. Search for one above.",
        icon=":material/person_search:",
    )
    st.stop()
profile = profile_frame.row(0, named=True)
pid = profile["partner_id"]

# --- 1. Profile -------------------------------------------------------------------------------
st.header(ui.md_escape(profile["partner_name"]), anchor=False)
st.caption(
    " · ".join(
        ui.md_escape(v)
        for v in (
            pid,
            profile["segment"],
            profile["region"],
            profile["partner_type"] or "type not given",
            f"managed by {profile['partner_manager'] or 'nobody'}",
            f"joined {profile['joined_on'] or 'date unknown'}",
        )
    )
)
# without targets nothing is missed, so the status ("OK") would say nothing: leave it out
status_text = (
    narrative.status_sentence(profile, settings)
    if page.has_targets
    else "No targets were loaded, so there is no status: nothing can be hit or missed."
)
status_label = charts.STATUS_LABELS[profile["status"]] if page.has_targets else "No status"
tier_text = narrative.tier_sentence(profile["program_tier"], profile["earned_tier"])
badge = {"ok": "green", "watch": "orange", "at_risk": "orange", "replace_review": "red"}
st.markdown(
    f":{badge[profile['status']] if page.has_targets else 'gray'}-badge[{status_label}] "
    f":gray-badge[Holds {profile['program_tier'] or 'no tier'}] "
    f":gray-badge[Earns {profile['earned_tier']}]"
)
if page.has_targets:
    st.markdown(f"**Status.** {ui.md_escape(status_text)}  \n**Tier.** {ui.md_escape(tier_text)}")
else:
    st.markdown(f"**Tier.** {ui.md_escape(tier_text)}")
    page.require_targets()
k1, k2, k3, k4 = st.columns(4)
ui.revenue_card(k1, profile["revenue_t4q"], profile["revenue_prev4q"])
if not page.has_targets:
    attainment_delta = "no targets loaded"
elif profile["attainment"] is None:
    attainment_delta = "no target this quarter"
elif filters.in_progress:
    attainment_delta = (
        f"{charts.money(profile['revenue'], symbol)} of "
        f"{charts.money(profile['target_amount'], symbol)} · pace {charts.pct(profile['pace'], 0)}"
    )
else:
    attainment_delta = (
        f"{charts.money(profile['revenue'], symbol)} of "
        f"{charts.money(profile['target_amount'], symbol)}"
    )
ui.card(
    k2,
    f"Attainment {filters.as_of_label}",
    charts.pct(profile["attainment"]),
    attainment_delta,
    help=explain("pace", settings, symbol) if filters.in_progress else None,
)
ui.card(
    k3,
    "Missed in a row / of last 8",
    f"{profile['missed_streak']} / {profile['missed_last_8']}" if page.has_targets else "–",
    None if page.has_targets else "no targets loaded",
    help=explain("status", settings, symbol),
)
alignment_text = "–" if profile["alignment_score"] is None else f"{profile['alignment_score']:.2f}"
score = ui.COLUMNS["alignment_score"]
ui.card(k4, score.label, alignment_text, help=score.help)

# --- The miss forecast: the chance of missing the next quarter to end, and why ----------------
risk_text = None  # the card's sentence, also for the QBR one-pager
if page.has_targets:
    risk_model = ui.query("risk_model_status", as_of=filters.as_of)
    forecast = ui.query("risk_partner", partner_id=pid, as_of=filters.as_of, scope=scope)
    risk_quarter = risk_model["target_quarter"][0] if risk_model.height else None
    with st.container(border=True, key="risk_card"):
        r1, r2 = st.columns([1, 3])
        if forecast.height:
            risk = forecast.row(0, named=True)
            ends = (
                f"chance that {risk['target_quarter']} ends missed"
                if risk["kind"] == "nowcast"
                else f"chance of missing {risk['target_quarter']}"
            )
            drivers = [
                ("▲ " if risk[f"effect_{i}"] > 0 else "▼ ") + risk[f"driver_{i}"]
                for i in (1, 2, 3)
                if risk[f"driver_{i}"]
            ]
            risk_text = f"{charts.pct(risk['miss_risk'], 0)} {ends}; drivers: " + ", ".join(
                risk[f"driver_{i}"] for i in (1, 2, 3) if risk[f"driver_{i}"]
            )
            ui.card(
                r1,
                f"Miss risk {risk['target_quarter']}",
                charts.pct(risk["miss_risk"], 0),
                f"{charts.money(risk['revenue_at_stake'], symbol)} of "
                f"{charts.money(risk['target_amount'], symbol)} target at stake",
                help=ui.COLUMNS["miss_risk"].help,
            )
            r2.markdown(
                f"**{charts.pct(risk['miss_risk'], 0)} {ends}.** Drivers, largest first "
                "(▲ raises the risk, ▼ lowers it):  \n"
                + "  \n".join(ui.md_escape(d) for d in drivers)
            )
        else:
            note = risk_model["note"][0] if risk_model.height else None
            r1.metric(f"Miss risk {risk_quarter or ''}".strip(), "–", border=True)
            r2.markdown(
                "**No forecast for this partner.** "
                + ui.md_escape(
                    note
                    or (
                        f"It has no target in {risk_quarter}, so there is nothing to miss."
                        if risk_quarter
                        else "There is no quarter to predict."
                    )
                )
            )
        r2.caption(
            "A probability learned from past quarters, not a verdict; the status above stays "
            "as the rules define it. Drivers are the model's largest contributions against the "
            "average partner, not causes. How it is computed: README, *Miss forecast*."
        )
        r2.page_link(
            "pages/missed_targets.py",
            label="The forecast for every partner, and how well it held",
            icon=":material/query_stats:",
            query_params={  # the as-of quarter as the sidebar's picker writes it in a link
                "missed_view": "Next quarter",
                "as_of": f"{filters.as_of} (in progress)" if filters.in_progress else filters.as_of,
            },
        )

# --- 2. People --------------------------------------------------------------------------------
st.subheader("People", anchor=False)
contacts = ui.query("partner_contacts", partner_id=pid, scope=scope)
people = contacts.with_columns(pl.col("names").list.join(", "))
people_left, people_right = st.columns([3, 2])
with people_left:
    st.dataframe(
        people,
        hide_index=True,
        width="stretch",
        column_config={
            "role": "Role",
            "contacts": st.column_config.NumberColumn("Contacts", width="small"),
            "certified": st.column_config.NumberColumn("Certified", width="small"),
            "names": "Names",
        },
    )
    ui.download_csv(people, f"contacts_{pid}.csv", key="contacts_csv")
with people_right:
    gaps = narrative.people_gaps(contacts)
    if gaps:
        st.markdown("**Gaps worth acting on**\n" + "\n".join(f"- {ui.md_escape(g)}" for g in gaps))
    else:
        st.success(
            "Sales, technical and executive contacts on file, with certified technical staff."
        )

# --- 3. Performance ---------------------------------------------------------------------------
st.subheader("Performance", anchor=False)
quarters = ui.query(
    "partner_quarters", partner_id=pid, as_of=filters.as_of, quarters=QUARTERS, scope=scope
)
perf_left, perf_right = st.columns([3, 2])
performance_fig = partner_charts.quarter_performance(quarters, symbol)
with perf_left:
    st.plotly_chart(performance_fig, key="performance")
    st.caption(
        "Green bars hit target, red bars missed it, grey bars had no target (neither hit nor "
        "missed). The dashes are the target. A hatched bar is the quarter in progress, to date: "
        "it is not over, so it is neither hit nor missed."
        if page.has_targets
        else "Won revenue per quarter. No targets were loaded, so every bar is grey: no "
        "quarter was hit or missed. A hatched bar is the quarter in progress, to date."
    )
with perf_right:
    st.plotly_chart(partner_charts.won_deals(quarters), key="deals_per_quarter")
    st.caption("Deal count per quarter by outcome; only won deals are revenue.")
bench = ui.query("partner_benchmarks", partner_id=pid, as_of=filters.as_of, scope=scope).row(
    0, named=True
)
b1, b2 = st.columns(2)
size, seg_size = bench["avg_deal_size"], bench["segment_median_deal_size"]
ui.card(
    b1,
    "Average won deal, last 4 quarters",
    charts.money(size, symbol),
    f"segment median {charts.money(seg_size, symbol)}" if seg_size else None,
    help=f"Won revenue / won deals. The median is over the {bench['segment_partners']:,} "
    f"{profile['segment']} partners with won deals in the same quarters.",
)
cycle, seg_cycle = bench["cycle_days_median"], bench["segment_cycle_days_median"]
ui.card(
    b2,
    "Median sales cycle, last 4 quarters",
    "–" if cycle is None else f"{cycle:,.0f} days",
    None if seg_cycle is None else f"segment median {seg_cycle:,.0f} days",
    help="Days from created_on to closed_on over won deals that have both dates.",
)

# --- 4. Focus ---------------------------------------------------------------------------------
st.subheader("Focus", anchor=False)
focus = ui.query("partner_focus", partner_id=pid, as_of=filters.as_of, scope=scope)
if focus.height == 0:
    st.info("No declared focus, no won deals with a vertical, and no vendor priorities this year.")
    focus_fig = None
else:
    focus_fig = partner_charts.focus_comparison(focus)
    st.plotly_chart(focus_fig, key="focus")
    st.caption(
        "Where the partner says it focuses, where its won revenue actually came from, and what "
        "the vendor prioritises this fiscal year. Long gold bars with short blue ones are "
        "priorities this partner does not sell into."
    )

# --- 5. Investment ----------------------------------------------------------------------------
st.subheader("Investment", anchor=False)
invest = ui.query("partner_investments", partner_id=pid, as_of=filters.as_of, scope=scope)
returns = ui.query("partner_investment_return", partner_id=pid, as_of=filters.as_of, scope=scope)
if invest.height == 0:
    st.info("No investment recorded for this partner in the last 8 quarters.")
else:
    inv_left, inv_right = st.columns([3, 2])
    with inv_left:
        st.plotly_chart(partner_charts.investments_by_program(invest, symbol), key="investments")
        st.caption("Resources spent on this partner per quarter, by program.")
    with inv_right:
        ui.table(
            returns,
            filters,
            peer_group="Compared with",
            partners=st.column_config.NumberColumn("Partners", width="small"),
            revenue_t4q={"width": None},
            invested_t4q=st.column_config.NumberColumn(f"Invested 4Q ({symbol})", format="compact"),
            revenue_per_invested=st.column_config.NumberColumn(
                "Revenue per unit invested",
                format="%.1f",
                help="Won revenue over the last 4 quarters / investment in the same quarters",
            ),
        )
        ui.download_csv(returns, f"investment_return_{pid}.csv", key="returns_csv")

# --- 6. Deals ---------------------------------------------------------------------------------
st.subheader("Deals", anchor=False)
deals = ui.query("partner_deals", partner_id=pid, scope=scope)
if deals.height == 0:
    st.info("No deals on file for this partner.")
else:
    st.dataframe(
        deals,
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * deals.height),
        column_config={
            "deal_id": "Deal",
            "fiscal_quarter": "Quarter",
            "closed_on": st.column_config.DateColumn("Closed"),
            "created_on": st.column_config.DateColumn("Created"),
            "status": "Status",
            "vertical": "Vertical",
            "amount": st.column_config.NumberColumn(f"Amount ({symbol})", format="localized"),
            "cycle_days": st.column_config.NumberColumn("Cycle (days)"),
        },
    )
    st.caption(f"{deals.height:,} deals, newest first; click a column header to sort.")
    ui.download_csv(deals, f"deals_{pid}.csv", key="deals_csv")

# --- 7. QBR one-pager -------------------------------------------------------------------------
facts = [
    ("Segment / region", f"{profile['segment']} / {profile['region']}"),
    ("Partner manager", profile["partner_manager"] or "–"),
    ("Program tier / earned tier", f"{profile['program_tier'] or '–'} / {profile['earned_tier']}"),
    ("Status", status_label),
    ("Revenue, last 4 quarters", charts.money(profile["revenue_t4q"], symbol)),
    (
        f"Attainment {filters.as_of_label}",
        charts.pct(profile["attainment"]) if page.has_targets else "– (no targets loaded)",
    ),
    ("Alignment score", alignment_text),
]
if risk_text:
    facts.append(("Miss forecast", risk_text))
if page.has_targets and page.targets_derived:  # as the page header says
    facts.append(("Targets", f"derived, not a plan: {page.targets_derived}"))


def one_pager() -> bytes:
    """The QBR one-pager, built only when the button is clicked (it inlines plotly.js)."""
    return narrative.qbr_html(
        profile,
        facts,
        [status_text, tier_text, *narrative.people_gaps(contacts)],
        [f for f in (performance_fig, focus_fig) if f is not None],
        [("People", people), ("Recent deals", deals.head(25))],
    ).encode("utf-8")


st.download_button(
    "Download the QBR one-pager (HTML)",
    one_pager,
    file_name=f"qbr_{pid}_{profile['as_of']}.html",
    mime="text/html",
    icon=":material/summarize:",
    key="qbr",
    on_click="ignore",
    help="A self-contained page with this partner's facts and charts; opens offline.",
)
