"""What a stream is, as data: the machinery (plan/, braze/, singer/) reads these.

Three kinds of stream:
- a series stream is one `StreamDeclaration`: the Braze endpoint it reads (`Endpoint`),
  what one of its series is (its `Dimension`s: an app; an event and an app; a segment; a
  campaign; ...), and the value fields of its records (`Value`). From these follow the
  record schema, the key, the partitions, the requests and their checks. A series of a
  campaign or Canvas is requested only over the days it can have stats, which its
  details say (`StreamDeclaration.active_in`);
- a list stream is one `ListDeclaration`: a paged list endpoint (events, products,
  segments, campaigns, Canvases), read whole on every run (full table), whose items are
  records and give the values of a dimension (`Dimension.listed_by`);
- a details stream is one `DetailsDeclaration`: one details answer per item of a list
  (campaigns, Canvases), read once per run, full table.

Every stream the tap offers is declared in `tap_braze_dau/streams.py`; Braze's rate-limit
pools in `POOLS` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from singer_sdk import typing as th

Unit = Literal["day", "hour"]
#: A count (a non-negative integer), an amount (any finite number), or a JSON object kept
#: exactly as Braze sent it (a campaign's `messages`, a Canvas' `step_stats`).
ValueKind = Literal["integer", "number", "object"]
ColumnKind = Literal[
    "string", "boolean", "integer", "date_time", "string_list", "object", "object_list"
]


@dataclass(frozen=True)
class Pool:
    """One of Braze's rate-limit pools, as documented: `limit` requests per
    `period_seconds`. Each answer's X-RateLimit-* headers describe the pool of the endpoint
    that answered; the tap paces itself on those, and uses these figures only to say, before
    a run, how long its requests take at least."""

    name: str
    limit: int
    period_seconds: int
    description: str


DEFAULT_POOL = "default"
POOLS: Mapping[str, Pool] = MappingProxyType(
    {
        pool.name: pool
        for pool in (
            Pool(
                DEFAULT_POOL,
                250_000,
                3600,
                "the other series, the lists of segments, campaigns and Canvases, the details",
            ),
            Pool("lists", 1_000, 3600, "/events/list and /purchases/product_list"),
            Pool("purchases", 1_000, 3600, "/purchases/quantity_series and revenue_series"),
            Pool("campaign_series", 50_000, 60, "/campaigns/data_series"),
        )
    }
)


@dataclass(frozen=True)
class Endpoint:
    """A `GET <path>` answering `{"message": "success", "data": [{time, <values>}]}`.

    `params` are sent with every request besides `length`, `ending_at` and the series'
    dimensions (sessions: `unit=day`, so that Braze never answers with hourly points).
    `max_window` is the largest `length` Braze accepts, counted in `unit`s; `pool` the
    rate-limit pool Braze counts the endpoint in; `answer_field` the path of the answer's
    list (`data` for a series, `events` for /events/list, `data.stats` for a Canvas'
    series), or None where the answer is one object (details).
    """

    path: str
    permission: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    max_window: int = 100
    unit: Unit = "day"
    pool: str = DEFAULT_POOL
    answer_field: str | None = "data"
    #: Whether an answer may lack `"message": "success"` (Braze documents none for some).
    message_optional: bool = False
    #: Whether a 429 says the thing asked cannot be served now (a segment's export
    #: already running), not that the pool is spent: it raises `Busy` at once (the
    #: caller retries with backoff), and holds no pool.
    busy_on_429: bool = False


@dataclass(frozen=True)
class Value:
    """A value field of a row: its name in Braze's answer and in the record. A required
    one is in every row; an optional one may be missing or null."""

    name: str
    description: str
    kind: ValueKind = "integer"
    required: bool = True

    def schema_type(self) -> th.JSONTypeHelper[Any] | type[th.JSONTypeHelper[Any]]:
        if self.kind == "object":
            return open_object()
        return th.IntegerType if self.kind == "integer" else th.NumberType


def open_object() -> th.ObjectType:
    """A JSON object of any fields (its keys are Braze's: channels, variant ids, ...).

    Written without `properties` (see `_open_objects`): the SDK's flattening then turns
    it into one JSON column, where an empty `properties` would make it drop the field
    from the schema and scatter its keys over undeclared columns."""
    return th.ObjectType(additional_properties=True)


def _open_objects(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the empty `properties` of its open objects removed (an array's
    items keep theirs: the SDK's record conformance needs them, and flattening makes
    the whole array one JSON column anyway)."""
    for prop in schema["properties"].values():
        if prop.get("properties") == {}:
            del prop["properties"]
    return schema


@dataclass(frozen=True)
class Dimension:
    """One coordinate of a series: a key column of the records and a context key of the
    partition, sent to Braze as `param` (not at all for `all_value`: the whole workspace,
    every product, ...). Key columns are never null, hence a marker value.

    Its values are the apps (`APP`: `app_ids` and the workspace), or those the setting
    `setting` names, or, when it is unset, those the list stream `listed_by` returns at
    the start of the run; a listed dimension with an `all_value` also has that series.
    Braze refuses a series of a listed value deleted since (`refusable`): that series is
    skipped with a warning, the run goes on.
    """

    column: str
    param: str
    description: str
    all_value: str | None = None
    listed_by: str | None = None
    setting: str | None = None

    @property
    def refusable(self) -> bool:
        return self.listed_by is not None

    def query_value(self, value: str) -> str | None:
        """What to send as `param` for the series `value`; None: send nothing."""
        return None if value == self.all_value else value


#: `app_id` of the workspace-wide series (unique users across all apps). Key columns must
#: be non-null (target-postgres makes them a PRIMARY KEY), so the workspace series carries
#: this marker instead of null. Braze app identifiers are UUIDs and never look like it.
WORKSPACE_APP_ID = "_workspace"

APP = Dimension(
    column="app_id",
    param="app_id",
    all_value=WORKSPACE_APP_ID,
    description=(
        "Braze app identifier of the series, or "
        f"'{WORKSPACE_APP_ID}' for the workspace as a whole (unique users "
        "across all apps, not the sum of the apps)."
    ),
)


@dataclass(frozen=True, order=True)
class SeriesKey:
    """One series of one stream: the unit of state (a partition) and of ordering.

    `dimensions` are `(column, value)` pairs in the stream's dimension order, e.g.
    `(("app_id", "ios"),)` or `(("event", "login"), ("app_id", "ios"))`.
    """

    stream: str
    dimensions: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, stream: str, **dimensions: str) -> SeriesKey:
        return cls(stream, tuple(dimensions.items()))

    @property
    def context(self) -> dict[str, str]:
        """The partition's context, as the SDK keeps it in the state."""
        return dict(self.dimensions)

    def value(self, column: str) -> str:
        return self.context[column]

    def __str__(self) -> str:
        if len(self.dimensions) == 1:
            return f"series {self.dimensions[0][1]!r} of {self.stream}"
        named = ", ".join(f"{column}={value!r}" for column, value in self.dimensions)
        return f"series {named} of {self.stream}"


