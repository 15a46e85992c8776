"""The emulator's data: deterministic values of every series, daily and hourly.

Shaped like real usage, so that a chart of it (make demo) looks like one: a level per
series, quieter weekends, a slow yearly swell and growth, and day-to-day noise. Nothing
here knows about first days, "today" or revisions: `BrazeEmulator` applies those.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from dataclasses import dataclass

from braze_emulator.endpoints import BY_STREAM, WORKSPACE

Number = int | float

_WEEKLY = (1.0, 1.03, 1.04, 1.02, 0.97, 0.78, 0.72)


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def _swell(day: dt.date) -> float:
    age = (day - dt.date(2020, 1, 1)).days
    return (1 + 0.0003 * age) * (1 + 0.1 * math.sin(2 * math.pi * age / 365.25))


def value_for(app_id: str, day: dt.date, stream: str = "dau") -> int:
    """A KPI stream's deterministic value on a day (MAU, a 30-day count, moves smoothly;
    the workspace counts more users than any one app)."""
    endpoint = BY_STREAM[stream]
    level: float = endpoint.base + _crc(f"{stream}|{app_id}") % endpoint.spread
    if app_id == WORKSPACE:  # every app's users together: above any single app
        level = endpoint.base + 1.6 * endpoint.spread
    if stream == "mau":
        weekly, jitter = 1.0, 0.01
    else:
        weekly, jitter = _WEEKLY[day.weekday()], 0.12
    noise = 1 - jitter + 2 * jitter * (_crc(f"{stream}|{app_id}|{day}") % 1000) / 999
    return max(0, int(level * _swell(day) * weekly * noise))


@dataclass(frozen=True)
class Shape:
    """How an analytics series looks: level base + below spread, smooth or weekly, money."""

    base: int
    spread: int
    smooth: bool = False
    money: bool = False  # a decimal amount with cents (revenue)


SHAPES = {
    "event_counts": Shape(50, 20_000),
    "purchase_quantity": Shape(5, 400),
    "purchase_revenue": Shape(8, 6_000, money=True),
    "segment_sizes": Shape(100, 200_000, smooth=True),
}


def _money(amount: float) -> float:
    """An amount in cents as a float (e.g. 1234.56, 10.07): most days not a whole number."""
    return round(int(amount * 100) / 100, 2)


def dimension_value(stream: str, app_id: str, day: dt.date, dimension: str | None) -> Number:
    """An analytics stream's value for an event, product (None: every product together)
    or segment, in one app or the workspace, on a day."""
    shape = SHAPES[stream]
    tag = "*" if dimension is None else dimension
    level = float(shape.base + _crc(f"{stream}|{tag}") % shape.spread)
    if dimension is None:  # every product together: above any single one
        level = 3.0 * (shape.base + shape.spread)
    if app_id != WORKSPACE:  # one app's share of the workspace
        level *= 0.2 + 0.6 * (_crc(f"{stream}|{tag}|{app_id}") % 1000) / 999
    weekly, jitter = (1.0, 0.01) if shape.smooth else (_WEEKLY[day.weekday()], 0.15)
    noise = 1 - jitter + 2 * jitter * (_crc(f"{stream}|{tag}|{app_id}|{day}") % 1000) / 999
    amount = max(0.0, level * _swell(day) * weekly * noise)
    return _money(amount) if shape.money else int(amount)


def daily_value(stream: str, app_id: str, day: dt.date, dimension: str | None = None) -> Number:
    """Any series stream's deterministic value on a day (KPI streams take no dimension)."""
    if stream in SHAPES:
        return dimension_value(stream, app_id, day, dimension)
    if dimension is not None:
        msg = f"stream {stream} has no dimension (got {dimension!r})"
        raise ValueError(msg)
    return value_for(app_id, day, stream)


def hourly_value(
    stream: str, app_id: str, hour_utc: dt.datetime, dimension: str | None = None
) -> Number:
    """A series' value in one UTC hour: its UTC day's value spread over a daily curve."""
    hour = hour_utc.astimezone(dt.timezone.utc)
    daily = daily_value(stream, app_id, hour.date(), dimension)
    curve = 0.4 + 0.6 * (1 - math.cos(2 * math.pi * ((hour.hour - 3) % 24) / 24)) / 2
    tag = "*" if dimension is None else dimension
    noise = 0.9 + 0.2 * (_crc(f"{stream}|{tag}|{app_id}|{hour:%Y-%m-%dT%H}") % 1000) / 999
    amount = max(0.0, daily / 24 * curve / 0.7 * noise)
    return _money(amount) if stream in SHAPES and SHAPES[stream].money else int(amount)
