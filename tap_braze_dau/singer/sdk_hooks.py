"""The only places where the tap overrides singer-sdk internals; each one is marked.

Everything else goes through the SDK's public surface (`Stream.get_records`,
`Tap.load_state`, `Tap.state_writer`, `Tap.cb_test`, ...). These have no public
equivalent: a bookmark that never moves back and a catalog's schema under the `pii`
rule (`SdkStream`), config validation reported
once per setting (`SdkTap`), and, for streams of millions of records (Currents), RECORD
messages written straight to stdout and a schema that grows mid-stream
(`FastRecordStream`). tests/unit/test_sdk_contract.py checks the SDK behaviour each
relies on, so an SDK upgrade that changes it fails the suite instead of the users'
pipelines.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Generator, Mapping
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.contrib.msgspec import encoder
from singer_sdk.exceptions import ConfigValidationError, MapperNotInitialized
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.types import Context, Record
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib import Catalog, StateMessage
from typing_extensions import override

from tap_braze_dau.personal_data import PersonalDataRule, PersonalFields


class SdkStream(Stream):
    """A stream whose bookmark never moves back (and, without a replication key, is the
    stream's own business: the SDK keeps none), whose records are always followed by a
    STATE, and whose schema follows the `pii` rule even where the catalog was discovered
    under another one (`personal_data`)."""

    #: The `pii` rule and the stream's personal fields, for streams that carry any.
    personal_data: tuple[PersonalDataRule, PersonalFields] | None = None

    @override
    def apply_catalog(self, catalog: Catalog) -> None:
        """The SDK's, then the `pii` rule applied to the catalog's schema.

        Relies on: the SDK takes a selected stream's schema from its catalog entry into
        `_input_schema`, which `effective_schema` (the SCHEMA message, the fields kept)
        returns. A catalog discovered under `pii: keep` and run under `hash` must not
        announce an address field of the wrong type, nor under `drop` a dropped one.
        """
        super().apply_catalog(catalog)
        if self.personal_data is not None and self._input_schema is not None:
            rule, fields = self.personal_data
            schema = rule.apply_to_schema(self._input_schema, fields)
            if schema != self._input_schema:
                self._input_schema = schema
                self.register_schema()

    def register_schema(self) -> None:
        """Register the stream's schema (`effective_schema`) with the mapper, whose SCHEMA
        messages and maps follow it, as the SDK registers a catalog's: its deselected
        properties left out.

        Relies on: the SDK registers each catalog entry's schema with the mapper when the
        tap is built (`Tap.setup_mapper`, before the streams apply the catalog); a second
        registration of a stream replaces the first; `_stream_maps` caches the maps of
        the schema registered before. A discovery builds no mapper: nothing to do.
        """
        try:
            mapper = self._tap.mapper
        except MapperNotInitialized:
            return
        schema = self.effective_schema
        properties = schema.get("properties", {})
        selected = {
            **schema,
            "properties": {
                name: value
                for name, value in properties.items()
                if self.mask.get(("properties", name), True)
            },
        }
        mapper.register_raw_stream_schema(self.name, selected, self.primary_keys)
        self._stream_maps = None

    @override
    def _write_state_message(self) -> None:
        """Write the state after the stream's records, even when it has not changed.

        Relies on: the SDK calls this at the end of a stream (and after every
        `STATE_MSG_FREQUENCY` records), and writes only if `state_manager.is_flushed` is
        false, which writing a record makes it; its own version goes through
        `Tap.state_writer`, which skips a state equal to the last one written.

        A target may keep only the STATE that follows the last RECORD it received
        (target-jsonl does): were an unchanged state skipped after a stream whose records
        changed nothing, such a target would keep none of the run, and the next run would
        start from the last but one (Currents would read the night's files again).
        """
        if not self.state_manager.is_flushed:
            _ = self.stream_state  # the SDK's own: make sure the stream has an entry
            self._tap.write_message(StateMessage(value=self.tap_state))
            self.state_manager.is_flushed = True

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        """Advance the series' bookmark to `latest_record`, never back.

        Relies on: the SDK calls this once per record, right after writing it, with the
        record's partition as `context`; for a sorted stream (`is_sorted = True`) its own
        version raises `InvalidStreamSortException` for a value below the bookmark.

        Every run re-reads `lookback_days` before the bookmark: those days must neither
        stop the sync (the SDK's sort check) nor pull the bookmark back (a run interrupted
        during its look-back would widen the next run's look-back each time).
        """
        key = self.replication_key
        if key is None:
            return  # the stream keeps its own bookmark (Currents: the files it read)
        current = self.get_context_state(context).get("replication_key_value")
        if key and current is not None and latest_record[key] <= current:
            return
        super()._increment_stream_state(latest_record, context=context)


class SdkTap(Tap):
    """A tap that validates its config itself, reporting each bad setting once."""

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """`checked_config` replaces the SDK's schema check, so no setting is reported
        twice (once by the schema, once by the tap's own, clearer check).

        Relies on: the SDK calls this from `PluginBase.__init__`, before anything reads
        the config, with `self._config` holding the merged config (files and
        environment), and lets `ConfigValidationError` reach its CLI, which logs each of
        `errors` and exits 1.
        """
        self._config, errors = self.checked_config(self._config)
        if errors and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=errors, schema=self.config_jsonschema
            )
        return errors

    def checked_config(self, config: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The config to use and every problem with it, one message per problem."""
        raise NotImplementedError


class FastRecordStream(SdkStream):
    """A stream that writes its RECORD messages itself when nothing transforms them.

    The SDK spends several times the cost of decoding an event on each record it writes
    (a copy, type conformance, the stream map, a message object, a flush); for Currents'
    millions of events that is most of the run. When the stream's only map is the SDK's
    identity (no `stream_maps` for it, no flattening), no record limit applies (the
    SDK's dry runs) and messages are written, `_sync_records` writes each record as the
    SDK's msgspec writer would, byte for byte (`time_extracted` aside), straight to
    stdout's buffer: the STATE messages the stream writes meanwhile go through the same
    buffer, so every record precedes the STATE that follows it. Anything else takes the
    SDK's own path. Deselected properties are removed either way.

    Relies on: `_sync_records` is the generator `Stream.sync` drains, once for a stream
    (each partition in turn, as `partitions` lists them); RECORD messages are
    `{"type", "stream", "record", "time_extracted"}` (no `version` unless ACTIVATE_VERSION
    is on); `state_manager.is_flushed` makes `_write_state_message` write; the mapper
    rebuilds a stream's maps when its schema is registered again.
    tests/unit/test_sdk_contract.py checks each; tests/e2e/test_currents.py compares the
    two paths' output.
    """

    #: Records the fast path wrote in this run (for the tests of the contract).
    written_directly = 0

    def writes_records_itself(self) -> bool:
        """Whether `_sync_records` may write the records itself (see the class)."""
        maps = self.stream_maps
        only = maps[0] if len(maps) == 1 else None
        return (
            type(only) is SameRecordTransform
            and only.stream_alias == self.name
            and not only.flattening_enabled
            and self.ABORT_AT_RECORD_COUNT is None
            and self._stream_version is None
        )

    @override
    def _sync_records(
        self, context: Context | None = None, *, write_messages: bool = True
    ) -> Generator[Any, Any, Any]:
        if not write_messages or not self.writes_records_itself():
            yield from super()._sync_records(context, write_messages=write_messages)
            return
        deselected = [
            name
            for name in self.effective_schema.get("properties", {})
            if not self.mask.get(("properties", name), True)
        ]
        out = sys.stdout.buffer
        head = b'{"type":"RECORD","stream":' + encoder.encode(self.name) + b',"record":'
        written = 0
        # As the SDK's own path: the given partition, else each of the stream's in turn.
        contexts: list[Context | None] = [context]
        if context is None and self.partitions:
            contexts = list(self.partitions)
        with self.get_record_counter() as counter, self.get_sync_timer():
            tail = b',"time_extracted":' + encoder.encode(utc_now()) + b"}\n"
            for partition in contexts:
                current = partition or None
                self.get_context_state(current)  # the partition's entry in the state
                for record in self.get_records(current):
                    assert isinstance(record, dict)
                    for name in deselected:
                        record.pop(name, None)
                    out.write(head + encoder.encode(record) + tail)
                    written += 1
                    if written % 10_000 == 0:
                        counter.increment(10_000)
                        tail = b',"time_extracted":' + encoder.encode(utc_now()) + b"}\n"
            counter.increment(written % 10_000)
        FastRecordStream.written_directly += written
        self.state_manager.is_flushed = False
        self._write_state_message()
        return
        yield  # a generator, as Stream.sync expects

    def grow_schema(self, schema: dict[str, Any]) -> None:
        """Make `schema` the stream's (a wider one: a field Braze added) and write its
        SCHEMA message, so the records that carry the new fields are not cut to the old
        ones (the SDK path conforms records to the stream's schema)."""
        self._schema = copy.deepcopy(schema)
        if self._input_schema is not None:
            self._input_schema = copy.deepcopy(schema)
        self.register_schema()
        self._write_schema_message()
