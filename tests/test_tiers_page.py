"""The Partner tiers page (AppTest) on the tiny hand-built datasets: its tabs, filters, an
earlier as-of quarter, no matching partner and a hostile URL.

Every expected number below was worked out by hand from tests/data/tiny/*.csv and
tests/data/tiny/EXPECTED.md (settings: the default floors), never by running the SQL; the
arithmetic (revenue_t4q, tiers and investments per partner) is in the docstring of
tests/test_tiers_queries.py.
"""

from __future__ import annotations

import json

import pytest

PAGE = "pages/tiers.py"


# ---------------------------------------------------------------------------------------------
# The page (AppTest)


def open_tiers(app_on, db, view: str | None = None, **query_params):
    if view:
        query_params["tiers_view"] = view
    at = app_on(db, **query_params)
    return at.switch_page(PAGE).run()


def metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def figures(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def test_tiers_tab_default(tiny_db, app_on):
    at = open_tiers(app_on, tiny_db)
    assert not at.exception
    assert [t.value for t in at.title] == ["Partner tiers"]
    shown = metrics(at)
    assert shown["Partners in scope"][0] == "10"
    assert shown["Over-tiered"] == ("2", "$550.0K revenue 4Q")
    assert shown["Promotion candidates"] == ("5", "$8.6M revenue 4Q")  # 8.55M
    assert shown["Tier moves since 2024-Q4"] == ("▲ 5", "▼ 1 · 4 kept their tier")
    assert len(at.get("plotly_chart")) == 3  # structure, matrix, movement
    table = at.dataframe[0].value
    assert table["partner_id"].tolist() == ["P05", "P09", "P03", "P02", "P10", "P04", "P07"]
    assert table["partner_link"].tolist()[0] == "partner?partner=P05"
    assert table["finding"].tolist()[:3] == ["Over-tiered", "Over-tiered", "Promotion candidate"]
    assert table.loc[table["partner_id"] == "P05", "status"].item() == "At risk"
    assert any("Download CSV" == b.label for b in at.get("download_button"))


@pytest.mark.parametrize(
    ("segment", "over", "promote", "moves"),
    [
        # SMB: P01 match; P04 350k and P10 400k earn Silver holding Registered.
        # Moves: P01 and P10 Registered -> Silver, P04 stays Silver.
        ("SMB", ("0", "$0 revenue 4Q"), ("2", "$750.0K revenue 4Q"), ("▲ 2", "▼ 0 · 1 kept")),
        # Midmarket: P09 holds Platinum earns Silver; P02 holds Silver earns Gold; P06 match.
        # Moves: P06 and P09 Registered -> Silver, P02 stays Gold.
        (
            "Midmarket",
            ("1", "$320.0K revenue 4Q"),
            ("1", "$1.0M revenue 4Q"),
            ("▲ 2", "▼ 0 · 1 kept"),
        ),
        # Enterprise: P05 holds Gold earns Registered; P03 (6.5M) and P07 (300k) earn more.
        # Moves: P03 Gold -> Platinum, P05 Silver -> Registered, P07 stays Silver.
        (
            "Enterprise",
            ("1", "$230.0K revenue 4Q"),
            ("2", "$6.8M revenue 4Q"),
            ("▲ 1", "▼ 1 · 1 kept"),
        ),
        # Mixed: P08 holds no tier and earns Registered: a match. Stays Registered.
        ("Mixed", ("0", "$0 revenue 4Q"), ("0", "$0 revenue 4Q"), ("▲ 0", "▼ 0 · 1 kept")),
    ],
)
def test_each_segment(tiny_db, app_on, segment, over, promote, moves):
    at = open_tiers(app_on, tiny_db, segment=segment)
    assert not at.exception
    shown = metrics(at)
    assert shown["Over-tiered"] == over
    assert shown["Promotion candidates"] == promote
    value, delta = shown["Tier moves since 2024-Q4"]
    assert (value, delta.removesuffix(" their tier")) == moves
    assert len(at.get("plotly_chart")) == 3
    if segment == "Mixed":
        assert any("holds the tier it earns" in s.value for s in at.success)


def test_concentration_tab_for_a_segment(tiny_db, app_on):
    at = open_tiers(app_on, tiny_db, "Concentration and velocity", segment="SMB")
    assert not at.exception
    shown = metrics(at)
    # SMB now: P10 400k, P04 350k, P01 250k of 1.0M; 3 partners -> top 10% and top 20% = P10.
    # 2024-Q4: P04 400k, P01 200k, P10 0 of 600k -> P04 holds 66.7%; change -26.7 pp.
    assert shown["Top-10% revenue share"] == ("40.0%", "-26.7 pp")
    assert shown["Top-20% revenue share"] == ("40.0%", "-26.7 pp")
    # HHI: 40² + 35² + 25² = 3,450; before: 66.67² + 33.33² = 5,556 -> -2,106
    assert shown["Herfindahl–Hirschman index"] == ("3,450", "-2,106")
    quadrants = at.dataframe[0].value
    assert quadrants["quadrant"].tolist() == [
        "High velocity / low volume",
        "Low velocity / high volume",
        "Low velocity / low volume",
    ]
    assert len(at.get("plotly_chart")) == 2


def test_concentration_tab_all_partners(tiny_db, app_on):
    at = open_tiers(app_on, tiny_db, "Concentration and velocity")
    assert not at.exception
    shown = metrics(at)
    # 67.6% vs 57.4% -> +10.2 pp; 78.0% vs 71.7% -> +6.2 pp; HHI 4,745 vs 3,687 -> +1,058
    assert shown["Top-10% revenue share"] == ("67.6%", "+10.2 pp")
    assert shown["Top-20% revenue share"] == ("78.0%", "+6.2 pp")
    assert shown["Herfindahl–Hirschman index"] == ("4,745", "+1,058")
    quadrants = at.dataframe[0].value
    assert quadrants["partners"].tolist() == [2, 1, 2, 4, 1]
    curve, scatter = figures(at)
    # one WebGL trace per earned tier on the chart: P03 Platinum, P02 Gold, 6 Silver, P05
    assert [t["name"] for t in scatter["data"]] == ["Platinum", "Gold", "Silver", "Registered"]
    assert {t["type"] for t in scatter["data"]} == {"scattergl"}
    assert any("1 partners with no won deal" in c.value for c in at.caption)


def test_resources_tab(tiny_db, app_on):
    at = open_tiers(app_on, tiny_db, "Resources and segments")
    assert not at.exception
    flagged, segments = (d.value for d in at.dataframe)
    assert flagged["partner_id"].tolist() == ["P05"]
    assert segments["segment"].tolist()[-1] == "All segments"
    assert len(at.get("plotly_chart")) == 3  # per tier, per quadrant, per program
    assert any("$8.0K" in c.value for c in at.caption)  # the significance threshold


def test_resources_tab_without_investments(tiny_db_april, app_on):
    at = open_tiers(app_on, tiny_db_april, "Resources and segments")
    assert not at.exception
    assert any("No investments were loaded" in i.value for i in at.info)
    assert not at.get("plotly_chart")
    segments = at.dataframe[0].value
    # F2 (SMB) 120k, F1 (Enterprise) 320k as of 2026-Q1 (EXPECTED.md)
    assert segments["segment"].tolist() == ["SMB", "Enterprise", "All segments"]
    assert segments["revenue_t4q"].tolist() == [120_000, 320_000, 440_000]


def test_what_if_tab(tiny_db, app_on):
    at = open_tiers(app_on, tiny_db, "What-if floors")
    assert not at.exception
    assert metrics(at)["Would change tier"][0] == "0"
    silver = at.select_slider(key="tiers_floor_silver")
    assert silver.value == 250_000
    silver.set_value(300_000.0).run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Would change tier"][0] == "2"  # P01, P06
    assert shown["Their revenue 4Q"][0] == "$520.0K"
    assert (shown["Would climb"][0], shown["Would drop"][0]) == ("▲ 0", "▼ 2")
    assert "tiers_floor_silver" not in at.query_params  # session only, never in the URL
    at.button(key="tiers_floor_reset").click().run()
    assert metrics(at)["Would change tier"][0] == "0"
    # floors out of order: a warning, no recount
    at.select_slider(key="tiers_floor_gold").set_value(6_000_000.0).run()
    assert any("Platinum ≥ Gold ≥ Silver" in w.value for w in at.warning)


def test_earlier_as_of(tiny_db, app_on):
    at = open_tiers(app_on, tiny_db, as_of="2024-Q4")
    assert not at.exception
    shown = metrics(at)
    # 2024-Q4 earned tiers (EXPECTED.md): P02, P03 Gold; P04, P05, P07 Silver; the rest
    # Registered. Over-tiered (held -> earned): P01 Silver -> Registered 200k, P05 Gold -> Silver
    # 750k, P06 Silver -> Registered 220k, P09 Platinum -> Registered 0 = 4, 1,170k.
    # Promotion: P02 Silver -> Gold 1,000k, P04 and P07 Registered -> Silver 400k + 300k = 3.
    # P03 (Gold), P08 ((none) ~ Registered) and P10 (Registered) match.
    assert shown["Over-tiered"] == ("4", "$1.2M revenue 4Q")
    assert shown["Promotion candidates"] == ("3", "$1.7M revenue 4Q")
    assert any("does not reach four quarters" in i.value for i in at.info)
    at = open_tiers(app_on, tiny_db, "Concentration and velocity", as_of="2024-Q4")
    assert not at.exception
    assert metrics(at)["Top-20% revenue share"] == ("71.7%", "")
    assert any("No comparison" in c.value for c in at.caption)


def test_no_partner_matches(tiny_db, app_on):
    at = open_tiers(app_on, tiny_db, "Concentration and velocity", segment="Mixed", region="North")
    assert not at.exception
    assert any("No partners match these filters" in i.value for i in at.info)
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe


def test_hostile_url(tiny_db, app_on):
    at = open_tiers(
        app_on,
        tiny_db,
        "<script>alert(1)</script>",
        segment="' OR 1=1 --",
        partner_manager=["Dan Wu", "x' --"],
    )
    assert not at.exception
    # the unknown values are dropped (the Overview test checks the notice on the first page),
    # the unknown tab falls back to the first one; Dan Wu's P07, P09, P10 remain
    assert at.multiselect(key="segment").value == []
    assert at.multiselect(key="partner_manager").value == ["Dan Wu"]
    shown = metrics(at)
    assert shown["Partners in scope"][0] == "3"
    assert shown["Over-tiered"][0] == "1"  # P09
    assert shown["Promotion candidates"][0] == "2"  # P07, P10


@pytest.mark.parametrize("view", ["Concentration and velocity", "Resources and segments"])
@pytest.mark.parametrize("segment", ["SMB", "Midmarket", "Enterprise", "Mixed"])
def test_every_tab_for_every_segment(tiny_db, app_on, view, segment):
    at = open_tiers(app_on, tiny_db, view, segment=segment)
    assert not at.exception
    if segment == "Mixed":  # P08 alone: no won revenue and no investment in the window
        notes = " ".join(i.value for i in at.info)
        assert ("No won revenue" in notes) or ("received investment" in notes)
    else:
        assert at.get("plotly_chart")


def test_every_tab_on_an_april_fiscal_year(tiny_db_april, app_on):
    for view in ("Tiers", "Concentration and velocity", "What-if floors"):
        at = open_tiers(app_on, tiny_db_april, view)
        assert not at.exception, view
        assert at.get("plotly_chart"), view
