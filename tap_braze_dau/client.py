"""HTTP to Braze's `GET /kpi/dau/data_series`: auth, errors, retries, rate limits.

One place decides what every response means:
- 2xx with `{"message": "success", "data": [...]}`: the rows;
- 401, 403, 400, 404 and other 4xx: a fatal error with a message that says what to fix;
- 429: every request of the run pauses until `X-RateLimit-Reset`, then retries;
- 5xx, timeouts, dropped connections, bodies that are cut short, not JSON, not `success`
  or without a `data` list: retried with exponential backoff and jitter, then fatal.

Retries go through the `backoff` module (python-backoff, which singer-sdk brings). The API
key only ever travels in the Authorization header and is scrubbed from every message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import backoff
import requests

from tap_braze_dau import __version__
from tap_braze_dau.errors import (
    KPI_PERMISSION,
    BrazeAuthError,
    BrazePermissionError,
    BrazeRequestError,
    BrazeUnavailableError,
    FetchCancelled,
    RateLimitedError,
    TransientError,
)
from tap_braze_dau.settings import Settings
from tap_braze_dau.windows import Window, ending_at

DAU_PATH = "/kpi/dau/data_series"

#: Longest pause between two retries of a failing server, in seconds.
MAX_RETRY_WAIT_SECONDS = 60.0
#: How many times one request may be rate limited before the run gives up.
MAX_RATE_LIMIT_WAITS = 20
#: Braze's limit is hourly: a reset further away than this is taken as a broken header.
MAX_RATE_LIMIT_WAIT_SECONDS = 3900.0
#: Slack after the reset instant, for clock differences between us and Braze.
RATE_LIMIT_MARGIN_SECONDS = 0.25
#: Shortest pause after a 429, even when the announced reset has already passed.
MIN_RATE_LIMIT_WAIT_SECONDS = 0.5
#: Epoch seconds are above this; a smaller X-RateLimit-Reset is read as seconds from now.
_EPOCH_FLOOR = 1_000_000_000


def redact(text: str, secret: str) -> str:
    """`text` with every occurrence of `secret` replaced, so keys never reach a log."""
    return text.replace(secret, "<redacted>") if secret else text


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


def parse_reset(value: str | None, now: float) -> float | None:
    """Epoch seconds at which the rate limit resets, from `X-RateLimit-Reset`."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number != number or number < 0:  # NaN or negative: not a usable instant
        return None
    return number if number >= _EPOCH_FLOOR else now + number


def _braze_message(response: requests.Response) -> str:
    """Braze's own explanation of an error, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
        errors = body.get("errors")
        return f"{message} {json.dumps(errors)}" if errors else message
    text = response.text.strip()
    return text[:200] if text else response.reason or "(empty body)"


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
        self._url = settings.api_url + DAU_PATH
        self._headers = {
            "Authorization": f"Bearer {settings.api_key}",
            "Accept": "application/json",
            "User-Agent": settings.user_agent or default_user_agent(),
        }

    # -- one window, with retries ----------------------------------------------------------

    def fetch_window(self, app_id: str | None, window: Window) -> list[Any]:
        """The raw `data` list for `window`; `app_id=None` asks for the workspace total."""
        params: dict[str, str | int] = {
            "length": window.length,
            "ending_at": ending_at(window.last, self._settings.zone),
        }
        if app_id is not None:
            params["app_id"] = app_id
        what = f"{DAU_PATH} ({app_id or 'workspace'}, {window.first}..{window.last})"
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
        def attempt() -> list[Any]:
            return self._attempt(params, what)

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
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self._headers)
            self._local.session = session
        return session

    def _attempt(self, params: dict[str, str | int], what: str) -> list[Any]:
        self._gate.wait(self._stop)
        if self._stop.is_set():
            raise FetchCancelled(what)
        timeout = self._settings.request_timeout
        try:
            response = self._session().get(self._url, params=params, timeout=timeout)
            response.content  # noqa: B018 - read the whole body here, inside the try
        except requests.Timeout:
            msg = f"no answer within request_timeout={timeout:g} s"
            raise TransientError(msg) from None
        except requests.RequestException as exc:
            msg = f"connection failed: {type(exc).__name__}: {self._redact(str(exc))}"
            raise TransientError(msg) from None
        return self._interpret(response, what)

    def _interpret(self, response: requests.Response, what: str) -> list[Any]:
        status = response.status_code
        if status == 429:
            self._on_rate_limited(response, what)
        if status >= 500:
            msg = f"HTTP {status}: {self._redact(_braze_message(response))}"
            raise TransientError(msg)
        if status >= 400:
            raise self._fatal(response, what)
        if not 200 <= status < 300:
            msg = f"unexpected HTTP {status}"
            raise TransientError(msg)
        return self._data(response)

    def _data(self, response: requests.Response) -> list[Any]:
        try:
            body = response.json()
        except ValueError:
            snippet = self._redact(response.text[:80])
            msg = f"HTTP {response.status_code} with a body that is not JSON: {snippet!r}"
            raise TransientError(msg) from None
        if not isinstance(body, dict):
            msg = f"HTTP {response.status_code} with a JSON body that is not an object"
            raise TransientError(msg)
        if body.get("message") != "success":
            message = self._redact(repr(body.get("message")))
            msg = f"HTTP {response.status_code} but message {message} instead of 'success'"
            raise TransientError(msg)
        data = body.get("data")
        if not isinstance(data, list):
            msg = f"HTTP {response.status_code} without a 'data' list (got {type(data).__name__})"
            raise TransientError(msg)
        return data

    def _on_rate_limited(self, response: requests.Response, what: str) -> None:
        now = time.time()
        # requests' headers are case-insensitive: HTTP/2's lowercase names work as well.
        reset = parse_reset(response.headers.get("X-RateLimit-Reset"), now)
        if reset is None:
            resume = now + self._settings.retry_wait_seconds
            source = "no usable X-RateLimit-Reset header"
        else:
            resume = min(reset, now + MAX_RATE_LIMIT_WAIT_SECONDS) + RATE_LIMIT_MARGIN_SECONDS
            resume = max(resume, now + MIN_RATE_LIMIT_WAIT_SECONDS)
            source = "X-RateLimit-Reset " + dt.datetime.fromtimestamp(
                reset, dt.timezone.utc
            ).isoformat(timespec="seconds")
        self._gate.hold_until(resume)
        wait = max(0.0, resume - now)
        self._logger.warning(
            "Rate limited by Braze (HTTP 429) on %s; waiting %.2f s (%s) before retrying",
            what,
            wait,
            source,
        )
        msg = f"HTTP 429 rate limited ({source})"
        raise RateLimitedError(msg)

    def _fatal(self, response: requests.Response, what: str) -> Exception:
        status = response.status_code
        braze_says = self._redact(_braze_message(response))
        if status == 401:
            return BrazeAuthError(
                f"Braze rejected the API key (HTTP 401: {braze_says}). Check api_key: the "
                f"key must be a REST API key of the Braze instance in api_url "
                f"({self._settings.api_url}); keys do not work across instances."
            )
        if status == 403:
            return BrazePermissionError(
                f"Braze refused {what} (HTTP 403: {braze_says}). The API key needs the "
                f"permission {KPI_PERMISSION} (Braze dashboard > Settings > APIs and "
                "Identifiers), and the workspace's plan must include it."
            )
        return BrazeRequestError(f"Braze answered HTTP {status} to {what}: {braze_says}")

    def _redact(self, text: str) -> str:
        return redact(text, self._settings.api_key)
