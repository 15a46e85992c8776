"""The ordered fetcher: concurrency without reordering, failures in their turn."""

from __future__ import annotations

import random
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_braze_dau.plan.ordered import AHEAD_PER_WORKER, OrderedFetcher


class Recorder:
    """A job function that sleeps a random while and records concurrency."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.started: list[int] = []
        self.fail_on = fail_on

    def __call__(self, job: int) -> int:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.started.append(job)
        try:
            time.sleep(random.uniform(0, 0.003))
            if job == self.fail_on:
                raise RuntimeError(f"job {job} failed")
            return job * 10
        finally:
            with self.lock:
                self.running -= 1


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=6), st.integers(min_value=0, max_value=40))
def test_results_come_back_in_job_order(parallel: int, count: int) -> None:
    recorder = Recorder()
    fetcher = OrderedFetcher(recorder, parallel, threading.Event())
    results = list(fetcher.map(range(count)))
    assert results == [(n, n * 10) for n in range(count)]
    assert recorder.peak <= parallel


def test_jobs_really_overlap() -> None:
    recorder = Recorder()
    list(OrderedFetcher(recorder, 4, threading.Event()).map(range(40)))
    assert recorder.peak > 1


def test_sequential_mode_runs_each_job_only_when_its_turn_comes() -> None:
    recorder = Recorder()
    results = OrderedFetcher(recorder, 1, threading.Event()).map(range(5))
    assert next(results) == (0, 0)
    assert recorder.started == [0]
    assert next(results) == (1, 10)
    assert recorder.started == [0, 1]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=5), st.integers(min_value=0, max_value=19))
def test_a_failure_raises_in_its_turn_after_every_earlier_result(
    parallel: int, failing: int
) -> None:
    recorder = Recorder(fail_on=failing)
    stop = threading.Event()
    delivered: list[int] = []

    def consume() -> None:
        for job, _result in OrderedFetcher(recorder, parallel, stop).map(range(20)):
            delivered.append(job)

    with pytest.raises(RuntimeError, match=f"job {failing} failed"):
        consume()
    assert delivered == list(range(failing))
    assert stop.is_set()  # in-flight retries are told to give up


def test_work_ahead_is_bounded() -> None:
    """A slow consumer does not make the fetcher buffer the whole history."""
    recorder = Recorder()
    parallel = 3
    results = OrderedFetcher(recorder, parallel, threading.Event()).map(range(100))
    next(results)
    time.sleep(0.2)
    assert len(recorder.started) <= parallel * AHEAD_PER_WORKER + 1


def test_abandoning_the_iteration_stops_the_workers() -> None:
    stop = threading.Event()
    results = OrderedFetcher(Recorder(), 3, stop).map(range(100))
    next(results)
    results.close()
    assert stop.is_set()


def test_while_one_lane_is_held_the_other_lanes_keep_going_in_order() -> None:
    """Jobs 0-9 are in lane "a", held until released; jobs 10-29 in lane "b": they all
    run while "a" waits, and the results still come back in job order."""
    released = threading.Event()
    started: list[int] = []
    lock = threading.Lock()

    def work(job: int) -> int:
        with lock:
            started.append(job)
        return job

    fetcher = OrderedFetcher(
        work,
        3,
        threading.Event(),
        lane=lambda job: "a" if job < 10 else "b",
        lane_open=lambda lane: lane == "b" or released.is_set(),
    )
    results: list[int] = []
    consumer = threading.Thread(
        target=lambda: results.extend(job for job, _result in fetcher.map(range(30)))
    )
    consumer.start()
    deadline = time.monotonic() + 10
    while len(started) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    with lock:
        assert sorted(started) == list(range(10, 30))  # only lane b, while a is held
        assert results == []  # job 0 comes first
    released.set()
    consumer.join(10)
    assert results == list(range(30))


def test_no_job_after_a_failed_one_is_started() -> None:
    recorder = Recorder(fail_on=3)
    fetcher = OrderedFetcher(recorder, 4, threading.Event())
    with pytest.raises(RuntimeError, match="job 3 failed"):
        list(fetcher.map(range(200)))
    # jobs already running when 3 failed may finish; nothing is started after that
    assert max(recorder.started) < 3 + 4 * AHEAD_PER_WORKER + 1
