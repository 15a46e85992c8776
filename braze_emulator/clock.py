"""Instants, days and hours: parsing `ending_at`, UTC hours, and how an hour is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
HOUR = dt.timedelta(hours=1)
#: How an hourly point's `time` is written: the hour in the workspace zone with its offset
#: (2024-03-10T01:00:00-05:00), in UTC (2024-03-10T06:00:00Z), or in the workspace zone
#: without an offset (2024-03-10T01:00:00: ambiguous on the night clocks go back).
HOURLY_TIME_FORMATS = ("offset", "utc", "naive")


#: How the emulator reads `ending_at` (`BrazeEmulator.ending_at_reading`): "through" ends
#: the series with the day (hour) that contains it, an instant exactly at midnight (on the
#: hour) counting for the one before; "before" takes it to the start of its day (hour) and
#: answers the days (hours) before that one. Real answers fit both; Braze documents neither.
READINGS = ("through", "before")


def last_day_answered(instant: dt.datetime, reading: str) -> dt.date:
    """The last day of a series ending at `instant` (aware, in the workspace zone)."""
    day = instant.date()
    if reading == "before" or instant.time() == dt.time(0):
        return day - dt.timedelta(days=1)
    return day


def last_hour_answered(instant: dt.datetime, reading: str) -> dt.datetime:
    """The last UTC hour of an hourly series ending at `instant`."""
    hour = floor_hour(instant)
    if reading == "before" or hour == instant.astimezone(UTC):
        return hour - HOUR
    return hour


def parse_instant(text: str, zone: dt.tzinfo = UTC) -> dt.datetime:
    """ISO-8601 instant; 'Z' accepted on every Python; one without an offset is UTC.

    A bare date is the midnight that starts it in `zone`: `ending_at` and `starting_at`
    pass the workspace's, as real answers to a bare date `D` with `length=L` were the days
    `D-L .. D-1` (and Braze's Canvas page says it normalizes both to midnight in the
    company's time zone), whatever the zone and the reading; read as midnight UTC, it
    would move a day in a zone west of UTC ("before") or east of it ("through"). The list
    filters (`last_edit.time[gt]`, `modified_after`) keep UTC, as the timestamps they are
    compared with are written in it."""
    if len(text) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), zone)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def floor_hour(instant: dt.datetime) -> dt.datetime:
    """The UTC hour containing an aware instant (a naive one is taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def utc_hours(first: dt.datetime, last: dt.datetime) -> Iterator[dt.datetime]:
    """Every UTC hour from the one containing `first` to the one containing `last`."""
    hour, end = floor_hour(first), floor_hour(last)
    while hour <= end:
        yield hour
        hour += HOUR  # on UTC instants: every hour exactly once, whatever the zone does


def midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant a day starts in a zone."""
    return dt.datetime.combine(day, dt.time(), zone).astimezone(UTC)


def utc_key(hour: dt.datetime) -> str:
    return hour.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_text(hour: dt.datetime, zone: ZoneInfo, time_format: str) -> str:
    if time_format == "utc":
        return utc_key(hour)
    local = hour.astimezone(zone)
    if time_format == "naive":
        return local.replace(tzinfo=None).isoformat()
    return local.isoformat()
