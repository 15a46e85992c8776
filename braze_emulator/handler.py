"""The HTTP side: parsing a request, answering it (or misbehaving), and logging it."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import math
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from braze_emulator import shapes, user_data
from braze_emulator.clock import (
    HOUR,
    last_day_answered,
    last_hour_answered,
    parse_instant,
)
from braze_emulator.endpoints import BY_PATH, HOURLY_SUFFIX, MESSAGING_KINDS, WORKSPACE, Endpoint
from braze_emulator.faults import Fault
from braze_emulator.pools import Quota

if TYPE_CHECKING:
    from braze_emulator.server import BrazeEmulator


@dataclass
class LoggedRequest:
    """One request as the emulator saw it (never the API key itself).

    stream: the endpoint's stream (`<stream>_hourly` with `unit=hour`), None for an unknown
    path; app_id: the series (WORKSPACE without app_id; None for a list); first_day,
    last_day: the window's days in the workspace zone (hourly: the days of its first and
    last hour); reset_sent, remaining: the X-RateLimit-Reset of a 429 and the
    X-RateLimit-Remaining sent; pool: the rate-limit pool counted; dimension: the event
    name, product id or segment id asked for (a campaign or Canvas id: its details or
    data series).
    """

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
    pool: str | None = None
    remaining: int | None = None
    dimension: str | None = None
    #: When the request arrived (`at` is when it was answered, after the latency).
    arrived: float = 0.0


@dataclass(frozen=True)
class ParsedRequest:
    """What one request asked for; `problem` is the message of a 400 about its parameters.

    Campaign and Canvas lists: `include_archived`, `edited_after` (`last_edit.time[gt]`);
    `/canvas/data_series`: `variant_breakdown`, `step_breakdown` (the include_* flags);
    user-data endpoints: `query` (a user_data.Query).
    """

    endpoint: Endpoint
    params: dict[str, str]
    series: str | None = None
    problem: str | None = None
    window: tuple[dt.date, dt.date] | None = None
    hourly: tuple[dt.datetime, int] | None = None  # (last UTC hour, hours)
    dimension: str | None = None
    page: int = 0
    descending: bool = False
    include_archived: bool = False
    edited_after: dt.datetime | None = None
    variant_breakdown: bool = False
    step_breakdown: bool = False
    query: Any = None

    @property
    def stream(self) -> str:
        hourly = "hour" in self.endpoint.units and self.params.get("unit") == "hour"
        return self.endpoint.stream + (HOURLY_SUFFIX if hourly else "")


def _ending_at(
    braze: BrazeEmulator, params: dict[str, str], *, hourly: bool = False
) -> dt.datetime | str:
    """`ending_at` in the workspace zone (absent: now), or the problem with it: with
    `refuse_future_ending_at`, one in a day (an hour, for `unit=hour`) that has not begun."""
    if "ending_at" in params:
        try:
            instant = parse_instant(params["ending_at"], braze.zone).astimezone(braze.zone)
        except ValueError:
            return f"Invalid ending_at: {params['ending_at']}"
        if braze.refuse_future_ending_at and braze.is_future(instant, hourly=hourly):
            return "ending_at cannot be in the future"
        return instant
    instant = dt.datetime.now(braze.zone)
    if braze.fixed_today:
        instant = dt.datetime.combine(braze.fixed_today, instant.timetz())
    return instant


def _boolean(params: dict[str, str], name: str) -> bool | str:
    """A `true`/`false` parameter (absent: false), or the problem with it."""
    value = params.get(name, "false")
    if value.lower() not in {"true", "false"}:
        return f"Invalid {name}: {value}"
    return value.lower() == "true"


def parse(
    braze: BrazeEmulator, endpoint: Endpoint, params: dict[str, str], body: Any = None
) -> ParsedRequest:
    if endpoint.is_user_data:
        parsed = user_data.parse(endpoint, params, body)
        return ParsedRequest(
            endpoint,
            params,
            problem=parsed.problem,
            window=parsed.window,
            dimension=parsed.dimension,
            query=parsed.query,
        )
    if endpoint.is_list:
        return _parse_list(endpoint, params)
    if endpoint.is_messaging:
        return _parse_messaging(braze, endpoint, params)
    series = params.get("app_id") or WORKSPACE
    dimension = (params.get(endpoint.dimension) or None) if endpoint.dimension else None

    def refused(problem: str) -> ParsedRequest:
        return ParsedRequest(endpoint, params, series, problem=problem, dimension=dimension)

    try:
        length = int(params["length"])
    except (KeyError, ValueError):
        return refused("length is required and must be an integer")
    if not 1 <= length <= 100:
        return refused("length must be between 1 and 100")
    unit = params.get("unit", "day")
    instant = _ending_at(braze, params, hourly=unit == "hour")
    if isinstance(instant, str):
        return refused(instant)
    if not endpoint.units and "unit" in params:
        return refused("unit is not a parameter of this endpoint")
    if endpoint.units and unit not in endpoint.units:
        return refused(f"Invalid unit: {unit}")
    if not endpoint.app_id and "app_id" in params:
        return refused("app_id is not a parameter of this endpoint")
    if endpoint.dimension_required and dimension is None:
        return refused(f"{endpoint.dimension} is required")
    if unit == "hour":
        last_hour = last_hour_answered(instant, braze.ending_at_reading)
        first_hour = last_hour - (length - 1) * HOUR
        window = (first_hour.astimezone(braze.zone).date(), last_hour.astimezone(braze.zone).date())
        return ParsedRequest(
            endpoint, params, series, window=window, hourly=(last_hour, length), dimension=dimension
        )
    last = last_day_answered(instant, braze.ending_at_reading)
    window = (last - dt.timedelta(days=length - 1), last)
    return ParsedRequest(endpoint, params, series, window=window, dimension=dimension)


def _parse_list(endpoint: Endpoint, params: dict[str, str]) -> ParsedRequest:
    try:
        page = int(params.get("page", "0"))
    except ValueError:
        page = -1
    if page < 0:
        return ParsedRequest(endpoint, params, problem="page must be a non-negative integer")
    sorted_lists = {"segments", *MESSAGING_KINDS}
    direction = params.get("sort_direction", "asc") if endpoint.key in sorted_lists else "asc"
    if direction not in {"asc", "desc"}:
        return ParsedRequest(endpoint, params, problem=f"Invalid sort_direction: {direction}")
    if endpoint.key not in MESSAGING_KINDS:
        return ParsedRequest(endpoint, params, page=page, descending=direction == "desc")
    archived = _boolean(params, "include_archived")
    if isinstance(archived, str):
        return ParsedRequest(endpoint, params, problem=archived)
    edited_after = None
    if "last_edit.time[gt]" in params:
        try:
            edited_after = parse_instant(params["last_edit.time[gt]"])
        except ValueError:
            problem = f"Invalid last_edit.time[gt]: {params['last_edit.time[gt]']}"
            return ParsedRequest(endpoint, params, problem=problem)
    return ParsedRequest(
        endpoint,
        params,
        page=page,
        descending=direction == "desc",
        include_archived=archived,
        edited_after=edited_after,
    )


CANVAS_MAX_DAYS = 14  # /canvas/data_series: `length` (or the `starting_at` span) at most


def _parse_messaging(
    braze: BrazeEmulator, endpoint: Endpoint, params: dict[str, str]
) -> ParsedRequest:
    """A campaign's or Canvas' details or data series: its id, window and flags."""
    assert endpoint.dimension is not None
    dimension = params.get(endpoint.dimension) or None

    def refused(problem: str) -> ParsedRequest:
        return ParsedRequest(endpoint, params, problem=problem, dimension=dimension)

    for name in ("app_id", "unit"):
        if name in params:
            return refused(f"{name} is not a parameter of this endpoint")
    if dimension is None:
        return refused(f"{endpoint.dimension} is required")
    if endpoint.kind == "details":
        return ParsedRequest(endpoint, params, dimension=dimension)
    canvas = endpoint.kind == "canvas_series"
    flags: dict[str, bool] = {}
    if canvas:
        for name in (
            "include_variant_breakdown",
            "include_step_breakdown",
            "include_deleted_step_data",
        ):
            flag = _boolean(params, name)
            if isinstance(flag, str):
                return refused(flag)
            flags[name] = flag
        if "ending_at" not in params:
            return refused("ending_at is required")
    if canvas and "starting_at" in params:
        if "length" in params:
            return refused("length and starting_at: pass one of them, not both")
        instant = _ending_at(braze, params)
        if isinstance(instant, str):
            return refused(instant)
        try:
            start = parse_instant(params["starting_at"], braze.zone).astimezone(braze.zone).date()
        except ValueError:
            return refused(f"Invalid starting_at: {params['starting_at']}")
        length = (last_day_answered(instant, braze.ending_at_reading) - start).days + 1
        if not 1 <= length <= CANVAS_MAX_DAYS:
            return refused(f"starting_at must be 0 to {CANVAS_MAX_DAYS - 1} days before ending_at")
    else:
        try:
            length = int(params["length"])
        except (KeyError, ValueError):
            return refused("length is required and must be an integer")
        maximum = CANVAS_MAX_DAYS if canvas else 100
        if not 1 <= length <= maximum:
            return refused(f"length must be between 1 and {maximum}")
        instant = _ending_at(braze, params)
        if isinstance(instant, str):
            return refused(instant)
    last = last_day_answered(instant, braze.ending_at_reading)
    return ParsedRequest(
        endpoint,
        params,
        window=(last - dt.timedelta(days=length - 1), last),
        dimension=dimension,
        variant_breakdown=flags.get("include_variant_breakdown", False),
        step_breakdown=flags.get("include_step_breakdown", False),
    )


def _with_fault_rows(body: dict[str, Any], fault: Fault, endpoint: Endpoint) -> dict[str, Any]:
    """A "rows" fault's answer: its rows (a Canvas' `data.stats`; details: a one-item list
    of the answer, whose first item, if any, answers) transformed or extended."""

    def changed(rows: list[dict[str, Any]]) -> list[Any]:
        return fault.transform(rows) if fault.transform else rows + fault.extra_rows

    if endpoint.answers_one_object:
        answers = changed([body])
        return answers[0] if answers else {"message": "success"}
    if endpoint.kind == "canvas_series":
        body["data"]["stats"] = changed(body["data"]["stats"])
        return body
    body[endpoint.key] = changed(body[endpoint.key])
    return body


class QuietServer(ThreadingHTTPServer):
    """Clients that hang up (timeouts, killed taps) are routine here, not worth a trace."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


