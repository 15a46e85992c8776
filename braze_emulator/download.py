"""The host a segment export's `url` points to: an S3-like server on 127.0.0.1, on a port
of its own, started and stopped with the emulator (`BrazeEmulator.download_url`).

`GET /exports/<object_prefix>.zip?X-Amz-Signature=...&X-Amz-Expires=14400` (the URL the
export answered, presigned by the emulator itself) answers as S3 does a presigned URL:
- an unknown path: 404 `NoSuchKey`;
- a signature other than the one issued: 403 `SignatureDoesNotMatch`;
- before the export is ready (forever, for a failed one): 403 `AccessDenied`;
- after `export_expires_after` seconds past ready: 403 `AccessDenied`, "Request has
  expired";
  (both as of the request's arrival, so `arrived` in the log tells which applied);
- otherwise 200, the ZIP streamed from the emulator's file (`application/zip`, with a
  Content-Length).
Error bodies are S3's XML (`<Error><Code>...</Code><Message>...</Message>...`). Every
request is logged in `BrazeEmulator.download_requests` (`DownloadRequest`), with its
Authorization header if it had one: the API key must never reach this host. An entry is
written once its answer is sent, so a client may hold the answer before the entry exists,
and a handler may finish after the next request's: the log keeps arrival order, and
reading `download_requests` waits until every request that arrived is logged
(`DownloadLog`), so a test reads it right after an answer without a race.

Faults with `stream="users_download"` (`dimension`: the segment id) apply here, to the
downloads of a ready archive (not to its 403s before, nor after it expired): "status"
(an XML error of that status; 503 is S3's `SlowDown`), "drop" (the connection closed
unanswered), "truncate" (the full Content-Length announced, half the bytes sent),
"trickle" (the archive 64 KiB at a time, `seconds` apart: a download that lasts) and
"stall" (`seconds` of silence, then the real answer); other kinds are ignored here.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from braze_emulator.export_jobs import URL_EXPIRES_SECONDS, Export
from braze_emulator.handler import QuietServer

if TYPE_CHECKING:
    from braze_emulator.server import BrazeEmulator

#: The name faults match (`Fault.stream`) for requests to the download host.
DOWNLOAD_STREAM = "users_download"
_PATH = re.compile(r"^/exports/(?P<prefix>[^/]+)\.zip$")
_CHUNK = 1 << 20
#: What a "trickle" fault sends at a time.
_TRICKLE_CHUNK = 64 * 1024
_S3_CODES = {500: "InternalError", 503: "SlowDown", 403: "AccessDenied", 400: "InvalidRequest"}


@dataclass
class DownloadRequest:
    """One request to the download host.

    arrived, answered_at: epoch seconds (answered: when the last byte was sent, or the
    connection dropped); query: its parameters (last value of each); authorization: the
    Authorization header as sent, None without one; object_prefix: the export's, None for an
    unknown path; bytes_sent: body bytes written; fault: the kind of fault applied.
    """

    arrived: float
    answered_at: float
    path: str
    query: dict[str, str]
    status: int
    authorization: str | None
    user_agent: str | None
    object_prefix: str | None = None
    bytes_sent: int = 0
    fault: str | None = None


class DownloadLog:
    """The download host's log, in the order requests arrived. An entry is written after
    its answer, so a request's place is taken when it `arrive`s (its handler may finish
    after a later request's) and `settled` waits (a condition, not a sleep) until every
    place is filled."""

    def __init__(self) -> None:
        self._entries: list[DownloadRequest | None] = []
        self._changed = threading.Condition()

    def arrive(self) -> int:
        """Take the next place in the log: its index, for `record`."""
        with self._changed:
            self._entries.append(None)
            return len(self._entries) - 1

    def record(self, place: int, entry: DownloadRequest) -> None:
        with self._changed:
            self._entries[place] = entry
            self._changed.notify_all()

    def settled(self, timeout: float = 30.0) -> list[DownloadRequest]:
        """A copy of the entries once every arrived request is logged (or after `timeout`
        seconds, should a handler die unlogged: then without its place)."""
        with self._changed:
            self._changed.wait_for(lambda: None not in self._entries, timeout)
            return [entry for entry in self._entries if entry is not None]


def s3_error(code: str, message: str, **extra: str) -> bytes:
    """An S3 error body."""
    fields = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in extra.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{fields}"
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId>"
        f"<HostId>{secrets.token_urlsafe(48)}</HostId></Error>"
    ).encode()


def _utc_text(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_download_server(emulator: BrazeEmulator) -> QuietServer:
    class BoundHandler(DownloadHandler):
        braze = emulator

    return QuietServer(("127.0.0.1", 0), BoundHandler)


class DownloadHandler(BaseHTTPRequestHandler):
    braze: BrazeEmulator
    protocol_version = "HTTP/1.1"
    server_version = "AmazonS3"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        arrived = time.time()
        place = self.braze.download_log.arrive()
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        match = _PATH.match(parts.path)
        export = self.braze.export_jobs.find(match["prefix"]) if match else None
        status, sent, fault = 0, 0, None
        try:
            status, sent, fault = self._answer(export, query, arrived)
        finally:
            self.braze.download_log.record(
                place,
                DownloadRequest(
                    arrived=arrived,
                    answered_at=time.time(),
                    path=parts.path,
                    query=query,
                    status=status,
                    authorization=self.headers.get("Authorization"),
                    user_agent=self.headers.get("User-Agent"),
                    object_prefix=export.object_prefix if export else None,
                    bytes_sent=sent,
                    fault=fault,
                ),
            )

    def _answer(
        self, export: Export | None, query: dict[str, str], arrived: float
    ) -> tuple[int, int, str | None]:
        """Answer as of `arrived` (so the log's timings tell why: a 403 "not ready" arrived
        before `ready_at`); (status, body bytes sent, fault kind)."""
        if export is None:
            return self._error(404, "NoSuchKey", "The specified key does not exist."), 0, None
        if query.get("X-Amz-Signature") != export.signature:
            message = (
                "The request signature we calculated does not match the signature you provided."
            )
            return self._error(403, "SignatureDoesNotMatch", message), 0, None
        state = self.braze.export_jobs.state(export, arrived)
        if state == "pending":
            return self._error(403, "AccessDenied", "Access Denied"), 0, None
        if state == "expired":
            assert export.expires_at is not None
            body_extra = {
                "X-Amz-Expires": str(URL_EXPIRES_SECONDS),
                "Expires": _utc_text(export.expires_at),
                "ServerTime": _utc_text(arrived),
            }
            return self._error(403, "AccessDenied", "Request has expired", **body_extra), 0, None
        # Faults apply to the downloads of a ready archive only: a test can add one
        # before the client starts polling, whatever the number of 403s before.
        fault = self.braze.take_fault(DOWNLOAD_STREAM, None, None, dimension=export.segment_id)
        kind = fault.kind if fault else None
        if fault is not None and fault.kind == "status":
            code = _S3_CODES.get(fault.status, "ServiceUnavailable")
            message = fault.message or "Please reduce your request rate."
            return self._error(fault.status, code, message), 0, kind
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            return 0, 0, kind
        if fault is not None and fault.kind == "stall":
            time.sleep(fault.seconds)
        truncate = fault is not None and fault.kind == "truncate"
        pause = fault.seconds if fault is not None and fault.kind == "trickle" else 0.0
        return 200, self._file(export, truncate=truncate, pause=pause), kind

    def _error(self, status: int, code: str, message: str, **extra: str) -> int:
        body = s3_error(code, message, **extra)
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return status

    def _file(self, export: Export, *, truncate: bool, pause: float = 0.0) -> int:
        """Stream the export's ZIP; the body bytes written (half of it when truncating;
        with a `pause`, 64 KiB at a time, `pause` seconds apart)."""
        assert export.archive is not None
        size = export.archive_size
        limit = size // 2 if truncate else size
        step = _TRICKLE_CHUNK if pause else _CHUNK
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(size))
        self.send_header("ETag", f'"{export.signature[:32]}"')
        self.end_headers()
        sent = 0
        try:
            with export.archive.open("rb") as file:
                while sent < limit:
                    chunk = file.read(min(step, limit - sent))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    sent += len(chunk)
                    if pause:
                        self.wfile.flush()
                        time.sleep(pause)
            self.wfile.flush()
        except OSError:  # the client hung up, or the emulator stopped and removed the file
            self.close_connection = True
        if truncate:
            self.close_connection = True
        return sent
