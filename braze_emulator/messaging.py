"""Campaigns and Canvases: what their lists and details say, and their daily stats.

A campaign sends from its `first_sent` to its `last_sent` (instants; their days in the
workspace zone) and keeps converting for `conversion_tail_days` days after its last send
day; a Canvas likewise from `first_entry` to `last_entry`. `/campaigns/data_series` and
`/canvas/data_series` have a row for each day of that active range (never after "today")
and none outside it. Within the range, sends (entries) happen on the send days only; the
tail days carry late opens, clicks and conversions, decaying.

Values are a deterministic function of (id, variation or step, channel, day, metric), so a
test computes what an answer holds (`campaign_rows`, `canvas_rows`). Ids of variations,
Canvas variants, steps and messages are UUIDs derived from the campaign's or Canvas' id.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)
PUSH_CHANNELS = ("ios_push", "android_push", "web_push", "kindle_push")
IN_APP_CHANNELS = ("in_app_message", "trigger_in_app_message")
#: The channels a campaign or a Canvas step may use (their stats differ, see `channel_stats`).
CHANNELS = ("email", *PUSH_CHANNELS, "sms", "webhook", "content_cards", *IN_APP_CHANNELS)
#: A row's (and a variation's) conversion counts: events A to D, by day and by send time.
CONVERSION_FIELDS = tuple(
    f"conversions{n}{suffix}" for n in ("", "1", "2", "3") for suffix in ("", "_by_send_time")
)
_NAMESPACE = uuid.UUID("6f1d5d7e-3b0a-4c59-9a55-0c1d2e3f4a5b")
_WEEKLY = (1.0, 1.03, 1.04, 1.02, 0.97, 0.78, 0.72)
# Conversion events A..D: (behavior, its window in days at most, share of the audience)
_BEHAVIORS = (
    ("Makes Any Purchase", None, (0.01, 0.04)),
    ("Starts Session", 3, (0.05, 0.2)),
    ("Performs Custom Event", 7, (0.005, 0.02)),
    ("Clicks Email", 1, (0.02, 0.06)),
)


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


def _between(low: float, high: float, *parts: object) -> float:
    """A deterministic number in [low, high] for these parts."""
    return low + (high - low) * (_crc("|".join(str(p) for p in parts)) % 10_000) / 9_999


def _money(amount: float) -> float:
    """An amount with cents, as a float (e.g. 1234.56)."""
    return round(int(amount * 100) / 100, 2)


def _utc(instant: dt.datetime | None) -> dt.datetime | None:
    """An instant in UTC (a naive one is taken as UTC)."""
    if instant is None:
        return None
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def iso(instant: dt.datetime | None) -> str | None:
    """How Braze writes an instant here: UTC with its offset, to the second
    (2024-03-01T14:03:00+00:00); None stays None (never sent, never entered)."""
    value = _utc(instant)
    return None if value is None else value.isoformat(timespec="seconds")


def api_id(*parts: object) -> str:
    """A UUID derived from its parts: the id of a variation, a variant, a step, a message."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(str(p) for p in parts)))


def _span(
    first: dt.datetime | None, last: dt.datetime | None, what: str
) -> tuple[dt.datetime | None, dt.datetime | None]:
    first, last = _utc(first), _utc(last)
    if first is None:
        if last is not None:
            msg = f"last_{what} without first_{what}"
            raise ValueError(msg)
        return None, None
    if last is None:
        return first, first  # a single send (entry)
    if last < first:
        msg = f"last_{what} {last} is before first_{what} {first}"
        raise ValueError(msg)
    return first, last


def _check(name: str, channels: tuple[str, ...], tail: int, **counts: int) -> None:
    if not channels:
        msg = f"{name}: at least one channel"
        raise ValueError(msg)
    unknown = set(channels) - set(CHANNELS)
    if unknown:
        msg = f"{name}: unknown channels {sorted(unknown)}; known: {list(CHANNELS)}"
        raise ValueError(msg)
    if tail < 0:
        msg = f"{name}: conversion_tail_days must be at least 0"
        raise ValueError(msg)
    for what, count in counts.items():
        if count < 1:
            msg = f"{name}: {what} must be at least 1"
            raise ValueError(msg)


