"""Signals of the long-running service: SIGTERM and SIGINT ask it to stop, nothing more."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

log = logging.getLogger("sync.service.scheduler")  # where these lines always were


def stop_on_signals(stop: threading.Event, what: str) -> None:
    """SIGTERM / SIGINT only set `stop`: the work ends after `what`, then the process exits."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("Signal %s: finishing %s, then stopping.", signum, what)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
