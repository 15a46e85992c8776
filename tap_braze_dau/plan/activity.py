"""Which days a campaign or a Canvas can have stats: its active range. Pure.

A campaign has stats from the day of its first send to the day of its last send plus the
conversion window (conversions keep arriving for up to `conversion_window_days` after a
send); a Canvas likewise from its first to its last entry. Its details give both instants.
They are read in UTC and the range is widened by a day on each side: Braze buckets days
in the workspace's zone, at most 14 hours from UTC, so no day with stats falls outside.

One that never sent (never entered) has no range, so its series is never requested. The
series is requested only over its range cut to the days a run syncs (`days_to_request`):
a campaign that ended before the bookmarked day less the look-back costs nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.plan.windows import ONE_DAY, UTC
from tap_braze_dau.redaction import shown

_INSTANT_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass(frozen=True, order=True)
class ActiveDays:
    """The days, both included, on which a campaign or Canvas can have stats."""

    first: dt.date
    last: dt.date

    def __str__(self) -> str:
        return f"{self.first}..{self.last}"


def parse_instant(value: object, what: str) -> dt.datetime | None:
    """An instant of the details (`first_sent`, ...) in UTC: one without an offset is
    taken as UTC; None (or absent) stays None. `what` names it in the error."""
    if value is None:
        return None
    if isinstance(value, str) and _INSTANT_RE.match(value.strip()):
        text = value.strip().replace("Z", "+00:00")
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)
    msg = f"Braze returned {what} {shown(value)} (expected an ISO-8601 instant, or null)"
    raise BrazeDataError(msg)


def active_days(
    first: dt.datetime | None, last: dt.datetime | None, conversion_window_days: int
) -> ActiveDays | None:
    """The active range of one with these first and last sends (entries), in UTC; None
    when it never sent. A first send without a last is a single send (and a last without a
    first, which Braze should never answer, is taken as one too)."""
    if first is None and last is None:
        return None
    start = first or last
    end = last or first
    assert start is not None
    assert end is not None
    if end < start:  # never seen; the widest reading loses nothing
        start, end = end, start
    return ActiveDays(
        start.date() - ONE_DAY,
        end.date() + dt.timedelta(days=conversion_window_days) + ONE_DAY,
    )


def days_to_request(
    active: ActiveDays, first: dt.date | None, last: dt.date
) -> tuple[dt.date, dt.date] | None:
    """The days of `active` a run syncs: from `first` (the start date, or the bookmark
    less the look-back; None: the whole range) to `last` (today, or end_date); None when
    none of them can have stats."""
    start = active.first if first is None else max(first, active.first)
    end = min(last, active.last)
    return (start, end) if start <= end else None
