"""The sidebar's global filters, bound to the URL, and their hand-over to the page."""

from __future__ import annotations

import polars as pl
import streamlit as st

from channel import access
from channel.filters import FILTERS, Filters
from channel.ui.core import md_escape, query

_STATE_KEY = "_channel_filters"


def _safe(value: str, limit: int = 40) -> str:
    """A URL value made harmless for a notice: printable, short, markdown escaped."""
    text = "".join(ch for ch in value if ch.isprintable())
    return md_escape(text[:limit] + ("…" if len(text) > limit else ""))


def draw_global_filters(viewer: access.Viewer | None = None) -> Filters:
    """Draw the sidebar filters (bound to the URL) and remember them for the pages.

    A URL value that the database does not offer (or that the viewer may not see) is dropped by
    the widget; we say so once.
    """
    viewer = viewer or access.Viewer(access.OPEN)
    options = query("filter_options", scope=viewer.scope)
    quarters = query("as_of_quarters")
    pickable = quarters.filter(pl.col("is_pickable"))
    labels = pickable["fiscal_quarter"].to_list()
    states = dict(zip(labels, pickable["quarter_state"].to_list(), strict=True))
    planned = set(quarters.filter(~pl.col("is_pickable"))["fiscal_quarter"].to_list())
    default = quarters.filter(pl.col("is_default"))["fiscal_quarter"].to_list()
    default_label = default[0] if default else (labels[0] if labels else "")

    def as_of_text(quarter: str) -> str:  # what the picker shows, and what the URL carries
        return f"{quarter} (in progress)" if states.get(quarter) == "in_progress" else quarter

    notices: list[str] = []
    for key, label in [("as_of", "As-of quarter"), *FILTERS.items()]:
        allowed = (
            {as_of_text(q) for q in labels}  # the URL carries the picker's text
            if key == "as_of"
            else set(options.filter(pl.col("filter") == key)["value"].to_list())
        )
        raw = st.query_params.get_all(key)
        bad = [v for v in raw if v and v not in allowed]
        if key == "as_of" and any(v in planned for v in bad):
            notices.append(
                f"{_safe(next(v for v in bad if v in planned))} has not started yet: it is a "
                f"planned quarter, so it cannot be the as-of quarter. Showing {default_label}."
            )
            bad = [v for v in bad if v not in planned]
        if key == "as_of" and any(v in states for v in bad):
            quarter = next(v for v in bad if v in states)
            notices.append(
                f"{_safe(quarter)} is in progress: its link reads "
                f"as\\_of={_safe(as_of_text(quarter))}. Showing {default_label}; pick "
                f"{_safe(as_of_text(quarter))} in the sidebar."
            )
            bad = [v for v in bad if v not in states]
        if bad:
            shown = ", ".join(_safe(v) for v in bad[:3]) + (" …" if len(bad) > 3 else "")
            notices.append(f"Ignored unknown {label.lower()} in the link: {shown}")

    sidebar = st.sidebar
    sidebar.header("Filters")
    as_of = sidebar.selectbox(
        "As-of quarter",
        labels,
        index=labels.index(default_label) if default_label in labels else 0,
        key="as_of",
        bind="query-params",
        format_func=as_of_text,
        help="Every number is computed as of this fiscal quarter; later data never counts. "
        "Default: the latest complete quarter with any target. A quarter in progress shows "
        "revenue and attainment to date, with statuses from the complete quarters before it.",
    )
    choices: dict[str, tuple[str, ...]] = {}
    for key, label in FILTERS.items():
        values = options.filter(pl.col("filter") == key)["value"].to_list()
        picked = sidebar.multiselect(
            label,
            values,
            key=key,
            bind="query-params",
            placeholder="All",
            disabled=not values,
        )
        choices[key] = tuple(picked)
    filters = Filters(
        as_of=as_of or default_label,
        is_default_as_of=(as_of or default_label) == default_label,
        choices=choices,
        notices=tuple(notices),
        scope=None if viewer.scope is None else tuple(viewer.scope),
        as_of_state=states.get(as_of or default_label, "complete"),
    )
    st.session_state[_STATE_KEY] = filters
    return filters


def current_filters() -> Filters:
    """The filters app.py drew in this script run (handed over once, to page_header)."""
    filters = st.session_state.pop(_STATE_KEY, None)
    if filters is None:
        # app.py did not run before this page: Streamlit's pages/-folder compatibility mode ran
        # the page on its own (the first request to a fresh server was a deep link such as
        # /partner?partner=P1; AppTest's switch_page does the same). st.navigation switches that
        # mode off for the process; do the same and rerun, through app.py this time.
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    return filters
