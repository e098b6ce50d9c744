"""The Partner tiers page's queries on the tiny hand-built dataset (its chart builders are in
tests/test_tiers_charts.py, the page in tests/test_tiers_page.py). Every expected number below
was worked out by hand from
tests/data/tiny/*.csv and tests/data/tiny/EXPECTED.md (settings: the default floors).

Default as-of 2025-Q4; revenue_t4q (k = thousand) and won_deals_t4q per partner:
    P01 250k/5 Silver   (program Silver)      P06 270k/4 Silver     (Silver)
    P02 1,000k/5 Gold   (Silver)              P07 300k/4 Silver     (Registered)
    P03 6,500k/5 Platinum (Gold)              P08 0/0 Registered    (none)
    P04 350k/4 Silver   (Registered)          P09 320k/4 Silver     (Platinum)
    P05 230k/3 Registered (Gold)              P10 400k/4 Silver     (Registered)
    total 9,620k over 10 partners.
As of 2024-Q4 (the "previous four quarters" of 2025-Q4): P01 200k Registered, P02 1,000k Gold,
P03 4,000k Gold, P04 400k Silver, P05 750k Silver, P06 220k Registered, P07 300k Silver,
P08 100k Registered, P09 0 Registered, P10 0 Registered; total 6,970k.
Investments in the trailing four quarters to 2025-Q4 (2025-Q1..Q4; P06's 2024-Q3 line is
outside): P01 5,000 MDF + 2,500 Enablement = 7,500; P02 12,000 Co-selling; P03 40,000 Rebates;
P05 8,000 MDF; P10 1,500 MDF; total 69,000.
"""

from __future__ import annotations

import polars as pl
import pytest

from channel.charts import tiers as tier_charts
from channel.runner import run
from tests.helpers import NO_FILTERS


def q(db, name: str, as_of: str | None = None, **params):
    return run(name, db=db, as_of=as_of, **{**NO_FILTERS, **params})


# ---------------------------------------------------------------------------------------------
# Queries on the tiny dataset


def test_held_against_earned_matrix(tiny_db):
    cells = {
        (r["program_tier"], r["earned_tier"]): (r["partners"], r["revenue_t4q"], r["tier_gap"])
        for r in q(tiny_db, "tiers_matrix").iter_rows(named=True)
    }
    assert cells == {
        ("Platinum", "Silver"): (1, 320_000, 2),  # P09 holds Platinum, earns Silver
        ("Gold", "Platinum"): (1, 6_500_000, -1),  # P03
        ("Gold", "Registered"): (1, 230_000, 2),  # P05
        ("Silver", "Gold"): (1, 1_000_000, -1),  # P02
        ("Silver", "Silver"): (2, 520_000, 0),  # P01 250k + P06 270k
        ("Registered", "Silver"): (3, 1_050_000, -1),  # P04 350k + P07 300k + P10 400k
        ("(none)", "Registered"): (1, 0, 0),  # P08: no program tier counts as Registered
    }


def test_mismatch_list_order_and_totals(tiny_db):
    full = q(tiny_db, "tiers_mismatches", limit=None)
    # over-tiered first (gap 2 both; least revenue first: P05 230k, P09 320k), then promotion
    # candidates (gap -1 all; most revenue first: P03 6.5M, P02 1.0M, P10 400k, P04 350k, P07 300k)
    assert full["partner_id"].to_list() == ["P05", "P09", "P03", "P02", "P10", "P04", "P07"]
    assert full["program_tier"].to_list()[:2] == ["Gold", "Platinum"]
    totals = full.row(0, named=True)
    # over-tiered 230k + 320k; promotion 6,500k + 1,000k + 400k + 350k + 300k
    assert (totals["over_tiered_partners"], totals["over_tiered_revenue_t4q"]) == (2, 550_000)
    assert (totals["promotion_partners"], totals["promotion_revenue_t4q"]) == (5, 8_550_000)
    # the limit applies per finding; the totals are counted before it, on every row
    top = q(tiny_db, "tiers_mismatches", limit=1)
    assert top["partner_id"].to_list() == ["P05", "P03"]
    assert top["promotion_partners"].to_list() == [5, 5]
    # the matrix and the list agree on every off-diagonal partner
    matrix = q(tiny_db, "tiers_matrix")
    assert matrix.filter(pl.col("tier_gap") != 0)["partners"].sum() == full.height