def _created(first: dt.datetime | None, created: dt.datetime | None) -> dt.datetime:
    """Created two days before the first send (entry), or 2024-01-01 09:00 UTC if never."""
    given = _utc(created)
    if given is not None:
        return given
    if first is not None:
        return first - 2 * DAY
    return dt.datetime(2024, 1, 1, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Campaign:
    """A campaign: `Campaign("Welcome", first_sent=..., last_sent=...)`.

    first_sent, last_sent: the first and last send (None: never sent, no stats at all;
    last_sent None with a first_sent: a single send); naive instants are UTC.
    channels: its messaging channels (a multichannel campaign has several); variations:
    its message variations (2 or 3: multivariate), each sent on every channel;
    control_group: a control group besides them (`enrolled`, conversions, no sends).
    archived: left out of `/campaigns/list` unless `include_archived=true`.
    schedule_type: None is "api_triggered" for an API campaign, else "date".
    created_at (None: two days before the first send, or 2024-01-01 09:00 UTC),
    last_edited (None: an hour after created_at): the list's order and `last_edited`.
    conversion_tail_days: days after the last send day that still have stats (late
    conversions). extra: fields added to its `/campaigns/details` answer, last (an unknown
    field, or a documented one overridden).
    """

    name: str
    first_sent: dt.datetime | None = None
    last_sent: dt.datetime | None = None
    channels: tuple[str, ...] = ("email",)
    variations: int = 1
    control_group: bool = False
    archived: bool = False
    draft: bool = False
    is_api_campaign: bool = False
    tags: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    description: str = ""
    schedule_type: str | None = None
    created_at: dt.datetime | None = None
    last_edited: dt.datetime | None = None
    conversion_tail_days: int = 30
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self.name, self.channels, self.conversion_tail_days, variations=self.variations)
        first, last = _span(self.first_sent, self.last_sent, "sent")
        created = _created(first, self.created_at)
        edited = _utc(self.last_edited) or created + dt.timedelta(hours=1)
        schedule = self.schedule_type or ("api_triggered" if self.is_api_campaign else "date")
        for name, value in (
            ("first_sent", first),
            ("last_sent", last),
            ("created_at", created),
            ("last_edited", edited),
            ("schedule_type", schedule),
            ("channels", tuple(self.channels)),
            ("tags", tuple(self.tags)),
            ("teams", tuple(self.teams)),
        ):
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Canvas:
    """A Canvas: `Canvas("Onboarding", first_entry=..., last_entry=...)`.

    first_entry, last_entry: the first and last entry (None: never entered, no stats);
    variants: its variants (users split between them); steps: its steps, a chain, step n
    using channel `channels[n % len(channels)]`; enabled, draft, archived (left out of
    `/canvas/list` unless `include_archived=true`), created_at, last_edited,
    conversion_tail_days and extra as for `Campaign`.
    """

    name: str
    first_entry: dt.datetime | None = None
    last_entry: dt.datetime | None = None
    variants: int = 1
    steps: int = 3
    channels: tuple[str, ...] = ("email", "ios_push")
    archived: bool = False
    draft: bool = False
    enabled: bool = True
    tags: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    description: str = ""
    schedule_type: str = "date"
    created_at: dt.datetime | None = None
    last_edited: dt.datetime | None = None
    conversion_tail_days: int = 30
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(
            self.name,
            self.channels,
            self.conversion_tail_days,
            variants=self.variants,
            steps=self.steps,
        )
        first, last = _span(self.first_entry, self.last_entry, "entry")
        created = _created(first, self.created_at)
        edited = _utc(self.last_edited) or created + dt.timedelta(hours=1)
        for name, value in (
            ("first_entry", first),
            ("last_entry", last),
            ("created_at", created),
            ("last_edited", edited),
            ("channels", tuple(self.channels)),
            ("tags", tuple(self.tags)),
            ("teams", tuple(self.teams)),
        ):
            object.__setattr__(self, name, value)


Messaged = Campaign | Canvas


def created_at(item: Messaged) -> dt.datetime:
    """When it was created (filled in at construction)."""
    assert item.created_at is not None
    return item.created_at


def last_edited(item: Messaged) -> dt.datetime:
    """When it was last edited (filled in at construction)."""
    assert item.last_edited is not None
    return item.last_edited


def _bounds(item: Messaged) -> tuple[dt.datetime | None, dt.datetime | None]:
    if isinstance(item, Campaign):
        return item.first_sent, item.last_sent
    return item.first_entry, item.last_entry


