"""Missed targets: the queries on the tiny hand-built dataset (the chart builders are in
tests/test_missed_targets_charts.py, the page in tests/test_missed_targets_page.py).

Every expected number below is worked out by hand from tests/data/tiny/*.csv and EXPECTED.md
(default settings: miss below 100%, watch 2 in a row, at risk 3 in a row, review 6 of the last 8).
The grid of quarters runs 2024-Q1 .. 2026-Q1 (P03's won deal of 2026-01-15 stretches it), so
"the last 8 quarters" as of 2025-Q4 is 2024-Q1 .. 2025-Q4 and as of 2024-Q4 only 2024-Q1 .. Q4.

Hit (H) / miss (M) / skip (-, no target or a target of 0) per partner, 2024-Q1 .. 2025-Q4:
    P01 H H H H  H H H H      P02 H H H H  H H M H      P03 H H H H  H H H H
    P04 H H H H  H H M M      P05 H H H M  M - - M      P06 H M M M  M M M H
    P07 H H M M  M M H M      P08 - - - -  - - - -      P09 - - - -  H H H -
    P10 - - - -  H H H H
"""

from __future__ import annotations

import polars as pl
import pytest

from channel.runner import run
from tests.helpers import NO_FILTERS


def q(db, name: str, as_of: str | None = None, **params) -> pl.DataFrame:
    return run(name, db=db, as_of=as_of, **{**NO_FILTERS, **params})


def lists(frame: pl.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"watch": [], "at_risk": [], "replace_review": []}
    for pid, status in frame.select("partner_id", "status").iter_rows():
        out[status].append(pid)
    return out


# ---------------------------------------------------------------------------------------------
# Status lists


def test_status_lists_as_of_2025_q4(tiny_db):
    frame = q(tiny_db, "missed_status_list", limit=None, as_of="2025-Q4")
    # P04: misses 2025-Q3, Q4 after a hit -> streak 2, 2 of 8 -> watch.
    # P05: 2025-Q4 M, Q3 and Q2 skipped, Q1 M, 2024-Q4 M, 2024-Q3 H -> streak 3, 3 of 8 -> at risk.
    # P06: six misses 2024-Q2..2025-Q3, then a hit -> streak 0, 6 of 8 -> replacement review.
    # P07: streak 1 (the 2025-Q3 hit ends it), 5 of 8 < 6 -> ok, so in no list.
    assert lists(frame) == {"watch": ["P04"], "at_risk": ["P05"], "replace_review": ["P06"]}
    # most revenue first: P04 350k, P06 270k, P05 230k
    assert frame["partner_id"].to_list() == ["P04", "P06", "P05"]
    p05 = frame.filter(pl.col("partner_id") == "P05").row(0, named=True)
    # a quarter without a target neither breaks the streak nor counts as a miss:
    # streak 3 (not 1) and missed_last_8 3 (not 5); 6 of the 8 quarters had a target
    assert (p05["missed_streak"], p05["missed_last_8"], p05["targeted_last_8"]) == (3, 3, 6)
    assert p05["last_attainment"] == 0.0 and p05["last_target_quarter"] == "2025-Q4"
    # 2024: 200/200, 250/200, 200/200, 100/200; 2025-Q1 150/200; Q2, Q3 left out; Q4 0/200
    assert p05["attainment_trend"] == [1.0, 1.25, 1.0, 0.5, 0.75, 0.0]
    assert (p05["segment"], p05["partner_manager"], p05["program_tier"]) == (
        "Enterprise",
        "Ben Ortiz",
        "Gold",
    )
    assert p05["earned_tier"] == "Registered"  # 230k < 250k
    p06 = frame.filter(pl.col("partner_id") == "P06").row(0, named=True)
    assert p06["attainment_trend"] == [1.0, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 1.5]
    assert (p06["missed_streak"], p06["missed_last_8"], p06["last_attainment"]) == (0, 6, 1.5)
    p04 = frame.filter(pl.col("partner_id") == "P04").row(0, named=True)
    assert p04["attainment_trend"] == [1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 0.5, 0.8]


