"""Pure date arithmetic: which days a series needs, and how they are cut into requests.

Nothing here does I/O or reads a clock; "now" is always an argument. That keeps every rule
testable exhaustively (see tests/unit/test_windows.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ONE_DAY = dt.timedelta(days=1)

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T.*)?$")

#: Braze rejects `length` outside 1..100.
MAX_WINDOW_DAYS = 100


@dataclass(frozen=True, order=True)
class Window:
    """An inclusive range of days fetched by one request (`length` days ending at `last`)."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.first > self.last:
            msg = f"window starts after it ends: {self.first} > {self.last}"
            raise ValueError(msg)

    @property
    def length(self) -> int:
        """The `length` query parameter: days in the window, both ends included."""
        return (self.last - self.first).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.first <= day <= self.last


def plan_windows(first: dt.date, last: dt.date, window_days: int) -> list[Window]:
    """Cover [first, last] with the fewest requests, planned back from `last`.

    Every window but the earliest is exactly `window_days` long; the earliest takes what is
    left. Windows do not overlap and leave no gap, so each day is requested exactly once.
    The result is in ascending order, the order records are emitted in.
    """
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        msg = f"window_days must be from 1 to {MAX_WINDOW_DAYS}, got {window_days}"
        raise ValueError(msg)
    windows: list[Window] = []
    end = last
    while end >= first:
        start = max(first, end - dt.timedelta(days=window_days - 1))
        windows.append(Window(start, end))
        end = start - ONE_DAY
    windows.reverse()
    return windows


def history_windows(last: dt.date, window_days: int, max_history_days: int) -> list[Window]:
    """Windows for a series with no start: newest first, back at most `max_history_days`.

    The caller walks them in this order and stops at the first window that shows where the
    history begins.
    """
    earliest = last - dt.timedelta(days=max_history_days - 1)
    return list(reversed(plan_windows(earliest, last, window_days)))


def first_day_to_sync(
    *,
    bookmark: dt.date | None,
    start_date: dt.date | None,
    lookback_days: int,
) -> dt.date | None:
    """The first day a series must request, or None when history must be discovered.

    With a bookmark the bookmarked day itself is always re-read (today's count is partial),
    plus `lookback_days` before it (Braze revises recent days); never before `start_date`.
    """
    if bookmark is not None:
        first = bookmark - dt.timedelta(days=lookback_days)
        return max(first, start_date) if start_date else first
    return start_date


def today_in(zone: ZoneInfo, now: dt.datetime) -> dt.date:
    """The calendar date at the aware instant `now` in `zone`."""
    return now.astimezone(zone).date()


def ending_at(day: dt.date, zone: ZoneInfo) -> str:
    """The `ending_at` value that makes Braze end a series on `day`.

    Braze buckets days in the workspace's reporting zone (most likely; it is undocumented)
    and takes the day that contains the instant `ending_at`. We send noon of `day` in the
    configured zone, with its offset:
    - when `timezone` is the workspace's zone, noon is unambiguously `day` there (no DST
      change ever happens at noon);
    - when it is not (typically left at UTC), noon is 12 hours from either midnight, so
      any workspace zone within 11 hours of the configured one still puts that instant
      on the same calendar `day`. Midnight, the obvious choice, would shift the whole
      window by one day for every workspace west of the configured zone.
    """
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=zone)
    text = noon.isoformat()
    if text.endswith("+00:00"):
        return text.removesuffix("+00:00") + "Z"
    return text


def parse_date(value: object) -> dt.date:
    """A `YYYY-MM-DD` date; a full ISO-8601 datetime is accepted and its date part used."""
    if not isinstance(value, str) or not _DATE_RE.match(value):
        msg = f"expected a date YYYY-MM-DD, got {value!r}"
        raise ValueError(msg)
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        msg = f"{value!r} is not a real calendar date"
        raise ValueError(msg) from None
