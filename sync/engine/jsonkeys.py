"""Proof that no object of a JSON text has a key twice, from its text and its parse.

A parser keeps one value per key (orjson and Python the last, SQLite's JSON functions the
first), so a repeated key is only visible in the text. Counting is enough: outside strings
every `":` ends a key, and an escaped quote (`\\"`) is the only way `":` occurs inside one.
When the text holds no whitespace between a key and its colon, the number of `":` in the
text is the number of keys written plus the `\\":` inside strings, and the parse holds
the number of keys written minus the repeats. Equal counts leave no room for a repeat.
"""

from __future__ import annotations

import re
from typing import Any

# JSON allows whitespace between a key and its colon: then the count proves nothing.
_SPACED_COLON = re.compile(rb'"[ \t\r\n]+:')


def parsed_keys(value: Any) -> int:
    """How many keys the parsed JSON `value` holds, in objects at every depth."""
    total = 0
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            total += len(item)
            members = item.values()
        elif kind is list:
            members = item
        else:
            continue
        for member in members:
            if type(member) is dict or type(member) is list:
                push(member)
    return total


def keys_all_distinct(content: bytes, parsed: Any) -> bool:
    """True when no object in `content` (parsed as `parsed`) repeats a key.

    False means "not proved": a repeat, or a text the count cannot decide.
    """
    if _SPACED_COLON.search(content):
        return False
    return content.count(b'":') == parsed_keys(parsed)
