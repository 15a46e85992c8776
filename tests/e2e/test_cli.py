"""The command line as users meet it: bad settings, --about, --discover, env config."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import BrazeEmulator
from tap_braze_dau.streams import BY_NAME, DETAILS_BY_NAME, LISTS_BY_NAME
from tests.helpers import (
    ALL_STREAMS,
    API_KEY,
    DOCUMENTED_SETTINGS,
    ROOT,
    TAP,
    WORKSPACE,
    base_config,
    catalog_selecting,
    discovered_catalog,
    partition_list,
    run_tap,
)

# (overrides, the setting the message must name)
INVALID: list[tuple[dict[str, Any], str]] = [
    ({"window_days": 0}, "window_days"),
    ({"window_days": 101}, "window_days"),
    ({"start_date": "2024-13-01"}, "start_date"),
    ({"start_date": "2024-05-02", "end_date": "2024-05-01"}, "end_date"),
    ({"timezone": "Europe/Atlantis"}, "timezone"),
    ({"api_url": "http://rest.iad-01.braze.com"}, "api_url"),
    ({"api_key": None}, "api_key"),
    ({"lookback_days": -1}, "lookback_days"),
    ({"max_history_days": 0}, "max_history_days"),
    ({"request_timeout": 0}, "request_timeout"),
    ({"max_retries": -1}, "max_retries"),
    ({"max_parallel_requests": 0}, "max_parallel_requests"),
    ({"app_ids": ["ios", "ios"]}, "app_ids"),
    ({"include_workspace_total": "no"}, "include_workspace_total"),
]


@pytest.mark.parametrize(("overrides", "setting"), INVALID, ids=[s for _, s in INVALID])
def test_invalid_settings_stop_the_tap_before_any_request(
    emulator: BrazeEmulator, tmp_path: Path, overrides: dict[str, Any], setting: str
) -> None:
    config = {**base_config(emulator), **overrides}
    config = {k: v for k, v in config.items() if v is not None}
    run = run_tap(config, tmp_path)
    assert run.returncode != 0
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    # one message for the bad setting, not the schema's and the tap's side by side
    naming = [line for line in errors if f"{setting}:" in line]
    assert len(naming) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert run.messages == []
    assert emulator.requests == []


def test_a_misspelt_setting_is_warned_about_and_the_sync_goes_on(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    config = base_config(emulator, start_date="2024-12-01", end_date="2024-12-31")
    config["lookback_dayz"] = 30
    run = run_tap(config, tmp_path)
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if "WARNING" in line]
    assert any(
        "lookback_dayz: not a setting of this tap, ignored (did you mean 'lookback_days'?)" in line
        for line in warnings
    ), run.stderr
    assert len(run.days(WORKSPACE)) == 31


def test_a_key_of_the_wrong_type_is_not_printed_in_the_error(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    run = run_tap({**base_config(emulator), "api_key": 987654321012345}, tmp_path)
    assert run.returncode != 0
    assert "api_key" in run.stderr
    assert "987654321012345" not in run.stderr


def test_about_lists_every_setting_and_marks_the_key_secret() -> None:
    proc = subprocess.run(
        [*TAP, "--about", "--format=json"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    about = json.loads(proc.stdout)
    properties = about["settings"]["properties"]
    for name in DOCUMENTED_SETTINGS:
        assert name in properties, name
    assert properties["api_key"]["secret"] is True
    assert about["settings"]["required"] == ["api_key"]
    assert properties["api_url"]["default"] == "https://rest.iad-01.braze.com"
    for capability in ("catalog", "discover", "state", "about", "stream-maps"):
        assert capability in about["capabilities"]


#: The user-level exports: (key, replication key) as the issue lists them.
EXPORTS = {
    "users": (["segment_id", "braze_id"], None),
    "email_hard_bounces": (["email", "hard_bounced_at"], "hard_bounced_at"),
    "email_unsubscribes": (["email", "unsubscribed_at"], "unsubscribed_at"),
    "content_blocks": (["content_block_id"], "last_edited"),
    "email_templates": (["email_template_id"], "updated_at"),
}


def test_discover_needs_no_config_and_describes_every_stream() -> None:
    streams = {entry["tap_stream_id"]: entry for entry in discovered_catalog()["streams"]}
    assert sorted(streams) == sorted(ALL_STREAMS)
    for name, entry in streams.items():
        properties = entry["schema"]["properties"]
        full_table = LISTS_BY_NAME.get(name) or DETAILS_BY_NAME.get(name)
        if name in EXPORTS:
            keys, replication_key = EXPORTS[name]
            assert entry["key_properties"] == keys
            assert entry.get("replication_key") == replication_key
            method = "INCREMENTAL" if replication_key else "FULL_TABLE"
            assert entry["replication_method"] == method
        elif full_table is not None:
            assert entry["key_properties"] == list(full_table.key_columns)
            assert entry["replication_method"] == "FULL_TABLE"
            assert not entry.get("replication_key")
        else:
            declaration = BY_NAME[name]
            assert entry["key_properties"] == list(declaration.key_columns)
            assert entry["replication_key"] == "time"
            assert entry["replication_method"] == "INCREMENTAL"
            values = [v.name for v in declaration.values]
            assert sorted(properties) == sorted([*declaration.key_columns, *values])
        for column, schema in properties.items():
            assert schema["description"], (name, column)
        (root,) = [m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == []]
        # only dau is selected by default: a run without a catalog writes only dau
        assert root["selected-by-default"] is (name == "dau")


def test_settings_from_environment_variables(emulator: BrazeEmulator, tmp_path: Path) -> None:
    env = {
        "TAP_BRAZE_DAU_API_KEY": API_KEY,
        "TAP_BRAZE_DAU_API_URL": emulator.url,
        "TAP_BRAZE_DAU_APP_IDS": '["ios","android"]',
        "TAP_BRAZE_DAU_INCLUDE_WORKSPACE_TOTAL": "false",
        "TAP_BRAZE_DAU_START_DATE": "2024-12-25",
        "TAP_BRAZE_DAU_END_DATE": "2024-12-31",
        "TAP_BRAZE_DAU_WINDOW_DAYS": "3",
    }
    proc = subprocess.run(
        [*TAP, "--config", "ENV"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert API_KEY not in proc.stdout + proc.stderr
    records = [
        json.loads(line)["record"] for line in proc.stdout.splitlines() if '"RECORD"' in line
    ]
    assert {r["app_id"] for r in records} == {"ios", "android"}
    assert len(records) == 7 * 2
    # 7 days and the one after, planned back by 3: 2 + 3 + 3
    assert sorted(int(r.params["length"]) for r in emulator.dau_requests()) == [2, 2, 3, 3, 3, 3]


def test_a_catalog_that_deselects_every_stream_makes_no_request(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    run = run_tap(
        base_config(emulator, start_date="2024-12-01"), tmp_path, catalog=catalog_selecting([])
    )
    assert run.returncode == 0, run.stderr
    assert run.records == []
    assert emulator.requests == []


def test_the_tap_stops_on_an_unreadable_state_without_a_traceback(
    emulator: BrazeEmulator, tmp_path: Path
) -> None:
    state = {"bookmarks": {"dau": {"partitions": partition_list({"ios": "soon"})}}}
    run = run_tap(base_config(emulator, app_ids=["ios"]), tmp_path, state=state)
    assert run.returncode == 1
    assert "series 'ios' of dau" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.messages == []
    assert emulator.requests == []
