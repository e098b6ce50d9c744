"""The pages drawn instead of the app: sign-in (optional: who is looking, and which partners they
may see), refusal, a misconfigured sign-in, and a missing database."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from channel import access
from channel.ui.core import md_escape

PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"


class SignInError(RuntimeError):
    pass


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


def current_viewer() -> access.Viewer:
    """The viewer of this script run, from ``st.user`` and the ``[access]`` settings."""
    if not sign_in_configured():
        return access.resolve({}, False, access.load_rules())
    return access.resolve(st.user.to_dict(), True, access.load_rules())


@st.cache_resource(show_spinner=False)
def warn_if_import_is_exposed() -> str | None:
    """Once per server process: print a warning when anyone who reaches a server bound beyond
    this machine could replace the data (sign-in off and ``allow_import = true``)."""
    from streamlit import config

    address = str(config.get_option("server.address") or "")
    try:
        sign_in, rules = sign_in_configured(), access.load_rules()
    except (SignInError, access.SettingsError):
        return None  # the sign-in gate reports it, and fails closed
    warning = access.exposed_import_warning(address, sign_in, rules.allow_import)
    if warning:
        print(f"WARNING: {warning}", file=sys.stderr, flush=True)
    return warning


def sign_in_gate() -> access.Viewer | None:
    """The viewer when they may see the dashboard; otherwise draw the sign-in or refusal page
    and return None. The sidebar says who is signed in, with a way out."""
    try:
        viewer = current_viewer()
    except (SignInError, access.SettingsError) as error:
        message = f"{error} Nobody can see partner data until an administrator fixes it."
        only_page("Sign-in is misconfigured", lambda: st.error(message, icon=":material/lock:"))
        return None
    if viewer.role == access.SIGNED_OUT:

        def sign_in() -> None:
            st.title("Channel Lens")
            st.markdown("Partner performance data is shown to signed-in colleagues only.")
            st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")

        only_page("Sign in", sign_in)
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

        only_page("No access", refuse)
        return None
    if viewer.role != access.OPEN:
        email = (viewer.email or "").replace("`", "")  # a code span: not a mailto link
        st.sidebar.caption(f"Signed in as `{email}`  \n{md_escape(viewer.describe())}")
        st.sidebar.button("Sign out", on_click=st.logout, icon=":material/logout:")
    return viewer


def only_page(
    title: str,
    body: Callable[[], None],
    icon: str = ":material/lock:",
    extra: list[st.Page] | None = None,
) -> None:
    """Draw ``body`` as the app's only page, whichever page the URL asked for: a deep link such
    as /partner?partner=P1 shows it too, instead of Streamlit's "Page not found" dialog. Pages in
    ``extra`` stay reachable, through links the page draws (no menu: the deep-link aliases of
    ``body`` would fill it)."""
    extra = extra or []
    kept = {p.url_path for p in extra}
    pages = [st.Page(body, title=title, icon=icon, default=True), *extra]
    pages += [
        st.Page(body, title=title, icon=icon, url_path=path.stem)
        for path in sorted(PAGES_DIR.glob("*.py"))
        if path.stem not in kept
    ]
    st.navigation(pages, position="hidden").run()


IMPORT_PAGE = "pages/import_data.py"


def import_page() -> st.Page:
    """The Import data page, as app.py and the set-up page register it."""
    return st.Page(IMPORT_PAGE, title="Import data", icon=":material/upload_file:")


def no_database_page(message: str, can_import: bool = False) -> None:
    """The only page when the database is missing, corrupt or from another version; with
    ``can_import``, the Import data page stays reachable, so a first import needs no terminal."""

    def explain() -> None:
        st.title("Channel Lens")
        st.error(message, icon=":material/database_off:")
        if can_import:
            st.page_link(
                IMPORT_PAGE,
                label="Import a CRM export from the browser",
                icon=":material/upload_file:",
            )
        st.markdown(
            "**To explore demo data**, run `python -m channel demo` (or `make run`, which "
            "does it for you).  \n**To use your own CRM exports**, import them"
            + (" here, or" if can_import else "")
            + " with `python -m channel import` (README, *Import from a CRM export*), or put "
            "files in the contract's shape in a folder and run `python -m channel load DIR`.  \n"
            "The dashboard picks up the new database on the next click; no restart is needed."
        )

    extra = [import_page()] if can_import else None
    only_page("Set up", explain, icon=":material/build:", extra=extra)
