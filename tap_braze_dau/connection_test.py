"""`tap-braze-dau --test`: does Braze accept this config for every stream a run would sync?

One request per series of each stream (the last day of a sync, `length` 1), through the
same client as a sync (retries, rate limits): a 403 names the stream's permission, a 400 a
wrong app_id, a 401 a key of another instance. Every stream is tried, so one test lists
every missing permission at once. Only logs are written: no RECORD, no STATE.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from tap_braze_dau.client import BrazeClient
from tap_braze_dau.endpoint import Endpoint, SeriesKey
from tap_braze_dau.errors import BrazeFatalError
from tap_braze_dau.fetcher import OrderedFetcher
from tap_braze_dau.settings import Settings
from tap_braze_dau.windows import Window

Probe = tuple[Endpoint, SeriesKey]


def check_connection(
    endpoints: list[Endpoint], settings: Settings, day: dt.date, logger: logging.Logger
) -> bool:
    """True when every series of every endpoint answers; logs what failed and why."""
    if not endpoints:
        logger.error("Connection test: no stream is selected, so a sync would do nothing")
        return False
    stop = threading.Event()
    client = BrazeClient(settings, logger=logger, stop=stop)
    window = Window(day, day)

    def probe(job: Probe) -> BrazeFatalError | None:
        endpoint, key = job
        try:
            client.fetch_window(endpoint, key, window)
        except BrazeFatalError as exc:
            return exc
        return None

    jobs = [
        (endpoint, SeriesKey(endpoint.stream, app_id))
        for endpoint in endpoints
        for app_id in settings.series
    ]
    failures: dict[str, list[str]] = {}
    fetcher: OrderedFetcher[Probe, BrazeFatalError | None] = OrderedFetcher(
        probe, settings.max_parallel_requests, stop
    )
    for (endpoint, _key), failure in fetcher.map(jobs):
        if failure is not None and str(failure) not in failures.get(endpoint.stream, []):
            failures.setdefault(endpoint.stream, []).append(str(failure))

    for endpoint in endpoints:
        label = f"Connection test: stream '{endpoint.stream}' ({endpoint.permission})"
        if endpoint.stream in failures:
            for message in failures[endpoint.stream]:
                logger.error("%s: %s", label, message)
        else:
            logger.info("%s: OK, %d series answered", label, len(settings.series))
    if failures:
        logger.error("Connection test failed for: %s", ", ".join(failures))
        return False
    names = ", ".join(endpoint.stream for endpoint in endpoints)
    logger.info("Connection test passed: Braze answers every series of %s", names)
    return True
