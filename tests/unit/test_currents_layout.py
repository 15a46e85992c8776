"""Currents keys read back, and stream names: pure."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.currents.layout import (
    event_type_of_schema,
    hour_of,
    hour_start,
    parse_key,
    stream_name,
)

INTEGRATION = "dataexport.prod-03.S3.integration.5f1e9c2a7b3d4e0012345678"


@pytest.mark.parametrize(
    ("event_type", "name"),
    [
        ("users.messages.email.Send", "currents_messages_email_send"),
        ("users.behaviors.CustomEvent", "currents_behaviors_custom_event"),
        ("users.behaviors.app.SessionStart", "currents_behaviors_app_session_start"),
        (
            "users.messages.pushnotification.IosForeground",
            "currents_messages_pushnotification_ios_foreground",
        ),
        ("agentconsole.AgentExecuted", "currents_agentconsole_agent_executed"),
        ("users.messages.sms.ShortLinkClick", "currents_messages_sms_short_link_click"),
        ("users.RandomBucketNumberUpdate", "currents_random_bucket_number_update"),
        ("users.messages.rcs.Send", "currents_messages_rcs_send"),
    ],
)
def test_stream_names_as_the_issue_spells_them(event_type: str, name: str) -> None:
    assert stream_name(event_type) == name


@given(st.text(alphabet="abcdefghijABCDEFGHIJ.0123456789", min_size=1, max_size=40))
def test_a_stream_name_is_always_a_lower_case_identifier(event_type: str) -> None:
    name = stream_name(event_type)
    assert name.startswith("currents_")
    assert name == name.lower()
    assert all(ch.isalnum() or ch == "_" for ch in name)


def test_a_key_of_brazes_layout_says_its_event_type_hour_and_schema() -> None:
    key = (
        f"{INTEGRATION}/event_type=users.messages.email.Send/date=2024-05-01-13/12/0/"
        f"{INTEGRATION}+3+150000.avro"
    )
    parsed = parse_key(key)
    assert parsed is not None
    assert parsed.event_type == "users.messages.email.Send"
    assert parsed.hour == "2024-05-01-13"
    assert parsed.schema_id == 12
    assert parsed.folder == key.rpartition("/")[0]


def test_a_newer_layout_with_version_segments_is_read_too() -> None:
    parsed = parse_key("x/event_type=users.canvas.Entry/date=2024-05-01-13/version=4/prod/a.avro")
    assert parsed is not None
    assert (parsed.event_type, parsed.hour, parsed.schema_id) == (
        "users.canvas.Entry",
        "2024-05-01-13",
        4,
    )


@pytest.mark.parametrize(
    "key",
    [
        "x/event_type=a.B/date=2024-05-01-13/1/0/_SUCCESS",
        "x/event_type=a.B/date=2024-05-01-13/1/0/file.avro.crc",
        "x/event_type=a.B/date=2024-05-01-13/1/0/",
        "x/event_type=a.B/date=2024-05-01-13/1/0/manifest.json",
    ],
)
def test_what_is_not_an_avro_file_is_not_a_currents_file(key: str) -> None:
    assert parse_key(key) is None


def test_a_key_without_brazes_segments_has_no_event_type_or_hour() -> None:
    parsed = parse_key("exports/emails/part-0001.avro")
    assert parsed is not None
    assert (parsed.event_type, parsed.hour, parsed.schema_id) == (None, None, None)


def test_the_event_type_of_a_writer_schema() -> None:
    assert event_type_of_schema("dataexport.S3.inner.users.messages.email.Send") == (
        "users.messages.email.Send"
    )
    assert event_type_of_schema("dataexport.AzureBlob.inner.agentconsole.AgentExecuted") == (
        "agentconsole.AgentExecuted"
    )


def test_hours_are_utc() -> None:
    paris = dt.datetime(2024, 5, 1, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert hour_of(paris) == "2024-05-01-13"
    assert hour_start("2024-05-01-13") == dt.datetime(2024, 5, 1, 13, tzinfo=dt.timezone.utc)
