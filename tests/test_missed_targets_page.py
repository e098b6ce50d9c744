"""Missed targets: the page (AppTest) on the tiny hand-built datasets, per segment, for an
earlier as-of quarter, with no matching partner and with a hostile URL.

Every expected number below was worked out by hand from tests/data/tiny/*.csv and
EXPECTED.md, never by running the SQL; the arithmetic is in the docstring of
tests/test_missed_targets_queries.py.
"""

from __future__ import annotations

import pytest

# ---------------------------------------------------------------------------------------------
# AppTests


def open_page(app_on, db, **query_params):
    at = app_on(db, **query_params)
    at.switch_page("pages/missed_targets.py").run()
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


PAGE_TABS = {"Who keeps missing", "Next quarter"}  # the page's own tabs, around the lists


def tab_lists(at) -> dict[str, list[str]]:
    return {
        t.label: [pid for d in t.dataframe for pid in d.value["partner_id"].tolist()]
        for t in at.tabs
        if t.label not in PAGE_TABS
    }


def test_page_default_view(tiny_db, app_on):
    at = open_page(app_on, tiny_db)
    assert not at.exception
    assert at.title[0].value == "Missed targets"
    shown = metrics(at)
    assert shown["Partners on watch"] == "1"
    assert shown["Partners at risk"] == "1"
    assert shown["Replacement review"] == "1"
    assert shown["Miss rate 2025-Q4"] == "37.5%"  # 3 of 8
    assert shown["Shortfall 2025-Q4"] == "$270.0K"
    assert tab_lists(at) == {
        "Replacement review (1)": ["P06"],
        "At risk (1)": ["P05"],
        "Watch (1)": ["P04"],
    }
    assert len(at.get("plotly_chart")) == 5
    text = " ".join(m.value for m in at.markdown)
    assert "below 100% of its target" in text and "6 or more of the last 8" in text
    assert "3 or more missed quarters in a row" in text and "Watch* at 2 or more" in text
    captions = " ".join(c.value for c in at.caption)
    assert "All 10 partners in scope are shown." in captions
    # the recovery headline: level 2, all segments, 4 quarters: 1 of 2 episodes
    assert any("**2** times" in m.value and "**50%**" in m.value for m in at.markdown)
    recovery_table = next(d.value for d in at.dataframe if "within 4 q" in d.value.columns)
    assert recovery_table.iloc[0].tolist() == [
        2,
        "All segments",
        "0% (n = 3)",
        "0% (n = 3)",
        "50% (n = 2)",
    ]


R, A, W = "Replacement review", "At risk", "Watch"


@pytest.mark.parametrize(
    ("segment", "lists_expected", "miss_rate", "shortfall"),
    [
        # SMB 2025-Q4: P04 80k/100k missed of P01, P04, P10 -> 1/3, 20k
        ("SMB", {f"{R} (0)": [], f"{A} (0)": [], f"{W} (1)": ["P04"]}, "33.3%", "$20.0K"),
        # Midmarket: P02 and P06 hit (P09 has no target) -> 0/2
        ("Midmarket", {f"{R} (1)": ["P06"], f"{A} (0)": [], f"{W} (0)": []}, "0.0%", "$0"),
        # Enterprise: P05 0/200k and P07 50k/100k missed of 3 -> 2/3, 250k
        ("Enterprise", {f"{R} (0)": [], f"{A} (1)": ["P05"], f"{W} (0)": []}, "66.7%", "$250.0K"),
        # Mixed: P08's only target is 0, so nothing can be missed
        ("Mixed", {f"{R} (0)": [], f"{A} (0)": [], f"{W} (0)": []}, "–", "–"),
    ],
)
def test_page_per_segment(tiny_db, app_on, segment, lists_expected, miss_rate, shortfall):
    at = open_page(app_on, tiny_db, segment=segment)
    assert not at.exception
    assert tab_lists(at) == lists_expected
    shown = metrics(at)
    assert shown["Miss rate 2025-Q4"] == miss_rate
    assert shown["Shortfall 2025-Q4"] == shortfall
    assert at.multiselect(key="segment").value == [segment]
    if segment == "Mixed":
        infos = " ".join(i.value for i in at.info)
        assert "nothing could be missed" in infos and "can be followed up" in infos
        assert any("No partner in scope is on watch" in s.value for s in at.success)
    else:
        assert len(at.get("plotly_chart")) >= 4


def test_page_as_of_in_the_earlier_fiscal_year(tiny_db, app_on):
    at = open_page(app_on, tiny_db, as_of="2024-Q4")
    assert not at.exception
    assert tab_lists(at) == {
        "Replacement review (0)": [],
        "At risk (1)": ["P06"],
        "Watch (1)": ["P07"],
    }
    shown = metrics(at)
    assert shown["Miss rate 2024-Q4"] == "42.9%"  # 3 of 7
    assert shown["Shortfall 2024-Q4"] == "$210.0K"
    assert at.selectbox(key="as_of").value == "2024-Q4"


def test_page_with_no_matching_partner(tiny_db, app_on):
    at = open_page(app_on, tiny_db, segment="Mixed", region="North")  # P08 is in the West
    assert not at.exception
    assert any("No partners match these filters" in i.value for i in at.info)
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe


def test_page_with_a_hostile_url(tiny_db, app_on):
    at = open_page(
        app_on,
        tiny_db,
        segment="' OR 1=1 --",
        as_of="2025-Q9'; drop table partners; --",
        partner_manager=["Ben Ortiz", "<script>alert(1)</script>"],
    )
    assert not at.exception
    # the unknown values were dropped (app.py says so on the first run); the valid one stays
    assert at.selectbox(key="as_of").value == "2025-Q4"
    assert at.multiselect(key="segment").value == []
    assert at.multiselect(key="partner_manager").value == ["Ben Ortiz"]
    # Ben Ortiz manages P02 (ok) and P05 (at risk)
    assert tab_lists(at) == {
        "Replacement review (0)": [],
        "At risk (1)": ["P05"],
        "Watch (0)": [],
    }


def test_page_with_an_april_fiscal_year(tiny_db_april, app_on):
    at = open_page(app_on, tiny_db_april)
    assert not at.exception
    # default as-of 2026-Q1 (Apr-Jun 2025): F2 missed 2025-Q4 (30k/50k) and 2026-Q1 (40k/50k)
    assert tab_lists(at) == {
        "Replacement review (0)": [],
        "At risk (0)": [],
        "Watch (1)": ["F2"],
    }
    shown = metrics(at)
    assert shown["Miss rate 2026-Q1"] == "50.0%"  # F1 200k/200k hit, F2 missed
    assert shown["Shortfall 2026-Q1"] == "$10.0K"  # 50k - 40k
    # F2's streak reached 2 in the as-of quarter itself: nothing to follow up yet
    assert any("can be followed up" in i.value for i in at.info)
