"""Only `api_url` is ever asked: a redirect is never followed, to another host or not.

A Braze endpoint does not redirect; a proxy, a captive portal or a mistyped api_url does.
Following one would send the request and its parameters to a host nobody configured.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import API_KEY, all_bookmarks, run_tap


class Recorder(BaseHTTPRequestHandler):
    """Answers as `server.answer(path_and_query, count)` says, and counts requests."""

    server: RecordingServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.seen.append(self.path)
            count = len(self.server.seen)
        status, headers, body = self.server.answer(self.path, count)
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


Answering = Callable[[str, int], tuple[int, dict[str, str], bytes]]


class RecordingServer(ThreadingHTTPServer):
    def __init__(self, host: str) -> None:
        super().__init__((host, 0), Recorder)
        self.lock = threading.Lock()
        self.seen: list[str] = []
        self.answer: Answering = self.not_found

    @staticmethod
    def not_found(_path: str, _count: int) -> tuple[int, dict[str, str], bytes]:
        return 404, {}, b'{"message": "Not Found"}'

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


@pytest.fixture
def servers() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    """A fake api_url on 127.0.0.1 and another loopback host, 127.0.0.2."""
    pair = (RecordingServer("127.0.0.1"), RecordingServer("127.0.0.2"))
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in pair]
    for thread in threads:
        thread.start()
    yield pair
    for server in pair:
        server.shutdown()
        server.server_close()


def one_row(path: str) -> bytes:
    """A success body with one row, the day the request's window ends on."""
    ending_at = parse_qs(urlsplit(path).query)["ending_at"][0]
    return json.dumps({"message": "success", "data": [{"time": ending_at[:10], "dau": 7}]}).encode()


def config(api_url: str) -> dict[str, Any]:
    return {
        "api_key": API_KEY,
        "api_url": api_url,
        "app_ids": ["ios"],
        "include_workspace_total": False,
        "start_date": "2024-12-30",
        "end_date": "2024-12-31",
        "window_days": 1,
        "max_parallel_requests": 1,
        "retry_wait_seconds": 0.01,
    }


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_fails_the_run_naming_it_and_is_never_followed(
    servers: tuple[RecordingServer, RecordingServer], tmp_path: Path, status: int
) -> None:
    api, elsewhere = servers

    def answer(path: str, count: int) -> tuple[int, dict[str, str], bytes]:
        if count == 1:  # the first window is answered: what it delivers stays claimed
            return 200, {"Content-Type": "application/json"}, one_row(path)
        return status, {"Location": f"{elsewhere.url}{path}"}, b""

    api.answer = answer
    run = run_tap(config(api.url), tmp_path)
    assert run.returncode == 1
    assert elsewhere.seen == []
    assert len(api.seen) == 2  # a redirect is fatal at once: no retry
    assert f"a redirect to {elsewhere.url.rsplit(':', 1)[0]!r}" in run.stderr
    assert "api_url" in run.stderr
    assert "Traceback" not in run.stderr
    assert [r["time"] for r in run.records] == ["2024-12-30"]
    assert run.last_state is not None
    assert all_bookmarks(run.last_state) == {("dau", "ios"): "2024-12-30"}


def test_a_redirect_within_the_same_host_is_not_followed_either(
    servers: tuple[RecordingServer, RecordingServer], tmp_path: Path
) -> None:
    api, _elsewhere = servers
    api.answer = lambda _path, _count: (302, {"Location": "/login"}, b"")
    run = run_tap(config(api.url), tmp_path)
    assert run.returncode == 1
    assert len(api.seen) == 1  # not retried, and /login never asked
    assert api.seen[0].startswith("/kpi/dau/data_series")
    assert "a redirect to 'http://127.0.0.1'" in run.stderr
