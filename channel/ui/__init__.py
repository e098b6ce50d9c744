"""The page kit: Streamlit glue shared by app.py and the pages.

A page opens with ``page = ui.open_page(title, caption)``, runs named queries through
``ui.query()``, configures its tables with ``ui.columns()``, hands the frames to
``channel.charts`` and places the results. The modules, bottom up:

- ``core``: the cached ``query()``, the database's settings and currency, ``md_escape``
- ``signin``: the sign-in gate and the pages drawn instead of the app
- ``sidebar``: the global filters, bound to the URL
- ``page``: the page prologue and header; ``page.require_targets()`` where targets are needed
- ``tables``: the column registry, tables, partner links, status labels
- ``widgets``: cards, the CSV download, the way to the partner page
"""

from channel.ui.core import currency, db_settings, md_escape, query
from channel.ui.page import NO_TARGETS, Page, open_page, page_header, partners_match
from channel.ui.sidebar import current_filters, draw_global_filters
from channel.ui.signin import (
    SignInError,
    current_viewer,
    no_database_page,
    sign_in_configured,
    sign_in_gate,
)
from channel.ui.tables import (
    COLUMNS,
    Column,
    columns,
    partner_url,
    table,
    with_labels,
    with_partner_links,
)
from channel.ui.widgets import (
    PARTNER_PAGE,
    card,
    download_csv,
    go_to_partner,
    lazy_tabs,
    revenue_card,
    selected_partner,
    status_cards,
)

__all__ = [
    "COLUMNS",
    "NO_TARGETS",
    "PARTNER_PAGE",
    "Column",
    "Page",
    "SignInError",
    "card",
    "columns",
    "currency",
    "current_filters",
    "current_viewer",
    "db_settings",
    "download_csv",
    "draw_global_filters",
    "go_to_partner",
    "lazy_tabs",
    "md_escape",
    "no_database_page",
    "open_page",
    "page_header",
    "partner_url",
    "partners_match",
    "query",
    "revenue_card",
    "selected_partner",
    "sign_in_configured",
    "sign_in_gate",
    "status_cards",
    "table",
    "with_labels",
    "with_partner_links",
]
