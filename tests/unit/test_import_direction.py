"""Imports flow one way: a lower layer of `sync/` never imports a higher one (STYLE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYNC = ROOT / "sync"

# The rank of each area of `sync/` (a top-level module or package). An area may import
# itself and areas of a strictly lower rank, nothing else.
RANKS = {
    "sync": 0,  # the package root: __version__ only
    "errors": 0,
    "runs": 0,
    "days": 0,
    "config": 1,
    "logs": 1,
    "health": 1,
    "entities": 2,
    "auth": 2,
    "lightspeed": 2,
    "storage": 3,
    "engine": 4,
    "alerts": 5,
    "service": 6,
    "dashboard": 7,
    "api": 7,
    "cli": 7,
    "__main__": 8,
}
# The simulator stands in for Lightspeed: sharing code with the sync would let a misread
# of the API hide on both sides, so it imports nothing of the rest; only the command line
# (which starts it) imports it.
ISOLATED = {"simulator"}
STARTS_THE_SIMULATOR = {"cli"}
# The command line starts the health API (`python -m sync api`), so it may import it; api
# shares rank 7 with cli and dashboard and imports neither.
STARTS_THE_API = {("cli", "api")}
# Inside storage, the SQL and REST stores mirror each other and never borrow from each other.
SIBLINGS_APART = {("storage", "sql"), ("storage", "rest")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every `sync…` module a file imports (also inside functions and TYPE_CHECKING)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "sync"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "sync":
                continue
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.append((node.lineno, child if _is_module(child) else node.module))
    return found


def area(module: str) -> str:
    """`sync.storage.sql.db` → `storage`; `sync` → `sync`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "sync"


def violations(path: Path) -> list[str]:
    """The imports of one file under `sync/` that break the direction rules."""
    here = _module_name(path)
    mine = area(here)
    found = []
    for line, target in imported_modules(path):
        theirs = area(target)
        where = f"{path.relative_to(ROOT)}:{line} imports {target}"
        if theirs == mine:
            sub_mine, sub_theirs = here.split(".")[:3], target.split(".")[:3]
            if (
                len(sub_mine) == 3
                and len(sub_theirs) == 3
                and sub_mine[2] != sub_theirs[2]
                and tuple(sub_mine[1:3]) in SIBLINGS_APART
                and tuple(sub_theirs[1:3]) in SIBLINGS_APART
            ):
                found.append(f"{where}: {sub_mine[2]}/ and {sub_theirs[2]}/ must not share code")
            continue
        if mine in ISOLATED:
            found.append(f"{where}: the simulator imports nothing of the sync")
        elif theirs in ISOLATED:
            if mine not in STARTS_THE_SIMULATOR:
                found.append(f"{where}: only the command line starts the simulator")
        elif mine not in RANKS or theirs not in RANKS:
            found.append(f"{where}: add {mine if mine not in RANKS else theirs} to RANKS")
        elif (mine, theirs) in STARTS_THE_API:
            continue
        elif RANKS[theirs] >= RANKS[mine]:
            found.append(f"{where}: {mine} (rank {RANKS[mine]}) may not import {theirs}")
    return found


def sync_files() -> list[Path]:
    return sorted(p for p in SYNC.rglob("*.py") if "__pycache__" not in p.parts)


def test_it_has_a_rank_for_every_area_of_the_package():
    areas = {area(_module_name(p)) for p in sync_files()} - ISOLATED
    assert areas <= set(RANKS), sorted(areas - set(RANKS))


@pytest.mark.parametrize("path", sync_files(), ids=lambda p: str(p.relative_to(SYNC)))
def test_it_imports_only_lower_layers(path: Path):
    assert violations(path) == []


