"""The user-data endpoints (endpoints.USER_DATA_KINDS): what a request asks, how it is
refused, and the answer. handler.py does the rest (auth, pools, faults, the log).

- POST /users/export/segment starts an export (export_jobs.py) and answers its
  `object_prefix` and `url` (null in bucket mode); 400 for a bad body or an unknown
  segment (not in `BrazeEmulator.users`), 429 while an export of the segment is running.
- GET /email/hard_bounces, /email/unsubscribes: rows of a date range (`start_date`
  00:00 UTC, included, to `end_date` 00:00 UTC, excluded; through the end of `end_date`'s
  day with `suppression_end_inclusive`), or of one `email` (the range then ignored),
  newest first (unsubscribes: `sort_direction=asc` oldest first), ties by email, paged by
  `limit` (1..500, default 100) and `offset` (0-based rows to skip).
- GET /segments/details, /content_blocks/info, /templates/email/info: one object by id.
- GET /content_blocks/list, /templates/email/list: offset-paged lists (`limit` 1..1000,
  default 100), by modification time (`modified_after`, `modified_before`: inclusive)
  ascending, then id; `count` is the number matching.
Instants are written as Braze does (2024-03-01T14:03:00+00:00; `answer_shapes="captured"`:
some items with `Z`); suppression rows as 2024-03-01T14:03:00Z.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import re
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from braze_emulator import shapes
from braze_emulator.clock import parse_instant
from braze_emulator.endpoints import Endpoint
from braze_emulator.exports import EXPORTABLE_FIELDS, OUTPUT_FORMATS, ContentBlock, EmailTemplate
from braze_emulator.messaging import api_id, iso

if TYPE_CHECKING:
    from braze_emulator.server import BrazeEmulator

UTC = dt.timezone.utc
SUPPRESSION_MAX_LIMIT = 500
CATALOG_MAX_LIMIT = 1000
MAX_CUSTOM_ATTRIBUTES = 500
#: The instant column of each suppression list's rows.
SUPPRESSION_COLUMNS = {
    "email_hard_bounces": "hard_bounced_at",
    "email_unsubscribes": "unsubscribed_at",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Refused(Exception):
    """A refusal found only while answering (an export that lost a race for its segment)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class ExportQuery:
    segment_id: str
    fields: tuple[str, ...]
    custom_attributes: tuple[str, ...] | None
    output_format: str
    callback_endpoint: str | None


@dataclass(frozen=True)
class SuppressionQuery:
    start: dt.date | None
    end: dt.date | None
    limit: int
    offset: int
    email: str | None
    descending: bool


@dataclass(frozen=True)
class CatalogQuery:
    after: dt.datetime | None
    before: dt.datetime | None
    limit: int
    offset: int


@dataclass(frozen=True)
class InfoQuery:
    item_id: str
    inclusion_data: bool = False


Query = ExportQuery | SuppressionQuery | CatalogQuery | InfoQuery


@dataclass(frozen=True)
class Parsed:
    """A request's query, or the message of the 400 about it; the days it covers (the
    suppression lists: start_date and end_date as sent); the id it names."""

    query: Query | None = None
    problem: str | None = None
    window: tuple[dt.date, dt.date] | None = None
    dimension: str | None = None


def body_params(body: Any) -> dict[str, str]:
    """A JSON body as the request log's `params`: strings as they are, others as JSON."""
    if not isinstance(body, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}


# -- parsing -----------------------------------------------------------------------------------


def parse(endpoint: Endpoint, params: dict[str, str], body: Any = None) -> Parsed:
    if endpoint.kind == "export":
        return _parse_export(body)
    if endpoint.kind == "suppressions":
        return _parse_suppressions(endpoint, params)
    if endpoint.kind == "catalog":
        return _parse_catalog(endpoint, params)
    return _parse_info(endpoint, params)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _parse_export(body: Any) -> Parsed:
    if not isinstance(body, dict):
        return Parsed(problem="The request body must be a JSON object")
    segment_id = body.get("segment_id")
    if not isinstance(segment_id, str) or not segment_id:
        return Parsed(problem="segment_id is required and must be a string")

    def refused(problem: str) -> Parsed:
        return Parsed(problem=problem, dimension=segment_id)

    fields = body.get("fields_to_export")
    if fields is None:
        return refused("fields_to_export is required")
    if not _strings(fields) or not fields:
        return refused("fields_to_export must be a non-empty array of strings")
    invalid = [name for name in fields if name not in EXPORTABLE_FIELDS]
    if invalid:
        return refused(f"fields_to_export has an invalid field: {invalid[0]}")
    output_format = body.get("output_format", "zip")
    if output_format not in OUTPUT_FORMATS:
        return refused(f"output_format must be one of {', '.join(OUTPUT_FORMATS)}")
    attributes = body.get("custom_attributes_to_export")
    if attributes is not None and (
        not _strings(attributes) or len(attributes) > MAX_CUSTOM_ATTRIBUTES
    ):
        return refused(
            f"custom_attributes_to_export must be an array of at most {MAX_CUSTOM_ATTRIBUTES} "
            "strings"
        )
    callback = body.get("callback_endpoint")
    if callback is not None and not isinstance(callback, str):
        return refused("callback_endpoint must be a string")
    query = ExportQuery(
        segment_id=segment_id,
        fields=tuple(fields),
        custom_attributes=None if attributes is None else tuple(attributes),
        output_format=output_format,
        callback_endpoint=callback,
    )
    return Parsed(query=query, dimension=segment_id)


