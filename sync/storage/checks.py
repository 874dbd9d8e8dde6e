"""The database's CHECK constraints on vocabulary columns, generated from sync/runs.py.

Migration MIGRATION is this module's output (`render("postgres")`, `render("sqlite")`); a test
fails when the shipped files differ. Postgres gets CHECK constraints (NOT VALID: rows
written before are not re-read); SQLite cannot add a constraint to a table, so a pair of
BEFORE triggers refuses the same rows with the same constraint name.
"""

from __future__ import annotations

from sync.errors import Severity
from sync.runs import Action, RequestStatus, Rule, RunStatus, Trigger

#: The migration this module writes (sql/migrations/<MIGRATION>.<dialect>.sql).
MIGRATION = "0012_vocabulary_checks"
#: (table, column, allowed values): every column that holds a vocabulary word.
CHECKED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("sync_log", "status", tuple(RunStatus)),
    ("sync_log", "action", tuple(Action)),
    ("sync_log", "trigger", tuple(Trigger)),
    ("sync_requests", "status", tuple(RequestStatus)),
    ("alert_incidents", "rule", tuple(Rule)),
    ("alert_incidents", "severity", tuple(Severity)),
)

_HEADER = (
    "-- Migration {number}: vocabulary CHECK constraints ({dialect}). Generated from sync/runs.py\n"
    "-- by sync.storage.checks.render; do not edit by hand.\n"
)


def constraint_name(table: str, column: str) -> str:
    """ck_<table>_<column>."""
    return f"ck_{table}_{column}"


def _values(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _postgres(table: str, column: str, values: tuple[str, ...]) -> str:
    name = constraint_name(table, column)
    return (
        f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name};\n"
        f"ALTER TABLE {table} ADD CONSTRAINT {name}\n"
        f"    CHECK ({column} IN ({_values(values)})) NOT VALID;\n"
    )


def _sqlite(table: str, column: str, values: tuple[str, ...]) -> str:
    name = constraint_name(table, column)
    out = []
    for event, suffix in (("INSERT", "insert"), (f"UPDATE OF {column}", "update")):
        out.append(
            f"CREATE TRIGGER IF NOT EXISTS {name}_{suffix} BEFORE {event} ON {table}\n"
            f"WHEN NEW.{column} NOT IN ({_values(values)})\n"
            f"BEGIN\n"
            f"    SELECT RAISE(ABORT, 'CHECK constraint failed: {name}');\n"
            f"END;\n"
        )
    return "\n".join(out)


def render(dialect: str) -> str:
    """The text of the migration for `dialect` ('postgres' or 'sqlite')."""
    build = _postgres if dialect == "postgres" else _sqlite
    parts = [build(table, column, values) for table, column, values in CHECKED]
    header = _HEADER.format(number=MIGRATION[:4], dialect=dialect)
    return header + "\n" + "\n".join(parts)