def test_program_tier_filter_excludes_partners_without_a_tier(tiny_db):
    # program_tier=Registered: P04, P07, P10 (all promotion candidates); P08 (none) is not in it
    rows = q(tiny_db, "tiers_mismatches", limit=None, program_tier=["Registered"])
    assert sorted(rows["partner_id"].to_list()) == ["P04", "P07", "P10"]


def test_concentration_now_and_four_quarters_earlier(tiny_db):
    frame = q(tiny_db, "tiers_concentration")
    kpis = tier_charts.concentration_kpis(frame)
    now, before = kpis["current"], kpis["previous"]
    assert (now["fiscal_quarter"], before["fiscal_quarter"]) == ("2025-Q4", "2024-Q4")
    assert (now["partners"], now["revenue_t4q"]) == (10, 9_620_000)
    # top 10%: ceil(1.0) = 1 partner, P03 6.5M / 9.62M; top 20%: P03 + P02 = 7.5M / 9.62M
    assert now["top10_share"] == pytest.approx(6.5 / 9.62)  # 67.57%
    assert now["top20_share"] == pytest.approx(7.5 / 9.62)  # 77.96%
    # HHI = sum of (100 x share)^2 = 10,000 x sum(r_i^2) / R^2, r in millions:
    # 6.5^2 + 1^2 + .4^2 + .35^2 + .32^2 + .3^2 + .27^2 + .25^2 + .23^2 = 43.9132; / 9.62^2
    assert now["hhi"] == pytest.approx(10_000 * 43.9132 / 9.62**2)  # 4,745.1
    # 2024-Q4: P03 4.0M of 6.97M; top 20% P03 + P02 = 5.0M
    assert before["revenue_t4q"] == 6_970_000
    assert before["top10_share"] == pytest.approx(4.0 / 6.97)  # 57.39%
    assert before["top20_share"] == pytest.approx(5.0 / 6.97)  # 71.74%
    # 16 + 1 + .75^2 + .4^2 + .3^2 + .2^2 + .22^2 + .1^2 = 17.9109
    assert before["hhi"] == pytest.approx(10_000 * 17.9109 / 6.97**2)  # 3,686.8
    # the Overview reads its top-20% share from this same query (one definition)
    assert "top20_share" not in q(tiny_db, "overview_kpis").columns


def test_concentration_curve_points(tiny_db):
    frame = q(tiny_db, "tiers_concentration").filter(pl.col("period") == "current")
    # 10 partners -> one point each, largest first: 6.5, 7.5, 7.9, 8.25, 8.57 ... of 9.62
    assert frame["partner_share"].to_list() == pytest.approx([i / 10 for i in range(1, 11)])
    assert frame["revenue_share"].to_list()[:4] == pytest.approx(
        [6.5 / 9.62, 7.5 / 9.62, 7.9 / 9.62, 8.25 / 9.62]
    )
    assert frame["revenue_share"].to_list()[-2:] == pytest.approx([1.0, 1.0])  # P05 then P08 (0)


def test_concentration_without_an_earlier_year(tiny_db):
    # 2024-Q4 is the first full window: the data starts in 2024-Q1, so nothing to compare with
    frame = q(tiny_db, "tiers_concentration", as_of="2024-Q4")
    assert set(frame["period"]) == {"current"}
    assert frame["top20_share"][0] == pytest.approx(5.0 / 6.97)


