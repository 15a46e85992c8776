"""The tap's one rule for personal data (`pii`): keep it, hash it, or drop it.

Every stream that carries personal data (Currents' events, the user exports and the
suppression lists) declares which of its fields are personal (`PersonalFields`) and
applies the one `PersonalDataRule` the settings make, to its schema and to each record:

- `keep` (the default): records as Braze sent them;
- `hash`: each personal value becomes the lower-case hex HMAC-SHA-256 of its text under
  `pii_hash_key`, a string (null stays null). Equal values give equal hashes, so joins
  across streams still work; an email is trimmed and lower-cased first, so one address
  hashes alike in every stream, whoever wrote it in capitals;
- `drop`: personal fields are absent from SCHEMA and RECORD, lists that identify a
  person or a device (a user's `devices`, `push_tokens`, `user_aliases`) go whole, and a
  key field is hashed instead (a suppression list without its address is useless, but a
  warehouse may keep its hash).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

PiiMode = Literal["keep", "hash", "drop"]
PII_MODES: tuple[PiiMode, ...] = ("keep", "hash", "drop")


def is_email_field(name: str) -> bool:
    """A field whose values are email addresses (normalised before hashing)."""
    return "email" in name.lower()


@dataclass(frozen=True)
class PersonalFields:
    """Which fields of a stream's records are personal data.

    `fields`: top-level fields whose values are personal; `within`: list fields whose
    items (objects) hold personal fields (`{"devices": {"device_id", "idfa"}}`): those
    are hashed under `hash`, and under `drop` the whole list goes; `keys`: key fields,
    hashed under `drop` as under `hash`, since a record needs its key."""

    fields: frozenset[str] = frozenset()
    within: Mapping[str, frozenset[str]] = field(default_factory=dict)
    keys: frozenset[str] = frozenset()

    @property
    def names(self) -> frozenset[str]:
        """Every top-level field the rule may touch."""
        return self.fields | frozenset(self.within) | self.keys


def _text(value: object) -> str:
    """The text a value is hashed as: a string as it is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class PersonalDataRule:
    """`mode` and, for hashing, the secret `key` (never shown)."""

    mode: PiiMode = "keep"
    key: bytes = field(default=b"", repr=False)

    def hash(self, value: object, name: str) -> str | None:
        """The hash of one value of field `name` (None stays None)."""
        if value is None:
            return None
        text = _text(value)
        if is_email_field(name):
            text = text.strip().lower()
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def _hash_value(self, value: object, name: str) -> object:
        if isinstance(value, list):
            return [self.hash(item, name) for item in value]
        return self.hash(value, name)

    # -- records ------------------------------------------------------------------------

    def apply(self, record: dict[str, Any], personal: PersonalFields) -> dict[str, Any]:
        """`record` with the rule applied (changed in place, and returned)."""
        if self.mode == "keep":
            return record
        for name in personal.keys:
            if name in record:
                record[name] = self._hash_value(record[name], name)
        if self.mode == "drop":
            for name in personal.fields | frozenset(personal.within):
                if name not in personal.keys:
                    record.pop(name, None)
            return record
        for name in personal.fields - personal.keys:
            if name in record:
                record[name] = self._hash_value(record[name], name)
        for name, inner in personal.within.items():
            items = record.get(name)
            if isinstance(items, list):
                for item in items:
                    if isinstance(item, dict):
                        for sub in inner & item.keys():
                            item[sub] = self._hash_value(item[sub], sub)
        return record

    # -- schemas ------------------------------------------------------------------------

    def apply_to_schema(self, schema: dict[str, Any], personal: PersonalFields) -> dict[str, Any]:
        """A copy of a record schema with the rule applied: hashed fields are strings
        (nullable where they were), dropped ones are gone."""
        if self.mode == "keep":
            return schema
        schema = copy.deepcopy(schema)
        properties: dict[str, Any] = schema.get("properties", {})
        hashed = set(personal.keys)
        if self.mode == "drop":
            for name in (personal.fields | frozenset(personal.within)) - personal.keys:
                properties.pop(name, None)
                if name in schema.get("required", []):
                    schema["required"].remove(name)
        else:
            hashed |= personal.fields
            for name, inner in personal.within.items():
                items = properties.get(name, {}).get("items", {})
                for sub in inner & items.get("properties", {}).keys():
                    items["properties"][sub] = _hashed_schema(items["properties"][sub])
        for name in hashed & properties.keys():
            properties[name] = _hashed_schema(properties[name])
        return schema


def _hashed_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """The schema of a hashed field: a string (a list of them, for a list), nullable
    where the original was."""
    types = prop.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    nullable = "null" in types or "anyOf" in prop
    described = {k: v for k, v in prop.items() if k == "description"}
    note = "HMAC-SHA-256 of the value (pii: hash)."
    text = described.get("description", "")
    described["description"] = text if note in text else f"{text} {note}".strip()
    if "array" in types:
        item: dict[str, Any] = {"type": ["string", "null"]}
        return {"type": ["array", "null"] if nullable else "array", "items": item, **described}
    return {"type": ["string", "null"] if nullable else "string", **described}
