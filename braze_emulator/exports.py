"""User-level data the export endpoints serve: user profiles (POST /users/export/segment),
email suppression lists, Content Blocks and email templates, and generators of many users
and suppressions for the tests and the benchmark.

A profile is a dict as Braze exports it: only non-empty fields are present ("a missing
field should be assumed null or empty"), and it keeps the contradictions of Braze's own
samples (see `many_users`). `exported_profile` cuts one down to the fields an export asked
for, plus the fields Braze's sample output carries unasked (`SAMPLE_ONLY_FIELDS`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

UTC = dt.timezone.utc

#: The valid `fields_to_export` of /users/export/segment, in the order of Braze's table.
EXPORTABLE_FIELDS: tuple[str, ...] = (
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
    "external_id",
    "first_name",
    "last_name",
    "home_city",
    "gender",
    "language",
    "last_coordinates",
    "phone",
    "purchases",
    "push_subscribe",
    "email_subscribe",
    "push_tokens",
    "random_bucket",
    "time_zone",
    "total_revenue",
    "uninstalled_at",
    "user_aliases",
)
#: Fields of Braze's sample output that its table does not list: exported whenever a
#: profile has them, asked for or not (they cannot be asked for).
SAMPLE_ONLY_FIELDS: tuple[str, ...] = (
    "push_opted_in_at",
    "cards_clicked",
    "campaigns_received",
    "canvases_received",
)
#: `output_format` values: a ZIP (the default) or, for a bucket, gzip.
OUTPUT_FORMATS = ("zip", "gzip")


@dataclass(frozen=True)
class ContentBlock:
    """A Content Block (its id is its key in `BrazeEmulator.content_blocks`).

    Instants are aware (naive ones are taken as UTC); a `deleted` block is left out of
    `/content_blocks/list` and refused by `/content_blocks/info`.
    """

    name: str
    content: str
    created_at: dt.datetime
    last_edited: dt.datetime
    content_type: str = "html"
    tags: tuple[str, ...] = ()
    description: str = ""
    deleted: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", utc(self.created_at))
        object.__setattr__(self, "last_edited", utc(self.last_edited))
        object.__setattr__(self, "tags", tuple(self.tags))


@dataclass(frozen=True)
class EmailTemplate:
    """An email template (its id is its key in `BrazeEmulator.email_templates`).

    A `drag_and_drop` one is listed, but `/templates/email/info` refuses it. `preheader`
    and `should_inline_css` go into its info as they are; its `plaintext_body` is `body`
    without the tags.
    """

    template_name: str
    subject: str
    body: str
    created_at: dt.datetime
    updated_at: dt.datetime
    tags: tuple[str, ...] = ()
    description: str = ""
    drag_and_drop: bool = False
    preheader: str = ""
    should_inline_css: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", utc(self.created_at))
        object.__setattr__(self, "updated_at", utc(self.updated_at))
        object.__setattr__(self, "tags", tuple(self.tags))


def utc(instant: dt.datetime) -> dt.datetime:
    """An instant in UTC (a naive one is taken as UTC)."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def exported_profile(
    profile: dict[str, Any],
    fields: Collection[str],
    custom_attributes: Collection[str] | None = None,
) -> dict[str, Any]:
    """What an export writes of a profile: the fields asked for that it has, in its own
    order, plus the sample-only fields it has. Without `custom_attributes` in `fields`,
    `custom_attributes` (names from `custom_attributes_to_export`) keeps only those
    attributes, and is left out if it has none of them."""
    exported: dict[str, Any] = {}
    for key, value in profile.items():
        if key in fields or key in SAMPLE_ONLY_FIELDS:
            exported[key] = value
        elif key == "custom_attributes" and custom_attributes:
            chosen = {name: v for name, v in value.items() if name in custom_attributes}
            if chosen:
                exported[key] = chosen
    return exported


# -- generators ------------------------------------------------------------------------------

