"""The shipped schema migrations (sql/migrations/NNNN_name.<dialect>.sql), in order.

sync.storage.sql.db applies them; both stores compare them with `schema_migrations`.
"""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "sql" / "migrations"
_MIGRATION_RE = re.compile(r"^(\d{4})_(\w+)\.(postgres|sqlite)\.sql$")


def migration_scripts(dialect: str) -> list[tuple[int, str, Path]]:
    """The migration files for `dialect` ('postgres' or 'sqlite'), in version order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob(f"*.{dialect}.sql")):
        match = _MIGRATION_RE.match(path.name)
        if match:
            found.append((int(match.group(1)), match.group(2).replace("_", " "), path))
    return found
