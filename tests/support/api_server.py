"""The health API under a real uvicorn, on a free loopback port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
import uvicorn

from sync.api import ApiContext, create_app
from sync.config import Settings
from sync.runs import utcnow
from sync.storage.sql.api_keys import create_key
from sync.storage.sql.bounded import api_engine


@dataclass
class RunningApi:
    """Where the API answers, its context, and a read and an admin key."""

    url: str
    ctx: ApiContext
    read_key: str
    admin_key: str

    def get(self, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, headers=_auth(key), timeout=15, **kwargs)

    def post(self, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, headers=_auth(key), timeout=15, **kwargs)


def _auth(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


@contextmanager
def running_api(
    settings: Settings, writer_engine: Any, url: str | None = None, **ctx: Any
) -> Iterator[RunningApi]:
    """Serve the API over `url` (default: the writer's database) until the block ends."""
    now = utcnow()
    _, read_key = create_key(writer_engine, f"reader-{now.timestamp()}", admin=False, now=now)
    _, admin_key = create_key(writer_engine, f"admin-{now.timestamp()}", admin=True, now=now)
    engine = api_engine(url or settings.database_url)
    context = ApiContext(settings, engine, **ctx)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(context), log_config=None, access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the API did not start within 15 s")
        time.sleep(0.02)
    try:
        yield RunningApi(f"http://127.0.0.1:{port}", context, read_key, admin_key)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        engine.dispose()
