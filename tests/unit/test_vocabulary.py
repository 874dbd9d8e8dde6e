"""Each name of the vocabulary is defined once, in sync/runs.py (and Severity in sync/errors.py):
other modules use the enums, never the bare strings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sync.config import ALERT_RULES, ALERT_SEVERITIES, HEALTH_ENTITIES, SYNCED_ENTITIES
from sync.entities import STATE_ENTITIES
from sync.errors import Severity
from sync.health import HEALTH_ENTITIES as JUDGED
from sync.runs import ENTITY_NAMES, SKIPPED, RequestStatus, Rule
from sync.storage.checks import MIGRATION, render

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "sync" / "runs.py"
# Strings that only the vocabulary may spell out ("running" and "failed" are also run
# statuses, so the request statuses are checked by their own words).
ONLY_AT_HOME = {RequestStatus.QUEUED, RequestStatus.DONE, SKIPPED, *Rule}


def files() -> list[Path]:
    """sync/ and pages/, less the simulator (it shares nothing with the sync, by design)."""
    found = [*(ROOT / "sync").rglob("*.py"), *(ROOT / "pages").glob("*.py")]
    return sorted(p for p in found if "simulator" not in p.parts and p != HOME)


def _exported(tree: ast.Module) -> set[int]:
    """ids of the string constants inside `__all__` (names of functions, not vocabulary)."""
    ids: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            ids |= {id(c) for c in ast.walk(node.value)}
    return ids


def spelled_out(path: Path) -> list[str]:
    """Vocabulary words written as bare strings, and literal lists of three or more entities."""
    tree = ast.parse(path.read_text(), str(path))
    exported = _exported(tree)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and node.value in ONLY_AT_HOME
            and id(node) not in exported
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} spells {node.value!r}")
        elements = (
            node.elts
            if isinstance(node, ast.Tuple | ast.List | ast.Set)
            else node.keys
            if isinstance(node, ast.Dict)
            else []
        )
        entities = [e for e in elements if isinstance(e, ast.Constant) and e.value in ENTITY_NAMES]
        if len(entities) >= 3:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} lists entities")
    return sorted(found)


@pytest.mark.parametrize("path", files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_it_uses_the_vocabulary_instead_of_spelling_it(path: Path):
    assert spelled_out(path) == []


def test_it_catches_a_spelled_out_status_and_a_copied_entity_list(tmp_path: Path):
    bad = tmp_path / "sync" / "page.py"
    bad.parent.mkdir()
    bad.write_text(
        '__all__ = ["stale"]\nOPEN = ("queued", "running")\n'
        'ORDER = ["customers", "sales", "outlets"]\n'
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert spelled_out(bad) == [
            "sync/page.py:2 spells 'queued'",
            "sync/page.py:3 lists entities",
        ]
    finally:
        ROOT = saved


def test_every_list_of_names_is_the_vocabulary_in_its_order():
    assert STATE_ENTITIES == JUDGED == HEALTH_ENTITIES == ENTITY_NAMES
    assert tuple(e for e in ENTITY_NAMES if e != "sale_line_items") == SYNCED_ENTITIES
    assert tuple(Rule) == ALERT_RULES and tuple(Severity) == ALERT_SEVERITIES


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_the_check_constraints_are_generated_from_the_vocabulary(dialect: str):
    shipped = ROOT / "sql" / "migrations" / f"{MIGRATION}.{dialect}.sql"
    assert shipped.read_text() == render(dialect), (
        "regenerate: python -c 'from sync.storage.checks import MIGRATION, render; "
        f'print(render("{dialect}"), end="")\' > {shipped.relative_to(ROOT)}'
    )
    for value in (*RequestStatus, *Rule):
        assert f"'{value}'" in shipped.read_text()
