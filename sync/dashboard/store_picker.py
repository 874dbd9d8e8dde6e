"""The sidebar's store picker: shown once the database holds two stores or more.

The pick lives in the URL (`?store=PREFIX`), so a link or a reload opens the same store,
and in the session, so moving between pages keeps it. Its first option, "All stores",
opens the Stores page (the group side by side); picking a store there opens that store's
first page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from sync.dashboard import runtime

ALL_STORES = ""  # the option that stands for the group (no prefix is empty)
GROUP_PAGE = "stores"  # url_path of the page that shows every store


def on_group_page(current: Any) -> bool:
    """True when `current` (the page being shown) is the Stores page."""
    return current is not None and str(current.url_path) == GROUP_PAGE


def store_picker(current: Any = None, pages: Sequence[Any] = ()) -> None:
    """A select box of "All stores" (with the Stores page among `pages`) and each store;
    picking one reruns every page on it."""
    entries = runtime.stores()
    if len(entries) < 2:
        return
    group = next((p for p in pages if str(p.url_path) == GROUP_PAGE), None)
    on_group = group is not None and on_group_page(current)
    prefixes = [e.prefix for e in entries]
    options = ([ALL_STORES] if group is not None else []) + prefixes
    names = {e.prefix: e.name for e in entries}
    shown = ALL_STORES if on_group else runtime.store()
    picked = st.selectbox(
        "Store",
        options,
        index=options.index(shown) if shown in options else 0,
        format_func=lambda p: _label(p, names),
    )
    if picked == ALL_STORES:
        if group is not None and not on_group:
            st.switch_page(group)
        return
    if on_group:  # a store picked on the group's page: that store's first page
        st.switch_page(pages[0], query_params={runtime.STORE_QUERY: picked})
    if st.query_params.get(runtime.STORE_QUERY) != picked:
        st.query_params[runtime.STORE_QUERY] = picked  # page links and reloads keep it
    if picked != shown:
        st.rerun()


def _label(prefix: str, names: dict[str, str]) -> str:
    if prefix == ALL_STORES:
        return "All stores"
    return names[prefix] if names[prefix] == prefix else f"{names[prefix]} ({prefix})"
