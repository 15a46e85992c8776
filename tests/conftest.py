"""Shared fixtures: the emulator, and running the real `tap-braze-dau` command against it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.emulator import WORKSPACE, BrazeEmulator

#: A key that is easy to find in any output: no test may ever see it printed.
API_KEY = "sk-test-9f8e7d6c5b4a-DO-NOT-LEAK"
TAP = [sys.executable, "-m", "tap_braze_dau"]
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class TapRun:
    """What one run of the tap printed, parsed."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def records(self) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD"]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def last_state(self) -> dict[str, Any] | None:
        return self.states[-1] if self.states else None

    def days(self, app_id: str) -> dict[str, int]:
        """{day: dau} emitted for a series; fails on a duplicate key within the run."""
        found: dict[str, int] = {}
        for record in self.records:
            if record["app_id"] == app_id:
                assert record["time"] not in found, f"duplicate key {app_id} {record['time']}"
                found[record["time"]] = record["dau"]
        return found


def parse_messages(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def run_tap(
    config: dict[str, Any],
    tmp_path: Path,
    *,
    state: dict[str, Any] | None = None,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> TapRun:
    """Run the installed tap as users do: a subprocess with --config (and --state)."""
    config_path = tmp_path / f"config-{os.urandom(4).hex()}.json"
    config_path.write_text(json.dumps(config))
    args = [*TAP, "--config", str(config_path)]
    if state is not None:
        state_path = tmp_path / f"state-{os.urandom(4).hex()}.json"
        state_path.write_text(json.dumps(state))
        args += ["--state", str(state_path)]
    args += extra_args or []
    proc = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=False,
    )
    # Every run of the suite is also a check that the key never reaches any output.
    assert API_KEY not in proc.stdout, "API key leaked into the tap's stdout"
    assert API_KEY not in proc.stderr, "API key leaked into the tap's stderr"
    messages = parse_messages(proc.stdout) if proc.stdout.startswith("{") else []
    return TapRun(proc.returncode, proc.stdout, proc.stderr, messages)


def bookmark(state: dict[str, Any] | None, app_id: str) -> str | None:
    """The replication_key_value of a series in a STATE value."""
    if not state:
        return None
    for partition in state.get("bookmarks", {}).get("dau", {}).get("partitions", []):
        if partition["context"] == {"app_id": app_id}:
            return partition.get("replication_key_value")
    return None


def bookmarks_of(state: dict[str, Any]) -> dict[str, str]:
    """{app_id: bookmarked day} of a STATE value."""
    partitions = state.get("bookmarks", {}).get("dau", {}).get("partitions", [])
    return {
        p["context"]["app_id"]: p["replication_key_value"]
        for p in partitions
        if p.get("replication_key_value")
    }


def assert_states_claim_only_emitted(run: TapRun) -> None:
    """Every STATE of a run started without state claims, for each series, exactly the
    latest day emitted so far: never a day that was not emitted."""
    emitted: dict[str, set[str]] = {}
    for message in run.messages:
        if message["type"] == "RECORD":
            emitted.setdefault(message["record"]["app_id"], set()).add(message["record"]["time"])
        elif message["type"] == "STATE":
            for app_id, claimed in bookmarks_of(message["value"]).items():
                assert claimed in emitted.get(app_id, set()), f"STATE claims {app_id} {claimed}"
                assert claimed == max(emitted[app_id])


def state_with(bookmarks: dict[str, str]) -> dict[str, Any]:
    """A STATE value in the SDK's partitioned form: {app_id: bookmarked day}."""
    partitions = [
        {"context": {"app_id": app_id}, "replication_key": "time", "replication_key_value": day}
        for app_id, day in bookmarks.items()
    ]
    return {"bookmarks": {"dau": {"partitions": partitions}}}


#: The settings the tap's issue names, which --about and the README must list.
DOCUMENTED_SETTINGS = (
    "api_key",
    "api_url",
    "start_date",
    "end_date",
    "timezone",
    "app_ids",
    "include_workspace_total",
    "lookback_days",
    "window_days",
    "max_history_days",
    "request_timeout",
    "max_retries",
    "retry_wait_seconds",
    "max_parallel_requests",
    "user_agent",
)


def day_range(first: dt.date, last: dt.date) -> list[str]:
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


@pytest.fixture
def emulator() -> Iterator[BrazeEmulator]:
    """A running emulator: two apps and the workspace, fixed 'today' = 2024-12-31."""
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2023, 1, 1), "android": dt.date(2024, 3, 15)},
        today=dt.date(2024, 12, 31),
    ) as braze:
        yield braze


def base_config(braze: BrazeEmulator, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "api_key": API_KEY,
        "api_url": braze.url,
        "retry_wait_seconds": 0.01,
        "request_timeout": 5,
    }
    config.update(overrides)
    return config


@pytest.fixture(autouse=True)
def _never_leak_the_key(
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Iterator[None]:
    """Across the whole suite: the API key appears in no captured output or log."""
    yield
    captured = capsys.readouterr()
    for name, text in (("stdout", captured.out), ("stderr", captured.err), ("log", caplog.text)):
        assert API_KEY not in text, f"API key leaked into {name} in {request.node.nodeid}"


__all__ = [
    "API_KEY",
    "DOCUMENTED_SETTINGS",
    "WORKSPACE",
    "TapRun",
    "assert_states_claim_only_emitted",
    "base_config",
    "bookmark",
    "bookmarks_of",
    "day_range",
    "run_tap",
    "state_with",
]
