"""Alerts: open incidents (acknowledge, snooze), incident history, notifications sent."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from sync import dashboard

SEVERITY_ICONS = {
    "critical": ":material/emergency_home:",
    "error": ":material/error:",
    "warning": ":material/warning:",
}
SEVERITY_BANNER = {"critical": st.error, "error": st.error, "warning": st.warning}


def state_line(incident: Any, now: datetime) -> str:
    """'Acknowledged by cfo at 10:12 · Snoozed until 14:00 by cfo' (plain text)."""
    parts = []
    if incident.acknowledged_at:
        parts.append(
            f"Acknowledged by {incident.acknowledged_by or '?'} at "
            f"{dashboard.local(incident.acknowledged_at, '%d %b %H:%M')}"
            + (f" — {incident.ack_note}" if incident.ack_note else "")
        )
    if incident.snoozed_until and incident.snoozed_until > now:
        parts.append(
            f"Snoozed until {dashboard.local(incident.snoozed_until, '%d %b %H:%M')} "
            f"by {incident.snoozed_by or '?'}"
        )
    return " · ".join(parts) or "Not acknowledged"


def incident_card(incident: Any, now: datetime, store: str | None) -> None:
    severity = str(incident.severity)
    with st.container(border=True, key=f"incident-{incident.id}"):
        rule = dashboard.md(dashboard.rule_text(incident.rule))
        entity = dashboard.md(dashboard.ENTITY_LABELS.get(incident.entity, incident.entity))
        where = f" · {dashboard.md(store)}" if store else ""  # only among several stores
        SEVERITY_BANNER.get(severity, st.info)(
            f"**{dashboard.md(severity.upper())}** — {rule} · {entity}{where}",
            icon=SEVERITY_ICONS.get(severity, ":material/info:"),
        )
        st.caption(
            f"Since {dashboard.local(incident.since, '%d %b %H:%M')} "
            f"({dashboard.ago(incident.since, now)}) · {incident.occurrences} occurrence"
            + ("" if incident.occurrences == 1 else "s")
        )
        st.text(f"Last message: {incident.message}")
        if incident.recovery:
            st.text(f"What to do: {incident.recovery}")
        st.text(state_line(incident, now))
        left, right = st.columns(2, vertical_alignment="bottom")
        with left:
            note = st.text_input("Note (optional)", max_chars=500, key=f"ack-note-{incident.id}")
            if st.button(
                "Acknowledge",
                key=f"ack-{incident.id}",
                icon=":material/done:",
                disabled=incident.acknowledged_at is not None,
            ):
                done = dashboard.acknowledge_incident(incident.id, note)
                st.session_state["alerts-toast"] = (
                    f"Incident #{incident.id} acknowledged."
                    if done
                    else f"Incident #{incident.id} is no longer open."
                )
                st.rerun()
        with right:
            choices = dashboard.snooze_choices(now)
            choice = st.selectbox("Snooze until", list(choices), key=f"snooze-until-{incident.id}")
            if st.button("Snooze", key=f"snooze-{incident.id}", icon=":material/snooze:"):
                done = dashboard.snooze_incident(incident.id, choices[choice])
                st.session_state["alerts-toast"] = (
                    f"Incident #{incident.id} snoozed until "
                    f"{dashboard.local(choices[choice], '%d %b %H:%M')}."
                    if done
                    else f"Incident #{incident.id} is no longer open."
                )
                st.rerun()


def history_filters(now: datetime) -> tuple[datetime, datetime, tuple[str, ...], tuple[str, ...]]:
    today = now.astimezone(dashboard.store_tz()).date()
    dates, statuses, severities = st.columns([2, 1, 1])
    picked = dates.date_input(
        f"Opened between ({dashboard.zone_name()} days)",
        value=(today - timedelta(days=6), today),
        max_value=today,
        key="alerts-dates",
    )
    days = list(picked) if isinstance(picked, tuple | list) else [picked]
    first, last = days[0], days[-1]
    tz = dashboard.store_tz()
    start = datetime.combine(first, time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    status = statuses.multiselect(
        "Status", list(dashboard.da.INCIDENT_STATUSES), default=None, key="alerts-status"
    )
    severity = severities.multiselect(
        "Severity", list(dashboard.da.SEVERITIES), default=None, key="alerts-severity"
    )
    return (
        start,
        end,
        tuple(status) or dashboard.da.INCIDENT_STATUSES,
        tuple(severity) or dashboard.da.SEVERITIES,
    )


def history_table(rows: pd.DataFrame) -> None:
    if rows.empty:
        st.caption("No incidents match these filters.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "#": rows["id"],
                "Severity": rows["severity"],
                "Alert": rows["rule"].map(dashboard.rule_text),
                "Entity": rows["entity"].map(lambda e: dashboard.ENTITY_LABELS.get(e, e)),
                "Status": rows["status"],
                "Opened": rows["opened_at"].map(lambda t: dashboard.local(t, "%d %b %H:%M")),
                "Resolved": rows["resolved_at"].map(
                    lambda t: dashboard.local(t, "%d %b %H:%M") if pd.notna(t) else ""
                ),
                "Occurrences": rows["occurrences"],
                "Acknowledged by": rows["acknowledged_by"].fillna(""),
                "Message": rows["message"],
            }
        ),
        hide_index=True,
    )


def notifications_table(rows: pd.DataFrame) -> None:
    if rows.empty:
        st.caption("No notifications were sent in this period.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Sent": rows["attempted_at"].map(lambda t: dashboard.local(t, "%d %b %H:%M")),
                "Incident": rows["incident_id"].map(lambda i: f"#{int(i)}" if pd.notna(i) else ""),
                "Kind": rows["kind"],
                "Channel": rows["channel"],
                "Status": rows["status"],
                "Error": rows["error"].fillna(""),
            }
        ),
        hide_index=True,
    )


def render() -> None:
    dashboard.current_user()
    stamp = dashboard.page_header("Alerts", key="refresh-alerts")
    now = dashboard.clock()
    incidents = dashboard.open_incidents()
    stamp(now)
    message = st.session_state.pop("alerts-toast", None)
    if message:
        st.toast(message, icon=":material/check_circle:")
    st.subheader(f"Open incidents ({len(incidents)})", anchor=False)
    if not incidents:
        st.success("No open incidents: every alert rule is quiet.", icon=":material/check_circle:")
    store = dashboard.incident_store()
    for incident in incidents:
        incident_card(incident, now, store)
    st.subheader("Incident history", anchor=False)
    start, end, statuses, severities = history_filters(now)
    history_table(dashboard.incident_history(start, end, statuses, severities))
    st.subheader("Notifications sent", anchor=False)
    notifications_table(dashboard.alert_notifications(start, end))


dashboard.safe(render)
