"""How Braze names Currents files, read back: pure.

A key (relative to `currents_url`) is
`dataexport.<cluster>.<S3|AzureBlob|GCS>.integration.<id>/event_type=<type>/date=<YYYY-MM-DD-HH>/<schema-id>/<zone>/dataexport.<...>+<partition>+<offset>.avro`.
Braze warns that the naming may change, so the segments are found wherever they are:
`event_type=` and `date=` by name, the schema id as the first number after the date
(or a `version=<n>` segment). A key without `event_type=` takes its event type from the
file's writer schema (`event_type_of_schema`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

UTC = dt.timezone.utc
_HOUR_RE = re.compile(r"^\d{4}-\d{2}-\d{2}-\d{2}$")
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD_RE = re.compile(r"[^a-z0-9]+")
#: The writer schema's name before the event type: `dataexport.<store>.inner.`.
_SCHEMA_PREFIX_RE = re.compile(r"^dataexport\.[^.]+\.inner\.")


@dataclass(frozen=True)
class CurrentsKey:
    """What a file's key says: its event type (None: not in the key), the hour its
    events were queued (`YYYY-MM-DD-HH`, None: not in the key), its schema id."""

    key: str
    event_type: str | None
    hour: str | None
    schema_id: int | None

    @property
    def folder(self) -> str:
        """The key's folder (its event type folder for Braze's layout)."""
        return self.key.rpartition("/")[0]


def parse_key(key: str) -> CurrentsKey | None:
    """What the key of an Avro file says; None for anything else (`_SUCCESS`, a
    checksum, a folder marker)."""
    if not key.endswith(".avro"):
        return None
    event_type = hour = None
    schema_id = None
    segments = key.split("/")[:-1]
    for position, segment in enumerate(segments):
        name, sep, value = segment.partition("=")
        if sep and name == "event_type" and value:
            event_type = value
        elif sep and name == "date" and _HOUR_RE.match(value):
            hour = value
            for later in segments[position + 1 :]:
                number = later.removeprefix("version=")
                if number.isdigit():
                    schema_id = int(number)
                    break
    return CurrentsKey(key, event_type, hour, schema_id)


def event_type_of_schema(name: str) -> str:
    """The event type of a writer schema's full name
    (`dataexport.S3.inner.users.messages.email.Send` -> `users.messages.email.Send`)."""
    return _SCHEMA_PREFIX_RE.sub("", name)


def stream_name(event_type: str) -> str:
    """`currents_` + the event type without a leading `users.`, dots as underscores,
    CamelCase as snake_case, all lower case: `users.behaviors.app.SessionStart` ->
    `currents_behaviors_app_session_start`."""
    text = event_type.removeprefix("users.")
    words = [_CAMEL_RE.sub("_", part) for part in text.split(".")]
    snake = _NOT_WORD_RE.sub("_", "_".join(words).lower()).strip("_")
    return f"currents_{snake}"


def hour_of(instant: dt.datetime) -> str:
    """`YYYY-MM-DD-HH` of the UTC hour holding an aware instant."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d-%H")


def hour_start(hour: str) -> dt.datetime:
    """The UTC instant an hour folder's hour starts."""
    return dt.datetime.strptime(hour, "%Y-%m-%d-%H").replace(tzinfo=UTC)


def is_hour(text: object) -> bool:
    return isinstance(text, str) and bool(_HOUR_RE.match(text))
