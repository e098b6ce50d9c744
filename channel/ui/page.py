"""The page prologue: ``page = ui.open_page(title, caption)`` draws the header and hands over
the filters, the query parameters, the currency symbol and the settings, and says whether the
database holds targets (``page.require_targets()``)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import streamlit as st

from channel.filters import Filters
from channel.ui.core import currency, db_settings, md_escape, query
from channel.ui.sidebar import current_filters

# Said in place of whatever needs targets, when the database holds none (meta.target_rows = 0).
NO_TARGETS = (
    "No targets were loaded, so attainment, missed quarters and streaks cannot be shown. Load a "
    "targets file, or give the import a plan rule (see the README, 'Targets when the CRM has "
    "none')."
)


@dataclasses.dataclass(frozen=True)
class Page:
    """What every page reads first: the sidebar's filters, their query parameters (as_of, one
    list or None per filter, scope), the currency symbol and the database's settings; and
    whether the database holds targets (``has_targets``) and, when an import derived them, how
    (``targets_derived``, in words; None for targets from a file)."""

    filters: Filters
    params: dict[str, object]
    symbol: str
    settings: dict
    has_targets: bool = True
    targets_derived: str | None = None
    _said: list[bool] = dataclasses.field(default_factory=list, compare=False, repr=False)

    def require_partners(self) -> None:
        """Stop the page, with a message, when no partner passes the filters."""
        if not partners_match(self.filters):
            st.stop()

    def require_targets(self, what: str | None = None, *, stop: bool = False) -> bool:
        """True when the database holds targets. Otherwise draw, in place of the part that
        needs them, ``NO_TARGETS`` (the first time on this page; after that one line naming
        ``what``, e.g. "the Status column"), stop the page there with ``stop``, and return
        False. Call it where the target-dependent part would go: ``if page.require_targets():``
        then draw it."""
        if self.has_targets:
            return True
        if not self._said:
            st.info(NO_TARGETS, icon=":material/flag:")
            self._said.append(True)
        elif what:
            st.caption(f"Not shown without targets: {what}.")
        if stop:
            st.stop()
        return False


def open_page(title: str, caption: str | None = None, *, require_partners: bool = True) -> Page:
    """Draw the page header and return the ``Page``. With ``require_partners`` (the default) the
    page stops here, saying so, when no partner passes the filters; a page that draws its own
    controls first calls ``page.require_partners()`` after them."""
    filters, fresh = _header(title, caption)
    page = Page(
        filters,
        filters.params(),
        currency(),
        db_settings(),
        has_targets=bool(fresh["target_rows"]),
        targets_derived=fresh["targets_derived"],
    )
    if require_partners:
        page.require_partners()
    return page


def page_header(title: str, caption: str | None = None) -> Filters:
    """Title, active filters, as-of quarter, data freshness, and a line when the targets were
    derived by an import rather than planned; returns the filters."""
    return _header(title, caption)[0]


def _header(title: str, caption: str | None) -> tuple[Filters, dict]:
    """``page_header``, also returning the ``data_freshness`` row it read."""
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
    if fresh["targets_derived"] and fresh["target_rows"]:
        st.info(
            f"**Targets are derived, not a plan:** {md_escape(fresh['targets_derived'])}. "
            "Attainment, missed quarters and statuses measure against that rule.",
            icon=":material/calculate:",
        )
    for notice in filters.notices:
        st.warning(notice, icon="⚠️")
    return filters, fresh


def partners_match(filters: Filters) -> bool:
    """False (and a message) when no partner passes the filters."""
    count = query("partner_count", **filters.params())["partners"][0]
    if count == 0:
        st.info("No partners match these filters. Clear a filter in the sidebar to see more.")
        return False
    return True
