"""What the tap fetches: a Braze data series endpoint, and one series of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Endpoint:
    """A `GET <path>` that answers `{"message": "success", "data": [{time, <value>}]}`.

    `params` are sent with every request besides `length`, `ending_at` and `app_id`
    (sessions: `unit=day`, so that Braze never answers with hourly points).
    """

    stream: str
    path: str
    value_field: str
    permission: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class SeriesKey:
    """One series of one stream: the unit of state (a partition) and of ordering."""

    stream: str
    app_id: str

    def __str__(self) -> str:
        return f"series {self.app_id!r} of {self.stream}"
