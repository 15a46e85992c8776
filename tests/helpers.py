"""What the tests share: running the real `tap-braze-dau` command, and reading its output.

Fixtures live in conftest.py; everything a test imports lives here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from braze_emulator import WORKSPACE, BrazeEmulator, LoggedRequest
from tap_braze_dau.declarations import APP
from tap_braze_dau.exports.definitions import DEFINITIONS
from tap_braze_dau.exports.suppressions import SUPPRESSION_LISTS
from tap_braze_dau.exports.users_stream import USERS
from tap_braze_dau.streams import BY_NAME, FULL_TABLE, STREAMS

#: A key that is easy to find in any output: no test may ever see it printed.
API_KEY = "sk-test-9f8e7d6c5b4a-DO-NOT-LEAK"
TAP = [sys.executable, "-m", "tap_braze_dau"]
ROOT = Path(__file__).resolve().parent.parent
#: Every stream the tap declares, in the order the SDK syncs them (by name).
ALL_STREAMS = tuple(
    sorted(
        [s.name for s in STREAMS]
        + [s.name for s in FULL_TABLE]
        + [USERS]
        + [s.name for s in SUPPRESSION_LISTS]
        + [d.name for d in DEFINITIONS]
    )
)
#: The daily series streams with one series per app (the KPIs' shape), by name.
KPI_STREAMS = tuple(sorted(s.name for s in STREAMS if s.dimensions == (APP,) and not s.hourly))


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

    def records_of(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def last_state(self) -> dict[str, Any] | None:
        return self.states[-1] if self.states else None

    def days(self, app_id: str, stream: str = "dau") -> dict[str, int]:
        """{day: value} emitted for a series; fails on a duplicate key within the run."""
        found: dict[str, int] = {}
        for record in self.records_of(stream):
            if record["app_id"] == app_id:
                assert record["time"] not in found, (
                    f"duplicate key {stream} {app_id} {record['time']}"
                )
                found[record["time"]] = record[stream]
        return found

    def bytes_of(self, kind: str) -> int:
        """Bytes of the output lines of messages of one type (RECORD, STATE, ...)."""
        marker = f'"type":"{kind}"'
        return sum(len(line) + 1 for line in self.stdout.splitlines() if marker in line[:40])


def parse_messages(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def run_tap(
    config: dict[str, Any],
    tmp_path: Path,
    *,
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
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
    if catalog is not None:
        catalog_path = tmp_path / f"catalog-{os.urandom(4).hex()}.json"
        catalog_path.write_text(json.dumps(catalog))
        args += ["--catalog", str(catalog_path)]
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


def discovered_catalog() -> dict[str, Any]:
    """The catalog `tap-braze-dau --discover` prints (no config needed)."""
    out = subprocess.run(
        [*TAP, "--discover"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    catalog: dict[str, Any] = json.loads(out)
    return catalog


#: Runs the tap and writes its peak resident memory (VmHWM: this process image's own,
#: not the forking parent's, which ru_maxrss would count) to the file named first.
_MEASURED_TAP = (
    "import atexit, pathlib, re, runpy, sys\n"
    "out = pathlib.Path(sys.argv.pop(1))\n"
    "def peak():\n"
    "    status = pathlib.Path('/proc/self/status').read_text()\n"
    "    out.write_text(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
    "atexit.register(peak)\n"
    "runpy.run_module('tap_braze_dau', run_name='__main__')\n"
)


def measured_tap(args: list[str], peak: Path) -> list[str]:
    """The command that runs the tap with `args` and writes its peak resident memory,
    in KiB, to `peak` when it exits."""
    return [sys.executable, "-c", _MEASURED_TAP, str(peak), *args]


def run_measuring_memory(args: list[str], tmp_path: Path, stdout: Path) -> float:
    """Run the tap with `args`, its messages to `stdout`; its peak memory in MiB."""
    peak = tmp_path / f"peak-{os.urandom(4).hex()}"
    with stdout.open("wb") as out:
        subprocess.run(
            measured_tap(args, peak),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=600,
        )
    return int(peak.read_text()) / 1024


def discovered_with(config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The catalog `tap-braze-dau --discover` prints with `config` (Currents streams are
    found in the bucket its `currents_url` names); fails with the tap's log if it fails."""
    config_path = tmp_path / f"config-{os.urandom(4).hex()}.json"
    config_path.write_text(json.dumps(config))
    proc = subprocess.run(
        [*TAP, "--config", str(config_path), "--discover"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert API_KEY not in proc.stdout + proc.stderr
    catalog: dict[str, Any] = json.loads(proc.stdout)
    return catalog


def catalog_selecting(streams: Iterable[str]) -> dict[str, Any]:
    """The discovered catalog with exactly `streams` selected, as Meltano writes it."""
    wanted = set(streams)
    catalog = discovered_catalog()
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in wanted
    return catalog


def partitions(state: dict[str, Any] | None, stream: str = "dau") -> list[dict[str, Any]]:
    if not state:
        return []
    found: list[dict[str, Any]] = state.get("bookmarks", {}).get(stream, {}).get("partitions", [])
    return found


def bookmark(state: dict[str, Any] | None, app_id: str, stream: str = "dau") -> str | None:
    """The replication_key_value of a series in a STATE value."""
    for partition in partitions(state, stream):
        if partition["context"] == {"app_id": app_id}:
            value: str | None = partition.get("replication_key_value")
            return value
    return None


def bookmarks_of(state: dict[str, Any], stream: str = "dau") -> dict[str, str]:
    """{app_id: bookmarked day} of one stream in a STATE value."""
    return {
        p["context"]["app_id"]: p["replication_key_value"]
        for p in partitions(state, stream)
        if p.get("replication_key_value")
    }


def all_bookmarks(state: dict[str, Any]) -> dict[tuple[str, str], str]:
    """{(stream, app_id): bookmarked day} of every stream in a STATE value."""
    return {
        (stream, app_id): day
        for stream in state.get("bookmarks", {})
        for app_id, day in bookmarks_of(state, stream).items()
    }


def series_bookmarks(state: dict[str, Any]) -> dict[tuple[str, tuple[str, ...]], str]:
    """{(stream, dimension values): bookmark} of every series stream in a STATE value."""
    found = {}
    for stream, stream_state in state.get("bookmarks", {}).items():
        if stream not in BY_NAME:
            continue
        columns = [d.column for d in BY_NAME[stream].dimensions]
        for partition in stream_state.get("partitions", []):
            if partition.get("replication_key_value"):
                values = tuple(partition["context"][column] for column in columns)
                found[(stream, values)] = partition["replication_key_value"]
    return found


def assert_states_claim_only_emitted(run: TapRun) -> None:
    """Every STATE of a run started without state claims, for each series of each stream,
    exactly the latest day (hour) emitted so far: never one that was not emitted."""
    emitted: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    for message in run.messages:
        if message["type"] == "RECORD" and message["stream"] in BY_NAME:
            columns = [d.column for d in BY_NAME[message["stream"]].dimensions]
            record = message["record"]
            key = (message["stream"], tuple(record[column] for column in columns))
            emitted.setdefault(key, set()).add(record["time"])
        elif message["type"] == "STATE":
            for key, claimed in series_bookmarks(message["value"]).items():
                assert claimed in emitted.get(key, set()), f"STATE claims {key} {claimed}"
                assert claimed == max(emitted[key])


def state_with(bookmarks: dict[str, str], stream: str = "dau") -> dict[str, Any]:
    """A STATE value in the SDK's partitioned form: {app_id: bookmarked day}."""
    return {"bookmarks": {stream: {"partitions": partition_list(bookmarks)}}}


def partition_list(bookmarks: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"context": {"app_id": app_id}, "replication_key": "time", "replication_key_value": day}
        for app_id, day in bookmarks.items()
    ]


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
    "event_names",
    "product_ids",
    "segment_ids",
    "rate_limit_reserve",
    "conversion_window_days",
    "stats_lookback_days",
    "currents_url",
    "currents_storage_options",
    "currents_lookback_hours",
    "currents_skip_bad_files",
    "pii",
    "pii_hash_key",
    "users_segment_ids",
    "users_fields_to_export",
    "users_export_timeout_minutes",
    "users_export_url",
    "users_export_storage_options",
    "users_export_settle_seconds",
)


