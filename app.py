"""Channel Lens: the router. Page config, the global filters, the navigation; nothing else."""

import streamlit as st

from channel.runner import DatabaseError
from channel.ui import draw_global_filters, no_database_page

st.set_page_config(page_title="Channel Lens", page_icon=":material/hub:", layout="wide")

try:
    draw_global_filters()
except DatabaseError as error:
    no_database_page(str(error))
    st.stop()

pages = {
    "Leadership": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    ],
}
st.navigation(pages).run()
