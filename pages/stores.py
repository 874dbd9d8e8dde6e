"""Stores: every store of the group side by side, and which one holds up the numbers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sync import dashboard

VERDICT_BANNER = {"HEALTHY": st.success, "WARNING": st.warning, "CRITICAL": st.error}

dashboard.current_user()
stamp = dashboard.page_header("Stores", key="refresh-stores")
group = dashboard.store_group()
verdict = dashboard.group_verdict(group)
stamp(dashboard.clock())

names = {s.prefix: s.name for s in group}
if verdict["overall_status"] is None:
    st.info("Every store is disabled: nothing is synced.", icon=":material/pause_circle:")
else:
    blocked = [names[p] for p in verdict["blocked_by"]]
    held = f" Not fit for reports: **{dashboard.md(', '.join(blocked))}**." if blocked else ""
    VERDICT_BANNER[verdict["overall_status"]](
        f"**{verdict['overall_status']}** across {verdict['store_count']} store"
        + ("" if verdict["store_count"] == 1 else "s")
        + f"; the lowest health score is {verdict['lowest_score']}/100.{held}"
    )

rows = []
for store in group:
    line = store.as_json()
    rows.append(
        {
            "Store": f"/?{dashboard.STORE_QUERY}={store.prefix}",
            "Name": store.name,
            "Verdict": line.get("overall_status") or "disabled",
            "Score": line.get("health_score"),
            "Fit for reports": "yes" if line.get("data_ready") else "no",
            "Freshness": line.get("freshness_severity") or "—",
            "Stalest entity synced": dashboard.ago(store.oldest_success(), dashboard.clock()),
            "Open alerts": line.get("active_alerts", 0),
        }
    )
st.dataframe(
    pd.DataFrame(rows),
    hide_index=True,
    column_config={
        "Store": st.column_config.LinkColumn(
            "Store", display_text=rf"{dashboard.STORE_QUERY}=(.*)$", pinned=True
        ),
        "Score": st.column_config.NumberColumn(format="%d"),
    },
)
st.caption(
    "Pick a store here or in the sidebar: every page then shows that store. "
    "A disabled store is not synced and does not count in the verdict."
)
