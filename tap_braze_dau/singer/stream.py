"""The one stream class: a Braze data series read from its declaration.

`SeriesStream` is the machinery that turns a `StreamDeclaration` (streams.py) into a
Singer stream: its schema, key and partitions (one per series), its records, and the
STATE written after them. Nothing in here names a particular stream.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tap_braze_dau.declarations import SeriesKey, StreamDeclaration
from tap_braze_dau.plan.bookmarks import COMPLETE_AS_OF
from tap_braze_dau.plan.checkpoints import Checkpoints, record_bytes
from tap_braze_dau.plan.run import SyncRun
from tap_braze_dau.plan.windows import moment_text
from tap_braze_dau.singer.sdk_hooks import SdkStream

if TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context


class SeriesStream(SdkStream):
    """A Braze data series, `{<dimensions>, time, <value>}` (stats: `<values>`, and
    whatever else Braze sends), one partition per series, incremental by `time`."""

    replication_key = "time"
    # Each series is emitted oldest day first, so a bookmark is safe to resume from at any
    # moment (the SDK then keeps bookmarks rather than unresumable progress markers).
    is_sorted = True
    # When STATE is written is decided by checkpoints.py, not by a record count.
    STATE_MSG_FREQUENCY = sys.maxsize

    def __init__(
        self,
        tap: Tap,
        declaration: StreamDeclaration,
        *,
        series: Callable[[StreamDeclaration], list[SeriesKey]],
        run: Callable[[], SyncRun],
        checkpoints: Callable[[], Checkpoints],
    ) -> None:
        super().__init__(tap, schema=declaration.schema(), name=declaration.name)
        self.declaration = declaration
        self.primary_keys = list(declaration.key_columns)
        self.selected_by_default = declaration.selected_by_default
        self._series = series
        self._run = run
        self._checkpoints = checkpoints

    def series(self) -> list[SeriesKey]:
        """Every series of the stream, in sync order."""
        return self._series(self.declaration)

    @property
    def partitions(self) -> list[dict[str, Any]]:
        return [key.context for key in self.series()]

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        key = self._key_of(context)
        value_field = self.declaration.values[0].name
        checkpoints = self._checkpoints()
        run = self._run()
        finished = False
        try:
            for result in run.results(key, self.declaration):
                for warning in result.checked.warnings:
                    self.logger.warning(warning)
                size = 0
                for day, value in result.checked.rows:
                    fields = value if isinstance(value, dict) else {value_field: value}
                    record = {**key.context, "time": moment_text(day), **fields}
                    size += record_bytes(self.name, record)
                    yield record
                if result.complete_as_of is not None:
                    # Its records are written: what this series needs next run follows.
                    state = self.get_context_state(context)
                    state[COMPLETE_AS_OF] = result.complete_as_of.isoformat()
                if result.checked.rows:
                    # The SDK has written and bookmarked the window's last record by the
                    # time this generator resumes: a STATE now claims exactly what was sent.
                    checkpoints.window_written(size, series_end=result.series_end)
            finished = True
        except Exception:
            # A fatal error: what was delivered stays claimed, whatever the budget said.
            checkpoints.write_now()
            raise
        finally:
            if not finished:
                run.close()

    def _key_of(self, context: Context | None) -> SeriesKey:
        """The series of a partition's context; a dimension it lacks (there is no
        context at all when the SDK is asked for an unpartitioned read) means its whole:
        the workspace, every product."""
        found = context or {}
        return SeriesKey(
            self.name,
            tuple(
                (d.column, str(found.get(d.column, d.all_value)))
                for d in self.declaration.dimensions
            ),
        )
