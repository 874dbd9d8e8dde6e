"""Bounded requests: a body cap that answers before anything is parsed or authenticated,
and a per-key limit on the POST endpoints."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

MAX_BODY_BYTES = 64 * 1024
# POSTs per key in POST_WINDOW_SECONDS: far above what a person or a monitor sends.
MAX_POSTS = 30
POST_WINDOW_SECONDS = 60.0

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]


class BodyLimit:
    """ASGI middleware: refuse a body over `limit` bytes with 413, reading at most `limit`.

    A declared Content-Length over the cap is refused before one byte of the body is read;
    a streamed (chunked) body is read up to the cap, then refused. The body read is handed
    on to the app unchanged, so authentication and parsing only ever see a small one.
    """

    def __init__(self, app: Callable[..., Any], limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _answer(send, 400, "Bad request: Content-Length is not a number.")
                return
            if size > self.limit:
                await self._refuse(send)
                return
        messages: list[Message] = []
        read = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            read += len(message.get("body", b""))
            if read > self.limit:
                await self._refuse(send)
                return
            messages.append(message)
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        await _answer(
            send,
            413,
            f"The request body is larger than {self.limit // 1024} KiB: send a smaller one "
            "(this API's bodies are a few hundred bytes).",
        )


async def _answer(send: Send, status: int, sentence: str) -> None:
    body = json.dumps({"error": sentence}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: this connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class PostLimiter:
    """At most `limit` calls per key in any `window` seconds (a sliding window, in memory)."""

    def __init__(
        self,
        limit: int = MAX_POSTS,
        window: float = POST_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_for(self, key: str) -> int:
        """0 and the call is counted, or the whole seconds `key` must wait."""
        now = self.clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and now - calls[0] >= self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return max(1, math.ceil(calls[0] + self.window - now))
            calls.append(now)
            return 0
