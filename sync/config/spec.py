"""What a setting declaration is: `Setting` (one variable) and `Family` (per-entity overrides)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import Any

from sync.config.parsers import Parser
from sync.config.settings import Settings
from sync.errors import redact

Lookup = Callable[[str], Any]
# check(NAME, raw or None, value, lookup of variables read before) raises a SyncError
Check = Callable[[str, str | None, Any, Lookup], None]
_FIELDS = {f.name: f for f in fields(Settings)}


def _show(item: Setting | Family, raw: str) -> str:
    if item.mask:
        return item.mask(raw)
    return "***" if item.secret else redact(raw)


@dataclass(frozen=True)
class Setting:
    """One variable. It fills the Settings field `field` (NAME in lower case by default),
    whose default is the setting's default."""

    name: str
    parse: Parser
    help: str
    secret: bool = False  # never shown: "***" (or `mask`), left out of repr(Settings)
    field: str = ""
    example: str | None = None  # value shown in .env.example instead of the default
    fill_in: bool = False  # uncommented and empty in .env.example: every install sets it
    check: Check | None = None  # runs on the value, or on the default when unset
    mask: Callable[[str], str] | None = None  # partial masking (a URL's secret parts)

    @property
    def attr(self) -> str:
        """The Settings field this variable fills."""
        return self.field or self.name.lower()

    @property
    def default(self) -> Any:
        """The Settings field's default."""
        return _FIELDS[self.attr].default

    def show(self, raw: str) -> str:
        """`raw` as it may be printed."""
        return _show(self, raw)


@dataclass(frozen=True)
class Family:
    """Overrides per entity (or severity): PREFIX_<MEMBER>, falling back to PREFIX itself.

    The members that are set become entries of the tuple field `field`: by default
    (member, value), (tag, member, value) with a `tag`, or whatever `entry` builds.
    """

    prefixes: tuple[str, ...]
    members: tuple[str, ...]
    parse: Parser
    field: str
    examples: tuple[str, ...]  # NAME=value lines for .env.example
    kind: str = "entity"
    help: str = ""
    secret: bool = False
    tag: str | None = None
    check: Check | None = None  # runs on members that are set
    mask: Callable[[str], str] | None = None
    entry: Callable[[str, Lookup], tuple[Any, ...]] | None = None

    def show(self, raw: str) -> str:
        """`raw` as it may be printed."""
        return _show(self, raw)

    def names(self, member: str) -> tuple[str, ...]:
        """The variables of one member."""
        return tuple(f"{prefix}_{member.upper()}" for prefix in self.prefixes)

    def fallback(self, name: str) -> str:
        """The variable `name` falls back to."""
        return next(prefix for prefix in self.prefixes if name.startswith(f"{prefix}_"))

    def build(self, member: str, get: Lookup) -> tuple[Any, ...]:
        """The field entry for a member that is set."""
        if self.entry:
            return self.entry(member, get)
        value = get(self.names(member)[0])
        return (member, value) if self.tag is None else (self.tag, member, value)


Item = Setting | Family


def variables(item: Item) -> Iterator[str]:
    """Every variable an item declares, in checking order."""
    if isinstance(item, Setting):
        yield item.name
    else:
        for member in item.members:
            yield from item.names(member)


def format_value(value: Any) -> str:
    """A value as it would be written in .env (None and () as the empty string)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return " ".join(format_value(v) for v in value)
    return str(value)