@pytest.mark.parametrize(
    "path",
    [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").glob("*.py"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_pages_import_only_the_dashboard(path: Path):
    others = [m for _, m in imported_modules(path) if m != "sync.dashboard"]
    assert others == []


def test_it_catches_a_lower_layer_importing_a_higher_one(tmp_path: Path, monkeypatch):
    fake_root = tmp_path
    (fake_root / "sync" / "storage").mkdir(parents=True)
    (fake_root / "sync" / "engine").mkdir()
    for name in ("sync", "sync/storage", "sync/engine"):
        (fake_root / name / "__init__.py").write_text("")
    (fake_root / "sync" / "engine" / "runner.py").write_text("")
    bad = fake_root / "sync" / "storage" / "store.py"
    bad.write_text("def f():\n    from sync.engine.runner import Runner\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake_root)
    assert violations(bad) == [
        "sync/storage/store.py:2 imports sync.engine.runner: storage (rank 3) may not import engine"
    ]


def test_the_command_line_may_start_the_api_but_the_api_imports_no_command_line(
    tmp_path: Path, monkeypatch
):
    for name in ("sync", "sync/cli", "sync/api"):
        (tmp_path / name).mkdir(parents=True, exist_ok=True)
        (tmp_path / name / "__init__.py").write_text("")
    (tmp_path / "sync" / "api" / "server.py").write_text("")
    (tmp_path / "sync" / "cli" / "entry.py").write_text("")
    cli = tmp_path / "sync" / "cli" / "api_command.py"
    cli.write_text("from sync.api.server import serve\n")
    api = tmp_path / "sync" / "api" / "app.py"
    api.write_text("from sync.cli.entry import main\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert violations(cli) == []
    assert violations(api) == [
        "sync/api/app.py:1 imports sync.cli.entry: api (rank 7) may not import cli"
    ]


# -- no import circles --------------------------------------------------------------------------


def import_graph(files: list[Path]) -> dict[str, set[str]]:
    """Module → the `sync` modules it imports (TYPE_CHECKING and function-level imports too)."""
    graph = {_module_name(p): {m for _, m in imported_modules(p)} for p in files}
    return {
        name: {m for m in targets if m in graph and m != name} for name, targets in graph.items()
    }


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of `graph`: its strongly connected parts of two modules or more."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(name: str) -> None:
        order[name] = low[name] = len(order)
        stack.append(name)
        for target in sorted(graph[name]):
            if target not in order:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], order[target])
        if low[name] == order[name]:
            part = []
            while True:
                member = stack.pop()
                part.append(member)
                if member == name:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for name in sorted(graph):
        if name not in order:
            visit(name)
    return found


def test_no_module_of_the_package_imports_itself_through_others():
    assert circles(import_graph(sync_files())) == []


def test_it_catches_an_import_circle_even_behind_type_checking(tmp_path: Path, monkeypatch):
    (tmp_path / "sync" / "engine").mkdir(parents=True)
    for name in ("sync", "sync/engine"):
        (tmp_path / name / "__init__.py").write_text("")
    runner = tmp_path / "sync" / "engine" / "runner.py"
    runner.write_text("from sync.engine.skeleton import run_skeleton\n")
    skeleton = tmp_path / "sync" / "engine" / "skeleton.py"
    skeleton.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from sync.engine.runner import Runner\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    graph = import_graph([runner, skeleton])
    assert circles(graph) == [["sync.engine.runner", "sync.engine.skeleton"]]


# -- reads have one home: SQL lives in storage/ ----------------------------------------------

# Modules outside storage/ that still speak SQL themselves: none since issue 25 moved the
# last reads (backfill, reconciliation, the `check` command's probe) into storage/. The list
# may only grow back with a reason; a module that no longer speaks SQL must leave it.
STILL_SPEAKING_SQL: set[str] = set()


def speaks_sql(path: Path) -> list[str]:
    """The imports of SQLAlchemy or of the schema in one file (also inside functions)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name.split(".")[0] == "sqlalchemy" or name == "sync.storage.schema":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
                break
    return found


def outside_storage() -> list[Path]:
    files = [p for p in sync_files() if "storage" not in p.relative_to(SYNC).parts[:1]]
    return [*files, ROOT / "streamlit_app.py", *sorted((ROOT / "pages").glob("*.py"))]


@pytest.mark.parametrize(
    "path", outside_storage(), ids=lambda p: str(p.relative_to(ROOT)).removeprefix("sync/")
)
def test_only_storage_imports_sqlalchemy_or_the_schema(path: Path):
    if str(path.relative_to(ROOT)) in STILL_SPEAKING_SQL:
        assert speaks_sql(path), f"{path.relative_to(ROOT)} no longer speaks SQL: unlist it"
    else:
        assert speaks_sql(path) == []


def test_the_health_summary_alerts_status_and_metrics_are_free_of_sql():
    for name in (
        "health/reading.py",
        "health/summary.py",
        "alerts/facts.py",
        "alerts/rules.py",
        "dashboard/queries/status.py",
        "dashboard/data.py",
        "api/metrics.py",
        "api/summary.py",
        "storage/status_report.py",
    ):
        assert speaks_sql(SYNC / name) == [], name


def test_it_catches_sql_outside_storage(tmp_path: Path, monkeypatch):
    (tmp_path / "sync" / "dashboard").mkdir(parents=True)
    bad = tmp_path / "sync" / "dashboard" / "tiles.py"
    bad.write_text(
        "def f():\n    from sqlalchemy import select\n    from sync.storage import schema\n"
    )
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert speaks_sql(bad) == [
        "sync/dashboard/tiles.py:2 imports sqlalchemy",
        "sync/dashboard/tiles.py:3 imports sync.storage.schema",
    ]
