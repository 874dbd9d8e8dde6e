"""The paginators: the version feed and /search offsets, page by page, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from sync.engine.decode import Page
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.paging import SearchOffsets, VersionFeed, next_cursor


def page(*versions: int, version_max: int | None = None, rows: list[Any] | None = None) -> Page:
    if rows is None:
        rows = [{"id": f"r{v}", "version": v} for v in versions]
    top = version_max if version_max is not None else max(versions, default=None)
    return Page(rows=rows, version_max=top, api_calls=1)


def search_page(*ids: Any) -> Page:
    return Page(rows=[{"id": i} for i in ids], version_max=None, api_calls=1)


# -- the version feed ------------------------------------------------------------------------


def test_it_starts_at_the_given_cursor():
    feed = VersionFeed("/sales", 40)
    assert (feed.start, feed.cursor, feed.finished) == (40, 40, False)
    assert VersionFeed("/sales").cursor == 0


@pytest.mark.parametrize(
    ("start", "pages", "cursors"),
    [
        (0, [page(5, 9)], [9]),
        (0, [page(5, 9), page(12, 30)], [9, 30]),
        (7, [page(11, version_max=50)], [50]),  # version.max wins over the rows
        (100, [page(120), page(121), page(300)], [120, 121, 300]),
    ],
)
def test_it_moves_the_cursor_to_each_pages_highest_version(start, pages, cursors):
    feed = VersionFeed("/products", start)
    seen = []
    for each in pages:
        feed.advance(each)
        seen.append(feed.cursor)
    assert seen == cursors and not feed.finished


@pytest.mark.parametrize(
    ("start", "last"),
    [
        (0, page()),  # nothing at all
        (9, page()),  # the normal end: an empty page
        (9, page(9)),  # an inclusive `after` repeats the cursor's own row
        (9, page(9, 9, rows=[{"id": "a", "version": 9}, {"id": "b", "version": 9}])),
    ],
)
def test_it_finishes_on_an_empty_page_or_a_repeat_of_the_cursor(start, last):
    feed = VersionFeed("/sales", start)
    feed.advance(last)
    assert feed.finished and feed.cursor == start


@pytest.mark.parametrize(
    ("start", "stuck"),
    [
        (9, page(9, version_max=9, rows=[{"id": "a", "version": 9}, {"id": "b", "version": 4}])),
        (9, page(3, version_max=3)),
        (9, page(8, 9)),  # version.max agrees, but a row went backwards
    ],
)
def test_it_stops_when_the_cursor_does_not_advance(start, stuck):
    feed = VersionFeed("/sales", start)
    with pytest.raises(SyncError) as caught:
        feed.advance(stuck)
    assert caught.value.kind is ErrorKind.API
    assert caught.value.message == (
        f"Lightspeed returned /sales rows at or below version {start} for after={start}: "
        "paging made no progress, stopped to avoid a loop."
    )


def test_it_refuses_a_page_without_version_numbers():
    feed = VersionFeed("/inventory", 12)
    with pytest.raises(SyncError) as caught:
        feed.advance(Page(rows=[{"id": "a"}], version_max=None, api_calls=1))
    assert caught.value.kind is ErrorKind.API
    assert caught.value.message == (
        "Lightspeed's page of /inventory after version 12 carries no version numbers."
    )


@pytest.mark.parametrize(
    ("each", "cursor", "expected"),
    [(page(5, 9), 0, 9), (page(), 9, None), (page(9), 9, None)],
)
def test_next_cursor_follows_the_same_rules(each, cursor, expected):
    assert next_cursor(each, cursor, "/sales") == expected


# -- /search offsets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "offsets"),
    [
        ([search_page("a", "b")], [2]),
        ([search_page("a", "b"), search_page("c")], [2, 3]),
        ([search_page("a", "b"), search_page("b", "c")], [2, 4]),  # a shifted page
    ],
)
def test_it_moves_the_offset_by_the_rows_received(pages, offsets):
    paging = SearchOffsets()
    seen = []
    for each in pages:
        paging.advance(each)
        seen.append(paging.offset)
    assert seen == offsets and not paging.finished


@pytest.mark.parametrize(
    ("pages", "fresh"),
    [
        ([search_page("a", "b"), search_page("b", "c")], [["a", "b"], ["c"]]),
        ([search_page("a", "a", "b")], [["a", "a", "b"]]),  # repeats inside one page pass
        ([search_page("a"), search_page(None, "a", "d")], [["a"], [None, "d"]]),
    ],
)
def test_it_hands_on_only_the_first_copy_of_an_id(pages, fresh):
    paging = SearchOffsets()
    assert [[r["id"] for r in paging.advance(each)] for each in pages] == fresh


def test_it_keeps_rows_without_an_id_so_they_can_be_rejected():
    paging = SearchOffsets()
    odd = Page(rows=["text", {"name": "no id"}, {"id": ["a"]}], version_max=None, api_calls=1)
    assert paging.advance(odd) == odd.rows
    assert paging.finished, "rows without an id are no progress: the walk cannot loop on them"


def test_it_finishes_on_an_empty_page():
    paging = SearchOffsets(start=2000)
    assert paging.advance(search_page()) == []
    assert paging.finished and paging.offset == 2000


@pytest.mark.parametrize(
    ("first", "again"),
    [
        (search_page("a", "b"), search_page("a", "b")),
        (search_page("a", "b", "c"), search_page("c")),
    ],
)
def test_it_stops_when_a_page_brings_nothing_new(first, again):
    paging = SearchOffsets()
    paging.advance(first)
    assert paging.advance(again) == []
    assert paging.finished and paging.offset == len(first.rows)


def test_a_shared_seen_set_removes_repeats_across_windows():
    seen: set = set()
    SearchOffsets(seen=seen).advance(search_page("a", "b"))
    later = SearchOffsets(seen=seen)
    assert [r["id"] for r in later.advance(search_page("b", "c"))] == ["c"]