def _integer(params: dict[str, str], name: str, default: int) -> int | None:
    try:
        return int(params.get(name, str(default)))
    except ValueError:
        return None


def _day(params: dict[str, str], name: str) -> dt.date | str | None:
    """A YYYY-MM-DD parameter, None when absent, or the problem with it."""
    text = params.get(name)
    if not text:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        return f"{name} must be a date (YYYY-MM-DD): {text}"


def _parse_suppressions(endpoint: Endpoint, params: dict[str, str]) -> Parsed:
    limit = _integer(params, "limit", 100)
    if limit is None or not 1 <= limit <= SUPPRESSION_MAX_LIMIT:
        return Parsed(problem=f"limit must be an integer from 1 to {SUPPRESSION_MAX_LIMIT}")
    offset = _integer(params, "offset", 0)
    if offset is None or offset < 0:
        return Parsed(problem="offset must be a non-negative integer")
    descending = True
    if endpoint.stream == "email_unsubscribes":
        direction = params.get("sort_direction", "desc")
        if direction not in {"asc", "desc"}:
            return Parsed(problem="sort_direction must be asc or desc")
        descending = direction == "desc"
    email = params.get("email") or None
    if email is not None:  # the address wins: the range is not even read
        return Parsed(query=SuppressionQuery(None, None, limit, offset, email, descending))
    start, end = _day(params, "start_date"), _day(params, "end_date")
    for name, value in (("start_date", start), ("end_date", end)):
        if value is None:
            return Parsed(problem=f"{name} is required unless email is given")
        if isinstance(value, str):
            return Parsed(problem=value)
    assert isinstance(start, dt.date)
    assert isinstance(end, dt.date)
    if start >= end:
        return Parsed(problem="start_date must be earlier than end_date")
    query = SuppressionQuery(start, end, limit, offset, None, descending)
    return Parsed(query=query, window=(start, end))


def _parse_catalog(endpoint: Endpoint, params: dict[str, str]) -> Parsed:
    noun = "Content Block" if endpoint.key == "content_blocks" else "Template"
    bounds: dict[str, dt.datetime | None] = {}
    for name, words in (
        ("modified_after", "Modified after"),
        ("modified_before", "Modified before"),
    ):
        text = params.get(name)
        try:
            bounds[name] = parse_instant(text) if text else None
        except ValueError:
            return Parsed(problem=f"{words} time is invalid")
    after, before = bounds["modified_after"], bounds["modified_before"]
    if after is not None and before is not None and after > before:
        return Parsed(
            problem="Modified after time must be earlier than or the same as modified before time."
        )
    limit = _integer(params, "limit", 100)
    if limit is None:
        return Parsed(problem=f"{noun} number limit is invalid")
    if limit < 1:
        return Parsed(problem=f"{noun} number limit must be greater than 0")
    if limit > CATALOG_MAX_LIMIT:
        return Parsed(problem=f"{noun} number limit exceeds maximum of {CATALOG_MAX_LIMIT}")
    offset = _integer(params, "offset", 0)
    if offset is None:
        return Parsed(problem="Offset is invalid")
    if offset < 0:  # Braze's words, though 0 is accepted
        return Parsed(problem="Offset must be greater than 0")
    return Parsed(query=CatalogQuery(after, before, limit, offset))


def _parse_info(endpoint: Endpoint, params: dict[str, str]) -> Parsed:
    assert endpoint.dimension is not None
    item_id = params.get(endpoint.dimension) or None
    if item_id is None:
        if endpoint.stream == "content_block_info":
            return Parsed(problem="Content Block ID cannot be blank")
        return Parsed(problem=f"{endpoint.dimension} is required")
    inclusion = params.get("include_inclusion_data", "false").lower()
    if endpoint.stream == "content_block_info" and inclusion not in {"true", "false"}:
        return Parsed(problem="Include Inclusion Data—error", dimension=item_id)
    return Parsed(query=InfoQuery(item_id, inclusion == "true"), dimension=item_id)


