"""The rate pacer against a model of Lightspeed's fixed window, on an injected clock."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from sync.lightspeed.budget import FileBudget, LocalBudget, budget_path, shared_budget
from sync.lightspeed.pacing import RatePacer, Reading, claim, read_headers


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FixedWindow:
    """The stand-in's rule: a window opens with the first request after the last one closed."""

    def __init__(self, clock: FakeClock, limit: int, window: float, reset: str | None = None):
        self.clock, self.limit, self.window, self.reset = clock, limit, window, reset
        self.start: float | None = None
        self.count = 0
        self.served = 0
        self.refused = 0

    def request(self) -> dict[str, str]:
        now = self.clock.now
        if self.start is None or now >= self.start + self.window:
            self.start, self.count = now, 0
        if self.count >= self.limit:
            self.refused += 1
            return {"status": "429"}
        self.count += 1
        self.served += 1
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.limit - self.count),
        }
        if self.reset is not None:  # whole seconds, rounded up or down
            end = self.start + self.window
            headers["X-RateLimit-Reset"] = str(math.ceil(end) if self.reset == "up" else int(end))
        return headers


def pacer_for(clock: FakeClock, window: float, budget=None) -> RatePacer:
    return RatePacer(
        window, budget=budget or LocalBudget(), wall_clock=clock.time, sleep=clock.sleep
    )


def fetch(pacer: RatePacer, server: FixedWindow, clock: FakeClock, seconds: float = 0.01) -> None:
    pacer.wait()
    headers = server.request()
    clock.now += seconds  # the answer takes a moment to come back
    pacer.observe(headers)


def test_it_sends_while_the_window_lasts_then_waits_for_its_end():
    clock = FakeClock()
    server = FixedWindow(clock, limit=10, window=10.0)
    pacer = pacer_for(clock, 10.0)
    started = clock.now
    for _ in range(37):
        fetch(pacer, server, clock)
    assert server.refused == 0
    floor = 37 * 10.0 / 10
    # Three full windows plus the last requests: under the evenly paced floor, never above.
    assert clock.now - started <= floor
    assert clock.now - started == pytest.approx(30.0 + 7 * 0.01 + 3 * 0.01, abs=0.05)
    assert len(clock.slept) == 3


def test_it_does_not_wait_while_the_quota_lasts():
    clock = FakeClock()
    pacer = pacer_for(clock, 300.0)
    pacer.wait()
    pacer.observe({"X-RateLimit-Limit": "350", "X-RateLimit-Remaining": "3"})
    for _ in range(3):
        pacer.wait()
    assert clock.slept == []
    pacer.wait()
    assert clock.slept == [pytest.approx(300.0)]


def test_without_rate_headers_it_never_waits():
    clock = FakeClock()
    pacer = pacer_for(clock, 300.0)
    for _ in range(1000):
        pacer.wait()
        pacer.observe({})
    assert clock.slept == []


def test_the_reset_header_names_the_end_of_the_window():
    clock = FakeClock()
    pacer = pacer_for(clock, 300.0)
    pacer.wait()
    pacer.observe(
        {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "20"}
    )
    pacer.wait()
    assert clock.slept == [pytest.approx(21.0)]  # whole seconds: it may have been 20.9


def test_reset_as_an_epoch_is_read_as_a_time():
    reading = read_headers({"X-RateLimit-Reset": "1700000042"}, now=1_700_000_000.0)
    assert reading == Reading(limit=None, remaining=None, reset_epoch=1_700_000_042.0)


@pytest.mark.parametrize("rounding", ["up", "down"])
def test_with_the_reset_header_it_stays_inside_the_window_too(rounding):
    clock = FakeClock()
    clock.now += 0.5  # windows end mid-second
    server = FixedWindow(clock, limit=7, window=5.0, reset=rounding)
    pacer = pacer_for(clock, 300.0)  # a wrong window setting: the header wins
    for _ in range(30):
        fetch(pacer, server, clock)
    assert server.refused == 0
    assert max(clock.slept) < 5.0 + 2.0


def test_the_own_bound_wins_over_a_later_reset_header():
    clock = FakeClock()
    clock.now += 0.5
    server = FixedWindow(clock, limit=7, window=5.0, reset="up")
    pacer = pacer_for(clock, 5.0)
    for _ in range(30):
        fetch(pacer, server, clock)
    assert server.refused == 0
    assert max(clock.slept) < 5.0


def test_a_window_end_beyond_one_window_from_now_is_not_believed():
    """A wall clock that went back (or a file from another setting) must not stall the sync."""
    clock = FakeClock()
    pacer = pacer_for(clock, 10.0)
    pacer.wait()
    pacer.observe({"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0"})
    clock.now -= 3600
    pacer.wait()
    assert clock.slept == [pytest.approx(10.0)]