_FIRST_NAMES = ("Ada", "José", "Mei", "Olu", "Zoë", "Liam", "Priya", "Sven", "Amélie", "Kenji")
_LAST_NAMES = ("Lovelace", "García", "Chen", "Adeyemi", "Müller", "Smith", "O'Brien", "Nakamura")
_PLACES = (
    ("US", "Chicago", "America/Chicago", "en"),
    ("US", "New York", "America/New_York", "en"),
    ("FR", "Paris", "Europe/Paris", "fr"),
    ("DE", "Berlin", "Europe/Berlin", "de"),
    ("JP", "Tokyo", "Asia/Tokyo", "ja"),
    ("BR", "São Paulo", "America/Sao_Paulo", "pt"),
    ("IN", "Mumbai", "Asia/Kolkata", "hi"),
)
#: Time zones as Braze's sample writes them (Rails names), not IANA as its table says.
_RAILS_ZONES = ("Eastern Time (US & Canada)", "Pacific Time (US & Canada)", "London")
_GENDERS = ("M", "F", "O", "N", "P")
_SUBSCRIPTIONS = ("opted_in", "subscribed", "unsubscribed")
_CAMPAIGNS = ("Spring sale", "Welcome series", "Win-back", "Black Friday")
_EVENTS = ("signup", "added_to_cart", "level_up", "shared")
_PRODUCTS = ("sku-gold", "sku-silver", "coins-100")
_APPS = (("MyApp iOS", "iOS", "9.1.0"), ("MyApp Android", "Android", "9.0.3"), ("Web", "Web", "2"))
_ORIGINS = ("SDK", "REST API", "CSV import")


class _QuickRandom(random.Random):
    """`randrange` and `choice` from one float each: about four times faster than the
    exact ones, and plenty for made-up profiles (200,000 of them in the benchmark)."""

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def choice(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]


def _hex(*parts: object, size: int = 8) -> str:
    text = "|".join(str(p) for p in parts)
    return hashlib.blake2b(text.encode(), digest_size=size).hexdigest()


def user_email(seed: int, number: int) -> str:
    """The address of user `number` of a seed, as a suppression list holds it (lower case);
    `many_users` writes it with other cases and sometimes with spaces around it."""
    return f"user{seed}.{number}@example.com"


def _instant(rng: random.Random, first: dt.datetime, seconds: int) -> dt.datetime:
    return first + dt.timedelta(seconds=int(rng.random() * seconds))


def _z(instant: dt.datetime) -> str:
    """2020-07-10T15:00:00.000Z, as Braze's samples write event instants."""
    return instant.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


_EPOCH = dt.datetime(2019, 1, 1, tzinfo=UTC)
_SPAN = 5 * 365 * 86_400  # instants of the generated profiles: 2019 to 2023


