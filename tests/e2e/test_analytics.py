"""The analytics streams end to end against the emulator: custom events, purchases,
segments, hourly sessions and the three lists; each stream where its behaviour differs."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import WORKSPACE, BrazeEmulator, Fault, LoggedRequest, Segment
from tap_braze_dau.streams import BY_NAME
from tests.helpers import (
    API_KEY,
    TapRun,
    all_bookmarks,
    assert_states_claim_only_emitted,
    base_config,
    catalog_selecting,
    run_tap,
)

FIRST, LAST = dt.date(2024, 1, 1), dt.date(2024, 6, 30)  # 182 days: 2 windows a series
UTC = dt.timezone.utc
EVENTS = {"login": dt.date(2023, 6, 1), "purchase_start": dt.date(2024, 3, 1)}
PRODUCTS = {"gold": dt.date(2023, 1, 1), "silver": dt.date(2024, 2, 10)}
SEGMENTS = {
    "seg-a": Segment("Active", dt.date(2023, 1, 1), True, ("core",)),
    "seg-b": Segment("Lapsed", dt.date(2024, 5, 1), True, ()),
    "seg-untracked": Segment("No tracking", dt.date(2023, 1, 1), False, ()),
}
APPS = {"ios": dt.date(2023, 1, 1), "android": dt.date(2024, 2, 1)}
#: (stream, its dimension column or None) of every daily series stream of this issue.
DIMENSIONED = [
    ("event_counts", "event"),
    ("purchase_quantity", "product_id"),
    ("purchase_revenue", "product_id"),
    ("segment_sizes", "segment_id"),
]


def emulator(**overrides: Any) -> BrazeEmulator:
    settings: dict[str, Any] = {
        "api_key": API_KEY,
        "apps": APPS,
        "workspace_first_day": dt.date(2023, 1, 1),
        "today": LAST,
        "events": EVENTS,
        "products": PRODUCTS,
        "segments": SEGMENTS,
    }
    settings.update(overrides)
    return BrazeEmulator(**settings)


def config(braze: BrazeEmulator, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "app_ids": ["ios", "android"],
        "start_date": FIRST.isoformat(),
        "end_date": LAST.isoformat(),
    }
    settings.update(overrides)
    return base_config(braze, **settings)


def sync(
    braze: BrazeEmulator,
    tmp_path: Path,
    streams: list[str],
    *,
    state: dict[str, Any] | None = None,
    **overrides: Any,
) -> TapRun:
    run = run_tap(
        config(braze, **overrides), tmp_path, catalog=catalog_selecting(streams), state=state
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def by_key(run: TapRun, stream: str) -> dict[tuple[str, ...], Any]:
    """{key: value} of a stream's records; fails on a key written twice."""
    declaration = BY_NAME[stream]
    value = declaration.values[0].name
    found: dict[tuple[str, ...], Any] = {}
    for record in run.records_of(stream):
        key = tuple(record[column] for column in declaration.key_columns)
        assert None not in key
        assert key not in found, f"{stream} {key} written twice"
        found[key] = record[value]
    return found


def expected(
    braze: BrazeEmulator, stream: str, column: str, value: str | None, app: str
) -> dict[str, Any]:
    dimension = None if value in ("_all", None) else value
    app_id = WORKSPACE if app == "_workspace" else app
    return braze.expected_series(stream, FIRST, LAST, app_id=app_id, dimension=dimension)


