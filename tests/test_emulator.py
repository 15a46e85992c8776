"""The emulator itself behaves like Braze's endpoint as documented, and its CLI and control
API work: the tests, `make demo` and the benchmark all stand on it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.emulator import BrazeEmulator, value_for
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
            "tests.emulator",
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