def test_status_lists_as_of_2024_q4(tiny_db):
    frame = q(tiny_db, "missed_status_list", limit=None, as_of="2024-Q4")
    # P06: 2024-Q2..Q4 missed -> streak 3 -> at risk; P07: Q3, Q4 missed -> watch;
    # P05: only 2024-Q4 missed -> streak 1 -> ok. Nobody has 6 misses in 4 quarters.
    assert lists(frame) == {"watch": ["P07"], "at_risk": ["P06"], "replace_review": []}
    p07 = frame.filter(pl.col("partner_id") == "P07").row(0, named=True)
    assert p07["attainment_trend"] == [1.0, 1.0, 0.5, 0.5]  # only 4 quarters of data
    assert (p07["missed_streak"], p07["missed_last_8"], p07["targeted_last_8"]) == (2, 2, 4)


def test_status_lists_are_exclusive_and_skip_quarters_without_target(tiny_db):
    frame = q(tiny_db, "missed_status_list", limit=None, as_of="2025-Q3")
    # P06 has a streak of 6 (at-risk territory) and 6 of 8 missed: only replacement review.
    # P05: 2025-Q3 (no row) and Q2 (target 0) skipped, 2025-Q1 and 2024-Q4 missed -> watch.
    assert lists(frame) == {"watch": ["P05"], "at_risk": [], "replace_review": ["P06"]}
    p05 = frame.filter(pl.col("partner_id") == "P05").row(0, named=True)
    # the as-of quarter has no target: the last attainment is 2025-Q1's 150k / 200k
    assert (p05["last_attainment"], p05["last_target_quarter"]) == (0.75, "2025-Q1")


@pytest.mark.parametrize(
    ("filters", "as_of", "expected"),
    [
        ({"segment": ["SMB"]}, "2025-Q4", {"watch": ["P04"], "at_risk": [], "replace_review": []}),
        (
            {"partner_manager": ["Dan Wu"]},
            "2024-Q4",
            {"watch": ["P07"], "at_risk": [], "replace_review": []},
        ),
        (
            {"segment": ["Enterprise", "Midmarket"]},
            "2025-Q4",
            {"watch": [], "at_risk": ["P05"], "replace_review": ["P06"]},
        ),
    ],
)
def test_status_lists_follow_the_filters(tiny_db, filters, as_of, expected):
    assert lists(q(tiny_db, "missed_status_list", limit=None, as_of=as_of, **filters)) == expected


def test_status_lists_bring_only_the_rows_shown(tiny_db):
    # as of 2025-Q2: P07 (200k) and P06 (160k) are at risk, P05 on watch
    full = q(tiny_db, "missed_status_list", limit=None, as_of="2025-Q2")
    assert full.select("partner_id", "status", "status_partners").rows() == [
        ("P05", "watch", 1),
        ("P07", "at_risk", 2),
        ("P06", "at_risk", 2),
    ]
    one = q(tiny_db, "missed_status_list", limit=1, as_of="2025-Q2")
    # one row per status, the most revenue first, and the count before the limit
    assert one.select("partner_id", "status", "status_partners").rows() == [
        ("P05", "watch", 1),
        ("P07", "at_risk", 2),
    ]
    assert one.row(1, named=True) == full.row(1, named=True)


# ---------------------------------------------------------------------------------------------
# Miss rate and shortfall

# all segments, 2024-Q1 .. 2025-Q4: (targeted, missed, shortfall)
#   2024-Q1..Q4: P01..P07 have targets (7).
#   2024-Q2: P06 40k/100k -> 60k.  2024-Q3: P06 60k + P07 50k/100k 50k = 110k.
#   2024-Q4: P05 100k/200k 100k + P06 60k + P07 50k = 210k.
#   2025-Q1: 9 targeted (P09, P10 join); P05 150k/200k 50k + P06 60k + P07 50k = 160k.
#   2025-Q2: 8 (P05's target is 0); P06 60k + P07 50k = 110k.
#   2025-Q3: 8 (P05 has no row); P02 200k/250k 50k + P04 50k + P06 60k = 160k.
#   2025-Q4: 8 (P08's 0 and P09's missing target drop out); P04 20k + P05 200k + P07 50k = 270k.
ALL_SEGMENTS_2025_Q4 = {
    "2024-Q1": (7, 0, 0.0),
    "2024-Q2": (7, 1, 60_000.0),
    "2024-Q3": (7, 2, 110_000.0),
    "2024-Q4": (7, 3, 210_000.0),
    "2025-Q1": (9, 3, 160_000.0),
    "2025-Q2": (8, 2, 110_000.0),
    "2025-Q3": (8, 3, 160_000.0),
    "2025-Q4": (8, 3, 270_000.0),
}