def test_quadrants_split_at_the_medians(tiny_db):
    frame = q(tiny_db, "tiers_quadrants", limit=None)
    quadrants = {r["group_key"]: r for r in tier_charts.quadrant_rows(frame).iter_rows(named=True)}
    first = next(iter(quadrants.values()))
    # on the chart: everyone but P08. Won deals 3,4,4,4,4,4,5,5,5 -> median 4;
    # revenue 230,250,270,300,320,350,400,1000,6500 (k) -> median 320k. High = above the median.
    assert (first["median_won_deals"], first["median_revenue"]) == (4, 320_000)
    counts = {k: (r["partners"], r["revenue_t4q"]) for k, r in quadrants.items()}
    assert counts == {
        "high_high": (2, 7_500_000),  # P02 (5, 1.0M), P03 (5, 6.5M)
        "high_low": (1, 250_000),  # P01 (5, 250k)
        "low_high": (2, 750_000),  # P04 (4, 350k), P10 (4, 400k)
        "low_low": (4, 1_120_000),  # P05 230k, P06 270k, P07 300k, P09 320k (at the median)
        "no_revenue": (1, 0),  # P08: no won deal in the window, not on the log axes
    }
    assert sum(r["partners"] for r in quadrants.values()) == 10


def test_quadrant_medians_follow_the_filters(tiny_db):
    # SMB: P01 (5, 250k), P04 (4, 350k), P10 (4, 400k) -> medians 4 deals and 350k
    frame = q(tiny_db, "tiers_quadrants", limit=None, segment=["SMB"])
    rows = tier_charts.quadrant_rows(frame)
    assert rows["median_revenue"][0] == 350_000
    counts = dict(zip(rows["group_key"], rows["partners"], strict=True))
    assert counts == {"high_low": 1, "low_low": 1, "low_high": 1}  # P01, P04, P10


def test_resources_per_earned_tier_and_flagged_partners(tiny_db):
    frame = q(tiny_db, "tiers_quadrants", limit=None)
    tiers = {
        r["group_key"]: r
        for r in frame.filter(pl.col("dimension") == "earned_tier").iter_rows(named=True)
    }
    # Platinum P03 40,000; Gold P02 12,000; Silver P01 7,500 + P10 1,500; Registered P05 8,000
    assert {t: r["investment_t4q"] for t, r in tiers.items()} == {
        "Platinum": 40_000,
        "Gold": 12_000,
        "Silver": 9_000,
        "Registered": 8_000,
    }
    assert tiers["Platinum"]["investment_share"] == pytest.approx(40 / 69)
    assert tiers["Silver"]["revenue_t4q"] == 1_890_000  # 250+350+270+300+320+400 k
    assert tiers["Silver"]["revenue_per_invested"] == pytest.approx(1_890_000 / 9_000)  # 210
    assert tiers["Registered"]["revenue_per_invested"] == pytest.approx(230_000 / 8_000)
    # significant = median investment of the invested partners: 1.5k, 7.5k, 8k, 12k, 40k -> 8k.
    # P05 (8,000, low/low) is the only one in low/low or no-revenue with at least that much.
    assert tiers["Gold"]["significant_investment"] == 8_000
    flagged = tier_charts.flagged_partners(frame)
    assert flagged["partner_id"].to_list() == ["P05"]
    assert flagged["quadrant"].to_list() == ["Low velocity / low volume"]
    assert frame["flagged_total"][0] == 1


def test_revenue_per_invested_unit_by_program(tiny_db):
    rows = {r["program"]: r for r in q(tiny_db, "tiers_program_roi").iter_rows(named=True)}
    assert set(rows) == {"Rebates", "MDF", "Co-selling", "Enablement"}
    # MDF: P01 5,000 + P05 8,000 + P10 1,500 = 14,500; their revenue 250k + 230k + 400k = 880k
    assert (rows["MDF"]["partners"], rows["MDF"]["investment_t4q"]) == (3, 14_500)
    assert rows["MDF"]["revenue_per_invested"] == pytest.approx(880_000 / 14_500)  # 60.7
    assert rows["Rebates"]["revenue_per_invested"] == pytest.approx(6_500_000 / 40_000)  # 162.5
    assert rows["Enablement"]["revenue_per_invested"] == pytest.approx(250_000 / 2_500)  # 100
    assert rows["Co-selling"]["revenue_per_invested"] == pytest.approx(1_000_000 / 12_000)


