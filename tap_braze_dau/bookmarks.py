"""The bookmarks of a Singer state handed to the tap (`--state`), read once, up front.

The run plans the requests of every series before the SDK reaches them, so it needs every
bookmark at the start. They come from the state in the SDK's standard partitioned form:
`{"bookmarks": {"<stream>": {"partitions": [{"context": {"app_id": "ios"},
"replication_key": "time", "replication_key_value": "2024-12-31"}, ...]}}}`.
A bookmark the tap cannot read stops it with a message naming it: resuming from a guess
could skip days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tap_braze_dau.endpoint import SeriesKey
from tap_braze_dau.errors import StateError
from tap_braze_dau.rows import shown
from tap_braze_dau.settings import parse_date


def _partitions(stream: str, stream_state: object) -> list[Any]:
    if not isinstance(stream_state, Mapping):
        msg = f"state: bookmarks.{stream} must be an object, got {shown(stream_state)}"
        raise StateError(msg)
    partitions = stream_state.get("partitions", [])
    if not isinstance(partitions, list):
        msg = f"state: bookmarks.{stream}.partitions must be a list, got {shown(partitions)}"
        raise StateError(msg)
    return partitions


def bookmarks_of(state: Mapping[str, Any], streams: frozenset[str]) -> dict[SeriesKey, dt.date]:
    """{series: bookmarked day} for the partitions of `streams` in `state`.

    Partitions of other streams, and entries without a bookmark yet, are left alone.
    """
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, Mapping):
        msg = f"state: 'bookmarks' must be an object, got {shown(bookmarks)}"
        raise StateError(msg)
    found: dict[SeriesKey, dt.date] = {}
    for stream, stream_state in bookmarks.items():
        if stream not in streams:
            continue
        for partition in _partitions(stream, stream_state):
            context = partition.get("context") if isinstance(partition, Mapping) else None
            app_id = context.get("app_id") if isinstance(context, Mapping) else None
            if not isinstance(app_id, str):
                msg = f"state: a partition of {stream} has no app_id context: {shown(partition)}"
                raise StateError(msg)
            value = partition.get("replication_key_value")
            if value is None:
                continue
            try:
                found[SeriesKey(stream, app_id)] = parse_date(value)
            except ValueError as exc:
                msg = f"state: the bookmark of series {app_id!r} of {stream}: {exc}"
                raise StateError(msg) from None
    return found
