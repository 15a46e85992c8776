"""End-to-end syncs of the real `tap-braze-dau` command against the emulator."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from braze_emulator import WORKSPACE, BrazeEmulator, Fault
from tests.helpers import (
    API_KEY,
    assert_each_day_answered_once,
    assert_states_claim_only_emitted,
    base_config,
    bookmark,
    catalog_selecting,
    day_range,
    run_tap,
    state_with,
)


def test_full_sync_delivers_every_day_exactly_once(
    emulator: BrazeEmulator, tmp_path: Path, reading: str
) -> None:
    emulator.ending_at_reading = reading
    first, last = dt.date(2023, 1, 1), dt.date(2024, 12, 31)
    config = base_config(
        emulator,
        start_date=first.isoformat(),
        end_date=last.isoformat(),
        app_ids=["ios", "android"],
        window_days=100,
    )
    run = run_tap(config, tmp_path)
    assert run.returncode == 0, run.stderr
    for series in ("ios", "android", WORKSPACE):
        assert run.days(series) == emulator.expected(series, first, last)
    # no key is ever null, and the workspace series carries its marker
    assert all(r["app_id"] and r["time"] for r in run.records)
    assert {r["app_id"] for r in run.records} == {"ios", "android", WORKSPACE}
    assert "Dropped" not in run.stderr  # no answer held a day it should not have

    # at most one request more than the fewest, none longer than window_days, each day
    # answered once (and one day beside the range, whichever way ending_at is read)
    days = (last - first).days + 1
    requests = emulator.dau_requests()
    assert len(requests) == 3 * math.ceil((days + 1) / 100)
    assert len(requests) <= 3 * (math.ceil(days / 100) + 1)
    for series in ("ios", "android", WORKSPACE):
        mine = [r for r in requests if r.app_id == series]
        assert all(1 <= int(r.params["length"]) <= 100 for r in mine)
        assert_each_day_answered_once(mine, first, last, reading)


def test_a_day_two_answers_hold_is_emitted_once(
    emulator: BrazeEmulator, tmp_path: Path, reading: str
) -> None:
    """Should Braze answer more days than either reading of `ending_at` says: here every
    answer also holds the day before its first one, with its real value. Reading
    "through", that day is the last of the answer before (of the earliest, the day before
    start_date): the tap meets it twice and emits it once, from the first answer.
    Reading "before", it is beyond what an answer may hold: dropped, with a warning."""
    emulator.ending_at_reading = reading
    one = dt.timedelta(days=1)

    def with_the_day_before(series: str) -> Callable[[list[dict[str, Any]]], list[Any]]:
        def transform(rows: list[dict[str, Any]]) -> list[Any]:
            if not rows:
                return rows
            day = dt.date.fromisoformat(rows[0]["time"]) - one
            value = emulator.expected(series, day, day)[day.isoformat()]
            return [{"time": day.isoformat(), "dau": value}, *rows]

        return transform

    for series in ("ios", WORKSPACE):
        emulator.add_fault(
            Fault(
                "rows",
                stream="dau",
                app_id=series,
                count=-1,
                transform=with_the_day_before(series),
            )
        )
    first, last = dt.date(2024, 1, 1), dt.date(2024, 6, 30)
    config = base_config(
        emulator,
        start_date=first.isoformat(),
        end_date=last.isoformat(),
        app_ids=["ios"],
        window_days=30,
    )
    run = run_tap(config, tmp_path)
    assert run.returncode == 0, run.stderr
    requests = emulator.dau_requests()
    assert len(requests) == 2 * 7  # 182 days and the one beside them, by 30
    assert all(request.fault == "rows" for request in requests)
    for series in ("ios", WORKSPACE):
        times = [record["time"] for record in run.records if record["app_id"] == series]
        assert times == day_range(first, last)  # each day once, in order
        assert run.days(series) == emulator.expected(series, first, last)
    assert ("Dropped" in run.stderr) == (reading == "before")
    assert_states_claim_only_emitted(run)


def test_schema_keys_and_state_shape(emulator: BrazeEmulator, tmp_path: Path) -> None:
    config = base_config(emulator, start_date="2024-12-01", app_ids=["ios"])
    run = run_tap(config, tmp_path)
    assert run.returncode == 0, run.stderr
    schema = next(m for m in run.messages if m["type"] == "SCHEMA")
    assert schema["stream"] == "dau"
    assert schema["key_properties"] == ["app_id", "time"]
    assert schema["bookmark_properties"] == ["time"]
    properties = schema["schema"]["properties"]
    assert properties["time"]["format"] == "date"
    assert "integer" in properties["dau"]["type"]
    assert "null" not in properties["app_id"]["type"]
    assert run.last_state is not None
    partitions = run.last_state["bookmarks"]["dau"]["partitions"]
    assert {p["context"]["app_id"] for p in partitions} == {"ios", WORKSPACE}
    assert bookmark(run.last_state, "ios") == "2024-12-31"


@pytest.mark.parametrize("parallel", [1, 4])
def test_each_series_ascending_with_a_state_after_every_window(
    emulator: BrazeEmulator, tmp_path: Path, parallel: int, reading: str
) -> None:
    emulator.ending_at_reading = reading
    config = base_config(
        emulator,
        start_date="2024-01-01",
        end_date="2024-06-30",
        app_ids=["ios", "android"],
        window_days=30,
        max_parallel_requests=parallel,
    )
    run = run_tap(config, tmp_path)
    assert run.returncode == 0, run.stderr
    for series in ("ios", "android", WORKSPACE):
        times = [r["time"] for r in run.records if r["app_id"] == series]
        assert times == sorted(times)
    assert_states_claim_only_emitted(run)
    # one STATE right after each window that delivered rows: 7 windows for ios and the
    # workspace, 4 for android (its history starts 2024-03-15)
    states_after_records = sum(
        1
        for before, message in zip(run.messages, run.messages[1:], strict=False)
        if before["type"] == "RECORD" and message["type"] == "STATE"
    )
    assert states_after_records == 7 + 4 + 7
    # each STATE after a window claims exactly the last day it delivered: 182 days and
    # the one after are 3 + 6 x 30, planned back from the end; the first window answers
    # 2024-01-01..03, or (Braze reading ending_at "before") 2023-12-31..2024-01-02
    ios_claims = [bookmark(s, "ios") for s in run.states if bookmark(s, "ios")]
    assert ios_claims[0] == ("2024-01-03" if reading == "through" else "2024-01-02")
    assert ios_claims[-1] == "2024-06-30"


def test_incremental_run_rereads_the_lookback_and_updates_revised_days(
    emulator: BrazeEmulator, tmp_path: Path, reading: str
) -> None:
    emulator.ending_at_reading = reading
    config = base_config(
        emulator, start_date="2024-10-01", end_date="2024-12-31", app_ids=["ios"], lookback_days=3
    )
    first = run_tap(config, tmp_path)
    assert first.returncode == 0, first.stderr
    assert bookmark(first.last_state, "ios") == "2024-12-31"

    emulator.revise("ios", dt.date(2024, 12, 31), 77)  # today's partial count, completed
    emulator.revise("ios", dt.date(2024, 12, 29), 55)  # a recent day, revised
    emulator.requests.clear()
    second = run_tap(config, tmp_path, state=first.last_state)
    assert second.returncode == 0, second.stderr
    # only the bookmarked day and the three before it are requested again
    assert second.days("ios") == emulator.expected(
        "ios", dt.date(2024, 12, 28), dt.date(2024, 12, 31)
    )
    assert second.days("ios")["2024-12-31"] == 77
    assert second.days("ios")["2024-12-29"] == 55
    (request,) = [r for r in emulator.dau_requests() if r.app_id == "ios"]
    assert_each_day_answered_once([request], dt.date(2024, 12, 28), dt.date(2024, 12, 31), reading)
    assert bookmark(second.last_state, "ios") == "2024-12-31"


def test_lookback_zero_still_rereads_the_bookmarked_day(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    state = state_with({"ios": "2024-12-20"})
    config = base_config(
        emulator,
        app_ids=["ios"],
        include_workspace_total=False,
        lookback_days=0,
        end_date="2024-12-25",
    )
    run = run_tap(config, tmp_path, state=state)
    assert run.returncode == 0, run.stderr
    assert sorted(run.days("ios")) == day_range(dt.date(2024, 12, 20), dt.date(2024, 12, 25))


def test_bookmark_does_not_move_back_while_the_lookback_is_reread(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    state = state_with({"ios": "2024-12-20"})
    config = base_config(
        emulator,
        app_ids=["ios"],
        include_workspace_total=False,
        lookback_days=10,
        window_days=3,
        end_date="2024-12-22",
    )
    run = run_tap(config, tmp_path, state=state)
    assert run.returncode == 0, run.stderr
    claims = [bookmark(s, "ios") for s in run.states]
    assert all(claim is not None and claim >= "2024-12-20" for claim in claims), claims
    assert claims[-1] == "2024-12-22"


def test_without_start_date_or_state_history_is_discovered_back_to_its_start(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    config = base_config(
        emulator, app_ids=["ios", "android"], include_workspace_total=False, end_date="2024-12-31"
    )
    run = run_tap(config, tmp_path)
    assert run.returncode == 0, run.stderr
    today = dt.date(2024, 12, 31)
    assert run.days("ios") == emulator.expected("ios", dt.date(2023, 1, 1), today)
    assert run.days("android") == emulator.expected("android", dt.date(2024, 3, 15), today)
    # ios: 730 days -> 8 windows, the 8th showing where history starts; android: 292 days
    # -> 3 windows, the 3rd partial. Nothing further back is requested.
    by_series = {
        s: [r for r in emulator.dau_requests() if r.app_id == s] for s in ("ios", "android")
    }
    assert len(by_series["ios"]) == 8
    assert len(by_series["android"]) == 3
    assert_states_claim_only_emitted(run)


def test_discovery_stops_at_an_empty_window(tmp_path: Path, reading: str) -> None:
    """History beginning exactly on the first day a window asks for: the next, empty,
    window ends the walk (windows of 50 from the day after today: 2024-11-12..2025-01-01,
    2024-09-23..2024-11-11, ...)."""
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"web": dt.date(2024, 9, 23)},
        today=dt.date(2024, 12, 31),
        ending_at_reading=reading,
    ) as braze:
        run = run_tap(
            base_config(
                braze,
                app_ids=["web"],
                include_workspace_total=False,
                window_days=50,
                end_date="2024-12-31",
            ),
            tmp_path,
        )
        assert run.returncode == 0, run.stderr
        assert run.days("web") == braze.expected("web", dt.date(2024, 9, 23), dt.date(2024, 12, 31))
        assert len(braze.dau_requests()) == 3  # 2 windows with data, then an empty one


def test_discovery_stops_at_max_history_days(tmp_path: Path, reading: str) -> None:
    """Braze may report zeros before an app existed: max_history_days bounds the walk."""
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"web": dt.date(2024, 1, 1)},
        today=dt.date(2024, 12, 31),
        pre_history="zeros",
        ending_at_reading=reading,
    ) as braze:
        config = base_config(
            braze,
            app_ids=["web"],
            include_workspace_total=False,
            max_history_days=500,
            end_date="2024-12-31",
        )
        run = run_tap(config, tmp_path)
        assert run.returncode == 0, run.stderr
        days = run.days("web")
        assert len(days) == 500
        assert min(days) == (dt.date(2024, 12, 31) - dt.timedelta(days=499)).isoformat()
        assert len(braze.dau_requests()) == 6  # 500 days and the one after, by 100


def test_discovery_walks_on_through_windows_of_zeros(tmp_path: Path, reading: str) -> None:
    """Zeros are not the end of history (an idle app reports them too): the walk goes on
    past whole windows of zeros, to max_history_days, not to the first such window."""
    today = dt.date(2024, 12, 31)
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"web": dt.date(2024, 10, 1)},  # zeros from 2024-09-30 back
        today=today,
        pre_history="zeros",
        ending_at_reading=reading,
    ) as braze:
        config = base_config(
            braze,
            app_ids=["web"],
            include_workspace_total=False,
            max_history_days=1000,
            end_date=today.isoformat(),
        )
        run = run_tap(config, tmp_path)
        assert run.returncode == 0, run.stderr
        days = run.days("web")
        assert len(days) == 1000
        assert min(days) == (today - dt.timedelta(days=999)).isoformat()
        zeros = [day for day, value in days.items() if value == 0]
        assert len(zeros) == (dt.date(2024, 10, 1) - (today - dt.timedelta(days=999))).days
        assert len(braze.dau_requests()) == 11  # 1000 days and the next: 9 of 11 all zeros


def test_workspace_total_only_when_asked_with_app_ids(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    common: dict[str, Any] = {"start_date": "2024-12-30"}
    only_apps = run_tap(
        base_config(emulator, app_ids=["ios"], include_workspace_total=False, **common), tmp_path
    )
    assert {r["app_id"] for r in only_apps.records} == {"ios"}
    no_apps = run_tap(base_config(emulator, include_workspace_total=False, **common), tmp_path)
    assert {r["app_id"] for r in no_apps.records} == {WORKSPACE}
    # the workspace series is requested without app_id
    assert all("app_id" not in r.params for r in emulator.dau_requests() if r.app_id == WORKSPACE)


ZONES = [
    "UTC",
    "Pacific/Pago_Pago",
    "Pacific/Honolulu",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Vladivostok",
    "Asia/Magadan",
]
# dau in every zone; two of the other streams (one of them sessions, with its `unit`) in two
ZONE_CASES = [(zone, "dau") for zone in ZONES] + [
    ("Pacific/Honolulu", "mau"),
    ("Asia/Kolkata", "sessions"),
]


@pytest.mark.parametrize(("workspace_tz", "stream"), ZONE_CASES)
@pytest.mark.parametrize("configured", ["UTC", "workspace"])
def test_exactly_the_requested_days_whatever_the_workspace_zone(
    tmp_path: Path, workspace_tz: str, stream: str, configured: str, reading: str
) -> None:
    """Workspaces up to 11 hours from UTC, with `timezone` left at UTC or set to theirs,
    whichever way Braze reads ending_at."""
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2020, 1, 1)},
        workspace_tz=workspace_tz,
        today=dt.date(2024, 12, 31),
        ending_at_reading=reading,
    ) as braze:
        first, last = dt.date(2024, 3, 1), dt.date(2024, 11, 15)  # spans both DST changes
        config = base_config(
            braze,
            app_ids=["ios"],
            include_workspace_total=False,
            start_date=first.isoformat(),
            end_date=last.isoformat(),
            timezone=workspace_tz if configured == "workspace" else "UTC",
            window_days=37,
        )
        run = run_tap(config, tmp_path, catalog=catalog_selecting([stream]))
        assert run.returncode == 0, run.stderr
        assert run.days("ios", stream) == braze.expected("ios", first, last, stream)
        assert "Dropped" not in run.stderr


def test_end_date_defaults_to_today_in_the_configured_zone(tmp_path: Path, reading: str) -> None:
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2020, 1, 1)},
        workspace_tz="Asia/Tokyo",
        ending_at_reading=reading,
    ) as braze:
        before = dt.datetime.now(dt.timezone.utc).astimezone(braze.zone).date()
        run = run_tap(
            base_config(
                braze,
                app_ids=["ios"],
                include_workspace_total=False,
                timezone="Asia/Tokyo",
                start_date=before.isoformat(),
            ),
            tmp_path,
        )
        after = dt.datetime.now(dt.timezone.utc).astimezone(braze.zone).date()
        assert run.returncode == 0, run.stderr
        (request,) = braze.dau_requests()
        # the day after today: Braze answers today whichever way it reads ending_at
        tomorrow = {(day + dt.timedelta(days=1)).isoformat() for day in (before, after)}
        assert request.params["ending_at"][:10] in tomorrow
        assert request.params["ending_at"].endswith("T12:00:00+09:00")
        assert list(run.days("ios")) in ([before.isoformat()], [after.isoformat()])


def test_nothing_to_do_when_the_bookmark_is_past_end_date(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    state = state_with({"ios": "2024-12-31"})
    config = base_config(
        emulator,
        app_ids=["ios"],
        include_workspace_total=False,
        end_date="2024-06-01",
        lookback_days=3,
    )
    run = run_tap(config, tmp_path, state=state)
    assert run.returncode == 0, run.stderr
    assert run.records == []
    assert emulator.dau_requests() == []
    assert bookmark(run.last_state, "ios") == "2024-12-31"


def sync_refusing_the_future(
    tmp_path: Path,
    reading: str,
    *,
    start: dt.date,
    refusals: int,
    workspace: str = "UTC",
    app_since: dt.date = dt.date(2020, 1, 1),
    **settings: Any,
) -> None:
    """One sync of dau for "ios" against a Braze that refuses an `ending_at` in a day it
    has not begun: it succeeds after `refusals` 400s and one warning, and delivers every
    day from `start` to the workspace's today ("through"; its yesterday, "before"),
    whichever today the run ended in."""
    zone = ZoneInfo(workspace)
    before = dt.datetime.now(zone).date()
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": app_since},
        workspace_tz=workspace,
        ending_at_reading=reading,
        refuse_future_ending_at=True,
    ) as braze:
        config = base_config(braze, app_ids=["ios"], max_parallel_requests=1, **settings)
        run = run_tap(config, tmp_path)
        after = dt.datetime.now(zone).date()
        assert run.returncode == 0, run.stderr
        refused = [r for r in braze.dau_requests() if r.status == 400]
        assert len(refused) == refusals
        assert run.stderr.count("Braze refused ending_at") == 1
        for series in ("ios", WORKSPACE):
            wanted = [
                braze.expected(series, start, today - dt.timedelta(days=reading == "before"))
                for today in (before, after)
            ]
            assert run.days(series) in wanted


def test_an_end_date_ahead_costs_one_refusal_when_braze_refuses_the_future(
    tmp_path: Path, reading: str
) -> None:
    """With `end_date` weeks ahead, every window after today is ahead: the first one
    Braze refuses is asked again up to today, and every later one not at all."""
    today = dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=20)
    sync_refusing_the_future(
        tmp_path,
        reading,
        start=start,
        refusals=1,
        start_date=start.isoformat(),
        end_date=(today + dt.timedelta(days=40)).isoformat(),
        window_days=7,
    )


def test_a_refused_future_ending_at_is_asked_again_without_it(tmp_path: Path, reading: str) -> None:
    """Braze does not document what an ending_at in the future answers. Should it refuse
    the one the tap sends to get today (the day after it, see plan/windows.py), the tap
    asks for that window again without the future day, and for every later one directly:
    one refusal a run, every day up to yesterday delivered whichever way Braze reads
    ending_at, and today where it reads "through"; the run does not fail."""
    start = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=10)
    sync_refusing_the_future(
        tmp_path, reading, start=start, refusals=1, start_date=start.isoformat()
    )


def zones_a_day_apart(now: dt.datetime) -> tuple[str, str]:
    """A zone where it is now early morning (the tap's `timezone`) and one 8 hours west of
    it (the workspace's), where it is still the day before; Etc/GMT names are inverted."""

    def named(offset: int) -> str:
        return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"

    for local_hour in range(1, 7):
        for offset in ((local_hour - now.hour) % 24, (local_hour - now.hour) % 24 - 24):
            if -4 <= offset <= 14:
                return named(offset), named(offset - 8)
    msg = f"no zone pair for {now}"  # unreachable: 19 offsets cover one of 6 hours
    raise AssertionError(msg)


@pytest.mark.parametrize("first_run", ["from start_date", "history discovery"])
def test_a_refused_ending_at_still_ahead_in_a_workspace_west_of_the_zone(
    tmp_path: Path, reading: str, first_run: str
) -> None:
    """Early in the configured day, a workspace to its west has not begun it: asked
    without the day after, ending_at is still ahead there. Should Braze refuse that too,
    the tap steps back a day more instead of failing, and every later window ends there:
    every day up to the workspace's today arrives ("through"; its yesterday, "before").
    A walk back through history whose first window Braze takes no day of goes on."""
    configured, workspace = zones_a_day_apart(dt.datetime.now(dt.timezone.utc))
    start = dt.datetime.now(ZoneInfo(workspace)).date() - dt.timedelta(days=10)
    dates = (
        {"start_date": start.isoformat()}
        if first_run == "from start_date"
        else {"window_days": 2}  # the first window: the configured today and the day after
    )
    # the first series steps back twice, the others not at all
    sync_refusing_the_future(
        tmp_path,
        reading,
        start=start,
        refusals=2,
        workspace=workspace,
        app_since=start,
        timezone=configured,
        **dates,
    )
