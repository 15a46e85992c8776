"""What a run says of its pace: requests planned per rate-limit pool, how long the pool's
limit makes them take at least, and, while it runs, how far it is.

A long backfill must never look hung: every `PROGRESS_INTERVAL_SECONDS` a line says, per
pool, the requests done and planned and the time left at the current pace. The figures
are computed by the pure functions here; `ProgressLog` only times them.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping

from tap_braze_dau.declarations import POOLS

#: How often a running sync logs its progress.
PROGRESS_INTERVAL_SECONDS = 30.0


def duration_text(seconds: float) -> str:
    """`45 s`, `12 min`, `3 h 05 min`."""
    if seconds < 90:
        return f"{max(0, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def least_duration(planned: int, pool: str, reserve: float) -> float:
    """Seconds that `planned` requests take at least in `pool` when the tap keeps
    `reserve` of its documented limit for others: whole periods beyond the first
    (0 for a pool whose limit is unknown)."""
    documented = POOLS.get(pool)
    if documented is None or planned <= 0:
        return 0.0
    usable = max(1, math.floor(documented.limit * (1 - reserve)))
    return (math.ceil(planned / usable) - 1) * documented.period_seconds


def plan_line(pool: str, planned: int, reserve: float) -> str:
    """What the log says of a pool before the requests start."""
    documented = POOLS.get(pool)
    if documented is None:
        return f"Rate-limit pool '{pool}': {planned} request(s) planned"
    period = "an hour" if documented.period_seconds == 3600 else f"{documented.period_seconds} s"
    least = least_duration(planned, pool, reserve)
    pace = "within one period of the limit" if least == 0 else f"so at least {duration_text(least)}"
    return (
        f"Rate-limit pool '{pool}': {planned} request(s) planned; its limit is "
        f"{documented.limit:,} {period}, {1 - reserve:.0%} of it used by this run, {pace}"
    )


def progress_line(planned: Mapping[str, int], done: Mapping[str, int], elapsed: float) -> str:
    """Requests done and planned per pool, and the time left at the current pace."""
    parts = []
    for pool in sorted(planned):
        total, finished = planned[pool], min(done.get(pool, 0), planned[pool])
        if finished and elapsed > 0 and finished < total:
            left = f", about {duration_text((total - finished) * elapsed / finished)} left"
        elif finished >= total:
            left = ", done"
        else:
            left = ""
        parts.append(f"'{pool}' {finished} of {total} request(s){left}")
    return f"Progress after {duration_text(elapsed)}: " + "; ".join(parts)


class ProgressLog:
    """A thread that logs `progress_line` every `interval` seconds until stopped."""

    def __init__(
        self,
        logger: logging.Logger,
        planned: Mapping[str, int],
        sent: Callable[[], Mapping[str, int]],
        *,
        interval: float = PROGRESS_INTERVAL_SECONDS,
    ) -> None:
        self._logger = logger
        self._planned = dict(planned)
        self._baseline = dict(sent())
        self._sent = sent
        self._interval = interval
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="progress")

    def start(self) -> None:
        if any(self._planned.values()):
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            sent = self._sent()
            done = {pool: sent.get(pool, 0) - self._baseline.get(pool, 0) for pool in sent}
            elapsed = time.monotonic() - self._started
            self._logger.info(progress_line(self._planned, done, elapsed))
