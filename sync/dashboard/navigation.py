"""Page links that survive a reload and a login, and the phone's sidebar closing after a link.

A reload starts a new session: its first runs are logged out until the login cookie is
read, and Streamlit then lands on the default page. The page (and its query, the History
filters) asked for on the first run is remembered and opened once the user is in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

_WANTED = "_dashboard_wanted_page"
_SHOWN = "_dashboard_shown_page"
# Streamlit's sidebar covers the page below this width (its "md" breakpoint).
PHONE_WIDTH_PX = 768


def remember_page() -> None:
    """Before the login gate, while not logged in: keep the page and query the URL names.

    Read from the browser's URL, not from st.navigation: the login cookie's first run
    reruns before the navigation is built, and that rerun has lost the page.
    """
    if st.session_state.get("authentication_status") is True or _WANTED in st.session_state:
        return
    path = urlsplit(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
    st.session_state[_WANTED] = (path, st.query_params.to_dict())


def restore_page(current: Any, pages: Sequence[Any]) -> None:
    """Once logged in: open the page remembered by `remember_page`, with its query."""
    wanted = st.session_state.pop(_WANTED, None)
    if not wanted:
        return
    path, query = wanted
    if path == str(current.url_path):
        if query and not st.query_params.to_dict():
            st.query_params.from_dict(query)
        return
    page = next((p for p in pages if str(p.url_path) == path), None)
    if page is not None:
        st.switch_page(page, query_params=query or None)


def close_sidebar_on_phone(current: Any) -> None:
    """On a narrow screen, fold the sidebar away once a link in it opened another page.

    Streamlit has no API for it; a small script clicks the sidebar's own close button. It
    runs only when the page changes (its text names the page), never on a wide screen.
    """
    path = str(current.url_path) or "status"
    previous = st.session_state.get(_SHOWN)
    st.session_state[_SHOWN] = path
    if previous is None or previous == path:
        return
    st.html(
        f"""<script data-page="{path}">
(() => {{
  if (window.innerWidth >= {PHONE_WIDTH_PX}) return;
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  if (!sidebar || sidebar.getBoundingClientRect().right <= 0) return;
  const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (close) close.click();
}})();
</script>""",
        unsafe_allow_javascript=True,
        width="content",
    )
