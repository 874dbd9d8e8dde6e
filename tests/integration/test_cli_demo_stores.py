"""`python -m sync demo --stores 3` (`make demo STORES=3`): three simulated stores in one
database, each with its own name and token, synced side by side; Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.receivers import free_port

REPO = Path(__file__).resolve().parents[2]
ENTITIES = 6  # the sync_log rows of one store's full sync (sales and its line items apart)


def demo(*args: str, cwd: Path) -> subprocess.Popen:
    """The demo in `cwd` (no streamlit_app.py there: it runs without the dashboard)."""
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPO),
        "HOME": str(cwd),
        "DEMO_SCALE": "tiny",
        "DEMO_API_PORT": str(free_port()),
        "DEMO_DASHBOARD_PORT": str(free_port()),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "sync", "demo", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def synced(db: Path) -> dict[str, int]:
    """Delivered runs per store of the demo's database (empty while it is not there yet)."""
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            rows = conn.execute(
                "SELECT store, count(DISTINCT entity_type) FROM sync_log "
                "WHERE status = 'success' GROUP BY store"
            ).fetchall()
    except sqlite3.OperationalError:  # not migrated yet, or locked for a moment
        return {}
    return dict(rows)


def test_three_stores_are_added_and_each_syncs(tmp_path):
    process = demo("--stores", "3", cwd=tmp_path)
    db = tmp_path / ".demo" / "lightspeed-3-stores.db"
    try:
        deadline = time.monotonic() + 90
        while synced(db) != {"harbour": ENTITIES, "uptown": ENTITIES, "lakeside": ENTITIES}:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, f"not every store synced: {synced(db)}"
            time.sleep(0.5)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            stores = conn.execute(
                "SELECT prefix, name, connection FROM lightspeed_stores ORDER BY prefix"
            ).fetchall()
            tokens = dict(conn.execute("SELECT store, token FROM lightspeed_store_tokens"))
            sales = conn.execute(
                "SELECT store, count(*), count(DISTINCT id) FROM lightspeed_sales GROUP BY store"
            ).fetchall()
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert stores == [
        ("harbour", "Harbour Street", "token"),
        ("lakeside", "Lakeside Outlet", "token"),
        ("uptown", "Uptown Mall", "token"),
    ]
    # The first store is the configured one (its token in .demo/.env); the others are kept
    # as `store add` keeps them, each with the token the simulator gave it.
    assert tokens == {"uptown": "demo-token-uptown", "lakeside": "demo-token-lakeside"}
    assert "LIGHTSPEED_DOMAIN_PREFIX='harbour'" in (tmp_path / ".demo" / ".env").read_text()
    assert len(sales) == 3 and all(n > 0 for _, n, _ in sales)
    assert "3 tiny stores (Harbour Street, Uptown Mall, Lakeside Outlet)" in out
    assert "Demo stopped." in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stores", "3", "--app"], "The demo connects several stores with personal tokens"),
        (["--stores", "21"], "--stores takes a number from 1 to 20, not 21."),
    ],
)
def test_a_demo_it_cannot_run_is_refused_in_one_sentence(tmp_path, args, message):
    process = demo(*args, cwd=tmp_path)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / ".demo").exists()
