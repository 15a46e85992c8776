"""HTTP to Braze's data series endpoints: auth, retries, the shared rate-limit pause.

One client serves every stream of a run:
- each request is bounded in time and size (`transport.get`) and its answer interpreted
  in one place (`answers`);
- a 429 on any endpoint pauses every request of the run until `X-RateLimit-Reset` (Braze
  counts these endpoints in one hourly pool), then retries; those waits do not use up
  `max_retries`;
- 5xx, timeouts, dropped connections and broken bodies are retried with exponential
  backoff and jitter, then fatal;
- 4xx are fatal at once, with a message that says what to fix.

Retries go through the `backoff` module (python-backoff, which singer-sdk brings). The API
key only ever travels in the Authorization header and is scrubbed from every message.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import backoff
import requests

from tap_braze_dau import __version__, transport
from tap_braze_dau.answers import Asked, redact, rows_of
from tap_braze_dau.endpoint import Endpoint, SeriesKey
from tap_braze_dau.errors import (
    BrazeUnavailableError,
    FetchCancelled,
    RateLimitedError,
    TransientError,
)
from tap_braze_dau.rows import CheckedRows
from tap_braze_dau.settings import WORKSPACE_APP_ID, Settings
from tap_braze_dau.windows import Window, ending_at

#: Longest pause between two retries of a failing server, in seconds.
MAX_RETRY_WAIT_SECONDS = 60.0
#: How many times one request may be rate limited before the run gives up.
MAX_RATE_LIMIT_WAITS = 20


class RateLimitGate:
    """Shared by every request of a run: while Braze says to wait, nobody sends."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open_at = 0.0

    def hold_until(self, instant: float) -> None:
        """Let no request start before `instant` (epoch seconds)."""
        with self._lock:
            self._open_at = max(self._open_at, instant)

    def seconds_remaining(self) -> float:
        with self._lock:
            return max(0.0, self._open_at - self._clock())

    def wait(self, stop: threading.Event) -> None:
        """Block until the gate opens; returns early (and quietly) when `stop` is set."""
        while (remaining := self.seconds_remaining()) > 0 and not stop.is_set():
            stop.wait(remaining)


def default_user_agent() -> str:
    return f"tap-braze-dau/{__version__}"


class BrazeClient:
    """Fetches one window of one series; safe to call from several threads at once."""

    def __init__(
        self,
        settings: Settings,
        *,
        logger: logging.Logger,
        gate: RateLimitGate | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._settings = settings
        self._logger = logger
        self._gate = gate or RateLimitGate()
        self._stop = stop or threading.Event()
        self._local = threading.local()
        self._headers = {
            "Authorization": f"Bearer {settings.api_key}",
            "Accept": "application/json",
            # What BodyDecoder undoes; bodies are small, but a proxy may compress anyway.
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": settings.user_agent or default_user_agent(),
        }

    # -- one window, with retries ----------------------------------------------------------

    def fetch_window(self, endpoint: Endpoint, key: SeriesKey, window: Window) -> CheckedRows:
        """The checked rows of `window` of a series, or the tap's own error."""
        app_id = None if key.app_id == WORKSPACE_APP_ID else key.app_id
        params: dict[str, str | int] = {
            "length": window.length,
            "ending_at": ending_at(window.last, self._settings.zone),
            **endpoint.params,
        }
        if app_id is not None:
            params["app_id"] = app_id
        what = f"{endpoint.path} ({app_id or 'workspace'}, {window.first}..{window.last})"
        asked = Asked(endpoint, self._settings.api_url, what, self._settings.api_key)
        tries = self._settings.max_retries + 1

        @backoff.on_exception(
            self._rate_limit_waits,
            RateLimitedError,
            max_tries=MAX_RATE_LIMIT_WAITS,
            jitter=None,
            logger=None,
        )
        @backoff.on_exception(
            self._transient_waits,
            TransientError,
            max_tries=tries,
            jitter=None,
            logger=None,
            giveup=lambda _exc: self._stop.is_set(),
            on_backoff=lambda details: self._log_retry(details, what, tries),
        )
        def attempt() -> CheckedRows:
            return self._attempt(asked, params, window, str(key))

        try:
            return attempt()
        except TransientError as exc:
            msg = f"Braze request {what} failed after {tries} tries; last error: {exc}"
            raise BrazeUnavailableError(self._redact(msg)) from None
        except RateLimitedError as exc:
            msg = (
                f"Braze request {what} was still rate limited after "
                f"{MAX_RATE_LIMIT_WAITS} waits; last answer: {exc}"
            )
            raise BrazeUnavailableError(self._redact(msg)) from None

    def _transient_waits(self) -> Generator[float, Any, None]:
        """Exponential backoff with 'equal jitter': half fixed, half random."""
        yield 0.0  # primes the generator; backoff discards it
        attempt = 0
        while True:
            ceiling = min(MAX_RETRY_WAIT_SECONDS, self._settings.retry_wait_seconds * 2**attempt)
            attempt += 1
            yield ceiling / 2 + random.uniform(0, ceiling / 2)

    @staticmethod
    def _rate_limit_waits() -> Generator[float, Any, None]:
        """Nothing to sleep here: the next attempt waits on the shared gate first."""
        while True:
            yield 0.0

    def _log_retry(self, details: Any, what: str, tries: int) -> None:
        self._logger.warning(
            "Braze request %s failed (%s); retry %d of %d in %.2f s",
            what,
            self._redact(str(details.get("exception"))),
            details["tries"],
            tries - 1,
            details["wait"],
        )

    # -- one attempt -----------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self._headers)
            self._local.session = session
        return session

    def _attempt(
        self, asked: Asked, params: dict[str, str | int], window: Window, series: str
    ) -> CheckedRows:
        self._gate.wait(self._stop)
        if self._stop.is_set():
            raise FetchCancelled(asked.description)
        url = self._settings.api_url + asked.endpoint.path
        try:
            answer = transport.get(
                self._session(), url, params, timeout=self._settings.request_timeout
            )
            return rows_of(
                answer,
                asked,
                window,
                series,
                now=time.time(),
                fallback_wait=self._settings.retry_wait_seconds,
            )
        except TransientError as exc:
            raise TransientError(self._redact(str(exc))) from None
        except RateLimitedError as exc:
            self._gate.hold_until(exc.resume_at)
            self._logger.warning(
                "Rate limited by Braze (HTTP 429) on %s; every request waiting %.2f s (%s) "
                "before retrying",
                asked.description,
                max(0.0, exc.resume_at - time.time()),
                exc.source,
            )
            raise

    def _redact(self, text: str) -> str:
        return redact(text, self._settings.api_key)
