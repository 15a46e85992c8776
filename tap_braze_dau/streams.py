"""Every stream the tap offers, each one declaration (see declarations.py).

A further series of an existing shape is one more entry here; the settings, the
documentation, the plugin definitions and the tests follow from this list.
"""

from __future__ import annotations

from types import MappingProxyType

from tap_braze_dau.declarations import (
    APP,
    Column,
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
)
#: Every list stream.
LISTS: tuple[ListDeclaration, ...] = (EVENTS, PRODUCTS, SEGMENTS)
BY_NAME = {declaration.name: declaration for declaration in STREAMS}
LISTS_BY_NAME = {declaration.name: declaration for declaration in LISTS}
