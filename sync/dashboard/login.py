"""The login gate: the form, the time-windowed throttle, the sidebar, and the pages/ guard.

streamlit-authenticator has no real throttling (STACK-NOTES), so failures are counted in
one process-wide `auth.LoginThrottle`, and a locked user reaches the authenticator as a
user with no attempts left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from streamlit.runtime.pages_manager import PagesManager
from streamlit_authenticator.utilities import LoginError

from sync import auth
from sync.config import Settings
from sync.dashboard import runtime
from sync.dashboard.formatting import local, md

COOKIE_NAME = "lightspeed_dashboard"
_FRAMED = "_dashboard_framed"
# streamlit-authenticator waits this long on every logged-out run (slows guessing down).
LOGIN_SLEEP_SECONDS = 0.7


@st.cache_resource(show_spinner=False)
def login_throttle() -> auth.LoginThrottle:
    """One throttle for every session of this process."""
    return auth.LoginThrottle()


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
    cfg = runtime.settings()
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