def active_range(item: Messaged, zone: ZoneInfo) -> tuple[dt.date, dt.date, dt.date] | None:
    """(first send day, last send day, last day with stats) in the workspace zone; None for
    one never sent (never entered). "Today" is not applied."""
    first, last = _bounds(item)
    if first is None or last is None:
        return None
    last_day = last.astimezone(zone).date()
    return first.astimezone(zone).date(), last_day, last_day + item.conversion_tail_days * DAY


def _days(
    item: Messaged, first: dt.date, last: dt.date, zone: ZoneInfo, today: dt.date
) -> list[tuple[dt.date, int]]:
    """The days of [first, last] with stats, each with its age: days since the last send
    (entry) day, 0 on a send day."""
    active = active_range(item, zone)
    if active is None:
        return []
    start, last_send, end = active
    day, stop = max(first, start), min(last, end, today)
    days: list[tuple[dt.date, int]] = []
    while day <= stop:
        days.append((day, max(0, (day - last_send).days)))
        day += DAY
    return days


# -- list items and details -----------------------------------------------------------------


def list_item(item_id: str, item: Messaged) -> dict[str, Any]:
    """An item of `/campaigns/list` or `/canvas/list`."""
    if isinstance(item, Campaign):
        return {
            "id": item_id,
            "last_edited": iso(item.last_edited),
            "name": item.name,
            "is_api_campaign": item.is_api_campaign,
            "tags": list(item.tags),
        }
    return {
        "id": item_id,
        "last_edited": iso(item.last_edited),
        "name": item.name,
        "tags": list(item.tags),
    }


def _message(channel: str, name: str, title: str) -> dict[str, Any]:
    """A message of `messages` in the details: its channel's fields."""
    message: dict[str, Any] = {"channel": channel, "name": name}
    text = f"{title}: {name}"
    if channel == "email":
        message.update(
            {
                "subject": text,
                "body": f"<html><body><h1>{title}</h1></body></html>",
                "from": "Example <news@example.com>",
                "reply_to": "support@example.com",
                "title": title,
                "extras": [],
                "preheader": "",
            }
        )
    elif channel in PUSH_CHANNELS:
        message.update(
            {
                "alert": text,
                "title": title,
                "extras": {},
                "action": None,
                "image_url": None,
                "large_image_url": None,
            }
        )
    elif channel == "sms":
        message.update(
            {
                "body": text,
                "from": ["+15555550100"],
                "subscription_group_id": api_id("sms", title),
            }
        )
    elif channel == "webhook":
        message.update(
            {
                "url": "https://hooks.example.com/braze",
                "body": "{}",
                "type": "application/json",
                "headers": {},
                "method": "POST",
            }
        )
    elif channel in IN_APP_CHANNELS:
        message.update({"type": "modal", "message": text})
    return message


def _behaviors(channels: tuple[str, ...], tail: int) -> list[dict[str, Any]]:
    """Conversion events A..D: A's window is the whole tail, the others' at most theirs."""
    behaviors: list[dict[str, Any]] = []
    for kind, days, _ in _BEHAVIORS:
        window = tail if days is None else min(days, tail)
        behavior: dict[str, Any] = {"type": kind, "window": window * 86_400}
        if kind == "Clicks Email" and "email" not in channels:
            behavior["type"] = "Upgrades App"
        if behavior["type"] in {"Starts Session", "Upgrades App"}:
            behavior["app_ids"] = None
        if kind == "Performs Custom Event":
            behavior["custom_event_name"] = "signup"
        behaviors.append(behavior)
    return behaviors


def variation_id(campaign_id: str, variation: int, channel: str) -> str:
    """The API id of a campaign's message of a variation (from 1; 0: the control group) on a
    channel: a key of the details' `messages`, the stats' `variation_api_id`."""
    return api_id(campaign_id, "variation", variation, channel)


def variant_id(canvas_id: str, variant: int) -> str:
    """The API id of a Canvas variant (from 1)."""
    return api_id(canvas_id, "variant", variant)


def step_id(canvas_id: str, step: int) -> str:
    """The API id of a Canvas step (from 0)."""
    return api_id(canvas_id, "step", step)


def _step_channel(canvas: Canvas, step: int) -> str:
    return canvas.channels[step % len(canvas.channels)]


