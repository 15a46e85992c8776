"""A Braze REST emulator for `GET /kpi/dau/data_series`, on 127.0.0.1.

It behaves like the endpoint as documented (see ../shared/braze-api.md in the workplace):
Bearer auth (401 for a wrong key, 403 without the permission), `length` 1..100,
`ending_at` as an ISO-8601 instant read in the workspace's time zone, `app_id`, rate-limit
headers on every answer and 429 past the limit. Days are bucketed in `workspace_tz`; days
after "today" there do not exist yet; days before a series' first day are missing (or zeros,
with `pre_history="zeros"`).

Values are a deterministic function of (app_id, day), so tests compute what a sync must
deliver, and `revise()` changes a day as Braze does when it revises recent days.

Faults are scriptable, in process (`add_fault`) or over HTTP (`POST /_emulator/faults`):
see `Fault`. Every request is logged (`requests`, or `GET /_emulator/requests`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

DAU_PATH = "/kpi/dau/data_series"
WORKSPACE = "_workspace"  # how the log names the workspace-wide series (no app_id sent)


@dataclass
class Fault:
    """A misbehaviour applied to matching requests.

    kind: "status" (answer `status` with `message`; a 429 carries X-RateLimit-Reset
    `reset_in` seconds ahead), "stall" (sleep `seconds` before answering; logged with
    status 0 on arrival), "drop" (close
    the connection without answering), "truncate" (announce the full body, send half),
    "invalid_json", "message" (a 200 whose message is `message`), "no_data" (a 200 without
    `data`), "data_not_list", "rows" (a 200 whose rows are `transform(rows)`, or the real
    rows plus `extra_rows`).
    app_id: only requests for this series (WORKSPACE for the total); None for any.
    covers: only requests whose window contains this day (YYYY-MM-DD); None for any.
    skip: matching requests let through untouched before the fault starts.
    count: matching requests it then applies to; -1 for every one from then on.
    """

    kind: str
    status: int = 500
    message: str = ""
    seconds: float = 0.0
    reset_in: float = 2.0
    lowercase_headers: bool = False
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
    params: dict[str, str]
    app_id: str | None
    status: int
    fault: str | None
    user_agent: str | None
    authorized: bool
    first_day: str | None = None
    last_day: str | None = None
    reset_sent: int | None = None


def value_for(app_id: str, day: dt.date) -> int:
    """The emulator's deterministic DAU for a series and day."""
    return 1000 + zlib.crc32(f"{app_id}|{day.isoformat()}".encode()) % 9000


def _parse_instant(text: str) -> dt.datetime:
    """ISO-8601 instant; 'Z' accepted on every Python; a bare date is midnight UTC."""
    if len(text) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.timezone.utc)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


