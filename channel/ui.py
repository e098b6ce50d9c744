"""Streamlit glue shared by app.py and the pages: cached queries, the global filters, the header.

Pages stay small: read ``current_filters()``, run named queries through ``query()``, hand the
frames to ``channel.charts`` and place the results.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from channel import access
from channel.filters import FILTERS, Filters
from channel.runner import database, run

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
# Sign-in (optional): who is looking, and which partners they may see


def sign_in_configured() -> bool:
    """True when the secrets hold an ``[auth]`` section (``st.login`` with an OIDC provider).

    A secrets file that exists but cannot be read raises ``SignInError``: the dashboard fails
    closed rather than opening every partner to everyone.
    """
    from streamlit import config

    if st.secrets.load_if_toml_exists():
        return "auth" in st.secrets
    unreadable = [f for f in config.get_option("secrets.files") if os.path.exists(f)]
    if unreadable:
        raise SignInError(f"{unreadable[0]} exists but could not be read as TOML.")
    return False


class SignInError(RuntimeError):
    pass


def current_viewer() -> access.Viewer:
    """The viewer of this script run, from ``st.user`` and the ``[access]`` settings."""
    if not sign_in_configured():
        return access.Viewer(access.OPEN)
    return access.resolve(st.user.to_dict(), True, access.load_rules())


def sign_in_gate() -> access.Viewer | None:
    """The viewer when they may see the dashboard; otherwise draw the sign-in or refusal page
    and return None. The sidebar says who is signed in, with a way out."""
    try:
        viewer = current_viewer()
    except (SignInError, access.SettingsError) as error:
        message = f"{error} Nobody can see partner data until an administrator fixes it."
        _only_page("Sign-in is misconfigured", lambda: st.error(message, icon=":material/lock:"))
        return None
    if viewer.role == access.SIGNED_OUT:

        def sign_in() -> None:
            st.title("Channel Lens")
            st.markdown("Partner performance data is shown to signed-in colleagues only.")
            st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")

        _only_page("Sign in", sign_in)
        return None
    if viewer.role == access.REFUSED:

        def refuse() -> None:
            st.title("Channel Lens")
            who = f"`{viewer.email.replace('`', '')}`" if viewer.email else "this account"
            st.info(
                f"You are signed in as {who}, but this address has no access to Channel Lens "
                "yet. Ask your Channel Lens administrator to add it to the access list.",
                icon=":material/lock:",
            )
            st.button("Sign out", on_click=st.logout, icon=":material/logout:")

        _only_page("No access", refuse)
        return None
    if viewer.role != access.OPEN:
        email = (viewer.email or "").replace("`", "")  # a code span: not a mailto link
        st.sidebar.caption(f"Signed in as `{email}`  \n{md_escape(viewer.describe())}")
        st.sidebar.button("Sign out", on_click=st.logout, icon=":material/logout:")
    return viewer


PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


def _only_page(title: str, body: Callable[[], None], icon: str = ":material/lock:") -> None:
    """Draw ``body`` as the app's only page, whichever page the URL asked for: a deep link such
    as /partner?partner=P1 shows it too, instead of Streamlit's "Page not found" dialog."""
    pages = [st.Page(body, title=title, icon=icon, default=True)]
    pages += [
        st.Page(body, title=title, icon=icon, url_path=path.stem)
        for path in sorted(PAGES_DIR.glob("*.py"))
    ]
    st.navigation(pages, position="hidden").run()


# ---------------------------------------------------------------------------------------------
# Global filters


def _safe(value: str, limit: int = 40) -> str:
    """A URL value made harmless for a notice: printable, short, markdown escaped."""
    text = "".join(ch for ch in value if ch.isprintable())
    return md_escape(text[:limit] + ("…" if len(text) > limit else ""))


