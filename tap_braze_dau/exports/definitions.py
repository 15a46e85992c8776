"""Content Blocks and email templates: the list of those changed since the bookmark, then
each one's info, merged into one record.

The list is asked with `modified_after` (the bookmarked instant less `lookback_days`; on a
first run `start_date`, or nothing: every item), `limit` 1000 and `offset` (left out for
the first page: Braze's docs say both "number to skip" and "must be greater than 0"),
until a page is short. An item edited while the list is paged may move to another page:
items are kept once, by id. They are emitted oldest edit first, so the bookmark (the
newest `last_edited` / `updated_at`) resumes exactly.

Then one info request per listed item, `max_parallel_requests` at a time (a Content
Block's with `include_inclusion_data=true`: where it is used). An item whose
info Braze refuses (400 or 404: a drag-and-drop template, which the info endpoint does
not describe, or an item deleted since the list) keeps its list fields, and the run
says so in one warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from singer_sdk import typing as th

from tap_braze_dau.declarations import Endpoint
from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.plan.activity import parse_instant
from tap_braze_dau.plan.listings import offset_pages
from tap_braze_dau.redaction import shown

#: Items a page (Braze's largest `limit`).
PAGE_SIZE = 1000
#: Pages a list may take before it is taken to ignore `offset`.
MAX_PAGES = 10_000


@dataclass(frozen=True)
class Definition:
    """One kind of definition: its stream, list and info endpoints, id and edit time."""

    name: str
    noun: str
    list_endpoint: Endpoint
    info_endpoint: Endpoint
    id_field: str
    time_field: str
    #: Documented fields beyond the id and time, with their JSON schema types.
    fields: tuple[tuple[str, Any, str], ...]
    #: Parameters of every info request beside the id.
    info_params: tuple[tuple[str, str], ...] = ()

    def schema(self) -> dict[str, Any]:
        schema = th.PropertiesList(
            th.Property(self.id_field, th.StringType, required=True, description="Its id."),
            th.Property(
                self.time_field, th.DateTimeType, required=True, description="Last edited."
            ),
            *(th.Property(name, kind, description=text) for name, kind, text in self.fields),
        ).to_dict()
        schema["additionalProperties"] = True
        return schema


_TAGS = th.ArrayType(th.StringType)

CONTENT_BLOCKS = Definition(
    name="content_blocks",
    noun="Content Block",
    list_endpoint=Endpoint(
        path="/content_blocks/list",
        permission="content_blocks.list",
        answer_field="content_blocks",
        message_optional=True,
    ),
    info_endpoint=Endpoint(
        path="/content_blocks/info",
        permission="content_blocks.info",
        answer_field=None,
        message_optional=True,
    ),
    id_field="content_block_id",
    time_field="last_edited",
    fields=(
        ("name", th.StringType, "Name."),
        ("content_type", th.StringType, "html or text."),
        ("liquid_tag", th.StringType, "The Liquid tag that includes it."),
        ("inclusion_count", th.IntegerType, "Messages that include it."),
        ("created_at", th.DateTimeType, "When it was created."),
        ("tags", _TAGS, "Tags."),
        ("content", th.StringType, "Its content (info)."),
        ("description", th.StringType, "Description (info)."),
        (
            "inclusion_data",
            th.CustomType({"type": ["array", "null"]}),
            "The message variations of the campaigns and Canvases that include it "
            "(info; archived and deleted ones left out by Braze).",
        ),
    ),
    info_params=(("include_inclusion_data", "true"),),
)

EMAIL_TEMPLATES = Definition(
    name="email_templates",
    noun="email template",
    list_endpoint=Endpoint(
        path="/templates/email/list",
        permission="templates.email.list",
        answer_field="templates",
        message_optional=True,
    ),
    info_endpoint=Endpoint(
        path="/templates/email/info",
        permission="templates.email.info",
        answer_field=None,
        message_optional=True,
    ),
    id_field="email_template_id",
    time_field="updated_at",
    fields=(
        ("template_name", th.StringType, "Name."),
        ("created_at", th.DateTimeType, "When it was created."),
        (
            "tags",
            th.CustomType({"type": ["array", "string", "null"], "items": {"type": "string"}}),
            "Tags (a list; a string where Braze sends one).",
        ),
        ("description", th.StringType, "Description (info)."),
        ("subject", th.StringType, "Subject line (info)."),
        ("preheader", th.StringType, "Preheader (info)."),
        ("body", th.StringType, "HTML body, images inline (info)."),
        ("plaintext_body", th.StringType, "Plain-text body (info)."),
        ("should_inline_css", th.BooleanType, "Whether CSS is inlined (info)."),
    ),
)

DEFINITIONS: tuple[Definition, ...] = (CONTENT_BLOCKS, EMAIL_TEMPLATES)


def format_instant(instant: dt.datetime) -> str:
    """`modified_after` as Braze's docs write it: `2020-01-01T01:01:01.000000` (UTC)."""
    return instant.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def modified_after(
    bookmark: object, start_date: dt.date | None, lookback_days: int, what: str
) -> str | None:
    """The list's `modified_after`: the bookmark less the look-back (never before
    start_date), start_date, or None (every item)."""
    floor = (
        None
        if start_date is None
        else dt.datetime.combine(start_date, dt.time(), tzinfo=dt.timezone.utc)
    )
    if bookmark is not None:
        instant = parse_instant(bookmark, f"the bookmark of {what}")
        assert instant is not None
        since = instant - dt.timedelta(days=lookback_days)
        return format_instant(max(since, floor) if floor else since)
    return format_instant(floor) if floor else None


