"""One HTTP GET whose whole duration and body size are bounded.

`requests` applies its timeout to each read of the socket, not to the whole answer: a
server (or a proxy) that sends the headers and then one byte every half second keeps a
request open for as long as it likes. Here `timeout` bounds everything, from connecting
to the last byte of the body:
- the request runs in a short-lived thread of its own, and the caller waits for it at most
  `timeout` seconds; an answer still arriving then is a `TransientError` that says so, and
  the thread, told to give up, stops at its next read (each socket read is itself bounded
  by `timeout`, so it never lingers long);
- the body is read chunk by chunk, decoded as it arrives (`answers.BodyDecoder`) and
  refused once it outgrows `max_bytes`, so a huge answer is never held whole.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Mapping

import requests
import urllib3.exceptions

from tap_braze_dau.answers import MAX_BODY_BYTES, Answer, BodyDecoder, too_large
from tap_braze_dau.errors import TransientError

_CHUNK_BYTES = 64 * 1024


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
) -> None:
    # Chunks, joined once at the end: a growing buffer would hold the body twice (and an
    # oversized one up to twice the bound) while it is reallocated.
    chunks: list[bytes] = []
    try:
        with session.get(url, params=dict(params), timeout=timeout, stream=True) as response:
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


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (urllib3.exceptions.ProtocolError, http.client.IncompleteRead)):
        return f"the answer was cut short ({type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"


def get(
    session: requests.Session,
    url: str,
    params: Mapping[str, str | int],
    *,
    timeout: float,
    max_bytes: int = MAX_BODY_BYTES,
) -> Answer:
    """GET `url`; the whole answer within `timeout` seconds and `max_bytes` bytes.

    Raises `TransientError` for a timeout, a broken connection, an undecodable or
    oversized body; any HTTP status is returned as an `Answer`.
    """
    attempt = _Attempt()
    thread = threading.Thread(
        target=_read,
        args=(session, url, params, timeout, max_bytes, attempt),
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
        raise TransientError(msg)
    if attempt.error is not None:
        raise attempt.error
    assert attempt.answer is not None
    return attempt.answer
