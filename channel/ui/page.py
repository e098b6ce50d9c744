"""The page prologue: ``page = ui.open_page(title, caption)`` draws the header and hands over
the filters, the query parameters, the currency symbol and the settings."""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st

from channel.filters import Filters
from channel.ui.core import currency, db_settings, md_escape, query
from channel.ui.sidebar import current_filters


@dataclasses.dataclass(frozen=True)
class Page:
    """What every page reads first: the sidebar's filters, their query parameters (as_of, one
    list or None per filter, scope), the currency symbol and the database's settings."""

    filters: Filters
    params: dict[str, object]
    symbol: str
    settings: dict

    def require_partners(self) -> None:
        """Stop the page, with a message, when no partner passes the filters."""
        if not partners_match(self.filters):
            st.stop()


def open_page(title: str, caption: str | None = None, *, require_partners: bool = True) -> Page:
    """Draw the page header and return the ``Page``. With ``require_partners`` (the default) the
    page stops here, saying so, when no partner passes the filters; a page that draws its own
    controls first calls ``page.require_partners()`` after them."""
    filters = page_header(title, caption)
    page = Page(filters, filters.params(), currency(), db_settings())
    if require_partners:
        page.require_partners()
    return page


def page_header(title: str, caption: str | None = None) -> Filters:
    """Title, active filters, as-of quarter and data freshness; returns the filters."""
    filters = current_filters()
    st.title(title)
    if caption:
        st.caption(caption)
    fresh = query("data_freshness").row(0, named=True)
    loaded = fresh["loaded_at"]
    loaded_text = (
        loaded.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        if isinstance(loaded, dt.datetime)
        else str(loaded)
    )
    latest = fresh["latest_closed_on"]
    data_as_of = fresh["data_as_of"]
    as_of_note = " (default)" if filters.is_default_as_of else ""
    if filters.in_progress:
        as_of_note += " · in progress"
    st.markdown(
        f"**As of {filters.as_of}**{as_of_note} · {md_escape(filters.describe())}  \n"
        f":gray[Data as of {data_as_of.isoformat()} ({md_escape(fresh['data_as_of_source'])}) · "
        f"loaded {loaded_text} · latest won deal closed "
        f"{latest.isoformat() if latest else 'never'}]"
    )
    if filters.in_progress:
        st.info(
            f"{filters.as_of} is in progress: the data runs to {data_as_of.isoformat()}. Revenue "
            "and attainment are **to date**, and pace compares them with the share of the "
            "quarter elapsed. Nobody has missed this quarter yet: streaks and statuses come from "
            "the complete quarters before it.",
            icon=":material/hourglass_top:",
        )
    for notice in filters.notices:
        st.warning(notice, icon="⚠️")
    return filters


def partners_match(filters: Filters) -> bool:
    """False (and a message) when no partner passes the filters."""
    count = query("partner_count", **filters.params())["partners"][0]
    if count == 0:
        st.info("No partners match these filters. Clear a filter in the sidebar to see more.")
        return False
    return True
