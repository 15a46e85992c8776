"""`tap-braze-dau --test`: a clear answer, before a first sync, about the streams a run
would sync; never a traceback, never an ERROR line when all is well."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from braze_emulator import BrazeEmulator
from braze_emulator.messaging import Campaign
from tests.helpers import ALL_STREAMS, API_KEY, base_config, catalog_selecting, run_tap


@pytest.fixture
def dau_only_key() -> Iterator[BrazeEmulator]:
    """A workspace whose key holds only kpi.dau.data_series."""
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2024, 1, 1)},
        today=dt.date(2024, 12, 31),
        permissions={"kpi.dau.data_series"},
    ) as braze:
        yield braze


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR" in line]


def test_without_a_catalog_it_checks_dau_and_passes_quietly(
    dau_only_key: BrazeEmulator, tmp_path: Path
) -> None:
    config = base_config(dau_only_key, app_ids=["ios"], end_date="2024-12-31")
    run = run_tap(config, tmp_path, extra_args=["--test"])
    assert run.returncode == 0, run.stderr
    assert error_lines(run.stderr) == []
    assert "Connection test passed" in run.stderr
    assert "'dau' (kpi.dau.data_series): OK" in run.stderr
    # one request per series of dau, nothing else, and no data written
    assert sorted((r.stream, r.app_id) for r in dau_only_key.data_requests()) == [
        ("dau", "_workspace"),
        ("dau", "ios"),
    ]
    assert run.records == []


@pytest.mark.parametrize(
    "catalog_first", [True, False], ids=["catalog-then-test", "test-then-catalog"]
)
def test_with_a_catalog_it_checks_every_selected_stream_and_names_each_missing_permission(
    dau_only_key: BrazeEmulator, tmp_path: Path, catalog_first: bool
) -> None:
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(catalog_selecting(["dau", "mau", "sessions"])))
    flags = ["--catalog", str(catalog_path), "--test"]
    run = run_tap(
        base_config(dau_only_key, end_date="2024-12-31"),
        tmp_path,
        extra_args=flags if catalog_first else flags[::-1][:1] + flags[:2],
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    errors = "\n".join(error_lines(run.stderr))
    assert "kpi.mau.data_series" in errors
    assert "sessions.data_series" in errors
    assert "'dau' (kpi.dau.data_series): OK" in run.stderr
    assert "Connection test failed for: mau, sessions" in errors
    assert {r.stream for r in dau_only_key.data_requests()} == {"dau", "mau", "sessions"}


def test_a_wrong_key_fails_with_the_reason_not_a_traceback(
    dau_only_key: BrazeEmulator, tmp_path: Path
) -> None:
    config = base_config(dau_only_key, api_key="sk-not-the-right-key-123456")
    run = run_tap(config, tmp_path, extra_args=["--test"])
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "rejected the API key" in run.stderr
    assert "sk-not-the-right-key-123456" not in run.stderr


def test_an_unknown_app_id_is_named(dau_only_key: BrazeEmulator, tmp_path: Path) -> None:
    config = base_config(dau_only_key, app_ids=["ios", "typo-app"], end_date="2024-12-31")
    run = run_tap(config, tmp_path, extra_args=["--test"])
    assert run.returncode == 1
    assert "typo-app" in "\n".join(error_lines(run.stderr))


def test_an_invalid_config_is_reported_without_a_traceback(tmp_path: Path) -> None:
    run = run_tap({"api_key": API_KEY, "window_days": 0}, tmp_path, extra_args=["--test"])
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert any("window_days:" in line for line in error_lines(run.stderr))


def test_test_schema_still_prints_the_schemas(tmp_path: Path, dau_only_key: BrazeEmulator) -> None:
    run = run_tap(base_config(dau_only_key), tmp_path, extra_args=["--test=schema"])
    assert run.returncode == 0, run.stderr
    assert {m["stream"] for m in run.messages if m["type"] == "SCHEMA"} == set(ALL_STREAMS)
    assert dau_only_key.requests == []


def test_stats_of_campaigns_are_checked_with_the_details_they_are_planned_from(
    tmp_path: Path,
) -> None:
    sent = dt.datetime(2024, 12, 1, 9, tzinfo=dt.timezone.utc)
    with BrazeEmulator(
        api_key=API_KEY,
        today=dt.date(2024, 12, 31),
        campaigns={"c-1": Campaign("Sale", first_sent=sent, last_sent=sent)},
        permissions={"campaigns.list", "campaigns.data_series"},  # no campaigns.details
    ) as braze:
        run = run_tap(
            base_config(braze, end_date="2024-12-31"),
            tmp_path,
            catalog=catalog_selecting(["campaign_stats"]),
            extra_args=["--test"],
        )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    errors = "\n".join(error_lines(run.stderr))
    assert "Stream 'campaign_stats' needs an API key with the permission campaigns.details" in (
        errors
    )
    assert run.records == []


def test_a_catalog_of_lists_and_details_alone_is_tested_too(tmp_path: Path) -> None:
    """Only list and details streams selected: each list's first page, and the first
    item's details, are asked; a missing details permission is named."""
    sent = dt.datetime(2024, 12, 1, 9, tzinfo=dt.timezone.utc)
    campaigns = {"c-1": Campaign("Sale", first_sent=sent, last_sent=sent)}
    selected = ["events", "segments", "campaign_details"]
    with BrazeEmulator(api_key=API_KEY, today=dt.date(2024, 12, 31), campaigns=campaigns) as braze:
        run = run_tap(
            base_config(braze), tmp_path, catalog=catalog_selecting(selected), extra_args=["--test"]
        )
        assert run.returncode == 0, run.stderr
        assert error_lines(run.stderr) == []
        for name in selected:
            assert f"stream '{name}'" in run.stderr
        assert "Connection test passed" in run.stderr
        assert sorted(r.stream or "" for r in braze.data_requests()) == [
            "campaign_details",
            "campaigns",
            "events",
            "segments",
        ]
        assert run.records == []
    with BrazeEmulator(
        api_key=API_KEY,
        today=dt.date(2024, 12, 31),
        campaigns=campaigns,
        permissions={"events.list", "segments.list", "campaigns.list"},
    ) as braze:
        run = run_tap(
            base_config(braze), tmp_path, catalog=catalog_selecting(selected), extra_args=["--test"]
        )
    assert run.returncode == 1
    assert "Connection test failed for: campaign_details" in run.stderr
    assert "campaigns.details" in "\n".join(error_lines(run.stderr))
