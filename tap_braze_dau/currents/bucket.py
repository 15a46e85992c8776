"""What is under `currents_url`: the event types, their newest schemas, the unread files.

Discovery lists the folders down to the `event_type=` ones (up to three levels: the
integration folders, then their event types; `currents_url` may name an integration
folder itself, or the folder above the integrations), and for each event type reads the
header of its newest file: the last hour folder's, of its highest schema id (an older
one if that cannot be read, with a warning). Where no `event_type=` folder exists (Braze
warns its naming may change), the folders holding the hour folders (`date=`), or else
those holding Avro files, are the event type folders, each typed by the writer schema of
its newest file; a sync then reads one such header per folder to know its type.

A sync lists, for each selected event type, only its files after the first hour folder
to read (`bookmark.first_hour_to_list`): an object store answers a listing that starts
after a key without walking what comes before, so a run's listing requests grow with
the hours since the last run and the look-back, never with the history. No file is
read to find out what is new.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterator
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


#: Folder levels walked down from `currents_url` to the `event_type=` folders.
MAX_FOLDER_DEPTH = 3
#: Folder levels walked down to the folders that hold hour folders, without them.
MAX_TYPE_FOLDER_DEPTH = 6
#: Files tried, newest first, for an event type's schema before discovery gives up.
MAX_SCHEMA_TRIES = 5
HOUR_SEGMENT = "date="


def _named(folder: str, segment: str) -> bool:
    name = folder.rpartition("/")[2]
    return name.startswith(segment) and len(name) > len(segment)


def event_type_folders(storage: ObjectStorage) -> dict[str, list[str]]:
    """{event type: its folders (one per integration)} from folder listings alone."""
    found: dict[str, list[str]] = defaultdict(list)
    level = [""]
    for _depth in range(MAX_FOLDER_DEPTH):
        below: list[str] = []
        for parent in level:
            for folder in storage.folders(parent):
                if _named(folder, EVENT_TYPE_SEGMENT):
                    event_type = folder.rpartition("/")[2].removeprefix(EVENT_TYPE_SEGMENT)
                    found[event_type].append(folder)
                elif not _named(folder, HOUR_SEGMENT):
                    below.append(folder)
        if found or not below:
            break
        level = below
    return dict(found)


@dataclass(frozen=True)
class TypedFolders:
    """Where no `event_type=` folder exists: {event type: [(folder, its newest file,
    that file's writer schema)]}; `flat` when the folders hold the files themselves
    (no hour folders), so a listing cannot start at an hour folder."""

    by_type: dict[str, list[tuple[str, CurrentsFile, dict[str, Any]]]]
    flat: bool


def folders_typed_by_schema(storage: ObjectStorage, warn: Callable[[str], None]) -> TypedFolders:
    """The folders that hold hour folders (`date=`; `currents_url` itself, "", may be
    one), or else (no hour folder either) those that hold Avro files, each typed by the
    writer schema of its newest file."""
    folders = _hour_folder_parents(storage)
    if folders:
        newest = {folder: _newest_first(storage, folder) for folder in folders}
    else:
        by_folder: dict[str, list[CurrentsFile]] = defaultdict(list)
        for file in currents_files(storage, ""):
            by_folder[file.key.folder].append(file)
        newest = {
            folder: iter(sorted(files, key=_newness, reverse=True))
            for folder, files in by_folder.items()
        }
    typed: dict[str, list[tuple[str, CurrentsFile, dict[str, Any]]]] = defaultdict(list)
    for folder in sorted(newest):
        found = _newest_schema(storage, newest[folder], warn)
        if found is None:
            continue
        file, schema = found
        event_type = file.key.event_type or event_type_of_schema(str(schema.get("name", "")))
        typed[event_type].append((folder, file, schema))
    return TypedFolders(dict(typed), flat=not folders)


def _hour_folder_parents(storage: ObjectStorage) -> list[str]:
    """The folders, down to `MAX_TYPE_FOLDER_DEPTH` levels, that hold hour folders."""
    parents: list[str] = []
    level = [""]
    for _depth in range(MAX_TYPE_FOLDER_DEPTH):
        below: list[str] = []
        for parent in level:
            children = storage.folders(parent)
            if any(_named(child, HOUR_SEGMENT) for child in children):
                parents.append(parent)
            else:
                below += children
        if not below:
            break
        level = below
    return parents


def _newness(file: CurrentsFile) -> tuple[int, Any, str]:
    return (file.key.schema_id or 0, file.stored.last_modified, file.key.key)


def _newest_first(storage: ObjectStorage, folder: str) -> Iterator[CurrentsFile]:
    """The files of an event type folder, newest first: by hour folder, then schema id."""
    hours = [f for f in storage.folders(folder) if _named(f, HOUR_SEGMENT)]
    if not hours:
        yield from sorted(currents_files(storage, folder), key=_newness, reverse=True)
        return
    for hour_folder in reversed(hours):
        yield from sorted(currents_files(storage, hour_folder), key=_newness, reverse=True)


def _newest_schema(
    storage: ObjectStorage, files: Iterator[CurrentsFile], warn: Callable[[str], None]
) -> tuple[CurrentsFile, dict[str, Any]] | None:
    """The newest of `files` whose header reads, with its writer schema; a file that
    cannot be read is named in a warning and the one before it tried, up to
    `MAX_SCHEMA_TRIES`, after which the first failure is raised."""
    first_error: CurrentsFileError | None = None
    for tried, file in enumerate(files):
        if tried == MAX_SCHEMA_TRIES:
            break
        try:
            return file, writer_schema(storage, file.key.key)
        except CurrentsFileError as exc:
            first_error = first_error or exc
            warn(f"{exc}; its event type's schema is taken from an older file")
    if first_error is not None:
        raise first_error
    return None


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


def currents_files(
    storage: ObjectStorage, prefix: str, after: str | None = None
) -> Iterator[CurrentsFile]:
    """The Avro files under `prefix` (after the key `after`), in key order; anything
    else (`_SUCCESS`, checksums, folder markers) skipped."""
    for stored in storage.files(prefix, after):
        key = parse_key(stored.key)
        if key is not None and stored.size > 0:
            yield CurrentsFile(key, stored)


def discover(storage: ObjectStorage, warn: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """{event type: the writer schema of its newest file} of everything under the URL."""
    folders = event_type_folders(storage)
    if not folders:
        typed = folders_typed_by_schema(storage, warn)
        return {
            event_type: max(found, key=lambda f: (f[1].hour, f[1].key.schema_id or 0))[2]
            for event_type, found in sorted(typed.by_type.items())
        }
    schemas: dict[str, dict[str, Any]] = {}
    for event_type, event_folders in sorted(folders.items()):
        newest = [
            found
            for found in (
                _newest_schema(storage, _newest_first(storage, folder), warn)
                for folder in event_folders
            )
            if found is not None
        ]
        if newest:
            _file, schema = max(newest, key=lambda f: (f[0].hour, f[0].key.schema_id or 0))
            schemas[event_type] = schema
    return schemas


def unread_files(
    storage: ObjectStorage,
    folders: list[str],
    first_hour: str | None,
    has_read: Any,
    *,
    flat: bool = False,
) -> list[CurrentsFile]:
    """The files of an event type's folders from the hour folder `first_hour` on (None:
    all) that `has_read(hour, key)` says were not read, in reading order; `flat` folders
    hold their files without hour folders, so each is listed whole."""
    found: list[CurrentsFile] = []
    for folder in folders:
        after = f"{folder}/{HOUR_SEGMENT}{first_hour}" if first_hour and not flat else None
        if after is not None and not folder:  # `currents_url` is the event type folder
            after = after.removeprefix("/")
        for file in currents_files(storage, folder, after):
            if first_hour and file.hour < first_hour:
                continue
            if not has_read(file.hour, file.key.key):
                found.append(file)
    return sorted(found, key=lambda f: f.order)
