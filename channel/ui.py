"""Streamlit glue shared by app.py and the pages: cached queries, the global filters, the header.

Pages stay small: read ``current_filters()``, run named queries through ``query()``, hand the
frames to ``channel.charts`` and place the results.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import polars as pl
import streamlit as st

from channel.runner import database, run

FILTERS = {
    "segment": "Segment",
    "region": "Region",
    "partner_type": "Partner type",
    "program_tier": "Program tier",
    "partner_manager": "Partner manager",
}
_STATE_KEY = "_channel_filters"


# ---------------------------------------------------------------------------------------------
# Queries


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _cached(name: str, path: str, identity: tuple[int, int], params: tuple) -> pl.DataFrame:
    # identity (inode, mtime) is part of the key, so a replaced database is never served stale
    return run(name, db=path, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in params})


def query(name: str, **params: object) -> pl.DataFrame:
    """``channel.runner.run`` with a cache keyed on the query, its parameters and the database."""
    db = database()
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return _cached(name, str(db.path), db.identity(), frozen)


def db_settings() -> dict:
    """The settings the database was built with."""
    return query("settings").row(0, named=True)


def currency() -> str:
    return db_settings().get("currency_symbol") or "$"


# ---------------------------------------------------------------------------------------------
# Global filters


@dataclasses.dataclass(frozen=True)
class Filters:
    as_of: str
    is_default_as_of: bool
    choices: dict[str, tuple[str, ...]]  # filter -> chosen values (empty = all)
    notices: tuple[str, ...] = ()

    def params(self) -> dict[str, object]:
        """Bound parameters for every page query: as_of and one list (or None) per filter."""
        out: dict[str, object] = {"as_of": self.as_of}
        for key in FILTERS:
            values = self.choices.get(key, ())
            out[key] = list(values) if values else None
        return out

    def describe(self) -> str:
        parts = [f"{FILTERS[k]}: {', '.join(v)}" for k, v in self.choices.items() if v] or [
            "all partners"
        ]
        return " · ".join(parts)


def _safe(value: str, limit: int = 40) -> str:
    """A URL value made harmless for a notice: printable, short, markdown escaped."""
    text = "".join(ch for ch in value if ch.isprintable())
    text = text[:limit] + ("…" if len(text) > limit else "")
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", text)


def draw_global_filters() -> Filters:
    """Draw the sidebar filters (bound to the URL) and remember them for the pages.

    A URL value that the database does not offer is dropped by the widget; we say so once.
    """
    options = query("filter_options")
    quarters = query("as_of_quarters")
    labels = quarters["fiscal_quarter"].to_list()
    default = quarters.filter(pl.col("is_default"))["fiscal_quarter"].to_list()
    default_label = default[0] if default else (labels[0] if labels else "")

    notices: list[str] = []
    for key, label in [("as_of", "As-of quarter"), *FILTERS.items()]:
        allowed = (
            set(labels)
            if key == "as_of"
            else set(options.filter(pl.col("filter") == key)["value"].to_list())
        )
        raw = st.query_params.get_all(key)
        bad = [v for v in raw if v and v not in allowed]
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
        help="Every number is computed as of this fiscal quarter; later data never counts. "
        "Default: the latest quarter with any target.",
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
    )
    st.session_state[_STATE_KEY] = filters
    return filters


def current_filters() -> Filters:
    """The filters app.py drew for this run."""
    return st.session_state[_STATE_KEY]


# ---------------------------------------------------------------------------------------------
# Page furniture


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
    as_of_note = " (default)" if filters.is_default_as_of else ""
    st.markdown(
        f"**As of {filters.as_of}**{as_of_note} · {_safe_text(filters.describe())}  \n"
        f":gray[Data loaded {loaded_text} · latest won deal closed "
        f"{latest.isoformat() if latest else 'never'}]"
    )
    for notice in filters.notices:
        st.warning(notice, icon="⚠️")
    return filters


def _safe_text(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", text)


def partners_match(filters: Filters) -> bool:
    """False (and a message) when no partner passes the filters."""
    count = query("partner_count", **filters.params())["partners"][0]
    if count == 0:
        st.info("No partners match these filters. Clear a filter in the sidebar to see more.")
        return False
    return True


def download_csv(
    frame: pl.DataFrame, file_name: str, key: str, label: str = "Download CSV"
) -> None:
    st.download_button(
        label,
        frame.write_csv().encode("utf-8"),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )


def no_database_page(message: str) -> None:
    """The only page when the database is missing, corrupt or from another version."""

    def explain() -> None:
        st.title("Channel Lens")
        st.error(message, icon=":material/database_off:")
        st.markdown(
            "**To explore demo data**, run `python -m channel demo` (or `make run`, which "
            "does it for you).  \n**To use your own CRM exports**, put them in a folder as the "
            "README's *Import contract* describes and run `python -m channel load DIR`.  \n"
            "The dashboard picks up the new database on the next click; no restart is needed."
        )

    st.navigation([st.Page(explain, title="Set up", icon=":material/build:")]).run()
