"""Every stream the tap offers, each one declaration (see declarations.py).

A further series of an existing shape is one more entry here; the settings, the
documentation, the plugin definitions and the tests follow from this list.
"""

from __future__ import annotations

from types import MappingProxyType

from tap_braze_dau.declarations import (
    APP,
    Column,
    DetailsDeclaration,
    Dimension,
    Endpoint,
    ListDeclaration,
    StreamDeclaration,
    Value,
)

DAU = StreamDeclaration(
    name="dau",
    endpoint=Endpoint(path="/kpi/dau/data_series", permission="kpi.dau.data_series"),
    values=(Value("dau", "Daily active users: unique users active on that day (today: so far)."),),
    selected_by_default=True,  # what a run without a catalog syncs
)

MAU = StreamDeclaration(
    name="mau",
    endpoint=Endpoint(path="/kpi/mau/data_series", permission="kpi.mau.data_series"),
    values=(
        Value("mau", "Monthly active users: unique users active in the 30 days ending that day."),
    ),
)

NEW_USERS = StreamDeclaration(
    name="new_users",
    endpoint=Endpoint(path="/kpi/new_users/data_series", permission="kpi.new_users.data_series"),
    values=(Value("new_users", "New users: users first seen on that day."),),
)

UNINSTALLS = StreamDeclaration(
    name="uninstalls",
    endpoint=Endpoint(path="/kpi/uninstalls/data_series", permission="kpi.uninstalls.data_series"),
    values=(Value("uninstalls", "Uninstalls: app uninstalls detected on that day."),),
)

SESSIONS = StreamDeclaration(
    name="sessions",
    endpoint=Endpoint(
        path="/sessions/data_series",
        permission="sessions.data_series",
        params=MappingProxyType({"unit": "day"}),  # never hourly points
    ),
    values=(Value("sessions", "Sessions: sessions started on that day."),),
)

SESSIONS_HOURLY = StreamDeclaration(
    name="sessions_hourly",
    endpoint=Endpoint(
        path="/sessions/data_series",
        permission="sessions.data_series",
        params=MappingProxyType({"unit": "hour"}),
        unit="hour",  # `length` counts hours, at most 100
    ),
    values=(Value("sessions", "Sessions: sessions started in that hour."),),
)

# -- what users do: custom events, purchases, segments -------------------------------------

EVENTS = ListDeclaration(
    name="events",
    endpoint=Endpoint(
        path="/events/list", permission="events.list", pool="lists", answer_field="events"
    ),
    columns=(Column("name", "Name of a custom event of the workspace."),),
    page_size=250,
)

PRODUCTS = ListDeclaration(
    name="products",
    endpoint=Endpoint(
        path="/purchases/product_list",
        permission="purchases.product_list",
        pool="lists",
        answer_field="products",
    ),
    columns=(Column("product_id", "Identifier of a product purchased in the workspace."),),
    page_size=None,  # undocumented
)

SEGMENTS = ListDeclaration(
    name="segments",
    endpoint=Endpoint(
        path="/segments/list",
        permission="segments.list",
        params=MappingProxyType({"sort_direction": "asc"}),  # oldest first: stable pages
        answer_field="segments",
    ),
    columns=(
        Column("segment_id", "Braze segment identifier.", braze_name="id"),
        Column("name", "Name of the segment."),
        Column(
            "analytics_tracking_enabled",
            "Whether Braze tracks the segment's size (only those have segment_sizes).",
            kind="boolean",
        ),
        Column("tags", "Tags of the segment.", kind="string_list"),
    ),
    page_size=100,
    series_when="analytics_tracking_enabled",
)

EVENT = Dimension(
    column="event",
    param="event",
    description="Name of the custom event.",
    listed_by=EVENTS.name,
    setting="event_names",
)

#: `product_id` of the series of every product together.
ALL_PRODUCTS = "_all"

PRODUCT = Dimension(
    column="product_id",
    param="product",
    description=f"Product identifier, or '{ALL_PRODUCTS}' for every product together.",
    all_value=ALL_PRODUCTS,
    listed_by=PRODUCTS.name,
    setting="product_ids",
)

SEGMENT = Dimension(
    column="segment_id",
    param="segment_id",
    description="Braze segment identifier.",
    listed_by=SEGMENTS.name,
    setting="segment_ids",
)

EVENT_COUNTS = StreamDeclaration(
    name="event_counts",
    endpoint=Endpoint(
        path="/events/data_series",
        permission="events.data_series",
        params=MappingProxyType({"unit": "day"}),
    ),
    values=(Value("count", "Times the event was logged on that day."),),
    dimensions=(EVENT, APP),
)

PURCHASE_QUANTITY = StreamDeclaration(
    name="purchase_quantity",
    endpoint=Endpoint(
        path="/purchases/quantity_series",
        permission="purchases.quantity_series",
        params=MappingProxyType({"unit": "day"}),
        pool="purchases",
    ),
    values=(Value("purchase_quantity", "Purchases (items bought) on that day."),),
    dimensions=(PRODUCT, APP),
)

