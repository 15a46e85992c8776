"""`users`: every profile of the segments of `users_segment_ids`, one partition each.

Full table: each run exports every segment anew (Braze keeps no history of who joined or
left). The profiles come from `UsersExports` (`users.py`), which exports the segments
several at once and hands back each one's files, in order, once all of it is on disk;
they are written as they are read (`FastRecordStream`: an export has millions), the
`pii` rule applied to each, and each file is removed once read.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from tap_braze_dau.exports.archive import profiles
from tap_braze_dau.exports.records import USER_PERSONAL, users_schema
from tap_braze_dau.exports.users import ExportFiles, UsersExports, read_profile
from tap_braze_dau.personal_data import PersonalDataRule
from tap_braze_dau.singer.sdk_hooks import FastRecordStream

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

USERS = "users"


class UsersStream(FastRecordStream):
    """Every profile of each exported segment; key `segment_id`, `braze_id`."""

    replication_key = None

    def __init__(
        self,
        tap: Tap,
        *,
        segment_ids: Callable[[], tuple[str, ...]],
        exports: Callable[[], UsersExports],
        personal_data: PersonalDataRule,
    ) -> None:
        schema = personal_data.apply_to_schema(users_schema(), USER_PERSONAL)
        self.personal_data = (personal_data, USER_PERSONAL)
        super().__init__(tap, schema=schema, name=USERS)
        self.primary_keys = ["segment_id", "braze_id"]
        self.selected_by_default = False
        self.forced_replication_method = "FULL_TABLE"
        self._segment_ids = segment_ids
        self._exports = exports
        self._rule = personal_data
        self._files: Iterator[ExportFiles] | None = None

    @property
    def partitions(self) -> list[dict[str, Any]] | None:
        """One per segment of `users_segment_ids`, in its order."""
        return [{"segment_id": segment} for segment in self._segment_ids()] or None

    def _close(self) -> None:
        files, self._files = self._files, None
        if files is not None and hasattr(files, "close"):
            files.close()  # ends the exports in flight, removes the scratch folder

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        assert context is not None, "users is partitioned by segment"
        segment_id = str(context["segment_id"])
        if self._files is None:
            self._files = self._exports().files()
        try:
            exported = next(self._files)
            assert exported.segment_id == segment_id, (exported.segment_id, segment_id)
            count = yield from self._read(exported)
        except BaseException:
            self._close()
            raise
        self.logger.info("users: segment %r: %d profile(s)", segment_id, count)
        if segment_id == self._segment_ids()[-1]:
            self._close()

    def _read(self, exported: ExportFiles) -> Generator[dict[str, Any], None, int]:
        rule, segment_id = self._rule, exported.segment_id
        count = 0
        for number, path in enumerate(exported.paths, start=1):
            where = (
                f"segment {segment_id!r}, export {exported.object_prefix}, "
                f"file {number} of {len(exported.paths)}"
            )
            try:
                for profile in profiles(path, where):
                    record = read_profile(profile, segment_id, where)
                    if rule.mode != "keep":
                        rule.apply(record, USER_PERSONAL)
                    count += 1
                    yield record
            finally:
                if exported.downloaded:
                    path.unlink(missing_ok=True)
        return count