def test_segments_side_by_side(tiny_db):
    rows = {r["segment"]: r for r in q(tiny_db, "tiers_segments").iter_rows(named=True)}
    assert list(rows) == ["SMB", "Midmarket", "Enterprise", "Mixed", "All segments"]
    smb = rows["SMB"]
    # P01 250k/5, P04 350k/4, P10 400k/4 -> 1.0M over 13 won deals
    assert (smb["partners"], smb["revenue_t4q"], smb["won_deals_t4q"]) == (3, 1_000_000, 13)
    assert smb["avg_deal_size"] == pytest.approx(1_000_000 / 13)
    assert smb["deals_per_partner"] == pytest.approx(13 / 3)
    # won deals of 2025 with a created_on: P01 D0105 17 days, D0107 29, D0108 11, D0109 0;
    # P10 D1001 30, D1002 17 (P04's D0409 is open) -> 0, 11, 17, 17, 29, 30 -> median 17
    assert (smb["cycle_days_median"], smb["cycle_deals"]) == (17, 6)
    # 2025-Q4: (100k + 80k + 100k) / (100k + 100k + 100k)
    assert smb["attainment"] == pytest.approx(280 / 300)
    # P01 7,500 + P10 1,500 over 3 partners; 1.0M / 9,000
    assert smb["investment_per_partner"] == pytest.approx(3_000)
    assert smb["revenue_per_invested"] == pytest.approx(1_000_000 / 9_000)
    assert rows["Midmarket"]["cycle_days_median"] is None  # no created_on on those deals
    # P02 300k/250k, P06 150k/100k, P09 has no 2025-Q4 target
    assert rows["Midmarket"]["attainment"] == pytest.approx(450 / 350)
    assert rows["Enterprise"]["investment_t4q"] == 48_000  # P03 40,000 + P05 8,000
    mixed = rows["Mixed"]  # P08: no won deal, a zero target, no investment
    assert (mixed["avg_deal_size"], mixed["attainment"], mixed["revenue_per_invested"]) == (
        None,
        None,
        None,
    )
    everyone = rows["All segments"]
    assert (everyone["partners"], everyone["won_deals_t4q"]) == (10, 38)
    assert everyone["investment_t4q"] == 69_000
    # the same attainment and revenue as the Overview, segment by segment
    for segment in ("SMB", "Midmarket", "Enterprise", "Mixed"):
        overview = q(tiny_db, "overview_kpis", segment=[segment]).row(0, named=True)
        assert rows[segment]["revenue_t4q"] == overview["revenue_t4q"]
        assert rows[segment]["attainment"] == overview["attainment_asof"]
    assert everyone["attainment"] == pytest.approx(2_780 / 1_950)  # the Overview's 142.6%


def test_tier_movement(tiny_db):
    frame = q(tiny_db, "tiers_movement")
    moves = {(r["tier_before"], r["tier_now"]): r["partners"] for r in frame.iter_rows(named=True)}
    assert moves == {
        ("Gold", "Platinum"): 1,  # P03
        ("Gold", "Gold"): 1,  # P02
        ("Silver", "Silver"): 2,  # P04, P07
        ("Silver", "Registered"): 1,  # P05
        ("Registered", "Silver"): 4,  # P01, P06, P09, P10
        ("Registered", "Registered"): 1,  # P08
    }
    totals = frame.row(0, named=True)
    assert (totals["quarter_before"], totals["moved_up"], totals["moved_down"]) == ("2024-Q4", 5, 1)
    assert totals["stayed"] == 4
    # 2024-Q4 has no four full quarters behind its own window start: no movement to show
    assert q(tiny_db, "tiers_movement", as_of="2024-Q4").height == 0


