"""The sidebar's store picker: shown once the database holds two stores or more.

The pick lives in the URL (`?store=PREFIX`), so a link or a reload opens the same store,
and in the session, so moving between pages keeps it.
"""

from __future__ import annotations

import streamlit as st

from sync.dashboard import runtime


def store_picker() -> None:
    """A select box of the stores; picking one reruns every page on it."""
    entries = runtime.stores()
    if len(entries) < 2:
        return
    prefixes = [e.prefix for e in entries]
    names = {e.prefix: e.name for e in entries}
    shown = runtime.store()
    picked = st.selectbox(
        "Store",
        prefixes,
        index=prefixes.index(shown) if shown in prefixes else 0,
        format_func=lambda p: names[p] if names[p] == p else f"{names[p]} ({p})",
    )
    if st.query_params.get(runtime.STORE_QUERY) != picked:
        st.query_params[runtime.STORE_QUERY] = picked  # page links and reloads keep it
    if picked != shown:
        st.rerun()
