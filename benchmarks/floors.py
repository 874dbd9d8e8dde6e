"""The import against its floors (issue 28): medians, ratios, targets, and the table.

bench.py measures, per scale, the fetch-only pass and per backend the full import and,
right after each import, its same-output floor (benchmarks/same_output.py: the rows it
stored, written back into a fresh schema), each `repeats` times, and keeps the medians:
the machine is shared, single runs are noise. Ratios:
- Postgres: full import / max(fetch-only, same-output COPY), target 1.3;
- SQLite: full import / max(fetch-only, same-output executemany), target 1.5;
- Supabase REST: full import / the direct Postgres full import, target 1.3.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

TARGETS = {"postgres": 1.3, "sqlite": 1.5, "supabase-rest": 1.3}


def median(values: list[float]) -> float:
    """The median (the middle run of 3)."""
    return statistics.median(values)


def ratios(runs: list[dict[str, Any]], fetch: dict[str, float]) -> None:
    """Add `floor_s`, `ratio` and `target` to each run of `runs` (in place)."""
    direct = {r["scale"]: r["full_seconds"] for r in runs if r["backend"] == "postgres"}
    for r in runs:
        r["target"] = TARGETS.get(r["backend"])
        if r["backend"] == "supabase-rest":
            r["floor_s"] = direct.get(r["scale"])
            r["floor_kind"] = "direct Postgres import"
        else:
            r["floor_s"] = (
                max(fetch[r["scale"]], r["floor_seconds"]) if r["floor_seconds"] else None
            )
            r["floor_kind"] = "max(fetch-only, same-output floor)"
        r["ratio"] = r["full_seconds"] / r["floor_s"] if r["floor_s"] else None
        if r["backend"] == "supabase-rest":
            sync_direct = {
                x["scale"]: x["sync_seconds"] for x in runs if x["backend"] == "postgres"
            }
            floor_sync = sync_direct.get(r["scale"])
        else:
            floor_sync = r["floor_s"]
        r["ratio_sync"] = r["sync_seconds"] / floor_sync if floor_sync else None
        r["target_met"] = None if r["ratio"] is None else r["ratio"] <= r["target"]


def print_table(runs: list[dict[str, Any]], fetch: dict[str, float], repeats: int) -> None:
    """One line per scale and backend: the import, its floors, the ratio and the target."""
    ratios(runs, fetch)
    header = (
        f"{'backend':<13} {'scale':<7} {'records':>9} {'full s':>7} {'fetch s':>7} "
        f"{'floor s':>7} {'ratio':>6} {'sync s':>7} {'ratio':>6} {'target':>6} {'met':>4} "
        f"{'RSS MB':>7} {'exact':>5} "
        f"{'no-chg s':>8} {'LS calls':>8} {'REST req':>8} {'CPU s':>6} {'sim CPU':>7} "
        f"{'all CPU s':>9} {'÷ cores':>7}"
    )
    print(f"Full import against its floors - median of {repeats} run(s) of each figure")
    print(header)
    print("-" * len(header))
    for r in runs:
        floor = r["floor_seconds"]
        print(
            f"{r['backend']:<13} {r['scale']:<7} {r['records']:>9,} {r['full_seconds']:>7.1f} "
            f"{fetch[r['scale']]:>7.1f} {_cell(floor, 7, '.1f')} {_cell(r['ratio'], 6, '.2f')} "
            f"{r['sync_seconds']:>7.1f} {_cell(r['ratio_sync'], 6, '.2f')} "
            f"{r['target']:>6.1f} {_met(r['target_met']):>4} {r['peak_rss_mb']:>7.0f} "
            f"{_met(r['exact_copy']):>5} "
            f"{_cell(r['nochange_sync_seconds'], 8, '.3f')} "
            f"{r['full_api_calls']:>8,} {_cell(r['full_rest_requests'], 8, ',')} "
            f"{_cell(r.get('full_cpu_seconds'), 6, '.1f')} "
            f"{_cell(r.get('full_simulator_cpu_seconds'), 7, '.1f')} "
            f"{_cell(r.get('full_machine_cpu_seconds'), 9, '.1f')} "
            f"{_cell(_per_core(r.get('full_machine_cpu_seconds')), 7, '.1f')}"
        )
    print(
        "full s: `python -m sync run` on an empty database, whole process. fetch s: the "
        "client paging through the same data. floor s: the rows the import stored, written "
        "back into a fresh schema (our columns and indexes), a transaction per page (COPY "
        "binary on Postgres, an executemany per table on SQLite). ratio: full / max(fetch, "
        "floor); for supabase-rest: full / "
        "the direct Postgres full import. sync s: the same import without interpreter "
        "start-up (sync_log, first start to last finish), and its ratio. The target is "
        "checked on the whole process (full s). RSS: the largest peak of the runs. no-chg s: the "
        "no-change run's sync work (sync_log). CPU s: the import process's CPU seconds; sim "
        "CPU: the simulator's meanwhile; all "
        "CPU s: every process of the machine while it ran (the simulator and the database "
        "server too); ÷ cores: that over this machine's cores, the least wall time the same "
        "work could take here."
    )


def _per_core(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / (os.cpu_count() or 1)


def _cell(value: Any, width: int, fmt: str) -> str:
    return f"{'—' if value is None else format(value, fmt):>{width}}"


def _met(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "NO")
