"""Sync now: queue a run-now request, follow its run live, see the queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from sync import dashboard

OPEN = dashboard.OPEN_REQUESTS
REQUEST_COLOURS = {
    dashboard.RequestStatus.QUEUED: "#8A94A6",
    dashboard.RequestStatus.RUNNING: "#2F6FEB",
    dashboard.RequestStatus.DONE: "#1F9D55",
    dashboard.RequestStatus.FAILED: "#D64545",
}
RUN_COLOURS = {
    dashboard.RunStatus.RUNNING: "#2F6FEB",
    dashboard.RunStatus.SUCCESS: "#1F9D55",
    dashboard.RunStatus.PARTIAL: "#D69E00",
    dashboard.RunStatus.FAILED: "#D64545",
    dashboard.RunStatus.INTERRUPTED: "#8A94A6",
}


def status_column(colours: dict[str, str]) -> Any:
    """A coloured status tag (the cell holds a one-item list)."""
    return st.column_config.MultiselectColumn(
        "Status", options=list(colours), color=list(colours.values())
    )


def label(entity: str) -> str:
    return "Everything" if entity == "all" else dashboard.ENTITY_LABELS.get(entity, entity)


def syncs(queue: pd.DataFrame) -> pd.DataFrame:
    """The plain sync requests (a backfill of a date range never merges with them)."""
    return queue[queue["action"].fillna("incremental") == "incremental"]


def active_requests(queue: pd.DataFrame) -> dict[str, int]:
    """Entity (or 'all') → id of its open sync request."""
    queue = syncs(queue)
    open_rows = queue[queue["status"].isin(OPEN)]
    return {row.entity_type: int(row.id) for row in open_rows.itertuples()}


def blocking(entity: str, active: dict[str, int], queue: pd.DataFrame) -> int | None:
    """The open request a new one for `entity` would merge into (so the button is off)."""
    if entity in active:
        return active[entity]
    queue = syncs(queue)
    queued_all = queue[
        (queue["entity_type"] == "all") & (queue["status"] == dashboard.RequestStatus.QUEUED)
    ]
    return int(queued_all.iloc[0]["id"]) if len(queued_all) else None


def request_buttons(user: str, queue: pd.DataFrame) -> None:
    """One button for everything, one per entity, and an optional reason."""
    active = active_requests(queue)
    if st.session_state.pop("sync-reason-clear", False):
        st.session_state["sync-reason"] = ""  # the reason belonged to the request just made
    reason = st.text_input(
        "Reason (optional)", max_chars=500, placeholder="e.g. month-end close", key="sync-reason"
    )
    if active:
        st.caption("Buttons for data already requested stay off until that request finishes.")
    # Buttons as wide as their words, wrapping on a narrow screen: no label is ever cut.
    with st.container(horizontal=True, key="sync-buttons"):
        for entity in dashboard.REQUESTABLE:
            text = "Sync everything" if entity == "all" else label(entity)
            holder = blocking(entity, active, queue)
            clicked = st.button(
                text,
                key=f"sync-{entity}",
                type="primary" if entity == "all" else "secondary",
                icon=":material/sync:",
                disabled=holder is not None,
                help=f"Already requested (#{holder})" if holder else None,
                width="content",
            )
            if clicked:
                result = dashboard.enqueue(entity, user, reason)
                st.session_state["follow"] = result.id
                st.session_state["sync-reason-clear"] = True
                if result.merged:
                    st.toast(
                        f"Already requested: following request #{result.id}.",
                        icon=":material/info:",
                    )
                else:
                    st.toast(f"Request #{result.id} queued.", icon=":material/check_circle:")
                st.rerun()


def backfill_form(user: str) -> None:
    """Entity and date range; the estimate first, then the Queue backfill button."""
    entities = [e for e in dashboard.REQUESTABLE if e != "all"]
    today = dashboard.clock().astimezone(dashboard.store_tz()).date()
    left, right = st.columns(2)
    entity = left.selectbox(
        "Entity",
        entities,
        index=entities.index("sales") if "sales" in entities else 0,
        format_func=label,
        key="backfill-entity",
    )
    picked = right.date_input(
        f"Dates ({dashboard.zone_name()} days, at most 90)",
        value=(today - timedelta(days=6), today),
        max_value=today,
        key="backfill-dates",
    )
    days = list(picked) if isinstance(picked, tuple | list) else [picked]
    if len(days) < 2:
        st.caption("Pick the last day of the range too.")
        return
    date_from, date_to = days[0], days[-1]
    problem = dashboard.backfill_problem(date_from, date_to)
    if problem:
        st.error(problem, icon=":material/date_range:")
        return
    words = dashboard.backfill_estimate(entity, date_from, date_to)
    st.info(f"Estimate: {dashboard.md(words)}.", icon=":material/calculate:")
    st.caption(
        "Counted from the copy's records on those store days and the time past runs took per "
        "API call; days missing from the copy are not counted."
    )
    if st.button("Queue backfill", key="backfill-queue", icon=":material/history:"):
        result = dashboard.enqueue_backfill(entity, user, date_from, date_to)
        st.session_state["follow"] = result.id
        st.toast(
            f"Already requested: following request #{result.id}."
            if result.merged
            else f"Backfill request #{result.id} queued.",
            icon=":material/check_circle:",
        )
        st.rerun()


def progress_table(rows: list[dict[str, Any]]) -> None:
    now = dashboard.clock()
    st.dataframe(
        pd.DataFrame(
            {
                "Entity": [dashboard.ENTITY_LABELS.get(r["entity_type"], "?") for r in rows],
                "Status": [[r["status"]] for r in rows],
                "Pages": [r["pages"] for r in rows],
                "Records": [r["records_upserted"] for r in rows],
                "API calls": [r["api_calls"] for r in rows],
                "Elapsed (s)": [
                    (r["duration_ms"] or 0) / 1000
                    if r["finished_at"]
                    else (now - r["started_at"]).total_seconds()
                    for r in rows
                ],
                "Error class": [r["error_type"] or "" for r in rows],
            }
        ),
        hide_index=True,
        column_config={
            "Elapsed (s)": st.column_config.NumberColumn(format="%.0f"),
            "Status": status_column(RUN_COLOURS),
        },
    )


def show_request(request_id: int, scheduler_alive: bool) -> bool:
    """Draw the request's state; True while it is still open."""
    info = dashboard.request_info(request_id)
    if info is None:
        st.info(f"Request #{request_id} no longer exists.")
        return False
    what = "everything" if info["entity_type"] == "all" else info["entity_type"]
    if info.get("action") == "reconcile":
        what = "reconcile yesterday"
    status = info["status"]
    if status == dashboard.RequestStatus.QUEUED:
        st.info(
            f"Request #{request_id} (sync {dashboard.md(what)}) is queued since "
            f"{dashboard.local(info['requested_at'], '%H:%M:%S')} "
            f"({dashboard.ago(info['requested_at'])}). The scheduler picks it up within seconds.",
            icon=":material/schedule:",
        )
        if not scheduler_alive:
            st.warning(
                "No scheduler is running, so this request waits until one starts "
                "(`python -m sync scheduler`).",
                icon=":material/power_off:",
            )
        return True
    rows = dashboard.run_progress(info["run_id"]) if info["run_id"] else []
    if status == dashboard.RequestStatus.RUNNING:
        since = dashboard.ago(info["started_at"]).replace(" ago", "")
        with st.status(f"Request #{request_id}: syncing {what} — {since}", expanded=True):
            progress_table(rows) if rows else st.caption("Starting…")
        return True
    failed = status == dashboard.RequestStatus.FAILED or any(
        r["status"] == dashboard.RunStatus.FAILED for r in rows
    )
    total = sum(int(r["records_upserted"]) for r in rows)
    took = (
        (info["finished_at"] - info["started_at"]).total_seconds()
        if info["finished_at"] and info["started_at"]
        else 0
    )
    title = (
        f"Request #{request_id} {status} at {dashboard.local(info['finished_at'], '%H:%M:%S')}: "
        f"{total:,} records in {took:.0f} s"
    )
    with st.status(title, state="error" if failed else "complete", expanded=True):
        if info["error"]:
            st.text(info["error"])
        if rows:
            progress_table(rows)
    return False


