"""The only Streamlit-aware sync module: settings, cached data, the login gate, shared widgets.

Pages import only this module (plus streamlit/altair for drawing). Everything a user can
meet as a failure is drawn here as one clear panel; no traceback reaches the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy import Engine
from streamlit.runtime.pages_manager import PagesManager
from streamlit_authenticator.utilities import LoginError

from sync import alerts, auth
from sync.config import Settings, load_settings
from sync.dashboard import alert_queries as da
from sync.dashboard import queries as dq
from sync.dashboard.queries import ENTITY_LABELS, RUN_STATUSES, HistoryFilter
from sync.errors import ErrorKind, SyncError, redact
from sync.health import format_age
from sync.storage.queueing import REQUESTABLE, Enqueued
from sync.storage.sql.db import create_db_engine, safe_url
from sync.storage.sql.queue import request_sync
from sync.storage.status_report import thresholds_for

__all__ = [
    "ENTITY_LABELS",
    "REQUESTABLE",
    "RUN_STATUSES",
    "HistoryFilter",
    "Session",
    "da",
    "dq",
]

log = logging.getLogger("sync.dashboard")
CACHE_TTL_SECONDS = 30
STATUS_REFRESH_SECONDS = 60
LIVE_REFRESH_SECONDS = 2
RETRY_SECONDS = 10
CSV_LIMIT = 100_000
COOKIE_NAME = "lightspeed_dashboard"
_FRAMED = "_dashboard_framed"
# streamlit-authenticator waits this long on every logged-out run (slows guessing down).
LOGIN_SLEEP_SECONDS = 0.7
T = TypeVar("T")


def clock() -> datetime:
    """Now, in UTC. Tests replace this to pin the time."""
    return datetime.now(UTC)


# -- Settings, engine, cached data ---------------------------------------------------------


def settings() -> Settings:
    """The settings of this run; a bad setting draws one sentence and stops the page."""
    try:
        return load_settings()
    except SyncError as exc:
        st.error(f"**Configuration problem.** {exc.message}", icon=":material/settings:")
        st.stop()
        raise  # unreachable: st.stop() raises


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return create_db_engine(url, readonly=True)


def engine() -> Engine:
    """The shared read engine of DASHBOARD_DATABASE_URL (default DATABASE_URL)."""
    return _engine(settings().reader_database_url)


@st.cache_resource(show_spinner=False)
def login_throttle() -> auth.LoginThrottle:
    """One throttle for every session of this process."""
    return auth.LoginThrottle()


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _facts(url: str, day_start: datetime) -> dq.Facts:
    return dq.load_facts(_engine(url), clock(), day_start)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _history(url: str, flt: tuple, unit: str, offset: int) -> tuple[Any, ...]:
    f = HistoryFilter(*flt)
    eng = _engine(url)
    return (
        dq.history_rows(eng, f),
        dq.runs_per_bucket(eng, f, unit, offset),
        dq.duration_per_bucket(eng, f, unit, offset),
        clock(),
    )


def overview() -> dq.Overview:
    """The Status page's numbers (facts cached 30 s, colours computed now)."""
    cfg = settings()
    midnight = clock().astimezone(viewer_tz()).replace(hour=0, minute=0, second=0, microsecond=0)
    facts = load(_facts, cfg.reader_database_url, midnight.astimezone(UTC))
    limits = {e.entity: thresholds_for(cfg, e.entity) for e in facts.entities}
    return dq.build_overview(facts, clock(), limits, cfg.heartbeat_seconds)


