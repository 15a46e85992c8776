"""Pure date arithmetic: which days (or hours) a series needs, and how they are cut into
requests.

A daily series is planned on calendar days (`dt.date`) of the workspace's zone; an
hourly one on UTC hours (aware `dt.datetime`s on the hour), so that a day with a
daylight-saving change has 23 or 25 of them. The same functions plan both: a window's
`first` and `last` are both dates or both hours.

How Braze reads `ending_at` is not settled by anything public (its docs say "the date on
which the data series should end"; real answers to a bare date `D` held `D - length ..
D - 1`). Two readings fit the evidence, and the tap is right under both without being told
which one holds:
- "through": the series ends with the day that contains `ending_at` (an instant exactly at
  midnight counts for the day before);
- "before": `ending_at` is taken to the start of its day, and the series is the `length`
  days before it, so the day that contains `ending_at` is never in the answer.
(Hours alike: "through" ends with the hour holding `ending_at`, "before" with the hour
before it.) A request for `window` therefore answers either `window` or the same days
shifted one step back, always within `window.answerable`. `plan_requests` tiles the days
to sync plus the one after them: under "through" the answers hold [first, last + 1],
under "before" [first - 1, last]; both hold every day of [first, last], each in exactly
one answer, for one day more than the range: at most one request more than the fewest
that tile it. The last request's `ending_at` is then on the day after the last one to
sync: tomorrow, for a run that syncs today.

Nothing here does I/O or reads a clock; "now" is always an argument. That keeps every rule
testable exhaustively (see tests/unit/test_windows.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ONE_DAY = dt.timedelta(days=1)
ONE_HOUR = dt.timedelta(hours=1)
UTC = dt.timezone.utc

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T.*)?$")

#: Braze rejects `length` outside 1..100.
MAX_WINDOW_DAYS = 100


def is_hour(moment: dt.date) -> bool:
    """True for an hour (an aware datetime), False for a calendar day."""
    return isinstance(moment, dt.datetime)


def step_of(moment: dt.date) -> dt.timedelta:
    return ONE_HOUR if is_hour(moment) else ONE_DAY


def hour_text(hour: dt.datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, in UTC."""
    return hour.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def moment_text(moment: dt.date) -> str:
    """A day as `YYYY-MM-DD`, an hour as `YYYY-MM-DDTHH:MM:SSZ`."""
    return hour_text(moment) if isinstance(moment, dt.datetime) else moment.isoformat()


