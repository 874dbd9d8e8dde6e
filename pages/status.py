"""Status: verdict and score, entity tiles, headline numbers, data trust and its button."""

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


def score_line(view: dashboard.dq.Overview, health: dashboard.HealthSummary) -> str:
    """'Health score 92/100 · -8: no reconciliation yet, it runs tonight at 02:00 CET.'"""
    stale = [
        dashboard.ENTITY_LABELS.get(e.reading.entity, e.reading.entity)
        for e in health.entities
        if e.freshness.value != "ok"
    ]
    failing = [
        dashboard.ENTITY_LABELS.get(e.reading.entity, e.reading.entity)
        for e in health.entities
        if e.reading.consecutive_failures
    ]
    nightly = dashboard.when_nightly(
        dashboard.clock(), dashboard.store_tz(), dashboard.settings().nightly_full_time
    )
    why = dashboard.score_explanation(
        dashboard.deduction_text(d, stale=stale, failing=failing, nightly=nightly)
        for d in health.score_deductions
    )
    return f"**Health score {health.health_score}/100**" + (f" · {why}" if why else "")


def verdict(view: dashboard.dq.Overview, health: dashboard.HealthSummary) -> None:
    """The verdict and the score's reasons first, then the banners that need action."""
    banner, icon = _VERDICT[health.overall_status.value]
    text, _, words = health.overall_text.partition(" — ")
    red = [t.label for t in view.tiles if t.colour.value == "red"]
    detail = f" Needs attention: {', '.join(red)}." if red else ""
    banner(f"**{text}** — {dashboard.md(words)}.{detail}", icon=icon)
    st.markdown(score_line(view, health), help=_SCORE_HELP)
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


def numbers(
    view: dashboard.dq.Overview, health: dashboard.HealthSummary, open_alerts: int = 0
) -> None:
    """The headline numbers: three to a row on a wide screen, two on a phone."""
    counts = health.counts
    rate = view.success_rate_24h
    sched = view.scheduler
    avg = view.avg_duration_s_24h
    streak = f"{view.consecutive_failures}" + (
        "+" if view.consecutive_failures >= dashboard.dq.STREAK_DEPTH else ""
    )
    items = [
        ("Health score", f"{health.health_score}/100", _SCORE_HELP),
        (
            "Healthy · delayed · error",
            f"{counts.healthy} · {counts.delayed} · {counts.error}",
            "Entities by colour: green, yellow, red.",
        ),
        (
            "Data for reports",
            "Ready" if health.data_ready else "Blocked",
            "Blocked while sales or line items are empty, critically stale (over 4x their SLA) "
            "or failing on AUTH, or yesterday's sales differ from Lightspeed.",
        ),
        (
            "Success rate, 24 h",
            f"{rate:.0%}" if rate is not None else "—",
            f"{view.runs_24h} finished entity runs in the last 24 hours; partial counts as "
            "success.",
        ),
        (
            "Failures in a row",
            streak,
            "The longest run of failures in a row among the entities"
            + (f" ({view.failing_entity})." if view.failing_entity else "."),
        ),
        (
            "Avg run time, 24 h",
            dashboard.run_time(avg * 1000) if avg is not None else "—",
            "Average duration of one entity's run.",
        ),
        ("Records synced today", f"{view.records_today:,}", None),
        (
            "Scheduler",
            "Alive" if sched.alive else ("Never seen" if sched.state == "never" else "Down"),
            sched.text,
        ),
        (
            "Open alerts",
            f"{open_alerts}",
            "Open incidents: see the Alerts page to acknowledge or snooze them.",
        ),
    ]
    dashboard.grid_css()
    with st.container(horizontal=True, key="grid-numbers"):
        for label, value, help_text in items:
            st.metric(label, value, help=help_text, border=True)
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


def sla_caption(health: dashboard.HealthSummary) -> None:
    """The freshness SLA, said once for every tile."""
    slas = {
        dashboard.ENTITY_LABELS.get(e.reading.entity, e.reading.entity): e.sla.total_seconds()
        / 3600
        for e in health.entities
    }
    st.caption(dashboard.sla_sentence(slas))


def reconcile_button(user: str) -> None:
    """Queue a reconciliation of yesterday now (the scheduler runs it within seconds)."""
    pending = dashboard.open_reconcile()
    nightly = dashboard.when_nightly(
        dashboard.clock(), dashboard.store_tz(), dashboard.settings().nightly_full_time
    )
    left, right = st.columns([1, 2], vertical_alignment="center")
    clicked = left.button(
        "Reconcile yesterday now",
        key="reconcile-now",
        icon=":material/fact_check:",
        disabled=pending is not None,
        help="Compares yesterday's records and sales totals in the copy with Lightspeed.",
    )
    if pending is not None:
        words = "is running" if pending["status"] == "running" else "is queued"
        right.caption(
            f"Reconciliation #{int(pending['id'])} {words}; its result appears here when it "
            "finishes."
        )
    else:
        right.caption(
            f"It also runs by itself every night{' — next ' + nightly if nightly else ''}."
            if nightly
            else "The nightly reconciliation is off (NIGHTLY_FULL_TIME)."
        )
    if clicked:
        result = dashboard.enqueue_reconcile(user)
        st.toast(
            f"Reconciliation #{result.id} queued: the scheduler starts it within seconds.",
            icon=":material/check_circle:",
        )
        st.rerun()


def data_trust(user: str) -> None:
    """Per entity: verified against Lightspeed by the latest reconciliation, or what differs."""
    trust, errors = dashboard.data_trust()
    st.subheader("Data trust", anchor=False)
    reconcile_button(user)
    if not trust and not errors:
        st.caption("No reconciliation has run yet: it checks yesterday's copy against Lightspeed.")
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
def live_status(user: str) -> None:
    """Redrawn every minute from one snapshot of the run log, at most 30 s old."""
    stamp = dashboard.page_header("Status", key="refresh-status")
    view = dashboard.overview()
    stamp(view.fetched_at)
    open_alerts = dashboard.open_alerts()
    health = dashboard.health()
    verdict(view, health)
    if open_alerts:
        st.caption(
            f"{open_alerts} open alert{'s' if open_alerts != 1 else ''}: "
            "open **Alerts** in the sidebar to acknowledge or snooze."
        )
    st.subheader("Entities", anchor=False)
    sla_caption(health)
    dashboard.tiles(view, dashboard.clock(), health)
    st.subheader("Numbers", anchor=False)
    numbers(view, health, open_alerts)
    data_trust(user)


def render() -> None:
    live_status(dashboard.current_user())


dashboard.safe(render)