def campaign_details(campaign_id: str, campaign: Campaign) -> dict[str, Any]:
    """The answer of `/campaigns/details` for a campaign."""
    messages: dict[str, dict[str, Any]] = {}
    for variation in range(1, campaign.variations + 1):
        for channel in campaign.channels:
            messages[variation_id(campaign_id, variation, channel)] = _message(
                channel, f"Variant {variation}", campaign.name
            )
    if campaign.control_group:
        channel = campaign.channels[0]
        messages[variation_id(campaign_id, 0, channel)] = {
            "channel": channel,
            "name": "Control Group",
            "type": "control",
        }
    body: dict[str, Any] = {
        "message": "success",
        "created_at": iso(campaign.created_at),
        "updated_at": iso(campaign.last_edited),
        "archived": campaign.archived,
        "draft": campaign.draft,
        "enabled": not (campaign.archived or campaign.draft),
        "has_post_launch_draft": False,
        "name": campaign.name,
        "description": campaign.description,
        "schedule_type": campaign.schedule_type,
        "channels": list(campaign.channels),
        "first_sent": iso(campaign.first_sent),
        "last_sent": iso(campaign.last_sent),
        "tags": list(campaign.tags),
        "teams": list(campaign.teams),
        "messages": messages,
        "conversion_behaviors": _behaviors(campaign.channels, campaign.conversion_tail_days),
    }
    body.update(campaign.extra)
    return body


def canvas_details(canvas_id: str, canvas: Canvas) -> dict[str, Any]:
    """The answer of `/canvas/details` for a Canvas."""
    first_step = step_id(canvas_id, 0)
    steps: list[dict[str, Any]] = []
    for step in range(canvas.steps):
        channel = _step_channel(canvas, step)
        following = [step_id(canvas_id, step + 1)] if step + 1 < canvas.steps else []
        steps.append(
            {
                "name": f"Step {step + 1}",
                "type": "message",
                "id": step_id(canvas_id, step),
                "next_step_ids": following,
                "next_paths": [{"name": None, "next_step_id": s} for s in following],
                "channels": [channel],
                "messages": {
                    api_id(canvas_id, "message", step, channel): _message(
                        channel, f"Step {step + 1}", canvas.name
                    )
                },
            }
        )
    body: dict[str, Any] = {
        "message": "success",
        "created_at": iso(canvas.created_at),
        "updated_at": iso(canvas.last_edited),
        "name": canvas.name,
        "description": canvas.description,
        "archived": canvas.archived,
        "draft": canvas.draft,
        "enabled": canvas.enabled,
        "schedule_type": canvas.schedule_type,
        "first_entry": iso(canvas.first_entry),
        "last_entry": iso(canvas.last_entry),
        "channels": sorted({_step_channel(canvas, step) for step in range(canvas.steps)}),
        "variants": [
            {
                "name": f"Variant {variant}",
                "id": variant_id(canvas_id, variant),
                "first_step_ids": [first_step],
                "first_step_id": first_step,
                "first_entry": iso(canvas.first_entry),
                "last_entry": iso(canvas.last_entry),
            }
            for variant in range(1, canvas.variants + 1)
        ],
        "tags": list(canvas.tags),
        "teams": list(canvas.teams),
        "steps": steps,
    }
    body.update(canvas.extra)
    return body


# -- stats ----------------------------------------------------------------------------------