def make_server(emulator: BrazeEmulator, port: int) -> QuietServer:
    class BoundHandler(Handler):
        braze = emulator

    return QuietServer(("127.0.0.1", port), BoundHandler)


class Handler(BaseHTTPRequestHandler):
    braze: BrazeEmulator
    protocol_version = "HTTP/1.1"
    server_version = "BrazeEmulator/1"
    # Headers and body go out in two writes; with Nagle's algorithm and the client's delayed
    # ACK every keep-alive answer would wait ~40 ms, a delay Braze does not have.
    disable_nagle_algorithm = True
    _quota: Quota | None = None
    _arrived: float = 0.0

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

    def _log(self, request: ParsedRequest | None, status: int, **extra: Any) -> None:
        auth = self.headers.get("Authorization", "")
        quota = self._quota if request else None
        window = request.window if request and extra.get("window") else None
        self.braze.requests.append(
            LoggedRequest(
                at=time.time(),
                path=urlsplit(self.path).path,
                stream=request.stream if request else None,
                params=request.params if request else {},
                app_id=request.series if request else None,
                status=status,
                fault=extra.get("fault"),
                user_agent=self.headers.get("User-Agent"),
                authorized=auth == f"Bearer {self.braze.api_key}",
                first_day=window[0].isoformat() if window else None,
                last_day=window[1].isoformat() if window else None,
                reset_sent=extra.get("reset_sent"),
                pool=quota.pool if quota else None,
                remaining=extra.get("remaining", quota.remaining if quota else None),
                dimension=request.dimension if request else None,
                arrived=self._arrived,
            )
        )

    # -- control API ------------------------------------------------------------------

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        endpoint = BY_PATH.get(path)
        if endpoint is not None and endpoint.method == "POST":
            self._arrived = time.time()
            self._quota = None
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None  # refused by the endpoint's parser, like any non-object body
            self._data(endpoint, user_data.body_params(body), body)
            return
        payload = json.loads(raw or b"{}")
        try:
            if path == "/_emulator/faults":
                self.braze.add_fault(Fault(**payload))
            elif path == "/_emulator/revise":
                day = dt.date.fromisoformat(payload["day"])
                value = payload.get("value", payload.get("dau", 0))
                if not isinstance(value, int | float):
                    value = float(value) if "." in str(value) else int(value)
                self.braze.revise(
                    payload.get("app_id", WORKSPACE),
                    day,
                    value,
                    payload.get("stream", "dau"),
                    dimension=payload.get("dimension"),
                )
            elif path == "/_emulator/delete":
                self.braze.delete(payload["value"])
            elif path == "/_emulator/stale":
                self.braze.stale(payload["value"])
            elif path == "/_emulator/clear":
                self.braze.clear_faults()
                self.braze.requests.clear()
            else:
                self._json(404, {"message": "Not Found"})
                return
        except (KeyError, TypeError, ValueError) as error:
            self._json(400, {"message": f"bad control request: {error}"})
            return
        self._json(200, {"message": "ok"})

    # -- data API ---------------------------------------------------------------------

    def do_GET(self) -> None:
        self._arrived = time.time()
        parts = urlsplit(self.path)
        self._quota = None
        if parts.path == "/_emulator/requests":
            self._json(200, [asdict(r) for r in self.braze.requests])
            return
        endpoint = BY_PATH.get(parts.path)
        if endpoint is None:
            self._log(None, 404)
            self._json(404, {"message": "Not Found"})
            return
        if endpoint.method != "GET":
            self._log(None, 405)
            self._json(405, {"message": "Method Not Allowed"}, {"Allow": endpoint.method})
            return
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self._data(endpoint, params)

    def _data(self, endpoint: Endpoint, params: dict[str, str], body: Any = None) -> None:
        """Answer a data endpoint: parameters (a POST's JSON body: `body`, and its fields as
        `params` for the log), latency, faults, pool, auth, then the answer."""
        request = parse(self.braze, endpoint, params, body)
        time.sleep(self.braze.request_delay())
        fault = self.braze.take_fault(
            request.stream,
            request.series,
            request.window,
            pool=endpoint.pool,
            dimension=request.dimension,
        )
        lowercase = self.braze.lowercase_headers or bool(fault and fault.lowercase_headers)
        self._quota = quota = self.braze.take_quota(endpoint.pool)
        headers = quota.headers(lowercase=lowercase)
        if not self._authorized(request, headers):
            return
        if quota.over:
            self._log(request, 429, fault="rate_limit", reset_sent=quota.reset)
            self._json(429, {"message": "Rate limit exceeded"}, headers)
            return
        if fault is not None and fault.kind == "stall":
            # Logged on arrival: the client has usually given up by the time it is answered.
            self._log(request, 0, fault="stall")
            time.sleep(fault.seconds)
            self._answer(request, headers, None, log=False)
            return
        if fault is not None and self._apply_fault(fault, request, headers):
            return
        self._answer(request, headers, fault)

    def _authorized(self, request: ParsedRequest, headers: dict[str, str]) -> bool:
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {self.braze.api_key}":
            self._log(request, 401)
            if self.braze.captured:
                sent = auth.removeprefix("Bearer ")
                empty = shapes.empty_rate_limit_headers(headers)
                self._json(401, shapes.unauthorized(sent), empty)
            else:
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

    def _refusal(self, request: ParsedRequest) -> tuple[int, dict[str, Any]] | None:
        """A 4xx for a request Braze would not answer with data, or None."""
        if request.problem is not None:
            if self.braze.captured:
                parameter = request.problem.split()[0]
                if parameter not in request.params:
                    return 400, shapes.error_body(request.problem)
                value = request.params[parameter]
                return 400, shapes.error_body(request.problem, parameter, value)
            return 400, {"message": request.problem, "errors": [request.problem]}
        endpoint = request.endpoint
        if endpoint.is_user_data:
            refused = user_data.refusal(self.braze, endpoint, request.query)
            return None if refused is None else (refused[0], {"message": refused[1]})
        if endpoint.is_list:
            return None
        if endpoint.is_messaging:
            assert endpoint.dimension_kind is not None
            problem = self.braze.messaging.problem(endpoint.dimension_kind, request.dimension)
            return None if problem is None else (problem[0], {"message": problem[1]})
        series = request.series
        if series != WORKSPACE and series not in self.braze.apps:
            return 400, {"message": f"Invalid app_id: {series}"}
        if endpoint.dimension_kind is not None:
            problem = self.braze.dimensions.problem(endpoint.dimension_kind, request.dimension)
            if problem is not None:
                return problem[0], {"message": problem[1]}
        return None

    def _payload(self, request: ParsedRequest) -> dict[str, Any]:
        """The body of the real answer to a request `_refusal` lets through (user_data.Refused
        if it turns out to be refused after all)."""
        endpoint = request.endpoint
        if endpoint.is_user_data:
            return user_data.payload(self.braze, endpoint, request.query)
        if endpoint.is_list and endpoint.key in MESSAGING_KINDS:
            objects = self.braze.messaging.page(
                endpoint.key,
                request.page,
                include_archived=request.include_archived,
                descending=request.descending,
                edited_after=request.edited_after,
            )
            if self.braze.captured:
                objects = [shapes.zulu(item, "last_edited") for item in objects]
            return {"message": "success", endpoint.key: objects}
        if endpoint.is_list:
            items = self.braze.dimensions.page(
                endpoint.key, request.page, descending=request.descending
            )
            body = {"message": "success", endpoint.key: items}
            return shapes.message_last(body) if self.braze.captured else body
        if endpoint.is_messaging:
            return self._messaging_payload(request)
        assert request.series is not None
        if request.hourly:
            rows = self.braze.hourly_rows(
                request.series,
                *request.hourly,
                stream=endpoint.stream,
                dimension=request.dimension,
            )
        else:
            assert request.window is not None
            rows = self.braze.series_rows(
                request.series, *request.window, endpoint.stream, dimension=request.dimension
            )
        return {"message": "success", "data": rows}

    def _messaging_payload(self, request: ParsedRequest) -> dict[str, Any]:
        """A campaign's or Canvas' details or data series."""
        endpoint, item_id = request.endpoint, request.dimension
        assert item_id is not None
        campaign = endpoint.dimension_kind == "campaigns"
        if endpoint.kind == "details":
            if campaign:
                return self.braze.campaign_details(item_id)
            return self.braze.canvas_details(item_id)
        assert request.window is not None
        if campaign:
            rows = self.braze.campaign_stats_rows(item_id, *request.window)
            return {"message": "success", "data": rows}
        stats = self.braze.canvas_stats_rows(
            item_id,
            *request.window,
            include_variant_breakdown=request.variant_breakdown,
            include_step_breakdown=request.step_breakdown,
        )
        name = self.braze.canvases[item_id].name
        return {"message": "success", "data": {"name": name, "stats": stats}}

    def _answer(
        self,
        request: ParsedRequest,
        headers: dict[str, str],
        fault: Fault | None,
        *,
        log: bool = True,
    ) -> None:
        refusal = self._refusal(request)
        if refusal is None:
            try:
                body = self._payload(request)
            except user_data.Refused as refused:
                refusal = (refused.status, refused.body)
        if refusal is not None:
            if log:
                # a 429 here is a busy segment export: the pool's own reset, nothing else
                reset = self._quota.reset if refusal[0] == 429 and self._quota else None
                self._log(request, refusal[0], reset_sent=reset)
            with contextlib.suppress(OSError):
                self._json(refusal[0], refusal[1], headers)
            return
        if fault is not None and fault.kind == "rows":
            body = _with_fault_rows(body, fault, request.endpoint)
        if not log:
            with contextlib.suppress(OSError):  # the client may have hung up
                self._json(200, body, headers)
            return
        self._log(request, 200, fault=fault.kind if fault else None, window=True)
        if fault is not None and fault.kind == "gzip":
            self._send(
                200,
                gzip.compress(json.dumps(body).encode()),
                {**headers, "Content-Encoding": "gzip"},
            )
            return
        self._json(200, body, headers)

    def _apply_fault(self, fault: Fault, request: ParsedRequest, headers: dict[str, str]) -> bool:
        """Misbehave as `fault` says; False when the request should be answered normally."""
        kind = fault.kind
        key = request.endpoint.key
        if kind in {"rows", "gzip"}:
            return False
        if kind == "trickle" and self._refusal(request) is not None:
            return False  # nothing real to drip: answer the refusal
        reset = None
        if fault.status == 429:
            closed = fault.closed_until
            reset = math.ceil(closed) if closed else int(time.time() + fault.reset_in)
        status = {"status": fault.status, "redirect": fault.redirect_status}.get(kind, 200)
        self._log(request, status, fault=kind, reset_sent=reset)
        if kind == "status":
            if reset is not None:
                name = "x-ratelimit-reset" if fault.lowercase_headers else "X-RateLimit-Reset"
                headers = {n: v for n, v in headers.items() if n.lower() != "x-ratelimit-reset"}
                headers[name] = str(reset)
            self._json(fault.status, {"message": fault.message or "Internal Server Error"}, headers)
        elif kind == "redirect":
            location = fault.location or f"https://rest.elsewhere.example{self.path}"
            self._json(status, {"message": "Found"}, {**headers, "Location": location})
        elif kind == "drop":
            self.close_connection = True
        elif kind == "truncate":
            body = json.dumps({"message": "success", key: []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) * 2))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
        elif kind == "invalid_json":
            self._send(200, b'{"message": "success", "' + key.encode() + b'": [', headers)
        elif kind == "message":
            self._json(200, {"message": fault.message or "error", key: []}, headers)
        elif kind == "no_data":
            self._json(200, {"message": "success"}, headers)
        elif kind == "data_not_list":
            self._json(200, {"message": "success", key: {"time": "2024-01-01"}}, headers)
        elif kind == "trickle":
            self._trickle(request, headers, fault.seconds)
        elif kind == "lying_encoding":
            body = json.dumps({"message": "success", key: []}).encode()
            self._send(200, body, {**headers, "Content-Encoding": "gzip"})
        elif kind == "deep_nesting":
            depth = fault.size or 100_000
            self._send(200, b"[" * depth + b"]" * depth, headers)
        elif kind == "oversized":
            self._oversized(headers, fault.size, key)
        else:
            self._json(500, {"message": f"unknown fault kind {kind}"})
        return True

    def _trickle(self, request: ParsedRequest, headers: dict[str, str], seconds: float) -> None:
        """The real answer, one byte at a time: the headers at once, the body dripping."""
        body = json.dumps(self._payload(request)).encode()
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

    def _oversized(self, headers: dict[str, str], size: int, key: str) -> None:
        """`size` bytes of valid JSON, sent in 64 KiB chunks without a Content-Length."""
        head = b'{"message": "success", "' + key.encode() + b'": [], "padding": "'
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
