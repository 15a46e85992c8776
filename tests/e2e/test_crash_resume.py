"""Crash and resume: SIGKILL the tap at random moments of a long sync (4 series x 25
windows of dau, or 4 series x 7 windows of each of the five streams; 50 ms a request),
resume from the last STATE it printed, repeat until a run completes. Nothing may be lost,
and no STATE may ever claim a day that had not been emitted.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import WORKSPACE, BrazeEmulator, Fault
from tests.helpers import (
    API_KEY,
    KPI_STREAMS,
    ROOT,
    TAP,
    all_bookmarks,
    base_config,
    catalog_selecting,
)

FIRST, LAST = dt.date(2024, 1, 1), dt.date(2024, 12, 31)  # 25 windows of 15 days a series
APPS = {"ios": dt.date(2022, 6, 1), "android": dt.date(2023, 8, 20), "web": dt.date(2024, 2, 1)}
SERIES = [*APPS, WORKSPACE]


def run_and_kill(
    config_path: Path,
    catalog_path: Path,
    state: dict[str, Any] | None,
    kill_after: float,
    tmp_path: Path,
) -> tuple[list[dict[str, Any]], int]:
    """Run the tap; SIGKILL it after `kill_after` s. Complete lines it printed, and its rc."""
    args = [*TAP, "--config", str(config_path), "--catalog", str(catalog_path)]
    if state is not None:
        state_path = tmp_path / "state.json"
        state_path.write_text(json.dumps(state))
        args += ["--state", str(state_path)]
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    timer = threading.Timer(kill_after, lambda: process.send_signal(signal.SIGKILL))
    timer.start()
    out, _ = process.communicate(timeout=120)
    timer.cancel()
    assert API_KEY.encode() not in out
    messages = []
    for line in out.decode().splitlines():
        try:
            messages.append(json.loads(line))
        except json.JSONDecodeError:
            break  # the line the kill cut short: a target would not have it either
    return messages, process.returncode


SCENARIOS = [
    # streams, window_days, max_parallel_requests, seed
    (("dau",), 15, 1, 1),
    (("dau",), 15, 4, 2),
    (KPI_STREAMS, 53, 4, 3),
]


@pytest.mark.parametrize(
    ("streams", "window_days", "parallel", "seed"),
    SCENARIOS,
    ids=["dau-sequential", "dau-parallel", "five-streams-parallel"],
)
def test_killed_at_random_moments_the_runs_together_deliver_everything(
    tmp_path: Path,
    streams: tuple[str, ...],
    window_days: int,
    parallel: int,
    seed: int,
    reading: str,
) -> None:
    rng = random.Random(seed)
    with BrazeEmulator(
        api_key=API_KEY, apps=APPS, today=LAST, latency=0.05, ending_at_reading=reading
    ) as braze:
        config = base_config(
            braze,
            app_ids=list(APPS),
            start_date=FIRST.isoformat(),
            end_date=LAST.isoformat(),
            window_days=window_days,
            max_parallel_requests=parallel,
            lookback_days=2,
        )
        config_path = tmp_path / "config.json"
        config_path.write_text(json.dumps(config))
        catalog_path = tmp_path / "catalog.json"
        catalog_path.write_text(json.dumps(catalog_selecting(streams)))

        # what a target would hold, by key (stream, app_id, day)
        delivered: dict[tuple[str, str, str], int] = {}
        emitted_ever: dict[tuple[str, str], set[str]] = {}
        state: dict[str, Any] | None = None
        kills = 0
        for attempt in range(40):
            # A random moment, later each time so that a slow machine still progresses. A
            # whole run takes at least 1.5 s (100 requests of 50 ms, 4 at a time, plus the
            # start), so the first run is always killed.
            kill_after = rng.uniform(0.35, 0.9) + 0.25 * attempt
            started = time.monotonic()
            messages, returncode = run_and_kill(
                config_path, catalog_path, state, kill_after, tmp_path
            )
            seen_in_run: set[tuple[str, str, str]] = set()
            for message in messages:
                if message["type"] == "RECORD":
                    stream, record = message["stream"], message["record"]
                    key = (stream, record["app_id"], record["time"])
                    assert key not in seen_in_run, f"duplicate key within a run: {key}"
                    seen_in_run.add(key)
                    delivered[key] = record[stream]
                    emitted_ever.setdefault((stream, record["app_id"]), set()).add(record["time"])
                elif message["type"] == "STATE":
                    for series, claimed in all_bookmarks(message["value"]).items():
                        assert claimed in emitted_ever.get(series, set()), (
                            f"STATE claims {series} {claimed}, never emitted"
                        )
                    state = message["value"]
            if returncode == 0:
                break
            assert returncode == -signal.SIGKILL, f"the run failed on its own ({returncode})"
            assert time.monotonic() - started >= kill_after * 0.9
            kills += 1
        else:
            pytest.fail("40 runs did not complete the sync")

        assert kills >= 1, "no run was killed: the test proved nothing"
        expected = {
            (stream, s, day): value
            for stream in streams
            for s in SERIES
            for day, value in braze.expected(s, FIRST, LAST, stream).items()
        }
        assert delivered == expected
        assert state is not None
        assert all_bookmarks(state) == {
            (stream, s): LAST.isoformat() for stream in streams for s in SERIES
        }


def test_killed_between_two_windows_the_last_state_claims_the_window_before(
    tmp_path: Path,
) -> None:
    """A STATE follows each window's records, not precedes them: killed while the next
    window is being fetched, the tap has already claimed every record it printed, so the
    next run starts from there and fetches no window twice. (Were the STATE written
    before its window's records, the last window printed would be unclaimed.)"""
    with BrazeEmulator(api_key=API_KEY, apps={"ios": FIRST}, today=LAST) as braze:
        # the 5th of 13 windows of 30 days (planned back from LAST) hangs
        braze.add_fault(Fault(kind="stall", seconds=60, covers="2024-04-20"))
        config = base_config(
            braze,
            app_ids=["ios"],
            include_workspace_total=False,
            start_date=FIRST.isoformat(),
            end_date=LAST.isoformat(),
            window_days=30,
            max_parallel_requests=1,
        )
        config_path = tmp_path / "config.json"
        config_path.write_text(json.dumps(config))
        args = [*TAP, "--config", str(config_path)]
        process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 120
            while not any(r.fault == "stall" for r in braze.requests):
                assert time.monotonic() < deadline, "the stalled window was never requested"
                assert process.poll() is None, "the tap ended before the stalled window"
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)
            out, _ = process.communicate(timeout=60)
    messages = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    records = [m["record"] for m in messages if m["type"] == "RECORD"]
    # 366 days and the one after = 7 + 12 x 30: four windows printed
    assert len(records) == 7 + 3 * 30
    assert messages[-1]["type"] == "STATE"
    assert all_bookmarks(messages[-1]["value"]) == {("dau", "ios"): records[-1]["time"]}
