"""Braze's lists of events, products, segments, campaigns and Canvases: read whole, once
per run.

A list is both a full-table stream (`events`, `products`, `segments`, `campaigns`,
`canvases`) and, unless a setting names them, where the values of a dimension come from
(the events of `event_counts`, the campaigns of `campaign_stats` and of their details).
Whichever asks first, the list is read once and kept for the run, so selecting `events`
and `event_counts` together costs one reading.

Fields of an item beyond the documented ones are kept where the list says so (campaigns,
Canvases). Paging (`page` from 0) is pure (`is_last_page`): a list ends at an empty page,
or at a page shorter than Braze's documented page size; where the size is undocumented
(products), at a page shorter than the pages before it. A page that repeats the one
before (a server ignoring `page`) stops the run instead of looping; `pages` is that
loop, and `offset_pages` the same for the user exports' lists paged by `offset`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tap_braze_dau.braze.client import BrazeClient, Request
from tap_braze_dau.declarations import Column, ListDeclaration
from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.plan.activity import parse_instant
from tap_braze_dau.redaction import shown

#: No workspace has this many pages of events, products or segments; a list still going
#: is a server that ignores `page`.
MAX_PAGES = 10_000


def is_last_page(size: int, page_size: int | None, largest_before: int) -> bool:
    """Whether a page of `size` items ends the list, given the documented `page_size`
    (None: undocumented) and the largest page before it (0 for the first page)."""
    if size == 0:
        return True
    if page_size is not None:
        return size < page_size
    return largest_before > 0 and size < largest_before


def pages(
    fetch: Callable[[int], list[object]],
    is_last: Callable[[list[object], int], bool],
    *,
    where: Callable[[int], str],
    ignored: str,
    max_pages: int = MAX_PAGES,
) -> Iterator[tuple[int, list[object]]]:
    """Each page of a paged answer, from page 0, as (page, items): `fetch(n)` asks page
    n, `is_last(items, largest_before)` says whether it ended the list. A page that
    repeats the one before (a server ignoring the paging parameter, `ignored`) or more
    than `max_pages` of them stop the run instead of looping; `where(n)` names page n
    in the message."""
    previous: list[object] | None = None
    largest = 0
    for page in range(max_pages):
        items = fetch(page)
        if items and items == previous:
            msg = (
                f"Braze returned the same items for {where(page)} as for the page before: "
                f"the server ignores {ignored}; stopping rather than looping"
            )
            raise BrazeDataError(msg)
        yield page, items
        if is_last(items, largest):
            return
        largest = max(largest, len(items))
        previous = items
    msg = f"{where(max_pages)}: still items after {max_pages} pages; stopping"
    raise BrazeDataError(msg)


def offset_pages(
    fetch: Callable[[int], list[object]],
    page_size: int,
    *,
    where: Callable[[int], str],
    max_pages: int,
) -> Iterator[tuple[int, list[object]]]:
    """Each page of a list paged by `offset` in steps of `page_size`, as (offset, items):
    `fetch(offset)` asks it, a page shorter than `page_size` ends the list, `where(offset)`
    names it in messages; otherwise as `pages`."""
    for page, items in pages(
        lambda page: fetch(page * page_size),
        lambda items, _largest: len(items) < page_size,
        where=lambda page: where(page * page_size),
        ignored="offset",
        max_pages=max_pages,
    ):
        yield page * page_size, items


def _is_instant(value: object) -> bool:
    try:
        parse_instant(value, "")
    except BrazeDataError:
        return False
    return True


_KIND_CHECKS: dict[str, Callable[[object], bool]] = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "date_time": _is_instant,
    "string_list": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "object": lambda v: isinstance(v, dict),
    "object_list": lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
}


def column_value(column: Column, value: object, where: str) -> object:
    """`value` of a documented field, checked against its kind (null is always allowed:
    Braze leaves fields out or null)."""
    if value is None or _KIND_CHECKS[column.kind](value):
        return value
    expected = column.kind.replace("_", " ")
    msg = f"Braze returned {column.source} {shown(value)} in {where} (expected {expected})"
    raise BrazeDataError(msg)


def record_of(item: object, declaration: ListDeclaration, where: str) -> dict[str, Any]:
    """The record of one list item; an item without its key is not data."""
    key = declaration.columns[0]
    if declaration.items_are_strings:
        if isinstance(item, str) and item:
            return {key.name: item}
        msg = f"Braze returned {shown(item)} in {where} (expected a non-empty string)"
        raise BrazeDataError(msg)
    if not isinstance(item, dict) or not isinstance(item.get(key.source), str):
        msg = f"Braze returned {shown(item)} in {where} (expected an object with {key.source})"
        raise BrazeDataError(msg)
    record = {c.name: column_value(c, item.get(c.source), where) for c in declaration.columns}
    if declaration.keep_unknown_fields:
        known = {c.source for c in declaration.columns} | set(record)
        record.update({k: v for k, v in item.items() if k not in known})
    return record


def read_list(
    client: BrazeClient, declaration: ListDeclaration, *, for_stream: str
) -> list[dict[str, Any]]:
    """Every record of a list, in Braze's order, each key once; `for_stream` is the
    stream the list is read for (a 403 names it)."""
    records: dict[str, dict[str, Any]] = {}
    key = declaration.key_columns[0]
    endpoint = declaration.endpoint
    reason = "" if for_stream == declaration.name else f", for the values of {for_stream}"

    def fetch(page: int) -> list[object]:
        params: dict[str, str | int] = {**endpoint.params, "page": page}
        what = f"{endpoint.path} (page {page}{reason})"
        return client.fetch(Request(for_stream, endpoint, params, what))

    def where(page: int) -> str:
        return f"page {page} of {endpoint.path}"

    def is_last(items: list[object], largest_before: int) -> bool:
        return is_last_page(len(items), declaration.page_size, largest_before)

    for page, items in pages(fetch, is_last, where=where, ignored="`page`"):
        for item in items:
            try:
                record = record_of(item, declaration, where(page))
            except BrazeDataError as exc:  # an item may quote anything, even the key
                raise BrazeDataError(client.redact(str(exc))) from None
            records.setdefault(record[key], record)
    return list(records.values())


class Listings:
    """The lists of one run, each read at most once (thread-safe)."""

    def __init__(self, client: Callable[[], BrazeClient], logger: logging.Logger) -> None:
        self._client = client
        self._logger = logger
        self._lock = threading.Lock()
        self._read: dict[str, list[dict[str, Any]]] = {}
        self._told: set[str] = set()

    def records(self, declaration: ListDeclaration, *, for_stream: str) -> list[dict[str, Any]]:
        with self._lock:
            if declaration.name not in self._read:
                records = read_list(self._client(), declaration, for_stream=for_stream)
                self._logger.info(
                    "%s: Braze lists %d at the start of this run",
                    declaration.name.capitalize(),
                    len(records),
                )
                self._read[declaration.name] = records
            return self._read[declaration.name]

    def values(self, declaration: ListDeclaration, *, for_stream: str) -> Sequence[str]:
        """The dimension values the list gives: every key, or (segments) those of the
        items that can have a series."""
        key = declaration.key_columns[0]
        when = declaration.series_when
        records = self.records(declaration, for_stream=for_stream)
        values = [record[key] for record in records if when is None or record.get(when) is True]
        if len(values) < len(records) and declaration.name not in self._told:
            self._told.add(declaration.name)
            self._logger.info(
                "%s: %d of %d have %s, so a series in %s; the others are not requested",
                declaration.name.capitalize(),
                len(values),
                len(records),
                when,
                for_stream,
            )
        return values
