"""When to ask again: the backoff of a user export's polls, and when a bucket export is
complete. Pure.

Braze has no status endpoint for an export: the tap asks the download URL (or lists the
bucket) again and again, each time waiting longer, up to `MAX_POLL_SECONDS`, until the
export is there or `users_export_timeout_minutes` has passed.

In a bucket, Braze writes no manifest and no file count. An export counts as complete
once at least one file is under its prefix and no new file has appeared for
`users_export_settle_seconds`.

The functions are pure; `Polls` keeps one export's count of polls and its deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

#: The longest wait between two polls.
MAX_POLL_SECONDS = 60.0


def poll_delay(attempt: int, base_seconds: float, cap_seconds: float = MAX_POLL_SECONDS) -> float:
    """The wait before poll `attempt + 1` (0: before the second): `base_seconds`,
    doubling each time, at most `cap_seconds`."""
    if attempt < 0:
        msg = f"attempt must be at least 0, got {attempt}"
        raise ValueError(msg)
    return float(min(cap_seconds, base_seconds * 2.0 ** min(attempt, 64)))


def settled(first_seen: Mapping[str, float], now: float, settle_seconds: float) -> bool:
    """Whether a bucket export is complete: some file was seen (`first_seen`: key -> when
    the tap first saw it, on its own clock), and none is newer than `settle_seconds`."""
    return bool(first_seen) and now - max(first_seen.values()) >= settle_seconds


def settle_poll_cap(settle_seconds: float) -> float:
    """The longest wait between two listings of a bucket export: a quarter of the settle
    time (so a complete export is seen soon after it settled), at most
    `MAX_POLL_SECONDS`."""
    return max(0.01, min(MAX_POLL_SECONDS, settle_seconds / 4))


class Polls:
    """The polls of one export: waits with backoff from `base_seconds`, never past the
    export's deadline (`timeout_seconds` from now), ending early once `stop` is set.

    `clock` and `sleep(seconds) -> stopped` are the real ones in a run; a test gives
    fakes, so the settle rule is tested over hours in no time.
    """

    def __init__(
        self,
        *,
        timeout_seconds: float,
        base_seconds: float,
        stop: threading.Event,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        self.clock = clock
        self.began = clock()
        self.deadline = self.began + timeout_seconds
        self._base = base_seconds
        self._stop = stop
        self._sleep = sleep or stop.wait
        self.attempt = 0

    def next_delay(self, cap: float = MAX_POLL_SECONDS) -> float:
        return poll_delay(self.attempt, self._base, cap)

    def waited(self) -> float:
        return self.clock() - self.began

    def wait(self, cap: float = MAX_POLL_SECONDS) -> bool:
        """Sleep before the next poll; False once the deadline passed or the run stops."""
        left = self.deadline - self.clock()
        if left <= 0 or self._stop.is_set():
            return False
        self._sleep(min(left, self.next_delay(cap)))
        self.attempt += 1
        return not self._stop.is_set()
