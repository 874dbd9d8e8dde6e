"""The rate budget used to the last request: claim a slot before each call, learn from answers.

Lightspeed counts requests in fixed windows (LIGHTSPEED_RATE_WINDOW_SECONDS, 300 s) and says
after each answer how many are left (`X-RateLimit-Limit`, `X-RateLimit-Remaining`). So the
fastest pace that never meets a 429 is: send while the window has requests left, then wait
for the window to end. Spreading requests evenly would only be slower.

Every request claims one slot of the shared budget (sync.lightspeed.budget) first; its answer
then corrects the count (the server's `Remaining`, less the claims made after ours that it had
not seen yet) and fixes the window's end: `X-RateLimit-Reset` when sent, else the time the
first answer of the window came back plus the window length, which the real end cannot exceed.
A 429 (whose Retry-After urllib3 honours) stops every caller until the time it names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sync.lightspeed.budget import BudgetState, BudgetStore, LocalBudget

# Epoch values above this in X-RateLimit-Reset are a time, below a number of seconds.
_EPOCH_THRESHOLD = 10**9
# X-RateLimit-Reset has whole seconds, rounded one way or the other: it may be 1 s early.
RESET_ROUNDING = 1.0


@dataclass(frozen=True)
class Ticket:
    """One claimed slot: the window generation and the claim's place in it (1-based)."""

    generation: int
    index: int


@dataclass(frozen=True)
class Reading:
    """The rate-limit headers of one answer."""

    limit: int | None
    remaining: int | None
    reset_epoch: float | None


def read_headers(headers: Mapping[str, str], now: float) -> Reading:
    """The X-RateLimit-* headers of an answer received at `now` (epoch s)."""
    reset = _int_header(headers, "X-RateLimit-Reset")
    reset_epoch = None
    if reset is not None:
        reset_epoch = float(reset) if reset > _EPOCH_THRESHOLD else now + reset
    return Reading(
        limit=_int_header(headers, "X-RateLimit-Limit"),
        remaining=_int_header(headers, "X-RateLimit-Remaining"),
        reset_epoch=reset_epoch,
    )


def claim(state: BudgetState, now: float, window: float) -> Ticket | float:
    """Take a slot for a request at `now`: a Ticket, or the seconds to wait before asking again."""
    if state.window_end is not None and state.window_end > now + window:
        # No window ends later than one length from now: the wall clock went back, or
        # the file was left by a process with another window setting.
        state.window_end = now + window
    if state.window_end is not None and now >= state.window_end:
        _next_window(state)
    if state.remaining is not None:
        if state.remaining <= 0:
            if state.window_end is None:
                state.window_end = now + window
            return state.window_end - now
        state.remaining -= 1
    if state.window_end is None:
        state.window_end = now + window  # a guess until the first answer fixes it
    if state.first_claim is None:
        state.first_claim = now
    elif now >= state.first_claim + window:
        # The server's window began no earlier than our first claim in it, so it may be
        # over already: this request may be counted in the next one.
        state.late += 1
        state.late_since = state.late_since or now
    state.claimed += 1
    return Ticket(state.generation, state.claimed)


def _next_window(state: BudgetState) -> None:
    """The window we know of is over: start the next, less the late claims it may hold."""
    state.generation += 1
    state.claimed = 0
    state.window_end = None
    state.anchored = False
    state.remaining = None if state.limit is None else max(0, state.limit - state.late)
    state.first_claim = state.late_since
    state.late = 0
    state.late_since = None


def settle(
    state: BudgetState, ticket: Ticket | None, reading: Reading, now: float, window: float
) -> None:
    """Correct the budget with the answer to `ticket`'s request, received at `now`."""
    limit_changed = reading.limit is not None and reading.limit != state.limit
    if reading.limit is not None:
        state.limit = reading.limit
    if ticket is None or ticket.generation != state.generation:
        return  # an answer from a window already over says nothing of this one
    bounds = []  # each one a time the server's window has surely ended by
    if reading.reset_epoch is not None:
        bounds.append(reading.reset_epoch + RESET_ROUNDING)
    if limit_changed or not state.anchored:
        # The server counted this request in a window that began before the answer came
        # (a window counted under another quota says nothing of this one's end).
        bounds.append(now + window)
    elif state.window_end is not None:
        bounds.append(state.window_end)
    state.window_end = min(bounds)
    state.anchored = True
    if reading.remaining is None:
        return
    unseen = state.claimed - ticket.index  # claimed after ours: maybe not counted yet
    estimate = max(0, reading.remaining - unseen)
    if state.remaining is None or limit_changed:
        state.remaining = estimate  # first answer, or a new quota (a register added)
    else:
        state.remaining = min(state.remaining, estimate)


def hold(state: BudgetState, until: float | None, now: float, window: float) -> None:
    """A 429: nothing is left until `until` (epoch s), for every caller.

    Without a Retry-After (`until` None) the window is spent: wait for the end we know of,
    or a whole window when we know of none.
    """
    state.remaining = 0
    if until is not None:
        state.window_end = until
    elif state.window_end is None or state.window_end <= now:
        state.window_end = now + window
    state.anchored = True


class RatePacer:
    """Claims a slot of the rate budget before each request and learns from each answer."""

    def __init__(
        self,
        window_seconds: float = 300.0,
        budget: BudgetStore | None = None,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.window_seconds = window_seconds
        self.budget = budget or LocalBudget()
        self.wall_clock = wall_clock
        self.sleep = sleep
        self.waited_seconds = 0.0
        self._ticket: Ticket | None = None

    def wait(self) -> None:
        """Block until the budget has a request left, and claim it."""
        while True:
            now, window = self.wall_clock(), self.window_seconds
            outcome = self.budget.transact(lambda s, t=now, w=window: claim(s, t, w))
            if isinstance(outcome, Ticket):
                self._ticket = outcome
                return
            pause = max(outcome, 0.001)
            self.waited_seconds += pause
            self.sleep(pause)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from the rate-limit headers of the answer to the last claimed request."""
        now = self.wall_clock()
        reading = read_headers(headers, now)
        ticket = self._ticket
        self.budget.transact(lambda s: settle(s, ticket, reading, now, self.window_seconds))

    def hold_for(self, seconds: float | None) -> None:
        """A 429 asked to wait `seconds` (None: it did not say): every caller waits."""
        now, window = self.wall_clock(), self.window_seconds
        until = None if seconds is None else now + seconds
        self.budget.transact(lambda s: hold(s, until, now, window))

    def state(self) -> BudgetState:
        """A copy of the budget as it stands (for tests and benchmarks)."""
        return self.budget.transact(lambda s: BudgetState(**vars(s)))


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None
