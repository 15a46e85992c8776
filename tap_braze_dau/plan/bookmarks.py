"""The bookmarks of a Singer state handed to the tap (`--state`), read once, up front.

The run plans the requests of every series before the SDK reaches them, so it needs every
bookmark at the start. They come from the state in the SDK's standard partitioned form:
`{"bookmarks": {"<stream>": {"partitions": [{"context": {"app_id": "ios"},
"replication_key": "time", "replication_key_value": "2024-12-31"}, ...]}}}`; a context
holds every dimension of the series (`{"event": "login", "app_id": "ios"}`); an hourly
stream's value is an hour (`2024-12-31T23:00:00Z`).
A bookmark the tap cannot read stops it with a message naming it: resuming from a guess
could skip days.

A series of a campaign or Canvas also keeps `COMPLETE_AS_OF`: the last day of the run
that last delivered every one of its windows. Its bookmark is its last day with stats,
which stops moving once it has ended; this says when it was read, so that a run re-reads
only the days that were still recent then (jobs.py), and an ended campaign read since it
ended costs nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from tap_braze_dau.declarations import SeriesKey, StreamDeclaration
from tap_braze_dau.errors import StateError
from tap_braze_dau.plan.windows import parse_date, parse_hour
from tap_braze_dau.redaction import shown


def _partitions(stream: str, stream_state: object) -> list[Any]:
    if not isinstance(stream_state, Mapping):
        msg = f"state: bookmarks.{stream} must be an object, got {shown(stream_state)}"
        raise StateError(msg)
    partitions = stream_state.get("partitions", [])
    if not isinstance(partitions, list):
        msg = f"state: bookmarks.{stream}.partitions must be a list, got {shown(partitions)}"
        raise StateError(msg)
    return partitions


#: The partition key of `complete_as_of` (a day, YYYY-MM-DD).
COMPLETE_AS_OF = "complete_as_of"


def bookmarks_of(
    state: Mapping[str, Any], declarations: Iterable[StreamDeclaration]
) -> dict[SeriesKey, dt.date]:
    """{series: bookmarked day (hour)} for the partitions of the streams `declarations`
    declare in `state`. Partitions of other streams, and entries without a bookmark yet,
    are left alone.
    """
    streams = {d.name: tuple(dim.column for dim in d.dimensions) for d in declarations}
    hourly = {d.name for d in declarations if d.hourly}
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, Mapping):
        msg = f"state: 'bookmarks' must be an object, got {shown(bookmarks)}"
        raise StateError(msg)
    found: dict[SeriesKey, dt.date] = {}
    for stream, stream_state in bookmarks.items():
        if stream not in streams:
            continue
        for partition in _partitions(stream, stream_state):
            key = _series_key(stream, streams[stream], partition)
            value = partition.get("replication_key_value")
            if value is None:
                continue
            try:
                found[key] = parse_hour(value) if stream in hourly else parse_date(value)
            except ValueError as exc:
                msg = f"state: the bookmark of {key}: {exc}"
                raise StateError(msg) from None
    return found


def completions_of(
    state: Mapping[str, Any], declarations: Iterable[StreamDeclaration]
) -> dict[SeriesKey, dt.date]:
    """{series: its `COMPLETE_AS_OF` day} for the streams with active ranges."""
    streams = {
        d.name: tuple(dim.column for dim in d.dimensions) for d in declarations if d.active_in
    }
    bookmarks = state.get("bookmarks", {})
    found: dict[SeriesKey, dt.date] = {}
    if not isinstance(bookmarks, Mapping):
        return found  # bookmarks_of names the problem
    for stream, stream_state in bookmarks.items():
        if stream not in streams:
            continue
        for partition in _partitions(stream, stream_state):
            value = partition.get(COMPLETE_AS_OF) if isinstance(partition, Mapping) else None
            if value is None:
                continue
            key = _series_key(stream, streams[stream], partition)
            try:
                found[key] = parse_date(value)
            except ValueError as exc:
                msg = f"state: {COMPLETE_AS_OF} of {key}: {exc}"
                raise StateError(msg) from None
    return found


def _series_key(stream: str, columns: tuple[str, ...], partition: object) -> SeriesKey:
    context = partition.get("context") if isinstance(partition, Mapping) else None
    dimensions = []
    for column in columns:
        value = context.get(column) if isinstance(context, Mapping) else None
        if not isinstance(value, str):
            msg = f"state: a partition of {stream} has no {column} context: {shown(partition)}"
            raise StateError(msg)
        dimensions.append((column, value))
    return SeriesKey(stream, tuple(dimensions))