@dataclass(frozen=True, order=True)
class Window:
    """An inclusive range of days (or of UTC hours) fetched by one request: `length` of
    them, ending at `last`."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if is_hour(self.first) != is_hour(self.last):
            msg = f"window mixes a day and an hour: {self.first}, {self.last}"
            raise ValueError(msg)
        if self.first > self.last:
            msg = f"window starts after it ends: {self.first} > {self.last}"
            raise ValueError(msg)

    @property
    def hourly(self) -> bool:
        return is_hour(self.first)

    @property
    def answerable(self) -> Window:
        """The days (hours) an answer to this window's request may hold, whichever way
        Braze reads `ending_at`: the window, or the window one step earlier."""
        return Window(self.first - step_of(self.first), self.last)

    @property
    def length(self) -> int:
        """The `length` query parameter: days (hours) in the window, both ends included."""
        return (self.last - self.first) // step_of(self.first) + 1

    def __contains__(self, moment: object) -> bool:
        if not isinstance(moment, dt.date) or is_hour(moment) != self.hourly:
            return False
        if self.hourly:  # any instant within the last hour belongs to it
            return self.first <= moment < self.last + ONE_HOUR
        return self.first <= moment <= self.last

    def __str__(self) -> str:
        return f"{moment_text(self.first)}..{moment_text(self.last)}"


def plan_windows(first: dt.date, last: dt.date, window_days: int) -> list[Window]:
    """Cover [first, last] with the fewest requests, planned back from `last`.

    Every window but the earliest is exactly `window_days` long (days, or hours when
    `first` and `last` are hours); the earliest takes what is left. Windows do not overlap
    and leave no gap, so each day (hour) is requested exactly once. The result is in
    ascending order, the order records are emitted in.
    """
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        msg = f"window_days must be from 1 to {MAX_WINDOW_DAYS}, got {window_days}"
        raise ValueError(msg)
    step = step_of(last)
    windows: list[Window] = []
    end = last
    while end >= first:
        start = max(first, end - step * (window_days - 1))
        windows.append(Window(start, end))
        end = start - step
    windows.reverse()
    return windows


def plan_requests(first: dt.date, last: dt.date, window_days: int) -> list[Window]:
    """The fewest requests of at most `window_days` that fetch every day (hour) of
    [first, last] whichever way Braze reads `ending_at` (see the module docstring): the
    windows that tile [first, last + 1 step], planned back from their end, ascending."""
    return plan_windows(first, last + step_of(last), window_days)


def history_requests(last: dt.date, window_days: int, max_history_days: int) -> list[Window]:
    """The requests of a series with no start (as `plan_requests`, up to `last`): newest
    first, back at most `max_history_days` (for hours: that many days of hours).

    The caller walks them in this order and stops at the first window that shows where the
    history begins.
    """
    earliest = last - dt.timedelta(days=max_history_days) + step_of(last)
    return list(reversed(plan_requests(earliest, last, window_days)))


def without_future_day(window: Window, keep: Window) -> Window | None:
    """`window` without the step after `keep` (the days to sync), for a Braze that refuses
    an `ending_at` in the future: the window ending on `keep`'s last day, or None when
    the window held nothing else (its request is then not needed under "through")."""
    if window.last <= keep.last:
        return window
    last = keep.last
    return Window(window.first, last) if window.first <= last else None


def capped(window: Window, last: dt.date | None) -> Window | None:
    """`window` ending no later than `last` (None: uncapped); None when nothing is left."""
    if last is None or window.last <= last:
        return window
    return Window(window.first, last) if window.first <= last else None


def step_back(window: Window) -> Window | None:
    """`window` without its last day (hour); None when that was its only one."""
    return capped(window, window.last - step_of(window.last))


def first_day_to_sync(
    *,
    bookmark: dt.date | None,
    start_date: dt.date | None,
    lookback_days: int,
) -> dt.date | None:
    """The first day a series must request, or None when history must be discovered.

    With a bookmark the bookmarked day itself is always re-read (today's count is partial),
    plus `lookback_days` before it (Braze revises recent days); never before `start_date`.
    For an hourly series, `bookmark` and `start_date` are hours and the look-back is
    `lookback_days` times 24 hours.
    """
    if bookmark is not None:
        first = bookmark - dt.timedelta(days=lookback_days)
        return max(first, start_date) if start_date else first
    return start_date


def today_in(zone: ZoneInfo, now: dt.datetime) -> dt.date:
    """The calendar date at the aware instant `now` in `zone`."""
    return now.astimezone(zone).date()


def start_hour(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC hour that holds the midnight starting `day` in `zone`."""
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)
    return midnight.replace(minute=0, second=0, microsecond=0)


def last_hour(end_date: dt.date | None, zone: ZoneInfo, now: dt.datetime) -> dt.datetime:
    """The last hour an hourly series syncs: the last one of `end_date` in `zone`, or the
    hour of `now` (in progress, like today for a daily series)."""
    if end_date is not None:
        return start_hour(end_date + ONE_DAY, zone) - ONE_HOUR
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ending_at(day: dt.date, zone: ZoneInfo) -> str:
    """The `ending_at` value of a request for a window ending on `day`: Braze ends the
    series on `day` ("through") or on the day before ("before"). An hour: the middle of
    it, in UTC (see `ending_instant`)."""
    instant = ending_instant(day, zone)
    if isinstance(day, dt.datetime):
        return hour_text(instant)
    text = instant.isoformat()
    if text.endswith("+00:00"):
        return text.removesuffix("+00:00") + "Z"
    return text


def ending_instant(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The instant `ending_at` names for a window ending on `day` (an hour: its middle).

    Braze buckets days in the workspace's reporting zone (most likely; it is undocumented)
    and reads the day that contains the instant `ending_at`. We send noon of `day` in the
    configured zone, with its offset:
    - when `timezone` is the workspace's zone, noon is unambiguously `day` there (no DST
      change ever happens at noon);
    - when it is not (typically left at UTC), noon is 12 hours from either midnight, so
      any workspace zone within 11 hours of the configured one still puts that instant
      on the same calendar `day`. Midnight, the obvious choice, would shift the whole
      window by one day for every workspace west of the configured zone.
    """
    if isinstance(day, dt.datetime):
        return day + ONE_HOUR / 2
    return dt.datetime.combine(day, dt.time(12), tzinfo=zone)


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


def parse_hour(value: object) -> dt.datetime:
    """An hour bookmark, `YYYY-MM-DDTHH:MM:SSZ` (any ISO-8601 instant with a zone is
    accepted and converted to UTC)."""
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment.astimezone(UTC)
    msg = f"expected an hour YYYY-MM-DDTHH:MM:SSZ, got {value!r}"
    raise ValueError(msg)
