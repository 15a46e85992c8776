"""`max_parallel_requests` changes how long a sync takes, never what it writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import BrazeEmulator, Fault
from tests.helpers import (
    API_KEY,
    KPI_STREAMS,
    TapRun,
    base_config,
    catalog_selecting,
    partition_list,
    run_tap,
    state_with,
)

APPS = {f"app-{n:02d}": dt.date(2023, 1, 1) + dt.timedelta(days=37 * n) for n in range(6)}


def comparable(run: TapRun) -> list[dict[str, Any]]:
    """The messages, without what legitimately differs: extraction timestamps."""
    out = []
    for message in run.messages:
        message = dict(message)
        message.pop("time_extracted", None)
        out.append(message)
    return out


def sync(
    tmp_path: Path,
    parallel: int,
    *,
    state: dict[str, Any] | None = None,
    fault: Fault | None = None,
    streams: tuple[str, ...] = ("dau",),
    reading: str = "through",
    **settings: Any,
) -> tuple[TapRun, BrazeEmulator]:
    # Random latency makes parallel requests finish in a different order every time.
    with BrazeEmulator(
        api_key=API_KEY,
        apps=APPS,
        today=dt.date(2024, 12, 31),
        latency_jitter=0.02,
        ending_at_reading=reading,
    ) as braze:
        if fault:
            braze.add_fault(fault)
        config = base_config(
            braze,
            app_ids=list(APPS),
            end_date="2024-12-31",
            window_days=45,
            max_parallel_requests=parallel,
            max_retries=1,
            **settings,
        )
        catalog = catalog_selecting(streams)
        return run_tap(config, tmp_path, state=state, catalog=catalog), braze


@pytest.mark.parametrize("parallel", [2, 4, 16])
def test_backfill_output_is_identical_to_a_sequential_run(tmp_path: Path, parallel: int) -> None:
    sequential, braze_1 = sync(tmp_path, 1, start_date="2023-01-01")
    concurrent, braze_n = sync(tmp_path, parallel, start_date="2023-01-01")
    assert sequential.returncode == concurrent.returncode == 0
    assert len(sequential.records) > 2000
    assert comparable(concurrent) == comparable(sequential)
    assert len(braze_n.dau_requests()) == len(braze_1.dau_requests())


def test_history_discovery_output_is_identical_to_a_sequential_run(
    tmp_path: Path, reading: str
) -> None:
    sequential, braze_1 = sync(tmp_path, 1, reading=reading)
    concurrent, braze_4 = sync(tmp_path, 4, reading=reading)
    assert sequential.returncode == concurrent.returncode == 0
    assert comparable(concurrent) == comparable(sequential)
    # discovery walks each series one window at a time: no request is wasted
    assert len(braze_4.dau_requests()) == len(braze_1.dau_requests())


def test_incremental_output_is_identical_to_a_sequential_run(tmp_path: Path) -> None:
    state = state_with(dict.fromkeys(APPS, "2024-12-20"))
    sequential, _ = sync(tmp_path, 1, state=state, lookback_days=5)
    concurrent, _ = sync(tmp_path, 8, state=state, lookback_days=5)
    assert sequential.returncode == concurrent.returncode == 0
    assert comparable(concurrent) == comparable(sequential)


def test_a_failure_leaves_the_same_output_as_a_sequential_run(tmp_path: Path) -> None:
    """Everything before the failing window is written, in order; nothing after it."""
    fault = Fault("status", status=503, count=-1, app_id="app-03", covers="2024-06-01")
    sequential, _ = sync(tmp_path, 1, fault=fault, start_date="2023-06-01")
    fault = Fault("status", status=503, count=-1, app_id="app-03", covers="2024-06-01")
    concurrent, _ = sync(tmp_path, 4, fault=fault, start_date="2023-06-01")
    assert sequential.returncode != 0
    assert concurrent.returncode != 0
    assert comparable(concurrent) == comparable(sequential)
    assert any(r["app_id"] == "app-03" for r in sequential.records)


def test_every_stream_output_is_identical_to_a_sequential_run(tmp_path: Path, reading: str) -> None:
    """Requests in flight across series and across streams; messages in sequential order."""
    sequential, braze_1 = sync(
        tmp_path, 1, start_date="2024-01-01", streams=KPI_STREAMS, reading=reading
    )
    concurrent, braze_n = sync(
        tmp_path, 6, start_date="2024-01-01", streams=KPI_STREAMS, reading=reading
    )
    assert sequential.returncode == concurrent.returncode == 0
    assert {r["stream"] for r in (m for m in sequential.messages if m["type"] == "RECORD")} == set(
        KPI_STREAMS
    )
    assert comparable(concurrent) == comparable(sequential)
    assert len(braze_n.data_requests()) == len(braze_1.data_requests())


def test_a_failure_in_a_later_stream_leaves_the_same_output(tmp_path: Path) -> None:
    def fault() -> Fault:
        return Fault("status", status=503, count=-1, stream="new_users", app_id="app-02")

    state = {
        "bookmarks": {
            stream: {"partitions": partition_list(dict.fromkeys(APPS, "2024-10-01"))}
            for stream in KPI_STREAMS
        }
    }
    sequential, _ = sync(tmp_path, 1, fault=fault(), state=state, streams=KPI_STREAMS)
    concurrent, _ = sync(tmp_path, 4, fault=fault(), state=state, streams=KPI_STREAMS)
    assert sequential.returncode != 0
    assert comparable(concurrent) == comparable(sequential)
    streams_written = {m["stream"] for m in sequential.messages if m["type"] == "RECORD"}
    assert streams_written == {"dau", "mau", "new_users"}
