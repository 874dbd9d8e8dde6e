"""Dashboard frame: page config, the login gate, navigation. Pages draw themselves."""

from __future__ import annotations

import streamlit as st

from sync import dashboard

st.set_page_config(
    page_title="Lightspeed Sync & Health",
    page_icon=":material/monitor_heart:",
    layout="wide",
)

PAGES = [
    st.Page("pages/status.py", title="Status", icon=":material/monitor_heart:", default=True),
    st.Page("pages/history.py", title="History", icon=":material/history:"),
    st.Page("pages/sync_now.py", title="Sync now", icon=":material/sync:"),
    st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:"),
]

dashboard.leave_legacy_pages_mode()
dashboard.remember_page()  # a reload or a link: that page opens once the user is in
session = dashboard.login_gate()
# A user who sees several stores also gets the page that shows them side by side.
if len(dashboard.stores()) > 1:
    PAGES.append(st.Page("pages/stores.py", title="Stores", icon=":material/storefront:"))
# Always declare the pages, even logged out: the URL keeps its page, and Streamlit's old
# "run any file in pages/" mode can never switch on.
navigation = st.navigation(PAGES, position="sidebar" if session else "hidden")
if session is None:
    st.stop()
dashboard.restore_page(navigation, PAGES)
dashboard.sidebar(session, navigation, PAGES)
dashboard.close_sidebar_on_phone(navigation)
navigation.run()
