"""The workspace's dimensions: custom events, products and segments, their lists and pages.

A value (an event name, a product id, a segment id) can be refused by its series endpoint
while still listed (`stale`, or `deleted` at construction: deleted between the list and the
series request), or refused and gone from its list as well (`delete`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

KINDS = ("events", "products", "segments")
#: Items a page of each list endpoint (campaigns and Canvases: see messaging.py).
DEFAULT_PAGE_SIZES = {
    "events": 250,
    "products": 100,
    "segments": 100,
    "campaigns": 100,
    "canvases": 100,
}


@dataclass(frozen=True)
class Segment:
    """A segment as `/segments/list` describes it, and the first day of its sizes.

    What `/segments/details` adds: `description` (Braze's human-readable account of its
    filters; empty: one is made up from the name), `text_description` (the description
    typed in the dashboard), `teams`, `created_at` (None: 09:00 UTC on `first_day`) and
    `updated_at` (None: a day and six hours after `created_at`); naive instants are UTC.
    """

    name: str
    first_day: dt.date
    analytics_tracking_enabled: bool = True
    tags: tuple[str, ...] = ()
    description: str = ""
    text_description: str = ""
    teams: tuple[str, ...] = ()
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        created = _utc(self.created_at) or dt.datetime.combine(
            self.first_day, dt.time(9), dt.timezone.utc
        )
        updated = _utc(self.updated_at) or created + dt.timedelta(days=1, hours=6)
        description = self.description or f"Users matching the filters of {self.name}"
        for name, value in (
            ("created_at", created),
            ("updated_at", updated),
            ("description", description),
            ("tags", tuple(self.tags)),
            ("teams", tuple(self.teams)),
        ):
            object.__setattr__(self, name, value)


def _utc(instant: dt.datetime | None) -> dt.datetime | None:
    if instant is None:
        return None
    if instant.tzinfo is None:
        return instant.replace(tzinfo=dt.timezone.utc)
    return instant.astimezone(dt.timezone.utc)


class Dimensions:
    def __init__(
        self,
        *,
        events: dict[str, dt.date],
        products: dict[str, dt.date],
        segments: dict[str, Segment],
        deleted: Collection[str],
        page_sizes: dict[str, int] | None,
    ) -> None:
        self.events = dict(events)
        self.products = dict(products)
        self.segments = dict(segments)
        self._check_known(deleted)
        # Replaced, never mutated: request threads read them while a test deletes.
        self._refused = frozenset(deleted)
        self._gone: frozenset[str] = frozenset()
        sizes = dict(page_sizes or {})
        unknown = set(sizes) - set(DEFAULT_PAGE_SIZES)
        if unknown:
            msg = f"unknown page_sizes {sorted(unknown)}; known: {list(DEFAULT_PAGE_SIZES)}"
            raise ValueError(msg)
        if any(size < 1 for size in sizes.values()):
            msg = f"page sizes must be at least 1: {sizes}"
            raise ValueError(msg)
        self.page_sizes = {**DEFAULT_PAGE_SIZES, **sizes}

    def knows(self, value: str) -> bool:
        """Whether a value is an event name, a product id or a segment id."""
        return value in self.events or value in self.products or value in self.segments

    def _check_known(self, values: Collection[str]) -> None:
        unknown = {value for value in values if not self.knows(value)}
        if unknown:
            msg = f"not an event, product or segment: {sorted(unknown)}"
            raise ValueError(msg)

    def delete(self, value: str) -> None:
        """From now on refused by its series endpoint and gone from its list."""
        self._check_known([value])
        self._refused = self._refused | {value}
        self._gone = self._gone | {value}

    def stale(self, value: str) -> None:
        """From now on refused by its series endpoint, but still listed."""
        self._check_known([value])
        self._refused = self._refused | {value}

    def refused(self, value: str) -> bool:
        return value in self._refused

    def of(self, kind: str) -> dict[str, Any]:
        """The values of a kind ("events", "products", "segments") and their data."""
        if kind == "events":
            return self.events
        if kind == "products":
            return self.products
        if kind == "segments":
            return self.segments
        raise KeyError(kind)

    def first_day(self, kind: str, value: str | None) -> dt.date | None:
        """The first day of a value's data; value None (products only): the earliest product's,
        None if there is no product at all. KeyError for an unknown value."""
        if kind == "segments":
            assert value is not None
            return self.segments[value].first_day
        days = self.of(kind)
        if value is None:
            return min(days.values()) if days else None
        day: dt.date = days[value]
        return day

    def listed(self, kind: str) -> list[str]:
        """The values a list endpoint returns, sorted ascending."""
        gone = self._gone
        return sorted(value for value in self.of(kind) if value not in gone)

    def page(self, kind: str, page: int, *, descending: bool = False) -> list[Any]:
        """Page `page` (from 0) of a list endpoint's items; past the end, empty."""
        values = self.listed(kind)
        if descending:
            values.reverse()
        size = self.page_sizes[kind]
        chosen = values[page * size : (page + 1) * size]
        if kind != "segments":
            return chosen
        return [
            {
                "id": value,
                "name": self.segments[value].name,
                "analytics_tracking_enabled": self.segments[value].analytics_tracking_enabled,
                "tags": list(self.segments[value].tags),
            }
            for value in chosen
        ]

    def problem(self, kind: str, value: str | None) -> tuple[int, str] | None:
        """How the series endpoint refuses a value (status, message), or None."""
        if value is None:
            return None  # only products may be absent (every product together)
        if kind == "events":
            if value not in self.events or self.refused(value):
                return 400, f"Event {value} not found"
        elif kind == "products":
            if value not in self.products or self.refused(value):
                return 404, f"Product {value} not found"
        elif value not in self.segments or self.refused(value):
            return 404, f"Segment {value} not found"
        elif not self.segments[value].analytics_tracking_enabled:
            return 400, f"Segment {value} does not have analytics tracking enabled"
        return None
