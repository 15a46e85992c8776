"""transport.get: `timeout` bounds the whole request, whatever part of the answer is slow.

A raw socket server on 127.0.0.1 misbehaves byte by byte, where an HTTP server library
would not let it.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from braze_emulator import BrazeEmulator, Fault
from tap_braze_dau.braze import transport
from tap_braze_dau.braze.client import BrazeClient, ClientOptions, Request
from tap_braze_dau.braze.rate_limits import RateLimitPools
from tap_braze_dau.errors import BrazeUnavailableError, PoolHeld, TransientError
from tap_braze_dau.streams import DAU

BODY = b'{"message": "success", "data": []}'
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(
    BODY
)


def drip(connection: socket.socket, data: bytes, every: float) -> None:
    for byte in data:
        connection.sendall(bytes([byte]))
        time.sleep(every)


def head_then_trickled_body(connection: socket.socket) -> None:
    connection.sendall(HEAD)
    drip(connection, BODY, 0.3)


@pytest.fixture
def server() -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    """Serve one connection with `behaviour`; returns the URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    threads: list[threading.Thread] = []

    def start(behaviour: Callable[[socket.socket], None]) -> str:
        def serve() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                try:
                    behaviour(connection)
                except OSError:
                    return

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        threads.append(thread)
        return f"http://127.0.0.1:{listener.getsockname()[1]}/kpi/dau/data_series"

    yield start
    listener.close()


def timed_get(url: str, timeout: float) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        transport.send(requests.Session(), url, {"length": 1}, timeout=timeout)
    except TransientError as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


@pytest.mark.parametrize(
    ("behaviour", "says"),
    [
        (head_then_trickled_body, "still arriving"),
        (lambda c: drip(c, HEAD + BODY, 0.3), "request_timeout=1 s"),
        (lambda c: time.sleep(20), "no answer within request_timeout=1 s"),
    ],
    ids=["trickled-body", "trickled-headers", "silent"],
)
def test_the_whole_request_is_bounded_by_the_timeout(
    server: Callable[[Callable[[socket.socket], None]], str],
    behaviour: Callable[[socket.socket], None],
    says: str,
) -> None:
    elapsed, error = timed_get(server(behaviour), timeout=1.0)
    assert error is not None
    assert says in str(error)
    # Unbounded, each answer would take 10 s or more (34 body bytes at 0.3 s, or silence
    # for 20 s); the margin above the 1 s timeout is for a loaded machine, not a limit.
    assert elapsed < 6


def test_a_prompt_answer_is_read_whole(
    server: Callable[[Callable[[socket.socket], None]], str],
) -> None:
    url = server(lambda c: c.sendall(HEAD + BODY))
    answer = transport.send(requests.Session(), url, {"length": 1}, timeout=5)
    assert answer.status == 200
    assert answer.body == BODY


def test_an_announced_oversized_body_is_refused_before_reading(
    server: Callable[[Callable[[socket.socket], None]], str],
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n"

    def head_then_silence(connection: socket.socket) -> None:
        connection.sendall(head)
        time.sleep(20)

    url = server(head_then_silence)
    elapsed, error = timed_get(url, timeout=30)
    assert error is not None
    assert "larger than 10 MiB" in str(error)
    assert elapsed < 10  # refused at the headers, not after the 20 s of silence


def test_a_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _elapsed, error = timed_get(f"http://127.0.0.1:{port}/", timeout=2)
    assert error is not None
    assert "connection failed" in str(error)


def chunked(body: bytes, piece: int = 512) -> bytes:
    """`body` in HTTP/1.1 chunked encoding: no Content-Length announces its size."""
    out = b""
    for start in range(0, len(body), piece):
        part = body[start : start + piece]
        out += b"%x\r\n%s\r\n" % (len(part), part)
    return out + b"0\r\n\r\n"


@pytest.mark.parametrize(("size", "refused"), [(900, False), (1000, False), (5000, True)])
def test_a_streamed_body_is_bounded_by_the_max_bytes_it_is_given(
    server: Callable[[Callable[[socket.socket], None]], str], size: int, refused: bool
) -> None:
    """No Content-Length: the bound given to `get` is applied while the body streams in."""
    body = b'{"message": "success", "data": [], "pad": "' + b"x" * (size - 45) + b'"}'
    assert len(body) == size
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    url = server(lambda connection: connection.sendall(head + chunked(body)))
    if refused:
        with pytest.raises(TransientError, match="larger than"):
            transport.send(requests.Session(), url, {"length": 1}, timeout=5, max_bytes=1000)
    else:
        answer = transport.send(requests.Session(), url, {"length": 1}, timeout=5, max_bytes=1000)
        assert answer.body == body


KEY = "sk-transport-test-key-000000"
#: One small request of the client's tests.
DAU_REQUEST = Request("dau", DAU.endpoint, {"length": 2}, "/kpi/dau/data_series (test)")


def test_a_request_abandoned_at_the_timeout_keeps_its_session_to_itself() -> None:
    """`requests.Session` is not thread-safe, and an abandoned read may still be using
    its session: the retry that follows gets a new one; a request that was answered
    leaves the session to the next (its connections are reused). The first answer
    trickles in a byte every 0.2 s: only the whole-request bound can end it (a stall
    would race the socket's own read timeout, which frees the session)."""
    with BrazeEmulator(api_key=KEY, apps={"ios": dt.date(2024, 1, 1)}) as braze:
        braze.add_fault(Fault("trickle", seconds=0.2, count=1))
        options = ClientOptions(
            api_key=KEY,
            api_url=braze.url,
            request_timeout=0.5,
            max_retries=2,
            retry_wait_seconds=0.01,
        )
        client = BrazeClient(options, logger=logging.getLogger("tests"))
        abandoned = client.session()
        assert client.fetch(DAU_REQUEST)
        assert [r.fault for r in braze.requests] == ["trickle", None]
        retried = client.session()
        assert retried is not abandoned
        assert client.fetch(DAU_REQUEST)
        assert client.session() is retried


def test_a_request_put_back_between_retries_keeps_the_retries_it_used() -> None:
    """A deferring request whose pool closes between two retries (here at the reserve:
    4 requests a 3-second window, half kept for the workspace's other clients) goes back
    to the queue rather than wait in its worker; asked again, it has only the retries
    left, so Braze sees max_retries + 1 attempts in all, however often it was put back."""
    with BrazeEmulator(
        api_key=KEY, apps={"ios": dt.date(2024, 1, 1)}, rate_limit=4, rate_period=3
    ) as braze:
        braze.add_fault(Fault("status", status=503, count=-1))
        options = ClientOptions(
            api_key=KEY,
            api_url=braze.url,
            request_timeout=5,
            max_retries=3,
            retry_wait_seconds=0.01,
            rate_limit_reserve=0.5,
        )
        pools = RateLimitPools()
        client = BrazeClient(options, logger=logging.getLogger("tests"), pools=pools)
        put_back = 0
        for _turn in range(50):  # what the fetcher does: put back, ask again later
            try:
                client.fetch(DAU_REQUEST, defer_if_held=True)
            except PoolHeld:
                put_back += 1
                pools.gate(DAU_REQUEST.endpoint.pool).wait(threading.Event())
                continue
            except BrazeUnavailableError:
                break
        else:
            pytest.fail("the request was put back for ever")
        assert put_back >= 1, "the pool never closed between retries: the test proved nothing"
        assert len(braze.requests) == options.max_retries + 1
