"""The dashboard users file (DASHBOARD_USERS_FILE): more logins, each limited to some stores.

The .env user (DASHBOARD_USERNAME) sees every store; each user of this file sees only the
stores listed for them. The file is TOML in streamlit-authenticator's credentials shape,
written only by `python -m sync user ...` (mode 0600):

    [usernames.anna]
    name = "anna"
    password = "$2b$12$..."
    stores = ["shop1", "shop2"]
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sync.errors import ErrorKind, SyncError

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_BCRYPT_RE = re.compile(r"^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$")
HEADER = (
    "# Dashboard users limited to some stores. Written by `python -m sync user add|remove|"
    "stores`;\n# do not edit by hand. The .env user (DASHBOARD_USERNAME) sees every store."
)


@dataclass(frozen=True)
class DashboardUser:
    """One user of the file: login name, bcrypt hash and the stores they may see."""

    username: str
    password_hash: str
    stores: tuple[str, ...]


def username_problem(username: str) -> str | None:
    """One sentence when `username` cannot be a login name of the file, else None."""
    if not _NAME_RE.match(username):
        return (
            f"{username!r} cannot be a login name: use 1 to 64 lower-case letters, digits, "
            "dots, dashes or underscores, starting with a letter or digit."
        )
    return None


def load_users(path: Path) -> dict[str, DashboardUser]:
    """The users of `path` by login name ({} when the file does not exist).

    A malformed file raises one SyncError naming it. Read again only when it changes.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise _broken(path, f"it cannot be read ({exc.strerror})") from None
    return dict(_parsed(str(path), stat.st_mtime_ns, stat.st_size))  # the caller's to change


@lru_cache(maxsize=8)
def _parsed(name: str, _mtime_ns: int, _size: int) -> dict[str, DashboardUser]:
    path = Path(name)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _broken(path, f"it cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise _broken(path, f"it is not valid TOML ({exc})") from None
    table = data.get("usernames", {})
    if set(data) - {"usernames"} or not isinstance(table, dict):
        raise _broken(path, "it should hold only [usernames.NAME] tables")
    users = {}
    for username, entry in table.items():
        users[username] = _user(path, username, entry)
    return users


def _user(path: Path, username: str, entry: object) -> DashboardUser:
    if username_problem(username) or not isinstance(entry, dict):
        raise _broken(path, f"the user {username!r} is not a valid entry")
    hashed, stores = entry.get("password"), entry.get("stores")
    if not isinstance(hashed, str) or not _BCRYPT_RE.match(hashed):
        raise _broken(path, f"the user {username!r} has no bcrypt password hash")
    if (
        not isinstance(stores, list)
        or not stores
        or not all(isinstance(s, str) and s for s in stores)
    ):
        raise _broken(path, f"the user {username!r} has no list of stores")
    return DashboardUser(username, hashed, tuple(dict.fromkeys(stores)))


def _broken(path: Path, why: str) -> SyncError:
    return SyncError(
        ErrorKind.CONFIG,
        f"The dashboard users file {path} is malformed: {why}.",
        recovery="Fix or delete it, then add the users again with `python -m sync user add`.",
    )


def save_users(path: Path, users: dict[str, DashboardUser]) -> None:
    """Write `users` to `path` atomically, readable by its owner only (0600)."""
    lines = [HEADER]
    for user in sorted(users.values(), key=lambda u: u.username):
        lines += [
            "",
            f"[usernames.{json.dumps(user.username)}]",
            f"name = {json.dumps(user.username)}",
            f"password = {json.dumps(user.password_hash)}",
            f"stores = [{', '.join(json.dumps(s) for s in user.stores)}]",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
