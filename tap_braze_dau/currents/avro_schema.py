"""An Avro writer schema as a Singer record schema, and the union of two: pure.

Every field keeps Braze's own name; its type follows Avro's (`string`, `int`/`long` as
integers, `float`/`double` as numbers, `boolean`, arrays, maps and records as arrays and
objects), nullable where the Avro type is a union with `null`, and its Avro `doc` is its
description. Braze marks personal data in those docs (`[PII] Email address of the
user`); the fields so marked, and those `KNOWN_PERSONAL` names that Braze leaves unmarked
in some event types (`device_id`), are the event type's personal fields.

When Braze adds a field it advances the schema id; a run that meets it widens the
stream's schema to the union of the two (`merge_schemas`), so the new field reaches the
target the same night. The union never narrows: a field keeps every type either side
allows.
"""

from __future__ import annotations

import copy
from typing import Any

JsonSchema = dict[str, Any]

#: Personal data whatever a schema's docs say (Braze marks them in most event types, not
#: in all): identifiers of a user or a device, addresses, numbers, names.
KNOWN_PERSONAL = frozenset(
    {
        "user_id",
        "external_user_id",
        "email_address",
        "phone_number",
        "to_phone_number",
        "from_phone_number",
        "user_phone_number",
        "inbound_phone_number",
        "device_id",
        "ad_id",
        "ip",
        "push_token",
        "first_name",
        "last_name",
        "dob",
    }
)
PII_MARK = "[PII]"
#: The key of every event type.
KEY = "id"

_PRIMITIVES = {
    "null": "null",
    "boolean": "boolean",
    "int": "integer",
    "long": "integer",
    "float": "number",
    "double": "number",
    "string": "string",
    "bytes": "string",
}
_LOGICAL_FORMATS = {
    "timestamp-millis": "date-time",
    "timestamp-micros": "date-time",
    "local-timestamp-millis": "date-time",
    "local-timestamp-micros": "date-time",
    "date": "date",
    "uuid": None,
}


class SchemaError(ValueError):
    """A writer schema the tap cannot read as a record of fields."""


def _types(schema: JsonSchema) -> list[str]:
    found = schema.get("type", [])
    return [found] if isinstance(found, str) else list(found)


def _nullable(schema: JsonSchema) -> JsonSchema:
    if "anyOf" in schema:
        options = schema["anyOf"]
        if {"type": "null"} not in options:
            return {**schema, "anyOf": [*options, {"type": "null"}]}
        return schema
    types = _types(schema)
    return schema if "null" in types else {**schema, "type": [*types, "null"]}


def json_type(avro: Any) -> JsonSchema:
    """The JSON schema of an Avro type (a name, a union list, or a complex type)."""
    if isinstance(avro, list):
        members = [m for m in avro if m != "null"]
        nullable = len(members) < len(avro)
        if len(members) == 1:
            found = json_type(members[0])
        elif not members:
            return {"type": "null"}
        else:
            found = {"anyOf": [json_type(m) for m in members]}
        return _nullable(found) if nullable else found
    if isinstance(avro, str):
        if avro in _PRIMITIVES:
            return {"type": _PRIMITIVES[avro]}
        return {}  # a named type defined elsewhere: anything
    if not isinstance(avro, dict):
        msg = f"not an Avro type: {avro!r}"
        raise SchemaError(msg)
    kind = avro.get("type")
    logical = avro.get("logicalType")
    if logical in _LOGICAL_FORMATS and isinstance(kind, str):
        form = _LOGICAL_FORMATS[logical]
        return {"type": "string", "format": form} if form else {"type": "string"}
    if logical == "decimal":
        return {"type": "number"}
    if kind == "array":
        return {"type": "array", "items": json_type(avro.get("items"))}
    if kind == "map":
        return {"type": "object", "additionalProperties": json_type(avro.get("values"))}
    if kind == "record":
        return {"type": "object", "properties": _fields(avro)}
    if kind in ("enum", "fixed"):
        return {"type": "string"}
    return json_type(kind)


def _fields(record: dict[str, Any]) -> dict[str, JsonSchema]:
    fields = record.get("fields")
    if not isinstance(fields, list):
        msg = f"record {record.get('name')!r} has no fields"
        raise SchemaError(msg)
    properties: dict[str, JsonSchema] = {}
    for item in fields:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            msg = f"a field of {record.get('name')!r} has no name"
            raise SchemaError(msg)
        prop = json_type(item.get("type"))
        doc = item.get("doc")
        if isinstance(doc, str) and doc.strip():
            prop["description"] = doc.strip()
        properties[item["name"]] = prop
    return properties


def record_schema(writer: dict[str, Any]) -> JsonSchema:
    """The record schema of an event type's writer schema; `id` required (the key)."""
    if not isinstance(writer, dict) or writer.get("type") != "record":
        msg = "the writer schema is not a record"
        raise SchemaError(msg)
    properties = _fields(writer)
    if KEY not in properties:
        msg = f"the writer schema {writer.get('name')!r} has no {KEY!r} field"
        raise SchemaError(msg)
    properties[KEY] = {k: v for k, v in properties[KEY].items() if k != "type"}
    properties[KEY]["type"] = "string"
    return {"type": "object", "properties": properties, "required": [KEY]}


def personal_fields(schema: JsonSchema) -> frozenset[str]:
    """The fields of a record schema that hold personal data (see the module docstring)."""
    return frozenset(
        name
        for name, prop in schema.get("properties", {}).items()
        if name in KNOWN_PERSONAL or PII_MARK in str(prop.get("description", ""))
    )


def _merge_types(a: JsonSchema, b: JsonSchema) -> JsonSchema:
    if a == b:
        return a
    if "anyOf" in a or "anyOf" in b:
        options = [*a.get("anyOf", [a]), *b.get("anyOf", [b])]
        unique: list[JsonSchema] = []
        for option in options:
            if option not in unique:
                unique.append(option)
        return {"anyOf": unique}
    merged = {**b, **a}
    types = _types(a) + [t for t in _types(b) if t not in _types(a)]
    if types:
        merged["type"] = types[0] if len(types) == 1 else types
    if "items" in a and "items" in b:
        merged["items"] = _merge_types(a["items"], b["items"])
    if "properties" in a and "properties" in b:
        merged["properties"] = _merge_properties(a["properties"], b["properties"])
    return merged


def _merge_properties(a: dict[str, JsonSchema], b: dict[str, JsonSchema]) -> dict[str, JsonSchema]:
    merged = {name: copy.deepcopy(prop) for name, prop in a.items()}
    for name, prop in b.items():
        merged[name] = _merge_types(merged[name], prop) if name in merged else copy.deepcopy(prop)
    return merged


def merge_schemas(a: JsonSchema, b: JsonSchema) -> JsonSchema:
    """The union of two record schemas: every field of either (`a`'s first, in order),
    each allowing every type either side allows; `a`'s descriptions win."""
    merged = {**b, **a, "properties": _merge_properties(a["properties"], b["properties"])}
    required = [name for name in a.get("required", []) if name in b.get("required", [])]
    if required or "required" in merged:
        merged["required"] = required
    return merged


def widens(old: JsonSchema, new: JsonSchema) -> bool:
    """Whether the union of `old` and `new` says more than `old`."""
    return merge_schemas(old, new) != old
