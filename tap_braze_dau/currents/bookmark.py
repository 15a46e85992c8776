"""Which Currents files a stream has read: what STATE keeps, and what a run lists. Pure.

Braze names a file with the hour (UTC) its events were queued in, and may still write a
file into an hour folder older than the newest one read (late delivery, reprocessing).
So the bookmark of a stream is the newest hour folder read, and for each hour folder
within `currents_lookback_hours` of it the files read there. A run lists the hour
folders from the newest read less the look-back on, and reads the files of those it has
not read: a file that lands up to the look-back late is read by the next run, once.
Older folders are never listed again, and their files are forgotten: STATE holds at
most the look-back's files, whatever the history.

A file is remembered by a 16-character id (base64 of 96 bits of the SHA-256 of its key):
collision-free in practice, and each hour folder's ids are kept as one string, so STATE
costs 16 bytes a file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tap_braze_dau.currents.layout import hour_of, hour_start, is_hour
from tap_braze_dau.errors import StateError
from tap_braze_dau.redaction import shown

ID_LENGTH = 16
#: The keys of a Currents stream's state.
NEWEST_HOUR = "newest_hour"
READ_FILES = "read_files"


def file_id(key: str) -> str:
    """A file's id in STATE: 96 bits of the SHA-256 of its key, in base64 (16 chars)."""
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()[:12]).decode()


@dataclass(frozen=True)
class FileBookmark:
    """The newest hour folder read (None: nothing read yet), and per hour folder within
    the look-back the ids of the files read there, concatenated."""

    newest_hour: str | None = None
    read: Mapping[str, str] = field(default_factory=dict)

    def has_read(self, hour: str, key: str) -> bool:
        return _contains(self.read.get(hour, ""), file_id(key))

    def with_file(self, hour: str, key: str, lookback_hours: int) -> FileBookmark:
        """The bookmark once the file `key` of the hour folder `hour` is read: the
        folders older than the newest less the look-back forgotten."""
        newest = max(hour, self.newest_hour) if self.newest_hour else hour
        read = dict(self.read)
        ids = read.get(hour, "")
        if not _contains(ids, file_id(key)):
            read[hour] = ids + file_id(key)
        oldest = oldest_hour(newest, lookback_hours)
        kept = {h: read[h] for h in sorted(read) if h >= oldest}
        return FileBookmark(newest, kept)

    def to_state(self) -> dict[str, Any]:
        return {NEWEST_HOUR: self.newest_hour, READ_FILES: dict(sorted(self.read.items()))}


def _contains(ids: str, one: str) -> bool:
    return any(ids[at : at + ID_LENGTH] == one for at in range(0, len(ids), ID_LENGTH))


def oldest_hour(newest: str, lookback_hours: int) -> str:
    """The oldest hour folder a run lists after `newest` was read."""
    return hour_of(hour_start(newest) - dt.timedelta(hours=lookback_hours))


def first_hour_to_list(
    bookmark: FileBookmark, start_date: dt.date | None, lookback_hours: int
) -> str | None:
    """The first hour folder a run lists: the newest read less the look-back; without a
    bookmark, `start_date`'s midnight UTC; None: every folder (no bookmark, no start)."""
    if bookmark.newest_hour is not None:
        return oldest_hour(bookmark.newest_hour, lookback_hours)
    if start_date is not None:
        return hour_of(dt.datetime.combine(start_date, dt.time(0), dt.timezone.utc))
    return None


def bookmark_of(state: Mapping[str, Any], stream: str) -> FileBookmark:
    """A stream's bookmark from its state (`{}`: none); StateError naming what is wrong."""
    newest = state.get(NEWEST_HOUR)
    read = state.get(READ_FILES, {})
    if newest is None and not read:
        return FileBookmark()
    if not is_hour(newest):
        msg = f"state: {NEWEST_HOUR} of {stream} must be an hour YYYY-MM-DD-HH, got {shown(newest)}"
        raise StateError(msg)
    if not isinstance(read, Mapping) or not all(
        is_hour(hour) and isinstance(ids, str) and len(ids) % ID_LENGTH == 0
        for hour, ids in read.items()
    ):
        msg = f"state: {READ_FILES} of {stream} must map hours to file ids, got {shown(read)}"
        raise StateError(msg)
    return FileBookmark(str(newest), dict(read))