# -- refusals and answers --------------------------------------------------------------------


def refusal(braze: BrazeEmulator, endpoint: Endpoint, query: Query) -> tuple[int, str] | None:
    """How Braze refuses a well-formed request (status, message), or None."""
    if isinstance(query, ExportQuery):
        if query.segment_id not in braze.users:
            return 400, f"Segment {query.segment_id} not found"
        if braze.export_jobs.busy(query.segment_id):
            return 429, busy_message(query.segment_id)
        return None
    if not isinstance(query, InfoQuery):
        return None
    item_id = query.item_id
    if endpoint.stream == "segment_details":
        if item_id not in braze.segments or braze.dimensions.refused(item_id):
            return 404, f"Segment {item_id} not found"
    elif endpoint.stream == "content_block_info":
        block = braze.content_blocks.get(item_id)
        if block is None:
            return 400, "Content Block ID is invalid for this workspace"
        if block.deleted:
            return 400, "Content Block has been deleted—content not available"
    else:
        template = braze.email_templates.get(item_id)
        if template is None:
            return 400, "Email Template ID is invalid for this workspace"
        if template.drag_and_drop:
            return 400, "Templates built with the drag & drop editor are not supported"
    return None


def busy_message(segment_id: str) -> str:
    return f"An export of segment {segment_id} is already in progress"


def payload(braze: BrazeEmulator, endpoint: Endpoint, query: Query) -> dict[str, Any]:
    """The answer to a request `refusal` lets through (an export: started now)."""
    if isinstance(query, ExportQuery):
        return _start_export(braze, query)
    if isinstance(query, SuppressionQuery):
        rows = braze.suppression_rows(
            endpoint.stream,
            query.start,
            query.end,
            email=query.email,
            descending=query.descending,
        )
        return {"emails": rows[query.offset : query.offset + query.limit], "message": "success"}
    if isinstance(query, CatalogQuery):
        return _catalog(braze, endpoint, query)
    if endpoint.stream == "segment_details":
        return _segment_details(braze, query.item_id)
    if endpoint.stream == "content_block_info":
        return _block_info(braze, query.item_id, query.inclusion_data)
    return _template_info(braze, query.item_id)


def _start_export(braze: BrazeEmulator, query: ExportQuery) -> dict[str, Any]:
    export = braze.export_jobs.start(
        query.segment_id,
        braze.users[query.segment_id],
        fields=query.fields,
        custom_attributes=query.custom_attributes,
        output_format=query.output_format,
        callback_endpoint=query.callback_endpoint,
        delay=braze.export_delay,
        expires_after=braze.export_expires_after,
        users_per_file=braze.users_per_file,
        bucket=braze.export_bucket,
        download_base=braze.download_url,
    )
    if export is None:  # another request started one since `refusal` looked
        raise Refused(429, {"message": busy_message(query.segment_id)})
    return {"message": "success", "object_prefix": export.object_prefix, "url": export.url}


def _captured(
    braze: BrazeEmulator, item_id: str, item: dict[str, Any], *fields: str
) -> dict[str, Any]:
    return shapes.zulu_by(item_id, item, *fields) if braze.captured else item


def _within(instant: dt.datetime, query: CatalogQuery) -> bool:
    return (query.after is None or instant >= query.after) and (
        query.before is None or instant <= query.before
    )


def _inclusion_count(block_id: str) -> int:
    return zlib.crc32(block_id.encode()) % 7


def _catalog(braze: BrazeEmulator, endpoint: Endpoint, query: CatalogQuery) -> dict[str, Any]:
    items: list[tuple[dt.datetime, str, dict[str, Any]]] = []
    if endpoint.key == "content_blocks":
        for block_id, block in braze.content_blocks.items():
            if block.deleted or not _within(block.last_edited, query):
                continue
            item = {
                "content_block_id": block_id,
                "name": block.name,
                "content_type": block.content_type,
                "liquid_tag": "{{content_blocks.${" + block.name + "}}}",
                "inclusion_count": _inclusion_count(block_id),
                "created_at": iso(block.created_at),
                "last_edited": iso(block.last_edited),
                "tags": list(block.tags),
            }
            items.append((block.last_edited, block_id, item))
    else:
        for template_id, template in braze.email_templates.items():
            if not _within(template.updated_at, query):
                continue
            item = {
                "email_template_id": template_id,
                "template_name": template.template_name,
                "created_at": iso(template.created_at),
                "updated_at": iso(template.updated_at),
                "tags": list(template.tags),
            }
            items.append((template.updated_at, template_id, item))
    items.sort(key=lambda entry: (entry[0], entry[1]))
    chosen = items[query.offset : query.offset + query.limit]
    listed = [
        _captured(braze, item_id, item, "created_at", "last_edited", "updated_at")
        for _when, item_id, item in chosen
    ]
    return {"count": len(items), endpoint.key: listed, "message": "success"}


