"""AppTest of the Overview page on the tiny hand-built dataset (tests/data/tiny/EXPECTED.md).

Expected figures, worked by hand from EXPECTED.md (default as-of 2025-Q4):
- revenue_t4q per partner: P01 250k, P02 1.0M, P03 6.5M, P04 350k, P05 230k, P06 270k,
  P07 300k, P08 0, P09 320k, P10 400k -> 9,620,000 ($9.6M).
- previous four quarters (the 2024-Q4 scorecard): 200k+1.0M+4.0M+400k+750k+220k+300k+100k
  = 6,970,000, so the change is 9.62/6.97 - 1 = +38.0%.
- active partners: all but P08 (no won deal in 2025) -> 9 of 10.
- attainment 2025-Q4 over partners with a target > 0 (P08's is 0, P09 has none):
  revenue 100+300+2000+80+0+150+50+100 = 2,780k over target 100+250+1000+100+200+100+100+100
  = 1,950k -> 142.6%.
- top 20%: ceil(10 x 0.2) = 2 partners, P03 + P02 = 7.5M of 9.62M -> 78.0%.
- statuses: watch P04, at_risk P05, replace_review P06.
"""

from __future__ import annotations

import shutil

import pytest

DEFAULT = {
    "Revenue, last 4 quarters": "$9.6M",
    "Active partners": "9",
    "Attainment 2025-Q4": "142.6%",
    "Top-20% revenue share": "78.0%",
    "Partners on watch": "1",
    "Partners at risk": "1",
    "Replacement review": "1",
}


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_default_view_matches_hand_worked_figures(tiny_db, app_on):
    at = app_on(tiny_db)
    assert not at.exception
    assert metrics(at) == DEFAULT
    revenue = next(m for m in at.metric if m.label == "Revenue, last 4 quarters")
    assert revenue.delta == "38.0%"
    # attention list: most severe first
    table = at.dataframe[0].value
    assert table["partner_id"].tolist() == ["P06", "P05", "P04"]
    assert table["status"].tolist() == ["Replacement review", "At risk", "Watch"]
    assert len(at.get("plotly_chart")) == 2
    header = at.markdown[0].value
    assert "As of 2025-Q4" in header and "(default)" in header and "all partners" in header


@pytest.mark.parametrize(
    ("segment", "revenue", "active", "statuses"),
    [
        # SMB: P01 250k + P04 350k + P10 400k; P04 is on watch
        ("SMB", "$1.0M", "3", ("1", "0", "0")),
        # Midmarket: P02 1.0M + P06 270k + P09 320k; P06 replacement review
        ("Midmarket", "$1.6M", "3", ("0", "0", "1")),
        # Enterprise: P03 6.5M + P05 230k + P07 300k; P05 at risk
        ("Enterprise", "$7.0M", "3", ("0", "1", "0")),
        # Mixed: P08 only, no won deal in the window
        ("Mixed", "$0", "0", ("0", "0", "0")),
    ],
)
def test_each_segment(tiny_db, app_on, segment, revenue, active, statuses):
    at = app_on(tiny_db, segment=segment)
    assert not at.exception
    shown = metrics(at)
    assert shown["Revenue, last 4 quarters"] == revenue
    assert shown["Active partners"] == active
    assert (
        shown["Partners on watch"],
        shown["Partners at risk"],
        shown["Replacement review"],
    ) == statuses
    assert at.multiselect(key="segment").value == [segment]


def test_two_segments_combine_with_or(tiny_db, app_on):
    at = app_on(tiny_db, segment=["SMB", "Midmarket"])
    assert not at.exception
    assert metrics(at)["Revenue, last 4 quarters"] == "$2.6M"  # 1.0M + 1.59M


def test_as_of_in_earlier_fiscal_year(tiny_db, app_on):
    at = app_on(tiny_db, as_of="2024-Q4")
    assert not at.exception
    shown = metrics(at)
    # 2024-Q4 scorecard: revenue 6.97M; P06 at risk (streak 3), P07 watch (streak 2)
    assert shown["Revenue, last 4 quarters"] == "$7.0M"
    assert shown["Attainment 2024-Q4"] != DEFAULT["Attainment 2025-Q4"]
    assert (shown["Partners on watch"], shown["Partners at risk"]) == ("1", "1")
    assert shown["Replacement review"] == "0"
    # the data starts in 2024-Q1: there is no previous four quarters to compare with
    revenue = next(m for m in at.metric if m.label == "Revenue, last 4 quarters")
    assert revenue.delta is None or revenue.delta == ""
    assert "As of 2024-Q4" in at.markdown[0].value
    assert at.selectbox(key="as_of").value == "2024-Q4"


def test_hostile_url_falls_back_with_a_notice(tiny_db, app_on):
    at = app_on(
        tiny_db,
        segment="' OR 1=1 --",
        region="<" + "x" * 5000,
        as_of="2025-Q9",
        partner_manager=["Dan Wu", "'; drop table partners; --"],
    )
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "segment" in warnings and "region" in warnings and "as-of quarter" in warnings
    assert "x" * 100 not in warnings  # the 5,000-character value is cut short
    # unknown values are dropped, the valid one is kept
    assert at.multiselect(key="partner_manager").value == ["Dan Wu"]
    assert at.selectbox(key="as_of").value == "2025-Q4"
    # Dan Wu's partners P07, P09, P10: 300k + 320k + 400k
    assert metrics(at)["Revenue, last 4 quarters"] == "$1.0M"


def test_no_partner_matches(tiny_db, app_on):
    at = app_on(tiny_db, segment="Mixed", region="North")  # P08 is in the West
    assert not at.exception
    assert any("No partners match these filters" in i.value for i in at.info)
    assert not at.metric and not at.get("plotly_chart")


def test_missing_database_explains_what_to_do(tmp_path, app_on):
    at = app_on(tmp_path / "absent.duckdb")
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "No database at" in text and "python -m channel demo" in text


def test_corrupt_database_explains_what_to_do(tmp_path, app_on):
    bad = tmp_path / "corrupt.duckdb"
    bad.write_bytes(b"this is not a database" * 100)
    at = app_on(bad)
    assert not at.exception
    assert "cannot be opened" in " ".join(e.value for e in at.error)


def test_database_from_another_version(tmp_path, app_on):
    import duckdb

    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.sql("create table meta as select 0 as schema_version")
    con.close()
    at = app_on(old)
    assert not at.exception
    assert "another version" in " ".join(e.value for e in at.error)


def test_replaced_database_is_picked_up_on_next_rerun(tmp_path, tiny_db, app_on):
    from channel.loader import load
    from tests.helpers import DATA

    live = tmp_path / "live.duckdb"
    shutil.copy(tiny_db, live)
    at = app_on(live)
    assert metrics(at)["Revenue, last 4 quarters"] == "$9.6M"
    # a new load swaps the file; the running app shows the new data on its next rerun
    load(DATA / "tiny_fy_april", live)
    at.run()
    assert not at.exception
    assert metrics(at)["Revenue, last 4 quarters"] != "$9.6M"
