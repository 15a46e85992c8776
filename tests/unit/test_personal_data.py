"""The tap's one rule for personal data, on schemas and records: pure."""

from __future__ import annotations

import copy
import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.personal_data import PersonalDataRule, PersonalFields

KEY = b"a-hash-key-of-32-bytes-0123456789"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "email_address": {"type": "string", "description": "[PII] Email"},
        "external_user_id": {"type": ["string", "null"]},
        "count": {"type": ["integer", "null"]},
        "devices": {
            "type": ["array", "null"],
            "items": {"type": "object", "properties": {"device_id": {"type": "string"}}},
        },
    },
    "required": ["id", "email_address"],
}
PERSONAL = PersonalFields(
    fields=frozenset({"email_address", "external_user_id", "count"}),
    within={"devices": frozenset({"device_id"})},
)
RECORD: dict[str, Any] = {
    "id": "e1",
    "email_address": "  Ada@Example.COM ",
    "external_user_id": None,
    "count": 7,
    "devices": [{"device_id": "d-1", "model": "iPhone"}],
}


def expected_hash(text: str) -> str:
    return hmac.new(KEY, text.encode(), hashlib.sha256).hexdigest()


def test_keep_changes_nothing() -> None:
    rule = PersonalDataRule("keep")
    assert rule.apply(copy.deepcopy(RECORD), PERSONAL) == RECORD
    assert rule.apply_to_schema(SCHEMA, PERSONAL) == SCHEMA


def test_hash_makes_lower_case_hex_hmac_strings_and_normalises_emails() -> None:
    rule = PersonalDataRule("hash", KEY)
    record = rule.apply(copy.deepcopy(RECORD), PERSONAL)
    assert record["email_address"] == expected_hash("ada@example.com")
    assert record["external_user_id"] is None
    assert record["count"] == expected_hash("7")
    assert record["devices"] == [{"device_id": expected_hash("d-1"), "model": "iPhone"}]
    assert record["id"] == "e1"
    schema = rule.apply_to_schema(SCHEMA, PERSONAL)
    assert schema["properties"]["count"]["type"] == ["string", "null"]
    assert schema["properties"]["email_address"]["type"] == "string"
    assert schema["properties"]["devices"]["items"]["properties"]["device_id"]["type"] == "string"
    assert SCHEMA["properties"]["count"]["type"] == ["integer", "null"]  # not changed in place


def test_drop_removes_the_fields_and_the_lists_that_identify_and_hashes_keys() -> None:
    rule = PersonalDataRule("drop", KEY)
    keyed = PersonalFields(
        fields=PERSONAL.fields, within=PERSONAL.within, keys=frozenset({"email_address"})
    )
    record = rule.apply(copy.deepcopy(RECORD), keyed)
    assert record == {"id": "e1", "email_address": expected_hash("ada@example.com")}
    schema = rule.apply_to_schema(SCHEMA, keyed)
    assert set(schema["properties"]) == {"id", "email_address"}
    assert schema["required"] == ["id", "email_address"]


@given(st.emails(), st.sampled_from(["", " ", "\t"]))
def test_one_address_hashes_alike_whoever_wrote_it(address: str, space: str) -> None:
    rule = PersonalDataRule("hash", KEY)
    variants = {address, address.upper(), f"{space}{address.lower()}{space}"}
    assert len({rule.hash(v, "email") for v in variants}) == 1


@pytest.mark.parametrize("mode", ["hash", "drop"])
def test_the_key_is_never_in_a_rule_s_repr(mode: str) -> None:
    rule = PersonalDataRule(mode, KEY)  # type: ignore[arg-type]
    assert KEY.decode() not in repr(rule)
