"""transport.get: `timeout` bounds the whole request, whatever part of the answer is slow.

A raw socket server on 127.0.0.1 misbehaves byte by byte, where an HTTP server library
would not let it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from tap_braze_dau.braze import transport
from tap_braze_dau.errors import TransientError

BODY = b'{"message": "success", "data": []}'
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(
    BODY
)


def drip(connection: socket.socket, data: bytes, every: float) -> None:
    for byte in data:
        connection.sendall(bytes([byte]))
        time.sleep(every)


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
        transport.get(requests.Session(), url, {"length": 1}, timeout=timeout)
    except TransientError as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


@pytest.mark.parametrize(
    ("behaviour", "says"),
    [
        (lambda c: (c.sendall(HEAD), drip(c, BODY, 0.3)), "still arriving"),
        (lambda c: drip(c, HEAD + BODY, 0.3), "request_timeout=1 s"),
        (lambda c: time.sleep(5), "no answer within request_timeout=1 s"),
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
    assert elapsed < 1.5


def test_a_prompt_answer_is_read_whole(
    server: Callable[[Callable[[socket.socket], None]], str],
) -> None:
    url = server(lambda c: c.sendall(HEAD + BODY))
    answer = transport.get(requests.Session(), url, {"length": 1}, timeout=5)
    assert answer.status == 200
    assert answer.body == BODY


def test_an_announced_oversized_body_is_refused_before_reading(
    server: Callable[[Callable[[socket.socket], None]], str],
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n"
    url = server(lambda c: (c.sendall(head), time.sleep(2)))
    elapsed, error = timed_get(url, timeout=5)
    assert error is not None
    assert "larger than 10 MiB" in str(error)
    assert elapsed < 1.5


def test_a_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _elapsed, error = timed_get(f"http://127.0.0.1:{port}/", timeout=2)
    assert error is not None
    assert "connection failed" in str(error)
