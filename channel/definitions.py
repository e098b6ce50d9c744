"""What each number means, in words, for the help tooltips next to it.

The numbers themselves are defined once, in SQL under ``queries/``; this text explains each
definition and names the file that holds it (the help ends "Defined in queries/<file>.sql.").
``tests/test_docs.py`` checks that every named file exists and defines the column (or macro) of
that name.
"""

from __future__ import annotations

from channel.settings import DEFAULTS

DEFINITIONS: dict[str, tuple[str, str]] = {
    # column name: (text, the file under queries/ that defines it, without .sql)
    "revenue_t4q": (
        "Sum of won deal amounts closed in the as-of fiscal quarter and the three before it. "
        "Lost and open deals never count. The change compares with the four quarters before.",
        "build/40_partner_quarter",
    ),
    "active_partners": (
        "Partners that pass the filters and closed at least one won deal in the trailing four "
        "quarters, out of all partners that pass the filters.",
        "overview_kpis",
    ),
    "attainment_asof": (
        "Won revenue in the as-of quarter divided by target, over partners with a target above "
        "zero in that quarter. Exactly at target is 100% (a hit). For a quarter in progress it "
        "is to date: revenue so far against the whole quarter's target.",
        "overview_kpis",
    ),
    "pace": (
        "For a quarter in progress: attainment to date divided by the share of the quarter "
        "elapsed on the data's date. 100% means on course for the target if the rest of the "
        "quarter goes as it has so far; deals often close late in a quarter, so early pace "
        "runs low.",
        "build/40_partner_quarter",
    ),
    "quarter_state": (
        "Relative to the data's date, a fiscal quarter is complete (it ended on or before that "
        "date), in progress (it contains it) or planned (it starts after it). Only complete "
        "quarters are hit or missed; a quarter in progress shows revenue and attainment to "
        "date, and a planned quarter only its target (the plan).",
        "build/20_quarters",
    ),
    "status": (
        "Replacement review: missed {replace_review_missed} or more of the last 8 quarters. "
        "At risk: {at_risk_streak}+ missed quarters in a row. Watch: {watch_streak} in a row. "
        "A quarter is missed when attainment is below {miss_below_pct}; quarters without a "
        "target are skipped, and only complete quarters count: a quarter in progress is never "
        "missed.",
        "build/40_partner_quarter",
    ),
    "top20_share": (
        "Share of trailing-four-quarter revenue held by the top 20% of partners (ranked by "
        "that revenue). Above 80% means a few partners carry the channel.",
        "tiers_concentration",
    ),
    "earned_tier": (
        "The tier a partner's trailing-four-quarter won revenue earns: Platinum from "
        "{platinum}, Gold from {gold}, Silver from {silver}, otherwise Registered.",
        "build/07_earned_tier",
    ),
}


def explain(key: str, settings: dict | None = None, symbol: str = "$") -> str:
    """The definition text for ``key`` with the database's settings filled in."""
    text, query = DEFINITIONS[key]
    s = DEFAULTS.as_params() | (settings or {})  # the defaults are written once, in Settings
    values = {
        "replace_review_missed": s["replace_review_missed"],
        "at_risk_streak": s["at_risk_streak"],
        "watch_streak": s["watch_streak"],
        "miss_below_pct": f"{s['miss_below'] * 100:g}% of target",
        "platinum": f"{symbol}{s['tier_floor_platinum']:,.0f}",
        "gold": f"{symbol}{s['tier_floor_gold']:,.0f}",
        "silver": f"{symbol}{s['tier_floor_silver']:,.0f}",
    }
    return text.format(**values) + f"  \nDefined in queries/{query}.sql."
