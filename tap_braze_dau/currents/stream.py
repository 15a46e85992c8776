"""The Currents streams: one per event type, every file read by exactly one run.

`CurrentsSource` is the run's view of `currents_url`: the storage, its event type
folders (listed once per run), the files to read fetched ahead into a scratch folder
`max_parallel_requests` at a time (removed once the stream is read), and handed back in
order. `CurrentsStream`
reads them file after file, block by block, and writes each event as it is decoded
(`FastRecordStream`); after a file's last record, the stream's bookmark claims the file
and a STATE follows when the tap's STATE rule says so (`plan/checkpoints.py`). Killed at
any moment, the next run reads again only the files no STATE claimed: their events may
arrive twice, and targets that upsert on `id` keep them once (Currents delivers at least
once anyway).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastavro
import msgspec

from tap_braze_dau.currents.avro_schema import (
    JsonSchema,
    merge_schemas,
    personal_fields,
    record_schema,
    widens,
)
from tap_braze_dau.currents.bookmark import FileBookmark, bookmark_of, first_hour_to_list
from tap_braze_dau.currents.bucket import (
    CurrentsFile,
    discover,
    event_type_folders,
    folders_typed_by_schema,
    unread_files,
)
from tap_braze_dau.currents.layout import stream_name
from tap_braze_dau.errors import CurrentsFileError
from tap_braze_dau.personal_data import PersonalDataRule, PersonalFields
from tap_braze_dau.plan.checkpoints import Checkpoints
from tap_braze_dau.plan.ordered import OrderedFetcher
from tap_braze_dau.singer.sdk_hooks import FastRecordStream
from tap_braze_dau.storage.scratch import scratch_folder
from tap_braze_dau.storage.store import ObjectStorage

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

#: What a file that is not the Avro it claims to be raises while it is decoded.
DECODE_ERRORS = (
    ValueError,
    EOFError,
    KeyError,
    IndexError,
    TypeError,
    OSError,
    zlib.error,
    UnicodeDecodeError,
    StopIteration,
)
#: `{"type":"RECORD","stream":"","record":,"time_extracted":"...Z"}` and the newline.
_ENVELOPE_BYTES = 90


@dataclass(frozen=True)
class CurrentsOptions:
    """What the Currents streams need of the settings."""

    start_date: dt.date | None
    lookback_hours: int
    skip_bad_files: bool
    parallel: int
    personal_data: PersonalDataRule


class CurrentsSource:
    """The run's view of `currents_url` (thread-safe); `storage()` builds the storage on
    first use, so a run that syncs no Currents stream never touches the bucket."""

    def __init__(
        self,
        storage: Callable[[], ObjectStorage],
        options: CurrentsOptions,
        logger: logging.Logger,
    ) -> None:
        self._make_storage = storage
        self.options = options
        self._logger = logger
        self._lock = threading.Lock()
        self._folders: dict[str, list[str]] | None = None
        #: The folders hold their files without hour folders (see `TypedFolders`).
        self.flat = False

    @cached_property
    def storage(self) -> ObjectStorage:
        return self._make_storage()

    def folders_of(self, name: str) -> list[str]:
        """The folders of the event type whose stream is `name` (listed once per run)."""
        with self._lock:
            if self._folders is None:
                self._folders = event_type_folders(self.storage) or self._typed_by_schema()
            return [
                folder
                for event_type, folders in sorted(self._folders.items())
                if stream_name(event_type) == name
                for folder in folders
            ]

    def _typed_by_schema(self) -> dict[str, list[str]]:
        """Without `event_type=` folders: each folder's type from its newest file's header."""
        typed = folders_typed_by_schema(self.storage, self._logger.warning)
        self.flat = typed.flat
        if typed.by_type:
            self._logger.info(
                "currents_url holds no event_type= folder: the event type of each of its "
                "%d folder(s) is read from the header of its newest file",
                sum(len(found) for found in typed.by_type.values()),
            )
        return {
            event_type: [folder for folder, _file, _schema in found]
            for event_type, found in typed.by_type.items()
        }

    def discover(self) -> dict[str, dict[str, Any]]:
        """{event type: the writer schema of its newest file}."""
        return discover(self.storage, self._logger.warning)

    def fetched(self, files: list[CurrentsFile]) -> Iterator[tuple[CurrentsFile, Path, bool]]:
        """Each file with a path to read it from, in order; `True` when the path is a
        download of the run's (to remove once read). A local folder's files are read in
        place; a bucket's are downloaded `parallel` at a time, ahead of the reader."""
        storage = self.storage
        if storage.location.is_local:
            for file in files:
                path = storage.local_path(file.key.key)
                assert path is not None
                yield file, path, False
            return
        with scratch_folder() as folder:

            def download(file: CurrentsFile) -> Path:
                target = folder / f"{time.monotonic_ns()}-{threading.get_ident()}.avro"
                storage.download(file.key.key, target)
                return target

            stop = threading.Event()
            fetcher: OrderedFetcher[CurrentsFile, Path] = OrderedFetcher(
                download, self.options.parallel, stop
            )
            results = fetcher.map(files)
            try:
                for file, path in results:
                    yield file, path, True
            finally:
                results.close()


