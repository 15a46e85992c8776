"""What is under `currents_url`: the event types, their newest schemas, the unread files.

Discovery lists the folders down to the `event_type=` ones (two levels: the integration
folders, then their event types; `currents_url` may also name an integration folder
itself), and for each event type reads the header of its newest file: the last hour
folder's, of its highest schema id. Where no `event_type=` folder exists (Braze warns
its naming may change), every Avro file under the URL is listed, and each folder's
event type is read from the writer schema of its newest file.

A sync lists, for each selected event type, only its files after the first hour folder
to read (`bookmark.first_hour_to_list`): an object store answers a listing that starts
after a key without walking what comes before, so a run's listing requests grow with
the hours since the last run and the look-back, never with the history. No file is
read to find out what is new.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fastavro

from tap_braze_dau.currents.layout import (
    CurrentsKey,
    event_type_of_schema,
    hour_of,
    parse_key,
)
from tap_braze_dau.errors import CurrentsFileError
from tap_braze_dau.storage.store import HEAD_BYTES, ObjectStorage, StoredFile

EVENT_TYPE_SEGMENT = "event_type="
#: Headers larger than this are not Avro headers Braze writes.
MAX_HEADER_BYTES = 16 * HEAD_BYTES


@dataclass(frozen=True)
class CurrentsFile:
    """A file to read: its key's parts and its hour (from the key, or else the hour it
    was written in)."""

    key: CurrentsKey
    stored: StoredFile

    @property
    def hour(self) -> str:
        return self.key.hour or hour_of(self.stored.last_modified)

    @property
    def order(self) -> tuple[str, str]:
        """The order a stream reads its files in: by hour folder, then by key."""
        return (self.hour, self.key.key)


def event_type_folders(storage: ObjectStorage) -> dict[str, list[str]]:
    """{event type: its folders (one per integration)} from folder listings alone."""
    found: dict[str, list[str]] = defaultdict(list)

    def take(folders: list[str]) -> list[str]:
        others = []
        for folder in folders:
            name = folder.rpartition("/")[2]
            if name.startswith(EVENT_TYPE_SEGMENT) and len(name) > len(EVENT_TYPE_SEGMENT):
                found[name.removeprefix(EVENT_TYPE_SEGMENT)].append(folder)
            else:
                others.append(folder)
        return others

    for integration in take(storage.folders("")):
        take(storage.folders(integration))
    return dict(found)


def writer_schema(storage: ObjectStorage, key: str) -> dict[str, Any]:
    """A file's writer schema, from its first bytes (read again, larger, if the header is
    longer); CurrentsFileError naming the key if it is not an Avro file."""
    size = HEAD_BYTES
    while True:
        head = storage.head(key, size)
        try:
            schema = fastavro.reader(io.BytesIO(head)).writer_schema
        except (ValueError, EOFError, StopIteration, KeyError) as exc:
            if len(head) == size and size < MAX_HEADER_BYTES and head[:4] == b"Obj\x01":
                size *= 4
                continue
            msg = f"currents_url: {storage.location}/{key} is not a readable Avro file ({exc})"
            raise CurrentsFileError(msg, key=key) from None
        if not isinstance(schema, dict):
            msg = f"currents_url: {storage.location}/{key} has no record schema"
            raise CurrentsFileError(msg, key=key)
        return schema


def newest_file(storage: ObjectStorage, folder: str) -> CurrentsFile | None:
    """The newest file of an event type folder: in its last hour folder, of the highest
    schema id, the last written."""
    hours = [f for f in storage.folders(folder) if f.rpartition("/")[2].startswith("date=")]
    for hour_folder in reversed(hours):
        files = list(currents_files(storage, hour_folder))
        if files:
            return max(
                files,
                key=lambda f: (f.key.schema_id or 0, f.stored.last_modified, f.key.key),
            )
    return None


def currents_files(
    storage: ObjectStorage, prefix: str, after: str | None = None
) -> Iterator[CurrentsFile]:
    """The Avro files under `prefix` (after the key `after`), in key order; anything
    else (`_SUCCESS`, checksums, folder markers) skipped."""
    for stored in storage.files(prefix, after):
        key = parse_key(stored.key)
        if key is not None and stored.size > 0:
            yield CurrentsFile(key, stored)


def discover(storage: ObjectStorage) -> dict[str, dict[str, Any]]:
    """{event type: the writer schema of its newest file} of everything under the URL."""
    folders = event_type_folders(storage)
    if not folders:
        return _discover_without_event_type_folders(storage)
    schemas: dict[str, dict[str, Any]] = {}
    for event_type, event_folders in sorted(folders.items()):
        newest = [f for f in (newest_file(storage, folder) for folder in event_folders) if f]
        if newest:
            chosen = max(newest, key=lambda f: (f.hour, f.key.schema_id or 0))
            schemas[event_type] = writer_schema(storage, chosen.key.key)
    return schemas


def _discover_without_event_type_folders(storage: ObjectStorage) -> dict[str, dict[str, Any]]:
    newest_by_folder: dict[str, CurrentsFile] = {}
    for file in currents_files(storage, ""):
        known = newest_by_folder.get(file.key.folder)
        if known is None or file.stored.last_modified >= known.stored.last_modified:
            newest_by_folder[file.key.folder] = file
    schemas: dict[str, dict[str, Any]] = {}
    for _folder, file in sorted(newest_by_folder.items()):
        schema = writer_schema(storage, file.key.key)
        event_type = file.key.event_type or event_type_of_schema(str(schema.get("name", "")))
        known_schema = schemas.get(event_type)
        if known_schema is None or file.key.schema_id:
            schemas[event_type] = schema
    return schemas


def unread_files(
    storage: ObjectStorage,
    folders: list[str],
    first_hour: str | None,
    has_read: Any,
) -> list[CurrentsFile]:
    """The files of an event type's folders from the hour folder `first_hour` on (None:
    all) that `has_read(hour, key)` says were not read, in reading order."""
    found: list[CurrentsFile] = []
    for folder in folders:
        after = f"{folder}/date={first_hour}" if first_hour else None
        for file in currents_files(storage, folder, after):
            if first_hour and file.hour < first_hour:
                continue
            if not has_read(file.hour, file.key.key):
                found.append(file)
    return sorted(found, key=lambda f: f.order)
