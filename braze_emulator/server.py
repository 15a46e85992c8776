"""A Braze REST emulator for the export endpoints the tap reads, on 127.0.0.1.

| path | stream (log) | value field (list: key) | permission | pool |
|---|---|---|---|---|
| `/kpi/dau/data_series` | `dau` | `dau` | `kpi.dau.data_series` | default |
| `/kpi/mau/data_series` | `mau` | `mau` | `kpi.mau.data_series` | default |
| `/kpi/new_users/data_series` | `new_users` | `new_users` | `kpi.new_users.data_series` | default |
| `/kpi/uninstalls/data_series` | `uninstalls` | `uninstalls` | `kpi.uninstalls.data_series` | default |
| `/sessions/data_series` | `sessions`, `sessions_hourly` | `sessions` | `sessions.data_series` | default |
| `/events/list` | `events` | `events`: names | `events.list` | lists |
| `/events/data_series` | `event_counts`, `event_counts_hourly` | `count` | `events.data_series` | default |
| `/purchases/product_list` | `products` | `products`: ids | `purchases.product_list` | lists |
| `/purchases/quantity_series` | `purchase_quantity`, `purchase_quantity_hourly` | `purchase_quantity` | `purchases.quantity_series` | purchases |
| `/purchases/revenue_series` | `purchase_revenue`, `purchase_revenue_hourly` | `revenue` | `purchases.revenue_series` | purchases |
| `/segments/list` | `segments` | `segments`: objects | `segments.list` | default |
| `/segments/data_series` | `segment_sizes` | `size` | `segments.data_series` | default |
| `/campaigns/list` | `campaigns` | `campaigns`: objects | `campaigns.list` | default |
| `/campaigns/details` | `campaign_details` | (the answer is the campaign) | `campaigns.details` | default |
| `/campaigns/data_series` | `campaign_stats` | `data`: rows by channel | `campaigns.data_series` | campaign_series |
| `/canvas/list` | `canvases` | `canvases`: objects | `canvas.list` | default |
| `/canvas/details` | `canvas_details` | (the answer is the Canvas) | `canvas.details` | default |
| `/canvas/data_series` | `canvas_stats` | `data`: `{"name", "stats"}` | `canvas.data_series` | default |
| `POST /users/export/segment` | `users` | `object_prefix`, `url` | `users.export.segment` | default |
| `/email/hard_bounces` | `email_hard_bounces` | `emails`: `{"email", "hard_bounced_at"}` | `email.hard_bounces` | default |
| `/email/unsubscribes` | `email_unsubscribes` | `emails`: `{"email", "unsubscribed_at"}` | `email.unsubscribe` | default |
| `/segments/details` | `segment_details` | (the answer is the segment) | `segments.details` | default |
| `/content_blocks/list` | `content_blocks` | `content_blocks`: objects | `content_blocks.list` | default |
| `/content_blocks/info` | `content_block_info` | (the answer is the block) | `content_blocks.info` | default |
| `/templates/email/list` | `email_templates` | `templates`: objects | `templates.email.list` | default |
| `/templates/email/info` | `email_template_info` | (the answer is the template) | `templates.email.info` | default |

`<stream>_hourly` is how the log names a `unit=hour` request. `revenue` is an amount with
cents (a float rounded to 2 places); a segment is `{"id", "name",
"analytics_tracking_enabled", "tags"}`.

Pools (`X-RateLimit-*` of each answer describe its own pool; a 429 when that pool is over):
default 250,000 per 3600 s (`rate_limit`, `rate_period`), lists 1,000 per 3600 s, purchases
1,000 per 3600 s, campaign_series 50,000 per 60 s (`/campaigns/data_series`);
`pool_limits` and `pool_periods` override the others.

Bearer auth (401 for a wrong key, 403 for a key without the endpoint's permission).
Series: `length` 1..100, `ending_at` an ISO-8601 instant read in the workspace's time zone
(a bare date: the midnight that starts it there, as for `starting_at`) as
`ending_at_reading` says (`clock.READINGS`: "through", the default, ends the series with
the day or hour that holds it, an instant exactly at midnight or on the hour counting for
the one before; "before" ends it with the day or hour before the one that holds it; for
day, hour and Canvas windows alike), refused (400) in a day or hour that has not begun
with `refuse_future_ending_at`; with `answer_shapes="captured"` answers take the shapes
real ones had where they differ from the docs (shapes.py: error bodies, a 401 echoing the
key, `message` after a list, `Z` timestamps, a campaign's and a Canvas' extra fields, a
Canvas' breakdowns left out of the days nothing entered);
`app_id` (none: the workspace; 400 on `/segments/data_series`), `unit` (`day` or `hour`) on
sessions, events and purchases only. `event` (required), `product` (absent: every product
together) and `segment_id` (required) name a dimension; an unknown or deleted one is
refused: events 400 `Event <name> not found`, products 404 `Product <id> not found`,
segments 404 `Segment <id> not found`, and a segment without analytics tracking 400
`Segment <id> does not have analytics tracking enabled`. Lists: `page` from 0 (events 250
a page, products and segments 100, `page_sizes` overrides), a page past the end is empty;
`/segments/list` sorts by id, `sort_direction=desc` reverses.

Campaigns and Canvases (`campaigns`, `canvases`: id -> `Campaign`, `Canvas`; see
messaging.py): lists as Braze documents them, 100 a page (`page_sizes` "campaigns",
"canvases"), sorted by creation time (`sort_direction=desc` reverses), archived ones only
with `include_archived=true`, `last_edit.time[gt]` keeping those edited after an instant; an
item is `{"id", "last_edited", "name", "is_api_campaign", "tags"}` (Canvases: no
`is_api_campaign`). Details and data series need `campaign_id` / `canvas_id` (400
`campaign_id is required`); an unknown, deleted or stale one is a 400 `Campaign <id> not
found` / `Canvas <id> not found`. `/campaigns/data_series`: `length` 1..100, `ending_at`
optional, as for the KPIs. `/canvas/data_series`: `ending_at` required (400 `ending_at is
required`), `length` 1..14 (400 `length must be between 1 and 14`) or `starting_at` (a span
of 1..14 days; not both), `include_variant_breakdown`, `include_step_breakdown` and
`include_deleted_step_data` `true`/`false` (default false). A campaign has rows for the
days from its first send day to its last send day plus `conversion_tail_days`, a Canvas
from its first to its last entry day plus its tail, never after "today", none outside
(`expected_campaign_stats`, `expected_canvas_stats`). Instants (`first_sent`,
`last_entry`, `last_edited`, ...) are written in UTC with an offset, to the second.

Days are bucketed in `workspace_tz`; days after "today" there do not exist yet; days before
a series' first day (the later of its app's and its dimension's) are missing (or zeros,
with `pre_history="zeros"`). With `unit=hour`, `length` counts hours: the UTC hour holding
`ending_at` and the ones before it; an hour exists from the first day's midnight in
`workspace_tz` up to the current hour (a fixed `today`: to the end of that day); `time` is
written as `hourly_time_format` says ("offset", "utc", "naive").

Values are a deterministic function of (stream, dimension, app_id, day or UTC hour; a
campaign's or Canvas': id, variation or step, channel, day, metric), so tests compute what a sync must deliver (`expected`, `expected_series`, `expected_hourly`),
and `revise()` changes a day as Braze does when it revises recent days.

User data (the table's last eight rows; user_data.py says how each is asked and answered):
a segment export (export_jobs.py) is ready `export_delay` seconds after it was asked for;
in URL mode its `url` points to the download host (download.py, `download_url`), an S3-like
server answering 403 until the ZIP is ready, then the ZIP, then 403 again once
`export_expires_after` has passed; in bucket mode (`export_bucket`) the files are written
there. `exports` lists them, `download_requests` the download host's log, `fail_export`
makes one never ready. `expected_hard_bounces`, `expected_unsubscribes` give what a sync of
some days must deliver.

Faults are scriptable, in process (`add_fault`) or over HTTP (`POST /_emulator/faults`):
see `Fault`. Every request is logged (`requests`, or `GET /_emulator/requests`).
"""  # noqa: E501

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from braze_emulator import shapes
from braze_emulator.clock import (
    HOUR,
    HOURLY_TIME_FORMATS,
    READINGS,
    floor_hour,
    hour_text,
    midnight,
    utc_hours,
    utc_key,
)
from braze_emulator.dimensions import Dimensions, Segment
from braze_emulator.download import DownloadLog, DownloadRequest, make_download_server
from braze_emulator.endpoints import (
    ALL_PERMISSIONS,
    BY_PATH,
    BY_STREAM,
    DAU_PATH,
    ENDPOINTS,
    MESSAGING_KINDS,
    STREAMS,
    WORKSPACE,
    Endpoint,
)
from braze_emulator.export_jobs import Export, ExportJobs
from braze_emulator.exports import ContentBlock, EmailTemplate
from braze_emulator.faults import Fault
from braze_emulator.handler import LoggedRequest, make_server
from braze_emulator.messaging import (
    Campaign,
    Canvas,
    Messaging,
    active_range,
    campaign_details,
    campaign_rows,
    canvas_details,
    canvas_rows,
)
from braze_emulator.pools import DEFAULT_POOLS, Quota, RateCounter, check_pools
from braze_emulator.shapes import ANSWER_SHAPES
from braze_emulator.user_data import SUPPRESSION_COLUMNS, SuppressionIndex
from braze_emulator.values import SHAPES, Number, daily_value, hourly_value, value_for