def _user(seed: int, number: int, segment_id: str) -> dict[str, Any]:
    rng = _QuickRandom(seed * 1_000_003 + number)
    roll = rng.random
    created = _instant(rng, _EPOCH, _SPAN)
    country, city, zone, language = rng.choice(_PLACES)
    profile: dict[str, Any] = {}
    if roll() < 0.97:  # alias-only users have no external id
        profile["external_id"] = f"{segment_id}-{seed}-{number:07d}"
    if roll() < 0.3:
        profile["user_aliases"] = [
            {"alias_name": f"crm-{_hex(seed, number, 'alias')}", "alias_label": "crm_id"}
        ]
    profile["braze_id"] = _hex(seed, segment_id, "braze") + f"{number:08x}"
    if roll() < 0.95:
        profile["first_name"] = rng.choice(_FIRST_NAMES)
    if roll() < 0.9:
        profile["last_name"] = rng.choice(_LAST_NAMES)
    if roll() < 0.95:
        email = user_email(seed, number)
        style = roll()
        if style < 0.25:
            email = email.capitalize().replace("example.com", "Example.com")
        elif style < 0.35:
            email = f" {email} "
        elif style < 0.4:
            email = email.upper()
        profile["email"] = email
    if roll() < 0.7:
        profile["dob"] = f"{rng.randrange(1950, 2008)}-{rng.randrange(1, 13):02d}-" + (
            f"{rng.randrange(1, 29):02d}"
        )
    if roll() < 0.8:
        profile["home_city"] = city
    profile["country"] = country
    if roll() < 0.6:
        digits = f"{rng.randrange(200, 999)}555{rng.randrange(10_000):04d}"
        profile["phone"] = (
            f"+1{digits}" if roll() < 0.7 else f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
        )
    profile["language"] = language
    profile["time_zone"] = rng.choice(_RAILS_ZONES) if roll() < 0.25 else zone
    if roll() < 0.6:
        profile["last_coordinates"] = [
            round(rng.uniform(-60, 60), 4),
            round(rng.uniform(-150, 150), 4),
        ]
    if roll() < 0.85:
        profile["gender"] = rng.choice(_GENDERS)
    profile["total_revenue"] = round(rng.random() * 500, 2) if roll() < 0.4 else 0.0
    if roll() < 0.3:
        profile["attributed_campaign"] = rng.choice(_CAMPAIGNS)
        profile["attributed_source"] = rng.choice(("facebook", "google", "tiktok"))
        profile["attributed_adgroup"] = f"adgroup-{rng.randrange(20)}"
        profile["attributed_ad"] = f"ad-{rng.randrange(100)}"
    profile["push_subscribe"] = rng.choice(_SUBSCRIPTIONS)
    profile["email_subscribe"] = rng.choice(_SUBSCRIPTIONS)
    # value types are kept: a string of digits stays a string, a number a number
    attributes: dict[str, Any] = {"loyalty_id": str(rng.randrange(100, 1000))}
    attributes["visits"] = rng.randrange(1, 500)
    if roll() < 0.5:
        attributes["plan"] = rng.choice(("free", "gold", "platinum"))
        attributes["score"] = round(rng.random() * 10, 3)
        attributes["beta_tester"] = roll() < 0.5
        attributes["favorite_colors"] = rng.sample(("red", "green", "blue", "black"), 2)
    profile["custom_attributes"] = attributes
    if roll() < 0.8:
        profile["custom_events"] = [
            _counted(rng, name, created) for name in rng.sample(_EVENTS, rng.randrange(1, 3))
        ]
    if roll() < 0.3:
        profile["purchases"] = [_counted(rng, rng.choice(_PRODUCTS), created)]
    devices, tokens, apps = _devices(rng, seed, number, created)
    if devices:
        profile["devices"] = devices
    if tokens:
        profile["push_tokens"] = tokens
    if apps:
        profile["apps"] = apps
    if roll() < 0.3:
        profile["campaigns_received"] = [
            {
                "name": rng.choice(_CAMPAIGNS),
                "last_received": _z(_instant(rng, created, 86_400 * 200)),
                "engaged": {"opened_email": roll() < 0.5},
                "converted": roll() < 0.2,
                "api_campaign_id": _hex(seed, number, "campaign", size=16),
                "variation_name": "Variant 1",
                "variation_api_id": _hex(seed, number, "variation", size=16),
                "in_control": False,
            }
        ]
    if roll() < 0.2:
        profile["canvases_received"] = [
            {
                "name": "Onboarding",
                "api_canvas_id": _hex(seed, number, "canvas", size=16),
                "last_received_message": _z(_instant(rng, created, 86_400 * 200)),
                "last_entered": _z(_instant(rng, created, 86_400 * 200)),
                "variation_name": "Variant 1",
                "in_control": False,
                "steps_received": [
                    {
                        "name": "Step 1",
                        "api_canvas_step_id": _hex(seed, number, "step", size=16),
                        "last_received": _z(_instant(rng, created, 86_400 * 200)),
                    }
                ],
            }
        ]
    if roll() < 0.2:
        profile["cards_clicked"] = [{"name": "Loyalty card"}]
    if tokens and roll() < 0.5:
        profile["push_opted_in_at"] = _z(_instant(rng, created, 86_400 * 30))
    profile["random_bucket"] = rng.randrange(10_000)
    # the table says ISO 8601, the sample "2020-07-10 15:00:00.000 UTC": both occur
    if roll() < 0.5:
        profile["created_at"] = _z(created).replace("T", " ").replace("Z", " UTC")
    else:
        profile["created_at"] = _z(created)
    profile["created_from"] = rng.choice(_ORIGINS)
    if roll() < 0.1:
        profile["uninstalled_at"] = _z(_instant(rng, created, 86_400 * 300))
    return profile


def _counted(rng: random.Random, name: str, created: dt.datetime) -> dict[str, Any]:
    first = _instant(rng, created, 86_400 * 100)
    last = _instant(rng, first, 86_400 * 200)
    return {"name": name, "first": _z(first), "last": _z(last), "count": rng.randrange(1, 90)}


