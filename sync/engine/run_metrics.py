"""What one run cost: the process's peak memory, Lightspeed's response times and retries."""

from __future__ import annotations

import resource
import sys
from collections.abc import Callable
from pathlib import Path

from sync.lightspeed.timings import mean_and_p95
from sync.lightspeed.transport import LightspeedClient
from sync.storage.runlog import RunMetrics


def peak_rss_bytes() -> int:
    """The peak resident memory of this process since `reset_peak_rss`, in bytes.

    Linux: the kernel's high-water mark (VmHWM), which `reset_peak_rss` starts over.
    getrusage's ru_maxrss is not used there: it never starts over, and a process keeps the
    ru_maxrss of the one that started it (exec carries it over: a scheduler started by a
    500 MB process reported 513 MB while it held 14 MB).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # Linux reports KiB


def reset_peak_rss() -> bool:
    """Start a new peak-memory window (Linux: the kernel's high-water mark); False if not.

    Without it the peak would be the process's since it started: in the long-running
    scheduler, one big run would make every later run look as big.
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class MetricsMark:
    """Where a run starts: a fresh peak-memory window, the client's timings and retries, and
    (in a scheduler over several stores) how many stores sync in the process."""

    def __init__(
        self, client: LightspeedClient, stores_at_once: Callable[[], int] | None = None
    ) -> None:
        reset_peak_rss()
        self.client = client
        self.stores_at_once = stores_at_once
        self.at_start = stores_at_once() if stores_at_once is not None else 0
        self.timing_mark = client.timings.mark()
        self.retries_before = client.retries

    def metrics(self) -> RunMetrics:
        """The run's metrics from the mark until now."""
        mean, p95 = mean_and_p95(self.client.timings.since(self.timing_mark))
        return RunMetrics(
            peak_rss_bytes=peak_rss_bytes(),
            api_ms_mean=mean,
            api_ms_p95=p95,
            api_retries=self.client.retries - self.retries_before,
            stores_at_once=self._most_at_once(),
        )

    def _most_at_once(self) -> int | None:
        if self.stores_at_once is None:
            return None
        return max(self.at_start, self.stores_at_once())
