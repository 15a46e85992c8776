"""The window plan and date arithmetic: properties over any range, any window size."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from braze_emulator.clock import READINGS, last_day_answered, last_hour_answered
from tap_braze_dau.plan.windows import (
    ONE_DAY,
    ONE_HOUR,
    Window,
    capped,
    ending_at,
    first_day_to_sync,
    history_requests,
    last_hour,
    parse_hour,
    plan_requests,
    plan_windows,
    start_hour,
    step_back,
    today_in,
    without_future_day,
)

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
window_sizes = st.integers(min_value=1, max_value=100)
UTC = dt.timezone.utc
hours = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
    lambda moment: moment.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
)


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


# -- ending_at: right whichever way Braze reads it -------------------------------------------

readings = st.sampled_from(READINGS)
offsets = st.integers(min_value=-11 * 60, max_value=11 * 60)


def answered_days(window: Window, reading: str, workspace: dt.tzinfo) -> list[dt.date]:
    """The days Braze answers to `window`'s request (`length`, `ending_at` as the tap
    sends them, with `timezone` left at UTC) when it reads ending_at as `reading` and
    buckets days in `workspace`."""
    text = ending_at(window.last, ZoneInfo("UTC"))
    instant = dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(workspace)
    last = last_day_answered(instant, reading)
    return [last - n * ONE_DAY for n in reversed(range(window.length))]


@given(ranges(), window_sizes, readings, offsets)
def test_the_requests_deliver_every_day_once_under_either_reading(
    bounds: tuple[dt.date, dt.date], size: int, reading: str, offset_minutes: int
) -> None:
    """Whichever way Braze reads ending_at, and wherever the workspace is within 11 hours
    of the configured zone, the answers hold every day of the range exactly once, each
    answer within what its window may answer, for at most one request more than the
    fewest that tile the range."""
    first, last = bounds
    workspace = dt.timezone(dt.timedelta(minutes=offset_minutes))
    requests = plan_requests(first, last, size)
    delivered = []
    for window in requests:
        answered = answered_days(window, reading, workspace)
        assert all(day in window.answerable for day in answered)
        delivered += [day for day in answered if first <= day <= last]
    assert delivered == covered_days([Window(first, last)])
    fewest = -(-((last - first).days + 1) // size)
    assert len(requests) <= fewest + 1
    assert all(1 <= w.length <= size for w in requests)


@given(hours, st.integers(min_value=0, max_value=3000), window_sizes, readings)
def test_hourly_requests_deliver_every_hour_once_under_either_reading(
    first: dt.datetime, span: int, size: int, reading: str
) -> None:
    last = first + span * ONE_HOUR
    requests = plan_requests(first, last, size)
    delivered = []
    for window in requests:
        instant = dt.datetime.fromisoformat(
            ending_at(window.last, ZoneInfo("UTC")).replace("Z", "+00:00")
        )
        end = last_hour_answered(instant, reading)
        answered = [end - n * ONE_HOUR for n in reversed(range(window.length))]
        assert all(hour in window.answerable for hour in answered)
        delivered += [hour for hour in answered if first <= hour <= last]
    assert delivered == [first + n * ONE_HOUR for n in range(span + 1)]
    assert len(requests) <= -(-(span + 1) // size) + 1


@given(days, window_sizes, st.integers(min_value=1, max_value=4000), readings, offsets)
def test_a_walk_back_covers_max_history_days_under_either_reading(
    last: dt.date, size: int, limit: int, reading: str, offset_minutes: int
) -> None:
    workspace = dt.timezone(dt.timedelta(minutes=offset_minutes))
    windows = history_requests(last, size, limit)
    assert windows == sorted(windows, reverse=True)
    delivered = sorted(
        day for w in windows for day in answered_days(w, reading, workspace) if day <= last
    )
    earliest = last - dt.timedelta(days=limit - 1)
    assert [day for day in delivered if day >= earliest] == covered_days([Window(earliest, last)])


@given(hours, window_sizes, st.integers(min_value=1, max_value=400))
def test_hourly_history_requests_walk_back_that_many_days_of_hours(
    last: dt.datetime, size: int, max_days: int
) -> None:
    windows = history_requests(last, size, max_days)
    assert windows[0].last == last + ONE_HOUR
    assert windows[-1].first == last - (max_days * 24 - 1) * ONE_HOUR
    assert sum(w.length for w in windows) == max_days * 24 + 1


@given(ranges(), window_sizes)
def test_without_the_future_day_the_last_request_ends_on_the_last_day_to_sync(
    bounds: tuple[dt.date, dt.date], size: int
) -> None:
    first, last = bounds
    keep = Window(first, last)
    *earlier, final = plan_requests(first, last, size)
    assert all(without_future_day(w, keep) == w for w in earlier)
    shorter = without_future_day(final, keep)
    if final.first > last:
        assert shorter is None
    else:
        assert shorter == Window(final.first, last)


@given(st.one_of(days, hours), st.integers(0, 40), st.integers(-45, 45))
def test_capped_windows_keep_their_start_and_end_by_the_cap(
    first: dt.date, span: int, cap_offset: int
) -> None:
    step = ONE_HOUR if isinstance(first, dt.datetime) else ONE_DAY
    window = Window(first, first + span * step)
    cap = window.last + cap_offset * step
    got = capped(window, cap)
    assert capped(window, None) == window
    if cap < window.first:
        assert got is None
    else:
        assert got == Window(window.first, min(cap, window.last))
    shorter = step_back(window)
    if span == 0:
        assert shorter is None
    else:
        assert shorter == Window(window.first, window.last - step)
        assert shorter.length == window.length - 1


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


# -- hours --------------------------------------------------------------------------------


@given(hours, st.integers(min_value=0, max_value=3000), window_sizes)
def test_an_hourly_plan_tiles_the_hours_exactly_with_the_fewest_requests(
    first: dt.datetime, span: int, size: int
) -> None:
    last = first + span * ONE_HOUR
    windows = plan_windows(first, last, size)
    covered = [w.first + n * ONE_HOUR for w in windows for n in range(w.length)]
    assert covered == [first + n * ONE_HOUR for n in range(span + 1)]
    assert len(windows) == -(-(span + 1) // size)
    assert all(w.length == size for w in windows[1:])
    assert all(w.hourly for w in windows)
    assert windows[-1].last == last


@pytest.mark.parametrize(
    ("zone", "day", "hours_in_day"),
    [
        ("Europe/Paris", dt.date(2024, 3, 31), 23),
        ("Europe/Paris", dt.date(2024, 10, 27), 25),
        ("America/New_York", dt.date(2024, 3, 10), 23),
        ("America/New_York", dt.date(2024, 11, 3), 25),
        ("UTC", dt.date(2024, 3, 31), 24),
        ("Asia/Tokyo", dt.date(2024, 3, 31), 24),
    ],
)
def test_a_day_of_a_dst_change_has_23_or_25_utc_hours(
    zone: str, day: dt.date, hours_in_day: int
) -> None:
    tz = ZoneInfo(zone)
    first = start_hour(day, tz)
    last = last_hour(day, tz, dt.datetime(2030, 1, 1, tzinfo=UTC))
    assert Window(first, last).length == hours_in_day
    assert first.astimezone(tz).replace(tzinfo=None) == dt.datetime.combine(day, dt.time(0))


def test_the_last_hour_without_end_date_is_the_hour_of_now() -> None:
    now = dt.datetime(2024, 5, 1, 13, 59, 59, tzinfo=UTC)
    assert last_hour(None, ZoneInfo("Europe/Paris"), now) == dt.datetime(2024, 5, 1, 13, tzinfo=UTC)


def test_an_hourly_window_asks_braze_for_the_middle_of_its_last_hour() -> None:
    last = dt.datetime(2024, 5, 1, 13, tzinfo=UTC)
    assert ending_at(last, ZoneInfo("Europe/Paris")) == "2024-05-01T13:30:00Z"
    window = Window(last - 99 * ONE_HOUR, last)
    assert window.length == 100
    assert dt.datetime(2024, 5, 1, 13, 30, tzinfo=UTC) in window
    assert last + ONE_HOUR not in window
    assert last.date() not in window  # a day is never in an hourly window
    assert str(window) == "2024-04-27T10:00:00Z..2024-05-01T13:00:00Z"


def test_a_window_never_mixes_days_and_hours() -> None:
    with pytest.raises(ValueError, match="mixes"):
        Window(dt.date(2024, 1, 1), dt.datetime(2024, 1, 2, tzinfo=UTC))


def test_an_hourly_look_back_is_that_many_days_of_hours_never_before_the_start() -> None:
    bookmark = dt.datetime(2024, 5, 10, 7, tzinfo=UTC)
    start = dt.datetime(2024, 5, 8, 22, tzinfo=UTC)
    assert first_day_to_sync(bookmark=bookmark, start_date=None, lookback_days=3) == (
        bookmark - 72 * ONE_HOUR
    )
    assert first_day_to_sync(bookmark=bookmark, start_date=start, lookback_days=3) == start


@pytest.mark.parametrize(
    ("text", "hour"),
    [
        ("2024-05-01T13:00:00Z", dt.datetime(2024, 5, 1, 13, tzinfo=UTC)),
        ("2024-05-01T15:00:00+02:00", dt.datetime(2024, 5, 1, 13, tzinfo=UTC)),
    ],
)
def test_an_hour_bookmark_is_read_as_an_utc_instant(text: str, hour: dt.datetime) -> None:
    assert parse_hour(text) == hour


@pytest.mark.parametrize("text", ["2024-05-01", "2024-05-01T13:00:00", "soon", 5])
def test_an_hour_bookmark_without_a_zone_is_refused(text: object) -> None:
    with pytest.raises(ValueError, match="expected an hour"):
        parse_hour(text)
