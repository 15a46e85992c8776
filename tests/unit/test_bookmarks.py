"""Reading the bookmarks of a --state: the SDK's partitioned form, and clear errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tap_braze_dau.declarations import SeriesKey
from tap_braze_dau.errors import StateError
from tap_braze_dau.plan.bookmarks import bookmarks_of
from tap_braze_dau.streams import DAU, EVENT_COUNTS, MAU, SESSIONS_HOURLY
from tests.helpers import partition_list

STREAMS = (DAU, MAU, EVENT_COUNTS, SESSIONS_HOURLY)


def test_bookmarks_of_every_stream_and_series() -> None:
    state = {
        "bookmarks": {
            "dau": {
                "partitions": partition_list({"ios": "2024-12-31", "_workspace": "2024-12-30"})
            },
            "mau": {"partitions": partition_list({"ios": "2024-06-01T00:00:00+00:00"})},
            "other_tap_stream": {"replication_key_value": "whatever"},
        }
    }
    assert bookmarks_of(state, STREAMS) == {
        SeriesKey.of("dau", app_id="ios"): dt.date(2024, 12, 31),
        SeriesKey.of("dau", app_id="_workspace"): dt.date(2024, 12, 30),
        SeriesKey.of("mau", app_id="ios"): dt.date(2024, 6, 1),
    }


def test_partitions_without_a_bookmark_yet_are_skipped() -> None:
    state = {"bookmarks": {"dau": {"partitions": [{"context": {"app_id": "ios"}}]}}}
    assert bookmarks_of(state, STREAMS) == {}
    assert bookmarks_of({}, STREAMS) == {}


@pytest.mark.parametrize(
    ("state", "named"),
    [
        ({"bookmarks": []}, "'bookmarks' must be an object"),
        ({"bookmarks": {"dau": "x"}}, "bookmarks.dau must be an object"),
        ({"bookmarks": {"dau": {"partitions": {}}}}, "partitions must be a list"),
        ({"bookmarks": {"dau": {"partitions": [{"context": {}}]}}}, "no app_id"),
        (
            {"bookmarks": {"mau": {"partitions": partition_list({"ios": "last tuesday"})}}},
            "series 'ios' of mau",
        ),
        (
            {"bookmarks": {"dau": {"partitions": partition_list({"ios": "2024-02-30"})}}},
            "2024-02-30",
        ),
    ],
)
def test_an_unreadable_bookmark_is_named(state: dict[str, Any], named: str) -> None:
    with pytest.raises(StateError, match=named):
        bookmarks_of(state, STREAMS)


def test_a_series_of_several_dimensions_is_read_from_its_whole_context() -> None:
    partition = {
        "context": {"event": "login", "app_id": "ios"},
        "replication_key": "time",
        "replication_key_value": "2024-05-01",
    }
    state = {"bookmarks": {"event_counts": {"partitions": [partition]}}}
    assert bookmarks_of(state, STREAMS) == {
        SeriesKey.of("event_counts", event="login", app_id="ios"): dt.date(2024, 5, 1)
    }
    del partition["context"]["event"]  # type: ignore[attr-defined]
    with pytest.raises(StateError, match="no event context"):
        bookmarks_of(state, STREAMS)


def test_an_hourly_stream_bookmarks_an_utc_hour() -> None:
    state = {
        "bookmarks": {
            "sessions_hourly": {
                "partitions": [
                    {"context": {"app_id": "ios"}, "replication_key_value": "2024-03-10T07:00:00Z"},
                    {
                        "context": {"app_id": "_workspace"},
                        "replication_key_value": "2024-03-10T08:00:00+01:00",
                    },
                ]
            }
        }
    }
    utc = dt.timezone.utc
    assert bookmarks_of(state, STREAMS) == {
        SeriesKey.of("sessions_hourly", app_id="ios"): dt.datetime(2024, 3, 10, 7, tzinfo=utc),
        SeriesKey.of("sessions_hourly", app_id="_workspace"): dt.datetime(
            2024, 3, 10, 7, tzinfo=utc
        ),
    }
    state["bookmarks"]["sessions_hourly"]["partitions"][0]["replication_key_value"] = "2024-03-10"
    with pytest.raises(StateError, match="sessions_hourly"):
        bookmarks_of(state, STREAMS)