def _segment_details(braze: BrazeEmulator, segment_id: str) -> dict[str, Any]:
    segment = braze.segments[segment_id]
    body = {
        "message": "success",
        "created_at": iso(segment.created_at),
        "updated_at": iso(segment.updated_at),
        "name": segment.name,
        "description": segment.description,
        "text_description": segment.text_description,
        "tags": list(segment.tags),
        "teams": list(segment.teams),
    }
    return _captured(braze, segment_id, body, "created_at", "updated_at")


def _block_info(braze: BrazeEmulator, block_id: str, inclusion_data: bool) -> dict[str, Any]:
    block: ContentBlock = braze.content_blocks[block_id]
    count = _inclusion_count(block_id)
    body: dict[str, Any] = {
        "content_block_id": block_id,
        "name": block.name,
        "content": block.content,
        "description": block.description,
        "content_type": block.content_type,
        "tags": list(block.tags),
        "created_at": iso(block.created_at),
        "last_edited": iso(block.last_edited),
        "inclusion_count": count,
    }
    if inclusion_data:
        body["inclusion_data"] = [api_id("inclusion", block_id, n) for n in range(count)]
    body["message"] = "success"
    return _captured(braze, block_id, body, "created_at", "last_edited")


_TAGS = re.compile(r"<[^>]*>")


def _template_info(braze: BrazeEmulator, template_id: str) -> dict[str, Any]:
    template: EmailTemplate = braze.email_templates[template_id]
    body = {
        "email_template_id": template_id,
        "template_name": template.template_name,
        "description": template.description,
        "subject": template.subject,
        "preheader": template.preheader,
        "body": template.body,
        "plaintext_body": " ".join(_TAGS.sub(" ", template.body).split()),
        "should_inline_css": template.should_inline_css,
        "tags": list(template.tags),
        "created_at": iso(template.created_at),
        "updated_at": iso(template.updated_at),
        "message": "success",
    }
    return _captured(braze, template_id, body, "created_at", "updated_at")


# -- suppression lists -------------------------------------------------------------------------


def suppression_text(instant: dt.datetime) -> str:
    """How a suppression row writes its instant: 2024-03-01T14:03:00Z."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SuppressionIndex:
    """A suppression list sorted both ways, rebuilt when the list it was built from is
    replaced, grows or shrinks (a page of a long list is then a bisection, not a sort)."""

    def __init__(self, column: str) -> None:
        self.column = column
        self._lock = threading.Lock()
        self._built_from: tuple[int, int, Any, Any] | None = None
        self._ascending: list[tuple[float, str, dt.datetime]] = []
        self._descending: list[tuple[float, str, dt.datetime]] = []

    def _sorted(
        self, entries: Sequence[tuple[str, dt.datetime]]
    ) -> tuple[list[tuple[float, str, dt.datetime]], list[tuple[float, str, dt.datetime]]]:
        mark = (
            id(entries),
            len(entries),
            entries[0] if entries else None,
            entries[-1] if entries else None,
        )
        with self._lock:
            if mark != self._built_from:
                rows = [(t.timestamp(), email, t) for email, t in entries]
                self._ascending = sorted(rows, key=lambda r: (r[0], r[1]))
                self._descending = sorted(
                    ((-ts, e, t) for ts, e, t in rows), key=lambda r: (r[0], r[1])
                )
                self._built_from = mark
            return self._ascending, self._descending

    def rows(
        self,
        entries: Sequence[tuple[str, dt.datetime]],
        start: dt.datetime | None,
        end: dt.datetime | None,
        *,
        email: str | None = None,
        descending: bool = True,
    ) -> list[dict[str, str]]:
        """The rows of [start, end) (or of one address, compared without case or spaces),
        newest first (or oldest first), ties by email."""
        ascending_rows, descending_rows = self._sorted(entries)
        ordered = descending_rows if descending else ascending_rows
        if email is not None:
            wanted = email.strip().lower()
            chosen = [r for r in ordered if r[1].strip().lower() == wanted]
        else:
            assert start is not None
            assert end is not None
            low, high = start.timestamp(), end.timestamp()
            if descending:
                first = bisect.bisect_right(ordered, -high, key=lambda r: r[0])
                last = bisect.bisect_right(ordered, -low, key=lambda r: r[0])
            else:
                first = bisect.bisect_left(ordered, low, key=lambda r: r[0])
                last = bisect.bisect_left(ordered, high, key=lambda r: r[0])
            chosen = ordered[first:last]
        return [{"email": e, self.column: suppression_text(t)} for _ts, e, t in chosen]