UTC_ZONE = ZoneInfo("UTC")

__all__ = [
    "ALL_PERMISSIONS",
    "BY_PATH",
    "BY_STREAM",
    "DAU_PATH",
    "ENDPOINTS",
    "STREAMS",
    "WORKSPACE",
    "BrazeEmulator",
    "Campaign",
    "Canvas",
    "ContentBlock",
    "DownloadRequest",
    "EmailTemplate",
    "Endpoint",
    "Export",
    "Fault",
    "LoggedRequest",
    "Segment",
    "value_for",
]


class BrazeEmulator:
    """Run with `with BrazeEmulator(...) as braze:`; `braze.url` is the `api_url`.

    `permissions`: what the key may call (None: every endpoint); `has_permission=False`
    is shorthand for a key with no permission at all.
    `events`, `products`: name or id -> first day with data; `segments`: id -> `Segment`;
    `campaigns`: id -> `Campaign`; `canvases`: id -> `Canvas`;
    `deleted`: values still listed whose series requests are refused (see `delete`, `stale`);
    campaign and Canvas ids: refused by their details and data series endpoints.

    User data (user_data.py, export_jobs.py, download.py): `users`: exportable segment id ->
    its profiles (see exports.many_users); `hard_bounces`, `unsubscribes`: (email, aware
    instant) pairs; `content_blocks`, `email_templates`: id -> `ContentBlock`,
    `EmailTemplate`; `suppression_end_inclusive`: whether the suppression lists'
    `end_date` counts its whole day. Exports: ready `export_delay` seconds after the
    request; `export_bucket` None answers a `url` on the download host (`download_url`)
    valid for `export_expires_after` seconds once ready, else (a local folder `Path` or an
    obstore store) writes the files there and answers `"url": null`; `users_per_file`
    profiles per NDJSON member (URL mode) or file (bucket mode). `exports` lists the
    exports made, `download_requests` the requests to the download host.
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
        events: dict[str, dt.date] | None = None,
        products: dict[str, dt.date] | None = None,
        segments: dict[str, Segment] | None = None,
        deleted: Collection[str] = (),
        page_sizes: dict[str, int] | None = None,
        pool_limits: dict[str, int] | None = None,
        pool_periods: dict[str, int] | None = None,
        hourly_time_format: str = "offset",
        campaigns: dict[str, Campaign] | None = None,
        canvases: dict[str, Canvas] | None = None,
        ending_at_reading: str = "through",
        refuse_future_ending_at: bool = False,
        answer_shapes: str = "documented",
        users: dict[str, list[dict[str, Any]]] | None = None,
        hard_bounces: list[tuple[str, dt.datetime]] | None = None,
        unsubscribes: list[tuple[str, dt.datetime]] | None = None,
        content_blocks: dict[str, ContentBlock] | None = None,
        email_templates: dict[str, EmailTemplate] | None = None,
        export_delay: float = 0.5,
        export_bucket: Path | Any | None = None,
        export_expires_after: float = 3600.0,
        users_per_file: int = 5000,
        suppression_end_inclusive: bool = False,
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
        check_pools(pool_limits, pool_periods)
        # The other pools' limits and periods (the default pool's are rate_limit, rate_period)
        others = {name: pool for name, pool in DEFAULT_POOLS.items() if name != "default"}
        self.pool_limits = {name: limit for name, (limit, _) in others.items()}
        self.pool_limits.update(pool_limits or {})
        self.pool_periods = {name: period for name, (_, period) in others.items()}
        self.pool_periods.update(pool_periods or {})
        self.lowercase_headers = lowercase_headers
        if not has_permission:
            permissions = ()
        self.permissions = ALL_PERMISSIONS if permissions is None else frozenset(permissions)
        unknown = self.permissions - ALL_PERMISSIONS
        if unknown:
            msg = f"unknown permissions {sorted(unknown)}; known: {sorted(ALL_PERMISSIONS)}"
            raise ValueError(msg)
        self.pre_history = pre_history
        if hourly_time_format not in HOURLY_TIME_FORMATS:
            msg = f"hourly_time_format must be one of {HOURLY_TIME_FORMATS}"
            raise ValueError(msg)
        self.hourly_time_format = hourly_time_format
        if ending_at_reading not in READINGS:
            msg = f"ending_at_reading must be one of {READINGS}"
            raise ValueError(msg)
        self.ending_at_reading = ending_at_reading
        self.refuse_future_ending_at = refuse_future_ending_at
        if answer_shapes not in ANSWER_SHAPES:
            msg = f"answer_shapes must be one of {ANSWER_SHAPES}"
            raise ValueError(msg)
        self.answer_shapes = answer_shapes
        messaging_ids = set(campaigns or {}) | set(canvases or {})
        self.dimensions = Dimensions(
            events=events or {},
            products=products or {},
            segments=segments or {},
            deleted=[value for value in deleted if value not in messaging_ids],
            page_sizes=page_sizes,
        )
        self.messaging = Messaging(
            campaigns=campaigns or {},
            canvases=canvases or {},
            deleted=[value for value in deleted if value in messaging_ids],
            page_sizes=self.dimensions.page_sizes,
        )
        # (stream, series, day, dimension) -> value; hourly: the UTC hour instead of a day
        self.revisions: dict[tuple[str, str, dt.date, str | None], Number] = {}
        self.hour_revisions: dict[tuple[str, str, dt.datetime, str | None], Number] = {}
        if users_per_file < 1:
            msg = f"users_per_file must be at least 1: {users_per_file}"
            raise ValueError(msg)
        self.users = dict(users or {})
        self.hard_bounces = list(hard_bounces or [])
        self.unsubscribes = list(unsubscribes or [])
        self.content_blocks = dict(content_blocks or {})
        self.email_templates = dict(email_templates or {})
        self.export_delay = export_delay
        self.export_bucket = export_bucket
        self.export_expires_after = export_expires_after
        self.users_per_file = users_per_file
        self.suppression_end_inclusive = suppression_end_inclusive
        self.export_jobs = ExportJobs()
        self.download_log = DownloadLog()
        self._suppression_indexes = {
            stream: SuppressionIndex(column) for stream, column in SUPPRESSION_COLUMNS.items()
        }
        self.faults: list[Fault] = []
        self.requests: list[LoggedRequest] = []
        self._rates = RateCounter()
        self._lock = threading.Lock()
        self._server = make_server(self, port)
        self._downloads = make_download_server(self)
        self._thread: threading.Thread | None = None
        self._download_thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def download_url(self) -> str:
        """The base of the download host's URLs (the export's `url`s point there)."""
        return f"http://127.0.0.1:{self._downloads.server_address[1]}"

    @property
    def download_requests(self) -> list[DownloadRequest]:
        """The download host's log, once every request that arrived is in it (`DownloadLog`)."""
        return self.download_log.settled()

    def start(self) -> BrazeEmulator:
        # A short poll: `stop()` waits for the serving loop to notice, up to one interval.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self._download_thread = threading.Thread(
            target=self._downloads.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._download_thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._downloads.shutdown()
        self._downloads.server_close()
        self.export_jobs.close()

    def __enter__(self) -> BrazeEmulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- dimensions --------------------------------------------------------------------

    @property
    def events(self) -> dict[str, dt.date]:
        return self.dimensions.events

    @property
    def products(self) -> dict[str, dt.date]:
        return self.dimensions.products

    @property
    def segments(self) -> dict[str, Segment]:
        return self.dimensions.segments

    @property
    def campaigns(self) -> dict[str, Campaign]:
        return self.messaging.campaigns

    @property
    def canvases(self) -> dict[str, Canvas]:
        return self.messaging.canvases

    def _check_value(self, value: str) -> None:
        if not (self.dimensions.knows(value) or self.messaging.knows(value)):
            msg = f"not an event, product or segment, nor a campaign or Canvas: {[value]}"
            raise ValueError(msg)

    def delete(self, value: str) -> None:
        """An event, product, segment, campaign or Canvas deleted now: refused by its series
        (and details) endpoints and gone from its list. ValueError if it is none of them."""
        self._check_value(value)
        if self.dimensions.knows(value):
            self.dimensions.delete(value)
        if self.messaging.knows(value):
            self.messaging.delete(value)

    def stale(self, value: str) -> None:
        """Refused by its series (and details) endpoints from now on, but still listed."""
        self._check_value(value)
        if self.dimensions.knows(value):
            self.dimensions.stale(value)
        if self.messaging.knows(value):
            self.messaging.stale(value)

    def listed(self, kind: str, *, include_archived: bool = False) -> list[str]:
        """What a full read of a list ("events", "products", "segments") returns: ids, sorted;
        of "campaigns" or "canvases": ids in the list's order (by creation time), archived
        ones only with `include_archived`."""
        if kind in MESSAGING_KINDS:
            return self.messaging.listed(kind, include_archived=include_archived)
        return self.dimensions.listed(kind)

    # -- data --------------------------------------------------------------------------

    def today(self) -> dt.date:
        return self.fixed_today or dt.datetime.now(self.zone).date()

    def first_day(self, series: str) -> dt.date:
        return self.workspace_first_day if series == WORKSPACE else self.apps[series]

    def series_first_day(
        self, stream: str, series: str = WORKSPACE, dimension: str | None = None
    ) -> dt.date | None:
        """The first day of a series: the later of its app's (or the workspace's) and its
        dimension's; None when it has no data at all (every product, with no product)."""
        start = self.first_day(series)
        kind = BY_STREAM[stream].dimension_kind
        if kind is None:
            if dimension is not None:
                msg = f"stream {stream} has no dimension (got {dimension!r})"
                raise ValueError(msg)
            return start
        dimension_start = self.dimensions.first_day(kind, dimension)
        return None if dimension_start is None else max(start, dimension_start)

    def series_value(
        self, stream: str, day: dt.date, *, app_id: str = WORKSPACE, dimension: str | None = None
    ) -> Number:
        """A series' value on a day, revisions included (first days and today not applied)."""
        revised = self.revisions.get((stream, app_id, day, dimension))
        return daily_value(stream, app_id, day, dimension) if revised is None else revised

    def value(self, series: str, day: dt.date, stream: str = "dau") -> int:
        return int(self.series_value(stream, day, app_id=series))

    def revise(
        self,
        series: str,
        day: dt.date,
        value: Number,
        stream: str = "dau",
        *,
        dimension: str | None = None,
    ) -> None:
        """Braze revises a day: from now on `series`' `stream` (for `dimension`) is `value`."""
        self.revisions[(stream, series, day, dimension)] = value

    def hour_value(
        self,
        stream: str,
        hour_utc: dt.datetime,
        *,
        app_id: str = WORKSPACE,
        dimension: str | None = None,
    ) -> Number:
        hour = floor_hour(hour_utc)
        revised = self.hour_revisions.get((stream, app_id, hour, dimension))
        return hourly_value(stream, app_id, hour, dimension) if revised is None else revised

    def revise_hour(
        self,
        series: str,
        hour_utc: dt.datetime,
        value: Number,
        *,
        stream: str = "sessions",
        dimension: str | None = None,
    ) -> None:
        """Braze revises an hour (the UTC hour holding `hour_utc`) of an hourly series."""
        self.hour_revisions[(stream, series, floor_hour(hour_utc), dimension)] = value

    def _zero(self, stream: str) -> Number:
        return 0.0 if stream in SHAPES and SHAPES[stream].money else 0

    def series_rows(
        self,
        series: str,
        first: dt.date,
        last: dt.date,
        stream: str = "dau",
        *,
        dimension: str | None = None,
    ) -> list[dict[str, Any]]:
        """What Braze answers for [first, last] of a series (refusals not applied)."""
        value_field = BY_STREAM[stream].value_field
        start = self.series_first_day(stream, series, dimension)
        rows: list[dict[str, Any]] = []
        day = first
        while day <= min(last, self.today()):
            if start is not None and day >= start:
                value = self.series_value(stream, day, app_id=series, dimension=dimension)
                rows.append({"time": day.isoformat(), value_field: value})
            elif self.pre_history == "zeros":
                rows.append({"time": day.isoformat(), value_field: self._zero(stream)})
            day += dt.timedelta(days=1)
        return rows

    def is_future(self, instant: dt.datetime, *, hourly: bool = False) -> bool:
        """Whether `instant` is in a day (an hour) that has not begun: after "today", or
        after the current hour (a fixed today: its last hour)."""
        if hourly:
            return floor_hour(instant) >= self._hours_end()
        return instant.astimezone(self.zone).date() > self.today()

    def _hours_end(self) -> dt.datetime:
        """The first UTC hour that does not exist yet."""
        if self.fixed_today:
            return midnight(self.fixed_today + dt.timedelta(days=1), self.zone)
        return floor_hour(dt.datetime.now(dt.timezone.utc)) + HOUR

    def _hourly_points(
        self,
        stream: str,
        series: str,
        dimension: str | None,
        first: dt.datetime,
        last: dt.datetime,
    ) -> list[tuple[dt.datetime, Number]]:
        start_day = self.series_first_day(stream, series, dimension)
        start = None if start_day is None else midnight(start_day, self.zone)
        end = self._hours_end()
        points: list[tuple[dt.datetime, Number]] = []
        for hour in utc_hours(first, last):
            if hour >= end:
                break
            if start is not None and hour >= start:
                value = self.hour_value(stream, hour, app_id=series, dimension=dimension)
                points.append((hour, value))
            elif self.pre_history == "zeros":
                points.append((hour, self._zero(stream)))
        return points

    def hourly_rows(
        self,
        series: str,
        last_hour: dt.datetime,
        hours: int,
        *,
        stream: str = "sessions",
        dimension: str | None = None,
    ) -> list[dict[str, Any]]:
        """`unit=hour`: the `hours` UTC hours ending with the one holding `last_hour`, one
        point each, `time` written as `hourly_time_format` says."""
        last = floor_hour(last_hour)
        first = last - (hours - 1) * HOUR
        value_field = BY_STREAM[stream].value_field
        return [
            {"time": hour_text(hour, self.zone, self.hourly_time_format), value_field: value}
            for hour, value in self._hourly_points(stream, series, dimension, first, last)
        ]

    def expected(
        self, series: str, first: dt.date, last: dt.date, stream: str = "dau"
    ) -> dict[str, int]:
        """{day: value} a correct sync of [first, last] delivers for `series`."""
        return {row["time"]: row[stream] for row in self.series_rows(series, first, last, stream)}

    def _deliverable(self, stream: str, app_id: str, dimension: str | None) -> bool:
        """Checks the arguments of expected_*; False when Braze refuses the series."""
        endpoint = BY_STREAM[stream]
        if endpoint.is_list:
            msg = f"{stream} is a list, not a series"
            raise ValueError(msg)
        if endpoint.is_messaging:
            msg = f"{stream}: see expected_campaign_stats, expected_canvas_stats"
            raise ValueError(msg)
        if not endpoint.app_id and app_id != WORKSPACE:
            msg = f"{stream} has no per-app series"
            raise ValueError(msg)
        if endpoint.dimension_required and dimension is None:
            msg = f"{stream} needs a dimension ({endpoint.dimension})"
            raise ValueError(msg)
        kind = endpoint.dimension_kind
        if kind is None or dimension is None:
            return True
        if dimension not in self.dimensions.of(kind):
            raise KeyError(dimension)
        return self.dimensions.problem(kind, dimension) is None

    def expected_series(
        self,
        stream: str,
        first: dt.date,
        last: dt.date,
        *,
        app_id: str = WORKSPACE,
        dimension: str | None = None,
    ) -> dict[str, Number]:
        """{day: value} a correct sync of [first, last] of any daily series delivers
        (first days, today and revisions applied; {} for a deleted or stale dimension or a
        segment without analytics tracking, which Braze refuses)."""
        if not self._deliverable(stream, app_id, dimension):
            return {}
        value_field = BY_STREAM[stream].value_field
        return {
            row["time"]: row[value_field]
            for row in self.series_rows(app_id, first, last, stream, dimension=dimension)
        }

    def expected_hourly(
        self,
        series: str,
        first_hour_utc: dt.datetime,
        last_hour_utc: dt.datetime,
        *,
        stream: str = "sessions",
        dimension: str | None = None,
    ) -> dict[str, Number]:
        """{"YYYY-MM-DDTHH:00:00Z": value} a correct sync of the UTC hours from the one
        holding `first_hour_utc` to the one holding `last_hour_utc` delivers."""
        if "hour" not in BY_STREAM[stream].units:
            msg = f"{stream} has no hourly series"
            raise ValueError(msg)
        if not self._deliverable(stream, series, dimension):
            return {}
        points = self._hourly_points(stream, series, dimension, first_hour_utc, last_hour_utc)
        return {utc_key(hour): value for hour, value in points}

    # -- campaigns and Canvases ---------------------------------------------------------

    def campaign_details(self, campaign_id: str) -> dict[str, Any]:
        """The answer of `/campaigns/details` (refusals not applied; KeyError: unknown)."""
        return campaign_details(campaign_id, self.campaigns[campaign_id])

    def canvas_details(self, canvas_id: str) -> dict[str, Any]:
        """The answer of `/canvas/details` (refusals not applied; KeyError: unknown)."""
        return canvas_details(canvas_id, self.canvases[canvas_id])

    def active_days(self, kind: str, item_id: str) -> tuple[dt.date, dt.date] | None:
        """The first and last day with stats of a campaign or Canvas ("campaigns",
        "canvases") in the workspace zone, "today" applied; None if it has none (never sent
        or entered, or not yet)."""
        active = active_range(self.messaging.of(kind)[item_id], self.zone)
        if active is None or active[0] > self.today():
            return None
        return active[0], min(active[2], self.today())

    def campaign_stats_rows(
        self, campaign_id: str, first: dt.date, last: dt.date
    ) -> list[dict[str, Any]]:
        """What `/campaigns/data_series` answers for [first, last] (refusals not applied)."""
        rows = campaign_rows(
            campaign_id, self.campaigns[campaign_id], first, last, self.zone, self.today()
        )
        return [shapes.campaign_row(row) for row in rows] if self.captured else rows

    @property
    def captured(self) -> bool:
        """Whether answers take the shapes real ones had (shapes.py), not the docs'."""
        return self.answer_shapes == "captured"

    def canvas_stats_rows(
        self,
        canvas_id: str,
        first: dt.date,
        last: dt.date,
        *,
        include_variant_breakdown: bool = False,
        include_step_breakdown: bool = False,
    ) -> list[dict[str, Any]]:
        """The `stats` of `/canvas/data_series` for [first, last] (refusals not applied)."""
        rows = canvas_rows(
            canvas_id,
            self.canvases[canvas_id],
            first,
            last,
            self.zone,
            self.today(),
            variants=include_variant_breakdown,
            steps=include_step_breakdown,
        )
        return [shapes.canvas_row(row) for row in rows] if self.captured else rows

    def expected_campaign_stats(
        self, campaign_id: str, first: dt.date, last: dt.date
    ) -> list[dict[str, Any]]:
        """The rows a correct sync of [first, last] of a campaign delivers, as Braze answers
        them: the days of its active range, none after today; [] for a deleted or stale one
        (refused); KeyError for an unknown id."""
        if campaign_id not in self.campaigns:
            raise KeyError(campaign_id)
        if self.messaging.refused(campaign_id):
            return []
        return self.campaign_stats_rows(campaign_id, first, last)

    def expected_canvas_stats(
        self,
        canvas_id: str,
        first: dt.date,
        last: dt.date,
        *,
        include_variant_breakdown: bool = False,
        include_step_breakdown: bool = False,
    ) -> list[dict[str, Any]]:
        """The `stats` rows a correct sync of [first, last] of a Canvas delivers, with the
        breakdowns asked for; [] for a deleted or stale one; KeyError for an unknown id."""
        if canvas_id not in self.canvases:
            raise KeyError(canvas_id)
        if self.messaging.refused(canvas_id):
            return []
        return self.canvas_stats_rows(
            canvas_id,
            first,
            last,
            include_variant_breakdown=include_variant_breakdown,
            include_step_breakdown=include_step_breakdown,
        )

    # -- user data: exports, suppression lists ------------------------------------------

    @property
    def exports(self) -> list[Export]:
        """The segment exports made, in the order they were requested."""
        return self.export_jobs.exports

    def fail_export(self, segment_id: str) -> None:
        """The next export of this segment never becomes ready (its URL keeps answering
        403; in bucket mode no file is written); it holds the segment until it is due."""
        self.export_jobs.fail_next(segment_id)

    def wait_for_export(self, export: Export, timeout: float = 10.0) -> bool:
        """Poll until an export is ready; False if it is not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while export.ready_at is None:
            if export.failed or time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def suppression_rows(
        self,
        stream: str,
        start: dt.date | None,
        end: dt.date | None,
        *,
        email: str | None = None,
        descending: bool = True,
    ) -> list[dict[str, str]]:
        """Every row of a suppression list ("email_hard_bounces", "email_unsubscribes") that
        `/email/...` pages through for start_date, end_date (read as
        `suppression_end_inclusive` says), or for one `email` (the dates then ignored)."""
        entries = self.hard_bounces if stream == "email_hard_bounces" else self.unsubscribes
        if email is not None:
            return self._suppression_indexes[stream].rows(
                entries, None, None, email=email, descending=descending
            )
        assert start is not None
        assert end is not None
        last = end + dt.timedelta(days=1) if self.suppression_end_inclusive else end
        return self._suppression_indexes[stream].rows(
            entries, midnight(start, UTC_ZONE), midnight(last, UTC_ZONE), descending=descending
        )

    def _expected_suppressions(
        self, stream: str, first: dt.date, last: dt.date
    ) -> list[dict[str, str]]:
        entries = self.hard_bounces if stream == "email_hard_bounces" else self.unsubscribes
        return self._suppression_indexes[stream].rows(
            entries, midnight(first, UTC_ZONE), midnight(last + dt.timedelta(days=1), UTC_ZONE)
        )

    def expected_hard_bounces(self, first: dt.date, last: dt.date) -> list[dict[str, str]]:
        """The hard bounces whose instant's UTC day is in [first, last], as answered (newest
        first, ties by email): what a correct sync of those days delivers."""
        return self._expected_suppressions("email_hard_bounces", first, last)

    def expected_unsubscribes(self, first: dt.date, last: dt.date) -> list[dict[str, str]]:
        """The unsubscribes whose instant's UTC day is in [first, last], newest first."""
        return self._expected_suppressions("email_unsubscribes", first, last)

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
        """Requests to the data endpoints, lists included (of one stream, if given: the log's
        name, e.g. "sessions_hourly")."""
        return [
            r
            for r in self.requests
            if r.stream is not None and (stream is None or r.stream == stream)
        ]

    def dau_requests(self) -> list[LoggedRequest]:
        return self.data_requests("dau")

    def pool_requests(self, pool: str) -> list[LoggedRequest]:
        """Requests counted in one rate-limit pool."""
        return [r for r in self.requests if r.pool == pool]

    # -- request handling ---------------------------------------------------------------

    def take_fault(
        self,
        stream: str,
        series: str | None,
        window: tuple[dt.date, dt.date] | None,
        *,
        pool: str | None = None,
        dimension: str | None = None,
    ) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if not fault.matches(stream, series, window, pool=pool, dimension=dimension):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.closes_for > 0:
                    now = time.time()
                    if fault.closed_until is None:
                        fault.closed_until = now + fault.closes_for
                    if now < fault.closed_until:
                        return fault
                    continue
                if fault.count == 0:
                    continue
                if fault.count > 0:
                    fault.count -= 1
                return fault
        return None

    def pool_limit(self, pool: str) -> int:
        return self.rate_limit if pool == "default" else self.pool_limits[pool]

    def pool_period(self, pool: str) -> int:
        return self.rate_period if pool == "default" else self.pool_periods[pool]

    def take_quota(self, pool: str = "default") -> Quota:
        """Count one request against `pool`: its headers' values and whether it is over."""
        return self._rates.take(pool, self.pool_limit(pool), self.pool_period(pool), time.time())

    def rate_headers(self, *, lowercase: bool) -> tuple[dict[str, str], bool]:
        """The default pool's headers for this request and whether it is over the limit."""
        quota = self.take_quota("default")
        return quota.headers(lowercase=lowercase), quota.over
