"""Channel Lens: the router. Page config, the global filters, the navigation; nothing else."""

import streamlit as st

from channel.runner import DatabaseError
from channel.ui import draw_global_filters, no_database_page, sign_in_gate
from channel.ui.signin import import_page, warn_if_import_is_exposed

st.set_page_config(page_title="Channel Lens", page_icon=":material/hub:", layout="wide")

warn_if_import_is_exposed()
viewer = sign_in_gate()  # None: the sign-in or refusal page was drawn instead
if viewer is None:
    st.stop()
try:
    draw_global_filters(viewer)
except DatabaseError as error:
    no_database_page(str(error), can_import=viewer.can_import)
    st.stop()

pages = {
    "Leadership": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/tiers.py", title="Partner tiers", icon=":material/workspace_premium:"),
        st.Page("pages/alignment.py", title="Vertical alignment", icon=":material/target:"),
        st.Page("pages/missed_targets.py", title="Missed targets", icon=":material/trending_down:"),
    ],
    "Partner managers": [
        st.Page("pages/portfolio.py", title="Portfolio", icon=":material/work:"),
        st.Page("pages/partner.py", title="Partner", icon=":material/storefront:"),
    ],
}
if viewer.can_import:  # [access] import, or allow_import with sign-in off (channel/access.py)
    pages["Data"] = [import_page()]
st.navigation(pages).run()