def channel_stats(channel: str, sent: int, echo: float, tag: str) -> dict[str, int]:
    """One message's stats on a day: `sent` that day, `echo` the engagement volume of
    earlier sends on a day without any (late opens and clicks). Push messages carry the
    dynamic keys `notif_button_[NUM]_[TITLE]_click` (Android: `carousel_slide_...` too);
    in-app messages count `impressions`, not sends."""
    volume = float(sent) if sent else echo

    def part(of: float, low: float, high: float, metric: str) -> int:
        return int(of * _between(low, high, tag, metric))

    if channel == "email":
        delivered = part(sent, 0.93, 0.99, "delivered")
        unique_opens = part(volume, 0.15, 0.35, "unique_opens")
        unique_clicks = part(unique_opens, 0.05, 0.2, "unique_clicks")
        return {
            "sent": sent,
            "opens": unique_opens + part(unique_opens, 0.1, 0.6, "opens"),
            "unique_opens": unique_opens,
            "clicks": unique_clicks + part(unique_clicks, 0.1, 0.5, "clicks"),
            "unique_clicks": unique_clicks,
            "unsubscribes": part(volume, 0.001, 0.005, "unsubscribes"),
            "bounces": part(sent - delivered, 0.3, 0.9, "bounces"),
            "delivered": delivered,
            "reported_spam": part(volume, 0.0, 0.0008, "reported_spam"),
        }
    if channel in PUSH_CHANNELS:
        direct = part(volume, 0.02, 0.08, "direct_opens")
        stats = {
            "sent": sent,
            "direct_opens": direct,
            "total_opens": direct + part(volume, 0.01, 0.05, "total_opens"),
            "bounces": part(sent, 0.001, 0.02, "bounces"),
            "body_clicks": part(volume, 0.01, 0.05, "body_clicks"),
            "notif_button_1_Ok_click": part(volume, 0.003, 0.015, "button_1"),
            "notif_button_2_Later_click": part(volume, 0.001, 0.008, "button_2"),
        }
        if channel == "android_push":
            stats["carousel_slide_1_Title_click"] = part(volume, 0.002, 0.01, "slide_1")
            stats["carousel_slide_2_Title_click"] = part(volume, 0.001, 0.006, "slide_2")
        return stats
    if channel == "sms":
        delivered = part(sent, 0.9, 0.99, "delivered")
        failed = part(sent - delivered, 0.2, 0.6, "delivery_failed")
        return {
            "sent": sent,
            "delivered": delivered,
            "undelivered": sent - delivered - failed,
            "delivery_failed": failed,
        }
    if channel == "webhook":
        return {"sent": sent, "errors": part(sent, 0.0, 0.01, "errors")}
    if channel == "content_cards":
        impressions = part(volume, 0.3, 0.8, "total_impressions")
        clicks = part(impressions, 0.02, 0.1, "total_clicks")
        dismissals = part(impressions, 0.05, 0.2, "total_dismissals")
        return {
            "sent": sent,
            "total_clicks": clicks,
            "total_dismissals": dismissals,
            "total_impressions": impressions,
            "unique_clicks": part(clicks, 0.7, 0.95, "unique_clicks"),
            "unique_dismissals": part(dismissals, 0.8, 1.0, "unique_dismissals"),
            "unique_impressions": part(impressions, 0.6, 0.9, "unique_impressions"),
        }
    # in-app messages: shown to the day's audience only
    impressions = part(sent, 0.4, 0.9, "impressions")
    clicks = part(impressions, 0.03, 0.12, "clicks")
    return {
        "impressions": impressions,
        "clicks": clicks,
        "first_button_clicks": part(clicks, 0.4, 0.7, "first_button_clicks"),
        "second_button_clicks": part(clicks, 0.1, 0.3, "second_button_clicks"),
    }


def _decay(age: int, tail: int) -> float:
    return math.exp(-age / max(1.0, tail / 4))


def _echo(typical: float, age: int) -> float:
    """Engagement of earlier sends on a day `age` days after the last send day."""
    return 0.0 if age == 0 else typical * 0.3 * 0.5 ** (age - 1)


def _conversions(
    sent: int, typical: float, age: int, tail: int, aov: float, tag: str
) -> dict[str, Any]:
    """An entry's revenue, unique recipients and conversions A..D on a day."""
    counts: dict[str, int] = {}
    for n, (_, days, (low, high)) in enumerate(_BEHAVIORS):
        name = "conversions" + (str(n) if n else "")
        window = tail if days is None else min(days, tail)
        rate = _between(low, high, tag, name)
        base = sent if sent else typical
        converted = 0.0 if age > window else base * rate * _decay(age, tail)
        counts[name] = int(converted * _between(0.85, 1.15, tag, name, "noise"))
        counts[name + "_by_send_time"] = int(sent * rate * _between(1.0, 1.6, tag, name, "late"))
    revenue = _money(counts["conversions"] * aov * _between(0.7, 1.3, tag, "revenue"))
    unique = int(sent * _between(0.95, 1.0, tag, "unique_recipients"))
    return {"revenue": revenue, "unique_recipients": unique, **counts}


def _audience(owner_id: str, share: int, of: int, day: dt.date, sending: bool) -> float:
    """How many users one variation (variant) of a campaign (Canvas) reaches on a day,
    (its typical level, and the day's own when `sending`)."""
    level = 200 + _crc(f"audience|{owner_id}") % 20_000
    typical = level * _between(0.8, 1.2, owner_id, "share", share) / of
    if not sending:
        return typical
    return typical * _WEEKLY[day.weekday()] * _between(0.85, 1.15, owner_id, share, day)


def _aov(owner_id: str) -> float:
    return 5 + 80 * _between(0.0, 1.0, owner_id, "aov")


