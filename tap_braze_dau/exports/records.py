"""What the user-level exports' records hold, and which of their fields are personal.

A user profile is typed where Braze's docs are consistent, and kept as sent where they
contradict themselves: `created_at` comes in two formats (a string either way),
`apps[].sessions` is a number or a string of digits (a number stays a number), `gender`
has more values than the schema says. Every field Braze sends beyond the documented ones
is kept (`additionalProperties`). Fields with nothing in them are left out by Braze.
"""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

from tap_braze_dau.personal_data import PersonalFields

#: The fields of the docs' table of `fields_to_export` for /users/export/segment: what
#: `users_fields_to_export` asks for unless set. Fields that appear only in Braze's sample
#: output (`campaigns_received`, `push_opted_in_at`, ...) are kept when they come, not
#: asked for.
EXPORTABLE_FIELDS = (
    "apps",
    "attributed_campaign",
    "attributed_source",
    "attributed_adgroup",
    "attributed_ad",
    "braze_id",
    "country",
    "created_at",
    "created_from",
    "custom_attributes",
    "custom_events",
    "devices",
    "dob",
    "email",
    "email_subscribe",
    "external_id",
    "first_name",
    "gender",
    "home_city",
    "language",
    "last_coordinates",
    "last_name",
    "phone",
    "purchases",
    "push_subscribe",
    "push_tokens",
    "random_bucket",
    "time_zone",
    "total_revenue",
    "uninstalled_at",
    "user_aliases",
)

_STRING = th.StringType
_INT = th.IntegerType
_NUMBER = th.NumberType


def _object(*properties: th.Property[Any]) -> th.ObjectType:
    return th.ObjectType(*properties, additional_properties=True)


_COUNTS = th.ArrayType(
    _object(
        th.Property("name", _STRING),
        th.Property("first", _STRING),
        th.Property("last", _STRING),
        th.Property("count", _INT),
    )
)
USER_FIELDS: dict[str, tuple[Any, str]] = {
    "apps": (
        th.ArrayType(
            _object(
                th.Property("name", _STRING),
                th.Property("platform", _STRING),
                th.Property("version", _STRING),
                th.Property(
                    "sessions",
                    th.CustomType({"type": ["integer", "string"]}),
                    description="A number, or as Braze sent it (a string of digits).",
                ),
                th.Property("first_used", _STRING),
                th.Property("last_used", _STRING),
            )
        ),
        "The apps the user used.",
    ),
    "attributed_campaign": (_STRING, "Install attribution: campaign."),
    "attributed_source": (_STRING, "Install attribution: source."),
    "attributed_adgroup": (_STRING, "Install attribution: ad group."),
    "attributed_ad": (_STRING, "Install attribution: ad."),
    "country": (_STRING, "ISO 3166-1 alpha-2 country."),
    "created_at": (_STRING, "When the profile was created, as Braze wrote it (two formats)."),
    "created_from": (_STRING, "How the profile was created (SDK, REST API, CSV import, ...)."),
    "custom_attributes": (th.ObjectType(additional_properties=True), "Custom attributes."),
    "custom_events": (_COUNTS, "Custom events: first (all time), last, count (all time)."),
    "devices": (th.ArrayType(th.ObjectType(additional_properties=True)), "The user's devices."),
    "dob": (_STRING, "Date of birth, YYYY-MM-DD."),
    "email": (_STRING, "Email address."),
    "email_subscribe": (_STRING, "opted_in, subscribed or unsubscribed."),
    "external_id": (_STRING, "The user's external id."),
    "first_name": (_STRING, "First name."),
    "gender": (_STRING, "M, F, O, N, P or nil."),
    "home_city": (_STRING, "Home city."),
    "language": (_STRING, "ISO 639-1 language."),
    "last_coordinates": (th.ArrayType(_NUMBER), "The last known coordinates."),
    "last_name": (_STRING, "Last name."),
    "phone": (_STRING, "Phone number, as it was imported into Braze."),
    "purchases": (_COUNTS, "Purchases: first (all time), last, count (all time)."),
    "push_subscribe": (_STRING, "opted_in, subscribed or unsubscribed."),
    "push_tokens": (th.ArrayType(th.ObjectType(additional_properties=True)), "Push tokens."),
    "random_bucket": (_INT, "The user's random bucket number."),
    "time_zone": (_STRING, "Time zone, as Braze wrote it."),
    "total_revenue": (_NUMBER, "Total revenue."),
    "uninstalled_at": (_STRING, "When the app was uninstalled (absent if never)."),
    "user_aliases": (th.ArrayType(th.ObjectType(additional_properties=True)), "Aliases."),
    # In Braze's sample output, not in its table: kept when they come, never asked for.
    "campaigns_received": (
        th.ArrayType(th.ObjectType(additional_properties=True)),
        "Campaigns received in the last 90 days (Braze's sample output).",
    ),
    "canvases_received": (
        th.ArrayType(th.ObjectType(additional_properties=True)),
        "Canvases received in the last 90 days (Braze's sample output).",
    ),
    "cards_clicked": (
        th.ArrayType(th.ObjectType(additional_properties=True)),
        "Content Cards clicked (Braze's sample output).",
    ),
    "push_opted_in_at": (_STRING, "When the user opted in to push (Braze's sample output)."),
}


def users_schema() -> dict[str, Any]:
    """The record of the `users` stream: the segment, the profile's documented fields
    (typed), and whatever else Braze sends."""
    schema = th.PropertiesList(
        th.Property("segment_id", _STRING, required=True, description="The exported segment."),
        th.Property("braze_id", _STRING, required=True, description="Braze's id of the user."),
        *(th.Property(name, kind, description=text) for name, (kind, text) in USER_FIELDS.items()),
    ).to_dict()
    schema["additionalProperties"] = True
    return schema


#: A user's personal data: addresses, numbers, names, the date of birth, ids of the user,
#: and the lists that identify a device or a person (hashed inside, dropped whole).
USER_PERSONAL = PersonalFields(
    fields=frozenset(
        {"email", "phone", "external_id", "first_name", "last_name", "dob", "home_city"}
    ),
    within={
        "devices": frozenset({"device_id", "idfa", "idfv", "google_ad_id", "roku_ad_id"}),
        "push_tokens": frozenset({"token", "device_id"}),
        "user_aliases": frozenset({"alias_name"}),
    },
)
#: A suppression list's address: personal, and its key (hashed under `drop` too).
SUPPRESSION_PERSONAL = PersonalFields(fields=frozenset({"email"}), keys=frozenset({"email"}))


def suppression_schema(time_field: str, what: str) -> dict[str, Any]:
    return th.PropertiesList(
        th.Property("email", _STRING, required=True, description="The address."),
        th.Property(time_field, th.DateTimeType, required=True, description=what),
    ).to_dict()
