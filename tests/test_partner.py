"""The partner page and its narrative, on the tiny hand-built dataset (tests/data/tiny).

Hand-worked figures (default as-of 2025-Q4; see tests/data/tiny/EXPECTED.md):
- P06 Foxtrot: 6 of the last 8 missed while 2025-Q4 hit (150k / 100k = 150%): replacement review.
  revenue_t4q 40k+40k+40k+150k = 270k. No contacts. One investment, 2024-Q3 Enablement 3,000,
  inside the last 8 quarters but outside the last 4, so revenue per invested unit is empty.
- P09 India: no target row for 2025-Q4 (attainment empty); targets in 2025-Q1..Q3 all hit.
- P04 Delta: no contacts at all; on watch (missed 2025-Q3 and Q4).
- P03 Charlie: 5 won deals in 2025 for 6.5M -> average 1.3M; Enterprise peers with won deals in
  2025: P03 1.3M, P05 230k/3 = 76,667, P07 300k/4 = 75,000 -> segment median $76.7K.
"""

from __future__ import annotations

import polars as pl
import pytest

from channel import narrative

PAGE = "pages/partner.py"


def open_partner(app_on, db, partner, **qp):
    at = app_on(db, partner=partner, **qp)
    return at.switch_page(PAGE).run()


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_replacement_review_partner(tiny_db, app_on):
    at = open_partner(app_on, tiny_db, "P06")
    assert not at.exception
    assert [h.value for h in at.main.header] == ["Foxtrot Solutions"]
    text = " ".join(m.value for m in at.markdown)
    assert (
        "Missed 6 of the last 8 quarters: replacement review, even though the last quarter hit "
        "target" in text.replace("\\", "")
    )
    shown = metrics(at)
    assert shown["Revenue, last 4 quarters"] == "$270.0K"
    assert shown["Attainment 2025-Q4"] == "150.0%"
    assert shown["Missed in a row / of last 8"] == "0 / 6"
    assert any("No contacts on file" in m.value for m in at.markdown)
    returns = next(d.value for d in at.dataframe if "peer_group" in d.value.columns)
    mine = returns[returns["peer_group"] == "This partner"].iloc[0]
    assert (
        mine["invested_t4q"] == 0 and mine["revenue_per_invested"] != mine["revenue_per_invested"]
    )
    assert len(at.get("plotly_chart")) == 4  # performance, deals, focus, investment


def test_partner_without_target_in_the_as_of_quarter(tiny_db, app_on):
    at = open_partner(app_on, tiny_db, "P09")
    assert not at.exception
    shown = metrics(at)
    assert shown["Attainment 2025-Q4"] == "–"
    attainment = next(m for m in at.metric if m.label == "Attainment 2025-Q4")
    assert attainment.delta == "no target this quarter"
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "OK: no target in 2025-Q4; 0 of the last 8 complete quarters missed." in text
    assert "Holds Platinum but earns only Silver" in text


def test_partner_without_contacts(tiny_db, app_on):
    at = open_partner(app_on, tiny_db, "P04")
    assert not at.exception
    people = at.dataframe[0].value
    assert people["role"].tolist() == ["Sales", "Technical", "Marketing", "Executive", "Other"]
    assert people["contacts"].sum() == 0
    assert any("No contacts on file" in m.value for m in at.markdown)
    assert "Missed 2 quarters in a row up to 2025-Q4: on watch" in " ".join(
        m.value for m in at.markdown
    ).replace("\\", "")


def test_deal_size_against_segment(tiny_db, app_on):
    at = open_partner(app_on, tiny_db, "P03")
    average = next(m for m in at.metric if m.label.startswith("Average won deal"))
    assert average.value == "$1.3M"
    assert average.delta == "segment median $76.7K"
    deals = next(d.value for d in at.dataframe if "deal_id" in d.value.columns)
    assert len(deals) == 10 and deals["deal_id"].iloc[0] == "D0310"  # newest first


@pytest.mark.parametrize(
    "partner", ["P99", "' OR 1=1 --", "<img src=x onerror=alert(1)>", "x" * 5000, "\x00\x07"]
)
def test_unknown_or_hostile_partner(tiny_db, app_on, partner):
    at = open_partner(app_on, tiny_db, partner)
    assert not at.exception
    assert any("No such partner" in w.value for w in at.warning)
    assert at.text_input(key="partner_search") is not None


def test_search_finds_by_name_and_opens_the_partner(tiny_db, app_on):
    at = app_on(tiny_db).switch_page(PAGE).run()
    assert any("Search for a partner" in i.value for i in at.info)
    at.text_input(key="partner_search").input("ALPHA").run()
    radio = at.radio(key="partner_pick")
    assert radio.options == ["Alpha Systems · P01 · SMB, North"]
    radio.set_value("P01").run()
    assert not at.exception
    assert [h.value for h in at.main.header] == ["Alpha Systems"]
    assert at.query_params["partner"] in ("P01", ["P01"])


def test_search_treats_wildcards_as_text(tiny_db, app_on):
    at = app_on(tiny_db).switch_page(PAGE).run()
    at.text_input(key="partner_search").input("%").run()
    assert any("No partner name or id contains" in i.value for i in at.info)