def test_miss_rate_per_quarter_all_segments(tiny_db):
    frame = q(tiny_db, "missed_rate_by_quarter", "2025-Q4", quarters=8)
    total = frame.filter(pl.col("is_total"))
    assert set(total["segment"]) == {"All segments"}
    got = {
        r["fiscal_quarter"]: (r["targeted_partners"], r["missed_partners"], r["shortfall"])
        for r in total.iter_rows(named=True)
    }
    assert got == ALL_SEGMENTS_2025_Q4
    rates = dict(total.select("fiscal_quarter", "miss_rate").iter_rows())
    assert rates["2025-Q4"] == pytest.approx(3 / 8)
    assert rates["2025-Q1"] == pytest.approx(3 / 9)
    assert rates["2024-Q1"] == 0.0
    assert "2026-Q1" not in rates  # later data never leaks in


def test_miss_rate_per_segment(tiny_db):
    frame = q(tiny_db, "missed_rate_by_quarter", "2025-Q4", quarters=2)
    got = {
        (r["fiscal_quarter"], r["segment"]): (
            r["targeted_partners"],
            r["missed_partners"],
            r["shortfall"],
        )
        for r in frame.filter(~pl.col("is_total")).iter_rows(named=True)
    }
    assert got == {
        # 2025-Q3: SMB P01 H, P04 50k/100k M, P10 H; Midmarket P02 M 50k, P06 M 60k, P09 H;
        # Enterprise P03 H, P07 H (P05 has no target)
        ("2025-Q3", "SMB"): (3, 1, 50_000.0),
        ("2025-Q3", "Midmarket"): (3, 2, 110_000.0),
        ("2025-Q3", "Enterprise"): (2, 0, 0.0),
        # 2025-Q4: SMB P04 80k/100k; Midmarket P02 and P06 hit (P09 no target);
        # Enterprise P05 0/200k and P07 50k/100k. Mixed: P08's target is 0 -> no row at all.
        ("2025-Q4", "SMB"): (3, 1, 20_000.0),
        ("2025-Q4", "Midmarket"): (2, 0, 0.0),
        ("2025-Q4", "Enterprise"): (3, 2, 250_000.0),
    }


def test_miss_rate_in_the_earlier_fiscal_year_and_with_a_filter(tiny_db):
    frame = q(tiny_db, "missed_rate_by_quarter", "2024-Q4", quarters=8, segment=["Enterprise"])
    # only 2024 exists before 2024-Q4; Enterprise = P03 (hits), P05, P07
    total = frame.filter(pl.col("is_total"))
    assert total["fiscal_quarter"].to_list() == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert total["missed_partners"].to_list() == [0, 0, 1, 2]  # Q3 P07; Q4 P05 and P07
    assert total["shortfall"].to_list() == [0.0, 0.0, 50_000.0, 150_000.0]
    assert total["targeted_partners"].to_list() == [3, 3, 3, 3]


# ---------------------------------------------------------------------------------------------
# Recovery

