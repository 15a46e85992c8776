"""What an answer from Braze (or from anything in between) means: pure, no I/O.

Every answer ends in one of:
- the `data` list of a `{"message": "success", "data": [...]}` body (then `rows.check_rows`
  turns it into validated rows);
- `RateLimitedError` (429), carrying when to try again;
- `TransientError` (5xx, bodies that are not JSON or not of Braze's shape, compressed
  bodies that do not decompress, bodies over the size bound), retried with backoff;
- a `BrazeFatalError` (401, 403, other 4xx) whose message says what to fix.

Nothing else escapes, whatever the status, headers or bytes: the property-based test in
tests/unit/test_answers.py drives these functions with arbitrary ones. No message quotes the API
key (`Asked.secret` is scrubbed from everything an answer contributes).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from tap_braze_dau.endpoint import Endpoint
from tap_braze_dau.errors import (
    BrazeAuthError,
    BrazeDataError,
    BrazeFatalError,
    BrazePermissionError,
    BrazeRequestError,
    RateLimitedError,
    TransientError,
)
from tap_braze_dau.rows import CheckedRows, check_rows, shown
from tap_braze_dau.windows import Window

#: The largest body the tap reads, after decompression. A 100-day window is about 4 KB;
#: anything near this is broken (a proxy's error page, a runaway server), never data.
MAX_BODY_BYTES = 10 * 1024 * 1024

#: Braze's limit is hourly: a reset further away than this is taken as a broken header.
MAX_RATE_LIMIT_WAIT_SECONDS = 3900.0
#: Slack after the reset instant, for clock differences between us and Braze.
RATE_LIMIT_MARGIN_SECONDS = 0.25
#: Shortest pause after a 429, even when the announced reset has already passed.
MIN_RATE_LIMIT_WAIT_SECONDS = 0.5
#: Epoch seconds are above this; a smaller X-RateLimit-Reset is read as seconds from now.
_EPOCH_FLOOR = 1_000_000_000


#: Shorter "secrets" are not scrubbed: every "k" of a message is not a leak of a key "k".
#: Braze keys are 36-character UUIDs.
MIN_SECRET_LENGTH = 4


def redact(text: str, secret: str) -> str:
    """`text` with every occurrence of `secret` replaced, so keys never reach a log."""
    return text.replace(secret, "<redacted>") if len(secret) >= MIN_SECRET_LENGTH else text


def too_large(limit: int) -> TransientError:
    return TransientError(
        f"the answer is larger than {limit / 2**20:g} MiB (refused while reading it; "
        "a real answer is a few KB)"
    )


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as read: status, headers (case-insensitive) and the decoded body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    reason: str = ""


@dataclass(frozen=True)
class Asked:
    """What was asked, for messages: which endpoint, of which instance, for what."""

    endpoint: Endpoint
    api_url: str
    description: str
    secret: str


# -- Content-Encoding ---------------------------------------------------------------------


class BodyDecoder:
    """Undoes `Content-Encoding` (gzip, deflate) chunk by chunk, never past `limit` bytes.

    The limit applies to the decompressed bytes, so a small compressed bomb is refused as
    early as a large plain body. An encoding the tap does not know, or a body that does
    not decompress as announced, is a `TransientError` naming it.
    """

    def __init__(self, content_encoding: str | None, limit: int = MAX_BODY_BYTES) -> None:
        self._limit = limit
        self._size = 0
        codings = [
            token.strip().lower()
            for token in (content_encoding or "").split(",")
            if token.strip() and token.strip().lower() != "identity"
        ]
        self._announced = content_encoding
        if not codings:
            self._wbits: int | None = None
        elif codings in (["gzip"], ["x-gzip"]):
            self._wbits = 31
        elif codings == ["deflate"]:
            self._wbits = 15  # zlib-wrapped, as the RFC says; raw deflate is tried too
        else:
            msg = f"the answer is encoded as {shown(content_encoding)}, which the tap cannot decode"
            raise TransientError(msg)
        self._raw_fallback = codings == ["deflate"]
        self._zlib = zlib.decompressobj(self._wbits) if self._wbits else None
        self._seen_output = False

    def _grow(self, data: bytes) -> bytes:
        self._size += len(data)
        if self._size > self._limit:
            raise too_large(self._limit)
        return data

    def _broken(self, reason: str) -> TransientError:
        return TransientError(
            f"the answer says Content-Encoding: {shown(self._announced)} but {reason}"
        )

    def feed(self, chunk: bytes) -> bytes:
        """The decoded bytes of `chunk`; raises once the body outgrows the limit."""
        if self._zlib is None:
            return self._grow(chunk)
        out = bytearray()
        data = chunk
        while data:
            try:
                piece = self._zlib.decompress(data, self._limit - self._size + 1)
            except zlib.error:
                if self._raw_fallback and not self._seen_output:
                    # "deflate" sent as a raw stream, as some servers do
                    self._raw_fallback = False
                    self._zlib = zlib.decompressobj(-15)
                    continue
                raise self._broken("its body does not decompress") from None
            self._raw_fallback = False
            self._seen_output = self._seen_output or bool(piece)
            out += self._grow(piece)
            if self._zlib.unconsumed_tail:
                data = self._zlib.unconsumed_tail
            elif self._zlib.eof and self._zlib.unused_data:
                # a further gzip member follows (legal, if rare)
                data = self._zlib.unused_data
                self._zlib = zlib.decompressobj(self._wbits or 31)
            else:
                data = b""
        return bytes(out)

    def finish(self) -> bytes:
        """What is left once the body has ended; raises if a compressed body was cut."""
        if self._zlib is None:
            return b""
        tail = self._grow(self._zlib.flush())
        if not self._zlib.eof:
            raise self._broken("its compressed body ends early")
        return tail


def decode_body(content_encoding: str | None, raw: bytes, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body decoded at once (tests, and answers already held in memory)."""
    decoder = BodyDecoder(content_encoding, limit)
    return decoder.feed(raw) + decoder.finish()


