"""`tap-braze-dau --test`: does Braze accept this config for every stream a run would sync?

One request per series of each stream (the last day of a sync, `length` 1; a campaign's
or Canvas' stats also its details, which plan them), and for a list or details stream
the list's first page (and the first item's details), through the same client as a sync
(retries, rate limits): a 403 names the stream's permission, a 400 a wrong app_id, a 401
a key of another instance. Every stream is tried, so one test lists
every missing permission at once. Only logs are written: no RECORD, no STATE.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping, Sequence

from tap_braze_dau.braze.client import BrazeClient, Request
from tap_braze_dau.declarations import (
    DetailsDeclaration,
    ListDeclaration,
    SeriesKey,
    StreamDeclaration,
)
from tap_braze_dau.errors import BrazeFatalError, BrazeRequestError
from tap_braze_dau.plan.jobs import fetch_window, is_refusal
from tap_braze_dau.plan.listings import record_of
from tap_braze_dau.plan.ordered import OrderedFetcher
from tap_braze_dau.plan.windows import Window
from tap_braze_dau.singer.settings import Settings
from tap_braze_dau.streams import DETAILS_BY_NAME, LISTS_BY_NAME

FullTable = ListDeclaration | DetailsDeclaration
#: A stream checked by a call of its own (a bucket listed, a page asked): what it needs
#: (to say it), and the call, which raises `BrazeFatalError` when it fails (and may
#: return what it checked, or did not, in words).
StreamCheck = tuple[str, Callable[[], object]]
#: What one probe checks: a series (of a series stream), or a list or details stream.
Probe = tuple[SeriesKey, StreamDeclaration] | FullTable


def check_connection(
    order: Sequence[tuple[SeriesKey, StreamDeclaration]],
    settings: Settings,
    now: dt.datetime,
    logger: logging.Logger,
    full_table: Sequence[FullTable] = (),
    checks: Mapping[str, StreamCheck] | None = None,
) -> bool:
    """True when every series a sync would sync (`order`, as `TapBrazeDau.sync_order`
    lists them), every list and details stream (`full_table`) and every stream read from
    a bucket or an export (`checks`: stream -> (what it needs, its check)) answers; logs,
    stream by stream, what failed and why. A stream with an event, product or segment
    dimension is probed with the series of its first value only (each app), not with
    every one; a value Braze refuses is a warning, as in a sync."""
    streams: dict[str, StreamDeclaration | FullTable] = {key.stream: s for key, s in order}
    streams.update({declaration.name: declaration for declaration in full_table})
    checks = checks or {}
    if not streams and not checks:
        logger.error("Connection test: no stream is selected, so a sync would do nothing")
        return False
    jobs: list[Probe] = [*probes(order), *full_table]
    stop = threading.Event()
    client = BrazeClient(settings.client_options, logger=logger, stop=stop)
    plan = settings.plan_options

    def probe(job: Probe) -> BrazeFatalError | None:
        if not isinstance(job, tuple):
            return _probe_full_table(client, job)
        key, stream = job
        last = plan.last_of(stream, now)
        try:
            if stream.active_in is not None:  # its series are planned from the details
                details = DETAILS_BY_NAME[stream.active_in]
                item_id = key.value(details.key_columns[0])
                params = {**details.endpoint.params, details.param: item_id}
                path = details.endpoint.path
                request = Request(stream.name, details.endpoint, params, f"{path} ({item_id})")
                client.fetch(request)
            fetch_window(client, stream, key, Window(last, last), settings.zone)
        except BrazeRequestError as exc:
            if not is_refusal(exc, stream, key):
                return exc
            logger.warning("Connection test: Braze refused %s: %s", key, exc.braze_says)
        except BrazeFatalError as exc:
            return exc
        return None

    failures: dict[str, list[str]] = {}
    fetcher: OrderedFetcher[Probe, BrazeFatalError | None]
    fetcher = OrderedFetcher(probe, settings.max_parallel_requests, stop)
    for job, failure in fetcher.map(jobs):
        name = job[0].stream if isinstance(job, tuple) else job.name
        if failure is not None and str(failure) not in failures.get(name, []):
            failures.setdefault(name, []).append(str(failure))

    for name, (needs, check) in checks.items():
        try:
            result = check()
        except BrazeFatalError as exc:
            failures.setdefault(name, []).append(str(exc))
            logger.error("Connection test: stream '%s' (%s): %s", name, needs, exc)
        else:
            said = f"OK, {result}" if isinstance(result, str) else "OK"
            logger.info("Connection test: stream '%s' (%s): %s", name, needs, said)

    for name, declaration in streams.items():
        label = f"Connection test: stream '{name}' ({declaration.endpoint.permission})"
        if name in failures:
            for message in failures[name]:
                logger.error("%s: %s", label, message)
        elif isinstance(declaration, StreamDeclaration):
            answered = sum(1 for key, _stream in order if key.stream == name)
            logger.info("%s: OK, %d series answered", label, answered)
        else:
            logger.info("%s: OK", label)
    if failures:
        logger.error("Connection test failed for: %s", ", ".join(failures))
        return False
    logger.info("Connection test passed: %s answered", ", ".join([*streams, *checks]))
    return True


def _probe_full_table(client: BrazeClient, declaration: FullTable) -> BrazeFatalError | None:
    """A list's first page; for a details stream, its list's first page and the details
    of the first item (none listed: the list answering is all there is to check)."""
    listed = declaration if isinstance(declaration, ListDeclaration) else None
    if isinstance(declaration, DetailsDeclaration):
        listed = LISTS_BY_NAME[declaration.listed_by]
    assert listed is not None
    endpoint = listed.endpoint
    request = Request(
        declaration.name,
        endpoint,
        {**endpoint.params, "page": 0},
        f"{endpoint.path} (page 0)",
    )
    try:
        items = client.fetch(request)
        if not isinstance(declaration, DetailsDeclaration) or not items:
            return None
        item_id = record_of(items[0], listed, f"page 0 of {endpoint.path}")[listed.key_columns[0]]
        details = declaration.endpoint
        params = {**details.params, declaration.param: item_id}
        client.fetch(Request(declaration.name, details, params, f"{details.path} ({item_id})"))
    except BrazeRequestError as exc:
        if exc.status in (400, 404) and isinstance(declaration, DetailsDeclaration):
            return None  # deleted since the list was read: a sync skips it too
        return exc
    except BrazeFatalError as exc:
        return exc
    return None


def probes(
    order: Sequence[tuple[SeriesKey, StreamDeclaration]],
) -> list[tuple[SeriesKey, StreamDeclaration]]:
    """The series to probe: all of them, but only the first value of an event, product or
    segment dimension (with every app): enough to check the permission and each app."""
    first: dict[tuple[str, str], str] = {}
    chosen = []
    for key, stream in order:
        listed = [d.column for d in stream.dimensions if d.refusable]
        if listed:
            column = listed[0]
            value = first.setdefault((key.stream, column), key.value(column))
            if key.value(column) != value:
                continue
        chosen.append((key, stream))
    return chosen
