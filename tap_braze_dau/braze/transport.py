"""One HTTP request (a GET, or a POST of JSON) whose whole duration and body size are bounded.

`requests` applies its timeout to each read of the socket, not to the whole answer: a
server (or a proxy) that sends the headers and then one byte every half second keeps a
request open for as long as it likes. Here `timeout` bounds everything, from connecting
to the last byte of the body:
- the request runs in a short-lived thread of its own, and the caller waits for it at most
  `timeout` seconds; an answer still arriving then is an `AbandonedAttempt` that says so,
  and the thread, told to give up, stops at its next read (each socket read is itself
  bounded by `timeout`, so it never lingers long) and closes the session it was given,
  which the caller must not use again (`requests.Session` is not thread-safe);
- the body is read chunk by chunk, decoded as it arrives (`BodyDecoder`: gzip and
  deflate) and refused once it outgrows `max_bytes`, after decoding too (a small
  compressed bomb is refused as early as a large plain body), so a huge answer is never
  held whole.

What comes back is an `Answer`: a status, headers and a decoded body, whatever they say;
what they mean is `answers.py`'s business.
"""

from __future__ import annotations

import http.client
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import requests
import urllib3.exceptions

from tap_braze_dau.errors import AbandonedAttempt, TransientError
from tap_braze_dau.redaction import shown

_CHUNK_BYTES = 64 * 1024

#: The largest body the tap reads, after decompression. A 100-day window is about 4 KB;
#: anything near this is broken (a proxy's error page, a runaway server), never data.
MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as read: status, headers (case-insensitive) and the decoded body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    reason: str = ""


def too_large(limit: int) -> TransientError:
    return TransientError(
        f"the answer is larger than {limit / 2**20:g} MiB (refused while reading it; "
        "a real answer is a few KB)"
    )


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


class _Attempt:
    """The outcome of one GET, handed from its thread to the caller."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.abandoned = threading.Event()
        self.headers_received = False
        self.answer: Answer | None = None
        self.error: BaseException | None = None


def _read(
    session: requests.Session,
    url: str,
    params: Mapping[str, str | int],
    timeout: float,
    max_bytes: int,
    attempt: _Attempt,
    json_body: Mapping[str, object] | None = None,
) -> None:
    # Chunks, joined once at the end: a growing buffer would hold the body twice (and an
    # oversized one up to twice the bound) while it is reallocated.
    chunks: list[bytes] = []
    try:
        # Never follow a redirect: a Braze endpoint does not redirect, a proxy, a captive
        # portal or a mistyped api_url does, and only api_url may be asked (answers.py).
        with session.request(
            "GET" if json_body is None else "POST",
            url,
            params=dict(params),
            json=None if json_body is None else dict(json_body),
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        ) as response:
            attempt.headers_received = True
            declared = response.headers.get("Content-Length", "")
            if declared.strip().isdigit() and int(declared) > max_bytes:
                raise too_large(max_bytes)
            decoder = BodyDecoder(response.headers.get("Content-Encoding"), max_bytes)
            while not attempt.abandoned.is_set():
                chunk = response.raw.read1(_CHUNK_BYTES, decode_content=False)
                if not chunk:
                    chunks.append(decoder.finish())
                    body = b"".join(chunks)
                    attempt.answer = Answer(
                        response.status_code, response.headers, body, response.reason or ""
                    )
                    return
                chunks.append(decoder.feed(chunk))
    except requests.Timeout:
        attempt.error = TransientError(f"no answer within request_timeout={timeout:g} s")
    except (
        requests.RequestException,
        urllib3.exceptions.HTTPError,
        http.client.HTTPException,
        OSError,
    ) as exc:
        attempt.error = TransientError(f"connection failed: {_describe(exc)}")
    except BaseException as exc:  # handed over; the caller decides what it means
        attempt.error = exc
    finally:
        # The error's traceback holds this frame, and the frame the attempt, which holds
        # the error: a cycle that only the garbage collector breaks, late. Without this,
        # every refused oversized answer would stay in memory until it runs.
        chunks.clear()
        attempt.done.set()
        if attempt.abandoned.is_set():
            session.close()  # nobody else uses it any more (see `send`)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (urllib3.exceptions.ProtocolError, http.client.IncompleteRead)):
        return f"the answer was cut short ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"


def send(
    session: requests.Session,
    url: str,
    params: Mapping[str, str | int],
    *,
    timeout: float,
    max_bytes: int = MAX_BODY_BYTES,
    json_body: Mapping[str, object] | None = None,
) -> Answer:
    """GET `url` (POST `json_body`, when given); the whole answer within `timeout`
    seconds and `max_bytes` bytes.

    Raises `TransientError` for a broken connection, an undecodable or oversized body;
    `AbandonedAttempt` for a timeout, after which `session` belongs to the abandoned
    read (which closes it) and must not be used again. Any HTTP status is returned as an
    `Answer`.
    """
    attempt = _Attempt()
    thread = threading.Thread(
        target=_read,
        args=(session, url, params, timeout, max_bytes, attempt, json_body),
        name="braze-request",
        daemon=True,
    )
    started = time.monotonic()
    thread.start()
    if not attempt.done.wait(timeout):
        attempt.abandoned.set()
        if attempt.headers_received:
            msg = (
                f"the answer was still arriving when request_timeout={timeout:g} s ran out "
                f"(after {time.monotonic() - started:.1f} s)"
            )
        else:
            msg = f"no answer within request_timeout={timeout:g} s"
        raise AbandonedAttempt(msg)
    if attempt.error is not None:
        raise attempt.error
    assert attempt.answer is not None
    return attempt.answer
