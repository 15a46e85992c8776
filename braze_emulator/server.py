"""A Braze REST emulator for the KPI data series endpoints, on 127.0.0.1.

It serves the five series the tap extracts, as Braze documents them:

| path | value field | permission |
|---|---|---|
| `/kpi/dau/data_series` | `dau` | `kpi.dau.data_series` |
| `/kpi/mau/data_series` | `mau` | `kpi.mau.data_series` |
| `/kpi/new_users/data_series` | `new_users` | `kpi.new_users.data_series` |
| `/kpi/uninstalls/data_series` | `uninstalls` | `kpi.uninstalls.data_series` |
| `/sessions/data_series` | `sessions` | `sessions.data_series` (also `unit=day` or `hour`) |

Bearer auth (401 for a wrong key, 403 for a key without the endpoint's permission),
`length` 1..100, `ending_at` as an ISO-8601 instant read in the workspace's time zone,
`app_id` (none: the workspace), rate-limit headers on every answer and 429 past the limit
(one hourly pool for every endpoint, as Braze counts them). Days are bucketed in
`workspace_tz`; days after "today" there do not exist yet; days before a series' first day
are missing (or zeros, with `pre_history="zeros"`). `unit=hour` on sessions returns hourly
points whose `time` is a timestamp, and `length` counts hours.

Values are a deterministic function of (stream, app_id, day), so tests compute what a sync
must deliver, and `revise()` changes a day as Braze does when it revises recent days.

Faults are scriptable, in process (`add_fault`) or over HTTP (`POST /_emulator/faults`):
see `Fault`. Every request is logged (`requests`, or `GET /_emulator/requests`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import math
import random
import threading
import time
import zlib
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

WORKSPACE = "_workspace"  # how the log names the workspace-wide series (no app_id sent)


@dataclass(frozen=True)
class Endpoint:
    stream: str
    path: str
    permission: str
    base: int  # values are base + something below `spread`
    spread: int


ENDPOINTS = (
    Endpoint("dau", "/kpi/dau/data_series", "kpi.dau.data_series", 1000, 9000),
    Endpoint("mau", "/kpi/mau/data_series", "kpi.mau.data_series", 20_000, 30_000),
    Endpoint("new_users", "/kpi/new_users/data_series", "kpi.new_users.data_series", 20, 500),
    Endpoint("uninstalls", "/kpi/uninstalls/data_series", "kpi.uninstalls.data_series", 5, 200),
    Endpoint("sessions", "/sessions/data_series", "sessions.data_series", 2000, 40_000),
)
BY_PATH = {e.path: e for e in ENDPOINTS}
BY_STREAM = {e.stream: e for e in ENDPOINTS}
STREAMS = tuple(BY_STREAM)
ALL_PERMISSIONS = frozenset(e.permission for e in ENDPOINTS)
DAU_PATH = BY_STREAM["dau"].path


@dataclass
class Fault:
    """A misbehaviour applied to matching requests.

    kind:
    - "status": answer `status` with `message`; a 429 carries X-RateLimit-Reset `reset_in`
      seconds ahead;
    - "stall": sleep `seconds` before answering (logged with status 0 on arrival);
    - "drop": close the connection without answering;
    - "truncate": announce the full body, send half;
    - "invalid_json", "message" (a 200 whose message is `message`), "no_data" (a 200
      without `data`), "data_not_list";
    - "rows": a 200 whose rows are `transform(rows)`, or the real rows plus `extra_rows`;
    - "trickle": the headers, then the real body one byte every `seconds`;
    - "lying_encoding": a plain JSON body announced as `Content-Encoding: gzip`;
    - "gzip": the real body, honestly gzip-compressed;
    - "deep_nesting": a 200 whose body is a JSON array nested `size` levels deep;
    - "oversized": a 200 whose body is `size` bytes of valid JSON (rows and padding),
      streamed in chunks so the emulator never holds it whole.
    stream: only requests to this stream's endpoint (e.g. "mau"); None for any.
    app_id: only requests for this series (WORKSPACE for the total); None for any.
    covers: only requests whose window contains this day (YYYY-MM-DD); None for any.
    skip: matching requests let through untouched before the fault starts.
    count: matching requests it then applies to; -1 for every one from then on.
    """

    kind: str
    status: int = 500
    message: str = ""
    seconds: float = 0.0
    size: int = 0
    reset_in: float = 2.0
    lowercase_headers: bool = False
    stream: str | None = None
    app_id: str | None = None
    covers: str | None = None
    skip: int = 0
    count: int = 1
    extra_rows: list[dict[str, Any]] = field(default_factory=list)
    transform: Callable[[list[dict[str, Any]]], list[Any]] | None = None


@dataclass
class LoggedRequest:
    """One request as the emulator saw it (never the API key itself)."""

    at: float
    path: str
    stream: str | None
    params: dict[str, str]
    app_id: str | None
    status: int
    fault: str | None
    user_agent: str | None
    authorized: bool
    first_day: str | None = None
    last_day: str | None = None
    reset_sent: int | None = None


def value_for(app_id: str, day: dt.date, stream: str = "dau") -> int:
    """The emulator's deterministic value of a stream's series on a day.

    Shaped like real usage, so that a chart of it (make demo) looks like one: a level per
    series, quieter weekends, a slow yearly swell and growth, and day-to-day noise; MAU,
    a 30-day count, moves smoothly; the workspace counts more users than any one app.
    """
    endpoint = BY_STREAM[stream]
    level: float = endpoint.base + zlib.crc32(f"{stream}|{app_id}".encode()) % endpoint.spread
    if app_id == WORKSPACE:  # every app's users together: above any single app
        level = endpoint.base + 1.6 * endpoint.spread
    age = (day - dt.date(2020, 1, 1)).days
    swell = (1 + 0.0003 * age) * (1 + 0.1 * math.sin(2 * math.pi * age / 365.25))
    if stream == "mau":
        weekly, jitter = 1.0, 0.01
    else:
        weekly, jitter = (1.0, 1.03, 1.04, 1.02, 0.97, 0.78, 0.72)[day.weekday()], 0.12
    noise = 1 - jitter + 2 * jitter * (zlib.crc32(f"{stream}|{app_id}|{day}".encode()) % 1000) / 999
    return max(0, int(level * swell * weekly * noise))


def _parse_instant(text: str) -> dt.datetime:
    """ISO-8601 instant; 'Z' accepted on every Python; a bare date is midnight UTC."""
    if len(text) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.timezone.utc)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


class BrazeEmulator:
    """Run with `with BrazeEmulator(...) as braze:`; `braze.url` is the `api_url`.

    `permissions`: what the key may call (None: every endpoint); `has_permission=False`
    is shorthand for a key with no permission at all.
    """

    def __init__(
        self,
        *,
        api_key: str = "emulator-key",
        apps: dict[str, dt.date] | None = None,
        workspace_first_day: dt.date | None = None,
        workspace_tz: str = "UTC",
        today: dt.date | None = None,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        rate_limit: int = 250_000,
        rate_period: int = 3600,
        lowercase_headers: bool = False,
        has_permission: bool = True,
        permissions: Collection[str] | None = None,
        pre_history: str = "missing",
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.apps = dict(apps or {})
        first_days = list(self.apps.values())
        self.workspace_first_day = workspace_first_day or (
            min(first_days) if first_days else dt.date(2020, 1, 1)
        )
        self.zone = ZoneInfo(workspace_tz)
        self.fixed_today = today
        self.latency = latency
        self.latency_jitter = latency_jitter
        self._random = random.Random(7)
        self.rate_limit = rate_limit
        self.rate_period = rate_period
        self.lowercase_headers = lowercase_headers
        if not has_permission:
            permissions = ()
        self.permissions = ALL_PERMISSIONS if permissions is None else frozenset(permissions)
        unknown = self.permissions - ALL_PERMISSIONS
        if unknown:
            msg = f"unknown permissions {sorted(unknown)}; known: {sorted(ALL_PERMISSIONS)}"
            raise ValueError(msg)
        self.pre_history = pre_history
        self.revisions: dict[tuple[str, str, dt.date], int] = {}
        self.faults: list[Fault] = []
        self.requests: list[LoggedRequest] = []
        self._rate_counts: dict[int, int] = {}
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> BrazeEmulator:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BrazeEmulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- data --------------------------------------------------------------------------

    def today(self) -> dt.date:
        return self.fixed_today or dt.datetime.now(self.zone).date()

    def first_day(self, series: str) -> dt.date:
        return self.workspace_first_day if series == WORKSPACE else self.apps[series]

    def value(self, series: str, day: dt.date, stream: str = "dau") -> int:
        return self.revisions.get((stream, series, day), value_for(series, day, stream))

    def revise(self, series: str, day: dt.date, value: int, stream: str = "dau") -> None:
        self.revisions[(stream, series, day)] = value

    def series_rows(
        self, series: str, first: dt.date, last: dt.date, stream: str = "dau"
    ) -> list[dict[str, Any]]:
        """What Braze answers for [first, last] of a series."""
        rows = []
        day = first
        start = self.first_day(series)
        while day <= min(last, self.today()):
            if day >= start:
                rows.append({"time": day.isoformat(), stream: self.value(series, day, stream)})
            elif self.pre_history == "zeros":
                rows.append({"time": day.isoformat(), stream: 0})
            day += dt.timedelta(days=1)
        return rows

    def hourly_rows(self, series: str, last_hour: dt.datetime, hours: int) -> list[dict[str, Any]]:
        """Sessions with `unit=hour`: one point per hour, `time` a full timestamp."""
        rows = []
        for n in range(hours - 1, -1, -1):
            hour = last_hour - dt.timedelta(hours=n)
            if self.first_day(series) <= hour.date() <= self.today():
                value = value_for(series, hour.date(), "sessions") // 24 + hour.hour
                rows.append({"time": hour.isoformat(), "sessions": value})
        return rows

    def expected(
        self, series: str, first: dt.date, last: dt.date, stream: str = "dau"
    ) -> dict[str, int]:
        """{day: value} a correct sync of [first, last] delivers for `series`."""
        return {row["time"]: row[stream] for row in self.series_rows(series, first, last, stream)}

    def request_delay(self) -> float:
        """Seconds to sleep before answering: the fixed latency plus random jitter."""
        if not self.latency_jitter:
            return self.latency
        with self._lock:
            return self.latency + self._random.uniform(0, self.latency_jitter)

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def data_requests(self, stream: str | None = None) -> list[LoggedRequest]:
        """Requests to the data series endpoints (of one stream, if given)."""
        return [
            r
            for r in self.requests
            if r.stream is not None and (stream is None or r.stream == stream)
        ]

    def dau_requests(self) -> list[LoggedRequest]:
        return self.data_requests("dau")

    # -- request handling ---------------------------------------------------------------

    def take_fault(
        self, stream: str, series: str | None, window: tuple[dt.date, dt.date] | None
    ) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.stream is not None and fault.stream != stream:
                    continue
                if fault.app_id is not None and fault.app_id != series:
                    continue
                if fault.covers is not None and not (
                    window and window[0] <= dt.date.fromisoformat(fault.covers) <= window[1]
                ):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.count == 0:
                    continue
                if fault.count > 0:
                    fault.count -= 1
                return fault
        return None

    def rate_headers(self, *, lowercase: bool) -> tuple[dict[str, str], bool]:
        """Headers for this request and whether it is over the limit."""
        now = time.time()
        period = int(now // self.rate_period)
        with self._lock:
            used = self._rate_counts.get(period, 0) + 1
            self._rate_counts[period] = used
        reset = (period + 1) * self.rate_period
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit - used)),
            "X-RateLimit-Reset": str(reset),
        }
        if lowercase:
            headers = {name.lower(): value for name, value in headers.items()}
        return headers, used > self.rate_limit


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up (timeouts, killed taps) are routine here, not worth a trace."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


def _handler_for(emulator: BrazeEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        braze = emulator

    return Handler


@dataclass(frozen=True)
class _Request:
    """What one data series request asked for."""

    endpoint: Endpoint
    params: dict[str, str]
    series: str
    # (first, last) day, or the message of a 400
    window: tuple[dt.date, dt.date] | str
    hourly: tuple[dt.datetime, int] | None = None  # sessions with unit=hour


class _Handler(BaseHTTPRequestHandler):
    braze: BrazeEmulator
    protocol_version = "HTTP/1.1"
    server_version = "BrazeEmulator/1"
    # Headers and body go out in two writes; with Nagle's algorithm and the client's delayed
    # ACK every keep-alive answer would wait ~40 ms, a delay Braze does not have.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- plumbing ---------------------------------------------------------------------

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers)

    def _log(self, request: _Request | None, status: int, **extra: Any) -> None:
        auth = self.headers.get("Authorization", "")
        self.braze.requests.append(
            LoggedRequest(
                at=time.time(),
                path=urlsplit(self.path).path,
                stream=request.endpoint.stream if request else None,
                params=request.params if request else {},
                app_id=request.series if request else None,
                status=status,
                fault=extra.get("fault"),
                user_agent=self.headers.get("User-Agent"),
                authorized=auth == f"Bearer {self.braze.api_key}",
                first_day=extra.get("first_day"),
                last_day=extra.get("last_day"),
                reset_sent=extra.get("reset_sent"),
            )
        )

    # -- control API ------------------------------------------------------------------

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length) or b"{}")
        if path == "/_emulator/faults":
            self.braze.add_fault(Fault(**payload))
        elif path == "/_emulator/revise":
            day = dt.date.fromisoformat(payload["day"])
            value = int(payload.get("value", payload.get("dau", 0)))
            self.braze.revise(payload["app_id"], day, value, payload.get("stream", "dau"))
        elif path == "/_emulator/clear":
            self.braze.clear_faults()
            self.braze.requests.clear()
        else:
            self._json(404, {"message": "Not Found"})
            return
        self._json(200, {"message": "ok"})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/_emulator/requests":
            self._json(200, [asdict(r) for r in self.braze.requests])
            return
        endpoint = BY_PATH.get(parts.path)
        if endpoint is None:
            self._log(None, 404)
            self._json(404, {"message": "Not Found"})
            return
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = self._parse(endpoint, params)
        time.sleep(self.braze.request_delay())
        window = request.window if isinstance(request.window, tuple) else None
        fault = self.braze.take_fault(endpoint.stream, request.series, window)
        lowercase = self.braze.lowercase_headers or bool(fault and fault.lowercase_headers)
        rate_headers, over_limit = self.braze.rate_headers(lowercase=lowercase)
        if not self._authorized(request, rate_headers):
            return
        if over_limit:
            reset = int(
                next(v for k, v in rate_headers.items() if k.lower() == "x-ratelimit-reset")
            )
            self._log(request, 429, fault="rate_limit", reset_sent=reset)
            self._json(429, {"message": "Rate limit exceeded"}, rate_headers)
            return
        if fault is not None and fault.kind == "stall":
            # Logged on arrival: the client has usually given up by the time it is answered.
            self._log(request, 0, fault="stall")
            time.sleep(fault.seconds)
            self._answer(request, rate_headers, None, log=False)
            return
        if fault is not None and self._apply_fault(fault, request, rate_headers):
            return
        self._answer(request, rate_headers, fault)

    def _authorized(self, request: _Request, headers: dict[str, str]) -> bool:
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {self.braze.api_key}":
            self._log(request, 401)
            self._json(401, {"message": "Invalid API key"}, headers)
            return False
        if request.endpoint.permission not in self.braze.permissions:
            self._log(request, 403)
            self._json(
                403,
                {"message": "This API key does not have permission to access this endpoint"},
                headers,
            )
            return False
        return True

    def _parse(self, endpoint: Endpoint, params: dict[str, str]) -> _Request:
        series = params.get("app_id") or WORKSPACE
        try:
            length = int(params["length"])
        except (KeyError, ValueError):
            return _Request(endpoint, params, series, "length is required and must be an integer")
        if not 1 <= length <= 100:
            return _Request(endpoint, params, series, "length must be between 1 and 100")
        if "ending_at" in params:
            try:
                instant = _parse_instant(params["ending_at"]).astimezone(self.braze.zone)
            except ValueError:
                return _Request(
                    endpoint, params, series, f"Invalid ending_at: {params['ending_at']}"
                )
        else:
            instant = dt.datetime.now(self.braze.zone)
            if self.braze.fixed_today:
                instant = dt.datetime.combine(
                    self.braze.fixed_today, instant.time(), instant.tzinfo
                )
        unit = params.get("unit", "day")
        if endpoint.stream != "sessions" and "unit" in params:
            return _Request(endpoint, params, series, "unit is not a parameter of this endpoint")
        if unit not in {"day", "hour"}:
            return _Request(endpoint, params, series, f"Invalid unit: {unit}")
        last = instant.date()
        window = (last - dt.timedelta(days=length - 1), last)
        if unit == "hour":
            last_hour = instant.replace(minute=0, second=0, microsecond=0)
            return _Request(endpoint, params, series, window, hourly=(last_hour, length))
        return _Request(endpoint, params, series, window)

    def _answer(
        self,
        request: _Request,
        headers: dict[str, str],
        fault: Fault | None,
        *,
        log: bool = True,
    ) -> None:
        if isinstance(request.window, str):
            self._log(request, 400)
            self._json(400, {"message": request.window, "errors": [request.window]}, headers)
            return
        series = request.series
        if series != WORKSPACE and series not in self.braze.apps:
            self._log(request, 400)
            self._json(400, {"message": f"Invalid app_id: {series}"}, headers)
            return
        first, last = request.window
        stream = request.endpoint.stream
        rows: list[Any]
        if request.hourly:
            rows = self.braze.hourly_rows(series, *request.hourly)
        else:
            rows = self.braze.series_rows(series, first, last, stream)
        if fault is not None and fault.kind == "rows":
            rows = fault.transform(rows) if fault.transform else rows + fault.extra_rows
        body = {"message": "success", "data": rows}
        if not log:
            with contextlib.suppress(OSError):  # the client may have hung up
                self._json(200, body, headers)
            return
        self._log(
            request,
            200,
            fault=fault.kind if fault else None,
            first_day=first.isoformat(),
            last_day=last.isoformat(),
        )
        if fault is not None and fault.kind == "gzip":
            self._send(
                200,
                gzip.compress(json.dumps(body).encode()),
                {
                    **headers,
                    "Content-Encoding": "gzip",
                },
            )
            return
        self._json(200, body, headers)

    def _apply_fault(self, fault: Fault, request: _Request, headers: dict[str, str]) -> bool:
        """Misbehave as `fault` says; False when the request should be answered normally."""
        kind = fault.kind
        if kind in {"rows", "gzip"}:
            return False
        reset = int(time.time() + fault.reset_in) if fault.status == 429 else None
        self._log(request, fault.status if kind == "status" else 200, fault=kind, reset_sent=reset)
        if kind == "status":
            if reset is not None:
                key = "x-ratelimit-reset" if fault.lowercase_headers else "X-RateLimit-Reset"
                headers = {n: v for n, v in headers.items() if n.lower() != "x-ratelimit-reset"}
                headers[key] = str(reset)
            self._json(fault.status, {"message": fault.message or "Internal Server Error"}, headers)
        elif kind == "drop":
            self.close_connection = True
        elif kind == "truncate":
            body = json.dumps({"message": "success", "data": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) * 2))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
        elif kind == "invalid_json":
            self._send(200, b'{"message": "success", "data": [', headers)
        elif kind == "message":
            self._json(200, {"message": fault.message or "error", "data": []}, headers)
        elif kind == "no_data":
            self._json(200, {"message": "success"}, headers)
        elif kind == "data_not_list":
            self._json(200, {"message": "success", "data": {"time": "2024-01-01"}}, headers)
        elif kind == "trickle":
            self._trickle(request, headers, fault.seconds)
        elif kind == "lying_encoding":
            body = json.dumps({"message": "success", "data": []}).encode()
            self._send(200, body, {**headers, "Content-Encoding": "gzip"})
        elif kind == "deep_nesting":
            depth = fault.size or 100_000
            self._send(200, b"[" * depth + b"]" * depth, headers)
        elif kind == "oversized":
            self._oversized(headers, fault.size)
        else:
            self._json(500, {"message": f"unknown fault kind {kind}"})
        return True

    def _trickle(self, request: _Request, headers: dict[str, str], seconds: float) -> None:
        """The real answer, one byte at a time: the headers at once, the body dripping."""
        assert isinstance(request.window, tuple)
        rows = self.braze.series_rows(request.series, *request.window, request.endpoint.stream)
        body = json.dumps({"message": "success", "data": rows}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(seconds)
        except OSError:  # the client gave up: exactly what it should do
            return

    def _oversized(self, headers: dict[str, str], size: int) -> None:
        """`size` bytes of valid JSON, sent in 64 KiB chunks without a Content-Length."""
        head = b'{"message": "success", "data": [], "padding": "'
        tail = b'"}'
        padding = max(0, size - len(head) - len(tail))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b"x" * 65536
        try:
            self.wfile.write(head)
            while padding > 0:
                self.wfile.write(chunk[: min(padding, len(chunk))])
                padding -= len(chunk)
            self.wfile.write(tail)
        except OSError:  # refused while reading, as it should be
            return