def _devices(
    rng: random.Random, seed: int, number: int, created: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """A user's devices, push tokens and apps (0 to 2 of each, matching each other)."""
    devices: list[dict[str, Any]] = []
    tokens: list[dict[str, Any]] = []
    apps: list[dict[str, Any]] = []
    for n in range(rng.choice((0, 1, 1, 1, 2))):
        name, platform, version = rng.choice(_APPS)
        device_id = _hex(seed, number, "device", n, size=16)
        device: dict[str, Any] = {
            "model": {"iOS": "iPhone 15", "Android": "Pixel 8"}.get(platform, "Chrome 120"),
            "os": {"iOS": "iOS 17.2", "Android": "Android 14"}.get(platform, "Mac OS X"),
            "carrier": rng.choice(("Verizon", "Orange", "Vodafone")),
        }
        if platform == "iOS":
            device["idfv"] = _hex(seed, number, "idfv", n, size=16).upper()
            if rng.random() < 0.4:
                device["idfa"] = _hex(seed, number, "idfa", n, size=16).upper()
        device["device_id"] = device_id
        if platform == "Android" and rng.random() < 0.5:
            device["google_ad_id"] = _hex(seed, number, "gaid", n, size=16)
        if platform == "Web" and rng.random() < 0.2:
            device["roku_ad_id"] = _hex(seed, number, "roku", n, size=16)
        device["ad_tracking_enabled"] = rng.random() < 0.6
        devices.append(device)
        if platform != "Web" and rng.random() < 0.7:
            tokens.append(
                {
                    "app": name,
                    "platform": platform,
                    "token": _hex(seed, number, "token", n, size=32),
                    "device_id": device_id,
                    "notifications_enabled": rng.random() < 0.8,
                }
            )
        first_used = _instant(rng, created, 86_400 * 10)
        sessions = rng.randrange(1, 2_000)
        apps.append(
            {
                "name": name,
                "platform": platform,
                "version": version,
                # an integer in the schema and the sample, a string in the table: both occur
                "sessions": sessions if rng.random() < 0.6 else str(sessions),
                "first_used": _z(first_used),
                "last_used": _z(_instant(rng, first_used, 86_400 * 300)),
            }
        )
    return devices, tokens, apps


def many_users(count: int, *, seed: int = 0, segment_id: str = "seg-all") -> list[dict[str, Any]]:
    """`count` deterministic profiles (the first n are the same for any larger count).

    Every field of Braze's table occurs, with the contradictions of its samples:
    `created_at` as "2020-07-10 15:00:00.000 UTC" or as "2020-07-10T15:00:00.000Z",
    `apps[].sessions` an integer or a string of digits, `time_zone` an IANA name or a
    Rails one ("Eastern Time (US & Canada)"), `gender` M, F, O, N or P, custom attributes
    "321" (a string) beside 107 (a number), optional fields left out at random, and the
    sample-only `push_opted_in_at`, `cards_clicked`, `campaigns_received` and
    `canvases_received` in some
    profiles. `segment_id` goes into the ids (`braze_id`, `external_id`), so segments built
    with different ids hold different users; emails come from the seed and the user's
    number only (`user_email`): they meet `many_suppressions(..., seed=seed)`'s addresses.
    """
    return [_user(seed, number, segment_id) for number in range(count)]


def many_suppressions(
    count: int, first: dt.datetime, last: dt.datetime, *, seed: int = 0, salt: int = 0
) -> list[tuple[str, dt.datetime]]:
    """`count` deterministic (email, instant) pairs, instants (whole seconds, UTC) spread
    over [first, last], sorted by instant; some share an instant (ties). The addresses are
    distinct, in lower case, those of `many_users(4 * count, seed=seed)`'s users (a random
    quarter of them); `salt` draws another set from the same addresses (e.g. unsubscribes
    beside hard bounces)."""
    rng = random.Random(f"suppressions|{seed}|{salt}")
    start, end = utc(first).replace(microsecond=0), utc(last)
    seconds = max(0, int((end - start).total_seconds()))
    numbers = rng.sample(range(4 * count), count)
    pairs: list[tuple[str, dt.datetime]] = []
    for number in numbers:
        if pairs and rng.random() < 0.05:
            instant = pairs[-1][1]  # a tie
        else:
            instant = start + dt.timedelta(seconds=rng.randint(0, seconds))
        pairs.append((user_email(seed, number), instant))
    pairs.sort(key=lambda pair: (pair[1], pair[0]))
    return pairs