@pytest.mark.parametrize(("stream", "column"), DIMENSIONED)
def test_every_series_of_a_dimension_arrives_exactly_once_in_the_fewest_requests(
    tmp_path: Path, stream: str, column: str, reading: str
) -> None:
    with emulator(ending_at_reading=reading) as braze:
        run = sync(braze, tmp_path, [stream])
        got = by_key(run, stream)
        apps = ["_workspace"] if stream == "segment_sizes" else ["ios", "android", "_workspace"]
        values = {
            "event": list(EVENTS),
            "product_id": [*PRODUCTS, "_all"],
            "segment_id": ["seg-a", "seg-b"],  # not the segment without tracking
        }[column]
        want: dict[tuple[str, ...], Any] = {}
        for value in values:
            for app in apps:
                series = expected(braze, stream, column, value, app)
                for day, number in series.items():
                    key = (value, day) if stream == "segment_sizes" else (value, app, day)
                    want[key] = number
        assert got == want
        assert "Dropped" not in run.stderr
        assert_states_claim_only_emitted(run)
        # one request per window of each series: two windows of 100 days or less (182
        # days and the one after, see plan/windows.py)
        series_requests = braze.data_requests(stream)
        assert len(series_requests) == 2 * len(values) * len(apps)
        asked = Counter((r.dimension, r.app_id, r.first_day) for r in series_requests)
        assert max(asked.values()) == 1
        assert all(r.status == 200 for r in braze.requests)


def test_revenue_is_a_number_exactly_as_braze_sent_it(tmp_path: Path) -> None:
    with emulator() as braze:
        run = sync(braze, tmp_path, ["purchase_revenue"], app_ids=["ios"])
        amounts = [r["revenue"] for r in run.records_of("purchase_revenue")]
        assert any(isinstance(a, float) and a != int(a) for a in amounts)
        schema = next(
            m for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == "purchase_revenue"
        )
        assert "number" in schema["schema"]["properties"]["revenue"]["type"]


def test_the_lists_are_read_whole_once_per_run_even_when_two_streams_need_them(
    tmp_path: Path,
) -> None:
    events = {f"event-{n:03d}": dt.date(2024, 6, 1) for n in range(260)}  # two pages of 250
    with emulator(events=events) as braze:
        run = sync(braze, tmp_path, ["events", "event_counts", "products", "segments"])
        assert sorted(r["name"] for r in run.records_of("events")) == sorted(events)
        assert [r.params.get("page") for r in braze.data_requests("events")] == ["0", "1"]
        # products: 100 a page undocumented, so page 0 of 2 items is confirmed by an empty one
        assert [r.params.get("page") for r in braze.data_requests("products")] == ["0", "1"]
        assert sorted(r["product_id"] for r in run.records_of("products")) == sorted(PRODUCTS)
        segments = run.records_of("segments")
        assert {r["segment_id"]: r["analytics_tracking_enabled"] for r in segments} == {
            "seg-a": True,
            "seg-b": True,
            "seg-untracked": False,
        }
        assert next(r for r in segments if r["segment_id"] == "seg-a")["tags"] == ["core"]
        assert all(r.params.get("sort_direction") == "asc" for r in braze.data_requests("segments"))
        assert {r.dimension for r in braze.data_requests("event_counts")} == set(events)


def test_named_values_are_synced_without_reading_the_list(tmp_path: Path) -> None:
    with emulator() as braze:
        run = sync(
            braze,
            tmp_path,
            ["event_counts", "purchase_quantity", "segment_sizes"],
            event_names=["login"],
            product_ids=["silver"],
            segment_ids=["seg-b"],
        )
        assert braze.data_requests("events") == []
        assert braze.data_requests("products") == []
        assert braze.data_requests("segments") == []
        assert {r["event"] for r in run.records_of("event_counts")} == {"login"}
        assert {r["product_id"] for r in run.records_of("purchase_quantity")} == {"silver", "_all"}
        assert {r["segment_id"] for r in run.records_of("segment_sizes")} == {"seg-b"}


