"""Timing script (not a test): generation time, RSS and served records/s of the stand-in.

Run: ``.venv/bin/python tests/simulator/bench_simulator.py [scale ...]`` (default: medium).
Pages every sale at page_size 1000 through one requests Session, twice: reading the bytes
only (what the simulator can serve) and parsing every page with ``parse_float=Decimal``
(what a client that keeps money exact pays on top).
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sync.simulator import SimulatorConfig, SimulatorServer


def rss_mb() -> float:
    """Resident set size of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def page_all(session: requests.Session, url: str, parse: bool) -> tuple[int, int, float]:
    """Page /sales to the end; returns (records, pages, seconds)."""
    after, records, pages = 0, 0, 0
    start = time.perf_counter()
    while True:
        resp = session.get(f"{url}/sales", params={"after": after, "page_size": 1000}, timeout=60)
        resp.raise_for_status()
        if parse:
            body = json.loads(resp.content, parse_float=Decimal)
            rows, top = len(body["data"]), (body.get("version") or {}).get("max")
        else:
            content = resp.content
            rows = content.count(b'"invoice_sequence":')
            top = None
            if rows:
                tail = content[content.rindex(b'"version":{"max":') :]
                top = int(tail.split(b":")[2].split(b",")[0])
        if not rows:
            break
        records += rows
        pages += 1
        after = top
    return records, pages, time.perf_counter() - start


def main(scales: list[str]) -> None:
    """Measure each scale in turn."""
    for scale in scales:
        base_rss = rss_mb()
        t0 = time.perf_counter()
        sim = SimulatorServer(SimulatorConfig(seed=42, scale=scale))
        sim.start()
        gen = time.perf_counter() - t0
        print(f"[{scale}] generated in {gen:.1f} s, counts {sim.counts()}")
        print(f"[{scale}] RSS {rss_mb():.0f} MB (process before: {base_rss:.0f} MB)")
        with requests.Session() as session:
            session.headers["Authorization"] = "Bearer dev-token"
            for parse in (False, True):
                n, pages, secs = page_all(session, sim.api_url, parse)
                label = "json.loads(parse_float=Decimal)" if parse else "bytes only"
                print(
                    f"[{scale}] sales paged ({label}): {n} records, {pages} pages in "
                    f"{secs:.2f} s = {n / secs:,.0f} records/s"
                )
        sim.stop()
        del sim


if __name__ == "__main__":
    main(sys.argv[1:] or ["medium"])