# Episodes (the quarter a streak reaches 2 or 3), up to 2025-Q4:
#   P04 reaches 2 at 2025-Q4 (nothing after it is observed).
#   P05 reaches 2 at 2025-Q1; 2025-Q2 (target 0) and Q3 (no target) are no hit; 4 quarters
#       after it would end in 2026-Q1 > 2025-Q4. It reaches 3 at 2025-Q4.
#   P06 reaches 2 at 2024-Q3 (next hit 2025-Q4: 5 quarters later) and 3 at 2024-Q4 (4 later).
#   P07 reaches 2 at 2024-Q4 and 3 at 2025-Q1; next hit 2025-Q3 (3 and 2 quarters later).
RECOVERY_2025_Q4 = {
    # (level, segment, horizon): (episodes observed, recovered, censored)
    (2, "All segments", 1): (3, 0, 1),  # P05, P06, P07 observed; P04 too recent
    (2, "All segments", 2): (3, 0, 1),
    (2, "All segments", 4): (2, 1, 2),  # P06 no, P07 yes (2025-Q3); P04, P05 too recent
    (2, "SMB", 1): (0, 0, 1),
    (2, "SMB", 2): (0, 0, 1),
    (2, "SMB", 4): (0, 0, 1),
    (2, "Midmarket", 1): (1, 0, 0),
    (2, "Midmarket", 2): (1, 0, 0),
    (2, "Midmarket", 4): (1, 0, 0),
    (2, "Enterprise", 1): (2, 0, 0),
    (2, "Enterprise", 2): (2, 0, 0),
    (2, "Enterprise", 4): (1, 1, 1),
    (3, "All segments", 1): (2, 0, 1),  # P06 (2024-Q4), P07 (2025-Q1); P05 too recent
    (3, "All segments", 2): (2, 1, 1),  # P07 hits 2025-Q3
    (3, "All segments", 4): (1, 1, 2),  # P06 hits 2025-Q4; P07's window ends 2026-Q1
    (3, "Midmarket", 1): (1, 0, 0),
    (3, "Midmarket", 2): (1, 0, 0),
    (3, "Midmarket", 4): (1, 1, 0),
    (3, "Enterprise", 1): (1, 0, 1),
    (3, "Enterprise", 2): (1, 1, 1),
    (3, "Enterprise", 4): (0, 0, 2),
}


def recovery(frame: pl.DataFrame) -> dict:
    return {
        (r["reached_streak"], r["segment"], r["horizon_quarters"]): (
            r["episodes"],
            r["recovered"],
            r["censored"],
        )
        for r in frame.iter_rows(named=True)
    }


def test_recovery_over_the_whole_history(tiny_db):
    frame = q(tiny_db, "missed_recovery", "2025-Q4")
    assert recovery(frame) == RECOVERY_2025_Q4
    rate = {
        (r["reached_streak"], r["segment"], r["horizon_quarters"]): r["recovery_rate"]
        for r in frame.iter_rows(named=True)
    }
    assert rate[(2, "All segments", 4)] == 0.5
    assert rate[(3, "All segments", 2)] == 0.5
    assert rate[(3, "All segments", 4)] == 1.0
    assert rate[(2, "SMB", 1)] is None  # nothing observed yet: no rate, not 0%


def test_recovery_is_right_censored_at_an_earlier_as_of(tiny_db):
    # as of 2024-Q4: P06 reached 2 in 2024-Q3 and missed 2024-Q4 (0 of 1); P07 reached 2 and
    # P06 reached 3 in 2024-Q4 itself, so nothing about them is observed yet
    frame = q(tiny_db, "missed_recovery", "2024-Q4")
    got = recovery(frame.filter(pl.col("is_total")))
    assert got == {
        (2, "All segments", 1): (1, 0, 1),
        (2, "All segments", 2): (0, 0, 2),
        (2, "All segments", 4): (0, 0, 2),
        (3, "All segments", 1): (0, 0, 1),
        (3, "All segments", 2): (0, 0, 1),
        (3, "All segments", 4): (0, 0, 1),
    }


def test_recovery_follows_the_filters(tiny_db):
    frame = q(tiny_db, "missed_recovery", "2025-Q4", partner_manager=["Dan Wu"])  # P07 only
    got = recovery(frame.filter(pl.col("is_total")))
    assert got[(2, "All segments", 4)] == (1, 1, 0)
    assert got[(3, "All segments", 2)] == (1, 1, 0)
    assert got[(3, "All segments", 4)] == (0, 0, 1)
    assert q(tiny_db, "missed_recovery", "2025-Q4", segment=["Mixed"]).height == 0


