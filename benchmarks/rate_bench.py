"""Rate limit used to the last request: a full import under a fixed-window quota.

The simulator counts requests in fixed windows (default 10 requests per 10 s) and answers
with `X-RateLimit-Limit` / `-Remaining` headers and a 429 with an HTTP-date `Retry-After`
past the quota. Each trial migrates a fresh SQLite copy and times `python -m sync run` (the
whole process, start-up included) with LIGHTSPEED_RATE_WINDOW_SECONDS set to the window.
The paced floor is requests x window / limit; the target is ratio <= 1.1 and zero 429s.

`--concurrent` adds a trial where a full `run` and a sales `backfill` (on two copies of the
same store) start at once: they share one budget, so they must not meet a 429 either.

The machine is noisy (2 shared cores): the median of --trials (default 3) is reported.
Prints a table and writes benchmarks/results/rate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sync.lightspeed.budget import forget_budget  # noqa: E402
from sync.simulator import SimulatorConfig, SimulatorServer  # noqa: E402

TOKEN = "rate-bench-token"


def sync_env(sim: SimulatorServer, db: Path, args: argparse.Namespace) -> dict[str, str]:
    """The environment of one `python -m sync` child."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": f"sqlite:///{db}",
        "LIGHTSPEED_BASE_URL": sim.api_url,
        "LIGHTSPEED_TOKEN": TOKEN,
        "LIGHTSPEED_RATE_WINDOW_SECONDS": str(args.window),
        "SYNC_PAGE_SIZE": str(args.page_size),
        "LOG_DIR": str(db.parent / "logs"),
    }


def fresh_window(sim: SimulatorServer, args: argparse.Namespace) -> None:
    """Start a trial on a clean budget: no shared state, a new window, zeroed counters."""
    time.sleep(args.window)  # the previous trial's window runs out
    # Also restarts the window.
    sim.set_faults(
        rate_limit=args.limit,
        rate_window=args.window,
        rate_limit_reset_header=args.reset_header,
    )
    forget_budget(sim.api_url)
    sim.reset_stats()


def figures(sim: SimulatorServer, wall: float, args: argparse.Namespace) -> dict[str, Any]:
    stats = sim.stats()
    requests = stats["total"]
    floor = requests * args.window / args.limit
    return {
        "requests": requests,
        "answered_429": stats["by_status"].get("429", 0),
        "wall_seconds": round(wall, 2),
        "paced_floor_seconds": round(floor, 2),
        "ratio": round(wall / floor, 3) if floor else None,
    }


def full_import(sim: SimulatorServer, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One timed `python -m sync run` of a fresh copy; its figures."""
    db = workdir / f"import-{time.monotonic_ns()}.db"
    env = sync_env(sim, db, args)
    subprocess.run(
        [sys.executable, "-m", "sync", "migrate"], env=env, check=True, capture_output=True
    )
    fresh_window(sim, args)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "sync", "run"], env=env, capture_output=True)
    wall = time.monotonic() - started
    result = figures(sim, wall, args)
    result["exit_code"] = done.returncode
    return result


def concurrent(sim: SimulatorServer, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """A full import and a sales backfill of another copy at once, on one budget."""
    envs = [sync_env(sim, workdir / f"both-{n}-{time.monotonic_ns()}.db", args) for n in (0, 1)]
    for env in envs:
        subprocess.run(
            [sys.executable, "-m", "sync", "migrate"], env=env, check=True, capture_output=True
        )
    commands = [
        ["run"],
        ["backfill", "--entity", "sales", "--from", "2025-11-10", "--to", "2025-11-24"],
    ]
    fresh_window(sim, args)
    started = time.monotonic()
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "sync", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for command, env in zip(commands, envs, strict=True)
    ]
    codes = [child.wait() for child in children]
    wall = time.monotonic() - started
    result = figures(sim, wall, args)
    result["exit_codes"] = codes
    return result


def median_of(trials: list[dict[str, Any]]) -> dict[str, Any]:
    """The trial with the median wall time (its own requests and 429s), and the spread."""
    ordered = sorted(trials, key=lambda t: t["wall_seconds"])
    middle = dict(ordered[len(ordered) // 2])
    middle["walls"] = [t["wall_seconds"] for t in trials]
    middle["max_429"] = max(t["answered_429"] for t in trials)
    middle["median_ratio"] = statistics.median(t["ratio"] for t in trials)
    return middle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=10, help="requests per window")
    parser.add_argument("--window", type=float, default=10.0, help="window seconds")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--page-size", type=int, default=125)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--concurrent", action="store_true", help="also run + backfill at once")
    parser.add_argument(
        "--reset-header", action="store_true", help="the simulator also sends X-RateLimit-Reset"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {
        "limit": args.limit,
        "window_seconds": args.window,
        "scale": args.scale,
        "page_size": args.page_size,
        "trials": args.trials,
        "reset_header": args.reset_header,
    }
    config = SimulatorConfig(seed=42, scale=args.scale, token=TOKEN)
    with tempfile.TemporaryDirectory(prefix="lsync-rate-") as tmp, SimulatorServer(config) as sim:
        workdir = Path(tmp)
        results["full_import"] = median_of(
            [full_import(sim, workdir, args) for _ in range(args.trials)]
        )
        if args.concurrent:
            results["run_and_backfill"] = concurrent(sim, workdir, args)
    header = (
        f"{'scenario':<18} {'requests':>8} {'429s':>5} {'wall s':>7} {'floor s':>8} {'ratio':>6}"
    )
    print(f"Fixed window: {args.limit} requests per {args.window:g} s; median of {args.trials}.")
    print(header)
    for name in ("full_import", "run_and_backfill"):
        r = results.get(name)
        if r is None:
            continue
        print(
            f"{name:<18} {r['requests']:>8} {r['answered_429']:>5} {r['wall_seconds']:>7.1f} "
            f"{r['paced_floor_seconds']:>8.1f} {r['ratio']:>6.2f}"
        )
    full = results["full_import"]
    print(f"full import walls: {full['walls']} (target: ratio <= 1.1, zero 429s)")
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "rate.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
