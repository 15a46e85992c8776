"""STATE output grows with the work, not with its square (checkpoints.py), end to end.

Each STATE carries every bookmark of every stream; the tap writes one after every window
only while the state is small, and beyond that within a share of the RECORD bytes.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import WORKSPACE, BrazeEmulator
from tap_braze_dau.plan.checkpoints import WINDOW_SHARE
from tests.helpers import (
    API_KEY,
    KPI_STREAMS,
    TapRun,
    all_bookmarks,
    assert_states_claim_only_emitted,
    base_config,
    catalog_selecting,
    run_tap,
)

END = dt.date(2025, 12, 31)


def backfill(
    tmp_path: Path,
    *,
    apps: int,
    years: int,
    streams: tuple[str, ...] = ("dau",),
    parallel: int = 4,
    window_days: int = 100,
) -> TapRun:
    app_ids = [f"app-{n:03d}" for n in range(apps)]
    start = END.replace(year=END.year - years) + dt.timedelta(days=1)
    with BrazeEmulator(
        api_key=API_KEY,
        apps=dict.fromkeys(app_ids, dt.date(2000, 1, 1)),
        today=END,
        latency_jitter=0.002,
    ) as braze:
        config = base_config(
            braze,
            app_ids=app_ids,
            start_date=start.isoformat(),
            end_date=END.isoformat(),
            max_parallel_requests=parallel,
            window_days=window_days,
        )
        run = run_tap(config, tmp_path, catalog=catalog_selecting(streams), timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def series_ends(run: TapRun) -> dict[tuple[str, str], int]:
    """The index of the last RECORD of each series in the run's messages."""
    last_record: dict[tuple[str, str], int] = {}
    for index, message in enumerate(run.messages):
        if message["type"] == "RECORD":
            last_record[(message["stream"], message["record"]["app_id"])] = index
    return last_record


def assert_a_state_follows_every_series_end(run: TapRun) -> None:
    for series, index in series_ends(run).items():
        following = run.messages[index + 1]
        assert following["type"] == "STATE", f"no STATE after the end of {series}"
        day = run.messages[index]["record"]["time"]
        assert all_bookmarks(following["value"])[series] == day


@pytest.mark.parametrize(
    ("apps", "years", "streams"),
    [(200, 3, ("dau",)), (20, 3, KPI_STREAMS), (1, 3, ("dau", "mau"))],
    ids=["200-apps", "5-streams-20-apps", "1-app"],
)
def test_state_bytes_stay_under_a_tenth_of_record_bytes(
    tmp_path: Path, apps: int, years: int, streams: tuple[str, ...]
) -> None:
    """The issue's scenarios: a tenth at most, and still a STATE at the end of every
    series (in a backfill the state grows one series at a time, so they are affordable)."""
    run = backfill(tmp_path, apps=apps, years=years, streams=streams)
    share = run.bytes_of("STATE") / run.bytes_of("RECORD")
    assert share <= 0.10, f"STATE is {share:.1%} of RECORD"
    assert_states_claim_only_emitted(run)
    assert_a_state_follows_every_series_end(run)
    assert len(series_ends(run)) == (apps + 1) * len(streams)
    # and the run still ends with every bookmark at the last day
    assert run.last_state is not None
    assert set(all_bookmarks(run.last_state).values()) == {END.isoformat()}


def test_one_series_gets_a_state_after_every_window(tmp_path: Path) -> None:
    """A small state costs little: a STATE follows each window, however short."""
    run = backfill(tmp_path, apps=0, years=1, window_days=7)
    types = [m["type"] for m in run.messages]
    windows = 53  # 365 days in windows of 7, planned back from the end
    after_records = sum(
        1 for before, after in itertools.pairwise(types) if (before, after) == ("RECORD", "STATE")
    )
    assert after_records == windows


def windows_of(run: TapRun) -> list[list[dict[str, Any]]]:
    """The messages between two consecutive STATEs."""
    groups: list[list[dict[str, Any]]] = [[]]
    for message in run.messages:
        if message["type"] == "STATE":
            groups.append([])
        elif message["type"] == "RECORD":
            groups[-1].append(message)
    return groups


def test_a_state_follows_the_end_of_every_series(tmp_path: Path) -> None:
    """Five streams, two apps and the workspace, a year each: past the small state,
    STATE still lands where each series ends, claiming its last day."""
    run = backfill(tmp_path, apps=2, years=1, streams=KPI_STREAMS)
    assert len(series_ends(run)) == len(KPI_STREAMS) * 3
    assert_a_state_follows_every_series_end(run)
    # past the small state, not every window got one
    assert len(run.states) < len(KPI_STREAMS) * 3 * 4


def test_the_records_a_sigkill_could_lose_are_bounded(tmp_path: Path) -> None:
    """Between two STATEs: at most one window of records, or 1 / WINDOW_SHARE times the
    size of a STATE (in the lower-bound bytes the rule counts, hence the 1.6) plus one
    window."""
    run = backfill(tmp_path, apps=40, years=2)
    lines = run.stdout.splitlines()
    since_state = 0
    window_bytes = 100 * max(len(line) for line in lines if '"type":"RECORD"' in line)
    for line in lines:
        if '"type":"RECORD"' in line[:40]:
            since_state += len(line) + 1
        elif '"type":"STATE"' in line[:40]:
            bound = max(window_bytes, len(line) / WINDOW_SHARE * 1.6 + window_bytes)
            assert since_state <= bound, (since_state, len(line))
            since_state = 0


def comparable(run: TapRun) -> list[dict[str, Any]]:
    return [{k: v for k, v in m.items() if k != "time_extracted"} for m in run.messages]


def test_the_same_states_in_the_same_places_whatever_the_parallelism(tmp_path: Path) -> None:
    sequential = backfill(tmp_path, apps=30, years=1, streams=("dau", "uninstalls"), parallel=1)
    concurrent = backfill(tmp_path, apps=30, years=1, streams=("dau", "uninstalls"), parallel=8)
    assert comparable(concurrent) == comparable(sequential)
    # the budget was in play: not every window got a STATE
    windows = 31 * 4 * 2
    assert len(sequential.states) < windows


def test_the_workspace_series_is_counted_too(tmp_path: Path) -> None:
    run = backfill(tmp_path, apps=3, years=1)
    assert run.last_state is not None
    assert all_bookmarks(run.last_state)[("dau", WORKSPACE)] == END.isoformat()
