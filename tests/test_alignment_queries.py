"""Vertical alignment: the queries on the tiny hand-built dataset (the chart builders are in
tests/test_alignment_charts.py, the page in tests/test_alignment_page.py).

Every expected number below was worked out by hand from tests/data/tiny/*.csv and EXPECTED.md
(the arithmetic is in the comments), never by running the SQL.

Priority weights (vendor_priorities.csv; `manufacturing` is stored in the lower-case spelling
the vendor file uses, the first spelling found):
    FY2024: Healthcare 4, Finance 2, Retail 1          (sum 7, max 4)
    FY2025: Finance 4, Retail 2, manufacturing 1, Healthcare 0   (sum 7, max 4)
so priority_share = w / 7 (4/7 = 57.142857%, 2/7 = 28.571429%, 1/7 = 14.285714%) and
weight_rel = w / 4.

Declared focus (normalised, 7 partners declare): P01 Fin .6 Ret .4 · P02 Hc .75 Fin .25 ·
P04 Ret .5 Mfg .5 · P05 Mfg .5 Edu .5 · P06 Ret 1 · P07 Fin .5 Hc .25 Ret .25 ·
P09 Edu .5 Fin .5. P03 and P10 declare nothing (fall back to their deal mix), P08 neither
declares nor won a deal in 2025 (unknown alignment at 2025-Q4); P10 won nothing in 2024
(unknown at 2024-Q4).
Sum of focus per vertical: Fin .6+.25+.5+.5 = 1.85 · Ret .4+.5+1+.25 = 2.15 · Hc .75+.25 = 1 ·
Mfg .5+.5 = 1 · Edu .5+.5 = 1 (total 7 = the 7 declaring partners).

Won revenue 2025-Q1..Q4 by partner and vertical (k = thousand):
    P01 Fin 50+50+60 = 160, Ret 50+40 = 90 · P02 Fin 250+250+200+100 = 800, Hc 200 ·
    P03 Fin 3000, Ret 1500, Mfg 1500 (+500 without a vertical) · P04 Ret 100+50 = 150,
    Mfg 120+80 = 200 · P05 Mfg 150+30 = 180, Edu 50 · P06 Ret 270 · P07 Fin 50+150+50 = 250,
    Ret 50 · P09 Fin 100+80 = 180, Edu 80+60 = 140 · P10 Ret 300, Hc 100.
    Totals: Fin 4390, Ret 2360, Mfg 1880, Hc 300, Edu 190 = 9120 (+500 no vertical = 9620).
Won revenue 2024-Q1..Q4: P01 Fin 100, Ret 100 · P02 Hc 1000 · P03 Hc 4000 · P04 Ret 400 ·
    P05 Mfg 450, Edu 300 · P06 Ret 220 · P07 Fin 200, Hc 100 · P08 Hc 80, Fin 20.
    Totals: Hc 5180, Fin 320, Ret 720, Mfg 450, Edu 300 = 6970.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from channel.runner import run
from tests.helpers import NO_FILTERS, write_folder

MFG = "manufacturing"


def q(db, name, as_of=None, **params):
    return run(name, db=db, as_of=as_of, **{**NO_FILTERS, **params})


def by_vertical(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["vertical"]: r for r in frame.iter_rows(named=True)}


# ---------------------------------------------------------------------------------------------
# Build tables


def test_alignment_by_year_repeats_the_score_of_35_for_its_own_year(tiny_db):
    """Same formula: the rows scored against their own fiscal year equal partner_alignment."""
    import duckdb

    con = duckdb.connect(str(tiny_db), read_only=True)
    try:
        own = con.sql(
            "select b.partner_id, b.quarter_idx, b.alignment_score, b.is_declared "
            "from partner_alignment_by_year as b join quarters as q using (quarter_idx) "
            "where b.fiscal_year_of_weights = q.fiscal_year order by 1, 2"
        ).fetchall()
        base = con.sql(
            "select partner_id, quarter_idx, alignment_score, is_declared "
            "from partner_alignment order by 1, 2"
        ).fetchall()
        years = con.sql(
            "select distinct b.quarter_idx - q.fiscal_year * 4, b.fiscal_year_of_weights "
            "- q.fiscal_year from partner_alignment_by_year as b join quarters as q "
            "using (quarter_idx)"
        ).fetchall()
    finally:
        con.close()
    assert len(own) == len(base) > 0
    for a, b in zip(own, base, strict=True):
        assert a[:2] == b[:2] and a[3] == b[3]
        assert a[2] == pytest.approx(b[2], abs=1e-12)
    # only the as-of year and the year before are scored
    assert {y for _, y in years} == {0, -1}


def test_prior_year_scores_at_2025_q4(tiny_db):
    """2025-Q4 focus (or 2025 deal mix) scored against FY2024 (Hc 1, Fin .5, Ret .25)."""
    import duckdb

    con = duckdb.connect(str(tiny_db), read_only=True)
    try:
        rows = con.sql(
            "select partner_id, alignment_score, is_declared from partner_alignment_by_year "
            "where quarter_idx = 2025 * 4 + 3 and fiscal_year_of_weights = 2024"
        ).fetchall()
    finally:
        con.close()
    got = {p: (s, d) for p, s, d in rows}
    expected = {
        "P01": 0.4,  # .6*.5 + .4*.25
        "P02": 0.875,  # .75*1 + .25*.5
        "P03": 0.3125,  # mix Fin .5 Ret .25 Mfg .25: .5*.5 + .25*.25 + 0 (fallback)
        "P04": 0.125,  # .5*.25 + .5*0
        "P05": 0.0,  # Mfg and Edu weigh 0 in FY2024: 0, not null
        "P06": 0.25,
        "P07": 0.5625,  # .5*.5 + .25*1 + .25*.25
        "P09": 0.25,  # .5*0 + .5*.5
        "P10": 0.4375,  # mix Ret .75 Hc .25: .75*.25 + .25*1 (fallback)
    }
    assert set(got) == set(expected)  # P08: no focus, no 2025 deal -> no row
    for partner, score in expected.items():
        assert got[partner][0] == pytest.approx(score)
    assert not got["P03"][1] and not got["P10"][1] and got["P01"][1]


# ---------------------------------------------------------------------------------------------
# 1. Priority against coverage


def test_coverage_fy2025(tiny_db):
    frame = q(tiny_db, "alignment_coverage")
    # ordered by weight: Finance 4, Retail 2, manufacturing 1, then weight 0 by revenue
    assert frame["vertical"].to_list() == ["Finance", "Retail", MFG, "Healthcare", "Education"]
    rows = by_vertical(frame)
    expected = {
        # vertical: (priority_share, focus_share, revenue_share, focus_gap, revenue_gap, verdict)
        # Finance: focus 1.85/7 = 26.4286%, revenue 4390/9120 = 48.1360%
        "Finance": (4 / 7, 1.85 / 7, 4390 / 9120, -30.714286, -9.006892, "under_covered"),
        # Retail: focus 2.15/7 = 30.7143% (+2.14), revenue 2360/9120 = 25.8772% (-2.69)
        "Retail": (2 / 7, 2.15 / 7, 2360 / 9120, 2.142857, -2.694236, "in_line"),
        # manufacturing: focus 1/7 (gap 0), revenue 1880/9120 = 20.6140% (+6.33, a priority)
        MFG: (1 / 7, 1 / 7, 1880 / 9120, 0.0, 6.328321, "in_line"),
        # Healthcare (weight 0): 14.29% of the focus -> effort on a non-priority
        "Healthcare": (0.0, 1 / 7, 300 / 9120, 14.285714, 3.289474, "over_served"),
        # Education (unlisted): 14.29% of the focus, 190/9120 = 2.08% of the revenue
        "Education": (0.0, 1 / 7, 190 / 9120, 14.285714, 2.083333, "over_served"),
    }
    for vertical, (prio, focus, revenue, f_gap, r_gap, verdict) in expected.items():
        row = rows[vertical]
        assert row["priority_share"] == pytest.approx(prio), vertical
        assert row["focus_share"] == pytest.approx(focus), vertical
        assert row["revenue_share"] == pytest.approx(revenue), vertical
        assert row["focus_gap_pts"] == pytest.approx(f_gap, abs=1e-5), vertical
        assert row["revenue_gap_pts"] == pytest.approx(r_gap, abs=1e-5), vertical
        assert row["verdict"] == verdict, vertical
    assert rows["Finance"]["revenue_t4q"] == 4_390_000
    assert rows["Finance"]["weight_rel"] == 1.0 and rows[MFG]["weight_rel"] == 0.25
    assert [r["is_priority"] for r in frame.iter_rows(named=True)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert frame["gap_threshold_pts"].unique().to_list() == [5.0]


def test_coverage_fy2024(tiny_db):
    frame = q(tiny_db, "alignment_coverage", "2024-Q4")
    # Healthcare 4, Finance 2, Retail 1, then Mfg 450k before Edu 300k
    assert frame["vertical"].to_list() == ["Healthcare", "Finance", "Retail", MFG, "Education"]
    rows = by_vertical(frame)
    expected = {
        # Healthcare: focus 1/7 = 14.29% (-42.86), revenue 5180/6970 = 74.32% (+17.18): the
        # declared focus lags the priority even though the revenue is there
        "Healthcare": (4 / 7, 1 / 7, 5180 / 6970, -42.857143, 17.175651, "under_covered"),
        # Finance: revenue 320/6970 = 4.59% (-23.98)
        "Finance": (2 / 7, 1.85 / 7, 320 / 6970, -2.142857, -23.980324, "under_covered"),
        "Retail": (1 / 7, 2.15 / 7, 720 / 6970, 16.428571, -3.955729, "in_line"),
        # manufacturing has no FY2024 weight: 14.29% of the focus, 6.46% of the revenue
        MFG: (0.0, 1 / 7, 450 / 6970, 14.285714, 6.456241, "over_served"),
        "Education": (0.0, 1 / 7, 300 / 6970, 14.285714, 4.304161, "over_served"),
    }
    for vertical, (prio, focus, revenue, f_gap, r_gap, verdict) in expected.items():
        row = rows[vertical]
        assert row["priority_share"] == pytest.approx(prio), vertical
        assert row["focus_share"] == pytest.approx(focus), vertical
        assert row["revenue_share"] == pytest.approx(revenue), vertical
        assert row["focus_gap_pts"] == pytest.approx(f_gap, abs=1e-5), vertical
        assert row["revenue_gap_pts"] == pytest.approx(r_gap, abs=1e-5), vertical
        assert row["verdict"] == verdict, vertical


def test_coverage_smb_segment(tiny_db):
    """SMB = P01, P04, P10 (P10 declares nothing: 2 declaring partners)."""
    rows = by_vertical(q(tiny_db, "alignment_coverage", segment=["SMB"]))
    assert set(rows) == {"Finance", "Retail", MFG, "Healthcare"}
    # focus: Fin .6/2 = 30%, Ret (.4+.5)/2 = 45%, Mfg .5/2 = 25%
    # revenue: Fin 160, Ret 90+150+300 = 540, Mfg 200, Hc 100 (P10) of 1000k
    assert rows["Finance"]["focus_share"] == pytest.approx(0.30)
    assert rows["Retail"]["focus_share"] == pytest.approx(0.45)
    assert rows[MFG]["focus_share"] == pytest.approx(0.25)
    assert rows["Healthcare"]["focus_share"] == 0
    assert rows["Finance"]["revenue_share"] == pytest.approx(0.16)
    assert rows["Retail"]["revenue_share"] == pytest.approx(0.54)
    # gaps: Fin 16 - 57.1429 = -41.14; Ret 54 - 28.5714 = +25.43; Hc 10 - 0 = +10
    assert rows["Finance"]["revenue_gap_pts"] == pytest.approx(-41.142857, abs=1e-5)
    assert rows["Retail"]["revenue_gap_pts"] == pytest.approx(25.428571, abs=1e-5)
    assert rows["Healthcare"]["revenue_gap_pts"] == pytest.approx(10.0)
    assert rows["Finance"]["verdict"] == "under_covered"
    assert rows["Healthcare"]["verdict"] == "over_served"
    assert rows["Retail"]["verdict"] == "in_line"


def test_coverage_without_priorities_has_no_verdict(tiny_db):
    """FY2026 has no priorities (2026-Q1 is in the grid because of P03's 2026 deal)."""
    frame = q(tiny_db, "alignment_coverage", "2026-Q1")
    assert frame.height == 5
    assert frame["priority_share"].is_null().all() and frame["verdict"].is_null().all()
    assert not frame["is_priority"].any()
    # the shares still show: window 2025-Q2..2026-Q1 (D0310 Healthcare 2M is in it)
    assert by_vertical(frame)["Healthcare"]["revenue_t4q"] == 200_000 + 100_000 + 2_000_000


def test_coverage_unknown_as_of_is_empty(tiny_db):
    assert q(tiny_db, "alignment_coverage", "2025-Q9").height == 0


# ---------------------------------------------------------------------------------------------
# 2. Segment x vertical


def test_segment_vertical_2025(tiny_db):
    frame = q(tiny_db, "alignment_segment_vertical")
    cells = {(r["segment"], r["vertical"]): r for r in frame.iter_rows(named=True)}
    assert [s for s in dict.fromkeys(frame["segment"].to_list())] == [
        "SMB",
        "Midmarket",
        "Enterprise",
    ]  # Mixed: P08 has no 2025 revenue and no focus
    # Midmarket (P02, P06, P09): Fin 800+180 = 980, Hc 200, Ret 270, Edu 140 of 1590
    assert cells[("Midmarket", "Finance")]["revenue_t4q"] == 980_000
    assert cells[("Midmarket", "Finance")]["revenue_share"] == pytest.approx(980 / 1590)
    # focus: Fin .25+.5 = .75, Hc .75, Ret 1, Edu .5 over 3 declaring partners
    assert cells[("Midmarket", "Retail")]["focus_partners"] == pytest.approx(1.0)
    assert cells[("Midmarket", "Retail")]["focus_share"] == pytest.approx(1 / 3)
    # Enterprise (P03, P05, P07): Fin 3000+250 = 3250 of 3250+1550+1680+50 = 6530
    assert cells[("Enterprise", "Finance")]["revenue_share"] == pytest.approx(3250 / 6530)
    # P07 declares Healthcare .25 but won none there in 2025
    assert cells[("Enterprise", "Healthcare")]["revenue_t4q"] == 0
    assert cells[("Enterprise", "Healthcare")]["focus_share"] == pytest.approx(0.125)
    assert cells[("SMB", "Retail")]["is_priority"]
    assert not cells[("SMB", "Healthcare")]["is_priority"]


def test_segment_vertical_2024_has_the_mixed_segment(tiny_db):
    frame = q(tiny_db, "alignment_segment_vertical", "2024-Q4")
    cells = {(r["segment"], r["vertical"]): r for r in frame.iter_rows(named=True)}
    # P08 (Mixed) won Hc 80k + Fin 20k in 2024 and declares nothing
    assert cells[("Mixed", "Healthcare")]["revenue_share"] == pytest.approx(0.8)
    assert cells[("Mixed", "Healthcare")]["focus_share"] is None
    assert cells[("Mixed", "Healthcare")]["is_priority"]  # Healthcare 4 in FY2024


# ---------------------------------------------------------------------------------------------
# 3. Alignment distribution and headline numbers


def test_distribution_by_tier_2025(tiny_db):
    frame = q(tiny_db, "alignment_distribution", group_by="earned_tier")
    groups = {r["group_value"]: r for r in frame.iter_rows(named=True)}
    assert list(groups) == ["Platinum", "Gold", "Silver", "Registered"]
    # Silver: P01 .8, P04 .375, P06 .5, P07 .625, P09 .5, P10 .375 -> median (.5+.5)/2
    silver = frame.filter(pl.col("group_value") == "Silver")
    assert silver["group_partners"][0] == 6 and silver["group_median"][0] == pytest.approx(0.5)
    # bins of 0.05: .375 -> 7 (x2), .5 -> 10 (x2), .625 -> 12, .8 -> 16 (0.8 must not fall to 15)
    assert dict(zip(silver["bin"], silver["partners"], strict=True)) == {7: 2, 10: 2, 12: 1, 16: 1}
    assert groups["Platinum"]["bin"] == 13  # P03 .6875
    assert frame["partners"].sum() == 9  # P08 has no score and is not counted as 0


def test_distribution_by_segment_2024_and_a_bad_group(tiny_db):
    frame = q(tiny_db, "alignment_distribution", "2024-Q4", group_by="segment")
    medians = dict(zip(frame["group_value"], frame["group_median"], strict=False))
    # SMB: P01 .4, P04 .125 (P10 unknown) -> .2625; Midmarket .875, .25, .25 -> .25;
    # Enterprise 1.0, 0.0, .5625 -> .5625; Mixed P08 .9
    assert medians == pytest.approx(
        {"SMB": 0.2625, "Midmarket": 0.25, "Enterprise": 0.5625, "Mixed": 0.9}
    )
    enterprise = frame.filter(pl.col("group_value") == "Enterprise")["bin"].to_list()
    assert enterprise == [0, 11, 19]  # 0.0, .5625 and 1.0 (the last bin holds 1.0)
    # anything but 'segment' groups by earned tier
    hostile = q(tiny_db, "alignment_distribution", group_by="segment; drop table partners")
    assert set(hostile["group_value"]) <= {"Platinum", "Gold", "Silver", "Registered"}


def test_summary_2025_followed_the_shift(tiny_db):
    s = q(tiny_db, "alignment_summary").row(0, named=True)
    assert (s["fiscal_year"], s["prior_fiscal_year"]) == (2025, 2024)
    assert s["has_priorities"] and s["prior_has_priorities"]
    assert (s["partners"], s["scored_partners"], s["unknown_partners"]) == (10, 9, 1)
    assert (s["declared_partners"], s["fallback_partners"]) == (7, 2)  # P03, P10 fall back
    # median of .125 .25 .375 .375 .5 .5 .625 .6875 .8
    assert s["median_score"] == pytest.approx(0.5)
    # sum(score x revenue_t4q): 250*.8 + 1000*.25 + 6500*.6875 + 350*.375 + 230*.125
    #   + 270*.5 + 300*.625 + 320*.5 + 400*.375 = 5711.25k, over 9620k
    assert s["revenue_weighted_score"] == pytest.approx(5711.25 / 9620)
    # against FY2024: 250*.4 + 1000*.875 + 6500*.3125 + 350*.125 + 0 + 270*.25 + 300*.5625
    #   + 320*.25 + 400*.4375 = 3541.25k, over 9620k
    assert s["revenue_weighted_score_prior"] == pytest.approx(3541.25 / 9620)
    assert s["change_vs_prior_pts"] == pytest.approx((5711.25 - 3541.25) / 9620 * 100)  # +22.56
    assert s["revenue_t4q"] == 9_620_000 and s["revenue_t4q_no_vertical"] == 500_000  # D0309


def test_summary_2024_has_no_prior_year(tiny_db):
    s = q(tiny_db, "alignment_summary", "2024-Q4").row(0, named=True)
    assert s["fiscal_year"] == 2024 and not s["prior_has_priorities"]
    # 200*.4 + 1000*.875 + 4000*1 + 400*.125 + 750*0 + 220*.25 + 300*.5625 + 100*.9 + 0*.25
    #   = 5318.75k over 6970k
    assert s["revenue_weighted_score"] == pytest.approx(5318.75 / 6970)
    assert s["median_score"] == pytest.approx(0.4)  # 0 .125 .25 .25 .4 .5625 .875 .9 1
    assert s["revenue_weighted_score_prior"] is None and s["change_vs_prior_pts"] is None
    assert (s["unknown_partners"], s["fallback_partners"]) == (1, 2)  # P10; P03 and P08


def test_summary_by_segment(tiny_db):
    # Enterprise (P03, P05, P07): (6500*.6875 + 230*.125 + 300*.625) / 7030 = 4685/7030
    s = q(tiny_db, "alignment_summary", segment=["Enterprise"]).row(0, named=True)
    assert s["revenue_weighted_score"] == pytest.approx(4685 / 7030)
    assert s["median_score"] == pytest.approx(0.625)
    # Mixed (P08 only): nothing scored, one unknown
    s = q(tiny_db, "alignment_summary", segment=["Mixed"]).row(0, named=True)
    assert s["scored_partners"] == 0 and s["unknown_partners"] == 1
    assert s["revenue_weighted_score"] is None and s["median_score"] is None


def test_unknown_alignment_is_named_not_scored(tiny_db):
    assert q(tiny_db, "alignment_unknown")["partner_id"].to_list() == ["P08"]
    assert q(tiny_db, "alignment_unknown", "2024-Q4")["partner_id"].to_list() == ["P10"]
    reason = q(tiny_db, "alignment_unknown")["reason"][0]
    assert "No declared focus and no won deal" in reason
    # a year without priorities leaves everyone unscored: that is not "unknown alignment"
    assert q(tiny_db, "alignment_unknown", "2026-Q1").height == 0
    assert q(tiny_db, "alignment_unknown", segment=["SMB"]).height == 0


def test_summary_in_an_april_fiscal_year(tiny_db_april):
    """FY2026 = Apr 2025 - Mar 2026; the default as-of is 2026-Q1 (Apr-Jun 2025).
    F1 declares Finance (1.0 in FY2026, 0 in FY2025); F2 falls back to its mix, 100% Retail
    (0.5 in FY2026, 1.0 in FY2025). revenue_t4q: F1 320k, F2 120k."""
    s = run("alignment_summary", db=tiny_db_april, as_of=None, **NO_FILTERS).row(0, named=True)
    assert (s["fiscal_year"], s["prior_fiscal_year"]) == (2026, 2025)
    assert s["revenue_weighted_score"] == pytest.approx((320 * 1.0 + 120 * 0.5) / 440)
    assert s["revenue_weighted_score_prior"] == pytest.approx((320 * 0.0 + 120 * 1.0) / 440)
    assert s["change_vs_prior_pts"] == pytest.approx(260 / 440 * 100)  # +59.09


# ---------------------------------------------------------------------------------------------
# 4. Say against do


def test_say_do_2025(tiny_db):
    frame = q(tiny_db, "alignment_say_do", limit=20)
    # d = 1/2 sum |focus - mix| over both vectors' verticals:
    #   P02 focus Hc .75 Fin .25, mix Fin .8 Hc .2          -> (.55 + .55)/2 = .55
    #   P07 Fin .5 Hc .25 Ret .25, mix Fin 250/300 Ret 50/300 -> (1/3 + .25 + 1/12)/2 = 1/3
    #   P05 Mfg .5 Edu .5, mix Mfg 180/230 Edu 50/230        -> 65/230 = .2826
    #   P04 Ret .5 Mfg .5, mix Ret 150/350 Mfg 200/350       -> 25/350 = .0714
    #   P09 Edu .5 Fin .5, mix Fin 180/320 Edu 140/320       -> .0625
    #   P01 Fin .6 Ret .4, mix Fin 160/250 Ret 90/250        -> .04
    #   P06 Ret 1, mix Ret 1                                 -> 0
    # P03 and P10 declare nothing (their score uses the deal mix): no distance, not listed
    assert frame["partner_id"].to_list() == ["P02", "P07", "P05", "P04", "P09", "P01", "P06"]
    assert frame["distance"].to_list() == pytest.approx(
        [0.55, 1 / 3, 65 / 230, 25 / 350, 0.0625, 0.04, 0.0], abs=1e-8
    )
    # off-focus revenue = distance x revenue with a vertical: 550k, 100k, 65k, 25k, 20k, 10k, 0
    assert frame["off_focus_revenue"].to_list() == pytest.approx(
        [550_000, 100_000, 65_000, 25_000, 20_000, 10_000, 0]
    )
    p02 = frame.row(0, named=True)
    assert p02["declared"] == "Healthcare 75% · Finance 25%"
    assert p02["deals"] == "Finance 80% · Healthcare 20%"
    assert {d["vertical"]: d["share"] for d in p02["deal_mix"]} == pytest.approx(
        {"Finance": 0.8, "Healthcare": 0.2}
    )
    assert (p02["partners_compared"], p02["declared_without_deals"]) == (7, 0)


def test_say_do_2024_ties_and_limit(tiny_db):
    frame = q(tiny_db, "alignment_say_do", "2024-Q4", limit=20)
    # P04 Ret .5 Mfg .5 vs Ret 1 -> .5; P02 .75/.25 vs Hc 1 -> .25; P07 vs Fin 2/3 Hc 1/3
    # -> (1/6 + 1/12 + 1/4)/2 = .25; P05 vs Mfg .6 Edu .4 -> .1; P01 vs .5/.5 -> .1; P06 0.
    # Equal distances: the larger revenue first (P02 1.0M > P07 300k, P05 750k > P01 200k)
    assert frame["partner_id"].to_list() == ["P04", "P02", "P07", "P05", "P01", "P06"]
    assert frame["distance"].to_list() == pytest.approx([0.5, 0.25, 0.25, 0.1, 0.1, 0.0])
    # P09 declares a focus but won nothing in 2024
    assert frame["declared_without_deals"][0] == 1
    top2 = q(tiny_db, "alignment_say_do", "2024-Q4", limit=2)
    assert top2["partner_id"].to_list() == ["P04", "P02"] and top2["partners_compared"][0] == 6


# ---------------------------------------------------------------------------------------------
# 5. Who to enable


def test_enable_defaults_to_the_top_priority(tiny_db):
    frame = q(tiny_db, "alignment_enable", vertical=None, rank_by=None, limit=20)
    assert frame["vertical"].unique().to_list() == ["Finance"]  # FY2025's top priority
    # Finance won in 2025: P03 3.0M, P02 800k, P07 250k, P09 180k, P01 160k
    assert frame["partner_id"].to_list() == ["P03", "P02", "P07", "P09", "P01"]
    assert frame["rank"].to_list() == [1, 2, 3, 4, 5]
    p03 = frame.row(0, named=True)
    assert p03["focus_share"] is None and p03["signal"] == "undeclared"  # declares nothing
    assert p03["vertical_share_of_deals"] == pytest.approx(0.5)  # 3.0M of 6.0M with a vertical
    assert p03["certified_technical"] == 1  # Omar Haddad, Technical, certified
    assert p03["earned_tier"] == "Platinum" and p03["segment"] == "Enterprise"
    # P01's technical contact (Tom Becker) is not certified
    assert frame.filter(pl.col("partner_id") == "P01")["certified_technical"][0] == 0
    assert frame["signal"].to_list()[1:] == ["proven"] * 4


def test_enable_fy2024_defaults_to_healthcare(tiny_db):
    frame = q(tiny_db, "alignment_enable", "2024-Q4", vertical=None, rank_by=None, limit=20)
    assert frame["vertical"][0] == "Healthcare"
    # 2024 Healthcare: P03 4.0M, P02 1.0M, P07 100k, P08 80k
    assert frame["partner_id"].to_list() == ["P03", "P02", "P07", "P08"]
    # P07 was on watch at 2024-Q4 (EXPECTED.md)
    assert frame["status"].to_list() == ["ok", "ok", "watch", "ok"]


def test_enable_retail_by_focus_shows_status(tiny_db):
    frame = q(tiny_db, "alignment_enable", vertical="Retail", rank_by="focus", limit=20)
    # focus first: P06 1.0, P04 .5, P01 .4, P07 .25, then no focus by revenue: P03 1.5M, P10 300k
    assert frame["partner_id"].to_list() == ["P06", "P04", "P01", "P07", "P03", "P10"]
    assert frame["status"].to_list()[:2] == ["replace_review", "watch"]
    by_revenue = q(tiny_db, "alignment_enable", vertical="Retail", rank_by="revenue", limit=20)
    # P03 1.5M, P10 300k, P06 270k, P04 150k, P01 90k, P07 50k
    assert by_revenue["partner_id"].to_list() == ["P03", "P10", "P06", "P04", "P01", "P07"]


def test_enable_signals_limit_and_unknown_vertical(tiny_db):
    hc = q(tiny_db, "alignment_enable", vertical="Healthcare", rank_by="revenue", limit=20)
    # P02 200k (focus .75), P10 100k (no focus), P07 0 (declares .25, no 2025 Hc deal)
    assert hc["partner_id"].to_list() == ["P02", "P10", "P07"]
    assert hc["signal"].to_list() == ["proven", "undeclared", "enable"]
    assert hc["revenue_vertical_t4q"].to_list() == [200_000, 100_000, 0]
    mfg = q(tiny_db, "alignment_enable", vertical=MFG, rank_by="x", limit=2)
    # P03 1.5M, P04 200k (watch) [P05 180k at_risk is third]; 3 candidates in all
    assert mfg["partner_id"].to_list() == ["P03", "P04"] and mfg["candidates"][0] == 3
    assert q(tiny_db, "alignment_enable", vertical="Nope", rank_by=None, limit=9).height == 0
    smb = q(tiny_db, "alignment_enable", vertical=None, rank_by=None, limit=9, segment=["SMB"])
    assert smb["partner_id"].to_list() == ["P01"]  # the only SMB partner in Finance


# ---------------------------------------------------------------------------------------------
# 6. Priorities over time


def test_priorities_over_time(tiny_db):
    frame = q(tiny_db, "alignment_priorities_over_time")
    cells = {(r["fiscal_year"], r["vertical"]): r for r in frame.iter_rows(named=True)}
    assert sorted({y for y, _ in cells}) == [2024, 2025]  # FY2026 is after the as-of quarter
    assert cells[(2024, "Healthcare")]["priority_share"] == pytest.approx(4 / 7)
    assert cells[(2025, "Healthcare")]["priority_share"] == 0.0
    assert cells[(2025, "Healthcare")]["is_priority"] is False
    assert cells[(2024, "Healthcare")]["revenue_share"] == pytest.approx(5180 / 6970)
    assert cells[(2025, "Finance")]["revenue_share"] == pytest.approx(4390 / 9120)
    assert cells[(2024, MFG)]["priority_share"] == 0.0  # unlisted in a year with priorities
    assert {r["quarters_with_data"] for r in cells.values()} == {4}


def test_priorities_over_time_partial_year(tiny_db):
    frame = q(tiny_db, "alignment_priorities_over_time", "2025-Q3")
    fy25 = {r["vertical"]: r for r in frame.filter(pl.col("fiscal_year") == 2025).to_dicts()}
    # FY2025 Q1..Q3 only: Fin 100+500+3000+200+180 = 3980 of 6780
    assert fy25["Finance"]["revenue_share"] == pytest.approx(3980 / 6780)
    assert fy25["Finance"]["quarters_with_data"] == 3


# ---------------------------------------------------------------------------------------------
# A dataset of its own


def _own_dataset(
    tmp_path: Path, partners: str, targets: str, deals: str, partner_verticals: str
) -> Path:
    """Load the given rows (under the contract's headers; Finance the only FY2025 priority)."""
    from channel.loader import load
    from channel.settings import Settings

    src = write_folder(
        tmp_path / "src",
        {
            "partners": "partner_id,partner_name,segment,region\n" + partners,
            "targets": "partner_id,fiscal_quarter,target_amount\n" + targets,
            "deals": "deal_id,partner_id,amount,closed_on,status,vertical\n" + deals,
            "partner_verticals": "partner_id,vertical,focus_share\n" + partner_verticals,
            "vendor_priorities": "fiscal_year,vertical,priority_weight\n2025,Finance,1\n",
        },
    )
    db = tmp_path / "own.duckdb"
    load(src, db, settings=Settings())
    return db


def test_deals_without_a_vertical_stay_out_of_say_against_do(tmp_path):
    """X1 declares Finance only and won 100k in Finance plus 100k without a vertical: the deal
    mix is 100% Finance (distance 0), not 50/50 (distance 0.5). X2 declares nothing."""
    db = _own_dataset(
        tmp_path,
        partners="X1,Xray One,SMB,North\nX2,Xray Two,SMB,North\n",
        targets="X1,2025-Q1,1\n",
        deals=(
            "D1,X1,100000,2025-02-01,won,Finance\n"
            "D2,X1,100000,2025-03-01,won,\n"
            "D3,X2,50000,2025-03-01,won,\n"
        ),
        partner_verticals="X1,Finance,1\n",
    )
    say_do = run("alignment_say_do", db=db, as_of=None, limit=5, **NO_FILTERS).row(0, named=True)
    assert (say_do["partner_id"], say_do["distance"]) == ("X1", 0.0)
    assert say_do["revenue_with_vertical"] == 100_000 and say_do["deals"] == "Finance 100%"
    summary = run("alignment_summary", db=db, as_of=None, **NO_FILTERS).row(0, named=True)
    assert summary["revenue_t4q_no_vertical"] == 150_000
    # X2: no focus, and its only won deal has no vertical -> unknown, with that reason
    unknown = run("alignment_unknown", db=db, as_of=None, **NO_FILTERS)
    assert unknown["partner_id"].to_list() == ["X2"]
    assert "have no vertical" in unknown["reason"][0]


def test_revenue_in_a_vertical_not_declared_counts_as_off_focus(tmp_path):
    """Y1 declares Finance 0.5 and Healthcare 0.5, and won 60k in Finance, 20k in Healthcare and
    20k in Retail, which it does not declare: mix Fin .6 Hc .2 Ret .2, so
    d = 1/2 (|.5 - .6| + |.5 - .2| + |0 - .2|) = 1/2 (.1 + .3 + .2) = .3
    (= 1 - (min(.5, .6) + min(.5, .2)) = 1 - .7). The Retail share overlaps with nothing: read as
    if it matched a declared vertical it would give 1 - .9 = .1. Y2 declares Retail only and won
    all of it elsewhere (Finance 10k): d = 1, all 10k off focus."""
    db = _own_dataset(
        tmp_path,
        partners="Y1,Yankee One,SMB,North\nY2,Yankee Two,SMB,North\n",
        targets="Y1,2025-Q1,1\n",
        deals=(
            "D1,Y1,60000,2025-02-01,won,Finance\n"
            "D2,Y1,20000,2025-03-01,won,Healthcare\n"
            "D3,Y1,20000,2025-03-02,won,Retail\n"
            "D4,Y2,10000,2025-03-03,won,Finance\n"
        ),
        partner_verticals="Y1,Finance,50\nY1,Healthcare,50\nY2,Retail,1\n",
    )
    frame = run("alignment_say_do", db=db, as_of=None, limit=5, **NO_FILTERS)
    assert frame["partner_id"].to_list() == ["Y2", "Y1"]
    assert frame["distance"].to_list() == pytest.approx([1.0, 0.3], abs=1e-9)
    assert frame["off_focus_revenue"].to_list() == pytest.approx([10_000, 30_000])
    assert frame["deals"].to_list() == ["Finance 100%", "Finance 60% · Healthcare 20% · Retail 20%"]
