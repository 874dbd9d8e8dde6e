"""The proof that no object repeats a key: counted from the text and the parse."""

from __future__ import annotations

import orjson
import pytest

from sync.engine.jsonkeys import keys_all_distinct, parsed_keys


def _proved(text: bytes) -> bool:
    return keys_all_distinct(text, orjson.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        b'{"data":[{"id":"a","version":1,"line_items":[{"id":"i","price":1.50}]}]}',
        b'[{"id":"a","note":"a \\"quoted\\" word"}, {"id":"b"}]',  # a quote, no `":`
        b'{"a": 1, "b": {"c": [1, {"d": null}]}}',  # spaces after the colon are fine
        b'{"a\\\\":1}',  # a key ending in an escaped backslash
        b"[]",
        b'{"":1}',
    ],
)
def test_texts_without_a_repeated_key_are_proved(text):
    assert _proved(text)


@pytest.mark.parametrize(
    "text",
    [
        b'{"a":1,"a":2}',
        b'[{"id":"a","line_items":[{"id":"i","price":1,"price":2}]}]',  # deep down
        b'{"data":[],"data":[{"id":"a"}]}',
        # A repeat hidden by a `":` inside a string: the counts differ, nothing is proved.
        b'{"a":1,"a":2,"n":"x\\":"}',
    ],
)
def test_a_repeated_key_is_never_proved_absent(text):
    assert not _proved(text)


@pytest.mark.parametrize(
    "text",
    [
        b'{"a" :1}',  # whitespace before a colon: the count cannot decide
        b'{"a"\n:1}',
        b'{"n":"say \\"hi\\": now"}',  # `":` inside a string
    ],
)
def test_a_text_the_count_cannot_decide_is_not_proved(text):
    assert not _proved(text)


def test_keys_are_counted_in_objects_at_every_depth():
    assert parsed_keys({"a": [{"b": 1, "c": {"d": []}}, 2], "e": None}) == 5
    assert parsed_keys([1, "x", None]) == 0
