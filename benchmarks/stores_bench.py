"""Several stores (issue 27, "Performance and scale"): 20 simulated stores x 5,000 sales synced
into Postgres by 2 `python -m sync scheduler` processes sharing the work through the leases.

- Floor: a sample of stores, each alone (one scheduler, nothing else running); the slowest.
- Full cycle: every store, 2 schedulers. Wall time (launch to the last delivered run), the
  ratio to the floor (target <= 1.5), 429s over every store (target 0, the simulator's
  counters), runs per (store, entity) (target exactly 1, sync_log), the split between the
  two processes (sync_log.pid), every store exact (tests/support/compare.py).
  Repeated --repeats times (the machine is shared: the load is printed with each).
- Kill trial: SIGKILL one scheduler once some of its runs started; the other finishes the
  cycle (the cut runs too); time to recover; every store exact.
- Scale: 50 stores and 1M sync_log rows; the dashboard's "All stores" reads and the API's
  `/summary?store=X` and `/stores`, median of 5 warm (target <= 300 ms each).

Each store has its own fixed-window rate limit (--limit requests per --window seconds): a
store's sync is paced by its own budget, which is what lets stores run side by side. Only
127.0.0.1; every process and database it starts it stops and drops. Prints a table and
writes benchmarks/results/stores_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import stores_cycle, stores_scale  # noqa: E402
from benchmarks.stores_setup import simulator  # noqa: E402

RATIO_TARGET = 1.5


def load() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def ratio_part(sim: Any, args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    """The floor (slowest store of the sample, each alone), then the full cycle."""
    before = load()
    step = max(1, args.stores // args.floor_sample)
    sample = [f"store{n}" for n in range(1, args.stores + 1, step)][: args.floor_sample]
    floors = [stores_cycle.floor(sim, p, args, logs) for p in sample]
    slowest = max(floors, key=lambda f: f["wall_s"])
    cycle = stores_cycle.full_cycle(sim, args, logs)
    return {
        "load_before": before,
        "load_after": load(),
        "floors": floors,
        "slowest_single_s": slowest["wall_s"],
        "cycle": cycle,
        "ratio": cycle["wall_s"] / slowest["wall_s"],
    }


def print_ratio(n: int, part: dict[str, Any]) -> None:
    c = part["cycle"]
    ok = part["ratio"] <= RATIO_TARGET and c["http_429"] == 0
    ok = ok and c["runs_per_pair"]["max"] == 1 and not c["not_exact"]
    print(f"\nRatio run {n} (load {part['load_before']} -> {part['load_after']})")
    for f in part["floors"]:
        print(
            f"  floor {f['store']:<8} alone: {f['wall_s']:6.1f} s wall, {f['span_s']:5.1f} s "
            f"of runs, {f['requests']} requests, {f['http_429']} x 429, "
            f"{f['peak_connections']} connections, {f['scheduler_cpu_s']:.1f} s of CPU"
        )
    print(
        f"  full cycle: {c['wall_s']:6.1f} s wall ({c['span_s']:.1f} s of runs), slowest "
        f"single store {part['slowest_single_s']:.1f} s, ratio {part['ratio']:.2f} "
        f"(target <= {RATIO_TARGET})"
    )
    print(
        f"  {c['requests']} requests, {c['http_429']} x 429; {c['pairs']} (store, entity) "
        f"pairs, runs each {c['runs_per_pair']['min']}..{c['runs_per_pair']['max']}; "
        f"stores not exact: {len(c['not_exact'])}; at most {c['peak_connections']} database "
        "connections"
    )
    for name, split in c["split"].items():
        cpu = c["scheduler_cpu_s"].get(name, 0.0)
        print(
            f"  {name}: {split['runs']} runs over {split['stores']} stores, {cpu:.1f} s of CPU, "
            f"peak memory {split['peak_rss_mb']} MB with up to {split['most_stores_at_once']} "
            "stores syncing at once"
        )
    sim_cpu = c["scheduler_cpu_s"]["simulator"]
    print(f"  the simulator (every store's API, one process): {sim_cpu:.1f} s of CPU")
    t = c["timeline"]
    print(
        f"  stores' first runs began by {t['median_first_start_s']:.1f} s (median) and "
        f"{t['latest_first_start_s']:.1f} s (last); a store's own span "
        f"{t['store_span_s']['min']:.1f} / {t['store_span_s']['median']:.1f} / "
        f"{t['store_span_s']['max']:.1f} s (min / median / max)"
    )
    print(f"  -> {'ok' if ok else 'MISSED'}")


def print_kill(k: dict[str, Any]) -> None:
    print(
        f"\nKill trial: SIGKILL after {k['killed_after_s']:.1f} s ({k['victim_runs_at_kill']} "
        f"runs started, {k['victim_runs_cut']} cut mid-run); the survivor finished the cycle "
        f"{k['recovery_s']:.1f} s after the kill ({k['cut_runs_finished_by_survivor']} of the "
        f"cut runs redone by it, the last {k['cut_runs_redone_s'] or 0:.1f} s after the kill); "
        f"{k['http_429']} x 429; stores not exact: "
        f"{len(k['not_exact'])}; at most {k['peak_connections']} database connections"
    )


def print_scale(s: dict[str, Any]) -> None:
    print(
        f"\nScale: {s['stores']} stores, {s['sync_log_rows']:,} sync_log rows (filled in "
        f"{s['fill_s']:.0f} s); median of 5 warm, target <= {s['target_ms']:.0f} ms"
    )
    for name, r in s["reads"].items():
        verdict = "ok" if r["median_ms"] <= s["target_ms"] else "MISSED"
        print(f"  {name:<50} {r['median_ms']:8.1f} ms (max {r['max_ms']:.1f})  {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--sales", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=5, help="requests per window, per store")
    parser.add_argument("--window", type=float, default=10.0, help="rate window, seconds")
    parser.add_argument(
        "--parallel", type=int, default=10, help="SYNC_MAX_PARALLEL_STORES of each scheduler"
    )
    parser.add_argument("--floor-sample", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2, help="floor + full cycle, repeated")
    parser.add_argument("--kill-after", type=int, default=20, help="victim's runs before SIGKILL")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per phase")
    parser.add_argument("--scale-stores", type=int, default=50)
    parser.add_argument("--scale-rows", type=int, default=1_000_000)
    parser.add_argument("--skip", action="append", default=[], choices=("kill", "scale"))
    args = parser.parse_args()
    # SIGTERM (and SIGINT, ignored in a background job) unwinds: every process started here
    # is stopped and every database dropped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    result: dict[str, Any] = {"settings": {k: v for k, v in vars(args).items()}}
    logs = Path(tempfile.mkdtemp(prefix="stores-bench-logs-"))
    print(
        f"{args.stores} stores x {args.sales:,} sales, {args.limit} requests per "
        f"{args.window:g} s per store, 2 schedulers x {args.parallel} stores at once; "
        f"logs in {logs}"
    )
    with simulator(args.stores, args.sales, args.limit, args.window) as sim:
        result["ratio_runs"] = []
        for n in range(1, args.repeats + 1):
            part = ratio_part(sim, args, logs)
            result["ratio_runs"].append(part)
            print_ratio(n, part)
        if "kill" not in args.skip:
            result["kill"] = stores_cycle.kill_trial(sim, args, logs)
            print_kill(result["kill"])
    if "scale" not in args.skip:
        result["scale"] = stores_scale.run(args.scale_stores, args.scale_rows)
        print_scale(result["scale"])
    result["seconds"] = time.monotonic() - started
    out = REPO / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "stores_bench.json").write_text(json.dumps(result, indent=2, default=str))
    print(f"\n{result['seconds']:.0f} s; written {out / 'stores_bench.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
