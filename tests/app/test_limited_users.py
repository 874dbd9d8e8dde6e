"""Dashboard users limited to some stores (issue 27 §4): a user of the users file sees only
their stores on every page (picker, `?store=`, Status, History, Alerts, Sync now, Stores),
nothing of another store and nothing that says it exists; the .env user still sees all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import bcrypt
import pytest
from sqlalchemy import insert

from sync.config.users import DashboardUser, save_users
from sync.storage.schema import alert_incidents, lightspeed_stores
from sync.storage.sql.store import Store
from tests.app.conftest import add_run, log_in, requests, set_state, texts
from tests.app.test_store_picker import NOW, beta, pinned, records_today

__all__ = ["beta", "pinned"]  # the fixtures, used by name below

PASSWORD = "franchise password"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
# What would give the first store ('default', Harbour Street Store) away.
FIRST_STORE_MARKS = ("Harbour Street Store", "default", "Sales of default")


@pytest.fixture
def users(app_db: Store, beta: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A third store, gamma (records 3), an open incident in the first store, and the users
    file: 'franchise' sees beta only, 'group' sees beta and gamma."""
    with app_db.engine.begin() as conn:
        conn.execute(
            insert(lightspeed_stores).values(
                prefix="gamma",
                name="Gamma Co",
                connection="token",
                added_at=datetime.now(UTC) + timedelta(seconds=1),
            )
        )
        conn.execute(
            insert(alert_incidents).values(
                store=app_db.prefix,
                rule="stale",
                entity="sales",
                status="open",
                severity="warning",
                title="Sales of default are stale",
                message="Last success 3 h ago.",
                since=NOW,
                opened_at=NOW,
                last_seen_at=NOW,
            )
        )
    gamma = Store(app_db.engine, prefix="gamma")
    gamma.ensure_state_rows()
    for entity in ("customers", "outlets", "products", "sales", "sale_line_items", "inventory"):
        set_state(
            gamma,
            entity,
            status="success",
            last_sync_time=NOW - timedelta(minutes=5),
            records_total=5,
        )
    add_run(gamma, "customers", "success", NOW - timedelta(minutes=5), records_upserted=3)
    path = tmp_path / "users.toml"
    save_users(
        path,
        {
            "franchise": DashboardUser("franchise", HASH, ("beta",)),
            "group": DashboardUser("group", HASH, ("beta", "gamma")),
        },
    )
    monkeypatch.setenv("DASHBOARD_USERS_FILE", str(path))
    return path


def franchise(framed_app, query: dict[str, str] | None = None):
    at = framed_app()
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at = log_in(at.run(), PASSWORD, "franchise")
    assert at.session_state["authentication_status"] is True
    assert not at.exception
    return at


def shows_nothing_of_the_first_store(at) -> None:
    shown = texts(at) + "\n".join(str(t.value) for t in at.text)
    shown += "\n".join(str(f.value) for f in at.dataframe)
    for mark in FIRST_STORE_MARKS:
        assert mark not in shown, mark


def test_a_limited_user_sees_only_their_store_and_no_picker(users, framed_app, pinned):
    at = franchise(framed_app)
    assert records_today(at) == "7"  # beta's; the first store's is 60
    assert at.sidebar.subheader[0].value == "Beta Ltd"
    assert not [s for s in at.sidebar.selectbox if s.label == "Store"]
    shows_nothing_of_the_first_store(at)


def test_a_link_to_another_store_behaves_like_an_unknown_store(users, framed_app, pinned):
    at = franchise(framed_app, {"store": "default"})
    assert records_today(at) == "7"
    shows_nothing_of_the_first_store(at)
    at.query_params["store"] = "gamma"  # a store of the database, not theirs
    at.run()
    assert records_today(at) == "7"
    at.query_params["store"] = "nowhere"
    at.run()
    assert records_today(at) == "7"


def test_history_alerts_and_sync_now_stay_in_their_store(users, app_db, framed_app, pinned):
    at = franchise(framed_app, {"store": "default"})
    at.switch_page("pages/history.py").run()
    assert not at.exception
    runs = at.dataframe[0].value
    assert list(runs["Records"]) == [7]
    shows_nothing_of_the_first_store(at)

    at.switch_page("pages/alerts.py").run()
    assert not at.exception
    assert "Open incidents (0)" in texts(at)
    shows_nothing_of_the_first_store(at)

    at.switch_page("pages/sync_now.py").run()
    assert not at.exception
    at.button(key="sync-all").click().run()
    assert [(r["store"], r["requested_by"]) for r in requests(app_db)] == [("beta", "franchise")]


def test_a_user_with_one_store_gets_no_stores_page(users, framed_app, pinned):
    at = franchise(framed_app)
    with pytest.raises(Exception, match="stores"):
        at.switch_page("pages/stores.py").run()


def test_a_user_with_two_stores_picks_and_rolls_up_only_theirs(users, framed_app, pinned):
    at = log_in(framed_app().run(), PASSWORD, "group")
    assert not at.exception
    [picker] = [s for s in at.sidebar.selectbox if s.label == "Store"]
    assert picker.options == ["All stores", "Beta Ltd (beta)", "Gamma Co (gamma)"]
    assert records_today(at) == "7"
    picker.set_value("gamma").run()
    assert records_today(at) == "3"
    at.switch_page("pages/stores.py").run()
    assert not at.exception
    rows = at.dataframe[0].value
    assert list(rows["Name"]) == ["Beta Ltd", "Gamma Co"]
    [banner] = at.error  # beta's sales never synced: the verdict over theirs only
    assert "across 2 stores" in banner.value and "Beta Ltd" in banner.value
    shows_nothing_of_the_first_store(at)


def test_the_env_user_still_sees_every_store(users, framed_app, pinned):
    at = log_in(framed_app().run())
    [picker] = [s for s in at.sidebar.selectbox if s.label == "Store"]
    assert picker.options == ["All stores", "default", "Beta Ltd (beta)", "Gamma Co (gamma)"]
    assert records_today(at) == "60"
    at.switch_page("pages/stores.py").run()
    assert list(at.dataframe[0].value["Name"]) == ["default", "Beta Ltd", "Gamma Co"]


def test_a_removed_user_is_logged_out(users, framed_app, pinned):
    at = franchise(framed_app)
    save_users(users, {})
    at.run()
    assert at.session_state["authentication_status"] is not True
    assert at.text_input  # the login form again
    assert "Records synced today" not in texts(at)


def test_a_malformed_users_file_is_one_sentence_on_the_login_page(users, framed_app):
    users.write_text("[usernames.franchise]\nstores = 3\n")
    at = framed_app().run()
    assert not at.exception
    [problem] = at.error
    assert f"The dashboard users file {users} is malformed" in problem.value