@st.fragment(run_every=dashboard.LIVE_REFRESH_SECONDS)
def live(request_id: int, scheduler_alive: bool) -> None:
    """Polls every 2 s while the request is open, then redraws the whole page once."""
    if not show_request(request_id, scheduler_alive):
        # Forget the cached reads too: the header's "Data as of" and the queue move on.
        dashboard.clear_caches()
        st.rerun()


def queue_table(queue: pd.DataFrame) -> None:
    if queue.empty:
        st.caption("No requests yet.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "#": queue["id"],
                "Entity": queue["entity_type"].map(label),
                "Action": [
                    f"backfill {r.date_from} → {r.date_to}"
                    if r.action == "backfill"
                    else ("reconcile yesterday" if r.action == "reconcile" else "sync")
                    for r in queue.itertuples()
                ],
                "Status": queue["status"].map(lambda s: [s]),
                "Requested by": queue["requested_by"].fillna(""),
                "Requested": queue["requested_at"].map(lambda t: dashboard.local(t, "%d %b %H:%M")),
                "Finished": queue["finished_at"].map(
                    lambda t: dashboard.local(t, "%H:%M:%S") if pd.notna(t) else ""
                ),
                "Reason": queue["reason"].fillna(""),
                "Error": queue["error"].fillna(""),
            }
        ),
        hide_index=True,
        column_config={"Status": status_column(REQUEST_COLOURS)},
    )


def render() -> None:
    user = dashboard.current_user()
    stamp = dashboard.page_header("Sync now", key="refresh-sync")
    view = dashboard.overview()
    queue = dashboard.requests_table()
    stamp(view.fetched_at)
    alive = view.scheduler.alive
    if alive:
        nxt = view.scheduler.next_run_at
        st.caption(
            "The scheduler is alive: a request starts within a few seconds."
            + (f" Next scheduled sync at {dashboard.local(nxt)}." if nxt else "")
        )
    else:
        st.warning(
            f"**No scheduler is running** ({dashboard.md(view.scheduler.text)}): a request "
            "waits in the queue until one starts (`python -m sync scheduler`).",
            icon=":material/power_off:",
        )
    active = active_requests(queue)
    follow = st.session_state.get("follow") or (min(active.values()) if active else None)
    info = dashboard.request_info(int(follow)) if follow else None
    if follow in active.values() and info and info["status"] not in OPEN:
        # It finished between reading the queue and reading it: draw the page again, or
        # the buttons would stay off with no live panel left to turn them back on.
        st.rerun()
    request_buttons(user, queue)
    st.subheader("Backfill a date range", anchor=False)
    backfill_form(user)
    if follow:
        st.session_state["follow"] = follow  # keep showing it once it has finished
        st.subheader("Progress", anchor=False)
        if info and info["status"] in OPEN:
            live(int(follow), alive)
        else:
            show_request(int(follow), alive)
    st.subheader("Queue", anchor=False)
    queue_table(queue)


dashboard.safe(render)
