"""What the log says of a run's pace: planned requests per pool, their least duration,
and the progress lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.plan.progress import (
    ProgressLog,
    duration_text,
    least_duration,
    plan_line,
    progress_line,
)


@pytest.mark.parametrize(
    ("planned", "reserve", "hours"),
    [(1, 0.1, 0), (900, 0.1, 0), (901, 0.1, 1), (1800, 0.1, 1), (1801, 0.1, 2), (1000, 0.0, 0)],
)
def test_a_small_pool_makes_a_large_backfill_take_whole_hours(
    planned: int, reserve: float, hours: int
) -> None:
    assert least_duration(planned, "purchases", reserve) == hours * 3600


@given(st.integers(min_value=0, max_value=10**7), st.floats(min_value=0, max_value=0.99))
def test_the_least_duration_never_lets_a_period_exceed_the_usable_share(
    planned: int, reserve: float
) -> None:
    seconds = least_duration(planned, "lists", reserve)
    periods = seconds / 3600 + 1
    assert periods * max(1, int(1000 * (1 - reserve))) >= planned
    assert least_duration(planned, "no such pool", reserve) == 0


def test_the_plan_line_names_the_pool_its_limit_and_the_least_duration() -> None:
    line = plan_line("purchases", 2400, 0.1)
    assert "'purchases'" in line
    assert "2400 request(s)" in line
    assert "1,000 an hour" in line
    assert "at least 2 h 00 min" in line
    assert "within one period" in plan_line("default", 2400, 0.1)


def test_the_progress_line_gives_done_planned_and_time_left_per_pool() -> None:
    line = progress_line({"default": 100, "purchases": 40}, {"default": 25, "purchases": 40}, 60)
    assert line == (
        "Progress after 60 s: 'default' 25 of 100 request(s), about 3 min left; "
        "'purchases' 40 of 40 request(s), done"
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (89, "89 s"), (90, "2 min"), (3599, "1 h 00 min"), (7500, "2 h 05 min")],
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_the_progress_log_says_every_interval_what_was_sent_since_it_started() -> None:
    import logging
    import threading

    sent = {"default": 5}
    lines: list[str] = []
    said = threading.Event()

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())
            said.set()

    logger = logging.getLogger("test-progress")
    logger.addHandler(Collect())
    logger.setLevel(logging.INFO)
    log = ProgressLog(logger, {"default": 10}, lambda: dict(sent), interval=0.01)
    sent["default"] = 9  # four sent since the log started
    log.start()
    assert said.wait(5)
    log.stop()
    assert "'default' 4 of 10 request(s)" in lines[0]