def test_a_lower_remaining_than_counted_is_believed():
    """Someone else used the quota (another host): the answer corrects our count."""
    clock = FakeClock()
    pacer = pacer_for(clock, 60.0)
    pacer.wait()
    pacer.observe({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99"})
    pacer.wait()
    pacer.observe({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "1"})
    pacer.wait()
    assert clock.slept == []
    pacer.wait()
    assert clock.slept == [pytest.approx(60.0)]


def test_a_new_quota_is_taken_at_once():
    clock = FakeClock()
    pacer = pacer_for(clock, 60.0)
    pacer.wait()
    pacer.observe({"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1"})
    pacer.wait()
    pacer.observe({"X-RateLimit-Limit": "650", "X-RateLimit-Remaining": "640"})
    for _ in range(600):
        pacer.wait()
    assert clock.slept == []


def test_a_429_holds_every_caller_of_the_budget(tmp_path: Path):
    clock = FakeClock()
    path = tmp_path / "budget.json"
    first = pacer_for(clock, 300.0, FileBudget(path))
    second = pacer_for(clock, 300.0, FileBudget(path))
    first.wait()
    first.hold_for(7.0)
    second.wait()
    assert clock.slept == [pytest.approx(7.0)]


def test_two_processes_sharing_the_budget_never_meet_a_429(tmp_path: Path):
    clock = FakeClock()
    server = FixedWindow(clock, limit=10, window=10.0)
    path = tmp_path / "budget.json"
    pacers = [pacer_for(clock, 10.0, FileBudget(path)) for _ in range(2)]
    rng = random.Random(7)
    started = clock.now
    for _ in range(60):
        fetch(rng.choice(pacers), server, clock, seconds=rng.uniform(0.001, 0.3))
    assert server.refused == 0
    assert clock.now - started <= 60 * 10.0 / 10


def test_claims_made_after_ours_are_not_counted_twice():
    """Two callers in flight: the answer to the first does not yet count the second."""
    clock = FakeClock()
    budget = LocalBudget()
    a, b = pacer_for(clock, 10.0, budget), pacer_for(clock, 10.0, budget)
    a.wait()
    a.observe({"X-RateLimit-Limit": "4", "X-RateLimit-Remaining": "3"})
    a.wait()  # claim 2, answered after b's claim
    b.wait()  # claim 3
    a.observe({"X-RateLimit-Limit": "4", "X-RateLimit-Remaining": "2"})
    assert a.state().remaining == 1  # 2 left when a's request arrived, less b's in flight
    b.observe({"X-RateLimit-Limit": "4", "X-RateLimit-Remaining": "1"})
    assert a.state().remaining == 1
    a.wait()
    a.wait()
    assert clock.slept and clock.slept[0] <= 10.0


def test_a_damaged_state_file_starts_afresh(tmp_path: Path):
    path = tmp_path / "budget.json"
    path.write_text('{"limit": 10, "remaining": ')
    state = FileBudget(path).transact(lambda s: s)
    assert state.remaining is None and state.limit is None


def test_the_state_file_is_named_after_the_store_not_its_url(tmp_path: Path):
    url = "https://mystore.retail.lightspeed.app/api/2.0"
    path = budget_path(url, tmp_path)
    assert "mystore" not in path.name
    assert budget_path(url + "/", tmp_path) == path
    assert budget_path("https://other.retail.lightspeed.app/api/2.0", tmp_path) != path
    assert isinstance(shared_budget(url, tmp_path), FileBudget)


def test_an_unusable_state_directory_keeps_the_budget_in_process(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert isinstance(shared_budget("https://x.example/api/2.0", blocker), LocalBudget)


def test_a_claim_asks_to_wait_only_until_the_window_ends():
    clock = FakeClock()
    pacer = pacer_for(clock, 10.0)
    pacer.wait()
    pacer.observe({"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0"})
    state = pacer.state()
    assert claim(state, clock.now + 4.0, 10.0) == pytest.approx(6.0)
    assert claim(state, clock.now + 10.0, 10.0).index == 1  # the next window


def test_a_new_quota_drops_the_window_measured_under_the_old_one():
    clock = FakeClock()
    budget = LocalBudget()
    before = pacer_for(clock, 300.0, budget)  # e.g. a run before the quota changed
    before.wait()
    before.observe({"X-RateLimit-Limit": "100000", "X-RateLimit-Remaining": "99999"})
    after = pacer_for(clock, 2.0, budget)
    after.wait()
    after.observe({"X-RateLimit-Limit": "6", "X-RateLimit-Remaining": "0"})
    after.wait()
    assert clock.slept == [pytest.approx(2.0)]


def test_a_429_without_retry_after_waits_for_the_window_we_know_of():
    clock = FakeClock()
    pacer = pacer_for(clock, 10.0)
    pacer.wait()
    pacer.observe({"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "40"})
    clock.now += 4.0
    pacer.hold_for(None)
    pacer.wait()
    assert clock.slept == [pytest.approx(6.0)]


def test_a_late_answer_from_a_window_already_over_changes_nothing():
    clock = FakeClock()
    budget = LocalBudget()
    slow, fast = pacer_for(clock, 10.0, budget), pacer_for(clock, 10.0, budget)
    slow.wait()
    fast.wait()
    fast.observe({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "3"})
    clock.now += 10.5  # the window is over; the next claim opens a new one
    fast.wait()
    before = fast.state()
    slow.observe({"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})
    assert fast.state() == before


def test_a_claim_after_the_servers_window_may_have_ended_counts_in_the_next():
    """The server's window opened on our first request's arrival and ends before our bound.

    A request claimed between the two ends lands in the server's next window: the next
    window we open must count it, or its whole quota sent at once plus that one meets a 429.
    """
    clock = FakeClock()
    server = FixedWindow(clock, limit=3, window=1.0)
    budget = LocalBudget()
    callers = [pacer_for(clock, 1.0, budget) for _ in range(3)]
    callers[0].wait()
    clock.now += 0.05  # in transit: the server's window opens on arrival
    headers = server.request()
    clock.now += 0.05
    callers[0].observe(headers)  # our bound: this answer + 1 s, 0.05 s after the server's end
    clock.now += 0.97  # past the server's end, before ours
    callers[0].wait()
    late = server.request()  # counted in the server's next window
    clock.now += 0.05  # our window is over: three callers claim before any answer
    for caller in callers:
        caller.wait()
    answers = [server.request() for _ in callers]
    callers[0].observe(late)
    for caller, headers in zip(callers, answers, strict=True):
        caller.observe(headers)
    assert server.refused == 0
    assert clock.slept, "one of the three waited for the window after"
