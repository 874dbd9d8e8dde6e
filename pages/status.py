"""Status: verdict, health score, data ready, run statistics, scheduler and entity tiles."""

from __future__ import annotations

import streamlit as st

from sync import dashboard

_VERDICT = {
    "HEALTHY": (st.success, ":material/check_circle:"),
    "WARNING": (st.warning, ":material/schedule:"),
    "CRITICAL": (st.error, ":material/error:"),
}
_SCORE_HELP = (
    "0-100: scheduler alive 20, freshness against the SLA 45, no failures in a row 20, "
    "latest reconciliation matched 15. A critically stale entity keeps it below 60; "
    "nothing synced yet is 0."
)


def blocked(health: dashboard.HealthSummary) -> None:
    """The data-ready banner: why reports should not use the figures, and what to do."""
    if health.data_ready:
        return
    lines = ["**Reports are blocked: the sales figures are not ready to use.**"]
    for r in health.reasons:
        since = f" (since {dashboard.local(r.since, '%d %b %H:%M')})" if r.since else ""
        lines.append(
            f"- **{dashboard.md(r.entity)}**: {dashboard.md(r.reason)}{since}. "
            f"Next step: {r.next_step}"  # our own sentences, with `commands` as code
        )
    st.error("\n".join(lines), icon=":material/block:")


def summary(
    view: dashboard.dq.Overview, health: dashboard.HealthSummary, open_alerts: int = 0
) -> None:
    """The verdict, data-ready and scheduler banners, and the headline numbers."""
    banner, icon = _VERDICT[health.overall_status.value]
    verdict, _, words = health.overall_text.partition(" — ")
    red = [t.label for t in view.tiles if t.colour.value == "red"]
    detail = f" Needs attention: {', '.join(red)}." if red else ""
    banner(f"**{verdict}** — {dashboard.md(words)}.{detail}", icon=icon)
    blocked(health)
    sched = view.scheduler
    if not sched.alive:
        st.error(
            f"**The scheduler is not running** ({dashboard.md(sched.text)}): no syncs happen "
            "and Sync now requests wait. Start it with `python -m sync scheduler` "
            "(or `systemctl start lightspeed-sync`).",
            icon=":material/power_off:",
        )
    login_problem = dashboard.reader_login_problem()
    if login_problem:
        st.warning(dashboard.md(login_problem), icon=":material/admin_panel_settings:")
    counts = health.counts
    top = st.columns(3)
    top[0].metric("Health score", f"{health.health_score}/100", help=_SCORE_HELP, border=True)
    top[1].metric(
        "Healthy · delayed · error",
        f"{counts.healthy} · {counts.delayed} · {counts.error}",
        help="Entities by colour: green, yellow, red.",
        border=True,
    )
    top[2].metric(
        "Data for reports",
        "Ready" if health.data_ready else "Blocked",
        help="Blocked while sales or line items are empty, critically stale (over 4x "
        "their SLA) or failing on AUTH, or yesterday's sales differ from Lightspeed.",
        border=True,
    )
    # Six headline tiles, three to a row: at 1400 px six in one row cut labels and values.
    rate = view.success_rate_24h
    cols = [*st.columns(3), *st.columns(3)]
    cols[0].metric(
        "Success rate, 24 h",
        f"{rate:.0%}" if rate is not None else "—",
        help=f"{view.runs_24h} finished entity runs in the last 24 hours; partial counts as "
        "success.",
        border=True,
    )
    cols[1].metric(
        "Failures in a row",
        f"{view.consecutive_failures}"
        + ("+" if view.consecutive_failures >= dashboard.dq.STREAK_DEPTH else ""),
        help="The longest run of failures in a row among the entities"
        + (f" ({view.failing_entity})." if view.failing_entity else "."),
        border=True,
    )
    avg = view.avg_duration_s_24h
    cols[2].metric(
        "Avg run time, 24 h",
        dashboard.run_time(avg * 1000) if avg is not None else "—",
        help="Average duration of one entity's run.",
        border=True,
    )
    cols[3].metric("Records synced today", f"{view.records_today:,}", border=True)
    cols[4].metric(
        "Scheduler",
        "Alive" if sched.alive else ("Never seen" if sched.state == "never" else "Down"),
        help=sched.text,
        border=True,
    )
    cols[5].metric(
        "Open alerts",
        f"{open_alerts}",
        help="Open incidents: see the Alerts page to acknowledge or snooze them.",
        border=True,
    )
    activity = sched.activity
    if sched.alive:
        parts = []
        if sched.state == "syncing" and activity.get("entity"):
            parts.append(
                f"Syncing **{dashboard.md(activity['entity'])}** now: page "
                f"{int(activity.get('pages') or 0)}, {int(activity.get('records') or 0):,} "
                "records so far."
            )
        if sched.next_run_at:
            parts.append(
                f"Next scheduled sync at **{dashboard.local(sched.next_run_at)}** "
                f"({dashboard.local(sched.next_run_at, '%d %b')})."
            )
        if parts:
            st.caption(" ".join(parts))


def data_trust() -> None:
    """Per entity: verified against Lightspeed by the latest reconciliation, or what differs."""
    trust, errors = dashboard.data_trust()
    st.subheader("Data trust", anchor=False)
    if not trust and not errors:
        st.caption(
            "No reconciliation has run yet (`python -m sync reconcile` checks the copy against "
            "Lightspeed)."
        )
        return
    today = dashboard.local(dashboard.clock(), "%Y-%m-%d")
    for item in trust:
        name = dashboard.md(dashboard.ENTITY_LABELS.get(item.entity, item.entity))
        when = dashboard.local(item.checked_at, "%H:%M")
        if dashboard.local(item.checked_at, "%Y-%m-%d") != today:
            when += dashboard.local(item.checked_at, " on %d %b")
        if item.verified:
            st.markdown(f":material/verified: **{name}** — verified against Lightspeed at {when}")
            continue
        with st.container(border=True, key=f"trust-{item.entity}"):
            st.error(
                f"**{name}** differs from Lightspeed (checked at {when}).",
                icon=":material/rule:",
            )
            for check in item.mismatches:
                st.text(
                    f"{check['measure']} · {check['scope']}: Lightspeed {check['source_value']}, "
                    f"copy {check['db_value']}, difference {check['difference']}"
                )
            repairs = sorted({c["details"] for c in item.mismatches if c["details"]})
            for repair in repairs:
                st.text(f"Repair: {repair}")
    for error in errors:
        st.warning("The latest reconciliation could not finish.", icon=":material/warning:")
        st.text(str(error["details"] or ""))


@st.fragment(run_every=dashboard.STATUS_REFRESH_SECONDS)
def live_status() -> None:
    """Redrawn every minute from one snapshot of the run log, at most 30 s old."""
    stamp = dashboard.page_header("Status", key="refresh-status")
    view = dashboard.overview()
    stamp(view.fetched_at)
    open_alerts = dashboard.open_alerts()
    health = dashboard.health()
    summary(view, health, open_alerts)
    if open_alerts:
        st.caption(
            f"{open_alerts} open alert{'s' if open_alerts != 1 else ''}: "
            "open **Alerts** in the sidebar to acknowledge or snooze."
        )
    st.subheader("Entities", anchor=False)
    dashboard.tiles(view, dashboard.clock(), health)
    data_trust()


def render() -> None:
    dashboard.current_user()
    live_status()


dashboard.safe(render)
