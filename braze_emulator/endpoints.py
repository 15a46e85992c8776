"""The endpoints the emulator serves: path, stream name, permission, pool and parameters."""

from __future__ import annotations

from dataclasses import dataclass

WORKSPACE = "_workspace"  # how the log names the workspace-wide series (no app_id sent)
#: The kinds of messaging object: campaigns and Canvases (their list keys as well).
MESSAGING_KINDS = ("campaigns", "canvases")
#: The kinds of the user-data endpoints (user_data.py parses and answers them): the segment
#: export, the email suppression lists, lists paged by offset and filtered by modification
#: time (Content Blocks, email templates), and one object by id (segment details, a Content
#: Block's or an email template's info).
USER_DATA_KINDS = ("export", "suppressions", "catalog", "info")


@dataclass(frozen=True)
class Endpoint:
    """One endpoint. `stream` names it in the request log (hourly series: `<stream>_hourly`).

    base, spread: a KPI series' values are base + something below `spread`.
    kind: "series" (rows under `data`), "list" (names or objects under `key`), "details"
    (one object: a campaign's or a Canvas'), "campaign_series" (rows under `data`, by
    channel) or "canvas_series" (`data` an object: the Canvas' name and its `stats` rows).
    field_name: the value field of a series row (empty: the stream's name).
    dimension: the query parameter naming the event, product or segment asked for;
    dimension_kind: which dimension it names ("events", "products", "segments"; "campaigns",
    "canvases" for the messaging endpoints).
    units: the values `unit` accepts (empty: `unit` is not a parameter of this endpoint).
    app_id: whether `app_id` is a parameter of this endpoint.
    User-data endpoints (kinds in USER_DATA_KINDS) name their id parameter in `dimension`
    and leave `dimension_kind` None; `method` is "POST" for the segment export.
    """

    stream: str
    path: str
    permission: str
    base: int = 0
    spread: int = 0
    pool: str = "default"
    kind: str = "series"
    key: str = "data"
    field_name: str = ""
    dimension: str | None = None
    dimension_kind: str | None = None
    dimension_required: bool = False
    units: tuple[str, ...] = ()
    app_id: bool = True
    method: str = "GET"

    @property
    def value_field(self) -> str:
        return self.field_name or self.stream

    @property
    def is_list(self) -> bool:
        return self.kind == "list"

    @property
    def is_messaging(self) -> bool:
        """A campaign or Canvas endpoint (their lists, details and data series)."""
        return self.dimension_kind in MESSAGING_KINDS or self.key in MESSAGING_KINDS

    @property
    def is_user_data(self) -> bool:
        """The segment export, suppression lists, segment details, Content Blocks, templates."""
        return self.kind in USER_DATA_KINDS

    @property
    def answers_one_object(self) -> bool:
        """Whether the answer is one object (not rows under `key`): a "rows" fault sees it as
        a one-item list."""
        return self.kind in {"details", "info", "export"}


