"""``python -m sync.simulator``: banner first, serves, stops cleanly on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from sync.simulator import main

ROOT = Path(__file__).resolve().parents[2]


def test_cli_banner_serves_and_stops_on_sigterm() -> None:
    cmd = [sys.executable, "-m", "sync.simulator", "--port", "0", "--scale", "tiny"]
    cmd += ["--seed", "3", "--token", "t0ken", "--rate-limit", "50"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        banner = proc.stdout.readline()
        assert banner.startswith(
            "Lightspeed API 2.0 development stand-in (not Lightspeed) listening on http://127.0.0.1:"
        )
        assert "development stand-in, not Lightspeed" in banner and "150 sales" in banner
        api_url = re.search(r"(http://127\.0\.0\.1:\d+/api/2\.0)", banner).group(1)
        resp = requests.get(f"{api_url}/outlets", headers={"Authorization": "Bearer t0ken"})
        assert resp.status_code == 200 and resp.headers["X-RateLimit-Limit"] == "50"
        health = requests.get(api_url.replace("/api/2.0", "/_sim/health")).json()
        assert health["seed"] == 3
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_cli_refuses_other_hosts() -> None:
    with pytest.raises(SystemExit) as info:
        main(["--host", "0.0.0.0", "--port", "0"])
    assert info.value.code == 2


def test_cli_serves_several_stores_and_prints_each_one() -> None:
    cmd = [sys.executable, "-m", "sync.simulator", "--port", "0", "--scale", "tiny"]
    cmd += ["--stores", "acme,beta", "--store-token", "beta=b-secret"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first = proc.stdout.readline()
        pattern = re.search(r"listening on (http://127\.0\.0\.1:\d+/\{prefix\}/api/2\.0) ", first)
        assert pattern and "2 stores: acme, beta" in first
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert lines[0].startswith("  store acme: ") and "token dev-token-acme;" in lines[0]
        assert lines[1].startswith("  store beta: ") and "token b-secret;" in lines[1]
        beta = pattern.group(1).replace("{prefix}", "beta")
        ok = requests.get(f"{beta}/outlets", headers={"Authorization": "Bearer b-secret"})
        refused = requests.get(
            f"{beta}/outlets", headers={"Authorization": "Bearer dev-token-acme"}
        )
        assert (ok.status_code, refused.status_code) == (200, 401)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


@pytest.mark.parametrize(
    "args",
    [
        ["--stores", "acme,acme"],
        ["--stores", "0"],
        ["--store-token", "acme=x"],
        ["--stores", "acme", "--store-token", "beta=x"],
    ],
)
def test_cli_refuses_a_bad_list_of_stores(args: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--port", "0", *args])
    assert info.value.code == 2
