"""Row checks: what the tap does with each kind of bad or surprising row."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.plan.rows import check_rows
from tap_braze_dau.plan.windows import Window

WINDOW = Window(dt.date(2024, 1, 1), dt.date(2024, 1, 5))


def test_rows_are_sorted_and_parsed() -> None:
    data = [{"time": "2024-01-03", "dau": 3}, {"time": "2024-01-01", "dau": 1}]
    checked = check_rows(data, WINDOW, "ios")
    assert checked.rows == [(dt.date(2024, 1, 1), 1), (dt.date(2024, 1, 3), 3)]
    assert checked.warnings == []


@pytest.mark.parametrize(
    ("row", "named"),
    [
        ({"time": "2024-01-02", "dau": -1}, "-1"),
        ({"time": "2024-01-02", "dau": "12"}, "'12'"),
        ({"time": "2024-01-02", "dau": 1.5}, "1.5"),
        ({"time": "2024-01-02", "dau": None}, "None"),
        ({"time": "2024-01-02", "dau": True}, "True"),
        ({"time": "2024-02-30", "dau": 1}, "2024-02-30"),
        ({"time": "2024-13-01", "dau": 1}, "2024-13-01"),
        ({"time": "02/01/2024", "dau": 1}, "02/01/2024"),
        ({"time": 20240102, "dau": 1}, "20240102"),
        ({"dau": 1}, "malformed"),
        ("2024-01-02", "malformed"),
    ],
)
def test_a_bad_row_fails_the_window_naming_the_value(row: object, named: str) -> None:
    data = [{"time": "2024-01-01", "dau": 1}, row]
    with pytest.raises(BrazeDataError, match=named.replace(".", r"\.")):
        check_rows(data, WINDOW, "ios")


def test_days_outside_the_window_are_dropped_with_a_warning() -> None:
    data = [
        {"time": "2023-12-31", "dau": 9},
        {"time": "2024-01-01", "dau": 1},
        {"time": "2024-01-06", "dau": 9},
    ]
    checked = check_rows(data, WINDOW, "ios")
    assert checked.rows == [(dt.date(2024, 1, 1), 1)]
    assert len(checked.warnings) == 1
    assert "2023-12-31" in checked.warnings[0]
    assert "2024-01-06" in checked.warnings[0]


def test_an_identical_duplicate_is_kept_once_with_a_warning() -> None:
    data = [{"time": "2024-01-01", "dau": 1}, {"time": "2024-01-01", "dau": 1}]
    checked = check_rows(data, WINDOW, "ios")
    assert checked.rows == [(dt.date(2024, 1, 1), 1)]
    assert "twice" in checked.warnings[0]


def test_a_conflicting_duplicate_fails() -> None:
    data = [{"time": "2024-01-01", "dau": 1}, {"time": "2024-01-01", "dau": 2}]
    with pytest.raises(BrazeDataError, match="different values"):
        check_rows(data, WINDOW, "ios")


# -- hourly rows and amounts --------------------------------------------------------------

UTC = dt.timezone.utc
HOURS = Window(dt.datetime(2024, 3, 30, 22, tzinfo=UTC), dt.datetime(2024, 3, 31, 3, tzinfo=UTC))


def test_an_hourly_timestamp_with_an_offset_is_converted_to_utc() -> None:
    data = [
        {"time": "2024-03-31T01:00:00+01:00", "sessions": 5},  # 00:00 UTC
        {"time": "2024-03-30T22:00:00Z", "sessions": 4},
        {"time": "2024-03-31T03:00:00+02:00", "sessions": 6},  # 01:00 UTC, after the change
    ]
    checked = check_rows(data, HOURS, "ios", "sessions")
    assert checked.rows == [
        (dt.datetime(2024, 3, 30, 22, tzinfo=UTC), 4),
        (dt.datetime(2024, 3, 31, 0, tzinfo=UTC), 5),
        (dt.datetime(2024, 3, 31, 1, tzinfo=UTC), 6),
    ]


def test_an_hourly_timestamp_without_an_offset_is_read_in_the_configured_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    data = [
        {"time": "2024-03-31T01:00:00", "sessions": 5},
        {"time": "2024-03-31T03:00:00", "sessions": 6},
    ]
    checked = check_rows(data, HOURS, "ios", "sessions", zone=paris)
    # 02:00 does not exist in Paris that night: 01:00 CET is 00:00 UTC, 03:00 CEST 01:00 UTC
    assert [moment for moment, _ in checked.rows] == [
        dt.datetime(2024, 3, 31, 0, tzinfo=UTC),
        dt.datetime(2024, 3, 31, 1, tzinfo=UTC),
    ]


def test_a_wall_time_repeated_when_clocks_go_back_is_the_later_hour_the_second_time() -> None:
    paris = ZoneInfo("Europe/Paris")
    window = Window(
        dt.datetime(2024, 10, 26, 23, tzinfo=UTC), dt.datetime(2024, 10, 27, 2, tzinfo=UTC)
    )
    data = [
        {"time": "2024-10-27T02:00:00", "sessions": 7},  # 00:00 UTC (CEST)
        {"time": "2024-10-27T02:00:00", "sessions": 8},  # 01:00 UTC (CET)
    ]
    checked = check_rows(data, window, "ios", "sessions", zone=paris)
    assert checked.rows == [
        (dt.datetime(2024, 10, 27, 0, tzinfo=UTC), 7),
        (dt.datetime(2024, 10, 27, 1, tzinfo=UTC), 8),
    ]


def test_an_hour_outside_the_window_is_dropped_and_a_bad_timestamp_is_refused() -> None:
    data = [
        {"time": "2024-03-31T04:00:00Z", "sessions": 1},
        {"time": "2024-03-31T03:00:00Z", "sessions": 2},
    ]
    checked = check_rows(data, HOURS, "ios", "sessions")
    assert checked.rows == [(dt.datetime(2024, 3, 31, 3, tzinfo=UTC), 2)]
    assert "2024-03-31T04:00:00Z" in checked.warnings[0]
    for bad in ("2024-03-31", "yesterday", 1711846800, "2024-03-31T25:00:00Z"):
        with pytest.raises(BrazeDataError, match="invalid time"):
            check_rows([{"time": bad, "sessions": 1}], HOURS, "ios", "sessions")


@pytest.mark.parametrize("value", [0, 12, 1143.81, -25.5, 0.1 + 0.2])
def test_an_amount_is_kept_exactly_as_braze_sent_it(value: float) -> None:
    checked = check_rows(
        [{"time": "2024-01-02", "revenue": value}], WINDOW, "p1", "revenue", "number"
    )
    assert checked.rows == [(dt.date(2024, 1, 2), value)]
    assert type(checked.rows[0][1]) is type(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "12.5", None, True])
def test_an_amount_that_is_not_a_finite_number_is_refused(value: object) -> None:
    with pytest.raises(BrazeDataError, match="revenue must be a finite number"):
        check_rows([{"time": "2024-01-02", "revenue": value}], WINDOW, "p1", "revenue", "number")


@pytest.mark.parametrize("value", [1.5, -1, "3", None])
def test_a_count_must_be_a_non_negative_integer(value: object) -> None:
    with pytest.raises(BrazeDataError, match="count must be a non-negative integer"):
        check_rows([{"time": "2024-01-02", "count": value}], WINDOW, "login", "count")


def test_days_an_answer_may_hold_outside_the_days_to_sync_are_dropped_in_silence() -> None:
    """A request answers its window or the window a day earlier (plan/windows.py): the
    day beside the days to sync is another request's, or outside the run's range."""
    asked = Window(dt.date(2024, 1, 2), dt.date(2024, 1, 5))
    keep = Window(dt.date(2024, 1, 2), dt.date(2024, 1, 4))
    data = [
        {"time": "2024-01-01", "dau": 1},  # the day before: Braze read ending_at "before"
        {"time": "2024-01-04", "dau": 4},
        {"time": "2024-01-05", "dau": 5},  # the day after the days to sync
    ]
    checked = check_rows(data, asked.answerable, "ios", keep=keep)
    assert checked.rows == [(dt.date(2024, 1, 4), 4)]
    assert checked.warnings == []
    outside = check_rows([{"time": "2023-12-31", "dau": 9}], asked.answerable, "ios", keep=keep)
    assert outside.rows == []
    assert "2023-12-31" in outside.warnings[0]