def day_range(first: dt.date, last: dt.date) -> list[str]:
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def answered_days(requests: Iterable[LoggedRequest]) -> list[str]:
    """Every day the emulator answered the logged requests with (whether it had data for
    them or not), request after request."""
    found: list[str] = []
    for request in requests:
        assert request.first_day
        assert request.last_day
        found += day_range(
            dt.date.fromisoformat(request.first_day), dt.date.fromisoformat(request.last_day)
        )
    return found


def assert_each_day_answered_once(
    requests: Iterable[LoggedRequest], first: dt.date, last: dt.date, reading: str
) -> None:
    """The requests of one series asked for every day of [first, last] once, and for one
    day more: the one after (Braze reading `ending_at` "through") or the one before
    ("before"), which the tap drops. See tap_braze_dau/plan/windows.py."""
    one = dt.timedelta(days=1)
    spare = (first, last + one) if reading == "through" else (first - one, last)
    assert sorted(answered_days(requests)) == day_range(*spare)


def base_config(braze: BrazeEmulator, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "api_key": API_KEY,
        "api_url": braze.url,
        "retry_wait_seconds": 0.01,
        "request_timeout": 5,
    }
    config.update(overrides)
    return config


__all__ = [
    "ALL_STREAMS",
    "API_KEY",
    "DOCUMENTED_SETTINGS",
    "KPI_STREAMS",
    "ROOT",
    "TAP",
    "WORKSPACE",
    "TapRun",
    "all_bookmarks",
    "answered_days",
    "assert_each_day_answered_once",
    "assert_states_claim_only_emitted",
    "base_config",
    "bookmark",
    "bookmarks_of",
    "catalog_selecting",
    "day_range",
    "discovered_catalog",
    "discovered_with",
    "parse_messages",
    "partition_list",
    "run_measuring_memory",
    "run_tap",
    "state_with",
]
