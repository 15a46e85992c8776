"""Fault injection: every failure Braze or the network can produce, and what the tap does.

Each test here is a row of docs/reliability.md. In every case the data that arrives is
checked against the emulator's values, so "nothing lost" is asserted, not assumed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import WORKSPACE, BrazeEmulator, Fault
from tests.helpers import (
    API_KEY,
    TapRun,
    assert_states_claim_only_emitted,
    base_config,
    bookmark,
    run_tap,
)

FIRST, LAST = dt.date(2024, 10, 4), dt.date(2024, 12, 31)  # 89 days and the next: 3 windows of 30


def config_for(braze: BrazeEmulator, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "app_ids": ["ios"],
        "include_workspace_total": False,
        "start_date": FIRST.isoformat(),
        "end_date": LAST.isoformat(),
        "window_days": 30,
        "max_retries": 3,
        "request_timeout": 1,
    }
    settings.update(overrides)
    return base_config(braze, **settings)


def assert_complete(run: TapRun, braze: BrazeEmulator, series: str = "ios") -> None:
    assert run.returncode == 0, run.stderr
    assert run.days(series) == braze.expected(series, FIRST, LAST)
    assert bookmark(run.last_state, series) == LAST.isoformat()


# -- rate limits ----------------------------------------------------------------------------


@pytest.mark.parametrize("lowercase", [False, True], ids=["X-RateLimit-Reset", "x-ratelimit-reset"])
def test_429_waits_for_the_reset_never_sooner(
    emulator: BrazeEmulator, tmp_path: Path, lowercase: bool
) -> None:
    emulator.add_fault(Fault("status", status=429, reset_in=2, lowercase_headers=lowercase))
    run = run_tap(config_for(emulator, max_parallel_requests=1), tmp_path)
    assert_complete(run, emulator)
    limited, retry = emulator.dau_requests()[:2]
    assert limited.status == 429
    assert limited.reset_sent is not None
    assert retry.at >= limited.reset_sent
    assert retry.params == limited.params
    assert "Rate limited by Braze (HTTP 429)" in run.stderr
    assert "waiting" in run.stderr
    assert len(emulator.dau_requests()) == 3 + 1


def test_429_with_a_reset_already_past_still_pauses(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    """Clock skew: a reset in the past must not turn into an immediate retry loop."""
    emulator.add_fault(Fault("status", status=429, reset_in=-30, count=2))
    run = run_tap(config_for(emulator, max_parallel_requests=1), tmp_path)
    assert_complete(run, emulator)
    first, second, third = emulator.dau_requests()[:3]
    assert (first.status, second.status, third.status) == (429, 429, 200)
    assert second.at - first.at >= 0.5
    assert third.at - second.at >= 0.5


def test_429_burst_under_a_tiny_limit_completes_without_hammering(tmp_path: Path) -> None:
    limit, parallel = 3, 4
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2020, 1, 1)},
        today=LAST,
        rate_limit=limit,
        rate_period=1,
    ) as braze:
        run = run_tap(config_for(braze, window_days=8, max_parallel_requests=parallel), tmp_path)
        assert_complete(run, braze)
        requests = braze.dau_requests()
        windows = 12  # ceil(90 / 8)
        refused = [r for r in requests if r.status == 429]
        assert refused, "the limit was never reached: the test proves nothing"
        assert len(requests) == windows + len(refused)
        # within each one-second window: the limit, plus at most the requests that were
        # already in flight when the first 429 came back
        per_period = Counter(int(r.at) for r in requests)
        assert max(per_period.values()) <= limit + parallel, per_period
        # after a 429, nothing is sent before its reset but what was already in flight
        for refusal in refused:
            assert refusal.reset_sent is not None
            early = [r for r in requests if refusal.at < r.at < refusal.reset_sent]
            assert len(early) <= parallel - 1


# -- server errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("times", [1, 3])
def test_5xx_are_retried_with_backoff_and_the_run_completes(
    emulator: BrazeEmulator, tmp_path: Path, status: int, times: int
) -> None:
    emulator.add_fault(Fault("status", status=status, count=times))
    run = run_tap(config_for(emulator), tmp_path)
    assert_complete(run, emulator)
    assert len(emulator.dau_requests()) == 3 + times
    assert f"HTTP {status}" in run.stderr
    assert "retry 1 of 3" in run.stderr


def test_a_permanently_failing_server_gives_up_after_bounded_tries(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    # ios succeeds; android fails for good from its first request on
    emulator.add_fault(
        Fault("status", status=503, count=-1, app_id="android", message="Service Unavailable")
    )
    config = config_for(
        emulator, app_ids=["ios", "android"], max_retries=2, max_parallel_requests=1
    )
    run = run_tap(config, tmp_path, timeout=60)
    assert run.returncode != 0
    assert "HTTP 503" in run.stderr
    assert "failed after 3 tries" in run.stderr
    android = [r for r in emulator.dau_requests() if r.app_id == "android"]
    assert len(android) == 3
    assert run.days("ios") == emulator.expected("ios", FIRST, LAST)
    assert run.days("android") == {}
    assert bookmark(run.last_state, "ios") == LAST.isoformat()
    assert bookmark(run.last_state, "android") is None
    assert_states_claim_only_emitted(run)


def test_a_failure_mid_series_keeps_the_windows_before_it(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    emulator.add_fault(Fault("status", status=500, count=-1, covers="2024-11-10"))
    run = run_tap(config_for(emulator, max_retries=1), tmp_path)
    assert run.returncode != 0
    first_window_end = FIRST + dt.timedelta(days=29)
    assert run.days("ios") == emulator.expected("ios", FIRST, first_window_end)
    assert bookmark(run.last_state, "ios") == first_window_end.isoformat()
    assert_states_claim_only_emitted(run)


# -- broken transport and broken bodies ------------------------------------------------------

TRANSIENT = [
    (Fault("stall", seconds=2.5), "request_timeout"),
    (Fault("drop"), "connection failed"),
    (Fault("truncate"), "connection failed"),
    (Fault("invalid_json"), "not JSON"),
    (Fault("message", message="error"), "instead of 'success'"),
    (Fault("no_data"), "'data' list"),
    (Fault("data_not_list"), "'data' list"),
    (Fault("trickle", seconds=0.2), "still arriving when request_timeout=1 s ran out"),
    (Fault("lying_encoding"), "Content-Encoding: 'gzip' but its body does not decompress"),
    (Fault("deep_nesting", size=100_000), "not JSON"),
    (Fault("oversized", size=300 * 2**20), "larger than 10 MiB"),
]


@pytest.mark.parametrize(("fault", "says"), TRANSIENT, ids=[f.kind for f, _ in TRANSIENT])
def test_transient_failures_are_retried_and_the_run_completes(
    emulator: BrazeEmulator, tmp_path: Path, fault: Fault, says: str
) -> None:
    emulator.add_fault(fault)
    run = run_tap(config_for(emulator), tmp_path)
    assert_complete(run, emulator)
    assert says in run.stderr  # the retry is logged with its cause
    assert len(emulator.dau_requests()) == 3 + 1


@pytest.mark.parametrize(("fault", "says"), TRANSIENT, ids=[f.kind for f, _ in TRANSIENT])
def test_persistent_transient_failures_end_in_a_clear_error(
    emulator: BrazeEmulator, tmp_path: Path, fault: Fault, says: str
) -> None:
    fault.count = -1
    emulator.add_fault(fault)
    run = run_tap(
        config_for(emulator, max_retries=1, max_parallel_requests=1), tmp_path, timeout=60
    )
    assert run.returncode != 0
    last_line = run.stderr.strip().splitlines()[-1]
    assert "Sync failed" in last_line
    assert "failed after 2 tries" in last_line
    assert says in last_line
    assert run.records == []
    assert len(emulator.dau_requests()) == 2


BROKEN_ANSWERS = [
    Fault("trickle", seconds=0.2, count=-1, covers="2024-11-10"),
    Fault("lying_encoding", count=-1, covers="2024-11-10"),
    Fault("deep_nesting", size=100_000, count=-1, covers="2024-11-10"),
    Fault("oversized", size=300 * 2**20, count=-1, covers="2024-11-10"),
]


@pytest.mark.parametrize("fault", BROKEN_ANSWERS, ids=[f.kind for f in BROKEN_ANSWERS])
def test_a_broken_answer_mid_series_ends_the_run_in_bounds_and_the_next_resumes(
    emulator: BrazeEmulator, tmp_path: Path, fault: Fault
) -> None:
    """The second window (2024-11-02..2024-12-01) is answered brokenly on every try: the
    run ends on its own within request_timeout x tries (plus start-up), with the first
    window delivered and claimed; the next run delivers the rest."""
    emulator.add_fault(fault)
    started = time.monotonic()
    first = run_tap(config_for(emulator, max_retries=1, max_parallel_requests=1), tmp_path)
    elapsed = time.monotonic() - started
    assert first.returncode == 1
    assert "Traceback" not in first.stderr
    # Unbounded, the trickle alone would take minutes; the margin over 2 tries of 1 s is
    # for start-up on a loaded machine.
    assert elapsed < 30, f"the run took {elapsed:.1f} s"
    first_window_end = FIRST + dt.timedelta(days=29)
    assert first.days("ios") == emulator.expected("ios", FIRST, first_window_end)
    assert bookmark(first.last_state, "ios") == first_window_end.isoformat()
    assert_states_claim_only_emitted(first)

    emulator.clear_faults()
    second = run_tap(config_for(emulator), tmp_path, state=first.last_state)
    assert second.returncode == 0, second.stderr
    delivered = {**first.days("ios"), **second.days("ios")}
    assert delivered == emulator.expected("ios", FIRST, LAST)


def test_an_honestly_gzipped_answer_is_read(emulator: BrazeEmulator, tmp_path: Path) -> None:
    emulator.add_fault(Fault("gzip", count=-1))
    run = run_tap(config_for(emulator), tmp_path)
    assert_complete(run, emulator)
    assert all(r.fault == "gzip" for r in emulator.dau_requests())


# -- bad rows --------------------------------------------------------------------------------

BAD_ROWS = [
    ({"time": "2024-11-10", "dau": "many"}, "'many'"),
    ({"time": "2024-11-10", "dau": -3}, "-3"),
    ({"time": "2024-11-10", "dau": 2.5}, "2.5"),
    ({"time": "2024-11-31", "dau": 5}, "2024-11-31"),
    ({"time": None, "dau": 5}, "None"),
]


@pytest.mark.parametrize(("row", "named"), BAD_ROWS, ids=[n for _, n in BAD_ROWS])
def test_a_bad_row_fails_the_run_and_nothing_of_its_window_is_emitted(
    emulator: BrazeEmulator, tmp_path: Path, row: dict[str, Any], named: str
) -> None:
    # the second window (2024-11-02..2024-12-01) carries the bad row
    emulator.add_fault(Fault("rows", covers="2024-11-10", extra_rows=[row]))
    run = run_tap(config_for(emulator, max_parallel_requests=4), tmp_path)
    assert run.returncode != 0
    assert named in run.stderr
    first_window_end = FIRST + dt.timedelta(days=29)
    assert run.days("ios") == emulator.expected("ios", FIRST, first_window_end)
    assert bookmark(run.last_state, "ios") == first_window_end.isoformat()
    assert_states_claim_only_emitted(run)


def test_duplicate_days_in_a_response_are_emitted_once(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    emulator.add_fault(Fault("rows", transform=lambda rows: rows + rows[:5]))
    run = run_tap(config_for(emulator), tmp_path)
    assert_complete(run, emulator)  # run.days() fails on any duplicate key
    assert "twice" in run.stderr


def test_conflicting_duplicate_days_fail_the_run(emulator: BrazeEmulator, tmp_path: Path) -> None:
    emulator.add_fault(
        Fault(
            "rows", covers=FIRST.isoformat(), transform=lambda rows: [*rows, {**rows[0], "dau": 0}]
        )
    )
    run = run_tap(config_for(emulator), tmp_path)
    assert run.returncode != 0
    assert "different values" in run.stderr
    assert run.records == []


def test_days_outside_the_requested_window_are_dropped_with_a_warning(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    stray = [{"time": "2024-09-01", "dau": 1}, {"time": "2025-01-05", "dau": 1}]
    emulator.add_fault(Fault("rows", count=3, extra_rows=stray))
    run = run_tap(config_for(emulator), tmp_path)
    assert_complete(run, emulator)
    assert "outside the requested window" in run.stderr


def test_workspace_series_faults_are_handled_the_same(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    emulator.add_fault(Fault("status", status=502, app_id=WORKSPACE))
    run = run_tap(config_for(emulator, app_ids=None, include_workspace_total=True), tmp_path)
    assert_complete(run, emulator, series=WORKSPACE)


def test_no_api_key_in_any_output_even_at_debug_level(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    emulator.add_fault(Fault("status", status=500))
    emulator.add_fault(Fault("status", status=429, reset_in=1))
    run = run_tap(
        config_for(emulator),
        tmp_path,
        env={"LOGLEVEL": "DEBUG", "TAP_BRAZE_DAU_LOG_LEVEL": "DEBUG"},
    )
    assert_complete(run, emulator)
    assert API_KEY not in run.stdout + run.stderr  # run_tap checks it too; said for the reader


@pytest.mark.parametrize("parallel", [1, 4])
def test_a_fatal_error_with_a_large_state_still_ends_on_a_state_claiming_everything(
    tmp_path: Path, parallel: int
) -> None:
    """With 40 series the state is far over the size that gets a STATE after every
    window, so most windows get none; a fatal error must still end the output with a
    STATE that claims every record written, or the next run would fetch them again."""
    apps = {f"app{n:02d}": dt.date(2024, 1, 1) for n in range(40)}
    with BrazeEmulator(api_key=API_KEY, apps=apps, today=LAST) as braze:
        braze.add_fault(Fault(kind="status", status=400, app_id="app30", covers="2024-08-01"))
        config = config_for(
            braze,
            app_ids=list(apps),
            start_date="2024-01-01",
            window_days=100,
            max_parallel_requests=parallel,
        )
        run = run_tap(config, tmp_path)
    assert run.returncode == 1
    assert "HTTP 400" in run.stderr
    assert run.messages[-1]["type"] == "STATE"
    assert_states_claim_only_emitted(run)
    emitted: dict[str, str] = {}
    for record in run.records:
        emitted[record["app_id"]] = max(record["time"], emitted.get(record["app_id"], ""))
    final = run.messages[-1]["value"]
    assert {app: bookmark(final, app) for app in emitted} == emitted
    assert emitted["app30"] < "2024-08-01"  # its first windows, not the failing one
    # the rule wrote no STATE after the last windows: records come between the last two
    last_two = [i for i, message in enumerate(run.messages) if message["type"] == "STATE"][-2:]
    between = run.messages[last_two[0] + 1 : last_two[1]]
    assert any(message["type"] == "RECORD" for message in between)
