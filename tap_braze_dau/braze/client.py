"""HTTP to Braze's endpoints: auth, retries, the rate-limit pause of each pool.

One client serves every stream of a run:
- each request is bounded in time and size (`transport.send`) and its answer interpreted
  in one place (`answers`);
- a 429 pauses every request of the endpoint's pool until `X-RateLimit-Reset`
  (`rate_limits`), then retries; those waits do not use up `max_retries`;
- a pool down to `rate_limit_reserve` is paused the same way, before any 429;
- 5xx, timeouts, dropped connections and broken bodies are retried with exponential
  backoff and jitter, then fatal;
- 4xx are fatal at once, with a message that says what to fix.

Retries go through the `backoff` module (python-backoff, which singer-sdk brings). The API
key only ever travels in the Authorization header and is scrubbed from every message.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import backoff
import requests
from singer_sdk import metrics

from tap_braze_dau import __version__
from tap_braze_dau.braze import transport
from tap_braze_dau.braze.answers import Asked, data_of
from tap_braze_dau.braze.rate_limits import RateLimitPools, quota_of
from tap_braze_dau.declarations import Endpoint
from tap_braze_dau.errors import (
    AbandonedAttempt,
    BrazeRequestError,
    BrazeUnavailableError,
    Busy,
    FetchCancelled,
    PoolHeld,
    RateLimitedError,
    TransientError,
)
from tap_braze_dau.redaction import redact

#: Longest pause between two retries of a failing server, in seconds.
MAX_RETRY_WAIT_SECONDS = 60.0
#: How many times one request may be rate limited before the run gives up.
MAX_RATE_LIMIT_WAITS = 20


@dataclass(frozen=True)
class ClientOptions:
    """What the client needs of the settings."""

    api_key: str = field(repr=False)  # a repr must never show the key
    api_url: str
    request_timeout: float
    max_retries: int
    retry_wait_seconds: float
    user_agent: str | None = None
    #: Share of each pool's limit left to the workspace's other API clients.
    rate_limit_reserve: float = 0.1


RequestIdentity = tuple[str, tuple[tuple[str, str | int], ...]]


@dataclass(frozen=True)
class Request:
    """One GET of one stream's endpoint; `description` names it in messages, `context`
    (the series' dimensions) in the request's METRIC line."""

    stream: str
    endpoint: Endpoint
    params: Mapping[str, str | int]
    description: str
    context: Mapping[str, str] = field(default_factory=dict)
    #: A POST of this JSON body (None: a GET).
    body: Mapping[str, object] | None = None

    @property
    def identity(self) -> RequestIdentity:
        """The same request, however often it is put back (`PoolHeld`) and asked again."""
        return (self.endpoint.path, tuple(sorted(self.params.items())))


def log_request_duration(request: Request, status: int, seconds: float) -> None:
    """The SDK's `http_request_duration` METRIC line, as a `RESTStream` logs it (tags:
    stream, endpoint path, HTTP status, succeeded or failed, the series' context), so
    that request timings read as in any SDK tap. Never the URL: its query is the
    request's, and the host is the user's."""
    tags: dict[str, Any] = {
        metrics.Tag.STREAM: request.stream,
        metrics.Tag.ENDPOINT: request.endpoint.path,
        metrics.Tag.HTTP_STATUS_CODE: status,
        metrics.Tag.STATUS: metrics.Status.SUCCEEDED if status < 400 else metrics.Status.FAILED,
    }
    if request.context:
        tags[metrics.Tag.CONTEXT] = dict(request.context)
    point = metrics.Point("timer", metrics.Metric.HTTP_REQUEST_DURATION, seconds, tags)
    metrics.log(metrics.get_metrics_logger(), point)


def default_user_agent() -> str:
    return f"tap-braze-dau/{__version__}"


class BrazeClient:
    """GETs Braze's endpoints with retries; safe to call from several threads at once."""

    def __init__(
        self,
        options: ClientOptions,
        *,
        logger: logging.Logger,
        pools: RateLimitPools | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._options = options
        self._logger = logger
        self._pools = pools or RateLimitPools()
        self._stop = stop or threading.Event()
        self._local = threading.local()
        self._lock = threading.Lock()
        #: 429s met by deferred requests (`_deferring`), per request.
        self._rate_limit_waits: Counter[RequestIdentity] = Counter()
        #: Transient failures of deferred requests put back (`PoolHeld`), per request: the
        #: retries left carry over, so a request is never tried more than max_retries + 1.
        self._failures_before: Counter[RequestIdentity] = Counter()
        self._headers = {
            "Authorization": f"Bearer {options.api_key}",
            "Accept": "application/json",
            # What BodyDecoder undoes; bodies are small, but a proxy may compress anyway.
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": options.user_agent or default_user_agent(),
        }

    # -- one request, with retries ---------------------------------------------------------

    def fetch(self, request: Request, *, defer_if_held: bool = False) -> list[object]:
        """The `data` list Braze answers to `request`, or the tap's own error.

        `defer_if_held`: raise `PoolHeld` instead of waiting when the request's pool is
        held before an attempt (the caller has other work to do meanwhile); the retries
        it used carry over to when it is asked again.
        """
        pool = request.endpoint.pool
        what = request.description
        asked = Asked(
            request.stream,
            request.endpoint.permission,
            self._options.api_url,
            what,
            self._options.api_key,
        )
        tries = self._options.max_retries + 1
        identity = request.identity
        with self._lock:
            failed_before = self._failures_before.pop(identity, 0)
        failed = 0

        @backoff.on_exception(
            self._rate_limit_pauses,
            RateLimitedError,
            max_tries=1 if defer_if_held else MAX_RATE_LIMIT_WAITS,
            jitter=None,
            logger=None,
        )
        @backoff.on_exception(
            self._transient_waits,
            TransientError,
            max_tries=max(1, tries - failed_before),
            jitter=None,
            logger=None,
            giveup=lambda _exc: self._stop.is_set(),
            on_backoff=lambda details: self._log_retry(details, what, tries),
        )
        def attempt() -> list[object]:
            nonlocal failed
            if defer_if_held and self._pools.gate(pool).seconds_remaining() > 0:
                # held (a 429, the reserve), before the first attempt or since the last:
                # the worker goes to another pool's request rather than wait here
                raise PoolHeld(pool)
            try:
                return self._attempt(asked, request)
            except TransientError:
                failed += 1
                raise

        try:
            if defer_if_held:
                return self._deferring(attempt, request)
            return attempt()
        except PoolHeld:
            if failed:
                with self._lock:
                    self._failures_before[identity] = failed_before + failed
            raise
        except TransientError as exc:
            msg = f"Braze request {what} failed after {tries} tries; last error: {exc}"
            raise BrazeUnavailableError(self.redact(msg)) from None
        except RateLimitedError as exc:
            msg = (
                f"Braze request {what} was still rate limited after "
                f"{MAX_RATE_LIMIT_WAITS} waits; last answer: {exc}"
            )
            raise BrazeUnavailableError(self.redact(msg)) from None

    def fetch_item(self, request: Request) -> object | BrazeRequestError:
        """The one object Braze answers to a request for one item (a campaign's details,
        a template's info), or its refusal of that item, returned rather than raised: a
        400 or 404 there means the item was deleted (or cannot be described) since it
        was listed, which the caller skips or keeps as listed, with a warning."""
        try:
            (answer,) = self.fetch(request)
        except BrazeRequestError as exc:
            if exc.status in (400, 404):
                return exc
            raise
        return answer

    def _deferring(self, attempt: Callable[[], list[object]], request: Request) -> list[object]:
        """`attempt()`, but a 429 holds the pool and raises `PoolHeld` instead of waiting
        in this thread: the caller runs another pool's request meanwhile and asks this one
        again later. The waits of one request are still counted, across those calls."""
        try:
            return attempt()
        except RateLimitedError:
            with self._lock:
                self._rate_limit_waits[request.identity] += 1
                waits = self._rate_limit_waits[request.identity]
            if waits >= MAX_RATE_LIMIT_WAITS:
                raise
            raise PoolHeld(request.endpoint.pool) from None

    def _transient_waits(self) -> Generator[float, Any, None]:
        """Exponential backoff with 'equal jitter': half fixed, half random."""
        yield 0.0  # primes the generator; backoff discards it
        attempt = 0
        while True:
            ceiling = min(MAX_RETRY_WAIT_SECONDS, self._options.retry_wait_seconds * 2**attempt)
            attempt += 1
            yield ceiling / 2 + random.uniform(0, ceiling / 2)

    @staticmethod
    def _rate_limit_pauses() -> Generator[float, Any, None]:
        """Nothing to sleep here: the next attempt waits on its pool's gate first."""
        while True:
            yield 0.0

    def _log_retry(self, details: Any, what: str, tries: int) -> None:
        self._logger.warning(
            "Braze request %s failed (%s); retry %d of %d in %.2f s",
            what,
            self.redact(str(details.get("exception"))),
            details["tries"],
            tries - 1,
            details["wait"],
        )

    # -- one attempt -----------------------------------------------------------------------

    def session(self) -> requests.Session:
        """The calling thread's session (each worker keeps its own connections); a new
        one after an attempt was abandoned at `request_timeout` (transport.send)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self._headers)
            self._local.session = session
        return session

    def _attempt(self, asked: Asked, request: Request) -> list[object]:
        gate = self._pools.gate(request.endpoint.pool)
        gate.wait(self._stop)
        if self._stop.is_set():
            raise FetchCancelled(asked.description)
        url = self._options.api_url + request.endpoint.path
        try:
            self._pools.count_sent(request.endpoint.pool)
            started = time.perf_counter()
            answer = transport.send(
                self.session(),
                url,
                request.params,
                timeout=self._options.request_timeout,
                json_body=request.body,
            )
            log_request_duration(request, answer.status, time.perf_counter() - started)
            self._pace(request.endpoint.pool, answer.headers)
            return data_of(
                answer,
                asked,
                now=time.time(),
                fallback_wait=self._options.retry_wait_seconds,
                field=request.endpoint.answer_field,
                message_optional=request.endpoint.message_optional,
            )
        except AbandonedAttempt as exc:
            self._local.session = None  # still in use by the abandoned read
            raise TransientError(self.redact(str(exc))) from None
        except TransientError as exc:
            raise TransientError(self.redact(str(exc))) from None
        except RateLimitedError as exc:
            if request.endpoint.busy_on_429:
                raise Busy(self.redact(str(exc))) from None
            gate.hold_until(exc.resume_at)
            self._logger.warning(
                "Rate limited by Braze (HTTP 429) on %s; the requests of rate-limit pool "
                "'%s' are waiting %.2f s (%s) before retrying; the other pools' go on",
                asked.description,
                request.endpoint.pool,
                max(0.0, exc.resume_at - time.time()),
                exc.source,
            )
            raise

    def _pace(self, pool: str, headers: Mapping[str, str]) -> None:
        """Hold the pool once it is down to the reserve; say so once per hold."""
        now = time.time()
        quota = quota_of(headers, now)
        if quota is None:
            return
        reserve = self._options.rate_limit_reserve
        until = self._pools.gate(pool).pace(quota, reserve)
        if until is not None:
            at = dt.datetime.fromtimestamp(until, dt.timezone.utc)
            self._logger.info(
                "Rate-limit pool '%s' is down to %d of its %d requests, the %g%% left to "
                "the workspace's other API clients (rate_limit_reserve); sending it "
                "nothing more until %s UTC (%.0f s)",
                pool,
                quota.remaining,
                quota.limit,
                reserve * 100,
                at.strftime("%Y-%m-%d %H:%M:%S"),
                max(0.0, until - now),
            )

    def redact(self, text: str) -> str:
        """`text` without the API key."""
        return redact(text, self._options.api_key)
