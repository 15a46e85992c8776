"""Braze's rate limits: when to send again, and one gate per pool that says it.

Braze counts its endpoints in hourly pools (`Endpoint.pool`); every answer's
`X-RateLimit-*` headers describe the pool of the endpoint that answered. A 429 carries
`X-RateLimit-Reset` (UTC epoch seconds) and nothing else: `rate_limited` turns it into the
instant to resume, and a `RateLimitGate` holds back every request of the pool until then.
Waiting out a rate limit is normal operation, so it never uses up `max_retries`.

Pacing (`rate_limit_reserve`): the workspace's other API clients share these pools, so a
nightly job must never be the reason they get 429s. Every answer's `X-RateLimit-Remaining`
is read (`Quota`); once it is down to the reserve (a share of `X-RateLimit-Limit`), the
pool's gate holds every request until `X-RateLimit-Reset`. Requests already in flight
still land, so the pool goes below the reserve by at most `max_parallel_requests`.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tap_braze_dau.errors import RateLimitedError

#: Braze's limit is hourly: a reset further away than this is taken as a broken header.
MAX_RATE_LIMIT_WAIT_SECONDS = 3900.0
#: Slack after the reset instant, for clock differences between us and Braze.
RATE_LIMIT_MARGIN_SECONDS = 0.25
#: Shortest pause after a 429, even when the announced reset has already passed.
MIN_RATE_LIMIT_WAIT_SECONDS = 0.5
#: Epoch seconds are above this; a smaller X-RateLimit-Reset is read as seconds from now.
_EPOCH_FLOOR = 1_000_000_000


def parse_reset(value: str | None, now: float) -> float | None:
    """Epoch seconds at which the rate limit resets, from `X-RateLimit-Reset`."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number if number >= _EPOCH_FLOOR else now + number


def rate_limited(headers: Mapping[str, str], now: float, fallback_wait: float) -> RateLimitedError:
    """The 429 as an error carrying when to resume and why then."""
    reset = parse_reset(headers.get("X-RateLimit-Reset"), now)
    if reset is None:
        resume = now + fallback_wait
        source = "no usable X-RateLimit-Reset header"
    else:
        resume = min(reset, now + MAX_RATE_LIMIT_WAIT_SECONDS) + RATE_LIMIT_MARGIN_SECONDS
        resume = max(resume, now + MIN_RATE_LIMIT_WAIT_SECONDS)
        announced = dt.datetime.fromtimestamp(
            min(reset, now + MAX_RATE_LIMIT_WAIT_SECONDS), dt.timezone.utc
        )
        source = "X-RateLimit-Reset " + announced.isoformat(timespec="seconds")
    return RateLimitedError(source, resume_at=resume)


#: Without a usable X-RateLimit-Reset, a pool at its reserve is asked again after this.
RESERVE_FALLBACK_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Quota:
    """What an answer's `X-RateLimit-*` headers say of its pool."""

    limit: int
    remaining: int
    reset: float | None

    def at_reserve(self, reserve: float) -> bool:
        """True once `remaining` is down to `reserve` (a share) of the limit."""
        return self.remaining <= reserve * self.limit


def _whole(value: str | None) -> int | None:
    try:
        number = float(value.strip()) if value is not None else math.nan
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number >= 0 else None


def quota_of(headers: Mapping[str, str], now: float) -> Quota | None:
    """The pool's quota from an answer's headers; None when they do not say it."""
    limit = _whole(headers.get("X-RateLimit-Limit"))
    remaining = _whole(headers.get("X-RateLimit-Remaining"))
    if limit is None or remaining is None or limit == 0:
        return None
    return Quota(limit, remaining, parse_reset(headers.get("X-RateLimit-Reset"), now))


class RateLimitGate:
    """Shared by every request of a run to one pool: while Braze says to wait, or while
    the pool is down to the reserve, nobody sends."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open_at = 0.0
        self._reserve_until = 0.0

    def hold_until(self, instant: float) -> None:
        """Let no request start before `instant` (epoch seconds)."""
        with self._lock:
            self._open_at = max(self._open_at, instant)

    def pace(self, quota: Quota, reserve: float) -> float | None:
        """Hold the pool until its reset when `quota` is at the reserve. Returns the
        instant held until when this starts a new hold (to say so once), else None."""
        if not quota.at_reserve(reserve):
            return None
        now = self._clock()
        if quota.reset is None:
            until = now + RESERVE_FALLBACK_WAIT_SECONDS
        else:
            until = min(quota.reset, now + MAX_RATE_LIMIT_WAIT_SECONDS)
            until += RATE_LIMIT_MARGIN_SECONDS
        if until <= now:
            return None  # an answer from before the reset, read after it
        with self._lock:
            new = self._reserve_until <= now
            self._reserve_until = max(self._reserve_until, until)
            self._open_at = max(self._open_at, until)
        return until if new else None

    def seconds_remaining(self) -> float:
        with self._lock:
            return max(0.0, self._open_at - self._clock())

    def wait(self, stop: threading.Event) -> None:
        """Block until the gate opens; returns early (and quietly) when `stop` is set."""
        while (remaining := self.seconds_remaining()) > 0 and not stop.is_set():
            stop.wait(remaining)


class RateLimitPools:
    """One `RateLimitGate` per pool, shared by every request of a run: a 429 pauses the
    requests of its own pool, and the other pools keep going."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._gates: dict[str, RateLimitGate] = {}
        self._sent: Counter[str] = Counter()

    def gate(self, pool: str) -> RateLimitGate:
        with self._lock:
            gate = self._gates.get(pool)
            if gate is None:
                gate = self._gates[pool] = RateLimitGate(self._clock)
            return gate

    def count_sent(self, pool: str) -> None:
        with self._lock:
            self._sent[pool] += 1

    def sent(self) -> dict[str, int]:
        """Requests sent so far, per pool (for the progress log)."""
        with self._lock:
            return dict(self._sent)
