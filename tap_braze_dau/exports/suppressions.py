"""The hard bounces and unsubscribes: which days to ask for, in which windows, page by
page. The window plan is pure.

`/email/hard_bounces` and `/email/unsubscribes` take `start_date` and `end_date` as
`YYYY-MM-DD`, read as midnight UTC, and Braze does not say whether `end_date`'s own day
is in the answer. So a window of days [first, last] asks `start_date=first`,
`end_date=last + 1`: its days are there whichever way Braze reads it, and a row of the
day after (where Braze counts `end_date` in) belongs to the next window and is dropped
here. Pages are `limit=500` from `offset=0` until one is short. A window's rows are held,
deduplicated on their key (a row that a new one pushed onto the next page arrives twice)
and emitted oldest first, so a bookmark on the instant resumes exactly; windows of a
week keep that bounded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tap_braze_dau.declarations import Endpoint
from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.plan.activity import parse_instant
from tap_braze_dau.plan.listings import offset_pages
from tap_braze_dau.plan.windows import ONE_DAY, Window, plan_windows
from tap_braze_dau.redaction import shown

#: Rows a page (Braze's largest `limit`).
PAGE_SIZE = 500
#: Days a window: a week of a large sender's bounces fits in memory.
WINDOW_DAYS = 7
#: Pages one window may take before the list is taken to ignore `offset`.
MAX_PAGES = 100_000


@dataclass(frozen=True)
class SuppressionList:
    """One list: its stream, endpoint path and permission, its instant field and what
    that says."""

    name: str
    path: str
    permission: str
    time_field: str
    description: str

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(path=self.path, permission=self.permission, answer_field="emails")


HARD_BOUNCES = SuppressionList(
    name="email_hard_bounces",
    path="/email/hard_bounces",
    permission="email.hard_bounces",
    time_field="hard_bounced_at",
    description="When the address hard-bounced.",
)
UNSUBSCRIBES = SuppressionList(
    name="email_unsubscribes",
    path="/email/unsubscribes",
    permission="email.unsubscribe",
    time_field="unsubscribed_at",
    description="When the address unsubscribed.",
)
SUPPRESSION_LISTS: tuple[SuppressionList, ...] = (HARD_BOUNCES, UNSUBSCRIBES)


def plan_suppression_windows(first: dt.date, last: dt.date) -> list[Window]:
    """[first, last] in windows of `WINDOW_DAYS`, oldest first, planned back from `last`."""
    return plan_windows(first, last, WINDOW_DAYS)


def walk_back_windows(last: dt.date, max_days: int) -> list[Window]:
    """Windows newest first from `last`, back at most `max_days`: a first run without
    `start_date` reads them until one is empty."""
    earliest = last - dt.timedelta(days=max_days - 1)
    return list(reversed(plan_suppression_windows(earliest, last)))


def window_params(window: Window) -> dict[str, str]:
    """The window's dates: its first day, and the day after its last."""
    return {
        "start_date": window.first.isoformat(),
        "end_date": (window.last + ONE_DAY).isoformat(),
    }


def read_row(
    row: object, suppression: SuppressionList, where: str
) -> tuple[dt.datetime, dict[str, str]]:
    """(the row's instant, its record) of one row; BrazeDataError for what is not one."""
    field = suppression.time_field
    if (
        not isinstance(row, dict)
        or not isinstance(row.get("email"), str)
        or not row["email"]
        or not isinstance(row.get(field), str)
    ):
        expected = f"expected an object with email and {field}"
        # The keys only: a row's values are addresses, which no log should hold.
        got = f"an object with {shown(sorted(row))}" if isinstance(row, dict) else shown(row)
        msg = f"Braze returned {got} in {where} ({expected})"
        raise BrazeDataError(msg)
    instant = parse_instant(row[field], f"{field} in {where}")
    assert instant is not None
    return instant, {"email": row["email"], field: row[field]}


def window_rows(
    fetch_page: Callable[[int], list[object]],
    window: Window,
    suppression: SuppressionList,
) -> list[dict[str, Any]]:
    """Every row of a window, page after page, each key once, oldest first; rows of days
    outside the window dropped."""
    found: dict[tuple[str, str], tuple[dt.datetime, dict[str, Any]]] = {}

    def where(offset: int) -> str:
        return f"{suppression.path} ({window}, offset {offset})"

    for offset, rows in offset_pages(fetch_page, PAGE_SIZE, where=where, max_pages=MAX_PAGES):
        for row in rows:
            instant, record = read_row(row, suppression, where(offset))
            if instant.date() in window:
                key = (record["email"], record[suppression.time_field])
                found.setdefault(key, (instant, record))
    return [record for _instant, record in sorted(found.values(), key=_order)]


def _order(item: tuple[dt.datetime, dict[str, Any]]) -> tuple[dt.datetime, str]:
    return item[0], str(item[1]["email"])


def first_day(
    bookmark: object, start_date: dt.date | None, lookback_days: int, field: str
) -> dt.date | None:
    """The first day a run reads: the bookmarked instant's UTC day less the look-back
    (never before start_date), start_date, or None (walk back)."""
    if bookmark is not None:
        instant = parse_instant(bookmark, f"the bookmark ({field})")
        assert instant is not None
        day = instant.date() - dt.timedelta(days=lookback_days)
        return max(day, start_date) if start_date else day
    return start_date
