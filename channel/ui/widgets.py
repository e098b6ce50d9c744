"""Page furniture shared by the pages: the status and revenue cards, the CSV download, and the
way from a chart or a row to the partner page."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import streamlit as st

from channel.definitions import explain
from channel.ui.core import currency, db_settings

PARTNER_PAGE = "pages/partner.py"


def download_csv(
    frame: pl.DataFrame | Callable[[], pl.DataFrame],
    file_name: str,
    key: str,
    label: str | None = None,
    total: int | None = None,
) -> None:
    """A CSV download of ``frame``. The CSV is made when the button is clicked, so a page never
    ships it to the browser up front; pass a callable to defer the query too (with ``total``,
    the number of rows it will hold, for the label "Download all N (CSV)")."""

    def make() -> bytes:
        data = frame() if callable(frame) else frame
        return data.write_csv().encode("utf-8")

    if label is None:
        label = "Download CSV" if total is None else f"Download all {total:,} (CSV)"
    st.download_button(
        label,
        make,
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def card(column, label: str, value: str, note: str | None = None, help: str | None = None) -> None:
    """A bordered KPI card in ``column`` (``st`` or a column); ``note`` sits under the value as
    plain text, without the colour and arrow of a change."""
    column.metric(
        label, value, delta=note, delta_color="off", delta_arrow="off", help=help, border=True
    )


def lazy_tabs(
    views: dict[str, Callable[[], None]],
    key: str,
    *,
    on_change: str = "ignore",
    warn_unknown: bool = False,
) -> None:
    """One tab per view, the open one kept in the URL (``?<key>=<name>``); only the open tab
    runs its view, so a filter change costs one view. With ``warn_unknown``, a link that names
    no such view says so."""
    asked = st.query_params.get(key)
    if warn_unknown and asked and asked not in views:
        st.warning("The view in the link is not one this page offers; showing the first.", icon="⚠️")
    tabs = st.tabs(list(views), key=key, on_change=on_change, bind="query-params")
    for tab, draw in zip(tabs, views.values(), strict=True):
        if tab.open:
            with tab:
                draw()


def go_to_partner(partner_id: str) -> None:
    """Switch to the partner page for ``partner_id`` (for chart clicks and row selections)."""
    st.switch_page(PARTNER_PAGE, query_params={"partner": partner_id})


def selected_partner(event: object, field: str = "customdata") -> str | None:
    """The partner id of the first point selected in a ``st.plotly_chart(on_select="rerun")``
    event, when the figure carries the id as the first ``customdata`` item (or as ``field``)."""
    points = (getattr(event, "selection", None) or {}).get("points") or []
    for point in points:
        value = point.get(field)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, str) and value:
            return value
    return None


def status_cards(columns, kpis: dict, of: str = "partners") -> None:
    """Three cards (watch, at risk, replacement review) from an ``overview_kpis`` row: each count
    with its share of ``kpis["partners"]``; the same wording and definition wherever they appear."""
    labels = (
        ("watch", "Partners on watch"),
        ("at_risk", "Partners at risk"),
        ("replace_review", "Replacement review"),
    )
    from channel import charts  # plotly: only once a page draws a card

    for column, (key, label) in zip(columns, labels, strict=True):
        share = kpis[key] / kpis["partners"] if kpis["partners"] else None
        column.metric(
            label,
            f"{kpis[key]:,}",
            delta=f"{charts.pct(share)} of {of}",
            delta_color="off",
            delta_arrow="off",
            help=explain("status", db_settings(), currency()),
            border=True,
        )


def revenue_card(column, revenue_t4q: float, revenue_prev4q: float | None) -> None:
    """The revenue_t4q card, with its change against the four quarters before when the data
    reaches that far back; the same wording and definition wherever it appears."""
    from channel import charts  # plotly: only once a page draws a card

    symbol = currency()
    column.metric(
        "Revenue, last 4 quarters",
        charts.money(revenue_t4q, symbol),
        delta=charts.pct(revenue_t4q / revenue_prev4q - 1) if revenue_prev4q else None,
        delta_description="vs prior 4 quarters" if revenue_prev4q else None,
        help=explain("revenue_t4q", db_settings(), symbol),
        border=True,
    )
