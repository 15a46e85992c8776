"""Requests as Braze sees them, and the answers that stop a run at once (no retries)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import ANSWER_SHAPES, WORKSPACE, BrazeEmulator, Fault
from tap_braze_dau import __version__
from tests.helpers import API_KEY, base_config, run_tap


def small_config(braze: BrazeEmulator, **overrides: object) -> dict[str, Any]:
    defaults: dict[str, object] = {
        "app_ids": ["ios"],
        "include_workspace_total": False,
        "start_date": "2024-12-01",
        "end_date": "2024-12-31",
    }
    return base_config(braze, **{**defaults, **overrides})


def test_bearer_auth_and_a_user_agent_naming_the_tap(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    run = run_tap(small_config(emulator), tmp_path)
    assert run.returncode == 0, run.stderr
    (request,) = emulator.dau_requests()
    assert request.authorized
    assert request.user_agent == f"tap-braze-dau/{__version__}"
    assert "api_key" not in request.params  # the key travels only in the header
    # December and the day after it (see plan/windows.py)
    assert request.params["ending_at"] == "2025-01-01T12:00:00Z"
    assert request.params["length"] == "32"


def test_user_agent_setting(emulator: BrazeEmulator, tmp_path: Path) -> None:
    run = run_tap(small_config(emulator, user_agent="acme-etl/2.0"), tmp_path)
    assert run.returncode == 0, run.stderr
    assert emulator.dau_requests()[0].user_agent == "acme-etl/2.0"


@pytest.mark.parametrize("shapes", ANSWER_SHAPES)
def test_401_fails_at_once_and_says_the_key_must_match_the_instance(
    emulator: BrazeEmulator, tmp_path: Path, shapes: str
) -> None:
    """A real 401 echoes the key as sent, with empty X-RateLimit-* headers (shapes.py):
    the key reaches no output either way."""
    emulator.answer_shapes = shapes
    wrong_key = "sk-wrong-1234567890-SECRET"
    run = run_tap(small_config(emulator, api_key=wrong_key), tmp_path)
    assert run.returncode != 0
    assert "rejected the API key" in run.stderr
    assert "api_url" in run.stderr
    assert emulator.url in run.stderr
    assert len(emulator.dau_requests()) == 1
    assert wrong_key not in run.stdout + run.stderr
    assert run.records == []
    if shapes == "captured":
        assert "Invalid API key: <redacted>" in run.stderr


def test_403_fails_at_once_naming_the_permission(tmp_path: Path) -> None:
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2024, 1, 1)},
        today=dt.date(2024, 12, 31),
        has_permission=False,
    ) as braze:
        run = run_tap(small_config(braze), tmp_path)
        assert run.returncode != 0
        assert "kpi.dau.data_series" in run.stderr
        assert "403" in run.stderr
        assert len(braze.dau_requests()) == 1


def test_400_fails_at_once_with_the_status_and_brazes_message(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    emulator.add_fault(Fault("status", status=400, message="length must be between 1 and 100"))
    run = run_tap(small_config(emulator), tmp_path)
    assert run.returncode != 0
    assert "HTTP 400" in run.stderr
    assert "length must be between 1 and 100" in run.stderr
    assert len(emulator.dau_requests()) == 1


def test_an_unknown_app_id_is_a_400_naming_it(emulator: BrazeEmulator, tmp_path: Path) -> None:
    run = run_tap(small_config(emulator, app_ids=["no-such-app"]), tmp_path)
    assert run.returncode != 0
    assert "HTTP 400" in run.stderr
    assert "no-such-app" in run.stderr


def test_404_fails_at_once_with_the_status_and_brazes_message(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    run = run_tap(small_config(emulator, api_url=emulator.url + "/wrong/prefix"), tmp_path)
    assert run.returncode != 0
    assert "HTTP 404" in run.stderr
    assert "Not Found" in run.stderr
    assert len(emulator.requests) == 1


@pytest.mark.parametrize("status", [401, 403, 400, 404, 422])
def test_client_errors_are_never_retried(
    emulator: BrazeEmulator, tmp_path: Path, status: int
) -> None:
    emulator.add_fault(Fault("status", status=status, message=f"refused {status}"))
    run = run_tap(small_config(emulator, max_retries=5), tmp_path)
    assert run.returncode != 0
    assert f"HTTP {status}" in run.stderr
    assert len(emulator.dau_requests()) == 1


def test_every_request_logs_the_sdks_request_duration_metric(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    """As taps built on the SDK's RESTStream do: one `http_request_duration` METRIC line
    per request, tagged with the stream, the endpoint's path and the HTTP status (and the
    series), never the key or the request's query."""
    emulator.add_fault(Fault("status", status=503, count=1))
    config = small_config(emulator, app_ids=["ios"], include_workspace_total=True, window_days=10)
    run = run_tap(config, tmp_path)
    assert run.returncode == 0, run.stderr
    timings = [
        json.loads(line.split("METRIC: ", 1)[1])
        for line in run.stderr.splitlines()
        if "METRIC: " in line and '"http_request_duration"' in line
    ]
    assert len(timings) == len(emulator.dau_requests()) == 4 + 4 + 1
    assert {tuple(t["tags"]) for t in timings} == {
        ("stream", "endpoint", "http_status_code", "status", "context")
    }
    assert all(t["type"] == "timer" and t["value"] >= 0 for t in timings)
    assert all(t["tags"]["endpoint"] == "/kpi/dau/data_series" for t in timings)
    assert Counter((t["tags"]["http_status_code"], t["tags"]["status"]) for t in timings) == {
        (200, "succeeded"): 8,
        (503, "failed"): 1,
    }
    assert {t["tags"]["context"]["app_id"] for t in timings} == {"ios", WORKSPACE}
    assert not any("ending_at" in json.dumps(t) or "?" in json.dumps(t) for t in timings)
