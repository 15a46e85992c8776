"""The details of every campaign and Canvas: read once per run, in parallel.

The details are both a full-table stream (`campaign_details`, `canvas_details`) and where
the stats streams learn which days each campaign or Canvas can have stats (activity.py).
Whichever asks first, the list is read (through `Listings`, once) and then one details
request per item, `max_parallel_requests` at a time; the answers are kept for the run,
so selecting `campaign_stats` alone still plans from the details, and selecting both
costs one reading.

A record is `{<id column>: id, every field of the answer}` (its `message` aside), the
documented fields checked against their kind. An item Braze refuses (400 or 404: deleted
between the list and its details) is left out with one warning; the run goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from tap_braze_dau.braze.client import BrazeClient, Request
from tap_braze_dau.declarations import DetailsDeclaration, ListDeclaration
from tap_braze_dau.errors import BrazeDataError, BrazeRequestError
from tap_braze_dau.plan.activity import ActiveDays, active_days, parse_instant
from tap_braze_dau.plan.listings import Listings, column_value
from tap_braze_dau.plan.ordered import OrderedFetcher
from tap_braze_dau.redaction import shown


def details_record(answer: object, item_id: str, declaration: DetailsDeclaration) -> dict[str, Any]:
    """The record of one details answer: the id first, then every field Braze sent."""
    where = f"the details of {declaration.noun} {item_id!r}"
    if not isinstance(answer, dict):
        msg = f"Braze returned {shown(answer)} as {where} (expected an object)"
        raise BrazeDataError(msg)
    id_column, *documented = declaration.columns
    fields = {k: v for k, v in answer.items() if k != "message" and k != id_column.name}
    for column in documented:
        if column.source in fields:
            fields[column.source] = column_value(column, fields[column.source], where)
    return {id_column.name: item_id, **fields}


def active_days_of(
    record: dict[str, Any], declaration: DetailsDeclaration, conversion_window_days: int
) -> ActiveDays | None:
    """The days one campaign's (Canvas') series can have stats, from its details."""
    item = f"of {declaration.noun} {record[declaration.key_columns[0]]!r}"
    first_name, last_name = declaration.first_active, declaration.last_active
    assert first_name is not None
    assert last_name is not None, f"{declaration.name} plans no series"
    first = parse_instant(record.get(first_name), f"{first_name} {item}")
    last = parse_instant(record.get(last_name), f"{last_name} {item}")
    return active_days(first, last, conversion_window_days)


class Details:
    """The details of one run, each declaration's read at most once (thread-safe).

    `client(stop)` makes the client of one reading: `stop` is set when it ends, so that
    in-flight retries give up if it fails.
    """

    def __init__(
        self,
        client: Callable[[threading.Event], BrazeClient],
        listings: Listings,
        logger: logging.Logger,
        *,
        parallel: int,
        lists: Callable[[str], ListDeclaration],
    ) -> None:
        self._client = client
        self._listings = listings
        self._logger = logger
        self._parallel = parallel
        self._lists = lists
        self._lock = threading.Lock()
        self._read: dict[str, dict[str, dict[str, Any]]] = {}

    def records(self, declaration: DetailsDeclaration, *, for_stream: str) -> list[dict[str, Any]]:
        """Every record, in the list's order (refused items left out)."""
        return list(self._by_id(declaration, for_stream).values())

    def of(
        self, declaration: DetailsDeclaration, item_id: str, *, for_stream: str
    ) -> dict[str, Any] | None:
        """The record of one item; None if Braze refused its details."""
        return self._by_id(declaration, for_stream).get(item_id)

    def _by_id(self, declaration: DetailsDeclaration, for_stream: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            if declaration.name not in self._read:
                self._read[declaration.name] = self._read_all(declaration, for_stream)
            return self._read[declaration.name]

    def _read_all(
        self, declaration: DetailsDeclaration, for_stream: str
    ) -> dict[str, dict[str, Any]]:
        listed = self._lists(declaration.listed_by)
        # Every listed item has details, even a segment without analytics tracking
        # (which has no series, so is left out of the list's `values`).
        key = listed.key_columns[0]
        ids = [record[key] for record in self._listings.records(listed, for_stream=for_stream)]
        started = time.monotonic()
        stop = threading.Event()
        client = self._client(stop)
        reason = "" if for_stream == declaration.name else f", for {for_stream}"
        endpoint = declaration.endpoint

        def fetch(item_id: str) -> dict[str, Any] | BrazeRequestError:
            request = Request(
                for_stream,
                endpoint,
                {**endpoint.params, declaration.param: item_id},
                f"{endpoint.path} ({item_id}{reason})",
            )
            answer = client.fetch_item(request)
            if isinstance(answer, BrazeRequestError):
                return answer
            try:
                return details_record(answer, item_id, declaration)
            except BrazeDataError as exc:  # a field may quote anything, even the key
                raise BrazeDataError(client.redact(str(exc))) from None

        fetcher: OrderedFetcher[str, dict[str, Any] | BrazeRequestError] = OrderedFetcher(
            fetch, self._parallel, stop
        )
        found: dict[str, dict[str, Any]] = {}
        for item_id, result in fetcher.map(ids):
            if isinstance(result, BrazeRequestError):
                stats = (
                    " Its stats are not requested this run; their bookmark stays where it was."
                    if declaration.first_active is not None
                    else ""
                )
                self._logger.warning(
                    "Skipped %s %r: Braze refused its details (%s): it was deleted since "
                    "the list was read.%s",
                    declaration.noun,
                    item_id,
                    result.braze_says or f"HTTP {result.status}",
                    stats,
                )
                continue
            found[item_id] = result
        self._logger.info(
            "%s: read the details of %d of %d in %.1f s",
            declaration.name.capitalize(),
            len(found),
            len(ids),
            time.monotonic() - started,
        )
        return found
