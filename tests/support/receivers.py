"""Real alert receivers on loopback: an SMTP server (aiosmtpd) and an HTTP webhook server."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpReceiver:
    """Collects every accepted mail; `refuse = True` makes it answer 554 to DATA."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self.port = free_port()
        # Accepts any login, so URLs with user:password work without TLS.
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            auth_require_tls=False,
            authenticator=lambda *_args: AuthResult(success=True),
        )

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 5.7.1 refused by the test"
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)  # type: ignore[arg-type]
        )
        return "250 OK"

    def url(self, userinfo: str = "") -> str:
        """An apprise mailto:// URL for this server (no TLS)."""
        at = f"{userinfo}@" if userinfo else ""
        return (
            f"mailto://{at}127.0.0.1:{self.port}?from=alerts@example.com&to=cfo@example.com"
            "&mode=insecure"
        )

    def texts(self) -> list[tuple[str, str]]:
        """(subject, plain-text body) of every mail received."""
        out = []
        for message in self.messages:
            body = message.get_body(preferencelist=("plain",))
            out.append((str(message["Subject"]), body.get_content() if body else ""))
        return out

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()


class WebhookReceiver:
    """Collects JSON POSTs: (path, body, Authorization header)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any], str | None]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(size) or b"{}")
                receiver.posts.append((self.path, body, self.headers.get("Authorization")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def url(self, path: str = "/hooks/alerts", userinfo: str = "") -> str:
        at = f"{userinfo}@" if userinfo else ""
        return f"json://{at}127.0.0.1:{self.port}{path}"

    def __enter__(self) -> WebhookReceiver:
        # shutdown() waits for the loop's next poll: 0.5 s by default, at every test's end.
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