@pytest.mark.parametrize(
    ("floors", "up", "down", "revenue"),
    [
        ({}, 0, 0, 0),  # the configured floors reproduce earned_tier exactly
        # Silver 300k: P01 250k and P06 270k drop to Registered; P07 at exactly 300k stays
        ({"floor_silver": 300_000}, 0, 2, 520_000),
        # Gold 300k: P04 350k, P07 300k, P09 320k, P10 400k climb from Silver
        ({"floor_gold": 300_000}, 4, 0, 1_370_000),
        # Platinum 6.6M: P03 (6.5M) drops to Gold
        ({"floor_platinum": 6_600_000}, 0, 1, 6_500_000),
    ],
)
def test_what_if_floors(tiny_db, floors, up, down, revenue):
    params = {"floor_platinum": None, "floor_gold": None, "floor_silver": None, **floors}
    frame = q(tiny_db, "tiers_what_if", **params)
    totals = frame.row(0, named=True)
    assert (totals["moved_up"], totals["moved_down"]) == (up, down)
    assert totals["changed_partners"] == up + down
    assert totals["changed_revenue_t4q"] == revenue
    assert frame["partners"].sum() == 10


def test_what_if_reproduces_earned_tier_at_every_as_of(tiny_db):
    for as_of in ("2024-Q4", "2025-Q3", "2025-Q4"):
        frame = q(tiny_db, "tiers_what_if", as_of, floor_platinum=None, floor_gold=None,
                  floor_silver=None)  # fmt: skip
        assert frame["changed_partners"][0] == 0, as_of


def test_velocity_marks_are_partners_at_small_scale(tiny_db):
    marks = q(tiny_db, "tiers_velocity")
    # 9 partners with won deals and revenue; P08 has neither and is left off the log axes
    assert marks.height == 9 and set(marks["partners"]) == {1}
    assert "P08" not in marks["partner_id"].to_list()
    p03 = marks.filter(pl.col("partner_id") == "P03").row(0, named=True)
    assert (p03["earned_tier"], p03["won_deals_t4q"], p03["revenue_t4q"]) == (
        "Platinum",
        pytest.approx(5),
        pytest.approx(6_500_000),
    )


def test_no_investments_file(tiny_db_april):
    frame = q(tiny_db_april, "tiers_quadrants", limit=None)
    assert frame["investment_t4q"].sum() == 0
    assert frame["investment_share"].null_count() == frame.height == 4  # 2 tiers, 2 quadrants
    assert q(tiny_db_april, "tiers_program_roi").height == 0
    segments = q(tiny_db_april, "tiers_segments")
    assert segments["revenue_per_invested"].null_count() == segments.height
    # F1 320k and F2 120k (EXPECTED.md, default as-of 2026-Q1): top 10% = top 20% = F1
    conc = tier_charts.concentration_kpis(q(tiny_db_april, "tiers_concentration"))
    assert set(conc) == {"current"}  # the data does not reach back eight quarters
    assert conc["current"]["top20_share"] == pytest.approx(320 / 440)
    assert conc["current"]["hhi"] == pytest.approx(10_000 * (320**2 + 120**2) / 440**2)  # 6,033


def test_nothing_matches(tiny_db):
    empty = {"segment": ["Mixed"], "region": ["North"]}
    for name, extra in (
        ("tiers_matrix", {}),
        ("tiers_mismatches", {"limit": None}),
        ("tiers_concentration", {}),
        ("tiers_velocity", {}),
        ("tiers_quadrants", {"limit": None}),
        ("tiers_program_roi", {}),
        ("tiers_segments", {}),
        ("tiers_movement", {}),
        ("tiers_what_if", {"floor_platinum": None, "floor_gold": None, "floor_silver": None}),
    ):
        assert q(tiny_db, name, **empty, **extra).height == 0, name