# ---------------------------------------------------------------------------------------------
# Streaks, chronic grid, heatmap


def test_streak_distribution(tiny_db):
    frame = q(tiny_db, "missed_streak_distribution", "2025-Q4")
    got = {(r["segment"], r["streak_bucket"]): r["partners"] for r in frame.iter_rows(named=True)}
    # streaks: P04 2, P05 3, P07 1, everyone else 0 (P08 and P09 have no target: 0)
    assert got == {
        ("SMB", 0): 2,
        ("SMB", 2): 1,
        ("Midmarket", 0): 3,
        ("Enterprise", 0): 1,
        ("Enterprise", 1): 1,
        ("Enterprise", 3): 1,
        ("Mixed", 0): 1,
    }
    earlier = q(tiny_db, "missed_streak_distribution", "2024-Q4")
    got = {(r["segment"], r["streak_bucket"]): r["partners"] for r in earlier.iter_rows(named=True)}
    assert got[("Midmarket", 3)] == 1 and got[("Enterprise", 2)] == 1  # P06, P07
    assert got[("Enterprise", 1)] == 1 and got[("SMB", 0)] == 3  # P05; P01, P04, P10


def test_chronic_grid(tiny_db):
    frame = q(tiny_db, "missed_chronic_grid", "2025-Q4")
    got = {
        (r["streak_bucket"], r["missed_last_8"]): (r["status"], r["partners"])
        for r in frame.iter_rows(named=True)
    }
    assert got == {
        (0, 0): ("ok", 5),  # P01, P03, P08, P09, P10
        (0, 1): ("ok", 1),  # P02
        (0, 6): ("replace_review", 1),  # P06: chronic although the last quarter hit
        (1, 5): ("ok", 1),  # P07
        (2, 2): ("watch", 1),  # P04: a fresh dip on the diagonal
        (3, 3): ("at_risk", 1),  # P05
    }
    ok = frame.filter((pl.col("streak_bucket") == 0) & (pl.col("missed_last_8") == 0)).row(
        0, named=True
    )
    # largest revenue_t4q first: P03 6.5M, P10 400k, P09 320k (then P01 250k, P08 0)
    assert ok["examples"] == ["Charlie Global", "Juliet Retail IT", "India Tech"]


def test_heatmap_rows_and_cells(tiny_db):
    frame = q(tiny_db, "missed_heatmap", "2025-Q4", quarters=12, limit=60)
    order = frame.unique("row_order").sort("row_order")["partner_id"].to_list()
    # status first (review, at risk, watch, ok), then streak (P07 1), then revenue_t4q:
    # P03 6.5M, P02 1.0M, P10 400k, P09 320k, P01 250k, P08 0
    assert order == ["P06", "P05", "P04", "P07", "P03", "P02", "P10", "P09", "P01", "P08"]
    quarters = sorted(set(frame["fiscal_quarter"]))
    assert quarters[0] == "2024-Q1" and quarters[-1] == "2025-Q4" and len(quarters) == 8
    assert frame["partners_in_scope"].unique().to_list() == [10]
    p05 = dict(
        frame.filter(pl.col("partner_id") == "P05")
        .select("fiscal_quarter", "attainment")
        .iter_rows()
    )
    # no target (a 0 target in Q2, no row in Q3) is null, never 0; a 0-revenue quarter is 0.0
    assert p05["2025-Q2"] is None and p05["2025-Q3"] is None and p05["2025-Q4"] == 0.0


def test_heatmap_caps_rows_flagged_first(tiny_db):
    frame = q(tiny_db, "missed_heatmap", "2025-Q4", quarters=4, limit=5)
    order = frame.unique("row_order").sort("row_order")["partner_id"].to_list()
    # the 3 flagged partners, then the 2 largest of the rest by revenue (P03, P02; not P07)
    assert order == ["P06", "P05", "P04", "P03", "P02"]
    assert sorted(set(frame["fiscal_quarter"])) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert frame["partners_in_scope"][0] == 10