# --- narrative as plain functions -------------------------------------------------------------

SETTINGS = {"watch_streak": 2, "at_risk_streak": 3}


def profile(**kw):
    base = {
        "status": "ok",
        "missed_streak": 0,
        "missed_last_8": 0,
        "targeted_last_8": 8,
        "as_of": "2025-Q4",
        "is_missed": False,
    }
    return {**base, **kw}


@pytest.mark.parametrize(
    ("kw", "sentence"),
    [
        (
            {"status": "replace_review", "missed_last_8": 6},
            "Missed 6 of the last 8 quarters: replacement review, even though the last quarter "
            "hit target.",
        ),
        (
            {"status": "replace_review", "missed_last_8": 7, "missed_streak": 4, "is_missed": True},
            "Missed 7 of the last 8 quarters: replacement review, and 4 quarters in a row up to "
            "2025-Q4.",
        ),
        (
            {"status": "at_risk", "missed_streak": 3, "missed_last_8": 3, "is_missed": True},
            "Missed 3 quarters in a row up to 2025-Q4: at risk (at risk from 3 in a row; 3 of the "
            "last 8 missed).",
        ),
        (
            {"status": "watch", "missed_streak": 2, "missed_last_8": 2, "is_missed": True},
            "Missed 2 quarters in a row up to 2025-Q4: on watch (watch from 2 in a row, at risk "
            "from 3).",
        ),
        (
            {"missed_last_8": 1},
            "OK: hit target in 2025-Q4; 1 of the last 8 complete quarters missed.",
        ),
        (
            {"missed_streak": 1, "missed_last_8": 1, "is_missed": True},
            "OK: missed 2025-Q4, 1 quarter in a row (watch from 2 in a row); 1 of the last 8 "
            "complete quarters missed.",
        ),
        (  # with watch from 3, a second miss in a row is still OK: the sentence counts it
            {"missed_streak": 2, "missed_last_8": 2, "is_missed": True},
            "OK: missed 2025-Q4, 2 quarters in a row (watch from 3 in a row); 2 of the last 8 "
            "complete quarters missed.",
        ),
        (  # the quarter in progress: the streak is told up to the complete quarter before it
            {
                "as_of": "2026-Q1",
                "as_of_state": "in_progress",
                "attainment": 0.3,
                "missed_streak": 2,
                "missed_last_8": 2,
                "status": "watch",
                "is_missed": None,
            },
            "Missed 2 quarters in a row up to 2025-Q4: on watch (watch from 2 in a row, at risk "
            "from 3).",
        ),
        (
            {
                "as_of": "2026-Q1",
                "as_of_state": "in_progress",
                "attainment": 0.3,
                "is_missed": None,
            },
            "OK: 2026-Q1 is in progress, 30% of target to date; 0 of the last 8 complete quarters "
            "missed.",
        ),
        (
            {"targeted_last_8": 0, "is_missed": None},
            "OK: no quarter in the last 8 had a target, so none was missed.",
        ),
    ],
)
def test_status_sentence(kw, sentence):
    settings = SETTINGS | {"watch_streak": 3} if "watch from 3" in sentence else SETTINGS
    assert narrative.status_sentence(profile(**kw), settings) == sentence


def contacts_frame(rows):
    roles = ["Sales", "Technical", "Marketing", "Executive", "Other"]
    counts = {r: (0, 0) for r in roles} | rows
    return pl.DataFrame(
        {
            "role": roles,
            "contacts": [counts[r][0] for r in roles],
            "certified": [counts[r][1] for r in roles],
        }
    )


def test_people_gaps():
    assert narrative.people_gaps(contacts_frame({}))[0].startswith("No contacts on file")
    gaps = narrative.people_gaps(contacts_frame({"Sales": (2, 0), "Technical": (1, 0)}))
    assert gaps == [
        "No certified technical contact.",
        "No executive contact.",
        "Nobody is certified.",
    ]
    full = {"Sales": (1, 0), "Technical": (2, 1), "Executive": (1, 0)}
    assert narrative.people_gaps(contacts_frame(full)) == []


def test_tier_sentence():
    assert narrative.tier_sentence("Gold", "Gold") == "Holds Gold and earns it."
    assert "benefits above performance" in narrative.tier_sentence("Platinum", "Silver")
    assert "promotion candidate" in narrative.tier_sentence("Registered", "Gold")
    assert narrative.tier_sentence(None, "Silver") == "Holds no program tier; earns Silver."


def test_qbr_one_pager_escapes_data_and_embeds_charts():
    import plotly.graph_objects as go

    hostile = "<img src=x onerror=alert(1)>"
    page = narrative.qbr_html(
        {"partner_name": hostile, "partner_id": "P1", "as_of": "2025-Q4"},
        [("Status", "OK")],
        ["Holds Gold and earns it."],
        [go.Figure(go.Bar(x=["a"], y=[1])), go.Figure(go.Bar(x=["b"], y=[2]))],
        [("Deals", pl.DataFrame({"deal_id": [hostile], "amount": [1234.5]}))],
    )
    assert hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("plotly.js v") == 1  # the library once, inline: opens offline
    assert "1,234.50" in page