KPI_ENDPOINTS = (
    Endpoint("dau", "/kpi/dau/data_series", "kpi.dau.data_series", 1000, 9000),
    Endpoint("mau", "/kpi/mau/data_series", "kpi.mau.data_series", 20_000, 30_000),
    Endpoint("new_users", "/kpi/new_users/data_series", "kpi.new_users.data_series", 20, 500),
    Endpoint("uninstalls", "/kpi/uninstalls/data_series", "kpi.uninstalls.data_series", 5, 200),
    Endpoint(
        "sessions",
        "/sessions/data_series",
        "sessions.data_series",
        2000,
        40_000,
        units=("day", "hour"),
    ),
)
ANALYTICS_ENDPOINTS = (
    Endpoint("events", "/events/list", "events.list", pool="lists", kind="list", key="events"),
    Endpoint(
        "event_counts",
        "/events/data_series",
        "events.data_series",
        field_name="count",
        dimension="event",
        dimension_kind="events",
        dimension_required=True,
        units=("day", "hour"),
    ),
    Endpoint(
        "products",
        "/purchases/product_list",
        "purchases.product_list",
        pool="lists",
        kind="list",
        key="products",
    ),
    Endpoint(
        "purchase_quantity",
        "/purchases/quantity_series",
        "purchases.quantity_series",
        pool="purchases",
        field_name="purchase_quantity",
        dimension="product",
        dimension_kind="products",
        units=("day", "hour"),
    ),
    Endpoint(
        "purchase_revenue",
        "/purchases/revenue_series",
        "purchases.revenue_series",
        pool="purchases",
        field_name="revenue",
        dimension="product",
        dimension_kind="products",
        units=("day", "hour"),
    ),
    Endpoint("segments", "/segments/list", "segments.list", kind="list", key="segments"),
    Endpoint(
        "segment_sizes",
        "/segments/data_series",
        "segments.data_series",
        field_name="size",
        dimension="segment_id",
        dimension_kind="segments",
        dimension_required=True,
        app_id=False,
    ),
)
MESSAGING_ENDPOINTS = (
    Endpoint("campaigns", "/campaigns/list", "campaigns.list", kind="list", key="campaigns"),
    Endpoint(
        "campaign_details",
        "/campaigns/details",
        "campaigns.details",
        kind="details",
        dimension="campaign_id",
        dimension_kind="campaigns",
        dimension_required=True,
        app_id=False,
    ),
    Endpoint(
        "campaign_stats",
        "/campaigns/data_series",
        "campaigns.data_series",
        pool="campaign_series",
        kind="campaign_series",
        dimension="campaign_id",
        dimension_kind="campaigns",
        dimension_required=True,
        app_id=False,
    ),
    Endpoint("canvases", "/canvas/list", "canvas.list", kind="list", key="canvases"),
    Endpoint(
        "canvas_details",
        "/canvas/details",
        "canvas.details",
        kind="details",
        dimension="canvas_id",
        dimension_kind="canvases",
        dimension_required=True,
        app_id=False,
    ),
    Endpoint(
        "canvas_stats",
        "/canvas/data_series",
        "canvas.data_series",
        kind="canvas_series",
        dimension="canvas_id",
        dimension_kind="canvases",
        dimension_required=True,
        app_id=False,
    ),
)
USER_DATA_ENDPOINTS = (
    Endpoint(
        "users",
        "/users/export/segment",
        "users.export.segment",
        kind="export",
        key="object_prefix",
        dimension="segment_id",
        app_id=False,
        method="POST",
    ),
    Endpoint(
        "email_hard_bounces",
        "/email/hard_bounces",
        "email.hard_bounces",
        kind="suppressions",
        key="emails",
        app_id=False,
    ),
    Endpoint(
        "email_unsubscribes",
        "/email/unsubscribes",
        "email.unsubscribe",
        kind="suppressions",
        key="emails",
        app_id=False,
    ),
    Endpoint(
        "segment_details",
        "/segments/details",
        "segments.details",
        kind="info",
        key="name",
        dimension="segment_id",
        app_id=False,
    ),
    Endpoint(
        "content_blocks",
        "/content_blocks/list",
        "content_blocks.list",
        kind="catalog",
        key="content_blocks",
        app_id=False,
    ),
    Endpoint(
        "content_block_info",
        "/content_blocks/info",
        "content_blocks.info",
        kind="info",
        key="content",
        dimension="content_block_id",
        app_id=False,
    ),
    Endpoint(
        "email_templates",
        "/templates/email/list",
        "templates.email.list",
        kind="catalog",
        key="templates",
        app_id=False,
    ),
    Endpoint(
        "email_template_info",
        "/templates/email/info",
        "templates.email.info",
        kind="info",
        key="body",
        dimension="email_template_id",
        app_id=False,
    ),
)
ENDPOINTS = KPI_ENDPOINTS + ANALYTICS_ENDPOINTS + MESSAGING_ENDPOINTS + USER_DATA_ENDPOINTS
BY_PATH = {e.path: e for e in ENDPOINTS}
BY_STREAM = {e.stream: e for e in ENDPOINTS}
#: The five KPI streams (the tap's original ones), in their historical order.
STREAMS = tuple(e.stream for e in KPI_ENDPOINTS)
#: Every stream of a daily series, KPI and analytics (not the campaigns' and Canvases').
SERIES_STREAMS = tuple(e.stream for e in ENDPOINTS if e.kind == "series")
#: The list endpoints' streams (campaigns and canvases included).
LIST_STREAMS = tuple(e.stream for e in ENDPOINTS if e.is_list)
#: The campaign and Canvas endpoints' streams: lists, details and data series.
MESSAGING_STREAMS = tuple(e.stream for e in MESSAGING_ENDPOINTS)
#: The user-data endpoints' streams: export, suppression lists, details, blocks, templates.
USER_DATA_STREAMS = tuple(e.stream for e in USER_DATA_ENDPOINTS)
ALL_PERMISSIONS = frozenset(e.permission for e in ENDPOINTS)
DAU_PATH = BY_STREAM["dau"].path
HOURLY_SUFFIX = "_hourly"  # `unit=hour` requests log as e.g. "sessions_hourly"
