"""What the tap relies on in singer-sdk, checked against the installed SDK.

sdk_hooks.py overrides two private methods and the tap leans on a few SDK behaviours;
each test here fails if an SDK upgrade changes one of them, before users' pipelines do.
"""

from __future__ import annotations

import inspect
import io
import json
import signal
from collections.abc import Iterable
from contextlib import redirect_stdout
from typing import Any

import pytest
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError, InvalidStreamSortException
from singer_sdk.helpers.types import Context, Record
from singer_sdk.plugin_base import PluginBase

from tap_braze_dau.singer.sdk_hooks import SdkStream, SdkTap
from tap_braze_dau.tap import TapBrazeDau

EVENTS: list[str] = []
DAYS = ["2024-01-01", "2024-01-02", "2024-01-03"]


class RecordingStream(Stream):
    """A stream that records when the SDK writes, bookmarks and asks for records."""

    name = "days"
    schema = th.PropertiesList(th.Property("time", th.DateType)).to_dict()
    replication_key = "time"
    is_sorted = True

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        for day in DAYS:
            EVENTS.append(f"yield {day}")
            yield {"time": day}
            EVENTS.append(f"resumed after {day}")

    def _write_record_message(self, record: Record) -> None:
        EVENTS.append(f"write {record['time']}")
        super()._write_record_message(record)

    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        EVENTS.append(f"bookmark {latest_record['time']}")
        super()._increment_stream_state(latest_record, context=context)


class RecordingTap(Tap):
    name = "recording"
    config_jsonschema = th.PropertiesList().to_dict()

    def discover_streams(self) -> list[Stream]:
        return [RecordingStream(self)]


def test_each_record_is_written_then_bookmarked_before_get_records_resumes() -> None:
    """streams.py writes a STATE when its generator resumes after a window's last record:
    by then the SDK must have written that record and advanced the bookmark to it."""
    EVENTS.clear()
    with redirect_stdout(io.StringIO()):
        RecordingTap(config={}).sync_all()
    for day in DAYS:
        yield_at = EVENTS.index(f"yield {day}")
        resumed_at = EVENTS.index(f"resumed after {day}")
        assert yield_at < EVENTS.index(f"write {day}") < resumed_at
        assert EVENTS.index(f"write {day}") < EVENTS.index(f"bookmark {day}") < resumed_at


def test_the_sdk_refuses_a_bookmark_that_goes_back_in_a_sorted_stream() -> None:
    """Why SdkStream._increment_stream_state exists: re-read look-back days would stop the
    sync (and, unsorted, pull the bookmark back)."""
    tap = RecordingTap(config={})
    stream = tap.streams["days"]
    context = None
    Stream._increment_stream_state(stream, {"time": "2024-01-05"}, context=context)
    with pytest.raises(InvalidStreamSortException):
        Stream._increment_stream_state(stream, {"time": "2024-01-02"}, context=context)


def _parameters(function: Any) -> list[tuple[str, Any]]:
    return [(p.name, p.kind) for p in inspect.signature(function).parameters.values()]


def test_the_overridden_private_methods_still_exist_with_their_signatures() -> None:
    assert _parameters(Stream._increment_stream_state) == _parameters(
        SdkStream._increment_stream_state
    )
    assert _parameters(PluginBase._validate_config) == _parameters(SdkTap._validate_config)


def test_validation_runs_at_construction_and_reports_each_bad_setting_once() -> None:
    with pytest.raises(ConfigValidationError) as raised:
        TapBrazeDau(config={"api_key": "k", "window_days": 0, "lookback_days": -1})
    errors = raised.value.errors
    assert len(errors) == 2
    assert sorted(error.split(":")[0] for error in errors) == ["lookback_days", "window_days"]


def test_builtin_settings_are_still_checked_by_the_schema() -> None:
    with pytest.raises(ConfigValidationError) as raised:
        TapBrazeDau(config={"api_key": "k", "flattening_max_depth": "deep"})
    assert any(error.startswith("flattening_max_depth:") for error in raised.value.errors)


def test_load_state_receives_the_state_at_construction() -> None:
    seen: list[dict[str, Any]] = []

    class Spy(TapBrazeDau):
        def load_state(self, state: dict[str, Any]) -> None:
            seen.append(state)
            super().load_state(state)

    state: dict[str, Any] = {"bookmarks": {"dau": {"partitions": []}}}
    Spy(config={"api_key": "k"}, state=state)
    assert seen == [state]


def test_the_tap_replaces_the_sdk_signal_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        tap = TapBrazeDau(config={"api_key": "k"})
        for signum in (signal.SIGTERM, signal.SIGINT):
            handler = signal.getsignal(signum)
            assert getattr(handler, "__func__", None) is TapBrazeDau._stop_on_signal
            assert getattr(handler, "__self__", None) is tap
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])