@dataclass(frozen=True)
class StreamDeclaration:
    """Everything that makes one stream what it is."""

    name: str
    endpoint: Endpoint
    values: tuple[Value, ...]
    dimensions: tuple[Dimension, ...] = (APP,)
    #: What a run without a catalog syncs.
    selected_by_default: bool = False
    #: The object of a row whose fields are the record's values (a Canvas' `total_stats`);
    #: the row's other fields are kept beside them.
    totals_in: str | None = None
    #: Whether a row's fields not in `values` are kept in the record (stats rows: Braze
    #: adds metrics), rather than the row being read for its one value.
    keep_unknown_fields: bool = False
    #: The details stream (`DetailsDeclaration.name`) whose first and last send (entry)
    #: bound the days a series can have stats; None: every day can.
    active_in: str | None = None

    @property
    def key_columns(self) -> tuple[str, ...]:
        return (*(d.column for d in self.dimensions), "time")

    @property
    def hourly(self) -> bool:
        return self.endpoint.unit == "hour"

    @property
    def reads_records(self) -> bool:
        """A row is a record of several values (stats), not one value (a KPI)."""
        return self.keep_unknown_fields or len(self.values) > 1

    def schema(self) -> dict[str, Any]:
        """The record schema: the dimensions, the day, the values (required ones always
        there); open to further fields where the stream keeps them."""
        unit_text = (
            "The hour, in UTC (YYYY-MM-DDTHH:MM:SSZ)."
            if self.endpoint.unit == "hour"
            else "The day, in the workspace's reporting time zone."
        )
        time_type = th.DateTimeType if self.endpoint.unit == "hour" else th.DateType
        schema = th.PropertiesList(
            *(
                th.Property(d.column, th.StringType, required=True, description=d.description)
                for d in self.dimensions
            ),
            th.Property("time", time_type, required=True, description=unit_text),
            *(
                th.Property(v.name, v.schema_type(), required=v.required, description=v.description)
                for v in self.values
            ),
        ).to_dict()
        if self.keep_unknown_fields:
            schema["additionalProperties"] = True
        return _open_objects(schema)