def test_a_value_deleted_mid_run_is_skipped_with_one_warning_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    with emulator() as braze:
        # login's first series request succeeds; then login is deleted
        braze.add_fault(
            Fault(
                "status",
                status=400,
                message="Event login not found",
                stream="event_counts",
                dimension="login",
                skip=1,
                count=-1,
            )
        )
        run = sync(braze, tmp_path, ["event_counts"], app_ids=["ios"], max_parallel_requests=1)
        warnings = [line for line in run.stderr.splitlines() if "Skipped" in line]
        assert len(warnings) == 2, warnings  # one per refused series: login x (ios, workspace)
        assert all("Event login not found" in line for line in warnings)
        records = run.records_of("event_counts")
        # purchase_start is whole; login has the one window delivered before the refusal
        other = by_key(run, "event_counts")
        assert {k for k in other if k[0] == "purchase_start"}
        login_days = sorted(
            r["time"] for r in records if r["event"] == "login" and r["app_id"] == "ios"
        )
        assert login_days == [
            d
            for d in sorted(expected(braze, "event_counts", "event", "login", "ios"))
            if d <= login_days[-1]
        ]
        # the refused series' bookmark is where its last delivered record put it, or absent
        state = run.last_state or {}
        partitions = state["bookmarks"]["event_counts"]["partitions"]
        by_context = {
            (p["context"]["event"], p["context"]["app_id"]): p.get("replication_key_value")
            for p in partitions
        }
        assert by_context[("login", "ios")] == login_days[-1]
        assert by_context.get(("login", "_workspace")) is None
        assert by_context[("purchase_start", "ios")] == LAST.isoformat()
        assert_states_claim_only_emitted(run)


def test_a_deleted_value_sends_nothing_after_its_refusal(tmp_path: Path) -> None:
    with emulator() as braze:
        braze.stale("gold")  # listed, but refused by its series endpoint
        run = sync(braze, tmp_path, ["purchase_quantity"], app_ids=[], max_parallel_requests=1)
        gold = [r for r in braze.data_requests("purchase_quantity") if r.dimension == "gold"]
        assert len(gold) == 1  # the refusal; the series' second window is never asked
        assert gold[0].status == 404
        assert not [r for r in run.records_of("purchase_quantity") if r["product_id"] == "gold"]
        assert {r["product_id"] for r in run.records_of("purchase_quantity")} == {"silver", "_all"}


def test_a_segment_without_tracking_named_in_the_settings_is_skipped_with_a_warning(
    tmp_path: Path,
) -> None:
    with emulator() as braze:
        run = sync(braze, tmp_path, ["segment_sizes"], segment_ids=["seg-untracked", "seg-a"])
        assert "does not have analytics tracking enabled" in run.stderr
        assert {r["segment_id"] for r in run.records_of("segment_sizes")} == {"seg-a"}


def test_a_403_fails_the_run_naming_the_streams_permission(tmp_path: Path) -> None:
    with emulator(permissions={"events.list", "purchases.product_list"}) as braze:
        run = run_tap(config(braze), tmp_path, catalog=catalog_selecting(["event_counts"]))
        assert run.returncode == 1
        assert "events.data_series" in run.stderr
        assert "'event_counts'" in run.stderr


def test_a_list_the_key_may_not_read_fails_naming_the_list_permission_and_the_setting(
    tmp_path: Path,
) -> None:
    with emulator(permissions={"events.data_series"}) as braze:
        run = run_tap(config(braze), tmp_path, catalog=catalog_selecting(["event_counts"]))
        assert run.returncode == 1
        assert "events.list" in run.stderr
        assert "event_counts" in run.stderr


def test_a_new_value_is_backfilled_next_run_and_a_vanished_one_keeps_its_bookmark(
    tmp_path: Path,
) -> None:
    with emulator() as braze:
        first = sync(braze, tmp_path, ["event_counts"], app_ids=[], event_names=["login"])
        state = first.last_state
        assert state is not None
    events = {"purchase_start": EVENTS["purchase_start"], "signup": dt.date(2024, 1, 15)}
    with emulator(events=events) as braze:
        second = sync(braze, tmp_path, ["event_counts"], app_ids=[], state=state)
        signup = [r for r in braze.data_requests("event_counts") if r.dimension == "signup"]
        assert min(r.first_day or "" for r in signup) == FIRST.isoformat()  # from start_date
        assert {r["event"] for r in second.records_of("event_counts")} == {
            "purchase_start",
            "signup",
        }
        final = second.last_state or {}
        partitions = final["bookmarks"]["event_counts"]["partitions"]
        kept = {p["context"]["event"]: p.get("replication_key_value") for p in partitions}
        assert kept["login"] == LAST.isoformat()  # login is gone from Braze: bookmark kept
        assert kept["signup"] == LAST.isoformat()