def test_the_sdk_syncs_streams_in_name_order() -> None:
    """run.py plans the series in the order the SDK will ask for them."""
    tap = TapBrazeDau(config={"api_key": "k"})
    assert list(tap.streams) == sorted(tap.streams)


class UnchangingStream(Stream):
    """A full-table stream: its records change nothing in the state."""

    name = "lists"
    schema = th.PropertiesList(th.Property("name", th.StringType)).to_dict()

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        yield {"name": "a"}
        yield {"name": "b"}


class UnchangingSdkStream(SdkStream, UnchangingStream):
    pass


class FirstStream(UnchangingStream):
    name = "first"


def second_run(streams: list[type[Stream]]) -> list[str]:
    """The types of the messages of a run started from the state a first run ended with."""

    class Two(Tap):
        name = "two"
        config_jsonschema = th.PropertiesList().to_dict()

        def discover_streams(self) -> list[Stream]:
            return [stream(self) for stream in streams]

    state: dict[str, Any] = {}
    for _run in range(2):
        out = io.StringIO()
        with redirect_stdout(out):
            Two(config={}, state=state).sync_all()
        messages = [json.loads(line) for line in out.getvalue().splitlines()]
        state = [m["value"] for m in messages if m["type"] == "STATE"][-1]
    return [message["type"] for message in messages]


def test_a_stream_s_records_are_always_followed_by_a_state() -> None:
    """Why SdkStream._write_state_message exists: the SDK's state writer skips a state
    equal to the last it wrote, so after a stream whose records changed nothing (a list,
    a look-back re-read) a run may end on a RECORD, and a target that keeps only the
    STATE after the last RECORD (target-jsonl) then keeps none of the run. SdkStream
    writes it (tests/e2e/test_currents.py shows it in a real run)."""
    ours = second_run([FirstStream, UnchangingSdkStream])
    assert ours[-1] == "STATE"
    last_record = len(ours) - 1 - ours[::-1].index("RECORD")
    assert "STATE" in ours[last_record:]
    assert _parameters(Stream._write_state_message) == _parameters(SdkStream._write_state_message)


def _users_catalog(pii: str) -> dict[str, Any]:
    """The catalog a discovery under `pii` writes, with `users` selected."""
    config = {"api_key": "k", "pii": pii, "pii_hash_key": "k" * 20}
    catalog: dict[str, Any] = TapBrazeDau(config=config, setup_mapper=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == "users"
    return catalog


def _stdout() -> io.TextIOWrapper:
    """A stdout with a buffer, as the msgspec writer wants."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8")


def _schema_message(tap: TapBrazeDau, stream: str) -> dict[str, Any]:
    out = _stdout()
    with redirect_stdout(out):
        tap.streams[stream]._write_schema_message()
    out.flush()
    assert isinstance(out.buffer, io.BytesIO)
    message: dict[str, Any] = json.loads(out.buffer.getvalue().splitlines()[-1])
    schema: dict[str, Any] = message["schema"]
    return schema


@pytest.mark.parametrize("mode", ["hash", "drop"])
def test_a_catalog_discovered_under_another_pii_gets_the_rule_s_schema(mode: str) -> None:
    """SdkStream.apply_catalog: the SDK registers the catalog's schema with its mapper
    (whose SCHEMA message it is) before the streams apply the catalog, and takes the
    stream's schema from it; the tap registers the rule's schema again."""
    config = {"api_key": "k", "pii": mode, "pii_hash_key": "k" * 20, "users_segment_ids": ["s"]}
    tap = TapBrazeDau(config=config, catalog=_users_catalog("keep"))
    schema = _schema_message(tap, "users")
    if mode == "hash":
        assert "HMAC" in schema["properties"]["email"]["description"]
        assert schema == _schema_message(
            TapBrazeDau(config=config, catalog=_users_catalog("hash")), "users"
        )
    else:
        assert "email" not in schema["properties"]
        assert "devices" not in schema["properties"]
    assert tap.streams["users"].effective_schema["properties"].keys() == schema["properties"].keys()


def test_a_partitioned_fast_stream_reads_each_partition_in_order() -> None:
    """FastRecordStream._sync_records: given no context, each of `partitions` in turn,
    and the state gets an entry per partition, as the SDK's own path does."""
    config = {"api_key": "k", "users_segment_ids": ["b", "a"]}
    tap = TapBrazeDau(config=config, catalog=_users_catalog("keep"))
    stream = tap.streams["users"]
    asked: list[Any] = []

    def get_records(context: Context | None) -> Iterable[dict[str, Any]]:
        asked.append(context)
        return iter(())

    stream.get_records = get_records  # type: ignore[method-assign]
    with redirect_stdout(_stdout()):
        stream.sync()
    assert asked == [{"segment_id": "b"}, {"segment_id": "a"}]
    partitions = tap.state["bookmarks"]["users"]["partitions"]
    assert [p["context"] for p in partitions] == [{"segment_id": "b"}, {"segment_id": "a"}]