class CurrentsStream(FastRecordStream):
    """The events of one Currents event type: every field under Braze's own name, key
    `id`, incremental by file (see the module docstring)."""

    replication_key = None
    STATE_MSG_FREQUENCY = 10**12  # STATE is written after files, by `Checkpoints`

    def __init__(
        self,
        tap: Tap,
        *,
        name: str,
        schema: JsonSchema,
        source: CurrentsSource,
        checkpoints: Callable[[], Checkpoints],
    ) -> None:
        rule = source.options.personal_data
        self._personal = PersonalFields(fields=personal_fields(schema))
        self.personal_data = (rule, self._personal)
        super().__init__(tap, schema=rule.apply_to_schema(schema, self._personal), name=name)
        self.primary_keys = ["id"]
        self.selected_by_default = False
        self.forced_replication_method = "INCREMENTAL"
        self._source = source
        self._checkpoints = checkpoints
        self._seen_writers: dict[str, JsonSchema] = {}

    def _file_schema(self, writer: dict[str, Any]) -> tuple[JsonSchema, frozenset[str]]:
        """A file's record schema (the personal-data rule applied) and personal fields."""
        fingerprint = msgspec.json.encode(writer).decode()
        raw = self._seen_writers.get(fingerprint)
        if raw is None:
            raw = record_schema(writer)  # SchemaError, a ValueError: a bad file (`_read`)
            self._seen_writers[fingerprint] = raw
        personal = personal_fields(raw) | self._personal.fields
        rule = self._source.options.personal_data
        return rule.apply_to_schema(raw, PersonalFields(fields=personal)), personal

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        options = self._source.options
        state = self.get_context_state(context)
        bookmark = bookmark_of(state, self.name)
        folders = self._source.folders_of(self.name)
        first = first_hour_to_list(bookmark, options.start_date, options.lookback_hours)
        files = unread_files(
            self._source.storage, folders, first, bookmark.has_read, flat=self._source.flat
        )
        self.logger.info(
            "%s: %d new file(s) in %d folder(s) from hour folder %s on",
            self.name,
            len(files),
            len(folders),
            first or "(the first)",
        )
        checkpoints = self._checkpoints()
        try:
            for file, path, downloaded in self._source.fetched(files):
                try:
                    written = yield from self._read(file, path)
                finally:
                    if downloaded:
                        path.unlink(missing_ok=True)
                bookmark = self._claim(state, bookmark, file)
                checkpoints.window_written(written, series_end=True)
        except Exception:
            checkpoints.write_now()  # what was delivered stays claimed
            raise

    def _claim(
        self, state: dict[str, Any], bookmark: FileBookmark, file: CurrentsFile
    ) -> FileBookmark:
        bookmark = bookmark.with_file(file.hour, file.key.key, self._source.options.lookback_hours)
        state.update(bookmark.to_state())
        return bookmark

    def _read(self, file: CurrentsFile, path: Path) -> Generator[dict[str, Any], None, int]:
        """Yield a file's events; returns an estimate of their RECORD bytes."""
        key = file.key.key
        rule = self._source.options.personal_data
        count = sample = 0
        try:
            with path.open("rb") as stream:
                reader = fastavro.reader(stream)
                writer = reader.writer_schema
                if not isinstance(writer, dict):
                    msg = "its writer schema is not a record"
                    raise ValueError(msg)
                schema, personal = self._file_schema(writer)
                if widens(self.effective_schema, schema):
                    self.logger.info("%s: %s adds fields; the schema grows", self.name, key)
                    self.grow_schema(merge_schemas(self.effective_schema, schema))
                fields = PersonalFields(fields=personal)
                for record in reader:
                    if not isinstance(record, dict):
                        msg = "an event is not a record"
                        raise ValueError(msg)
                    if rule.mode != "keep":
                        rule.apply(record, fields)
                    if not count:
                        sample = len(msgspec.json.encode(record)) + _ENVELOPE_BYTES
                    count += 1
                    yield record
        except DECODE_ERRORS as exc:
            where = f"{self._source.storage.location}/{key}"
            if not self._source.options.skip_bad_files:
                msg = (
                    f"currents_url: {where} cannot be decoded ({type(exc).__name__}: "
                    f"{str(exc)[:200]}); everything before it is delivered and claimed. "
                    "currents_skip_bad_files: true skips such files with a warning."
                )
                raise CurrentsFileError(msg, key=key) from None
            self.logger.warning(
                "%s: skipped %s, which cannot be decoded (%s: %s), after %d event(s) "
                "(currents_skip_bad_files)",
                self.name,
                where,
                type(exc).__name__,
                str(exc)[:200],
                count,
            )
        return count * sample