def campaign_row(campaign_id: str, campaign: Campaign, day: dt.date, age: int) -> dict[str, Any]:
    """A campaign's stats row of a day `age` days after its last send day (0: a send day)."""
    sending = age == 0
    tail = campaign.conversion_tail_days
    aov = _aov(campaign_id)
    messages: dict[str, list[dict[str, Any]]] = {}
    totals: dict[str, Any] = dict.fromkeys(CONVERSION_FIELDS, 0)
    revenue = 0.0
    recipients = 0
    for variation in range(1, campaign.variations + 1):
        typical = _audience(campaign_id, variation, campaign.variations, day, sending=False)
        audience = _audience(campaign_id, variation, campaign.variations, day, sending)
        recipients += int(audience) if sending else 0
        for channel in campaign.channels:
            reach = _between(0.6, 1.0, campaign_id, channel, "reach")
            sent = int(audience * reach) if sending else 0
            tag = f"{campaign_id}|{variation}|{channel}|{day}"
            entry: dict[str, Any] = {
                "variation_api_id": variation_id(campaign_id, variation, channel),
                "variation_name": f"Variant {variation}",
            }
            entry.update(channel_stats(channel, sent, _echo(typical * reach, age), tag))
            entry.update(_conversions(sent, typical * reach, age, tail, aov, tag))
            for name in CONVERSION_FIELDS:
                totals[name] += entry[name]
            revenue += entry["revenue"]
            messages.setdefault(channel, []).append(entry)
    if campaign.control_group:
        channel = campaign.channels[0]
        typical = _audience(campaign_id, 0, campaign.variations, day, sending=False) * 0.1
        enrolled = int(_audience(campaign_id, 0, campaign.variations, day, sending) * 0.1)
        enrolled = enrolled if sending else 0
        tag = f"{campaign_id}|control|{day}"
        control: dict[str, Any] = {
            "variation_api_id": variation_id(campaign_id, 0, channel),
            "variation_name": "Control Group",
        }
        control.update(_conversions(enrolled, typical, age, tail, aov, tag))
        control["unique_recipients"] = 0
        control["enrolled"] = enrolled
        messages[channel].append(control)
    return {
        "time": day.isoformat(),
        "messages": messages,
        **totals,
        "unique_recipients": recipients,
        "revenue": round(revenue, 2),
    }


def campaign_rows(
    campaign_id: str,
    campaign: Campaign,
    first: dt.date,
    last: dt.date,
    zone: ZoneInfo,
    today: dt.date,
) -> list[dict[str, Any]]:
    """`/campaigns/data_series`' rows for [first, last]: the days of the active range."""
    return [
        campaign_row(campaign_id, campaign, day, age)
        for day, age in _days(campaign, first, last, zone, today)
    ]


def canvas_row(
    canvas_id: str,
    canvas: Canvas,
    day: dt.date,
    age: int,
    *,
    variants: bool = False,
    steps: bool = False,
) -> dict[str, Any]:
    """A Canvas' stats of a day `age` days after its last entry day (0: an entry day), with
    `variant_stats` and `step_stats` if asked for."""
    entering = age == 0
    tail = canvas.conversion_tail_days
    aov = _aov(canvas_id)
    variant_stats: dict[str, dict[str, Any]] = {}
    typical_entries = 0.0
    for variant in range(1, canvas.variants + 1):
        typical = _audience(canvas_id, variant, canvas.variants, day, sending=False)
        typical_entries += typical
        entries = int(_audience(canvas_id, variant, canvas.variants, day, entering))
        entries = entries if entering else 0
        counts = _conversions(entries, typical, age, tail, aov, f"{canvas_id}|{variant}|{day}")
        variant_stats[variant_id(canvas_id, variant)] = {
            "name": f"Variant {variant}",
            "revenue": counts["revenue"],
            "conversions": counts["conversions"],
            "conversions_by_entry_time": counts["conversions_by_send_time"],
            "entries": entries,
        }
    total = {
        "revenue": round(sum(v["revenue"] for v in variant_stats.values()), 2),
        "conversions": sum(v["conversions"] for v in variant_stats.values()),
        "conversions_by_entry_time": sum(
            v["conversions_by_entry_time"] for v in variant_stats.values()
        ),
        "entries": sum(v["entries"] for v in variant_stats.values()),
    }
    row: dict[str, Any] = {"time": day.isoformat(), "total_stats": total}
    if variants:
        row["variant_stats"] = variant_stats
    if steps:
        step_stats: dict[str, dict[str, Any]] = {}
        for step in range(canvas.steps):
            channel = _step_channel(canvas, step)
            share = 0.85**step
            tag = f"{canvas_id}|step|{step}|{day}"
            sent = int(total["entries"] * share * _between(0.9, 1.0, tag, "reached"))
            typical = typical_entries * share
            counts = _conversions(sent, typical * 0.5, age, tail, aov, tag)
            step_stats[step_id(canvas_id, step)] = {
                "name": f"Step {step + 1}",
                "revenue": counts["revenue"],
                "conversions": counts["conversions"],
                "conversions_by_entry_time": counts["conversions_by_send_time"],
                "messages": {channel: [channel_stats(channel, sent, _echo(typical, age), tag)]},
            }
        row["step_stats"] = step_stats
    return row


