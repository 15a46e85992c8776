"""The download of a user export's archive, against real HTTP servers on 127.0.0.1: what
each answer of the storage host means, and that the request carries no credential and
follows no redirect."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tap_braze_dau.errors import FetchCancelled
from tap_braze_dau.exports.download import DownloadError, NotReady, download

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture
def host() -> Iterator[Callable[[Answer], tuple[str, list[dict[str, str]]]]]:
    """A server answering every GET with the answer given; the headers of each request."""
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Answer) -> tuple[str, list[dict[str, str]]]:
        seen: list[dict[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                seen.append(dict(self.headers))
                status, headers, body = answer
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        servers.append(server)
        return (
            f"http://127.0.0.1:{server.server_address[1]}/exports/p.zip?X-Amz-Signature=s3cr3t",
            seen,
        )

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_the_archive_is_written_to_the_file_without_any_credential(
    host: Callable[[Answer], tuple[str, list[dict[str, str]]]], tmp_path: Path
) -> None:
    url, seen = host((200, {"Content-Type": "application/zip"}, b"PK" + b"x" * 5000))
    download(url, tmp_path / "a.zip", timeout=5, user_agent="tap-test")
    assert (tmp_path / "a.zip").read_bytes() == b"PK" + b"x" * 5000
    assert "Authorization" not in seen[0]
    assert seen[0]["User-Agent"] == "tap-test"


@pytest.mark.parametrize("status", [403, 404, 500, 503])
def test_not_ready_yet(
    host: Callable[[Answer], tuple[str, list[dict[str, str]]]], tmp_path: Path, status: int
) -> None:
    url, _seen = host((status, {}, b"<Error><Code>AccessDenied</Code></Error>"))
    with pytest.raises(NotReady):
        download(url, tmp_path / "a.zip", timeout=5, user_agent="t")


def test_an_expired_url_is_an_error_without_its_signature(
    host: Callable[[Answer], tuple[str, list[dict[str, str]]]], tmp_path: Path
) -> None:
    body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
    url, _seen = host((403, {}, body))
    with pytest.raises(DownloadError, match="expired") as caught:
        download(url, tmp_path / "a.zip", timeout=5, user_agent="t")
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize("status", [301, 302, 307])
def test_a_redirect_is_refused_not_followed(
    host: Callable[[Answer], tuple[str, list[dict[str, str]]]], tmp_path: Path, status: int
) -> None:
    target, reached = host((200, {}, b"PK"))
    url, _seen = host((status, {"Location": target}, b""))
    with pytest.raises(DownloadError, match="redirect") as caught:
        download(url, tmp_path / "a.zip", timeout=5, user_agent="t")
    assert reached == []
    assert "s3cr3t" not in str(caught.value)
    assert not (tmp_path / "a.zip").exists()


def test_plain_http_is_refused_beyond_loopback(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="only https"):
        download(
            "http://downloads.example.com/a.zip?sig=1", tmp_path / "a", timeout=1, user_agent="t"
        )


def test_the_signature_is_in_no_log_line_even_at_debug(
    host: Callable[[Answer], tuple[str, list[dict[str, str]]]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, _seen = host((403, {}, b"<Error><Code>AccessDenied</Code></Error>"))
    with caplog.at_level(logging.DEBUG), pytest.raises(NotReady):
        download(url, tmp_path / "a.zip", timeout=5, user_agent="t")
    assert "/exports/p.zip" in caplog.text  # urllib3 logged the request...
    assert "s3cr3t" not in caplog.text  # ...without its query


def test_a_stopping_run_abandons_the_download(
    host: Callable[[Answer], tuple[str, list[dict[str, str]]]], tmp_path: Path
) -> None:
    url, _seen = host((200, {}, b"PK" * 2_000_000))
    stop = threading.Event()
    stop.set()
    with pytest.raises(FetchCancelled):
        download(url, tmp_path / "a.zip", timeout=5, user_agent="t", stop=stop)
