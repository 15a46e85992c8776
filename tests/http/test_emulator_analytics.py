"""The emulator's analytics endpoints (events, purchases, segments, hourly sessions), its
rate-limit pools and its redirect fault behave as Braze documents them: the tap's tests for
those streams stand on it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from braze_emulator import WORKSPACE, BrazeEmulator, Fault, Segment
from tests.helpers import ROOT

KEY = "emulator-analytics-test-key"
TODAY = dt.date(2024, 12, 31)
UTC = dt.timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
EVENTS = {
    "signup": dt.date(2024, 6, 1),  # after the apps' first day
    "legacy": dt.date(2023, 1, 1),  # before it: the app's first day wins
    "purchase_started": dt.date(2024, 1, 1),
    "old_event": dt.date(2024, 1, 1),  # deleted between the list and the series request
}
PRODUCTS = {
    "sku-a": dt.date(2024, 3, 1),
    "sku-b": dt.date(2024, 5, 1),
    "sku-old": dt.date(2024, 1, 1),
}
SEGMENTS = {
    "seg-a": Segment("Power users", dt.date(2024, 2, 1), tags=("vip", "q1")),
    "seg-b": Segment("Untracked", dt.date(2024, 1, 1), analytics_tracking_enabled=False),
    "seg-c": Segment("Churned", dt.date(2024, 1, 1)),
    "seg-old": Segment("Deleted", dt.date(2024, 1, 1)),
}


def get(
    braze: BrazeEmulator, path: str, key: str | None = KEY, /, **params: str | int
) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.get(
        f"{braze.url}{path}", params=params, headers=headers, timeout=10, allow_redirects=False
    )


def emulator(**overrides: Any) -> BrazeEmulator:
    settings: dict[str, Any] = {
        "api_key": KEY,
        "apps": {"ios": dt.date(2024, 1, 1), "web": dt.date(2024, 2, 1)},
        "workspace_tz": "America/New_York",
        "today": TODAY,
        "events": EVENTS,
        "products": PRODUCTS,
        "segments": SEGMENTS,
        "deleted": ("old_event", "sku-old", "seg-old"),
    }
    settings.update(overrides)
    return BrazeEmulator(**settings)


@pytest.fixture
def braze() -> Iterator[BrazeEmulator]:
    with emulator() as b:
        yield b


def read_pages(braze: BrazeEmulator, path: str, key: str, **params: str) -> list[list[Any]]:
    """Every page from 0 to the first empty one."""
    pages: list[list[Any]] = []
    for page in range(100):
        answer = get(braze, path, page=page, **params)
        assert answer.status_code == 200
        body = answer.json()
        assert body["message"] == "success"
        pages.append(body[key])
        if not body[key]:
            return pages
    raise AssertionError("no empty page")


# -- lists ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "path", "size"),
    [
        ("events", "/events/list", 250),
        ("products", "/purchases/product_list", 100),
        ("segments", "/segments/list", 100),
    ],
)
def test_a_list_comes_in_full_pages_then_a_short_one_then_empty_ones(
    kind: str, path: str, size: int
) -> None:
    names = [f"{kind}-{n:04d}" for n in range(2 * size + 1)]
    first_day = dt.date(2024, 1, 1)
    dimensions: dict[str, Any] = {
        "events": dict.fromkeys(names, first_day) if kind == "events" else {},
        "products": dict.fromkeys(names, first_day) if kind == "products" else {},
        "segments": {name: Segment(name.upper(), first_day) for name in names}
        if kind == "segments"
        else {},
    }
    with emulator(deleted=(), **dimensions) as braze:
        pages = read_pages(braze, path, kind)
        past_the_end = get(braze, path, page=9).json()[kind]
    assert [len(page) for page in pages] == [size, size, 1, 0]
    assert past_the_end == []
    ids = [item["id"] if kind == "segments" else item for page in pages for item in page]
    assert ids == sorted(names)  # the order: ascending, no repeats
    assert {r.stream for r in braze.requests} == {kind}


def test_page_sizes_override_for_tests_with_few_items(braze: BrazeEmulator) -> None:
    with emulator(page_sizes={"events": 2, "products": 2, "segments": 3}) as small:
        events = read_pages(small, "/events/list", "events")
        products = read_pages(small, "/purchases/product_list", "products")
        segments = read_pages(small, "/segments/list", "segments")
    assert events == [["legacy", "old_event"], ["purchase_started", "signup"], []]
    assert products == [["sku-a", "sku-b"], ["sku-old"], []]
    assert [[s["id"] for s in page] for page in segments] == [
        ["seg-a", "seg-b", "seg-c"],
        ["seg-old"],
        [],
    ]


def test_page_defaults_to_the_first_and_a_bad_page_is_a_400(braze: BrazeEmulator) -> None:
    assert get(braze, "/events/list").json()["events"] == sorted(EVENTS)
    for page in ("-1", "x", ""):
        answer = get(braze, "/events/list", page=page)
        assert answer.status_code == 400
        assert answer.json()["message"] == "page must be a non-negative integer"


def test_segments_list_describes_each_segment_and_sorts_either_way(
    braze: BrazeEmulator,
) -> None:
    ascending = get(braze, "/segments/list").json()["segments"]
    assert ascending[0] == {
        "id": "seg-a",
        "name": "Power users",
        "analytics_tracking_enabled": True,
        "tags": ["vip", "q1"],
    }
    assert [s["id"] for s in ascending] == ["seg-a", "seg-b", "seg-c", "seg-old"]
    assert ascending[1]["analytics_tracking_enabled"] is False
    descending = get(braze, "/segments/list", sort_direction="desc").json()["segments"]
    assert descending == ascending[::-1]
    assert get(braze, "/segments/list", sort_direction="sideways").status_code == 400


# -- series ---------------------------------------------------------------------------------

SERIES = [
    # path, stream, value field, dimension parameter, dimension, app_id
    ("/events/data_series", "event_counts", "count", "event", "signup", "ios"),
    ("/events/data_series", "event_counts", "count", "event", "legacy", None),
    (
        "/purchases/quantity_series",
        "purchase_quantity",
        "purchase_quantity",
        "product",
        "sku-a",
        "web",
    ),
    ("/purchases/quantity_series", "purchase_quantity", "purchase_quantity", None, None, None),
    ("/purchases/revenue_series", "purchase_revenue", "revenue", "product", "sku-b", None),
    ("/purchases/revenue_series", "purchase_revenue", "revenue", None, None, "ios"),
    ("/segments/data_series", "segment_sizes", "size", "segment_id", "seg-a", None),
]


@pytest.mark.parametrize(("path", "stream", "value_field", "param", "dimension", "app_id"), SERIES)
def test_each_series_answers_what_expected_series_says(
    braze: BrazeEmulator,
    path: str,
    stream: str,
    value_field: str,
    param: str | None,
    dimension: str | None,
    app_id: str | None,
) -> None:
    params: dict[str, str | int] = {"length": 100, "ending_at": "2024-12-31T12:00:00-05:00"}
    if param and dimension:
        params[param] = dimension
    if app_id:
        params["app_id"] = app_id
    answer = get(braze, path, **params)
    assert answer.status_code == 200
    body = answer.json()
    assert body["message"] == "success"
    rows = body["data"]
    assert len(rows) == 100
    assert all(set(row) == {"time", value_field} for row in rows)
    first, last = dt.date(2024, 9, 23), TODAY
    assert [row["time"] for row in rows] == [
        (first + dt.timedelta(days=n)).isoformat() for n in range(100)
    ]
    series = app_id or WORKSPACE
    assert {row["time"]: row[value_field] for row in rows} == braze.expected_series(
        stream, first, last, app_id=series, dimension=dimension
    )
    logged = braze.data_requests(stream)[-1]
    assert (logged.stream, logged.app_id, logged.dimension, logged.status) == (
        stream,
        series,
        dimension,
        200,
    )
    assert (logged.first_day, logged.last_day) == (first.isoformat(), last.isoformat())


@pytest.mark.parametrize(
    ("path", "params", "first_time"),
    [
        # the event's first day is after the app's: the event's first day
        ("/events/data_series", {"event": "signup", "app_id": "ios"}, "2024-06-01"),
        # the event's first day is before the app's: the app's first day
        ("/events/data_series", {"event": "legacy", "app_id": "web"}, "2024-02-01"),
        ("/purchases/quantity_series", {"product": "sku-b"}, "2024-05-01"),
        # every product together: from the earliest product's first day
        ("/purchases/quantity_series", {}, "2024-01-01"),
        ("/segments/data_series", {"segment_id": "seg-a"}, "2024-02-01"),
    ],
)
def test_days_before_the_first_day_are_missing(
    braze: BrazeEmulator, path: str, params: dict[str, str], first_time: str
) -> None:
    first = dt.date.fromisoformat(first_time)
    ending = dt.datetime.combine(first + dt.timedelta(days=2), dt.time(12), NEW_YORK)
    rows = get(braze, path, length=10, ending_at=ending.isoformat(), **params).json()["data"]
    assert [row["time"] for row in rows] == [
        first_time,
        (first + dt.timedelta(days=1)).isoformat(),
        (first + dt.timedelta(days=2)).isoformat(),
    ]


def test_days_after_today_do_not_exist(braze: BrazeEmulator) -> None:
    rows = get(
        braze, "/events/data_series", event="signup", length=5, ending_at="2025-01-02T12:00:00Z"
    ).json()["data"]
    assert [row["time"] for row in rows] == ["2024-12-29", "2024-12-30", "2024-12-31"]


def test_every_product_together_counts_more_than_any_one_product(braze: BrazeEmulator) -> None:
    first, last = dt.date(2024, 6, 1), dt.date(2024, 9, 8)
    for stream in ("purchase_quantity", "purchase_revenue"):
        total = braze.expected_series(stream, first, last)
        for product in ("sku-a", "sku-b"):
            one = braze.expected_series(stream, first, last, dimension=product)
            assert all(total[day] > one[day] for day in one)


def test_revenue_is_an_amount_with_cents(braze: BrazeEmulator) -> None:
    rows = get(
        braze,
        "/purchases/revenue_series",
        product="sku-a",
        app_id="ios",
        length=100,
        ending_at="2024-12-31T12:00:00Z",
    ).json()["data"]
    amounts = [row["revenue"] for row in rows]
    assert all(isinstance(amount, float) and round(amount, 2) == amount for amount in amounts)
    with_cents = [amount for amount in amounts if amount != int(amount)]
    assert len(with_cents) > 90  # not whole numbers, most days


def test_a_revised_day_of_a_dimension_is_answered_and_expected(braze: BrazeEmulator) -> None:
    day = dt.date(2024, 12, 30)
    braze.revise(WORKSPACE, day, 10.07, "purchase_revenue", dimension="sku-a")
    braze.revise("ios", day, 7, "event_counts", dimension="signup")
    revenue = get(
        braze, "/purchases/revenue_series", product="sku-a", length=2, ending_at="2024-12-31"
    ).json()["data"]
    # ending_at 2024-12-31 is the midnight starting Dec 31 in New York: Dec 30 is the last
    assert revenue[-1] == {"time": "2024-12-30", "revenue": 10.07}
    assert braze.expected_series("purchase_revenue", day, day, dimension="sku-a") == {
        "2024-12-30": 10.07
    }
    # other products, and the total, are not revised
    assert braze.expected_series("purchase_revenue", day, day)["2024-12-30"] != 10.07
    counts = get(
        braze,
        "/events/data_series",
        event="signup",
        app_id="ios",
        length=1,
        ending_at="2024-12-30T12:00:00Z",
    ).json()["data"]
    assert counts == [{"time": "2024-12-30", "count": 7}]


# -- refusals -------------------------------------------------------------------------------

REFUSALS = [
    # path, parameter, value, status, message
    ("/events/data_series", "event", "nope", 400, "Event nope not found"),
    ("/events/data_series", "event", "old_event", 400, "Event old_event not found"),
    ("/purchases/quantity_series", "product", "nope", 404, "Product nope not found"),
    ("/purchases/revenue_series", "product", "sku-old", 404, "Product sku-old not found"),
    ("/segments/data_series", "segment_id", "nope", 404, "Segment nope not found"),
    ("/segments/data_series", "segment_id", "seg-old", 404, "Segment seg-old not found"),
    (
        "/segments/data_series",
        "segment_id",
        "seg-b",
        400,
        "Segment seg-b does not have analytics tracking enabled",
    ),
]


@pytest.mark.parametrize(("path", "param", "value", "status", "message"), REFUSALS)
def test_unknown_deleted_and_untracked_dimensions_are_refused(
    braze: BrazeEmulator, path: str, param: str, value: str, status: int, message: str
) -> None:
    answer = get(braze, path, length=3, **{param: value})
    assert answer.status_code == status
    assert answer.json()["message"] == message
    assert braze.requests[-1].status == status
    assert braze.requests[-1].dimension == value


def test_deleted_at_construction_are_still_listed(braze: BrazeEmulator) -> None:
    assert "old_event" in get(braze, "/events/list").json()["events"]
    assert "sku-old" in get(braze, "/purchases/product_list").json()["products"]
    assert "seg-old" in [s["id"] for s in get(braze, "/segments/list").json()["segments"]]
    first, last = dt.date(2024, 12, 1), TODAY
    assert braze.expected_series("event_counts", first, last, dimension="old_event") == {}
    assert braze.expected_series("segment_sizes", first, last, dimension="seg-b") == {}
    with pytest.raises(KeyError):
        braze.expected_series("event_counts", first, last, dimension="nope")


@pytest.mark.parametrize(
    ("value", "list_path", "key", "series_path", "param", "status"),
    [
        ("signup", "/events/list", "events", "/events/data_series", "event", 400),
        (
            "sku-a",
            "/purchases/product_list",
            "products",
            "/purchases/quantity_series",
            "product",
            404,
        ),
        ("seg-a", "/segments/list", "segments", "/segments/data_series", "segment_id", 404),
    ],
)
def test_a_dimension_deleted_or_stale_mid_run(
    braze: BrazeEmulator,
    value: str,
    list_path: str,
    key: str,
    series_path: str,
    param: str,
    status: int,
) -> None:
    def listed() -> list[str]:
        items = get(braze, list_path).json()[key]
        return [item["id"] if key == "segments" else item for item in items]

    assert get(braze, series_path, length=2, **{param: value}).status_code == 200
    braze.stale(value)
    assert value in listed()
    assert get(braze, series_path, length=2, **{param: value}).status_code == status
    braze.delete(value)
    assert value not in listed()
    assert get(braze, series_path, length=2, **{param: value}).status_code == status
    with pytest.raises(ValueError, match="not an event, product or segment"):
        braze.delete("never-existed")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/events/data_series", "event is required"),
        ("/segments/data_series", "segment_id is required"),
    ],
)
def test_a_required_dimension_missing_is_a_400(
    braze: BrazeEmulator, path: str, message: str
) -> None:
    answer = get(braze, path, length=3)
    assert answer.status_code == 400
    assert answer.json()["message"] == message


def test_segment_sizes_have_no_app_id_and_no_unit(braze: BrazeEmulator) -> None:
    answer = get(braze, "/segments/data_series", segment_id="seg-a", length=3, app_id="ios")
    assert answer.status_code == 400
    assert answer.json()["message"] == "app_id is not a parameter of this endpoint"
    answer = get(braze, "/segments/data_series", segment_id="seg-a", length=3, unit="day")
    assert answer.status_code == 400
    assert answer.json()["message"] == "unit is not a parameter of this endpoint"


def test_unit_is_accepted_on_events_and_purchases(braze: BrazeEmulator) -> None:
    for path, params in (
        ("/events/data_series", {"event": "signup"}),
        ("/purchases/quantity_series", {}),
        ("/purchases/revenue_series", {"product": "sku-a"}),
    ):
        assert get(braze, path, length=3, unit="day", **params).status_code == 200
        assert get(braze, path, length=3, unit="hour", **params).status_code == 200
        assert get(braze, path, length=3, unit="week", **params).status_code == 400


def test_an_unknown_app_id_is_a_400(braze: BrazeEmulator) -> None:
    answer = get(braze, "/events/data_series", event="signup", length=3, app_id="android")
    assert answer.status_code == 400
    assert answer.json()["message"] == "Invalid app_id: android"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/events/data_series", {"event": "signup"}),
        ("/purchases/quantity_series", {"product": "sku-a"}),
        ("/purchases/revenue_series", {}),
        ("/segments/data_series", {"segment_id": "seg-a"}),
    ],
)
@pytest.mark.parametrize(
    "bad",
    [{"length": 0}, {"length": 101}, {"length": "x"}, {}, {"length": 5, "ending_at": "yesterday"}],
)
def test_length_and_ending_at_are_checked_as_for_the_kpis(
    braze: BrazeEmulator, path: str, params: dict[str, str], bad: dict[str, str | int]
) -> None:
    answer = get(braze, path, **params, **bad)
    assert answer.status_code == 400
    assert answer.json()["message"]


def test_each_endpoint_needs_its_own_permission() -> None:
    with emulator(permissions={"events.list", "segments.data_series"}) as braze:
        statuses = {
            path: get(braze, path, length=1, event="signup", segment_id="seg-a").status_code
            for path in (
                "/events/list",
                "/events/data_series",
                "/purchases/product_list",
                "/purchases/quantity_series",
                "/purchases/revenue_series",
                "/segments/list",
                "/segments/data_series",
            )
        }
        assert get(braze, "/events/list", "wrong").status_code == 401
    assert statuses == {
        "/events/list": 200,
        "/events/data_series": 403,
        "/purchases/product_list": 403,
        "/purchases/quantity_series": 403,
        "/purchases/revenue_series": 403,
        "/segments/list": 403,
        "/segments/data_series": 200,
    }


# -- rate-limit pools -----------------------------------------------------------------------


def limits(answer: requests.Response) -> tuple[int, int, int]:
    headers = answer.headers
    return (
        int(headers["X-RateLimit-Limit"]),
        int(headers["X-RateLimit-Remaining"]),
        int(headers["X-RateLimit-Reset"]),
    )


def test_each_pool_counts_its_own_endpoints() -> None:
    with emulator(pool_limits={"lists": 2, "purchases": 3}, rate_limit=10) as braze:
        lists = [get(braze, path) for path in ("/events/list", "/purchases/product_list") * 2]
        kpi = get(braze, "/kpi/dau/data_series", length=1)
        events = get(braze, "/events/data_series", event="signup", length=1)
        segments = get(braze, "/segments/list")
        purchases = get(braze, "/purchases/quantity_series", length=1)
    assert [answer.status_code for answer in lists] == [200, 200, 429, 429]
    assert [limits(answer)[:2] for answer in lists] == [(2, 1), (2, 0), (2, 0), (2, 0)]
    assert lists[2].json()["message"] == "Rate limit exceeded"
    # exhausting `lists` leaves the default pool (and the purchases one) answering
    assert [kpi.status_code, events.status_code, segments.status_code] == [200, 200, 200]
    assert [limits(kpi)[:2], limits(events)[:2], limits(segments)[:2]] == [
        (10, 9),
        (10, 8),
        (10, 7),
    ]
    assert purchases.status_code == 200
    assert limits(purchases)[:2] == (3, 2)
    assert [(r.pool, r.remaining) for r in braze.requests] == [
        ("lists", 1),
        ("lists", 0),
        ("lists", 0),
        ("lists", 0),
        ("default", 9),
        ("default", 8),
        ("default", 7),
        ("purchases", 2),
    ]
    refusal = braze.pool_requests("lists")[2]
    assert refusal.status == 429
    assert refusal.reset_sent == limits(lists[2])[2]


def test_a_pool_period_sets_its_reset() -> None:
    with emulator(pool_periods={"purchases": 60}) as braze:
        before = time.time()
        purchases = get(braze, "/purchases/revenue_series", length=1)
        kpi = get(braze, "/kpi/dau/data_series", length=1)
    assert limits(purchases)[0] == 1000
    assert before < limits(purchases)[2] <= before + 61
    assert limits(kpi)[0] == 250_000
    assert limits(kpi)[2] % 3600 == 0


def test_unknown_pools_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="unknown pools"):
        BrazeEmulator(pool_limits={"default": 3})
    with pytest.raises(ValueError, match="unknown pools"):
        BrazeEmulator(pool_periods={"nope": 3})


def test_a_429_fault_can_match_one_pool(braze: BrazeEmulator) -> None:
    braze.add_fault(Fault("status", status=429, pool="purchases", count=-1, reset_in=5))
    refused = get(braze, "/purchases/quantity_series", length=1)
    assert refused.status_code == 429
    assert limits(refused)[2] >= int(time.time()) + 3
    assert get(braze, "/purchases/revenue_series", length=1).status_code == 429
    assert get(braze, "/events/list").status_code == 200
    assert get(braze, "/kpi/dau/data_series", length=1).status_code == 200
    assert [r.status for r in braze.requests] == [429, 429, 200, 200]
    assert braze.requests[0].reset_sent is not None


def test_faults_on_a_list_use_the_list_key(braze: BrazeEmulator) -> None:
    braze.add_fault(Fault("no_data", stream="events"))
    braze.add_fault(Fault("rows", stream="products", transform=lambda items: items[:1]))
    assert get(braze, "/events/list").json() == {"message": "success"}
    assert get(braze, "/purchases/product_list").json()["products"] == ["sku-a"]
    assert get(braze, "/events/list").json()["events"] == sorted(EVENTS)


# -- hourly sessions ------------------------------------------------------------------------

DST_DAYS = [
    # the day, its hours in New York, the local hours' offsets
    (dt.date(2024, 3, 10), 23),  # clocks go forward: no 02:00
    (dt.date(2024, 11, 3), 25),  # clocks go back: 01:00 twice
]


def local_day_hours(day: dt.date) -> list[dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), NEW_YORK).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), NEW_YORK).astimezone(UTC)
    hours = []
    while start < end:
        hours.append(start)
        start += dt.timedelta(hours=1)
    return hours


@pytest.mark.parametrize("time_format", ["offset", "utc", "naive"])
@pytest.mark.parametrize(("day", "hours"), DST_DAYS)
def test_hourly_sessions_across_a_daylight_saving_change(
    time_format: str, day: dt.date, hours: int
) -> None:
    utc_hours = local_day_hours(day)
    assert len(utc_hours) == hours
    last_local = dt.datetime.combine(day, dt.time(23, 59), NEW_YORK)
    with emulator(hourly_time_format=time_format) as braze:
        answer = get(
            braze,
            "/sessions/data_series",
            app_id="ios",
            unit="hour",
            length=hours,
            ending_at=last_local.isoformat(),
        )
        assert answer.status_code == 200
        rows = answer.json()["data"]
        expected = braze.expected_hourly("ios", utc_hours[0], utc_hours[-1])
    times = [row["time"] for row in rows]
    assert len(rows) == hours
    if time_format == "offset":
        assert times == [hour.astimezone(NEW_YORK).isoformat() for hour in utc_hours]
        assert times[0].endswith("-05:00" if day.month == 3 else "-04:00")
        assert times[-1].endswith("-04:00" if day.month == 3 else "-05:00")
        moments = [dt.datetime.fromisoformat(t).astimezone(UTC) for t in times]
    elif time_format == "utc":
        assert times == [hour.strftime("%Y-%m-%dT%H:%M:%SZ") for hour in utc_hours]
        moments = [dt.datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times]
    else:
        naive = [hour.astimezone(NEW_YORK).replace(tzinfo=None).isoformat() for hour in utc_hours]
        assert times == naive
        assert all(t.startswith(day.isoformat()) for t in times)
        if hours == 23:
            assert f"{day}T02:00:00" not in times
        else:
            assert times.count(f"{day}T01:00:00") == 2
        moments = utc_hours
    assert moments == utc_hours  # each hour once, in order, one hour apart
    assert list(expected) == [hour.strftime("%Y-%m-%dT%H:%M:%SZ") for hour in utc_hours]
    assert [row["sessions"] for row in rows] == list(expected.values())
    assert braze.requests[-1].stream == "sessions_hourly"
    assert braze.data_requests("sessions") == []


def test_hourly_points_start_at_the_first_local_midnight_and_end_with_today() -> None:
    with emulator() as braze:
        start = get(
            braze,
            "/sessions/data_series",
            app_id="ios",
            unit="hour",
            length=5,
            ending_at="2024-01-01T02:30:00-05:00",
        ).json()["data"]
        end = get(
            braze,
            "/sessions/data_series",
            unit="hour",
            length=5,
            ending_at="2025-01-01T02:30:00-05:00",
        ).json()["data"]
        first, last = dt.datetime(2023, 12, 31, 20, tzinfo=UTC), dt.datetime(2025, 1, 2, tzinfo=UTC)
        assert list(
            braze.expected_hourly("ios", first, dt.datetime(2024, 1, 1, 7, tzinfo=UTC))
        ) == [
            "2024-01-01T05:00:00Z",
            "2024-01-01T06:00:00Z",
            "2024-01-01T07:00:00Z",
        ]
        assert list(
            braze.expected_hourly(WORKSPACE, dt.datetime(2025, 1, 1, 3, tzinfo=UTC), last)
        ) == [
            "2025-01-01T03:00:00Z",
            "2025-01-01T04:00:00Z",
        ]
    assert [row["time"] for row in start] == [
        "2024-01-01T00:00:00-05:00",
        "2024-01-01T01:00:00-05:00",
        "2024-01-01T02:00:00-05:00",
    ]
    assert [row["time"] for row in end] == [
        "2024-12-31T22:00:00-05:00",
        "2024-12-31T23:00:00-05:00",
    ]


def test_hourly_length_counts_hours_up_to_100(braze: BrazeEmulator) -> None:
    query = {"unit": "hour", "ending_at": "2024-12-20T12:00:00Z"}
    assert len(get(braze, "/sessions/data_series", length=100, **query).json()["data"]) == 100
    assert get(braze, "/sessions/data_series", length=101, **query).status_code == 400


def test_hourly_events_and_revenue(braze: BrazeEmulator) -> None:
    query: dict[str, str | int] = {"unit": "hour", "length": 3, "ending_at": "2024-12-20T12:30:00Z"}
    counts = get(braze, "/events/data_series", event="signup", **query).json()["data"]
    revenue = get(braze, "/purchases/revenue_series", product="sku-a", **query).json()["data"]
    first, last = (
        dt.datetime(2024, 12, 20, 10, tzinfo=UTC),
        dt.datetime(2024, 12, 20, 12, tzinfo=UTC),
    )
    assert [row["count"] for row in counts] == list(
        braze.expected_hourly(
            WORKSPACE, first, last, stream="event_counts", dimension="signup"
        ).values()
    )
    assert [row["revenue"] for row in revenue] == list(
        braze.expected_hourly(
            WORKSPACE, first, last, stream="purchase_revenue", dimension="sku-a"
        ).values()
    )
    assert [r.stream for r in braze.requests] == ["event_counts_hourly", "purchase_revenue_hourly"]


# -- redirects, the CLI and the control API -------------------------------------------------


def test_the_redirect_fault(braze: BrazeEmulator) -> None:
    braze.add_fault(Fault("redirect", stream="events"))
    braze.add_fault(Fault("redirect", status=307, location="http://127.0.0.2:9/steal"))
    found = get(braze, "/events/list", page=1)
    assert found.status_code == 302
    assert found.headers["Location"] == "https://rest.elsewhere.example/events/list?page=1"
    assert "X-RateLimit-Remaining" in found.headers
    moved = get(braze, "/kpi/dau/data_series", length=1)
    assert moved.status_code == 307
    assert moved.headers["Location"] == "http://127.0.0.2:9/steal"
    assert [(r.status, r.fault) for r in braze.requests] == [(302, "redirect"), (307, "redirect")]
    assert get(braze, "/events/list").status_code == 200


def test_cli_dimensions_and_control_api(tmp_path: Path) -> None:
    url_file = tmp_path / "url"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "braze_emulator",
            "--api-key",
            KEY,
            "--today",
            "2024-12-31",
            "--event",
            "signup:2024-06-01",
            "--event",
            "app:open:2024-01-01",  # a name with a colon
            "--product",
            "sku-1:2024-02-01",
            "--segment",
            "seg-1:Power: users:2024-03-01",
            "--segment",
            "seg-2:Quiet:2024-03-01",
            "--untracked-segment",
            "seg-2",
            "--hourly-time-format",
            "utc",
            "--page-size",
            "events:1",
            "--pool-limit",
            "lists:5",
            "--url-file",
            str(url_file),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if url_file.exists() and url_file.read_text().strip():
                break
            time.sleep(0.1)
        url = url_file.read_text().strip()
        auth = {"Authorization": f"Bearer {KEY}"}

        def call(path: str, **params: str | int) -> requests.Response:
            return requests.get(f"{url}{path}", params=params, headers=auth, timeout=10)

        def control(path: str, payload: dict[str, Any]) -> int:
            answer = requests.post(f"{url}{path}", data=json.dumps(payload), timeout=10)
            return answer.status_code

        assert call("/events/list").json()["events"] == ["app:open"]
        assert call("/events/list", page=1).json()["events"] == ["signup"]
        assert call("/events/list").headers["X-RateLimit-Limit"] == "5"
        assert call("/purchases/product_list").json()["products"] == ["sku-1"]
        assert call("/segments/list").json()["segments"] == [
            {"id": "seg-1", "name": "Power: users", "analytics_tracking_enabled": True, "tags": []},
            {"id": "seg-2", "name": "Quiet", "analytics_tracking_enabled": False, "tags": []},
        ]
        assert call("/segments/data_series", segment_id="seg-2", length=1).status_code == 400
        hourly = call(
            "/sessions/data_series", unit="hour", length=1, ending_at="2024-12-01T10:20:00Z"
        )
        assert hourly.json()["data"][0]["time"] == "2024-12-01T10:00:00Z"
        revise = {
            "stream": "purchase_revenue",
            "day": "2024-12-30",
            "value": 10.07,
            "dimension": "sku-1",
        }
        assert control("/_emulator/revise", revise) == 200
        revenue = call(
            "/purchases/revenue_series", product="sku-1", length=1, ending_at="2024-12-30T12:00:00Z"
        )
        assert revenue.json()["data"] == [{"time": "2024-12-30", "revenue": 10.07}]
        assert control("/_emulator/stale", {"value": "signup"}) == 200
        assert call("/events/data_series", event="signup", length=1).status_code == 400
        assert control("/_emulator/delete", {"value": "sku-1"}) == 200
        assert call("/purchases/product_list").json()["products"] == []
        assert control("/_emulator/delete", {"value": "nothing"}) == 400
        seen = requests.get(f"{url}/_emulator/requests", timeout=10).json()
        assert {r["pool"] for r in seen} == {"lists", "default", "purchases"}
        assert all("remaining" in r and "dimension" in r for r in seen)
    finally:
        process.terminate()
        process.wait(timeout=10)
