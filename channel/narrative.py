"""Plain-words explanations of one partner's numbers, and the QBR one-pager. No Streamlit here.

Every number is read from query results (``partner_profile``, ``partner_contacts`` ...); these
functions only phrase them. Text that came from the data is HTML-escaped in the one-pager.
"""

from __future__ import annotations

import datetime as dt
import html

import plotly.graph_objects as go
import polars as pl

from channel import fiscal


def status_sentence(profile: dict, settings: dict) -> str:
    """Why the partner has its status, e.g. "Missed 6 of the last 8 quarters: replacement review,
    even though the last quarter hit target"."""
    status = profile["status"]
    streak = profile["missed_streak"] or 0
    missed8 = profile["missed_last_8"] or 0
    targeted8 = profile.get("targeted_last_8")
    as_of = profile["as_of"]
    in_progress = profile.get("as_of_state") == "in_progress"
    if in_progress:  # streaks and statuses come from the complete quarters before it
        as_of = fiscal.quarter_label(fiscal.parse_quarter(profile["as_of"]) - 1)
    hit_now = profile["is_missed"] is False
    no_target_now = profile["is_missed"] is None
    quarters = "quarter" if streak == 1 else "quarters"
    if status == "replace_review":
        text = f"Missed {missed8} of the last 8 quarters: replacement review"
        if hit_now:
            text += ", even though the last quarter hit target"
        elif streak:
            text += f", and {streak} {quarters} in a row up to {as_of}"
        return text + "."
    if status == "at_risk":
        return (
            f"Missed {streak} {quarters} in a row up to {as_of}: at risk "
            f"(at risk from {settings['at_risk_streak']} in a row; {missed8} of the last 8 missed)."
        )
    if status == "watch":
        return (
            f"Missed {streak} {quarters} in a row up to {as_of}: on watch "
            f"(watch from {settings['watch_streak']} in a row, at risk from "
            f"{settings['at_risk_streak']})."
        )
    if targeted8 == 0:
        return "OK: no quarter in the last 8 had a target, so none was missed."
    if in_progress:
        attainment = profile.get("attainment")
        head = f"OK: {profile['as_of']} is in progress" + (
            f", {attainment:.0%} of target to date" if attainment is not None else ""
        )
    elif no_target_now:
        head = f"OK: no target in {as_of}"
    elif hit_now:
        head = f"OK: hit target in {as_of}"
    else:
        head = (
            f"OK: missed {as_of}, {streak} {quarters} in a row "
            f"(watch from {settings['watch_streak']} in a row)"
        )
    return f"{head}; {missed8} of the last 8 complete quarters missed."


def people_gaps(contacts: pl.DataFrame) -> list[str]:
    """Gaps worth acting on, from ``partner_contacts`` (one row per role)."""
    by_role = {r["role"]: r for r in contacts.iter_rows(named=True)}
    total = sum(r["contacts"] for r in by_role.values())
    if total == 0:
        return ["No contacts on file: the vendor knows no one inside this partner."]
    gaps = []
    technical = by_role.get("Technical", {"contacts": 0, "certified": 0})
    if technical["contacts"] == 0:
        gaps.append("No technical contact.")
    elif technical["certified"] == 0:
        gaps.append("No certified technical contact.")
    for role in ("Sales", "Executive"):
        if by_role.get(role, {"contacts": 0})["contacts"] == 0:
            gaps.append(f"No {role.lower()} contact.")
    if sum(r["certified"] for r in by_role.values()) == 0:
        gaps.append("Nobody is certified.")
    return gaps


def tier_sentence(program_tier: str | None, earned_tier: str) -> str:
    order = ["Registered", "Silver", "Gold", "Platinum"]
    if program_tier is None:
        return f"Holds no program tier; earns {earned_tier}."
    if program_tier == earned_tier:
        return f"Holds {program_tier} and earns it."
    if order.index(program_tier) > order.index(earned_tier):
        return f"Holds {program_tier} but earns only {earned_tier}: benefits above performance."
    return f"Holds {program_tier} but earns {earned_tier}: a promotion candidate."


def qbr_html(
    profile: dict,
    facts: list[tuple[str, str]],
    sentences: list[str],
    figures: list[go.Figure],
    tables: list[tuple[str, pl.DataFrame]],
) -> str:
    """A self-contained HTML one-pager for a quarterly business review.

    ``facts`` are (label, value) pairs already formatted; ``sentences`` plain-words findings;
    figures are embedded with plotly.js inline once, so the file opens offline.
    """
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>QBR: {esc(profile['partner_name'])}</title>",
        "<style>body{font-family:Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222}"
        "h1{margin:0}h2{margin-top:28px;border-bottom:1px solid #ddd}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;"
        "text-align:left}dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px}"
        "dt{color:#666}dd{margin:0}.muted{color:#777;font-size:12px}</style></head><body>",
        f"<h1>{esc(profile['partner_name'])} <span class='muted'>{esc(profile['partner_id'])}"
        "</span></h1>",
        f"<p class='muted'>Quarterly business review · as of {esc(profile['as_of'])} · "
        f"prepared {dt.date.today().isoformat()}</p>",
        "<dl>",
        *(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts),
        "</dl><h2>Findings</h2><ul>",
        *(f"<li>{esc(s)}</li>" for s in sentences),
        "</ul>",
    ]
    for i, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    for title, frame in tables:
        parts.append(f"<h2>{esc(title)}</h2>")
        parts.append(_table_html(frame))
    parts.append("</body></html>")
    return "\n".join(parts)


def _table_html(frame: pl.DataFrame) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{esc(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
