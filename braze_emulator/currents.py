"""Braze-shaped Currents trees: Avro files laid out as Braze writes them, for the tests,
`make demo` and the benchmark. The schemas are the project's own, written after the
fields Braze documents (its sample files may not be shipped).

A tree is files of events, keyed
`<integration>/event_type=<type>/date=<YYYY-MM-DD-HH>/<schema-id>/<zone>/<integration>+<partition>+<offset>.avro`,
with several event types, schema ids (the second adds fields), partitions, files an hour,
events repeated across files (Braze delivers at least once), late files (written into an
older hour folder after newer ones), events that happened before their hour (sent late by
an SDK), and the `null` or `deflate` codec. `CurrentsTree.events` is the truth: each event
once, by type and id. `write_folder` and `put_store` put a tree into a local folder or an
object store (an S3-compatible server, an Azure emulator), all at once or file by file.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro

UTC = dt.timezone.utc
INTEGRATION = "dataexport.prod-03.S3.integration.5f1e9c2a7b3d4e0012345678"

_COMMON = [
    ("id", "string", "Globally unique ID for this event"),
    ("user_id", "string", "[PII] Braze user ID of the user who performed this event"),
    ("external_user_id", ["null", "string"], "[PII] External ID of the user"),
    ("time", "int", "UNIX timestamp at which the event happened"),
]
_APP = [
    ("app_id", ["null", "string"], "API ID of the app on which this event occurred"),
    ("platform", ["null", "string"], "Platform of the device"),
    ("device_id", ["null", "string"], "[PII] ID of the device on which the event occurred"),
    ("app_group_id", ["null", "string"], "API ID of the app group this user belongs to"),
]
_MESSAGE = [
    ("timezone", ["null", "string"], "Time zone of the user"),
    ("campaign_id", ["null", "string"], "API ID of the campaign this event belongs to"),
    ("campaign_name", ["null", "string"], "Name of the campaign"),
    ("canvas_id", ["null", "string"], "API ID of the Canvas this event belongs to"),
    ("send_id", ["null", "string"], "Message send ID this message belongs to"),
    ("dispatch_id", ["null", "string"], "ID of the dispatch this message belongs to"),
]
#: event type -> (its fields, the fields its second schema adds)
EVENT_TYPES: Mapping[str, tuple[list[tuple[str, Any, str]], list[tuple[str, Any, str]]]] = {
    "users.messages.email.Send": (
        [
            *_COMMON,
            *_MESSAGE,
            ("email_address", "string", "[PII] Email address of the user"),
            ("ip_pool", ["null", "string"], "IP pool from which the email send was made"),
            ("message_extras", ["null", "string"], "[PII] Tagged key-value pairs, JSON"),
        ],
        [("from_domain", ["null", "string"], "Sending domain for the email")],
    ),
    "users.behaviors.CustomEvent": (
        [
            *_COMMON,
            *_APP,
            ("name", "string", "Name of the custom event"),
            ("properties", "string", "Custom properties stored as a JSON encoded string"),
            ("ad_id", ["null", "string"], "[PII] Advertising identifier"),
            ("ad_tracking_enabled", ["null", "boolean"], "Whether ad tracking is enabled"),
        ],
        [("os_version", ["null", "string"], "Version of the operating system")],
    ),
    "users.behaviors.app.SessionStart": (
        [*_COMMON, *_APP, ("session_id", "string", "ID of the session")],
        [("device_model", ["null", "string"], "Model of the device")],
    ),
    "users.behaviors.Purchase": (
        [
            *_COMMON,
            *_APP,
            ("product_id", "string", "ID of the product purchased"),
            ("price", "float", "Price of the purchase"),
            ("currency", "string", "Three letter alpha ISO 4217 currency code"),
            ("properties", "string", "Custom properties stored as a JSON encoded string"),
        ],
        [("quantity", ["null", "int"], "Number of items purchased")],
    ),
    "users.messages.pushnotification.IosForeground": (
        [*_COMMON, *_APP, *_MESSAGE, ("ad_id", ["null", "string"], "[PII] Advertising id")],
        [("message_variation_id", ["null", "string"], "API ID of the message variation")],
    ),
    "agentconsole.AgentExecuted": (
        [
            ("id", "string", "Globally unique ID for this event"),
            ("invocation_id", "string", "Globally unique id of the invocation"),
            ("time", "long", "UNIX timestamp at which the event happened"),
            ("duration", "int", "Milliseconds the agent ran"),
            ("agent_name", "string", "Name of the agent"),
            ("total_tokens", "int", "Tokens used"),
            ("cache_hit", "boolean", "Whether the answer came from the cache"),
            ("user_id", ["null", "string"], "[PII] Braze user ID of the user"),
            ("input", ["null", "string"], "[PII] What the agent was given"),
            ("output", ["null", "string"], "[PII] What the agent answered"),
        ],
        [("error", ["null", "string"], "The error, if the agent failed")],
    ),
}


def writer_schema(event_type: str, schema_id: int = 1, store: str = "S3") -> dict[str, Any]:
    """The Avro schema of an event type (`schema_id` 2 adds optional fields)."""
    fields, added = EVENT_TYPES[event_type]
    chosen = fields + (added if schema_id >= 2 else [])
    namespace, _, name = f"dataexport.{store}.inner.{event_type}".rpartition(".")
    return {
        "type": "record",
        "name": name,
        "namespace": namespace,
        "doc": f"a {event_type} event",
        "fields": [
            {"name": n, "type": t, "doc": d, **({"default": None} if isinstance(t, list) else {})}
            for n, t, d in chosen
        ],
    }


def _value(name: str, avro: Any, rng: random.Random, event_id: str, when: int) -> Any:
    kind = avro[1] if isinstance(avro, list) else avro
    if isinstance(avro, list) and rng.random() < 0.2:
        return None
    if name == "id":
        return event_id
    if name == "time":
        return when
    if name == "email_address":
        return f"User{rng.randrange(500)}@Example.com"
    if name in ("properties", "message_extras"):
        return '{"plan": "gold", "count": ' + str(rng.randrange(10)) + "}"
    if kind == "string":
        return f"{name}-{rng.randrange(1000)}"
    if kind in ("int", "long"):
        return rng.randrange(100_000)
    if kind in ("float", "double"):
        return round(rng.uniform(0, 100), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    return None


@dataclass
class CurrentsFile:
    """One file of a tree: its key, its bytes, and the ids of its events."""

    key: str
    content: bytes
    event_type: str
    hour: str
    ids: list[str] = field(default_factory=list)


@dataclass
class CurrentsTree:
    """Files in the order Braze wrote them, and every event once, by type and id."""

    files: list[CurrentsFile] = field(default_factory=list)
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def of(self, event_type: str) -> dict[str, dict[str, Any]]:
        return self.events.get(event_type, {})


def currents_tree(
    *,
    hours: Iterable[dt.datetime],
    event_types: Iterable[str] = ("users.messages.email.Send", "users.behaviors.CustomEvent"),
    files_per_hour: int = 2,
    events_per_file: int = 20,
    partitions: int = 2,
    codec: str = "deflate",
    schema_ids: Mapping[str, int] | None = None,
    new_schema_from: dt.datetime | None = None,
    duplicates: float = 0.05,
    late_files: int = 0,
    seed: int = 0,
    integration: str = INTEGRATION,
    prefix: str = "",
) -> CurrentsTree:
    """A tree (see the module docstring): per event type and hour, `files_per_hour`
    files of `events_per_file` events spread over `partitions`; from `new_schema_from` on
    the second schema id; a share `duplicates` of each file's events repeats an earlier
    file's; `late_files` extra files written last into the oldest hour folders."""
    rng = random.Random(seed)
    tree = CurrentsTree()
    offsets = [0] * partitions
    hour_list = sorted(hours)
    written: dict[str, list[dict[str, Any]]] = {}

    def make_file(event_type: str, hour: dt.datetime, partition: int) -> CurrentsFile:
        schema_id = (schema_ids or {}).get(event_type, 1)
        if new_schema_from is not None and hour >= new_schema_from:
            schema_id = max(schema_id, 2)
        schema = writer_schema(event_type, schema_id)
        events: list[dict[str, Any]] = []
        earlier = written.setdefault(event_type, [])
        for _ in range(events_per_file):
            if earlier and rng.random() < duplicates:
                events.append(dict(rng.choice(earlier)))
                continue
            event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            # some events happened before their hour: sent late by an SDK
            back = rng.choice((0, 0, 0, 0, 3600 * 5))
            when = int(hour.timestamp()) + rng.randrange(3600) - back
            event = {
                f["name"]: _value(f["name"], f["type"], rng, event_id, when)
                for f in schema["fields"]
            }
            events.append(event)
            earlier.append(event)
            tree.events.setdefault(event_type, {})[event_id] = event
        buffer = io.BytesIO()
        fastavro.writer(buffer, fastavro.parse_schema(schema), events, codec=codec)
        hour_text = hour.astimezone(UTC).strftime("%Y-%m-%d-%H")
        offset = offsets[partition]
        offsets[partition] += len(events)
        key = "/".join(
            part
            for part in (
                prefix.strip("/"),
                integration,
                f"event_type={event_type}",
                f"date={hour_text}",
                str(schema_id),
                "0",
                f"{integration}+{partition}+{offset}.avro",
            )
            if part
        )
        return CurrentsFile(
            key, buffer.getvalue(), event_type, hour_text, [e["id"] for e in events]
        )

    for hour in hour_list:
        for event_type in event_types:
            for n in range(files_per_hour):
                tree.files.append(make_file(event_type, hour, n % partitions))
    for n in range(late_files):
        event_type = list(event_types)[n % len(list(event_types))]
        tree.files.append(make_file(event_type, hour_list[n % len(hour_list)], n % partitions))
    return tree


def hours_between(first: dt.datetime, last: dt.datetime) -> list[dt.datetime]:
    """Every UTC hour from `first`'s to `last`'s."""
    hour = first.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    found = []
    while hour <= last:
        found.append(hour)
        hour += dt.timedelta(hours=1)
    return found


def write_folder(files: Iterable[CurrentsFile], folder: Path) -> None:
    """Write files into a local folder, as Braze would into a bucket."""
    for file in files:
        path = folder / file.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.content)


def put_store(files: Iterable[CurrentsFile], store: Any) -> None:
    """Put files into an obstore store (an S3-compatible server, an Azure emulator)."""
    import obstore  # the emulator's own dependency on it is only here

    for file in files:
        obstore.put(store, file.key, file.content)
