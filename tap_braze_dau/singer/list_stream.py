"""The list streams: Braze's events, products and segments, one record per item.

Full table: every run reads the whole list (it is a few pages) and emits every item. The
run's `Listings` reads each list once, so a list that also gives a series stream its
dimension values is not read twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream

from tap_braze_dau.declarations import ListDeclaration
from tap_braze_dau.plan.listings import Listings

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context


class ListStream(Stream):
    """A Braze list as a full-table stream keyed on its first column."""

    replication_method = "FULL_TABLE"

    def __init__(
        self,
        tap: Tap,
        declaration: ListDeclaration,
        *,
        listings: Callable[[], Listings],
        checkpoint: Callable[[], None],
    ) -> None:
        super().__init__(tap, schema=declaration.schema(), name=declaration.name)
        self.declaration = declaration
        self.primary_keys = list(declaration.key_columns)
        self.selected_by_default = declaration.selected_by_default
        self._listings = listings
        self._checkpoint = checkpoint

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        try:
            records = self._listings().records(self.declaration, for_stream=self.name)
        except Exception:
            self._checkpoint()  # what earlier streams delivered stays claimed
            raise
        yield from (dict(record) for record in records)
