"""The full-table streams: Braze's lists (events, products, segments, campaigns,
Canvases) and the details of campaigns and Canvases, one record per item.

Full table: every run reads the whole list (it is a few pages) or every item's details,
and emits every record. The run reads each list and each set of details once
(`Listings`, `Details`), so one that also plans a series stream (its dimension values,
its active ranges) is not read twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tap_braze_dau.declarations import DetailsDeclaration, ListDeclaration
from tap_braze_dau.singer.sdk_hooks import SdkStream

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context


class ListStream(SdkStream):
    """A Braze list, or a list's details, as a full-table stream keyed on its first
    column. `records(stream_name)` reads them (once per run)."""

    replication_method = "FULL_TABLE"

    def __init__(
        self,
        tap: Tap,
        declaration: ListDeclaration | DetailsDeclaration,
        *,
        records: Callable[[str], list[dict[str, Any]]],
        checkpoint: Callable[[], None],
    ) -> None:
        super().__init__(tap, schema=declaration.schema(), name=declaration.name)
        self.declaration = declaration
        self.primary_keys = list(declaration.key_columns)
        self.selected_by_default = declaration.selected_by_default
        self._records = records
        self._checkpoint = checkpoint

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        try:
            records = self._records(self.name)
        except Exception:
            self._checkpoint()  # what earlier streams delivered stays claimed
            raise
        yield from (dict(record) for record in records)
