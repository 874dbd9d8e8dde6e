"""The login gate: the form, the throttle, the sidebar, and the pages/ guard.

streamlit-authenticator has no real throttling (STACK-NOTES). Its password check is
wrapped so that an attempt slot is taken in the database before every check
(sync.storage.sql.login_attempts): a refused slot means the password is never checked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from streamlit.runtime.pages_manager import PagesManager
from streamlit_authenticator.utilities.exceptions import LoginError

from sync import auth
from sync.config import Settings
from sync.dashboard import runtime
from sync.dashboard.formatting import local, md
from sync.dashboard.panels import load
from sync.dashboard.store_picker import on_group_page, store_picker
from sync.errors import SyncError
from sync.storage.sql import login_attempts

COOKIE_NAME = "lightspeed_dashboard"
_FRAMED = "_dashboard_framed"
# streamlit-authenticator waits this long on every logged-out run (slows guessing down).
LOGIN_SLEEP_SECONDS = 0.7


@dataclass(frozen=True)
class Session:
    """The logged-in user, and the authenticator that can log them out."""

    username: str
    name: str
    authenticator: Any


def login_gate() -> Session | None:
    """Setup note or login form until the user is in; None while logged out."""
    cfg = runtime.settings()
    problem = auth.setup_problem(cfg)
    if problem:
        _login_title(cfg)
        st.warning(problem, icon=":material/key:")
        return None
    username = cfg.dashboard_username.strip().lower()
    try:
        users = auth.credentials(cfg)
    except SyncError as exc:  # a malformed DASHBOARD_USERS_FILE
        _login_title(cfg)
        st.error(f"{exc.message} {exc.recovery}", icon=":material/key:")
        return None
    signed_in = st.session_state.get("authentication_status") is True
    if signed_in and st.session_state.get("username") not in users["usernames"]:
        # Removed from the users file since logging in: logged out from this run on.
        st.session_state["authentication_status"] = None
    authenticator = stauth.Authenticate(
        users,
        COOKIE_NAME,
        str(cfg.dashboard_cookie_key),
        cfg.dashboard_cookie_days,
        auto_hash=False,
        login_sleep_time=LOGIN_SLEEP_SECONDS,
    )
    if st.session_state.get("authentication_status") is True:
        return Session(username, str(st.session_state.get("name") or username), authenticator)
    by_form: list[dict] = []
    attempt: dict[str, Any] = {}
    _guard_password_checks(authenticator, attempt)
    gate = st.empty()
    with gate.container():
        _login_title(cfg)
        _, middle, _ = st.columns([1, 1.3, 1])
    with middle:
        authenticator.login(
            location="main",
            fields={"Form name": "Sign in", "Login": "Log in"},
            callback=by_form.append,
        )
        status = st.session_state.get("authentication_status")
        if status is True and not by_form:  # the login cookie let them in
            gate.empty()
            return Session(username, str(st.session_state.get("name") or username), authenticator)
        if status is True:
            # The cookie is written by a browser component that reruns the app when done.
            st.success("Signed in. Opening the dashboard…", icon=":material/check:")
            return None
        locked: auth.Lockout | None = attempt.get("locked")
        if locked is None and status is False:
            who = attempt.get("username", username)
            checks, locked = load(
                login_attempts.standing, runtime.engine(), who, client_address(), runtime.clock()
            )
            if locked is None:
                left = max(auth.MAX_FAILURES - checks, 1)
                st.error(
                    f"Wrong username or password ({left} more tries before a pause).",
                    icon=":material/error:",
                )
        if locked is not None:
            # The typed username sits in a code span: only a backtick could end it.
            text = locked.message(lambda t: local(t, "%H:%M"), lambda n: n.replace("`", "'"))
            st.error(text, icon=":material/lock_clock:")
    return None


def client_address() -> str:
    """The browser's address as Streamlit sees it ('local' when it has none).

    The throttle counts per (user, this address). On a direct bind it is the browser's
    own address; behind a reverse proxy on the same host Streamlit takes the last entry
    of X-Forwarded-For (it trusts that header from loopback), which nginx's
    $proxy_add_x_forwarded_for and Caddy's reverse_proxy set to the browser's address
    (docs/tls.md).
    """
    address = st.context.ip_address  # AppTest hands out a mock here
    return address if isinstance(address, str) and address else "local"


def _guard_password_checks(authenticator: Any, attempt: dict[str, Any]) -> None:
    """Take a throttle slot before streamlit-authenticator checks a password.

    A refused slot answers "wrong" without checking anything and leaves the Lockout in
    `attempt`; otherwise the slot is closed with the result of the check.
    """
    controller = authenticator.authentication_controller
    check: Callable[..., Any] = controller.login

    def guarded(username: str | None = None, password: str | None = None, *args, **kwargs):
        if not username or kwargs.get("token"):  # the login cookie: no password to check
            try:
                return check(username, password, *args, **kwargs)
            except LoginError:  # the cookie of a user no longer in the users file
                return None
        engine = runtime.engine()
        slot = load(login_attempts.take_slot, engine, username, client_address(), runtime.clock())
        if isinstance(slot, auth.Lockout):
            attempt["locked"] = slot
            return False
        attempt["username"] = slot.username
        ok = False
        try:
            if slot.delay:  # the per-user ceiling: many failures from everywhere slow checks
                time.sleep(slot.delay)
            ok = bool(check(username, password, *args, **kwargs))
        except ValueError:  # bcrypt refuses a password over 72 bytes: a wrong one here
            st.session_state["authentication_status"] = False
        finally:
            load(login_attempts.close_slot, engine, slot, ok=ok, now=runtime.clock())
        return ok

    controller.login = guarded


def _login_title(cfg: Settings) -> None:
    st.space("medium")
    st.title("Lightspeed Sync & Health", anchor=False, text_alignment="center")
    st.caption(md(cfg.display_name), text_alignment="center")


def sidebar(session: Session, current: Any = None, pages: Sequence[Any] = ()) -> None:
    """Store name (and the store picker over `pages`, `current` shown), who is logged in,
    logout; marks this run as gated."""
    st.session_state[_FRAMED] = True
    with st.sidebar:
        title = "All stores" if on_group_page(current) else md(runtime.store_name())
        st.subheader(title, anchor=False)
        store_picker(current, pages)
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