class BrazeEmulator:
    """Run with `with BrazeEmulator(...) as braze:`; `braze.url` is the `api_url`."""

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
        self.has_permission = has_permission
        self.pre_history = pre_history
        self.revisions: dict[tuple[str, dt.date], int] = {}
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

    def value(self, series: str, day: dt.date) -> int:
        return self.revisions.get((series, day), value_for(series, day))

    def revise(self, series: str, day: dt.date, dau: int) -> None:
        self.revisions[(series, day)] = dau

    def series_rows(self, series: str, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        """What Braze answers for [first, last] of a series."""
        rows = []
        day = first
        start = self.first_day(series)
        while day <= min(last, self.today()):
            if day >= start:
                rows.append({"time": day.isoformat(), "dau": self.value(series, day)})
            elif self.pre_history == "zeros":
                rows.append({"time": day.isoformat(), "dau": 0})
            day += dt.timedelta(days=1)
        return rows

    def expected(self, series: str, first: dt.date, last: dt.date) -> dict[str, int]:
        """{day: dau} a correct sync of [first, last] delivers for `series`."""
        return {row["time"]: row["dau"] for row in self.series_rows(series, first, last)}

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

    def dau_requests(self) -> list[LoggedRequest]:
        return [r for r in self.requests if r.path == DAU_PATH]

    # -- request handling ---------------------------------------------------------------

    def take_fault(
        self, series: str | None, window: tuple[dt.date, dt.date] | None
    ) -> Fault | None:
        with self._lock:
            for fault in self.faults:
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

    def _log(self, params: dict[str, str], series: str | None, status: int, **extra: Any) -> None:
        auth = self.headers.get("Authorization", "")
        self.braze.requests.append(
            LoggedRequest(
                at=time.time(),
                path=urlsplit(self.path).path,
                params=params,
                app_id=series,
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
            self.braze.revise(payload["app_id"], day, int(payload["dau"]))
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
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        series = params.get("app_id") or WORKSPACE
        if parts.path != DAU_PATH:
            self._log(params, None, 404)
            self._json(404, {"message": "Not Found"})
            return
        time.sleep(self.braze.request_delay())
        window = self._window(params)
        fault = self.braze.take_fault(series, window if isinstance(window, tuple) else None)
        lowercase = self.braze.lowercase_headers or bool(fault and fault.lowercase_headers)
        rate_headers, over_limit = self.braze.rate_headers(lowercase=lowercase)
        if not self._authorized(params, series, rate_headers):
            return
        if over_limit:
            reset = int(
                next(v for k, v in rate_headers.items() if k.lower() == "x-ratelimit-reset")
            )
            self._log(params, series, 429, fault="rate_limit", reset_sent=reset)
            self._json(429, {"message": "Rate limit exceeded"}, rate_headers)
            return
        if fault is not None and fault.kind == "stall":
            # Logged on arrival: the client has usually given up by the time it is answered.
            self._log(params, series, 0, fault="stall")
            time.sleep(fault.seconds)
            self._answer(params, series, window, rate_headers, None, log=False)
            return
        if fault is not None and self._apply_fault(fault, params, series, rate_headers):
            return
        self._answer(params, series, window, rate_headers, fault)

    def _authorized(self, params: dict[str, str], series: str, headers: dict[str, str]) -> bool:
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {self.braze.api_key}":
            self._log(params, series, 401)
            self._json(401, {"message": "Invalid API key"}, headers)
            return False
        if not self.braze.has_permission:
            self._log(params, series, 403)
            self._json(
                403,
                {"message": "This API key does not have permission to access this endpoint"},
                headers,
            )
            return False
        return True

    def _window(self, params: dict[str, str]) -> tuple[dt.date, dt.date] | str:
        """(first, last) day asked for, or the 400 message."""
        try:
            length = int(params["length"])
        except (KeyError, ValueError):
            return "length is required and must be an integer"
        if not 1 <= length <= 100:
            return "length must be between 1 and 100"
        if "ending_at" in params:
            try:
                instant = _parse_instant(params["ending_at"])
            except ValueError:
                return f"Invalid ending_at: {params['ending_at']}"
            last = instant.astimezone(self.braze.zone).date()
        else:
            last = self.braze.today()
        return last - dt.timedelta(days=length - 1), last

    def _answer(
        self,
        params: dict[str, str],
        series: str,
        window: tuple[dt.date, dt.date] | str,
        headers: dict[str, str],
        fault: Fault | None,
        *,
        log: bool = True,
    ) -> None:
        if isinstance(window, str):
            self._log(params, series, 400)
            self._json(400, {"message": window, "errors": [window]}, headers)
            return
        if series != WORKSPACE and series not in self.braze.apps:
            self._log(params, series, 400)
            self._json(400, {"message": f"Invalid app_id: {series}"}, headers)
            return
        first, last = window
        rows: list[Any] = self.braze.series_rows(series, first, last)
        if fault is not None and fault.kind == "rows":
            rows = fault.transform(rows) if fault.transform else rows + fault.extra_rows
        if not log:
            with contextlib.suppress(OSError):  # the client may have hung up
                self._json(200, {"message": "success", "data": rows}, headers)
            return
        self._log(
            params,
            series,
            200,
            fault=fault.kind if fault else None,
            first_day=first.isoformat(),
            last_day=last.isoformat(),
        )
        self._json(200, {"message": "success", "data": rows}, headers)

    def _apply_fault(
        self, fault: Fault, params: dict[str, str], series: str, headers: dict[str, str]
    ) -> bool:
        """Misbehave as `fault` says; False when the request should be answered normally."""
        kind = fault.kind
        if kind == "rows":
            return False
        reset = int(time.time() + fault.reset_in) if fault.status == 429 else None
        self._log(
            params, series, fault.status if kind == "status" else 200, fault=kind, reset_sent=reset
        )
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
        else:
            self._json(500, {"message": f"unknown fault kind {kind}"})
        return True
