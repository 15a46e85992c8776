"""`tap-braze-dau --test`: does Braze accept this config for every stream a run would sync?

One request per series of each stream (the last day of a sync, `length` 1; a campaign's
or Canvas' stats also its details, which plan them), through the same client as a sync
(retries, rate limits): a 403 names the stream's permission, a 400 a wrong app_id, a 401
a key of another instance. Every stream is tried, so one test lists
every missing permission at once. Only logs are written: no RECORD, no STATE.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence

from tap_braze_dau.braze.client import BrazeClient, Request
from tap_braze_dau.declarations import SeriesKey, StreamDeclaration
from tap_braze_dau.errors import BrazeFatalError, BrazeRequestError
from tap_braze_dau.plan.jobs import fetch_window, is_refusal
from tap_braze_dau.plan.ordered import OrderedFetcher
from tap_braze_dau.plan.windows import Window
from tap_braze_dau.singer.settings import Settings
from tap_braze_dau.streams import DETAILS_BY_NAME


def check_connection(
    order: Sequence[tuple[SeriesKey, StreamDeclaration]],
    settings: Settings,
    now: dt.datetime,
    logger: logging.Logger,
) -> bool:
    """True when every series a sync would sync (`order`, as `TapBrazeDau.sync_order`
    lists them) answers; logs, stream by stream, what failed and why. A stream with an
    event, product or segment dimension is probed with the series of its first value
    only (each app), not with every one; a value Braze refuses is a warning, as in a
    sync."""
    streams = {key.stream: stream for key, stream in order}
    if not streams:
        logger.error("Connection test: no stream is selected, so a sync would do nothing")
        return False
    order = probes(order)
    stop = threading.Event()
    client = BrazeClient(settings.client_options, logger=logger, stop=stop)
    plan = settings.plan_options

    def probe(job: tuple[SeriesKey, StreamDeclaration]) -> BrazeFatalError | None:
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
    fetcher: OrderedFetcher[tuple[SeriesKey, StreamDeclaration], BrazeFatalError | None]
    fetcher = OrderedFetcher(probe, settings.max_parallel_requests, stop)
    for (key, _stream), failure in fetcher.map(order):
        if failure is not None and str(failure) not in failures.get(key.stream, []):
            failures.setdefault(key.stream, []).append(str(failure))

    for name, declaration in streams.items():
        label = f"Connection test: stream '{name}' ({declaration.endpoint.permission})"
        if name in failures:
            for message in failures[name]:
                logger.error("%s: %s", label, message)
        else:
            answered = sum(1 for key, _stream in order if key.stream == name)
            logger.info("%s: OK, %d series answered", label, answered)
    if failures:
        logger.error("Connection test failed for: %s", ", ".join(failures))
        return False
    logger.info("Connection test passed: Braze answers every series of %s", ", ".join(streams))
    return True


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