PURCHASE_REVENUE = StreamDeclaration(
    name="purchase_revenue",
    endpoint=Endpoint(
        path="/purchases/revenue_series",
        permission="purchases.revenue_series",
        params=MappingProxyType({"unit": "day"}),
        pool="purchases",
    ),
    values=(
        Value(
            "revenue",
            "Revenue on that day, in the workspace's currency, exactly as Braze reports it.",
            kind="number",
        ),
    ),
    dimensions=(PRODUCT, APP),
)

SEGMENT_SIZES = StreamDeclaration(
    name="segment_sizes",
    endpoint=Endpoint(path="/segments/data_series", permission="segments.data_series"),
    values=(Value("size", "Users in the segment on that day."),),
    dimensions=(SEGMENT,),  # Braze has no per-app segment sizes
)

# -- how messages performed: campaigns and Canvases ---------------------------------------

#: Both lists: archived ones too (they have stats), oldest first (pages stay stable while
#: new ones are created).
_MESSAGING_LIST_PARAMS = MappingProxyType({"include_archived": "true", "sort_direction": "asc"})

CAMPAIGNS = ListDeclaration(
    name="campaigns",
    endpoint=Endpoint(
        path="/campaigns/list",
        permission="campaigns.list",
        params=_MESSAGING_LIST_PARAMS,
        answer_field="campaigns",
    ),
    columns=(
        Column("campaign_id", "Braze campaign identifier.", braze_name="id"),
        Column("name", "Name of the campaign."),
        Column("is_api_campaign", "Whether it is an API campaign.", kind="boolean"),
        Column("tags", "Tags of the campaign.", kind="string_list"),
        Column("last_edited", "When the campaign was last edited.", kind="date_time"),
    ),
    page_size=100,
    keep_unknown_fields=True,
)

CANVASES = ListDeclaration(
    name="canvases",
    endpoint=Endpoint(
        path="/canvas/list",
        permission="canvas.list",
        params=_MESSAGING_LIST_PARAMS,
        answer_field="canvases",
    ),
    columns=(
        Column("canvas_id", "Braze Canvas identifier.", braze_name="id"),
        Column("name", "Name of the Canvas."),
        Column("tags", "Tags of the Canvas.", kind="string_list"),
        Column("last_edited", "When the Canvas was last edited.", kind="date_time"),
    ),
    page_size=100,
    keep_unknown_fields=True,
)


def _details_columns(noun: str) -> tuple[Column, ...]:
    """The fields campaigns' and Canvases' details share, as Braze documents them."""
    return (
        Column("created_at", f"When the {noun} was created.", kind="date_time"),
        Column("updated_at", f"When the {noun} was last updated.", kind="date_time"),
        Column("name", f"Name of the {noun}."),
        Column("description", f"Description of the {noun}."),
        Column("archived", f"Whether the {noun} is archived.", kind="boolean"),
        Column("draft", f"Whether the {noun} is a draft.", kind="boolean"),
        Column("enabled", f"Whether the {noun} is active.", kind="boolean"),
        Column("schedule_type", "How it is scheduled (date, action_based, api_triggered, ...)."),
        Column("channels", "Its messaging channels.", kind="string_list"),
        Column("tags", f"Tags of the {noun}.", kind="string_list"),
        Column("teams", "Teams it belongs to.", kind="string_list"),
    )


CAMPAIGN_DETAILS = DetailsDeclaration(
    name="campaign_details",
    endpoint=Endpoint(path="/campaigns/details", permission="campaigns.details", answer_field=None),
    listed_by=CAMPAIGNS.name,
    param="campaign_id",
    noun="campaign",
    columns=(
        Column("campaign_id", "Braze campaign identifier."),
        *_details_columns("campaign"),
        Column(
            "has_post_launch_draft",
            "Whether it has edits saved as a draft since it launched.",
            kind="boolean",
        ),
        Column("first_sent", "When it first sent (null: never).", kind="date_time"),
        Column("last_sent", "When it last sent (null: never).", kind="date_time"),
        Column(
            "messages",
            "Its messages: message variation id -> the message (channel, name, content).",
            kind="object",
        ),
        Column("conversion_behaviors", "Its conversion events, A to D.", kind="object_list"),
    ),
    first_active="first_sent",
    last_active="last_sent",
)

CANVAS_DETAILS = DetailsDeclaration(
    name="canvas_details",
    endpoint=Endpoint(path="/canvas/details", permission="canvas.details", answer_field=None),
    listed_by=CANVASES.name,
    param="canvas_id",
    noun="Canvas",
    columns=(
        Column("canvas_id", "Braze Canvas identifier."),
        *_details_columns("Canvas"),
        Column("first_entry", "When a user first entered it (null: never).", kind="date_time"),
        Column("last_entry", "When a user last entered it (null: never).", kind="date_time"),
        Column("variants", "Its variants (name, id, first step).", kind="object_list"),
        Column("steps", "Its steps (name, id, type, channels, next steps).", kind="object_list"),
    ),
    first_active="first_entry",
    last_active="last_entry",
)

