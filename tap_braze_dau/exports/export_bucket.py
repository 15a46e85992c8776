"""A user export in the workspace's own bucket (`users_export_url`): where its files
are, and when it is complete.

Braze writes an export's files under `segment-export/<segment_id>/<date>/<object_prefix>/`
(the date that of its callback, so not known in advance), one `.zip` or `.gz` per few
thousand users, and no manifest. So the tap lists the segment's date folders from the
day before the export started (a clock a little ahead) on, each one's `<object_prefix>/`
only, and counts the export complete once it holds at least one file and none has
appeared for `users_export_settle_seconds` (`polling.settled`). A partial export is
never handed on as a complete one; one that stalls longer than the settle time between
two files would be, which is why the setting exists.
"""

from __future__ import annotations

import datetime as dt
import logging

from tap_braze_dau.exports.polling import Polls, settle_poll_cap, settled
from tap_braze_dau.storage.store import ObjectStorage, StoredFile

#: Where Braze writes a segment's exports in the workspace's bucket.
BUCKET_FOLDER = "segment-export"


def export_files(
    storage: ObjectStorage, segment_id: str, object_prefix: str, started: dt.date
) -> list[StoredFile]:
    """The files of one export in the bucket so far (folder markers and files in
    writing, whose names start with a dot, left out)."""
    earliest = (started - dt.timedelta(days=1)).isoformat()
    files: list[StoredFile] = []
    for date_folder in storage.folders(f"{BUCKET_FOLDER}/{segment_id}"):
        if date_folder.rsplit("/", 1)[-1] < earliest:
            continue
        for file in storage.files(f"{date_folder}/{object_prefix}"):
            name = file.key.rsplit("/", 1)[-1]
            if name and not name.startswith("."):
                files.append(file)
    return files


def settled_files(
    storage: ObjectStorage,
    segment_id: str,
    object_prefix: str,
    started: dt.date,
    *,
    settle_seconds: float,
    polls: Polls,
    logger: logging.Logger,
) -> list[StoredFile]:
    """The export's files, once no new one has appeared for `settle_seconds` (seen on
    the tap's own clock: the bucket's may differ); `NotSettled` past the deadline."""
    first_seen: dict[str, float] = {}
    found: dict[str, StoredFile] = {}
    cap = settle_poll_cap(settle_seconds)
    while True:
        now = polls.clock()
        for file in export_files(storage, segment_id, object_prefix, started):
            if file.key not in found:
                found[file.key] = file
                first_seen[file.key] = now
        if settled(first_seen, polls.clock(), settle_seconds):
            logger.info(
                "users: segment %r: %d file(s) under %s, none new for %g s: complete",
                segment_id,
                len(found),
                object_prefix,
                settle_seconds,
            )
            return sorted(found.values())
        logger.info(
            "users: segment %r: %d file(s) of export %s in %s so far; waiting until none "
            "is new for %g s (users_export_settle_seconds)",
            segment_id,
            len(found),
            object_prefix,
            storage.location,
            settle_seconds,
        )
        if not polls.wait(cap):
            what = "was not complete" if found else "wrote no file"
            raise NotSettled(f"{what} in {storage.location}")


class NotSettled(Exception):
    """The deadline passed (or the run is stopping) before the export settled."""