def md_escape(text: str) -> str:
    """Text from the data (a partner name, say) shown literally inside Streamlit markdown."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


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


def download_csv(
    frame: pl.DataFrame | Callable[[], pl.DataFrame],
    file_name: str,
    key: str,
    label: str = "Download CSV",
) -> None:
    """A CSV download of ``frame``. The CSV is made when the button is clicked, so a page never
    ships it to the browser up front; pass a callable to defer the query too."""

    def make() -> bytes:
        data = frame() if callable(frame) else frame
        return data.write_csv().encode("utf-8")

    st.download_button(
        label,
        make,
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
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

    _only_page("Set up", explain, icon=":material/build:")


# ---------------------------------------------------------------------------------------------
# Links to the partner page

PARTNER_PAGE = "pages/partner.py"


def partner_url(partner_id: str) -> str:
    """Relative URL of the partner page for ``partner_id`` (the id is URL-encoded)."""
    return "partner?" + urlencode({"partner": partner_id})


def with_partner_links(frame: pl.DataFrame, id_column: str = "partner_id") -> pl.DataFrame:
    """Add a ``partner_link`` column (URL of each row's partner page) as the first column."""
    links = [partner_url(p) for p in frame[id_column].to_list()]
    return frame.select(pl.Series("partner_link", links, dtype=pl.String), pl.all())


def partner_link_column(label: str = "Partner ID") -> st.column_config.LinkColumn:
    """Column config for ``partner_link``: shows the partner id, opens the partner page."""
    return st.column_config.LinkColumn(
        label, display_text=r"partner=([^&]*)", help="Open the partner page", width="small"
    )


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


def partner_columns(filters: Filters) -> dict[str, object]:
    """Column configs for the partner-level columns that several tables share (one wording and
    one format everywhere); a page adds or overrides its own."""
    from channel.definitions import explain

    symbol, settings = currency(), db_settings()
    return {
        "partner_link": partner_link_column("ID"),
        "partner_name": st.column_config.TextColumn("Partner", width="medium"),
        "segment": st.column_config.TextColumn("Segment", width="small"),
        "partner_manager": st.column_config.TextColumn("Partner manager"),
        "program_tier": st.column_config.TextColumn("Program tier", width="small"),
        "earned_tier": st.column_config.TextColumn(
            "Earned tier", help=explain("earned_tier", settings, symbol), width="small"
        ),
        "status": st.column_config.TextColumn("Status"),
        "missed_streak": st.column_config.NumberColumn(
            "Streak",
            help="Missed quarters in a row up to the as-of quarter; quarters without a target "
            "are skipped",
            width="small",
        ),
        "missed_last_8": st.column_config.NumberColumn(
            "Missed/8",
            help="Missed quarters among the 8 ending at the as-of quarter",
            width="small",
        ),
        "attainment": st.column_config.NumberColumn(
            "Attainment to date" if filters.in_progress else "Attainment",
            help=f"Won revenue / target in {filters.as_of_label}; empty without a target",
            format="percent",
            width="small",
        ),
        "pace": st.column_config.NumberColumn(
            "Pace",
            help="Attainment to date / share of the quarter elapsed: 100% means on course to "
            "meet the target if the rest of the quarter goes as it has so far",
            format="percent",
            width="small",
        ),
        "revenue_t4q": st.column_config.NumberColumn(
            f"Revenue 4Q ({symbol})",
            help="Won revenue, the as-of quarter and the three before it",
            format="compact",
            width="small",
        ),
    }


def status_cards(columns, kpis: dict, of: str = "partners") -> None:
    """Three cards (watch, at risk, replacement review) from an ``overview_kpis`` row: each count
    with its share of ``kpis["partners"]``; the same wording and definition wherever they appear."""
    from channel import charts
    from channel.definitions import explain

    labels = (
        ("watch", "Partners on watch"),
        ("at_risk", "Partners at risk"),
        ("replace_review", "Replacement review"),
    )
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
    from channel import charts
    from channel.definitions import explain

    symbol = currency()
    column.metric(
        "Revenue, last 4 quarters",
        charts.money(revenue_t4q, symbol),
        delta=charts.pct(revenue_t4q / revenue_prev4q - 1) if revenue_prev4q else None,
        delta_description="vs prior 4 quarters" if revenue_prev4q else None,
        help=explain("revenue_t4q", db_settings(), symbol),
        border=True,
    )
