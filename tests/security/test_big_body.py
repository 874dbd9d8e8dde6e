"""A 100 MB body sent to the health API, with and without a key: refused with 413 after at
most 64 KiB is read, before the key is looked at, and the server's memory stays flat."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import requests

from sync.api.limits import MAX_BODY_BYTES
from sync.storage.sql.db import create_db_engine, migrate
from tests.support.processes import start, stop_process, sync_env, wait_for
from tests.support.receivers import free_port

BODY_BYTES = 100 * 1024 * 1024
CHUNK = b"x" * (1024 * 1024)
PATH = "/api/sync-health/sync-requests"


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> tuple[int, int]:
    """`python -m sync api` as a process on SQLite: (pid, port)."""
    tmp = tmp_path_factory.mktemp("api")
    db_url = f"sqlite:///{tmp / 'copy.db'}"
    engine = create_db_engine(db_url)
    migrate(engine)
    engine.dispose()
    port = free_port()
    env = sync_env(db_url, "http://127.0.0.1:9/api/2.0", tmp / "logs", "unused")
    process = start(["--env-file", "/dev/null", "api", "--port", str(port)], env, tmp, tmp / "log")
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/livez"), 30, "the API to answer")
        yield process.pid, port
    finally:
        stop_process(process)


def send(port: int, head: bytes, body_chunks: int, chunked: bool) -> tuple[bytes, int]:
    """Send `head`, then up to `body_chunks` MiB; returns (the answer, bytes of body sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        try:
            for _ in range(body_chunks):
                sock.sendall(b"100000\r\n" + CHUNK + b"\r\n" if chunked else CHUNK)
                sent += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: the rest is never read
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    return answer, sent


def head(port: int, extra: str) -> bytes:
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def test_a_declared_100_mb_body_is_refused_before_one_byte_is_read(api):
    pid, port = api
    before = rss_kib(pid, "VmRSS")
    started = time.monotonic()
    answer, _ = send(port, head(port, f"Content-Length: {BODY_BYTES}\r\n"), 0, chunked=False)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"larger than 64 KiB" in answer and b"API key" not in answer
    assert time.monotonic() - started < 5
    # Then the whole 100 MB, with no key: still refused, memory unchanged.
    answer, sent = send(port, head(port, f"Content-Length: {BODY_BYTES}\r\n"), 100, False)
    assert answer.startswith(b"HTTP/1.1 413")
    grown = rss_kib(pid, "VmHWM") - before
    print(f"100 MB declared body: {sent >> 20} MiB sent before the close, peak RSS +{grown} KiB")
    assert grown < 20 * 1024, (before, rss_kib(pid, "VmHWM"), sent)


def test_a_streamed_100_mb_body_is_cut_at_the_cap(api):
    pid, port = api
    before = rss_kib(pid, "VmHWM")
    extra = "Transfer-Encoding: chunked\r\nAuthorization: Bearer not-a-key\r\n"
    answer, sent = send(port, head(port, extra), 100, chunked=True)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"not valid" not in answer  # refused before the key was checked
    grown = rss_kib(pid, "VmHWM") - before
    print(f"100 MB streamed body: {sent >> 20} MiB sent before the close, peak RSS +{grown} KiB")
    assert grown < 20 * 1024


def test_a_body_within_the_cap_still_reaches_the_key_check(api):
    _, port = api
    url = f"http://127.0.0.1:{port}{PATH}"
    padding = "x" * (MAX_BODY_BYTES - 100)
    answer = requests.post(url, json={"entity": "all", "reason": padding}, timeout=10)
    assert answer.status_code == 401
    over = requests.post(url, json={"entity": "all", "reason": padding + "x" * 200}, timeout=10)
    assert over.status_code == 413
