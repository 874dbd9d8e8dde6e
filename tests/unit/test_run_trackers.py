"""RunTrackers: the store's tracker list, named by role and handed back in the same order."""

from __future__ import annotations

import pytest

from sync.engine.skeleton import RunTrackers
from sync.storage.runlog import Progress


@pytest.mark.parametrize("count", [1, 2])
def test_it_names_the_trackers_and_gives_them_back_in_order(count):
    given = [Progress(log_id=i) for i in range(count)]
    trackers = RunTrackers.of(given)
    assert trackers.parent is given[0]
    assert trackers.lines is (given[1] if count == 2 else None)
    assert trackers.all == given
    assert all(a is b for a, b in zip(trackers.all, given, strict=True))


def test_it_counts_line_items_only_when_there_are_any():
    assert RunTrackers.of([Progress(log_id=1, upserted=5)]).lines_upserted == 0
    sales = RunTrackers.of([Progress(log_id=1, upserted=5), Progress(log_id=2, upserted=9)])
    assert sales.lines_upserted == 9