SEGMENT_DETAILS = DetailsDeclaration(
    name="segment_details",
    endpoint=Endpoint(path="/segments/details", permission="segments.details", answer_field=None),
    listed_by=SEGMENTS.name,
    param="segment_id",
    noun="segment",
    columns=(
        Column("segment_id", "Braze segment identifier."),
        Column("created_at", "When the segment was created.", kind="date_time"),
        Column("updated_at", "When the segment was last updated.", kind="date_time"),
        Column("name", "Name of the segment."),
        Column("description", "Its filters, described in words by Braze."),
        Column("text_description", "The segment's description, as written in Braze."),
        Column("tags", "Tags of the segment.", kind="string_list"),
        Column("teams", "Teams it belongs to.", kind="string_list"),
    ),
)

CAMPAIGN = Dimension(
    column="campaign_id",
    param="campaign_id",
    description="Braze campaign identifier.",
    listed_by=CAMPAIGNS.name,
)

CANVAS = Dimension(
    column="canvas_id",
    param="canvas_id",
    description="Braze Canvas identifier.",
    listed_by=CANVASES.name,
)


def _conversions(by: str) -> tuple[Value, ...]:
    """The conversion counts of conversion events A (`conversions`) to D, by day and by
    `by` (send or entry) time."""
    counts = []
    for number, letter in (("", "A"), ("1", "B"), ("2", "C"), ("3", "D")):
        counts.append(
            Value(f"conversions{number}", f"Conversions of event {letter}.", required=False)
        )
        counts.append(
            Value(
                f"conversions{number}_by_{by}_time",
                f"Conversions of event {letter}, counted on the day of the {by}.",
                required=False,
            )
        )
    return tuple(counts)


CAMPAIGN_STATS = StreamDeclaration(
    name="campaign_stats",
    endpoint=Endpoint(
        path="/campaigns/data_series", permission="campaigns.data_series", pool="campaign_series"
    ),
    values=(
        Value("unique_recipients", "Users who received it that day.", required=False),
        *_conversions("send"),
        Value("revenue", "Revenue attributed to it that day.", kind="number", required=False),
        Value(
            "messages",
            "Its stats that day exactly as Braze sent them: channel -> one entry per "
            "message variation (sent, opens, clicks, ..., conversions, revenue).",
            kind="object",
            required=False,
        ),
    ),
    dimensions=(CAMPAIGN,),
    keep_unknown_fields=True,
    active_in=CAMPAIGN_DETAILS.name,
)

CANVAS_STATS = StreamDeclaration(
    name="canvas_stats",
    endpoint=Endpoint(
        path="/canvas/data_series",
        permission="canvas.data_series",
        params=MappingProxyType(
            {"include_variant_breakdown": "true", "include_step_breakdown": "true"}
        ),
        max_window=14,  # Braze's limit for Canvases
        answer_field="data.stats",
    ),
    values=(
        Value("entries", "Users who entered it that day.", required=False),
        Value("conversions", "Conversions that day.", required=False),
        Value(
            "conversions_by_entry_time",
            "Conversions counted on the day of the entry.",
            required=False,
        ),
        Value("revenue", "Revenue attributed to it that day.", kind="number", required=False),
        Value(
            "variant_stats",
            "Per variant, exactly as Braze sent it: variant id -> its name, entries, "
            "conversions, revenue.",
            kind="object",
            required=False,
        ),
        Value(
            "step_stats",
            "Per step, exactly as Braze sent it: step id -> its name, conversions, "
            "revenue and its messages' stats by channel.",
            kind="object",
            required=False,
        ),
    ),
    dimensions=(CANVAS,),
    totals_in="total_stats",
    keep_unknown_fields=True,
    active_in=CANVAS_DETAILS.name,
)

#: Every series stream, in no particular order (the SDK syncs streams by name).
STREAMS: tuple[StreamDeclaration, ...] = (
    DAU,
    MAU,
    NEW_USERS,
    UNINSTALLS,
    SESSIONS,
    SESSIONS_HOURLY,
    EVENT_COUNTS,
    PURCHASE_QUANTITY,
    PURCHASE_REVENUE,
    SEGMENT_SIZES,
    CAMPAIGN_STATS,
    CANVAS_STATS,
)
#: Every list stream.
LISTS: tuple[ListDeclaration, ...] = (EVENTS, PRODUCTS, SEGMENTS, CAMPAIGNS, CANVASES)
#: Every details stream.
DETAILS: tuple[DetailsDeclaration, ...] = (CAMPAIGN_DETAILS, CANVAS_DETAILS, SEGMENT_DETAILS)
#: Every full-table stream: the lists and the details.
FULL_TABLE: tuple[ListDeclaration | DetailsDeclaration, ...] = (*LISTS, *DETAILS)
BY_NAME = {declaration.name: declaration for declaration in STREAMS}
LISTS_BY_NAME = {declaration.name: declaration for declaration in LISTS}
DETAILS_BY_NAME = {declaration.name: declaration for declaration in DETAILS}