@dataclass(frozen=True)
class Column:
    """A field of a list stream's (details stream's) records: `name` in the record,
    `braze_name` in Braze's item (an item that is a plain string is the first column)."""

    name: str
    description: str
    kind: ColumnKind = "string"
    braze_name: str = ""

    @property
    def source(self) -> str:
        return self.braze_name or self.name

    def schema_type(self) -> th.JSONTypeHelper[Any] | type[th.JSONTypeHelper[Any]]:
        simple: dict[str, type[th.JSONTypeHelper[Any]]] = {
            "string": th.StringType,
            "boolean": th.BooleanType,
            "integer": th.IntegerType,
            "date_time": th.DateTimeType,
        }
        if self.kind in simple:
            return simple[self.kind]
        if self.kind == "string_list":
            return th.ArrayType(th.StringType)
        if self.kind == "object":
            return open_object()
        return th.ArrayType(open_object())


def _columns_schema(columns: tuple[Column, ...], *, open_to_more: bool) -> dict[str, Any]:
    """The first column (the key) required, the others nullable; with `open_to_more`, the
    fields Braze adds beyond them are kept too."""
    key = columns[0].name
    schema = th.PropertiesList(
        *(
            th.Property(c.name, c.schema_type(), required=c.name == key, description=c.description)
            for c in columns
        )
    ).to_dict()
    if open_to_more:
        schema["additionalProperties"] = True
    return _open_objects(schema)


@dataclass(frozen=True)
class ListDeclaration:
    """A paged list (`page` from 0) whose items are the records of a full-table stream.

    `page_size` is Braze's documented page size (a shorter page is the last one); None
    where it is undocumented (then the list ends at an empty page, or at one shorter than
    the pages before). Items are strings (`columns` is then the one key column) or objects
    (one column per documented field; `keep_unknown_fields`: the others kept as well).
    `series_when` names a boolean column an item needs to have a series (segments:
    analytics tracking enabled).
    """

    name: str
    endpoint: Endpoint
    columns: tuple[Column, ...]
    page_size: int | None = None
    series_when: str | None = None
    selected_by_default: bool = False
    keep_unknown_fields: bool = False

    @property
    def key_columns(self) -> tuple[str, ...]:
        return (self.columns[0].name,)

    @property
    def items_are_strings(self) -> bool:
        return len(self.columns) == 1

    def schema(self) -> dict[str, Any]:
        return _columns_schema(self.columns, open_to_more=self.keep_unknown_fields)


@dataclass(frozen=True)
class DetailsDeclaration:
    """One `GET <path>?<param>=<id>` per item of the list `listed_by` (a campaign's, a
    Canvas' details): a full-table stream of one record per item, `{<id column>, every
    field Braze returns}`, the documented ones typed (`columns`, the first being the id).

    Its `first_active` and `last_active` fields (the first and last send, or entry) bound
    the days the item's series can have stats (`StreamDeclaration.active_in`); None for
    details no series is planned from (a segment's).
    """

    name: str
    endpoint: Endpoint
    listed_by: str
    param: str
    noun: str
    columns: tuple[Column, ...]
    first_active: str | None = None
    last_active: str | None = None
    selected_by_default: bool = False

    @property
    def key_columns(self) -> tuple[str, ...]:
        return (self.columns[0].name,)

    @property
    def plural(self) -> str:
        return "Canvases" if self.noun == "Canvas" else f"{self.noun}s"

    def schema(self) -> dict[str, Any]:
        return _columns_schema(self.columns, open_to_more=True)
