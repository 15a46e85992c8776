"""Row checks: what the tap does with each kind of bad or surprising row."""

from __future__ import annotations

import datetime as dt

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
