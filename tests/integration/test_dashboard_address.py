"""Started as the README says, the dashboard listens on loopback only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import dashboard_env, free_port
from tests.support.processes import REPO, stop_process, wait_for


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


def test_python_m_sync_dashboard_and_plain_streamlit_run_listen_on_loopback_only(tmp_path):
    env = {k: v for k, v in dashboard_env(f"sqlite:///{tmp_path / 'c.db'}").items()}
    env.pop("DASHBOARD_ADDRESS", None)
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    ports = [free_port(), free_port()]
    apps = [
        start([sys.executable, "-m", "sync", "dashboard", "--port", str(ports[0])], env,
              tmp_path / "a.log"),
        start([sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
               "--server.port", str(ports[1])], env, tmp_path / "b.log"),
    ]  # fmt: skip
    try:
        for port in ports:
            wait_for(lambda p=port: listening_addresses(p), 60, "the dashboard to listen")
            assert listening_addresses(port) == {"0100007F"}, "127.0.0.1 only"
    finally:
        for app in apps:
            stop_process(app)


def test_dashboard_address_opens_it_up_with_a_warning(tmp_path):
    port = free_port()
    env = {**dashboard_env(f"sqlite:///{tmp_path / 'c.db'}"), "DASHBOARD_ADDRESS": "0.0.0.0"}
    log = tmp_path / "c.log"
    app = start([sys.executable, "-m", "sync", "dashboard", "--port", str(port)], env, log)
    try:
        wait_for(lambda: listening_addresses(port), 60, "the dashboard to listen")
        assert listening_addresses(port) == {"00000000"}
        assert "plain HTTP" in log.read_text()
    finally:
        stop_process(app)