def history(flt: HistoryFilter, unit: str) -> tuple[Any, ...]:
    """(rows, runs per bucket, durations per bucket, fetched_at) for `flt`."""
    offset = int((clock().astimezone(viewer_tz()).utcoffset() or timedelta()).total_seconds() // 60)
    key = (flt.start, flt.end, flt.entities, flt.statuses)
    return load(_history, settings().reader_database_url, key, unit, offset)


def history_csv(flt: HistoryFilter) -> bytes:
    """All runs matching `flt` (up to CSV_LIMIT) as CSV; built when the button is pressed."""
    try:
        rows = dq.history_rows(engine(), flt, limit=CSV_LIMIT)
    except SyncError as exc:
        return f"The database could not be read: {exc.message}\n".encode()
    return rows.to_csv(index=False).encode()


def requests_table() -> Any:
    """Open and recent run-now requests (not cached: the page follows them live)."""
    return load(dq.recent_requests, engine())


def request_info(request_id: int) -> dict[str, Any] | None:
    return load(dq.request_info, engine(), request_id)


def run_progress(run_id: str) -> list[dict[str, Any]]:
    return load(dq.run_progress, engine(), run_id)


def enqueue(entity: str, username: str, reason: str | None) -> Enqueued:
    """Queue a run-now request as the logged-in user."""
    return load(request_sync, engine(), entity, requested_by=username, reason=reason, now=clock())


def backfill_problem(date_from: date, date_to: date) -> str | None:
    """One sentence when the range is inverted or longer than the dashboard allows."""
    from sync.engine.backfill import MAX_DASHBOARD_DAYS, check_range

    try:
        check_range(date_from, date_to, max_days=MAX_DASHBOARD_DAYS)
    except SyncError as exc:
        return exc.message
    return None


def backfill_estimate(entity: str, date_from: date, date_to: date) -> str:
    """What a backfill would cost, from the copy and past runs (never calls Lightspeed)."""
    from sync.engine.backfill import estimate

    return load(estimate, settings(), engine(), entity, date_from, date_to).describe()


def enqueue_backfill(entity: str, username: str, date_from: date, date_to: date) -> Enqueued:
    """Queue a backfill of one entity's date range as the logged-in user."""
    return load(
        request_sync,
        engine(),
        entity,
        requested_by=username,
        reason=None,
        now=clock(),
        action="backfill",
        date_from=date_from,
        date_to=date_to,
    )


def clear_caches() -> None:
    """The refresh control: forget cached query results."""
    st.cache_data.clear()


# -- Alerts --------------------------------------------------------------------------------


def open_incidents() -> list[Any]:
    """Open incidents, most severe first (not cached: the page acts on them)."""
    return load(alerts.open_incidents, engine())


def open_incident_count() -> int:
    return load(da.open_incident_count, engine())


def acknowledge_incident(incident_id: int, note: str | None) -> bool:
    """Acknowledge as the logged-in user; False when the incident is no longer open."""
    user = str(st.session_state.get("username"))
    return load(alerts.acknowledge, engine(), incident_id, by=user, note=note, now=clock())


def snooze_incident(incident_id: int, until: datetime) -> bool:
    """Snooze as the logged-in user; False when the incident is no longer open."""
    user = str(st.session_state.get("username"))
    return load(alerts.snooze, engine(), incident_id, until=until, by=user, now=clock())


def data_trust() -> tuple[list[da.Trust], list[dict[str, Any]]]:
    """The latest reconciliation per entity, and that run's errors."""
    return load(da.latest_trust, engine())


def reconciliation_rows(
    start: datetime, end: datetime, entities: tuple[str, ...], statuses: tuple[str, ...]
) -> Any:
    return load(da.reconciliation_rows, engine(), start, end, entities, statuses)


def rule_text(rule: str) -> str:
    """'sync failed', 'data is stale', … (the rule id when unknown)."""
    from sync.alerts.rules import RULE_TEXT

    return {str(k): v for k, v in RULE_TEXT.items()}.get(rule, rule)


def snooze_choices(now: datetime | None = None) -> dict[str, datetime]:
    """Label → until: 1 h, 4 h, tomorrow 09:00 (viewer's time zone)."""
    now = now or clock()
    tomorrow = (now.astimezone(viewer_tz()) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    return {
        "1 hour": now + timedelta(hours=1),
        "4 hours": now + timedelta(hours=4),
        "Tomorrow 09:00": tomorrow.astimezone(UTC),
    }


def incident_history(
    start: datetime, end: datetime, statuses: tuple[str, ...], severities: tuple[str, ...]
) -> Any:
    return load(da.incident_history, engine(), start, end, statuses, severities)


def alert_notifications(start: datetime, end: datetime) -> Any:
    return load(da.notifications, engine(), start, end)


# -- Failure panels ------------------------------------------------------------------------


def load(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a query; on a database failure draw the friendly panel and stop the page."""
    try:
        return fn(*args, **kwargs)
    except SyncError as exc:
        database_problem(exc)
        st.stop()
        raise


def database_problem(exc: SyncError) -> None:
    """What failed and what to check; the page retries by itself."""
    try:
        cfg = load_settings()
    except SyncError:
        cfg = Settings()
    message = redact(exc.message, *cfg.secrets)
    missing = any(s in message for s in ("no such table", "does not exist", "UndefinedTable"))
    with st.container(border=True):
        if exc.kind is ErrorKind.CONFIG:
            st.error("**The database setting is not usable.**", icon=":material/settings:")
        elif missing:
            st.error("**The database has no sync tables yet.**", icon=":material/database:")
        else:
            st.error("**The sync database cannot be read right now.**", icon=":material/database:")
        st.text(message)
        st.markdown(
            "**What to check**\n"
            "- Is the database server running and reachable from this host?\n"
            f"- Is `DASHBOARD_DATABASE_URL` (or `DATABASE_URL`) right? Now: "
            f"`{safe_url(cfg.reader_database_url)}`\n"
            "- Were the tables created? Run `python -m sync migrate` once."
        )
        st.caption(f"This page checks again every {RETRY_SECONDS} seconds by itself.")
        _retry_when_back()


@st.fragment(run_every=RETRY_SECONDS)
def _retry_when_back() -> None:
    # Reload the page once the database answers again (only after it was seen down, so a
    # failure that ping cannot see never loops).
    try:
        dq.ping(_engine(load_settings().reader_database_url))
    except SyncError:
        st.session_state["_db_seen_down"] = True
        return
    if st.session_state.pop("_db_seen_down", False):
        st.rerun()


def safe(render: Callable[[], None]) -> None:
    """Run a page body; any unexpected error becomes one sentence (details in the log)."""
    try:
        render()
    except SyncError as exc:
        database_problem(exc)
    except Exception:
        log.exception("dashboard page failed")
        st.error(
            "Something went wrong while drawing this page. Reload it; if it keeps happening, "
            "the details are in the dashboard's log.",
            icon=":material/error:",
        )


# -- Time formatting -----------------------------------------------------------------------


def viewer_tz() -> tzinfo:
    """The browser's time zone when known, else this server's."""
    name = st.context.timezone
    try:
        return ZoneInfo(name) if name else _server_tz()
    except (ValueError, KeyError, OSError):
        return _server_tz()


def _server_tz() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


def local(moment: datetime | None, fmt: str = "%H:%M") -> str:
    """`moment` in the viewer's time zone ('—' for None)."""
    return moment.astimezone(viewer_tz()).strftime(fmt) if moment else "—"


def exact(moment: datetime | None) -> str:
    return local(moment, "%Y-%m-%d %H:%M:%S %Z") if moment else "never"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago', 'just now' or 'never'."""
    if moment is None:
        return "never"
    age = (now or clock()) - moment
    return "just now" if age < timedelta(seconds=10) else f"{format_age(age)} ago"


def run_time(ms: float | None) -> str:
    """'850 ms', '12.4 s', '3 min'."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return format_age(timedelta(milliseconds=ms))


def md(text: object) -> str:
    """Escape text for use inside Markdown (data is never interpreted)."""
    out = str(text)
    for ch in "\\`*_{}[]()#+-.!|<>~:$":
        out = out.replace(ch, "\\" + ch)
    return out


def page_header(title: str, *, key: str) -> Callable[[datetime | None], None]:
    """Draw the title now; the returned function adds 'Data as of HH:MM · Refresh' on the
    right once the data is loaded (a failed load leaves the title and the panel only)."""
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.title(title, anchor=False)

    def stamp(fetched_at: datetime | None) -> None:
        with right.container(
            horizontal=True, horizontal_alignment="right", vertical_alignment="center"
        ):
            st.caption(
                f"Data as of {local(fetched_at, '%H:%M')}",
                help=exact(fetched_at),
                width="content",
            )
            if st.button("Refresh", key=key, icon=":material/refresh:", type="tertiary"):
                clear_caches()
                st.rerun()

    return stamp


# -- Login gate ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """The logged-in user, and the authenticator that can log them out."""

    username: str
    name: str
    authenticator: Any


def login_gate() -> Session | None:
    """Setup note or login form until the user is in; None while logged out."""
    cfg = settings()
    problem = auth.setup_problem(cfg)
    if problem:
        _login_title(cfg)
        st.warning(problem, icon=":material/key:")
        return None
    username = cfg.dashboard_username.strip().lower()
    throttle = login_throttle()
    locked = throttle.locked(username)
    creds = auth.credentials(cfg, failed_attempts=auth.MAX_FAILURES if locked else 0)
    authenticator = stauth.Authenticate(
        creds,
        COOKIE_NAME,
        str(cfg.dashboard_cookie_key),
        7.0,
        auto_hash=False,
        login_sleep_time=LOGIN_SLEEP_SECONDS,
    )
    if st.session_state.get("authentication_status") is True:
        return Session(username, str(st.session_state.get("name") or username), authenticator)
    by_form: list[dict] = []
    gate = st.empty()
    with gate.container():
        _login_title(cfg)
        _, middle, _ = st.columns([1, 1.3, 1])
    with middle:
        try:
            authenticator.login(
                location="main",
                max_login_attempts=auth.MAX_FAILURES,
                fields={"Form name": "Sign in", "Login": "Log in"},
                callback=by_form.append,
            )
        except LoginError:
            locked = throttle.locked(username)
        failed = creds["usernames"][username].get("failed_login_attempts", 0)
        if not locked and failed > 0:
            locked = throttle.record_failure(username)
        status = st.session_state.get("authentication_status")
        if status is True and not by_form:  # the login cookie let them in
            gate.empty()
            return Session(username, str(st.session_state.get("name") or username), authenticator)
        if status is True:
            # The cookie is written by a browser component that reruns the app when done.
            throttle.record_success(username)
            st.success("Signed in. Opening the dashboard…", icon=":material/check:")
        elif locked:
            st.error(locked.message(lambda t: local(t, "%H:%M")), icon=":material/lock_clock:")
        elif status is False:
            left = auth.MAX_FAILURES - throttle.failures(username)
            st.error(
                f"Wrong username or password ({left} more tries before a 15-minute pause).",
                icon=":material/error:",
            )
    return None


def _login_title(cfg: Settings) -> None:
    st.space("medium")
    st.title("Lightspeed Sync & Health", anchor=False, text_alignment="center")
    st.caption(md(cfg.display_name), text_alignment="center")


def sidebar(session: Session) -> None:
    """Store name, who is logged in, logout; marks this run as gated."""
    cfg = settings()
    st.session_state[_FRAMED] = True
    with st.sidebar:
        st.subheader(md(cfg.display_name), anchor=False)
        st.caption(f"Signed in as **{md(session.name)}**")
        session.authenticator.logout("Log out", location="sidebar", key="sign-out")
    if st.session_state.get("authentication_status") is not True:
        # The cookie is deleted by a browser component that reruns the app when done.
        st.info("Signed out.", icon=":material/logout:")
        st.stop()


def leave_legacy_pages_mode() -> None:
    """First thing in the frame: make sure Streamlit's legacy pages/ mode is off.

    A server process starts in that mode because a folder named `pages/` exists; it ends
    only when a run calls st.navigation. The first run of a fresh server would otherwise
    be a legacy run, whose widgets (the login form) belong to a page that the next run no
    longer knows, so the first login attempt would be lost.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def current_user() -> str:
    """For pages: the logged-in username, only when the frame's gate ran in this run.

    Until some run calls st.navigation, Streamlit runs files in `pages/` on their own (its
    legacy mode), skipping the frame. A page reached that way switches the mode off and
    reruns through the frame instead of drawing anything.
    """
    if not st.session_state.pop(_FRAMED, False):
        PagesManager.uses_pages_directory = False
        st.rerun()
    if st.session_state.get("authentication_status") is not True:
        st.stop()
    return str(st.session_state.get("username"))


# -- Status tiles --------------------------------------------------------------------------

# Constant CSS (no data): tint each tile by the colour in its container key.
_TILE_CSS = """<style>
[class*="st-key-tile-green"] {border-left: 6px solid #1f9d55 !important;
  background: rgba(31,157,85,.05);}
[class*="st-key-tile-yellow"] {border-left: 6px solid #d69e00 !important;
  background: rgba(214,158,0,.07);}
[class*="st-key-tile-red"] {border-left: 6px solid #d64545 !important;
  background: rgba(214,69,69,.06);}
[data-testid="stColumn"]:has([class*="st-key-tile-"]) {align-self: stretch;}
[data-testid="stColumn"]:has([class*="st-key-tile-"]) > [data-testid="stVerticalBlock"],
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-tile-"]),
[class*="st-key-tile-"] {height: 100%;}
[class*="st-key-tile-"] [data-testid="stText"] {font-size: .85rem;}
</style>"""
_BADGES = {
    dq.Colour.GREEN: ("green", "Up to date", ":material/check_circle:"),
    dq.Colour.YELLOW: ("orange", "Getting stale", ":material/schedule:"),
    dq.Colour.RED: ("red", "Needs attention", ":material/error:"),
}


def tiles(view: dq.Overview, now: datetime, per_row: int = 3) -> None:
    """One bordered, coloured tile per entity."""
    st.html(_TILE_CSS)
    for start in range(0, len(view.tiles), per_row):
        for column, item in zip(
            st.columns(per_row), view.tiles[start : start + per_row], strict=False
        ):
            with column:
                tile(item, now)


def tile(t: dq.Tile, now: datetime) -> None:
    """Colour, last success (exact time on hover), last run, counts, and the error if any."""
    f = t.facts
    colour, word, icon = _BADGES[t.colour]
    green_h = t.thresholds.green.total_seconds() / 3600
    yellow_h = t.thresholds.yellow.total_seconds() / 3600
    with st.container(border=True, key=f"tile-{t.colour.value}-{f.entity}"):
        st.markdown(f"#### {t.label}")
        st.badge(f"{t.colour.value.upper()} · {word}", color=colour, icon=icon)
        st.metric(
            "Last success",
            ago(f.last_success, now),
            help=f"{exact(f.last_success)}. Green under {green_h:g} h, yellow up to "
            f"{yellow_h:g} h, red after that or when the latest run failed.",
        )
        run = f.last_run or {}
        status = run.get("status") or f.status
        changed = int(run.get("records_upserted") or 0) + int(run.get("records_deleted") or 0)
        duration = run.get("duration_ms")
        took = f" · took {run_time(duration)}" if duration is not None else ""
        when = f" · {local(run.get('started_at'), '%d %b %H:%M')}" if run else ""
        st.caption(f"Last run: **{md(status)}**{when}{took}")
        st.caption(
            f"**{f.records_total:,}** records in table · **{changed:,}** changed in last run"
            + (" (so far)" if status == "running" else "")
        )
        if t.error:
            # Error text comes from the API and the database: shown with st.text, so no
            # Markdown (links, images) or HTML in it is ever interpreted.
            message, recovery = t.error
            st.error(f"**{md(f.error_type or 'Error')}** · the latest run failed", icon="⚠️")
            st.text(message or "No details were recorded.")
            if recovery:
                st.text(f"What to do: {recovery}")
