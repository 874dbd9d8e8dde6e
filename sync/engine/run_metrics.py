"""What one run cost: the process's peak memory, Lightspeed's response times and retries."""

from __future__ import annotations

import resource
import sys

from sync.lightspeed.client import LightspeedClient
from sync.lightspeed.timings import mean_and_p95
from sync.storage.runlog import RunMetrics


def peak_rss_bytes() -> int:
    """The peak resident memory of this process so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # Linux reports KiB


class MetricsMark:
    """Where a run starts in the client's timings and retry count."""

    def __init__(self, client: LightspeedClient) -> None:
        self.client = client
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
        )
