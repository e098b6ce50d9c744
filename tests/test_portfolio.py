"""The portfolio page on the tiny hand-built dataset (tests/data/tiny), default as-of 2025-Q4.

Managers: Ann Lee (P01, P04), Ben Ortiz (P02, P05), Cara Nyman (P03, P06),
Dan Wu (P07, P09, P10), and P08 without a manager. Hand-worked:
- Dan Wu's book: 3 partners (30.0% of 10); revenue 300k + 320k + 400k = 1.02M ($1.0M), 10.6% of
  9.62M; 2025-Q4 attainment over targeted partners P07 50k/100k and P10 100k/100k = 75.0% (P09
  has no target), channel 142.6%; no partner flagged (P07 has a streak of 1).
- Dan Wu's worklist: all OK, so by shortfall: P07 (50k short), then tier mismatch: P09 (holds
  Platinum, earns Silver: gap 2) before P10 (holds Registered, earns Silver: gap -1).
- Manager comparison (2025-Q4 targeted revenue / target):
  Cara Nyman 2 partners, 6.77M, (2.0M + 150k) / (1.0M + 100k) = 195.5%, 1 flagged (P06);
  Ben Ortiz 2, 1.23M, 300k / (250k + 200k) = 66.7%, 1 flagged (P05);
  Dan Wu 3, 1.02M, 75.0%, 0; Ann Lee 2, 600k, (100k + 80k) / 200k = 90.0%, 1 flagged (P04);
  (no manager) 1 partner (P08), revenue 0, no attainment (its only target is 0).
"""

from __future__ import annotations

import pytest

from channel.runner import run
from tests.helpers import NO_FILTERS

PAGE = "pages/portfolio.py"


def open_portfolio(app_on, db, **qp):
    return app_on(db, **qp).switch_page(PAGE).run()


def test_book_of_one_manager(tiny_db, app_on):
    at = open_portfolio(app_on, tiny_db, partner_manager="Dan Wu")
    assert not at.exception
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    assert shown["Partners"] == ("3", "30.0% of the channel")
    assert shown["Revenue, last 4 quarters"] == ("$1.0M", "10.6% of the channel")
    assert shown["Attainment 2025-Q4"] == ("75.0%", "channel 142.6%")
    assert shown["Partners not OK"] == ("0", "0.0% vs channel 30.0%")
    worklist = next(d.value for d in at.dataframe if "shortfall" in d.value.columns)
    assert worklist["partner_id"].tolist() == ["P07", "P09", "P10"]
    assert worklist["shortfall"].tolist() == [50_000.0, 0.0, 0.0]
    assert worklist["partner_link"].tolist()[0] == "partner?partner=P07"
    # leadership's comparison is hidden for a single manager
    assert "Partner managers compared" not in [s.value for s in at.subheader]
    assert len(at.get("plotly_chart")) == 2


def test_manager_comparison_by_hand(tiny_db):
    frame = run("manager_comparison", db=tiny_db, as_of=None, **NO_FILTERS)
    rows = {r["partner_manager"]: r for r in frame.iter_rows(named=True)}
    assert list(rows) == ["Cara Nyman", "Ben Ortiz", "Dan Wu", "Ann Lee", "(no manager)"]
    expected = {
        "Cara Nyman": (2, 6_770_000, 2_150_000 / 1_100_000, 1),
        "Ben Ortiz": (2, 1_230_000, 300_000 / 450_000, 1),
        "Dan Wu": (3, 1_020_000, 0.75, 0),
        "Ann Lee": (2, 600_000, 0.9, 1),
    }
    for manager, (partners, revenue, attainment, flagged) in expected.items():
        row = rows[manager]
        assert (row["partners"], row["flagged"]) == (partners, flagged)
        assert row["revenue_t4q"] == pytest.approx(revenue)
        assert row["attainment"] == pytest.approx(attainment)
    nobody = rows["(no manager)"]
    assert nobody["partners"] == 1 and nobody["attainment"] is None
    assert rows["Ann Lee"]["smb"] == 2 and rows["Ann Lee"]["main_segment"] == "SMB"


def test_all_managers_shows_comparison_and_full_worklist(tiny_db, app_on):
    at = open_portfolio(app_on, tiny_db)
    assert not at.exception
    assert not at.metric  # no book without a manager
    assert any("Choose a partner manager" in i.value for i in at.info)
    worklist = next(d.value for d in at.dataframe if "shortfall" in d.value.columns)
    assert worklist["partner_id"].tolist()[:3] == ["P06", "P05", "P04"]  # review, at risk, watch
    assert len(worklist) == 10
    assert "Partner managers compared" in [s.value for s in at.subheader]


def test_page_picker_syncs_with_the_sidebar_filter(tiny_db, app_on):
    at = open_portfolio(app_on, tiny_db)
    at.multiselect(key="portfolio_managers").set_value(["Ann Lee"]).run()
    assert not at.exception
    assert at.multiselect(key="partner_manager").value == ["Ann Lee"]
    assert {m.label: m.value for m in at.metric}["Partners"] == "2"
    # and the other way: the sidebar drives the page picker
    at.multiselect(key="partner_manager").set_value(["Ben Ortiz", "Cara Nyman"]).run()
    assert at.multiselect(key="portfolio_managers").value == ["Ben Ortiz", "Cara Nyman"]
    assert "Partner managers compared" in [s.value for s in at.subheader]


@pytest.mark.parametrize("segment", ["SMB", "Midmarket", "Enterprise", "Mixed"])
def test_each_segment(tiny_db, app_on, segment):
    at = open_portfolio(app_on, tiny_db, segment=segment)
    assert not at.exception
    worklist = next(d.value for d in at.dataframe if "shortfall" in d.value.columns)
    assert set(worklist["segment"]) == {segment}


def test_no_partner_matches(tiny_db, app_on):
    at = open_portfolio(app_on, tiny_db, segment="Mixed", partner_manager="Ann Lee")
    assert not at.exception
    assert any("No partners match these filters" in i.value for i in at.info)
    assert not at.dataframe


def test_hostile_manager_in_url(tiny_db, app_on):
    at = app_on(tiny_db, partner_manager=["<script>x</script>", "Dan Wu"])
    assert any("partner manager" in w.value for w in at.warning)  # said once, on arrival
    at.switch_page(PAGE).run()
    assert not at.exception
    assert at.multiselect(key="partner_manager").value == ["Dan Wu"]
    assert at.multiselect(key="portfolio_managers").value == ["Dan Wu"]
