"""The window plan and date arithmetic: properties over any range, any window size."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.plan.windows import (
    ONE_DAY,
    Window,
    ending_at,
    first_day_to_sync,
    history_windows,
    plan_windows,
    today_in,
)

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
window_sizes = st.integers(min_value=1, max_value=100)


@st.composite
def ranges(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    first = draw(days)
    span = draw(st.integers(min_value=0, max_value=4000))
    return first, first + dt.timedelta(days=span)


def covered_days(windows: list[Window]) -> list[dt.date]:
    out = []
    for w in windows:
        day = w.first
        while day <= w.last:
            out.append(day)
            day += ONE_DAY
    return out


@given(ranges(), window_sizes)
def test_plan_tiles_the_range_exactly(bounds: tuple[dt.date, dt.date], size: int) -> None:
    first, last = bounds
    windows = plan_windows(first, last, size)
    covered = covered_days(windows)
    expected_days = (last - first).days + 1
    # every day once, none twice, none outside, in ascending order
    assert len(covered) == expected_days
    assert len(set(covered)) == expected_days
    assert covered[0] == first
    assert covered[-1] == last
    assert covered == sorted(covered)


@given(ranges(), window_sizes)
def test_plan_uses_the_minimum_number_of_requests(
    bounds: tuple[dt.date, dt.date], size: int
) -> None:
    first, last = bounds
    windows = plan_windows(first, last, size)
    days_total = (last - first).days + 1
    assert len(windows) == -(-days_total // size)  # ceil
    assert all(1 <= w.length <= size for w in windows)


@given(ranges(), window_sizes)
def test_plan_is_anchored_at_the_end(bounds: tuple[dt.date, dt.date], size: int) -> None:
    """Planned back from ending_at: every window but the earliest is full."""
    first, last = bounds
    windows = plan_windows(first, last, size)
    assert windows[-1].last == last
    assert all(w.length == size for w in windows[1:])
    for earlier, later in itertools.pairwise(windows):
        assert later.first == earlier.last + ONE_DAY


def test_plan_of_an_empty_range_is_empty() -> None:
    assert plan_windows(dt.date(2024, 1, 2), dt.date(2024, 1, 1), 100) == []


@pytest.mark.parametrize("size", [0, 101, -1])
def test_plan_rejects_window_sizes_braze_rejects(size: int) -> None:
    with pytest.raises(ValueError, match="window_days"):
        plan_windows(dt.date(2024, 1, 1), dt.date(2024, 2, 1), size)


def test_a_100_day_window_covers_100_days_not_101() -> None:
    """The off-by-one of a well-known connector: length N ends at ending_at, inclusive."""
    windows = plan_windows(dt.date(2024, 1, 1), dt.date(2024, 12, 31), 100)
    assert [w.length for w in windows] == [66, 100, 100, 100]
    assert sum(w.length for w in windows) == 366


@given(days, window_sizes, st.integers(min_value=1, max_value=4000))
def test_history_windows_walk_back_newest_first(last: dt.date, size: int, limit: int) -> None:
    windows = history_windows(last, size, limit)
    assert windows[0].last == last
    assert windows == sorted(windows, reverse=True)
    assert sum(w.length for w in windows) == limit
    assert windows[-1].first == last - dt.timedelta(days=limit - 1)


@given(st.one_of(st.none(), days), st.one_of(st.none(), days), st.integers(0, 60))
def test_first_day_to_sync(bookmark: dt.date | None, start: dt.date | None, lookback: int) -> None:
    first = first_day_to_sync(bookmark=bookmark, start_date=start, lookback_days=lookback)
    if bookmark is None:
        assert first == start
        return
    assert first is not None
    # the bookmarked day is always re-read, plus the look-back, never before start_date
    if start is None or start <= bookmark:
        assert first <= bookmark
    if start is None or start <= bookmark - dt.timedelta(days=lookback):
        assert first == bookmark - dt.timedelta(days=lookback)
    else:
        assert first == start


ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc"))


@given(days, st.sampled_from(ZONES))
def test_ending_at_is_noon_of_the_day_in_the_configured_zone(day: dt.date, zone: str) -> None:
    text = ending_at(day, ZoneInfo(zone))
    instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert instant.astimezone(ZoneInfo(zone)).date() == day
    assert instant.astimezone(ZoneInfo(zone)).hour == 12


@given(days, st.integers(min_value=-11 * 60, max_value=11 * 60))
def test_utc_ending_at_lands_on_the_same_day_in_any_zone_within_11_hours(
    day: dt.date, offset_minutes: int
) -> None:
    text = ending_at(day, ZoneInfo("UTC"))
    assert text == f"{day.isoformat()}T12:00:00Z"
    workspace = dt.timezone(dt.timedelta(minutes=offset_minutes))
    instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert instant.astimezone(workspace).date() == day


def test_today_depends_on_the_zone() -> None:
    now = dt.datetime(2024, 6, 1, 23, 30, tzinfo=dt.timezone.utc)
    assert today_in(ZoneInfo("UTC"), now) == dt.date(2024, 6, 1)
    assert today_in(ZoneInfo("Asia/Tokyo"), now) == dt.date(2024, 6, 2)
    assert today_in(ZoneInfo("America/Los_Angeles"), now) == dt.date(2024, 6, 1)


def test_window_rejects_reversed_bounds() -> None:
    with pytest.raises(ValueError, match="starts after it ends"):
        Window(dt.date(2024, 1, 2), dt.date(2024, 1, 1))