# -- sessions by hour ---------------------------------------------------------------------


def hours_of(run: TapRun, app_id: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for record in run.records_of("sessions_hourly"):
        if record["app_id"] == app_id:
            assert record["time"] not in found
            found[record["time"]] = record["sessions"]
    return found


@pytest.mark.parametrize("time_format", ["offset", "utc", "naive"])
def test_hourly_sessions_arrive_once_per_utc_hour_in_any_timestamp_form(
    tmp_path: Path, time_format: str, reading: str
) -> None:
    zone = "Europe/Paris"
    day = dt.date(2024, 10, 27)  # clocks go back: 25 hours
    with emulator(
        workspace_tz=zone, hourly_time_format=time_format, today=day, ending_at_reading=reading
    ) as braze:
        run = sync(
            braze,
            tmp_path,
            ["sessions_hourly"],
            app_ids=["ios"],
            start_date="2024-10-20",
            end_date=day.isoformat(),
            timezone=zone,
        )
        first = dt.datetime(2024, 10, 19, 22, tzinfo=UTC)  # midnight in Paris (CEST)
        last = dt.datetime(2024, 10, 27, 22, tzinfo=UTC)  # 23:00 in Paris (CET)
        for app in ("ios", WORKSPACE):
            got = hours_of(run, "_workspace" if app == WORKSPACE else app)
            assert got == braze.expected_hourly(app, first, last)
            assert len(got) == 8 * 24 + 1
        assert "Dropped" not in run.stderr
        # 193 hours and the one after: two requests of at most 100 hours a series
        assert len(braze.data_requests("sessions_hourly")) == 4
        bookmarks = all_bookmarks(run.last_state or {})
        assert bookmarks[("sessions_hourly", "ios")] == "2024-10-27T22:00:00Z"


def test_hourly_sessions_resume_from_the_bookmarked_hour_minus_the_look_back(
    tmp_path: Path,
) -> None:
    with emulator(today=dt.date(2024, 3, 5)) as braze:
        state = {
            "bookmarks": {
                "sessions_hourly": {
                    "partitions": [
                        {
                            "context": {"app_id": "_workspace"},
                            "replication_key": "time",
                            "replication_key_value": "2024-03-04T06:00:00Z",
                        }
                    ]
                }
            }
        }
        run = sync(
            braze,
            tmp_path,
            ["sessions_hourly"],
            app_ids=[],
            state=state,
            lookback_days=1,
            end_date="2024-03-05",
        )
        got = hours_of(run, "_workspace")
        assert min(got) == "2024-03-03T06:00:00Z"
        assert max(got) == "2024-03-05T23:00:00Z"
        assert len(got) == 24 + 42


# -- rate-limit pools -----------------------------------------------------------------------


def test_a_429_on_the_purchases_pool_pauses_only_the_purchases(tmp_path: Path) -> None:
    with emulator(latency=0.02) as braze:
        braze.add_fault(Fault("status", status=429, reset_in=2.0, pool="purchases", count=1))
        # purchases sync before sessions (by name): the sessions wait behind them unless
        # the fetcher lets another pool's requests go while one pool is held
        run = sync(
            braze,
            tmp_path,
            ["purchase_quantity", "sessions"],
            app_ids=["ios"],
            start_date="2023-01-01",
        )
        limited = next(r for r in braze.requests if r.status == 429)
        # requests already in flight when the 429 came land within its answer's latency
        settled = limited.at + 0.5
        resumed = min(r.at for r in braze.pool_requests("purchases") if r.at > settled)
        others = [r for r in braze.pool_requests("default") if limited.at < r.at < resumed]
        assert limited.reset_sent is not None
        assert resumed >= limited.reset_sent  # purchases waited for the announced reset
        assert len(others) == 12, "the default pool kept going while purchases waited"
        assert "Rate limited" in run.stderr


def test_pacing_leaves_the_reserve_and_never_meets_a_429(tmp_path: Path) -> None:
    """A backfill of 54 purchase requests (9 series x 6 windows) through a pool of 20 a
    3 s period, paced at a 25% reserve (15 a period): wherever the periods fall, some
    period fills up to the reserve, and the tap waits for its reset instead of draining
    the pool."""
    with emulator(pool_limits={"purchases": 20}, pool_periods={"purchases": 3}) as braze:
        run = sync(
            braze,
            tmp_path,
            ["purchase_quantity"],
            start_date="2023-01-01",
            rate_limit_reserve=0.25,
            max_parallel_requests=2,
        )
        requests = braze.pool_requests("purchases")
        assert len(requests) == 9 * 6
        assert all(r.status == 200 for r in requests)
        lowest = min(r.remaining for r in requests if r.remaining is not None)
        assert lowest >= 20 * 0.25 - 2  # below the reserve by at most max_parallel_requests
        waits = [line for line in run.stderr.splitlines() if "rate_limit_reserve" in line]
        assert waits, "the wait is logged"
        assert "pool 'purchases'" in waits[0]
        assert "until" in waits[0]


def concurrency(requests: list[LoggedRequest]) -> int:
    """The most requests in flight at one instant, by the emulator's log (from a request's
    arrival to its answer)."""
    edges = sorted([(r.arrived, 1) for r in requests] + [(r.at, -1) for r in requests])
    in_flight = most = 0
    for _instant, change in edges:
        in_flight += change
        most = max(most, in_flight)
    return most


def test_a_pool_that_waits_holds_only_its_own_requests(tmp_path: Path) -> None:
    """Event counts, purchase quantities and segment sizes, max_parallel_requests at its
    default (4); the purchases pool answers 429 to every request for 5 s, until its
    X-RateLimit-Reset. The segment sizes come after the purchases in the SDK's order, in
    the default pool: they are all sent while the purchases wait, 4 at a time, and the
    output is the one a sequential run writes."""
    streams = ["event_counts", "purchase_quantity", "segment_sizes"]
    with emulator(latency=0.3) as braze:
        braze.add_fault(Fault("status", status=429, pool="purchases", count=-1, closes_for=5))
        run = sync(braze, tmp_path, streams, start_date="2023-01-01")
        refused = [r for r in braze.pool_requests("purchases") if r.status == 429]
        assert refused, "the purchases pool was never closed: the test proves nothing"
        (reset,) = {r.reset_sent for r in refused}
        assert reset is not None
        closed = min(r.arrived for r in refused)
        segments = braze.data_requests("segment_sizes")
        assert len(segments) == 2 * 6
        assert all(r.arrived < reset for r in segments), "segment sizes waited for purchases"
        during = [r for r in braze.pool_requests("default") if closed <= r.arrived < reset]
        assert concurrency(during) == 4, "the other pool went on at full parallelism"
        assert all(r.arrived >= reset for r in braze.pool_requests("purchases")[len(refused) :])
    with emulator() as braze:
        sequential = sync(
            braze, tmp_path, streams, start_date="2023-01-01", max_parallel_requests=1
        )

    def without_time(messages: list[dict[str, Any]]) -> list[str]:
        return [json.dumps({k: v for k, v in m.items() if k != "time_extracted"}) for m in messages]

    assert without_time(run.messages) == without_time(sequential.messages)