def list_params(since: str | None, offset: int) -> dict[str, str | int]:
    params: dict[str, str | int] = {"limit": PAGE_SIZE}
    if since is not None:
        params["modified_after"] = since
    if offset:  # none on the first page: Braze lists "Offset must be greater than 0"
        params["offset"] = offset
    return params


def list_item(item: object, definition: Definition, where: str) -> dict[str, Any]:
    """One item of the list: an object with its id and edit time."""
    if (
        not isinstance(item, dict)
        or not isinstance(item.get(definition.id_field), str)
        or not item[definition.id_field]
        or not isinstance(item.get(definition.time_field), str)
    ):
        expected = f"an object with {definition.id_field} and {definition.time_field}"
        msg = f"Braze returned {shown(item)} in {where} (expected {expected})"
        raise BrazeDataError(msg)
    parse_instant(item[definition.time_field], f"{definition.time_field} in {where}")
    return dict(item)


def listed_items(
    fetch_page: Callable[[int], list[object]], definition: Definition
) -> list[dict[str, Any]]:
    """Every listed item once (by id), oldest edit first (then by id)."""
    found: dict[str, dict[str, Any]] = {}

    def where(offset: int) -> str:
        return f"{definition.list_endpoint.path} (offset {offset})"

    for offset, items in offset_pages(fetch_page, PAGE_SIZE, where=where, max_pages=MAX_PAGES):
        for item in items:
            record = list_item(item, definition, where(offset))
            found[record[definition.id_field]] = record
    return sorted(found.values(), key=lambda item: _order(item, definition))


def _order(item: dict[str, Any], definition: Definition) -> tuple[dt.datetime, str]:
    instant = parse_instant(item[definition.time_field], definition.time_field)
    assert instant is not None
    return instant, str(item[definition.id_field])


def merged(item: dict[str, Any], info: object, definition: Definition) -> dict[str, Any]:
    """The list item with its info's fields (`message` aside); the list's id and edit
    time win, so the record's key and bookmark are the list's."""
    if not isinstance(info, dict):
        item_id = item[definition.id_field]
        msg = f"Braze returned {shown(info)} as the info of {definition.noun} {item_id!r}"
        raise BrazeDataError(msg)
    extra = {k: v for k, v in info.items() if k != "message"}
    keep = {k: item[k] for k in (definition.id_field, definition.time_field)}
    return {**item, **extra, **keep}