# -- rate limits --------------------------------------------------------------------------


def parse_reset(value: str | None, now: float) -> float | None:
    """Epoch seconds at which the rate limit resets, from `X-RateLimit-Reset`."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number if number >= _EPOCH_FLOOR else now + number


def rate_limited(headers: Mapping[str, str], now: float, fallback_wait: float) -> RateLimitedError:
    """The 429 as an error carrying when to resume and why then."""
    reset = parse_reset(headers.get("X-RateLimit-Reset"), now)
    if reset is None:
        resume = now + fallback_wait
        source = "no usable X-RateLimit-Reset header"
    else:
        resume = min(reset, now + MAX_RATE_LIMIT_WAIT_SECONDS) + RATE_LIMIT_MARGIN_SECONDS
        resume = max(resume, now + MIN_RATE_LIMIT_WAIT_SECONDS)
        announced = dt.datetime.fromtimestamp(
            min(reset, now + MAX_RATE_LIMIT_WAIT_SECONDS), dt.timezone.utc
        )
        source = "X-RateLimit-Reset " + announced.isoformat(timespec="seconds")
    return RateLimitedError(source, resume_at=resume)


# -- bodies -------------------------------------------------------------------------------


def _json(body: bytes) -> object:
    """The decoded JSON value; `ValueError` for anything that is not JSON."""
    try:
        return json.loads(body)
    except RecursionError:
        msg = "JSON nested too deeply"
        raise ValueError(msg) from None


def _snippet(body: bytes, secret: str) -> str:
    return shown(redact(body[:120].decode("utf-8", "replace"), secret))


def braze_message(answer: Answer, secret: str) -> str:
    """Braze's own explanation of an error, or the start of the body."""
    try:
        body = _json(answer.body)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"][:300]
        errors = body.get("errors")
        text = f"{message} {shown(errors)}" if errors else message
        return redact(text, secret)
    text = answer.body[:200].decode("utf-8", "replace").strip()
    return redact(text, secret) if text else (answer.reason or "(empty body)")


def data_of(answer: Answer, asked: Asked, *, now: float, fallback_wait: float) -> list[object]:
    """The `data` list of a successful answer, or the error the answer amounts to."""
    status = answer.status
    if status == 429:
        raise rate_limited(answer.headers, now, fallback_wait)
    if status >= 500:
        raise TransientError(f"HTTP {status}: {braze_message(answer, asked.secret)}")
    if status >= 400:
        raise fatal_error(answer, asked)
    if not 200 <= status < 300:
        raise TransientError(f"unexpected HTTP {status}")
    try:
        body = _json(answer.body)
    except ValueError:
        snippet = _snippet(answer.body, asked.secret)
        raise TransientError(f"HTTP {status} with a body that is not JSON: {snippet}") from None
    if not isinstance(body, dict):
        raise TransientError(f"HTTP {status} with a JSON body that is not an object")
    if body.get("message") != "success":
        message = redact(shown(body.get("message")), asked.secret)
        raise TransientError(f"HTTP {status} but message {message} instead of 'success'")
    data = body.get("data")
    if not isinstance(data, list):
        raise TransientError(f"HTTP {status} without a 'data' list (got {type(data).__name__})")
    return data


def fatal_error(answer: Answer, asked: Asked) -> BrazeFatalError:
    """The error for a 4xx answer, saying what to fix."""
    status = answer.status
    braze_says = braze_message(answer, asked.secret)
    endpoint = asked.endpoint
    if status == 401:
        return BrazeAuthError(
            f"Braze rejected the API key (HTTP 401: {braze_says}). Check api_key: the key "
            f"must be a REST API key of the Braze instance in api_url ({asked.api_url}); "
            "keys do not work across instances."
        )
    if status == 403:
        return BrazePermissionError(
            f"Braze refused {asked.description} (HTTP 403: {braze_says}). Stream "
            f"'{endpoint.stream}' needs an API key with the permission {endpoint.permission} "
            "(Braze dashboard > Settings > APIs and Identifiers) on a plan that includes it. "
            f"Or stop syncing '{endpoint.stream}': deselect it in the catalog (with "
            f"Meltano: meltano select tap-braze-dau --rm {endpoint.stream} '*')."
        )
    return BrazeRequestError(f"Braze answered HTTP {status} to {asked.description}: {braze_says}")


def rows_of(
    answer: Answer, asked: Asked, window: Window, series: str, *, now: float, fallback_wait: float
) -> CheckedRows:
    """The whole path from an answer to the rows of `window` (or the tap's own error)."""
    data = data_of(answer, asked, now=now, fallback_wait=fallback_wait)
    try:
        return check_rows(data, window, series, asked.endpoint.value_field)
    except BrazeDataError as exc:  # a row may quote anything, even what was sent
        raise BrazeDataError(redact(str(exc), asked.secret)) from None
