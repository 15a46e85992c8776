"""Avro writer schemas as record schemas, and their union: pure."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from braze_emulator.currents import EVENT_TYPES, writer_schema
from tap_braze_dau.currents.avro_schema import (
    SchemaError,
    json_type,
    merge_schemas,
    personal_fields,
    record_schema,
    widens,
)


@pytest.mark.parametrize(
    ("avro", "expected"),
    [
        ("string", {"type": "string"}),
        ("int", {"type": "integer"}),
        ("long", {"type": "integer"}),
        ("float", {"type": "number"}),
        ("double", {"type": "number"}),
        ("boolean", {"type": "boolean"}),
        (["null", "string"], {"type": ["string", "null"]}),
        (["null", "int"], {"type": ["integer", "null"]}),
        (
            ["null", {"type": "array", "items": ["null", "string"]}],
            {"type": ["array", "null"], "items": {"type": ["string", "null"]}},
        ),
        (
            {"type": "map", "values": "long"},
            {"type": "object", "additionalProperties": {"type": "integer"}},
        ),
        ({"type": "enum", "name": "E", "symbols": ["a"]}, {"type": "string"}),
        (
            {"type": "long", "logicalType": "timestamp-millis"},
            {"type": "string", "format": "date-time"},
        ),
        (["string", "int"], {"anyOf": [{"type": "string"}, {"type": "integer"}]}),
    ],
)
def test_avro_types_as_json_schema(avro: Any, expected: dict[str, Any]) -> None:
    assert json_type(avro) == expected


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_field_under_brazes_name_with_its_doc_and_the_key_required(event_type: str) -> None:
    writer = writer_schema(event_type)
    schema = record_schema(writer)
    assert list(schema["properties"]) == [f["name"] for f in writer["fields"]]
    assert schema["required"] == ["id"]
    for avro_field in writer["fields"]:
        prop = schema["properties"][avro_field["name"]]
        assert prop["description"] == avro_field["doc"]
        nullable = isinstance(avro_field["type"], list)
        assert ("null" in prop["type"]) == nullable
    marked = {f["name"] for f in writer["fields"] if "[PII]" in f["doc"]}
    assert marked <= personal_fields(schema)


def test_fields_braze_leaves_unmarked_are_personal_too() -> None:
    schema = record_schema(writer_schema("users.behaviors.CustomEvent"))
    assert "device_id" in personal_fields(schema)
    assert "name" not in personal_fields(schema)


def test_a_writer_schema_without_id_or_fields_is_refused() -> None:
    with pytest.raises(SchemaError, match="no 'id'"):
        record_schema({"type": "record", "name": "X", "fields": [{"name": "a", "type": "int"}]})
    with pytest.raises(SchemaError, match="not a record"):
        record_schema({"type": "string"})


AVRO_TYPES = st.sampled_from(["string", "int", "long", "float", "boolean"])
FIELDS = st.dictionaries(
    st.sampled_from(["id", "a", "b", "c", "d", "e"]),
    st.tuples(AVRO_TYPES, st.booleans()),
    min_size=0,
    max_size=6,
)


def schema_of(fields: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    avro = [
        {"name": name, "type": ["null", kind] if nullable else kind}
        for name, (kind, nullable) in fields.items()
        if name != "id"
    ]
    return record_schema(
        {"type": "record", "name": "T", "fields": [{"name": "id", "type": "string"}, *avro]}
    )


def types_of(schema: dict[str, Any], name: str) -> set[str]:
    declared = schema["properties"][name]["type"]
    return {declared} if isinstance(declared, str) else set(declared)


@given(FIELDS, FIELDS)
def test_the_union_holds_every_field_and_type_of_both_and_never_narrows(
    a_fields: dict[str, tuple[str, bool]], b_fields: dict[str, tuple[str, bool]]
) -> None:
    a, b = schema_of(a_fields), schema_of(b_fields)
    merged = merge_schemas(a, b)
    assert set(merged["properties"]) == set(a["properties"]) | set(b["properties"])
    assert list(merged["properties"])[: len(a["properties"])] == list(a["properties"])
    for name in merged["properties"]:
        for side in (a, b):
            if name in side["properties"]:
                assert types_of(side, name) <= types_of(merged, name)
    assert merge_schemas(merged, a) == merged  # idempotent: nothing more to add
    assert merge_schemas(merged, b) == merged
    assert not widens(merged, a)
    assert widens(a, b) == (merged != a)
    assert merged["required"] == ["id"]


def test_a_field_braze_adds_widens_the_schema() -> None:
    old = record_schema(writer_schema("users.messages.email.Send", 1))
    new = record_schema(writer_schema("users.messages.email.Send", 2))
    assert widens(old, new)
    merged = merge_schemas(old, new)
    assert "from_domain" in merged["properties"]
    assert not widens(merged, old)
