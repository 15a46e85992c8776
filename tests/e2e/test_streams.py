"""The KPI family end to end: every stream behaves as dau does, each on its own endpoint.

Each test runs the real `tap-braze-dau` command against the emulator, with the streams
chosen the standard Singer way (a catalog), and compares what arrives with the
emulator's values for that stream.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import BY_STREAM, WORKSPACE, BrazeEmulator, Fault
from tests.helpers import (
    API_KEY,
    KPI_STREAMS,
    all_bookmarks,
    assert_each_day_answered_once,
    assert_states_claim_only_emitted,
    base_config,
    bookmark,
    catalog_selecting,
    day_range,
    run_tap,
    state_with,
)

FIRST, LAST = dt.date(2024, 3, 1), dt.date(2024, 12, 31)  # 306 days: 4 windows of 100
SERIES = ("ios", "android", WORKSPACE)


def backfill_config(braze: BrazeEmulator) -> dict[str, Any]:
    """Both apps and the workspace, FIRST..LAST."""
    return base_config(
        braze, app_ids=["ios", "android"], start_date=FIRST.isoformat(), end_date=LAST.isoformat()
    )


def test_a_run_without_a_catalog_syncs_dau_alone(emulator: BrazeEmulator, tmp_path: Path) -> None:
    run = run_tap(base_config(emulator, start_date="2024-12-01", app_ids=["ios"]), tmp_path)
    assert run.returncode == 0, run.stderr
    assert {m["stream"] for m in run.messages if m["type"] in {"RECORD", "SCHEMA"}} == {"dau"}
    assert {r.stream for r in emulator.data_requests()} == {"dau"}
    assert run.last_state is not None
    assert set(run.last_state["bookmarks"]) == {"dau"}


@pytest.mark.parametrize("stream", KPI_STREAMS)
def test_each_stream_delivers_its_own_series_exactly_once(
    emulator: BrazeEmulator, tmp_path: Path, stream: str, reading: str
) -> None:
    emulator.ending_at_reading = reading
    run = run_tap(backfill_config(emulator), tmp_path, catalog=catalog_selecting([stream]))
    assert run.returncode == 0, run.stderr
    schema = next(m for m in run.messages if m["type"] == "SCHEMA")
    assert schema["stream"] == stream
    assert schema["key_properties"] == ["app_id", "time"]
    assert sorted(schema["schema"]["properties"]) == sorted(["app_id", "time", stream])
    for series in SERIES:
        assert run.days(series, stream) == emulator.expected(series, FIRST, LAST, stream)
    assert "Dropped" not in run.stderr
    # the fewest requests for the days and the one after (see plan/windows.py), none
    # longer than 100 days, all to the stream's endpoint, each day answered once
    requests = emulator.data_requests()
    assert {r.path for r in requests} == {BY_STREAM[stream].path}
    assert len(requests) == len(SERIES) * math.ceil(((LAST - FIRST).days + 2) / 100)
    for series in SERIES:
        mine = [r for r in requests if r.app_id == series]
        assert_each_day_answered_once(mine, FIRST, LAST, reading)
    assert all(1 <= int(r.params["length"]) <= 100 for r in requests)
    assert_states_claim_only_emitted(run)
    assert run.last_state is not None
    assert {p["context"]["app_id"] for p in run.last_state["bookmarks"][stream]["partitions"]} == {
        *SERIES
    }


def test_sessions_always_asks_for_daily_points(emulator: BrazeEmulator, tmp_path: Path) -> None:
    run = run_tap(
        base_config(emulator, start_date="2024-12-01"),
        tmp_path,
        catalog=catalog_selecting(["sessions"]),
    )
    assert run.returncode == 0, run.stderr
    assert emulator.data_requests()
    assert all(r.params.get("unit") == "day" for r in emulator.data_requests())
    assert all("unit" not in r.params for r in emulator.data_requests() if r.stream != "sessions")


def test_every_stream_in_one_run_each_with_its_own_state(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    run = run_tap(backfill_config(emulator), tmp_path, catalog=catalog_selecting(KPI_STREAMS))
    assert run.returncode == 0, run.stderr
    # the SDK's order, one stream after another
    order = [m["stream"] for m in run.messages if m["type"] == "SCHEMA"]
    assert order == sorted(KPI_STREAMS)
    for stream in KPI_STREAMS:
        for series in SERIES:
            assert run.days(series, stream) == emulator.expected(series, FIRST, LAST, stream)
    assert run.last_state is not None
    assert all_bookmarks(run.last_state) == {
        (stream, series): LAST.isoformat() for stream in KPI_STREAMS for series in SERIES
    }
    assert_states_claim_only_emitted(run)


@pytest.mark.parametrize("stream", ["mau", "sessions"])
def test_incremental_run_rereads_the_lookback_of_each_stream(
    emulator: BrazeEmulator, tmp_path: Path, stream: str
) -> None:
    config = base_config(emulator, app_ids=["ios"], end_date="2024-12-31", lookback_days=2)
    state = state_with({"ios": "2024-12-20", WORKSPACE: "2024-12-25"}, stream=stream)
    emulator.revise("ios", dt.date(2024, 12, 19), 7, stream=stream)
    run = run_tap(config, tmp_path, state=state, catalog=catalog_selecting([stream]))
    assert run.returncode == 0, run.stderr
    assert sorted(run.days("ios", stream)) == day_range(
        dt.date(2024, 12, 18), dt.date(2024, 12, 31)
    )
    assert run.days("ios", stream)["2024-12-19"] == 7
    assert sorted(run.days(WORKSPACE, stream)) == day_range(
        dt.date(2024, 12, 23), dt.date(2024, 12, 31)
    )
    assert bookmark(run.last_state, "ios", stream) == "2024-12-31"


def test_bookmarks_of_one_stream_do_not_move_another(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    """dau has a bookmark, mau has none: mau starts at start_date, dau at its bookmark."""
    config = base_config(emulator, app_ids=["ios"], start_date="2024-11-01", end_date="2024-12-31")
    state = state_with({"ios": "2024-12-30", WORKSPACE: "2024-12-30"})
    run = run_tap(config, tmp_path, state=state, catalog=catalog_selecting(["dau", "mau"]))
    assert run.returncode == 0, run.stderr
    assert min(run.days("ios", "dau")) == "2024-12-27"
    assert min(run.days("ios", "mau")) == "2024-11-01"


@pytest.mark.parametrize("stream", ["new_users", "uninstalls"])
def test_history_discovery_without_start_date(tmp_path: Path, stream: str, reading: str) -> None:
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"web": dt.date(2024, 5, 17)},
        today=dt.date(2024, 12, 31),
        ending_at_reading=reading,
    ) as braze:
        config = base_config(
            braze, app_ids=["web"], include_workspace_total=False, end_date="2024-12-31"
        )
        run = run_tap(config, tmp_path, catalog=catalog_selecting([stream]))
        assert run.returncode == 0, run.stderr
        assert run.days("web", stream) == braze.expected(
            "web", dt.date(2024, 5, 17), dt.date(2024, 12, 31), stream
        )
        # 229 days and the one after: 2 full windows, 1 partial
        assert len(braze.data_requests(stream)) == 3


# -- permissions -----------------------------------------------------------------------------


@pytest.mark.parametrize("stream", ["mau", "new_users", "sessions", "uninstalls"])
def test_a_403_names_the_streams_permission_and_what_was_delivered_stays(
    tmp_path: Path, stream: str
) -> None:
    """A key that holds only kpi.dau.data_series: dau arrives, with its STATE; the other
    stream fails the run naming its permission and how to stop syncing it."""
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2024, 1, 1)},
        today=LAST,
        permissions={"kpi.dau.data_series"},
    ) as braze:
        config = base_config(braze, app_ids=["ios"], start_date="2024-10-01", end_date="2024-12-31")
        run = run_tap(config, tmp_path, catalog=catalog_selecting(["dau", stream]))
        assert run.returncode == 1
        last_line = run.stderr.strip().splitlines()[-1]
        assert BY_STREAM[stream].permission in last_line
        assert "403" in last_line
        assert "deselect" in last_line
        assert f"'{stream}'" in last_line
        assert "Traceback" not in run.stderr
        for series in ("ios", WORKSPACE):
            assert run.days(series, "dau") == braze.expected(
                series, dt.date(2024, 10, 1), LAST, "dau"
            )
            assert bookmark(run.last_state, series, "dau") == LAST.isoformat()
        assert run.records_of(stream) == []
        # the refusal is not retried
        assert len([r for r in braze.data_requests(stream) if r.status == 403]) >= 1
        assert all(r.status == 403 for r in braze.data_requests(stream))


def test_a_key_without_dau_fails_at_once_naming_it(tmp_path: Path) -> None:
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2024, 1, 1)},
        today=LAST,
        permissions={"kpi.mau.data_series"},
    ) as braze:
        run = run_tap(base_config(braze, start_date="2024-12-01"), tmp_path)
        assert run.returncode == 1
        assert "kpi.dau.data_series" in run.stderr
        assert run.records == []


# -- one rate-limit pool -----------------------------------------------------------------------


def test_a_429_on_one_stream_pauses_the_others(emulator: BrazeEmulator, tmp_path: Path) -> None:
    """Braze counts every KPI endpoint in one hourly pool: after a 429 on mau, no request
    to any endpoint is sent before its reset.

    Counted, not timed: once Braze has answered the 429, only a worker that finished its
    own request in the instant before the tap read the 429 can still send one more; a
    second would take another whole answer (`latency`) first. So at most one request per
    other worker arrives between the 429 and its reset, where without the pause there
    would be some 30."""
    parallel = 4
    emulator.latency = 0.5
    emulator.add_fault(Fault("status", status=429, reset_in=3, stream="mau", skip=3))
    config = base_config(
        emulator,
        app_ids=["ios", "android"],
        start_date="2023-06-01",
        end_date="2024-12-31",
        window_days=100,
        max_parallel_requests=parallel,
    )
    run = run_tap(config, tmp_path, catalog=catalog_selecting(KPI_STREAMS))
    assert run.returncode == 0, run.stderr
    requests = emulator.data_requests()
    (refusal,) = [r for r in requests if r.status == 429]
    assert refusal.reset_sent is not None
    while_closed = [r for r in requests if refusal.at < r.arrived < refusal.reset_sent]
    assert len(while_closed) <= parallel - 1, while_closed
    after = [r for r in requests if r.arrived >= refusal.reset_sent]
    assert {r.stream for r in after} - {"mau"}, "other streams resumed after the reset"
    for stream in KPI_STREAMS:
        for series in SERIES:
            assert run.days(series, stream) == emulator.expected(
                series, dt.date(2023, 6, 1), LAST, stream
            )
    assert "Rate limited by Braze (HTTP 429)" in run.stderr
