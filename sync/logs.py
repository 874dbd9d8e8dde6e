"""Logging setup: plain lines to stderr, rotating files under LOG_DIR, secrets masked."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from sync.errors import redact

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then masks every known secret and anything token-shaped."""

    def __init__(self, fmt: str, secrets: tuple[str, ...]) -> None:
        super().__init__(fmt)
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), *self.secrets)


def _not_from(logger: str) -> logging.Filter:
    """A filter that drops the records of `logger` and its children."""
    prefix = logger + "."

    class _Drop(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not (record.name == logger or record.name.startswith(prefix))

    return _Drop()


def setup_logging(
    log_dir: Path | None, secrets: tuple[str, ...] = (), *, verbose: bool = False
) -> Path | None:
    """Configure the root logger; returns the log file path (None if LOG_DIR is unusable)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    console = logging.StreamHandler()
    console.setFormatter(RedactingFormatter("%(levelname)s %(message)s", secrets))
    if not verbose:
        # urllib3's retry lines (its Retry repr, the raw exception) go to the file only; the
        # client says the same in one plain line (sync.lightspeed.retries).
        console.addFilter(_not_from("urllib3"))
    root.addHandler(console)
    for noisy in ("sqlalchemy", "httpx", "httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.DEBUG if verbose else logging.WARNING)
    # apprise reports every send at INFO; its debug lines (URLs masked) help with -v.
    logging.getLogger("apprise").setLevel(logging.DEBUG if verbose else logging.WARNING)
    if log_dir is None:
        return None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "sync.log"
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=10 * 1024 * 1024, backupCount=5, encoding="utf-8"
        )
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "LOG_DIR %s is not writable (%s); logging to the console only.", log_dir, exc.strerror
        )
        return None
    file_handler.setFormatter(RedactingFormatter(LOG_FORMAT, secrets))
    root.addHandler(file_handler)
    return path