def canvas_rows(
    canvas_id: str,
    canvas: Canvas,
    first: dt.date,
    last: dt.date,
    zone: ZoneInfo,
    today: dt.date,
    *,
    variants: bool = False,
    steps: bool = False,
) -> list[dict[str, Any]]:
    """`/canvas/data_series`' `stats` for [first, last]: the days of the active range."""
    return [
        canvas_row(canvas_id, canvas, day, age, variants=variants, steps=steps)
        for day, age in _days(canvas, first, last, zone, today)
    ]


# -- the workspace's campaigns and Canvases -------------------------------------------------


class Messaging:
    """The campaigns and Canvases, their lists' pages, and which are refused: `stale` (or
    `deleted` at construction): still listed, refused by details and data series;
    `delete`: refused and gone from the list as well."""

    def __init__(
        self,
        *,
        campaigns: Mapping[str, Campaign],
        canvases: Mapping[str, Canvas],
        deleted: Collection[str],
        page_sizes: Mapping[str, int],
    ) -> None:
        self.campaigns = dict(campaigns)
        self.canvases = dict(canvases)
        for kind, items, cls in (
            ("campaigns", self.campaigns, Campaign),
            ("canvases", self.canvases, Canvas),
        ):
            wrong = sorted(key for key, item in items.items() if not isinstance(item, cls))
            if wrong:
                msg = f"{kind} must map ids to {cls.__name__}s: {wrong}"
                raise TypeError(msg)
        self.page_sizes = page_sizes
        # Replaced, never mutated: request threads read them while a test deletes.
        self._refused = frozenset(deleted)
        self._gone: frozenset[str] = frozenset()

    def knows(self, value: str) -> bool:
        return value in self.campaigns or value in self.canvases

    def of(self, kind: str) -> Mapping[str, Messaged]:
        if kind == "campaigns":
            return self.campaigns
        if kind == "canvases":
            return self.canvases
        raise KeyError(kind)

    def delete(self, value: str) -> None:
        self._refused = self._refused | {value}
        self._gone = self._gone | {value}

    def stale(self, value: str) -> None:
        self._refused = self._refused | {value}

    def refused(self, value: str) -> bool:
        return value in self._refused

    def listed(
        self,
        kind: str,
        *,
        include_archived: bool = False,
        descending: bool = False,
        edited_after: dt.datetime | None = None,
    ) -> list[str]:
        """The ids a full read of the list returns, in its order: by creation time (ties
        by id), newest first if `descending`."""
        gone = self._gone
        items = self.of(kind)
        chosen = sorted(
            (created_at(item), item_id)
            for item_id, item in items.items()
            if item_id not in gone
            and (include_archived or not item.archived)
            and (edited_after is None or last_edited(item) > edited_after)
        )
        ids = [item_id for _, item_id in chosen]
        if descending:
            ids.reverse()
        return ids

    def page(
        self,
        kind: str,
        page: int,
        *,
        include_archived: bool = False,
        descending: bool = False,
        edited_after: dt.datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Page `page` (from 0) of `/campaigns/list` or `/canvas/list`; past the end, empty."""
        ids = self.listed(
            kind,
            include_archived=include_archived,
            descending=descending,
            edited_after=edited_after,
        )
        size = self.page_sizes[kind]
        items = self.of(kind)
        return [
            list_item(item_id, items[item_id]) for item_id in ids[page * size : (page + 1) * size]
        ]

    def problem(self, kind: str, value: str | None) -> tuple[int, str] | None:
        """How details and data series refuse an id (status, message), or None."""
        if value is None:
            return None
        if value not in self.of(kind) or self.refused(value):
            label = "Campaign" if kind == "campaigns" else "Canvas"
            return 400, f"{label} {value} not found"
        return None


# -- many of them, for a benchmark ----------------------------------------------------------

_THEMES = ("Welcome", "Winback", "Spring sale", "Newsletter", "Cart reminder", "Launch")
_TAGS = ("onboarding", "promo", "retention", "newsletter", "transactional")
_MIXES: tuple[tuple[str, ...], ...] = (
    ("email",),
    ("email",),
    ("ios_push",),
    ("android_push",),
    ("email", "ios_push"),
    ("ios_push", "android_push"),
    ("sms",),
    ("webhook",),
    ("content_cards",),
    ("in_app_message",),
)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _spread(
    rng: random.Random, first_day: dt.date, last_day: dt.date
) -> tuple[dt.datetime, dt.datetime, dt.datetime, int]:
    """A start, an end (mostly within days of it), a creation time and a tail."""
    span = (last_day - first_day).days + 1
    if span < 1:
        msg = f"last_day {last_day} is before first_day {first_day}"
        raise ValueError(msg)
    start_day = first_day + rng.randrange(span) * DAY
    start = dt.datetime.combine(start_day, dt.time(rng.randrange(6, 20), rng.randrange(60)), UTC)
    duration = rng.choice((0, 0, 0, 1, 2, 6, 13)) * DAY + dt.timedelta(hours=rng.randrange(4))
    end = min(start + duration, dt.datetime.combine(last_day, dt.time(23, 59), UTC))
    created = start - dt.timedelta(days=rng.randrange(1, 15), hours=rng.randrange(24))
    return start, end, created, rng.choice((7, 14, 30, 30, 30))


def many_campaigns(
    count: int, first_day: dt.date, last_day: dt.date, *, seed: int = 0
) -> dict[str, Campaign]:
    """`count` campaigns (UUID ids) whose sends start on days spread evenly over
    [first_day, last_day]: mostly one-day blasts, some over up to two weeks, each with a
    tail of 7 to 30 days, so about `count * 24 / days` campaigns have stats on a given day
    (750 over two years: a few dozen). About 8% never sent, 15% archived, 20% API
    campaigns; a third multichannel or multivariate. The same arguments, the same ones."""
    rng = random.Random(seed)
    campaigns: dict[str, Campaign] = {}
    for n in range(count):
        campaign_id = _uuid(rng)
        start, end, created, tail = _spread(rng, first_day, last_day)
        never = rng.random() < 0.08
        draft = never and rng.random() < 0.5
        api = rng.random() < 0.2
        campaigns[campaign_id] = Campaign(
            f"{rng.choice(_THEMES)} {n + 1:04d}",
            first_sent=None if never else start,
            last_sent=None if never else end,
            channels=rng.choice(_MIXES),
            variations=rng.choice((1, 1, 1, 2, 3)),
            control_group=rng.random() < 0.1,
            archived=rng.random() < 0.15,
            draft=draft,
            is_api_campaign=api,
            tags=tuple(rng.sample(_TAGS, rng.randrange(3))),
            schedule_type="api_triggered" if api else rng.choice(("date", "action_based")),
            created_at=created,
            last_edited=created + dt.timedelta(hours=rng.randrange(1, 48)),
            conversion_tail_days=tail,
        )
    return campaigns


def many_canvases(
    count: int, first_day: dt.date, last_day: dt.date, *, seed: int = 0
) -> dict[str, Canvas]:
    """`count` Canvases spread over [first_day, last_day] as `many_campaigns` spreads
    campaigns: 1 to 3 variants, 1 to 5 steps, about 8% never entered, 15% archived."""
    rng = random.Random(seed)
    canvases: dict[str, Canvas] = {}
    for n in range(count):
        canvas_id = _uuid(rng)
        start, end, created, tail = _spread(rng, first_day, last_day)
        never = rng.random() < 0.08
        canvases[canvas_id] = Canvas(
            f"{rng.choice(_THEMES)} journey {n + 1:04d}",
            first_entry=None if never else start,
            last_entry=None if never else end,
            variants=rng.choice((1, 1, 2, 3)),
            steps=rng.randrange(1, 6),
            channels=rng.choice(_MIXES),
            archived=rng.random() < 0.15,
            draft=never and rng.random() < 0.5,
            enabled=not never,
            tags=tuple(rng.sample(_TAGS, rng.randrange(3))),
            schedule_type=rng.choice(("date", "action_based", "api_triggered")),
            created_at=created,
            last_edited=created + dt.timedelta(hours=rng.randrange(1, 48)),
            conversion_tail_days=tail,
        )
    return canvases
