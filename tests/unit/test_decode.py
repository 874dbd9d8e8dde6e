"""Decoding answers into pages: one meaning of plain, exact numbers, repeated keys, bad bodies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync.engine.decode import (
    MALFORMED_ATTEMPTS,
    Decoding,
    decode_list,
    decode_search,
    fetch_decoded,
    plain_body,
)
from sync.entities import CUSTOMERS, SALES
from sync.lightspeed.classify import MalformedResponse
from sync.lightspeed.transport import RawPage

FOR_SQL = Decoding(keep_source=True)  # a store that maps plain pages (Postgres)
FOR_SQLITE = Decoding(keep_source=True, prove_keys=True)  # ... and reads a repeat's first value


def raw(content: bytes, path: str = "/sales") -> RawPage:
    return RawPage(path, content)


# -- plain pages -----------------------------------------------------------------------------


def test_a_plain_page_keeps_its_source_and_reads_money_exactly_from_it():
    content = b'{"data": [{"id": "a", "version": 3, "total_price": 0.10}], "version": {"max": 3}}'
    page = decode_list(raw(content), SALES, FOR_SQL)
    assert page.source == content and page.version_max == 3 and page.size == 1
    assert page.rows[0]["total_price"] == Decimal("0.10")
    assert str(page.rows[0]["total_price"]) == "0.10"


def test_a_plain_page_is_paged_without_parsing_its_numbers_exactly():
    content = b'[{"id": "a", "version": 4, "total_price": 1.5}, {"id": "b", "version": 9}]'
    page = decode_list(raw(content), SALES, FOR_SQL)
    assert (page.size, page.ids(), page.versions(), page.version_max) == (2, ["a", "b"], [4, 9], 9)


def test_a_store_that_does_not_map_json_gets_exact_rows_and_no_source():
    content = b'{"data": [{"id": "a", "version": 3, "total_price": 20.6611600000}]}'
    for decoding in (None, Decoding()):
        page = decode_list(raw(content), SALES, decoding)
        assert page.source is None
        assert str(page.rows[0]["total_price"]) == "20.6611600000"


def test_rows_never_hold_floats_whatever_the_path():
    content = b'{"data": [{"id": "a", "version": 3, "total_price": 0.1, "note": 7}]}'
    kept = decode_list(raw(content), SALES, FOR_SQL)  # plain
    odd = decode_list(
        raw(content.replace(b'"note": 7', b'"note": 7, "sale_date": 5')), SALES, FOR_SQL
    )
    assert odd.source is None  # not plain: parsed exactly at once
    for page in (kept, odd):
        assert type(page.rows[0]["total_price"]) is Decimal


@pytest.mark.parametrize(
    "content",
    [
        b'{"data": [{"id": "a", "version": 3.0}]}',
        b'{"data": [{"id": "a", "version": "3"}]}',
        b'{"data": [{"id": "a", "version": 3, "x": NaN}]}',
        b'{"data": [{"id": "a", "version": 99999999999999999999999}]}',
        b'{"data": [1]}',
        b'{"data": {}}',
        b'{"version": {"max": 3}}',
        b'{"data": [{"id": "a", "version": 3}], "version": {"max": 3.5}}',
        b'{"data": [{"id": "a", "version": 3, "total_price": "1.00"}]}',  # money as text
        b'{"data": [{"id": "a", "version": 3, "line_items": [{"id": "i"}, {"id": "i"}]}]}',
        b'"text"',
        b"[not json",
    ],
)
def test_a_page_the_fast_parse_cannot_take_exactly_is_not_plain(content):
    assert plain_body(content, SALES) is None


@pytest.mark.parametrize(
    "content",
    [
        b'{"data": [{"id": "a", "version": 3.0}]}',
        b'{"data": [{"id": "a", "version": 3, "total_price": "1.00"}]}',
        b'{"data": [{"id": "a", "version": 99999999999999999999999}]}',
    ],
)
def test_a_page_that_is_not_plain_is_decoded_exactly_without_its_source(content):
    page = decode_list(raw(content), SALES, FOR_SQLITE)
    assert page.source is None and not page.keys_distinct and page.rows[0]["id"] == "a"


def test_a_bare_list_answer_is_a_page_too():
    page = decode_list(raw(b'[{"id": "a", "version": 4}]', "/inventory"), SALES, FOR_SQL)
    assert page.source is not None and page.version_max == 4 and page.rows[0]["id"] == "a"
    exact = decode_list(raw(b'[{"id": "a", "version": 4}, {"id": "b", "version": 9}]'), SALES)
    assert [r["id"] for r in exact.rows] == ["a", "b"] and exact.version_max == 9


def test_a_missing_or_null_data_list_is_an_empty_page():
    for content in (b'{"version": {"max": null}}', b'{"data": null}'):
        page = decode_list(raw(content), SALES, FOR_SQL)
        assert page.rows == [] and page.size == 0 and page.version_max is None


# -- repeated keys -----------------------------------------------------------------------------


def test_keys_are_proved_distinct_only_when_the_store_asks():
    body = b'{"data":[{"id":"a","version":3}],"version":{"min":1,"max":3}}'
    assert decode_list(raw(body), CUSTOMERS, FOR_SQLITE).keys_distinct
    assert not decode_list(raw(body), CUSTOMERS, FOR_SQL).keys_distinct


def test_a_repeated_key_is_never_proved_distinct_and_reads_as_python_reads_it():
    repeated = b'{"data":[{"id":"a","version":3,"name":"first","name":"last"}]}'
    page = decode_list(raw(repeated), CUSTOMERS, FOR_SQLITE)
    assert page.source == repeated and not page.keys_distinct
    assert page.rows[0]["name"] == "last"


def test_a_space_before_a_colon_leaves_the_keys_unproved():
    body = b'[{"id" : "c-1", "version" : 1}]'
    page = decode_list(raw(body), CUSTOMERS, FOR_SQLITE)
    assert page.source == body and not page.keys_distinct


# -- bodies that are not what we expect ------------------------------------------------------


def test_a_body_that_is_not_json_is_malformed_and_may_be_asked_again():
    with pytest.raises(MalformedResponse) as info:
        decode_list(raw(b'{"data": [{"id": "a"'), SALES, FOR_SQL)
    assert info.value.unparsable and "malformed JSON for /sales (20 bytes)" in info.value.message
    assert info.value.excerpt == '{"data": [{"id": "a"'


@pytest.mark.parametrize(
    ("content", "words"),
    [(b'"text"', "a JSON str for /sales"), (b'{"data": {}}', "no 'data' list")],
)
def test_a_body_of_the_wrong_shape_is_malformed_at_once(content, words):
    with pytest.raises(MalformedResponse) as info:
        decode_list(raw(content), SALES)
    assert words in info.value.message and not info.value.unparsable


def test_an_excerpt_never_holds_a_secret():
    page = RawPage(
        "/sales", b"<html>token tok-SECRET</html>", redact=lambda t: t.replace("tok-SECRET", "***")
    )
    with pytest.raises(MalformedResponse) as info:
        decode_list(page, SALES)
    assert "tok-SECRET" not in info.value.excerpt


def test_an_unparsable_body_is_asked_again_then_reported():
    answers = [raw(b"<html>"), raw(b'{"data": [{"id": "a", "version": 1}]}')]
    page = fetch_decoded(lambda: answers.pop(0), lambda r: decode_list(r, SALES))
    assert page.rows == [{"id": "a", "version": 1}] and answers == []

    asked = []

    def always_broken() -> RawPage:
        asked.append(1)
        return raw(b"<html>")

    with pytest.raises(MalformedResponse):
        fetch_decoded(always_broken, lambda r: decode_list(r, SALES))
    assert len(asked) == MALFORMED_ATTEMPTS


def test_a_wrong_shape_is_not_asked_again():
    asked = []

    def wrong() -> RawPage:
        asked.append(1)
        return raw(b'{"data": 5}')

    with pytest.raises(MalformedResponse):
        fetch_decoded(wrong, lambda r: decode_list(r, SALES))
    assert len(asked) == 1


# -- /search ------------------------------------------------------------------------------------


def test_a_search_page_has_exact_rows_and_no_cursor():
    page = decode_search(raw(b'{"data": [{"id": "s", "total_price": 20.66116}]}', "/search"))
    assert page.version_max is None and page.rows[0]["total_price"] == Decimal("20.66116")
    assert decode_search(raw(b'{"data": null}', "/search")).rows == []
    with pytest.raises(MalformedResponse):
        decode_search(raw(b'{"data": "x"}', "/search"))
