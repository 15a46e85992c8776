"""The emulator itself behaves like Braze's endpoint as documented, and its CLI and control
API work: the tests, `make demo` and the benchmark all stand on it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from braze_emulator import BrazeEmulator, Campaign, Canvas, Segment, value_for
from tests.helpers import ROOT

KEY = "emulator-test-key"


def get(url: str, key: str | None = KEY) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


@pytest.fixture
def braze() -> Any:
    with BrazeEmulator(
        api_key=KEY,
        apps={"ios": dt.date(2024, 1, 1)},
        workspace_tz="America/New_York",
        today=dt.date(2024, 12, 31),
    ) as b:
        yield b


def test_length_days_ending_at_the_day_of_ending_at_in_the_workspace_zone(braze: Any) -> None:
    # 03:00 UTC on Dec 11 is still Dec 10 in New York
    status, headers, body = get(
        f"{braze.url}/kpi/dau/data_series?length=3&app_id=ios&ending_at=2024-12-11T03:00:00Z"
    )
    assert status == 200
    assert body["message"] == "success"
    assert [row["time"] for row in body["data"]] == ["2024-12-08", "2024-12-09", "2024-12-10"]
    assert body["data"][0]["dau"] == value_for("ios", dt.date(2024, 12, 8))
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers)


# -- the two readings of ending_at (braze_emulator.clock.READINGS) ----------------------------

NEW_YORK, TOKYO = "America/New_York", "Asia/Tokyo"  # west and east of UTC

#: (workspace zone, ending_at, reading, the days answered) for length=2; New York is UTC-5
#: in December
READING_CASES = [
    (NEW_YORK, "2024-12-10T12:00:00-05:00", "through", ["2024-12-09", "2024-12-10"]),
    (NEW_YORK, "2024-12-10T12:00:00-05:00", "before", ["2024-12-08", "2024-12-09"]),
    # exactly midnight counts for the day before ("through"), as real answers to a bare
    # date showed; "before" reads it the same way
    (NEW_YORK, "2024-12-10T00:00:00-05:00", "through", ["2024-12-08", "2024-12-09"]),
    (NEW_YORK, "2024-12-10T00:00:00-05:00", "before", ["2024-12-08", "2024-12-09"]),
    (NEW_YORK, "2024-12-10T00:00:01-05:00", "through", ["2024-12-09", "2024-12-10"]),
    (NEW_YORK, "2024-12-10T23:59:59-05:00", "before", ["2024-12-08", "2024-12-09"]),
    # a bare date D is the midnight that starts D in the workspace zone: D-2..D-1, east
    # or west of UTC, under either reading, as real answers had it (read as midnight UTC
    # it would be D-3..D-2 in New York "before", D-1..D in Tokyo "through")
    (NEW_YORK, "2024-12-10", "through", ["2024-12-08", "2024-12-09"]),
    (NEW_YORK, "2024-12-10", "before", ["2024-12-08", "2024-12-09"]),
    (TOKYO, "2024-12-10", "through", ["2024-12-08", "2024-12-09"]),
    (TOKYO, "2024-12-10", "before", ["2024-12-08", "2024-12-09"]),
]


@pytest.mark.parametrize(("zone", "ending_at", "reading", "days"), READING_CASES)
@pytest.mark.parametrize("path", ["/kpi/dau/data_series", "/canvas/data_series"])
def test_each_reading_of_ending_at_for_days(
    zone: str, ending_at: str, reading: str, days: list[str], path: str
) -> None:
    with BrazeEmulator(
        api_key=KEY,
        apps={"ios": dt.date(2024, 1, 1)},
        workspace_tz=zone,
        today=dt.date(2024, 12, 31),
        ending_at_reading=reading,
        canvases={
            "cv": Canvas(
                "Onboarding",
                first_entry=dt.datetime(2024, 1, 2, 14),
                last_entry=dt.datetime(2024, 12, 30, 14),
            )
        },
    ) as braze:
        query = urllib.parse.urlencode({"length": 2, "ending_at": ending_at, "canvas_id": "cv"})
        if path != "/canvas/data_series":
            query = urllib.parse.urlencode({"length": 2, "ending_at": ending_at})
        status, _headers, body = get(f"{braze.url}{path}?{query}")
        assert status == 200, body
        rows = body["data"]["stats"] if path == "/canvas/data_series" else body["data"]
        assert [row["time"] for row in rows] == days
        assert (braze.requests[-1].first_day, braze.requests[-1].last_day) == (days[0], days[-1])


@pytest.mark.parametrize("reading", ["through", "before"])
@pytest.mark.parametrize("zone", [NEW_YORK, TOKYO])
def test_a_bare_date_is_the_midnight_starting_it_in_the_workspace_zone_everywhere(
    zone: str, reading: str
) -> None:
    """Hours, Canvas' `starting_at` and the future check read a bare date as the days do:
    the instant the day starts in the workspace zone."""
    with BrazeEmulator(
        api_key=KEY,
        apps={"ios": dt.date(2024, 1, 1)},
        workspace_tz=zone,
        today=dt.date(2024, 12, 31),
        ending_at_reading=reading,
        refuse_future_ending_at=True,
        canvases={
            "cv": Canvas(
                "Onboarding",
                first_entry=dt.datetime(2024, 1, 2, 14),
                last_entry=dt.datetime(2024, 12, 30, 14),
            )
        },
    ) as braze:
        # the last two hours of Dec 9 there
        query = urllib.parse.urlencode({"length": 2, "ending_at": "2024-12-10", "unit": "hour"})
        status, _headers, body = get(f"{braze.url}/sessions/data_series?{query}")
        assert status == 200, body
        midnight = dt.datetime(2024, 12, 10, tzinfo=ZoneInfo(zone))
        hours = [dt.datetime.fromisoformat(row["time"]) for row in body["data"]]
        assert hours == [midnight - dt.timedelta(hours=2), midnight - dt.timedelta(hours=1)]
        # starting_at D: from D on
        query = urllib.parse.urlencode(
            {"canvas_id": "cv", "starting_at": "2024-12-08", "ending_at": "2024-12-10"}
        )
        status, _headers, body = get(f"{braze.url}/canvas/data_series?{query}")
        assert status == 200, body
        assert [row["time"] for row in body["data"]["stats"]] == ["2024-12-08", "2024-12-09"]
        # today is never the future, tomorrow always is
        today = get(f"{braze.url}/kpi/dau/data_series?length=2&ending_at=2024-12-31")
        assert today[0] == 200
        tomorrow = get(f"{braze.url}/kpi/dau/data_series?length=2&ending_at=2025-01-01")
        assert (tomorrow[0], tomorrow[2]["message"]) == (400, "ending_at cannot be in the future")


@pytest.mark.parametrize(
    ("ending_at", "reading", "hours"),
    [
        ("2024-12-10T12:30:00Z", "through", ["11", "12"]),
        ("2024-12-10T12:30:00Z", "before", ["10", "11"]),
        ("2024-12-10T12:00:00Z", "through", ["10", "11"]),  # on the hour: none of it
        ("2024-12-10T12:00:00Z", "before", ["10", "11"]),
    ],
)
def test_each_reading_of_ending_at_for_hours(
    ending_at: str, reading: str, hours: list[str]
) -> None:
    with BrazeEmulator(
        api_key=KEY, apps={"ios": dt.date(2024, 1, 1)}, today=dt.date(2024, 12, 31)
    ) as braze:
        braze.ending_at_reading = reading
        query = urllib.parse.urlencode({"length": 2, "ending_at": ending_at, "unit": "hour"})
        status, _headers, body = get(f"{braze.url}/sessions/data_series?{query}")
        assert status == 200, body
        assert [row["time"] for row in body["data"]] == [
            f"2024-12-10T{hour}:00:00+00:00" for hour in hours
        ]


def test_a_future_ending_at_is_refused_only_when_asked_to() -> None:
    with BrazeEmulator(api_key=KEY, apps={"ios": dt.date(2024, 1, 1)}) as braze:
        today = dt.datetime.now(dt.timezone.utc).date()
        tomorrow = f"{today + dt.timedelta(days=1)}T12:00:00Z"
        assert get(f"{braze.url}/kpi/dau/data_series?length=2&ending_at={tomorrow}")[0] == 200
        braze.refuse_future_ending_at = True
        status, _headers, body = get(
            f"{braze.url}/kpi/dau/data_series?length=2&ending_at={tomorrow}"
        )
        assert (status, body["message"]) == (400, "ending_at cannot be in the future")
        noon = f"{today}T12:00:00Z"
        assert get(f"{braze.url}/kpi/dau/data_series?length=2&ending_at={noon}")[0] == 200


def test_an_unknown_reading_is_refused() -> None:
    with pytest.raises(ValueError, match="ending_at_reading"):
        BrazeEmulator(ending_at_reading="around")


@pytest.mark.parametrize(
    "query", ["length=0", "length=101", "length=x", "", "length=5&ending_at=yesterday"]
)
def test_bad_parameters_are_a_400_with_a_message(braze: Any, query: str) -> None:
    status, _headers, body = get(f"{braze.url}/kpi/dau/data_series?{query}")
    assert status == 400
    assert body["message"]


def test_auth(braze: Any) -> None:
    assert get(f"{braze.url}/kpi/dau/data_series?length=1", key=None)[0] == 401
    assert get(f"{braze.url}/kpi/dau/data_series?length=1", key="wrong")[0] == 401
    assert get(f"{braze.url}/kpi/other?length=1")[0] == 404


def test_history_starts_at_the_first_day_and_ends_today(braze: Any) -> None:
    url = f"{braze.url}/kpi/dau/data_series?length=5&app_id=ios"
    _s, _h, before = get(url + "&ending_at=2024-01-02T12:00:00Z")
    assert [row["time"] for row in before["data"]] == ["2024-01-01", "2024-01-02"]
    _s, _h, after = get(url + "&ending_at=2025-01-02T12:00:00Z")
    assert [row["time"] for row in after["data"]][-1] == "2024-12-31"


def test_cli_and_control_api(tmp_path: Path) -> None:
    url_file = tmp_path / "url"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "braze_emulator",
            "--api-key",
            KEY,
            "--app",
            "web:2024-06-01",
            "--today",
            "2024-12-31",
            "--rate-limit",
            "2",
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
        fault = json.dumps({"kind": "status", "status": 503, "count": 1}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{url}/_emulator/faults", data=fault))
        revise = json.dumps({"app_id": "web", "day": "2024-12-31", "dau": 42}).encode()
        urllib.request.urlopen(urllib.request.Request(f"{url}/_emulator/revise", data=revise))
        query = f"{url}/kpi/dau/data_series?length=1&app_id=web&ending_at=2024-12-31T12:00:00Z"
        assert get(query)[0] == 503
        assert get(query)[2]["data"] == [{"time": "2024-12-31", "dau": 42}]
        assert get(query)[0] == 429  # the third request of the period, over --rate-limit 2
        with urllib.request.urlopen(f"{url}/_emulator/requests") as response:
            seen = json.load(response)
        assert [r["status"] for r in seen] == [503, 200, 429]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/kpi/dau/data_series", "dau"),
        ("/kpi/mau/data_series", "mau"),
        ("/kpi/new_users/data_series", "new_users"),
        ("/kpi/uninstalls/data_series", "uninstalls"),
        ("/sessions/data_series", "sessions"),
    ],
)
def test_every_kpi_endpoint_answers_its_own_field(braze: Any, path: str, field: str) -> None:
    status, _headers, body = get(
        f"{braze.url}{path}?length=2&app_id=ios&ending_at=2024-12-11T17:00:00Z"
    )
    assert status == 200
    assert body["data"] == [
        {"time": day, field: value_for("ios", dt.date.fromisoformat(day), field)}
        for day in ("2024-12-10", "2024-12-11")
    ]


def test_a_key_holds_some_permissions_and_not_others() -> None:
    with BrazeEmulator(
        api_key=KEY,
        apps={"ios": dt.date(2024, 1, 1)},
        today=dt.date(2024, 12, 31),
        permissions={"kpi.dau.data_series", "sessions.data_series"},
    ) as braze:
        statuses = {
            path: get(f"{braze.url}{path}?length=1")[0]
            for path in (
                "/kpi/dau/data_series",
                "/kpi/mau/data_series",
                "/kpi/new_users/data_series",
                "/kpi/uninstalls/data_series",
                "/sessions/data_series",
            )
        }
    assert statuses == {
        "/kpi/dau/data_series": 200,
        "/kpi/mau/data_series": 403,
        "/kpi/new_users/data_series": 403,
        "/kpi/uninstalls/data_series": 403,
        "/sessions/data_series": 200,
    }


def test_hourly_sessions_come_as_timestamps_and_length_counts_hours(braze: Any) -> None:
    query = "length=5&app_id=ios&unit=hour&ending_at=2024-12-11T03:30:00-05:00"
    status, _headers, body = get(f"{braze.url}/sessions/data_series?{query}")
    assert status == 200
    times = [row["time"] for row in body["data"]]
    assert len(times) == 5
    assert times[-1] == "2024-12-11T03:00:00-05:00"
    assert times[0] == "2024-12-10T23:00:00-05:00"
    assert all("T" in t for t in times)


def test_unit_is_only_a_sessions_parameter(braze: Any) -> None:
    assert get(f"{braze.url}/kpi/dau/data_series?length=1&unit=day")[0] == 400
    assert get(f"{braze.url}/sessions/data_series?length=1&unit=week")[0] == 400


def test_captured_shapes_where_real_answers_differ_from_the_docs() -> None:
    with BrazeEmulator(
        api_key=KEY,
        apps={"ios": dt.date(2024, 1, 1)},
        today=dt.date(2024, 12, 31),
        answer_shapes="captured",
        segments={"s1": Segment("One", dt.date(2024, 1, 1))},
        campaigns={
            f"c{n}": Campaign(f"C{n}", first_sent=dt.datetime(2024, 3, 1)) for n in range(6)
        },
    ) as braze:
        status, headers, body = get(f"{braze.url}/kpi/dau/data_series?length=1", key="sk-as-sent")
        assert (status, body) == (401, {"message": "Invalid API key: sk-as-sent"})
        limits = {k: v for k, v in headers.items() if k.lower().startswith("x-ratelimit")}
        assert len(limits) == 3
        assert set(limits.values()) == {""}
        status, _headers, body = get(f"{braze.url}/kpi/dau/data_series?length=101")
        assert status == 400
        (error,) = body["errors"]
        assert error["parameters"] == ["length"]
        assert error["parameter_values"] == ["101"]
        raw = urllib.request.urlopen(
            urllib.request.Request(
                f"{braze.url}/segments/list", headers={"Authorization": f"Bearer {KEY}"}
            ),
            timeout=10,
        ).read()
        assert list(json.loads(raw)) == ["segments", "message"]
        _status, _headers, body = get(f"{braze.url}/campaigns/list")
        edited = [item["last_edited"] for item in body["campaigns"]]
        assert any(t.endswith("Z") for t in edited)
        assert any(t.endswith("+00:00") for t in edited)
