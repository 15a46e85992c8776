"""Settings validation: every bad value is named; good configs parse with defaults."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.declarations import WORKSPACE_APP_ID
from tap_braze_dau.singer.settings import (
    DEFAULT_API_URL,
    SettingsError,
    coerce_number_strings,
    parse_settings,
    short_hash_key,
    unknown_settings,
    validate_settings,
)
from tap_braze_dau.tap import TapBrazeDau
from tests.helpers import DOCUMENTED_SETTINGS

GOOD = {"api_key": "k"}

# (overrides, the setting the message must name)
BAD: list[tuple[dict[str, Any], str]] = [
    ({"api_key": None}, "api_key"),
    ({"api_key": ""}, "api_key"),
    ({"api_key": "   "}, "api_key"),
    ({"window_days": 0}, "window_days"),
    ({"window_days": 101}, "window_days"),
    ({"window_days": 10.5}, "window_days"),
    ({"window_days": True}, "window_days"),
    ({"start_date": "2024-13-01"}, "start_date"),
    ({"start_date": "2024-02-30"}, "start_date"),
    ({"start_date": "yesterday"}, "start_date"),
    ({"start_date": 20240101}, "start_date"),
    ({"end_date": "2024-00-10"}, "end_date"),
    ({"start_date": "2024-05-02", "end_date": "2024-05-01"}, "end_date"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"api_url": "http://rest.iad-01.braze.com"}, "api_url"),
    ({"api_url": "http://10.0.0.1:8080"}, "api_url"),
    ({"api_url": "ftp://rest.iad-01.braze.com"}, "api_url"),
    ({"api_url": "rest.iad-01.braze.com"}, "api_url"),
    ({"api_url": "https://rest.iad-01.braze.com?x=1"}, "api_url"),
    ({"lookback_days": -1}, "lookback_days"),
    ({"max_history_days": 0}, "max_history_days"),
    ({"request_timeout": 0}, "request_timeout"),
    ({"request_timeout": -5}, "request_timeout"),
    ({"max_retries": -1}, "max_retries"),
    ({"retry_wait_seconds": 0}, "retry_wait_seconds"),
    ({"max_parallel_requests": 0}, "max_parallel_requests"),
    ({"max_parallel_requests": 17}, "max_parallel_requests"),
    ({"app_ids": "ios"}, "app_ids"),
    ({"app_ids": ["ios", ""]}, "app_ids"),
    ({"app_ids": ["ios", "ios"]}, "app_ids"),
    ({"app_ids": [WORKSPACE_APP_ID]}, "app_ids"),
    ({"include_workspace_total": "yes"}, "include_workspace_total"),
    ({"user_agent": 5}, "user_agent"),
    ({"event_names": "login"}, "event_names"),
    ({"event_names": ["login", ""]}, "event_names"),
    ({"event_names": ["login", "login"]}, "event_names"),
    ({"product_ids": [7]}, "product_ids"),
    ({"product_ids": ["_all"]}, "product_ids"),
    ({"segment_ids": ["a", "a"]}, "segment_ids"),
    ({"segment_ids": {"a": 1}}, "segment_ids"),
    ({"rate_limit_reserve": 1}, "rate_limit_reserve"),
    ({"rate_limit_reserve": -0.1}, "rate_limit_reserve"),
    ({"rate_limit_reserve": "half"}, "rate_limit_reserve"),
    ({"rate_limit_reserve": True}, "rate_limit_reserve"),
    ({"conversion_window_days": -1}, "conversion_window_days"),
    ({"conversion_window_days": "30"}, "conversion_window_days"),
    ({"stats_lookback_days": -1}, "stats_lookback_days"),
    ({"stats_lookback_days": 1.5}, "stats_lookback_days"),
    ({"currents_url": "http://x/y"}, "currents_url"),
    (
        {"currents_url": "s3://b", "currents_storage_options": {"x": "1"}},
        "currents_storage_options",
    ),
    ({"currents_url": "s3://b", "currents_storage_options": "k=v"}, "currents_storage_options"),
    ({"currents_lookback_hours": -1}, "currents_lookback_hours"),
    ({"currents_skip_bad_files": "no"}, "currents_skip_bad_files"),
    ({"pii": "mask"}, "pii"),
    ({"pii": "hash"}, "pii_hash_key"),
    ({"pii_hash_key": 1234567890123456789}, "pii_hash_key"),
    ({"users_segment_ids": ["a", ""]}, "users_segment_ids"),
    ({"users_fields_to_export": "email"}, "users_fields_to_export"),
    ({"users_export_timeout_minutes": 0}, "users_export_timeout_minutes"),
    ({"users_export_timeout_minutes": "soon"}, "users_export_timeout_minutes"),
    ({"users_export_url": "https://x/y"}, "users_export_url"),
    ({"users_export_storage_options": {"region": "x"}}, "users_export_storage_options"),
    (
        {"users_export_url": "s3://b", "users_export_storage_options": {"account_key": "1"}},
        "users_export_storage_options",
    ),
    ({"users_export_settle_seconds": -5}, "users_export_settle_seconds"),
]


@pytest.mark.parametrize(("overrides", "setting"), BAD, ids=[repr(b[0]) for b in BAD])
def test_each_bad_value_is_rejected_naming_the_setting(
    overrides: dict[str, Any], setting: str
) -> None:
    errors = validate_settings({**GOOD, **overrides})
    assert errors, f"{overrides} was accepted"
    assert any(error.startswith(f"{setting}:") for error in errors), errors
    with pytest.raises(SettingsError, match=setting):
        parse_settings({**GOOD, **overrides})


@pytest.mark.parametrize(
    "url",
    [
        "https://rest.iad-01.braze.com?api_key=SECRET-IN-URL",
        "https://user:SECRET-IN-URL@rest.iad-01.braze.com",
        "http://rest.iad-01.braze.com/?api_key=SECRET-IN-URL",
        "SECRET-IN-URL",
    ],
)
def test_a_key_pasted_into_api_url_is_never_printed_back(url: str) -> None:
    errors = validate_settings({**GOOD, "api_url": url})
    assert any(error.startswith("api_url:") for error in errors)
    assert not any("SECRET-IN-URL" in error for error in errors), errors


@pytest.mark.parametrize(
    "url",
    [
        "https://rest.iad-01.braze.com",
        "https://rest.fra-02.braze.eu/",
        "https://rest.some-future-instance.braze.com",
        "http://127.0.0.1:8080",
        "http://localhost:9999",
        "http://[::1]:9999",
    ],
)
def test_any_https_url_and_loopback_http_are_accepted(url: str) -> None:
    assert validate_settings({**GOOD, "api_url": url}) == []
    assert not parse_settings({**GOOD, "api_url": url}).api_url.endswith("/")


def test_defaults() -> None:
    settings = parse_settings(GOOD)
    assert settings.api_url == DEFAULT_API_URL
    assert settings.zone.key == "UTC"
    assert (settings.lookback_days, settings.window_days) == (3, 100)
    assert settings.max_history_days == 3650
    assert settings.request_timeout == 60
    assert settings.start_date is None
    assert settings.end_date is None
    assert settings.series == [WORKSPACE_APP_ID]


def test_all_errors_are_reported_at_once() -> None:
    errors = validate_settings({"window_days": 0, "lookback_days": -2, "timezone": "Nope"})
    named = {error.split(":")[0] for error in errors}
    assert {"api_key", "window_days", "lookback_days", "timezone"} <= named


def test_series_order_and_workspace_total() -> None:
    with_total = parse_settings({**GOOD, "app_ids": ["b", "a"]})
    assert with_total.series == ["b", "a", WORKSPACE_APP_ID]
    without = parse_settings({**GOOD, "app_ids": ["b"], "include_workspace_total": False})
    assert without.series == ["b"]
    # without app_ids the workspace series is always synced
    assert parse_settings({**GOOD, "include_workspace_total": False}).series == [WORKSPACE_APP_ID]


def test_a_datetime_start_date_uses_its_date() -> None:
    settings = parse_settings({**GOOD, "start_date": "2024-03-01T00:00:00Z"})
    assert settings.start_date == dt.date(2024, 3, 1)


@given(st.integers(min_value=-1000, max_value=1000))
def test_window_days_accepted_exactly_from_1_to_100(value: int) -> None:
    errors = validate_settings({**GOOD, "window_days": value})
    assert (errors == []) == (1 <= value <= 100)


@given(st.dates(), st.dates())
def test_end_date_before_start_date_is_the_only_date_order_error(
    start: dt.date, end: dt.date
) -> None:
    errors = validate_settings(
        {**GOOD, "start_date": start.isoformat(), "end_date": end.isoformat()}
    )
    assert (errors == []) == (start <= end)


def test_numeric_strings_for_seconds_settings_are_numbers() -> None:
    config = coerce_number_strings({**GOOD, "request_timeout": "30", "retry_wait_seconds": "0.5"})
    settings = parse_settings(config)
    assert (settings.request_timeout, settings.retry_wait_seconds) == (30.0, 0.5)
    bad = coerce_number_strings({**GOOD, "request_timeout": "soon"})
    assert any(e.startswith("request_timeout:") for e in validate_settings(bad))


def test_every_declared_setting_is_checked_by_the_tap_itself() -> None:
    """The tap reports its own settings' problems (once each); the SDK's schema check
    is left only the built-in settings (stream maps, flattening)."""
    declared = set(TapBrazeDau.config_jsonschema["properties"])
    builtin = {"stream_maps", "stream_map_config", "faker_config"} | {
        name for name in declared if name.startswith("flattening_")
    }
    assert TapBrazeDau.own_settings == declared - builtin
    assert TapBrazeDau.own_settings == set(DOCUMENTED_SETTINGS)
    # and validate_settings rejects a bad value of each, naming it (BAD above)
    assert {setting for _overrides, setting in BAD} == TapBrazeDau.own_settings


def test_a_misspelt_setting_is_named_with_the_closest_known_one() -> None:
    known = TapBrazeDau.own_settings
    config = {"api_key": "k", "api_urll": "x", "windows_days": 5, "colour": "red"}
    assert unknown_settings(config, known) == [
        "api_urll: not a setting of this tap, ignored (did you mean 'api_url'?)",
        "colour: not a setting of this tap, ignored",
        "windows_days: not a setting of this tap, ignored (did you mean 'window_days'?)",
    ]


def test_a_short_hash_key_is_accepted_with_a_warning_that_does_not_show_it() -> None:
    config = {"api_key": "k", "pii": "hash", "pii_hash_key": "tiny-key"}
    assert validate_settings(config) == []
    assert parse_settings(config).personal_data.key == b"tiny-key"
    (warning,) = short_hash_key(config)
    assert warning.startswith("pii_hash_key: shorter than 16 characters")
    assert "tiny-key" not in warning
    assert short_hash_key({**config, "pii_hash_key": "k" * 16}) == []


def test_the_export_bucket_takes_the_currents_options_when_currents_is_off() -> None:
    options = {"aws_access_key_id": "A", "aws_secret_access_key": SECRET}
    config = {
        "api_key": "k",
        "users_export_url": "s3://exports",
        "currents_storage_options": options,
    }
    assert validate_settings(config) == []
    settings = parse_settings(config)
    assert settings.currents_location is None
    assert settings.users_export_storage.credentials_from == "currents_storage_options"
    wrong_kind = {**config, "currents_storage_options": {"account_key": "1"}}
    assert any(e.startswith("currents_storage_options:") for e in validate_settings(wrong_kind))
    unused = {"api_key": "k", "currents_storage_options": options}
    assert validate_settings(unused) == ["currents_storage_options: set currents_url too"]


@given(st.dictionaries(st.sampled_from(sorted(TapBrazeDau.own_settings)), st.none()))
def test_known_settings_are_never_warned_about(config: dict[str, None]) -> None:
    assert unknown_settings(config, TapBrazeDau.own_settings) == []


def test_dimension_settings_and_the_reserve_parse_with_their_defaults() -> None:
    settings = parse_settings(GOOD)
    assert (settings.event_names, settings.product_ids, settings.segment_ids) == ((), (), ())
    assert settings.rate_limit_reserve == 0.1
    assert settings.client_options.rate_limit_reserve == 0.1
    assert settings.conversion_window_days == 30
    assert settings.stats_lookback_days == settings.plan_options.stats_lookback_days == 30
    chosen = parse_settings(
        coerce_number_strings(
            {**GOOD, "event_names": ["a", "b"], "segment_ids": [], "rate_limit_reserve": "0"}
        )
    )
    assert chosen.named("event_names") == ("a", "b")
    assert chosen.named("segment_ids") == ()  # empty: every value the list returns
    assert chosen.client_options.rate_limit_reserve == 0.0


SECRET = "storage-secret-DO-NOT-LEAK-123456"  # noqa: S105 - a fake, to catch leaks


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"pii": "hash"}, "pii_hash_key: required with pii: hash"),
        ({"pii": "mask"}, "pii: expected one of keep, hash, drop"),
        ({"currents_url": "ftp://host/x"}, "currents_url: ftp:// is not a store"),
        ({"currents_url": "s3://"}, "currents_url: no bucket"),
        ({"currents_lookback_hours": -1}, "currents_lookback_hours: expected a whole number"),
        ({"currents_skip_bad_files": "yes"}, "currents_skip_bad_files: expected true or false"),
        (
            {"currents_url": "s3://b/p", "currents_storage_options": {"secret": SECRET}},
            "currents_storage_options: 'secret' is not an option of s3:// stores",
        ),
        (
            {"currents_url": "s3://b", "currents_storage_options": {"endpoint_url": "http://x.io"}},
            "currents_storage_options: endpoint_url may be plain http only on a loopback host",
        ),
        (
            {"currents_storage_options": {"region": "x"}},
            "currents_storage_options: set currents_url",
        ),
    ],
)
def test_currents_and_personal_data_settings_are_checked(config: dict[str, Any], says: str) -> None:
    errors = validate_settings({"api_key": "k", **config})
    assert any(error.startswith(says) for error in errors), errors
    assert all(SECRET not in error for error in errors)


def test_currents_settings_parse() -> None:
    settings = parse_settings(
        {
            "api_key": "k",
            "currents_url": "s3://bucket/braze/",
            "currents_storage_options": {"aws_access_key_id": "A", "aws_secret_access_key": SECRET},
            "pii": "hash",
            "pii_hash_key": "a-key-of-sixteen-chars",
        }
    )
    assert str(settings.currents_location) == "s3://bucket/braze"
    assert settings.currents_lookback_hours == 48
    assert settings.currents_skip_bad_files is False
    assert settings.personal_data.mode == "hash"
    assert SECRET in settings.secrets
    assert "a-key-of-sixteen-chars" in settings.secrets
    assert parse_settings({"api_key": "k"}).currents_location is None


def test_user_export_settings_parse_with_the_currents_options_as_fallback() -> None:
    settings = parse_settings({"api_key": "k", "users_segment_ids": ["s1"]})
    assert settings.users_options.segment_ids == ("s1",)
    assert settings.users_options.timeout_seconds == 90 * 60
    assert settings.users_options.settle_seconds == 300
    assert settings.users_options.to_bucket is False
    assert "email" in settings.users_fields
    shared = parse_settings(
        {
            "api_key": "k",
            "currents_url": "s3://currents",
            "currents_storage_options": {"aws_access_key_id": "A", "aws_secret_access_key": SECRET},
            "users_export_url": "s3://exports",
        }
    )
    assert str(shared.users_export_location) == "s3://exports"
    assert shared.users_export_storage.credentials_from == "currents_storage_options"
    assert shared.users_options.to_bucket is True
    own = parse_settings(
        {
            "api_key": "k",
            "currents_url": "s3://currents",
            "currents_storage_options": {
                "aws_access_key_id": "A",
                "aws_secret_access_key": "x" * 9,
            },
            "users_export_url": "s3://exports",
            "users_export_storage_options": {
                "aws_access_key_id": "B",
                "aws_secret_access_key": SECRET,
            },
        }
    )
    assert own.users_export_storage.credentials_from == "users_export_storage_options"
    assert SECRET in own.secrets
    elsewhere = parse_settings(
        {
            "api_key": "k",
            "currents_url": "s3://currents",
            "currents_storage_options": {"aws_access_key_id": "A", "aws_secret_access_key": SECRET},
            "users_export_url": "az://exports",
        }
    )
    assert elsewhere.users_export_storage.credentials_from != "currents_storage_options"


def test_no_repr_of_the_settings_shows_a_secret() -> None:
    """A repr may reach a log (a debugger's, an exception's locals): never a secret."""
    settings = parse_settings(
        {
            "api_key": "api-key-DO-NOT-LEAK-123456",
            "pii": "hash",
            "pii_hash_key": "hash-key-DO-NOT-LEAK-123456",
            "currents_url": "s3://bucket/prefix",
            "currents_storage_options": {"aws_access_key_id": "A", "aws_secret_access_key": SECRET},
        }
    )
    shown = repr(settings) + repr(settings.client_options) + repr(settings.currents_storage)
    for secret in ("api-key-DO-NOT-LEAK-123456", "hash-key-DO-NOT-LEAK-123456", SECRET):
        assert secret not in shown
