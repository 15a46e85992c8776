"""The user exports' records: archives read line by line, schemas, and the personal-data
rule on a profile and on a suppression list's row."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.exports.archive import profiles
from tap_braze_dau.exports.records import (
    SUPPRESSION_PERSONAL,
    USER_PERSONAL,
    suppression_schema,
    users_schema,
)
from tap_braze_dau.personal_data import PersonalDataRule

KEY = b"k" * 32

PROFILE: dict[str, Any] = {
    "braze_id": "b1",
    "external_id": "u1",
    "email": " Ana@Example.COM ",
    "phone": "+15555550100",
    "first_name": "Ana",
    "last_name": "Lee",
    "dob": "1990-01-02",
    "home_city": "Lyon",
    "country": "FR",
    "created_at": "2020-07-10 15:00:00.000 UTC",
    "apps": [{"name": "App", "platform": "iOS", "sessions": "12"}],
    "devices": [{"model": "iPhone", "idfa": "AAAA", "device_id": "d1"}],
    "push_tokens": [{"app": "App", "token": "t1", "device_id": "d1"}],
    "user_aliases": [{"alias_name": "ana", "alias_label": "crm"}],
    "campaigns_received": [{"name": "c"}],
}


def lines(*records: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def test_a_zip_of_several_members_is_read_member_by_member(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("b.txt", lines({"braze_id": "3"}))
        archive.writestr("a.txt", lines({"braze_id": "1"}, {"braze_id": "2"}) + b"\n")
    assert [p["braze_id"] for p in profiles(path, "x")] == ["1", "2", "3"]


def test_gzip_and_plain_ndjson_are_read_too(tmp_path: Path) -> None:
    gz, plain = tmp_path / "a.gz", tmp_path / "a.json"
    gz.write_bytes(gzip.compress(lines({"braze_id": "1"})))
    plain.write_bytes(lines({"braze_id": "2"}))
    assert [p["braze_id"] for p in profiles(gz, "x")] == ["1"]
    assert [p["braze_id"] for p in profiles(plain, "x")] == ["2"]


@pytest.mark.parametrize("bad", [b"{not json\n", b"[1, 2]\n"])
def test_a_bad_line_names_the_file_member_and_line(tmp_path: Path, bad: bytes) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("part-1.json", lines({"braze_id": "1"}) + bad)
    with pytest.raises(BrazeDataError, match=r"segment s1: part-1\.json, line 2"):
        list(profiles(path, "segment s1"))


def test_a_profile_with_braze_s_contradictions_fits_the_schema() -> None:
    """`sessions` as a string of digits, `created_at` in the sample's format, fields
    beyond the documented ones: all valid."""
    record = {"segment_id": "s1", **PROFILE}
    jsonschema.validate(record, users_schema())
    record["apps"][0]["sessions"] = 12
    jsonschema.validate(record, users_schema())


def test_hash_hashes_each_personal_field_and_the_identifiers_inside_lists() -> None:
    rule = PersonalDataRule("hash", KEY)
    record = rule.apply(json.loads(json.dumps(PROFILE)), USER_PERSONAL)
    for name in ("external_id", "email", "phone", "first_name", "last_name", "dob", "home_city"):
        assert record[name] == rule.hash(PROFILE[name], name)
    assert record["email"] == rule.hash("ana@example.com", "email")
    assert record["devices"][0]["idfa"] == rule.hash("AAAA", "idfa")
    assert record["devices"][0]["model"] == "iPhone"
    assert record["push_tokens"][0]["token"] == rule.hash("t1", "token")
    assert record["user_aliases"][0]["alias_name"] == rule.hash("ana", "alias_name")
    assert record["braze_id"] == "b1"
    schema = rule.apply_to_schema(users_schema(), USER_PERSONAL)
    jsonschema.validate({"segment_id": "s1", **record}, schema)


def test_drop_removes_personal_fields_and_the_lists_that_identify_a_person() -> None:
    rule = PersonalDataRule("drop")
    record = rule.apply(json.loads(json.dumps(PROFILE)), USER_PERSONAL)
    assert set(record) == {"braze_id", "country", "created_at", "apps", "campaigns_received"}
    schema = rule.apply_to_schema(users_schema(), USER_PERSONAL)
    for name in ("email", "devices", "push_tokens", "user_aliases", "dob"):
        assert name not in schema["properties"]


def test_a_suppression_list_keeps_its_address_hashed_under_drop() -> None:
    """Its key: a suppression list without its address is useless; its hash joins the
    users' hashed email."""
    rule = PersonalDataRule("drop", KEY)
    row = rule.apply({"email": "ANA@example.com", "hard_bounced_at": "x"}, SUPPRESSION_PERSONAL)
    assert row["email"] == PersonalDataRule("hash", KEY).hash(" ana@example.com", "email")
    schema = rule.apply_to_schema(
        suppression_schema("hard_bounced_at", "When."), SUPPRESSION_PERSONAL
    )
    assert schema["properties"]["email"]["type"] == "string"
    assert "email" in schema["required"]
