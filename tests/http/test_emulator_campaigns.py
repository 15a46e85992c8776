"""The emulator's campaign and Canvas endpoints (lists, details, data series) behave as
Braze documents them: the tap's campaign and Canvas streams stand on them."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from braze_emulator import (
    MESSAGING_STREAMS,
    BrazeEmulator,
    Campaign,
    Canvas,
    Fault,
    many_campaigns,
    many_canvases,
)
from braze_emulator.messaging import CONVERSION_FIELDS
from tests.helpers import ROOT

KEY = "emulator-campaigns-test-key"
TODAY = dt.date(2024, 12, 31)
UTC = dt.timezone.utc


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


CAMPAIGNS = {
    # multichannel, multivariate, a short tail, an unknown field in its details
    "camp-welcome": Campaign(
        "Welcome",
        first_sent=at(2024, 3, 1, 14, 3),
        last_sent=at(2024, 3, 5, 9),
        channels=("email", "ios_push"),
        variations=2,
        tags=("onboarding",),
        teams=("Growth",),
        conversion_tail_days=10,
        created_at=at(2024, 2, 1),
        extra={"surprise_field": {"nested": True}},
    ),
    # one send at 02:30 UTC: still April 9 in New York; three variations and a control
    "camp-promo": Campaign(
        "Spring promo",
        first_sent=at(2024, 4, 10, 2, 30),
        channels=("android_push",),
        variations=3,
        control_group=True,
        created_at=at(2024, 1, 15),
    ),
    "camp-api": Campaign(
        "Receipt",
        first_sent=at(2024, 5, 1),
        last_sent=at(2024, 8, 1),
        channels=("webhook", "sms"),
        is_api_campaign=True,
        created_at=at(2024, 3, 10),
    ),
    "camp-draft": Campaign("Draft", draft=True, created_at=at(2024, 6, 1)),  # never sent
    "camp-gone": Campaign("Gone", first_sent=at(2024, 7, 2), created_at=at(2024, 7, 1)),
    # still converting after today
    "camp-recent": Campaign(
        "Holidays",
        first_sent=at(2024, 12, 20, 15),
        last_sent=at(2024, 12, 30, 15),
        created_at=at(2024, 12, 1),
    ),
    "camp-archived": Campaign(
        "Old", first_sent=at(2023, 6, 1), archived=True, created_at=at(2023, 5, 1)
    ),
    # deleted between the list and the series request
    "camp-stale": Campaign("Stale", first_sent=at(2024, 9, 1), created_at=at(2024, 8, 20)),
}
CANVASES = {
    "cv-onboarding": Canvas(
        "Onboarding",
        first_entry=at(2024, 11, 1, 10),
        last_entry=at(2024, 11, 20, 10),
        variants=2,
        steps=3,
        channels=("email", "ios_push"),
        conversion_tail_days=5,
        tags=("journey",),
        created_at=at(2024, 10, 1),
        extra={"surprise_field": 7},
    ),
    "cv-never": Canvas("Never", draft=True, enabled=False, created_at=at(2024, 11, 15)),
    "cv-gone": Canvas(
        "Gone", first_entry=at(2024, 12, 1), last_entry=at(2024, 12, 10), created_at=at(2024, 12, 1)
    ),
    "cv-archived": Canvas(
        "Archived", first_entry=at(2023, 2, 1), archived=True, created_at=at(2023, 1, 1)
    ),
}
LISTED_CAMPAIGNS = [
    "camp-promo",
    "camp-welcome",
    "camp-api",
    "camp-draft",
    "camp-gone",
    "camp-stale",
    "camp-recent",
]


def get(
    braze: BrazeEmulator, path: str, key: str | None = KEY, /, **params: str | int
) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.get(f"{braze.url}{path}", params=params, headers=headers, timeout=10)


def emulator(**overrides: Any) -> BrazeEmulator:
    settings: dict[str, Any] = {
        "api_key": KEY,
        "apps": {"ios": dt.date(2023, 1, 1)},
        "workspace_tz": "America/New_York",
        "today": TODAY,
        "campaigns": CAMPAIGNS,
        "canvases": CANVASES,
        "deleted": ("camp-stale",),
    }
    settings.update(overrides)
    return BrazeEmulator(**settings)


@pytest.fixture
def braze() -> Iterator[BrazeEmulator]:
    with emulator() as b:
        yield b


def days(first: str, last: str) -> list[str]:
    day, end, found = dt.date.fromisoformat(first), dt.date.fromisoformat(last), []
    while day <= end:
        found.append(day.isoformat())
        day += dt.timedelta(days=1)
    return found


def read_pages(braze: BrazeEmulator, path: str, key: str, **params: str) -> list[list[str]]:
    pages: list[list[str]] = []
    for page in range(50):
        answer = get(braze, path, page=page, **params)
        assert answer.status_code == 200
        assert answer.json()["message"] == "success"
        pages.append([item["id"] for item in answer.json()[key]])
        if not pages[-1]:
            return pages
    raise AssertionError("no empty page")


# -- lists ----------------------------------------------------------------------------------


def test_campaign_list_pages_by_creation_time_without_archived_ones() -> None:
    with emulator(page_sizes={"campaigns": 2}) as braze:
        pages = read_pages(braze, "/campaigns/list", "campaigns")
        archived = read_pages(braze, "/campaigns/list", "campaigns", include_archived="true")
        descending = read_pages(braze, "/campaigns/list", "campaigns", sort_direction="desc")
        explicit = read_pages(
            braze, "/campaigns/list", "campaigns", include_archived="false", sort_direction="asc"
        )
        past_the_end = get(braze, "/campaigns/list", page=40).json()["campaigns"]
        first = get(braze, "/campaigns/list").json()["campaigns"]
    assert pages == [
        ["camp-promo", "camp-welcome"],
        ["camp-api", "camp-draft"],
        ["camp-gone", "camp-stale"],
        ["camp-recent"],
        [],
    ]
    assert [i for page in archived for i in page] == ["camp-archived", *LISTED_CAMPAIGNS]
    assert [i for page in descending for i in page] == LISTED_CAMPAIGNS[::-1]
    assert explicit == pages
    assert past_the_end == []
    assert braze.listed("campaigns") == LISTED_CAMPAIGNS
    assert braze.listed("campaigns", include_archived=True) == ["camp-archived", *LISTED_CAMPAIGNS]
    assert first[0] == {
        "id": "camp-promo",
        "last_edited": "2024-01-15T10:00:00+00:00",
        "name": "Spring promo",
        "is_api_campaign": False,
        "tags": [],
    }
    assert {r.stream for r in braze.requests} == {"campaigns"}


def test_campaign_list_default_page_size_is_100() -> None:
    campaigns = many_campaigns(201, dt.date(2024, 1, 1), dt.date(2024, 12, 31), seed=3)
    with emulator(campaigns=campaigns, deleted=()) as braze:
        pages = read_pages(braze, "/campaigns/list", "campaigns", include_archived="true")
    assert [len(page) for page in pages] == [100, 100, 1, 0]
    assert sorted(i for page in pages for i in page) == sorted(campaigns)


def test_canvas_list_pages_archived_and_sort() -> None:
    with emulator(page_sizes={"canvases": 2}) as braze:
        pages = read_pages(braze, "/canvas/list", "canvases")
        archived = read_pages(braze, "/canvas/list", "canvases", include_archived="true")
        descending = read_pages(
            braze, "/canvas/list", "canvases", sort_direction="desc", include_archived="TRUE"
        )
        item = get(braze, "/canvas/list").json()["canvases"][0]
    assert pages == [["cv-onboarding", "cv-never"], ["cv-gone"], []]
    assert archived == [["cv-archived", "cv-onboarding"], ["cv-never", "cv-gone"], []]
    assert [i for page in descending for i in page] == [
        "cv-gone",
        "cv-never",
        "cv-onboarding",
        "cv-archived",
    ]
    assert item == {
        "id": "cv-onboarding",
        "last_edited": "2024-10-01T10:00:00+00:00",
        "name": "Onboarding",
        "tags": ["journey"],
    }
    assert braze.listed("canvases") == ["cv-onboarding", "cv-never", "cv-gone"]
    assert {r.stream for r in braze.requests} == {"canvases"}


def test_lists_filter_on_last_edit_and_refuse_bad_parameters(braze: BrazeEmulator) -> None:
    edited = get(braze, "/campaigns/list", **{"last_edit.time[gt]": "2024-06-01T00:00:00"})
    assert [c["id"] for c in edited.json()["campaigns"]] == [
        "camp-draft",
        "camp-gone",
        "camp-stale",
        "camp-recent",
    ]
    canvases = get(braze, "/canvas/list", **{"last_edit.time[gt]": "2024-11-20T00:00:00Z"})
    assert [c["id"] for c in canvases.json()["canvases"]] == ["cv-gone"]
    for path in ("/campaigns/list", "/canvas/list"):
        for params in (
            {"include_archived": "yes"},
            {"sort_direction": "sideways"},
            {"page": "-1"},
            {"last_edit.time[gt]": "yesterday"},
        ):
            answer = get(braze, path, **params)
            assert answer.status_code == 400
            assert answer.json()["message"]


# -- details --------------------------------------------------------------------------------


def test_campaign_details_fields(braze: BrazeEmulator) -> None:
    answer = get(braze, "/campaigns/details", campaign_id="camp-welcome")
    assert answer.status_code == 200
    body = answer.json()
    assert {
        "message",
        "created_at",
        "updated_at",
        "archived",
        "draft",
        "name",
        "description",
        "schedule_type",
        "channels",
        "first_sent",
        "last_sent",
        "tags",
        "teams",
        "messages",
        "conversion_behaviors",
    } <= set(body)
    assert body["message"] == "success"
    assert body["first_sent"] == "2024-03-01T14:03:00+00:00"
    assert body["last_sent"] == "2024-03-05T09:00:00+00:00"
    assert body["created_at"] == "2024-02-01T09:00:00+00:00"
    assert (body["name"], body["archived"], body["draft"]) == ("Welcome", False, False)
    assert (body["channels"], body["tags"], body["teams"]) == (
        ["email", "ios_push"],
        ["onboarding"],
        ["Growth"],
    )
    assert body["schedule_type"] == "date"
    assert body["surprise_field"] == {"nested": True}  # the unknown field
    messages = body["messages"]
    assert len(messages) == 4  # two variations, each on two channels
    assert sorted((m["channel"], m["name"]) for m in messages.values()) == [
        ("email", "Variant 1"),
        ("email", "Variant 2"),
        ("ios_push", "Variant 1"),
        ("ios_push", "Variant 2"),
    ]
    assert len(body["conversion_behaviors"]) == 4
    assert body["conversion_behaviors"][0]["window"] == 10 * 86_400
    assert body == braze.campaign_details("camp-welcome")
    assert braze.requests[-1].stream == "campaign_details"
    assert braze.requests[-1].dimension == "camp-welcome"


def test_a_never_sent_campaign_has_null_sends_and_no_stats(braze: BrazeEmulator) -> None:
    body = get(braze, "/campaigns/details", campaign_id="camp-draft").json()
    assert (body["first_sent"], body["last_sent"], body["draft"]) == (None, None, True)
    assert "surprise_field" not in body
    stats = get(braze, "/campaigns/data_series", campaign_id="camp-draft", length=100)
    assert stats.status_code == 200
    assert stats.json() == {"message": "success", "data": []}
    assert braze.expected_campaign_stats("camp-draft", dt.date(2024, 1, 1), TODAY) == []
    assert braze.active_days("campaigns", "camp-draft") is None
    api = get(braze, "/campaigns/details", campaign_id="camp-api").json()
    assert api["schedule_type"] == "api_triggered"


def test_canvas_details_fields(braze: BrazeEmulator) -> None:
    body = get(braze, "/canvas/details", canvas_id="cv-onboarding").json()
    assert {
        "created_at",
        "updated_at",
        "name",
        "description",
        "archived",
        "draft",
        "enabled",
        "schedule_type",
        "first_entry",
        "last_entry",
        "tags",
        "teams",
        "variants",
        "steps",
    } <= set(body)
    assert (body["first_entry"], body["last_entry"]) == (
        "2024-11-01T10:00:00+00:00",
        "2024-11-20T10:00:00+00:00",
    )
    assert (body["enabled"], body["draft"], body["archived"]) == (True, False, False)
    assert body["surprise_field"] == 7
    assert len(body["variants"]) == 2
    for variant in body["variants"]:
        assert {"name", "id", "first_entry", "last_entry"} <= set(variant)
        assert variant["first_entry"] == body["first_entry"]
    steps = body["steps"]
    assert [s["name"] for s in steps] == ["Step 1", "Step 2", "Step 3"]
    assert [s["next_step_ids"] for s in steps] == [[steps[1]["id"]], [steps[2]["id"]], []]
    assert [s["channels"] for s in steps] == [["email"], ["ios_push"], ["email"]]
    assert body == braze.canvas_details("cv-onboarding")
    never = get(braze, "/canvas/details", canvas_id="cv-never").json()
    assert (never["first_entry"], never["last_entry"], never["enabled"]) == (None, None, False)
    assert never["variants"][0]["first_entry"] is None
    assert [r.stream for r in braze.requests] == ["canvas_details", "canvas_details"]


# -- campaign stats -------------------------------------------------------------------------


def test_campaign_stats_only_inside_the_active_range(braze: BrazeEmulator) -> None:
    # Feb 20 .. Mar 30; sends Mar 1 .. Mar 5 (New York days), then 10 days of conversions
    answer = get(
        braze,
        "/campaigns/data_series",
        campaign_id="camp-welcome",
        length=40,
        ending_at="2024-03-30T12:00:00-04:00",
    )
    assert answer.status_code == 200
    rows = answer.json()["data"]
    assert [row["time"] for row in rows] == days("2024-03-01", "2024-03-15")
    assert rows == braze.expected_campaign_stats(
        "camp-welcome", dt.date(2024, 2, 20), dt.date(2024, 3, 30)
    )
    assert braze.active_days("campaigns", "camp-welcome") == (
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 15),
    )
    sends = {row["time"]: row["messages"]["email"][0]["sent"] for row in rows}
    assert all(sends[day] > 0 for day in days("2024-03-01", "2024-03-05"))
    assert all(sends[day] == 0 for day in days("2024-03-06", "2024-03-15"))
    tail = [row for row in rows if row["time"] > "2024-03-05"]
    assert all(row["conversions_by_send_time"] == 0 for row in tail)
    assert all(row["unique_recipients"] == 0 for row in tail)
    assert tail[0]["conversions"] > 0  # late conversions
    # event B (Starts Session) counts for 3 days after a send, A for the whole tail
    assert all(row["conversions1"] == 0 for row in tail[3:])
    logged = braze.requests[-1]
    assert (logged.stream, logged.dimension, logged.pool, logged.app_id) == (
        "campaign_stats",
        "camp-welcome",
        "campaign_series",
        None,
    )
    assert (logged.first_day, logged.last_day) == ("2024-02-20", "2024-03-30")


def test_campaign_days_are_workspace_days_and_never_after_today(braze: BrazeEmulator) -> None:
    # 02:30 UTC on April 10 is 22:30 on April 9 in New York
    promo = get(
        braze,
        "/campaigns/data_series",
        campaign_id="camp-promo",
        length=1,
        ending_at="2024-04-10T01:00:00Z",
    ).json()["data"]
    assert [row["time"] for row in promo] == ["2024-04-09"]
    assert braze.active_days("campaigns", "camp-promo") == (
        dt.date(2024, 4, 9),
        dt.date(2024, 5, 9),
    )
    recent = get(
        braze,
        "/campaigns/data_series",
        campaign_id="camp-recent",
        length=30,
        ending_at="2025-01-05T12:00:00Z",
    ).json()["data"]
    assert [row["time"] for row in recent] == days("2024-12-20", "2024-12-31")
    assert recent == braze.expected_campaign_stats(
        "camp-recent", dt.date(2024, 12, 1), dt.date(2025, 1, 31)
    )
    before = get(
        braze,
        "/campaigns/data_series",
        campaign_id="camp-recent",
        length=5,
        ending_at="2024-12-19T12:00:00Z",
    ).json()["data"]
    assert before == []


def test_multichannel_and_multivariate_messages(braze: BrazeEmulator) -> None:
    row = get(
        braze,
        "/campaigns/data_series",
        campaign_id="camp-welcome",
        length=1,
        ending_at="2024-03-02T12:00:00-05:00",
    ).json()["data"][0]
    assert set(row) == {"time", "messages", "unique_recipients", "revenue", *CONVERSION_FIELDS}
    messages = row["messages"]
    assert set(messages) == {"email", "ios_push"}
    details = braze.campaign_details("camp-welcome")["messages"]
    for channel, entries in messages.items():
        assert [e["variation_name"] for e in entries] == ["Variant 1", "Variant 2"]
        for entry in entries:
            assert details[entry["variation_api_id"]]["channel"] == channel
            assert entry["sent"] > 0
            assert {"unique_recipients", "revenue", *CONVERSION_FIELDS} <= set(entry)
    email = messages["email"][0]
    assert {"delivered", "opens", "unique_opens", "clicks", "unique_clicks", "bounces"} <= set(
        email
    )
    assert email["delivered"] <= email["sent"]
    assert email["unique_opens"] <= email["opens"]
    push = messages["ios_push"][0]
    assert {"direct_opens", "total_opens", "body_clicks", "notif_button_1_Ok_click"} <= set(push)
    for name in CONVERSION_FIELDS:  # the row's totals are its entries' sums
        assert row[name] == sum(e[name] for entries in messages.values() for e in entries)
    assert isinstance(row["revenue"], float)
    assert round(row["revenue"], 2) == row["revenue"]
    promo = get(
        braze,
        "/campaigns/data_series",
        campaign_id="camp-promo",
        length=1,
        ending_at="2024-04-09T12:00:00-04:00",
    ).json()["data"][0]
    android = promo["messages"]["android_push"]
    assert [e["variation_name"] for e in android] == [
        "Variant 1",
        "Variant 2",
        "Variant 3",
        "Control Group",
    ]
    assert android[3]["enrolled"] > 0
    assert "sent" not in android[3]
    assert all("carousel_slide_1_Title_click" in e for e in android[:3])
    api = braze.expected_campaign_stats("camp-api", dt.date(2024, 5, 1), dt.date(2024, 5, 1))
    assert set(api[0]["messages"]) == {"webhook", "sms"}
    assert {"sent", "errors"} == set(api[0]["messages"]["webhook"][0]) - {
        "variation_api_id",
        "variation_name",
        "unique_recipients",
        "revenue",
        *CONVERSION_FIELDS,
    }


def test_campaign_revenue_has_cents() -> None:
    with emulator() as braze:
        rows = braze.expected_campaign_stats("camp-api", dt.date(2024, 5, 1), dt.date(2024, 8, 1))
    revenues = [row["revenue"] for row in rows]
    assert len(revenues) == 93
    assert all(isinstance(r, float) and round(r, 2) == r for r in revenues)
    assert sum(1 for r in revenues if r != int(r)) > 80


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"length": 3}, "campaign_id is required"),
        ({"campaign_id": "camp-welcome"}, "length is required and must be an integer"),
        ({"campaign_id": "camp-welcome", "length": 0}, "length must be between 1 and 100"),
        ({"campaign_id": "camp-welcome", "length": 101}, "length must be between 1 and 100"),
        (
            {"campaign_id": "camp-welcome", "length": 3, "ending_at": "soon"},
            "Invalid ending_at: soon",
        ),
        (
            {"campaign_id": "camp-welcome", "length": 3, "app_id": "ios"},
            "app_id is not a parameter of this endpoint",
        ),
    ],
)
def test_campaign_stats_parameters_are_checked(
    braze: BrazeEmulator, params: dict[str, str | int], message: str
) -> None:
    answer = get(braze, "/campaigns/data_series", **params)
    assert answer.status_code == 400
    assert answer.json()["message"] == message


# -- Canvas stats ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"canvas_id": "cv-onboarding", "length": 3}, "ending_at is required"),
        (
            {"canvas_id": "cv-onboarding", "length": 15, "ending_at": "2024-11-10T12:00:00Z"},
            "length must be between 1 and 14",
        ),
        (
            {"canvas_id": "cv-onboarding", "length": 0, "ending_at": "2024-11-10T12:00:00Z"},
            "length must be between 1 and 14",
        ),
        ({"length": 3, "ending_at": "2024-11-10T12:00:00Z"}, "canvas_id is required"),
        (
            {
                "canvas_id": "cv-onboarding",
                "length": 3,
                "ending_at": "2024-11-10T12:00:00Z",
                "include_step_breakdown": "1",
            },
            "Invalid include_step_breakdown: 1",
        ),
        (
            {
                "canvas_id": "cv-onboarding",
                "starting_at": "2024-10-30T12:00:00-04:00",
                "ending_at": "2024-11-13T12:00:00-05:00",
            },
            "starting_at must be 0 to 13 days before ending_at",
        ),
    ],
)
def test_canvas_stats_parameters_are_checked(
    braze: BrazeEmulator, params: dict[str, str | int], message: str
) -> None:
    answer = get(braze, "/canvas/data_series", **params)
    assert answer.status_code == 400
    assert answer.json()["message"] == message
    assert braze.requests[-1].stream == "canvas_stats"


def test_canvas_stats_within_the_active_range_and_starting_at(braze: BrazeEmulator) -> None:
    start = get(
        braze,
        "/canvas/data_series",
        canvas_id="cv-onboarding",
        length=14,
        ending_at="2024-11-05T12:00:00-05:00",
    ).json()
    assert start["message"] == "success"
    assert start["data"]["name"] == "Onboarding"
    assert [row["time"] for row in start["data"]["stats"]] == days("2024-11-01", "2024-11-05")
    end = get(
        braze,
        "/canvas/data_series",
        canvas_id="cv-onboarding",
        length=14,
        ending_at="2024-11-30T12:00:00-05:00",
    ).json()["data"]["stats"]
    assert [row["time"] for row in end] == days("2024-11-17", "2024-11-25")
    entries = {row["time"]: row["total_stats"]["entries"] for row in end}
    assert all(entries[day] > 0 for day in days("2024-11-17", "2024-11-20"))
    assert all(entries[day] == 0 for day in days("2024-11-21", "2024-11-25"))
    assert end == braze.expected_canvas_stats(
        "cv-onboarding", dt.date(2024, 11, 17), dt.date(2024, 11, 30)
    )
    spanned = get(
        braze,
        "/canvas/data_series",
        canvas_id="cv-onboarding",
        starting_at="2024-11-01T00:00:00-04:00",
        ending_at="2024-11-14T12:00:00-05:00",
    ).json()["data"]["stats"]
    assert [row["time"] for row in spanned] == days("2024-11-01", "2024-11-14")
    never = get(
        braze, "/canvas/data_series", canvas_id="cv-never", length=14, ending_at="2024-12-31"
    ).json()
    assert never["data"] == {"name": "Never", "stats": []}


@pytest.mark.parametrize("variants", [False, True])
@pytest.mark.parametrize("steps", [False, True])
def test_canvas_breakdowns_only_when_asked(
    braze: BrazeEmulator, variants: bool, steps: bool
) -> None:
    params: dict[str, str | int] = {"length": 3, "ending_at": "2024-11-03T12:00:00-05:00"}
    if variants:
        params["include_variant_breakdown"] = "true"
    if steps:
        params["include_step_breakdown"] = "true"
    else:
        params["include_step_breakdown"] = "false"
    stats = get(braze, "/canvas/data_series", canvas_id="cv-onboarding", **params).json()["data"][
        "stats"
    ]
    assert len(stats) == 3
    expected_keys = {"time", "total_stats"}
    expected_keys |= {"variant_stats"} if variants else set()
    expected_keys |= {"step_stats"} if steps else set()
    assert all(set(row) == expected_keys for row in stats)
    assert stats == braze.expected_canvas_stats(
        "cv-onboarding",
        dt.date(2024, 11, 1),
        dt.date(2024, 11, 3),
        include_variant_breakdown=variants,
        include_step_breakdown=steps,
    )
    row = stats[0]
    assert set(row["total_stats"]) == {
        "revenue",
        "conversions",
        "conversions_by_entry_time",
        "entries",
    }
    details = braze.canvas_details("cv-onboarding")
    if variants:
        assert set(row["variant_stats"]) == {v["id"] for v in details["variants"]}
        for variant in row["variant_stats"].values():
            assert set(variant) == {
                "name",
                "revenue",
                "conversions",
                "conversions_by_entry_time",
                "entries",
            }
        assert row["total_stats"]["entries"] == sum(
            v["entries"] for v in row["variant_stats"].values()
        )
    if steps:
        by_id = {s["id"]: s for s in details["steps"]}
        assert set(row["step_stats"]) == set(by_id)
        for step_id, step in row["step_stats"].items():
            assert step["name"] == by_id[step_id]["name"]
            assert list(step["messages"]) == by_id[step_id]["channels"]
            for entries in step["messages"].values():
                assert entries[0]["sent"] > 0
            assert isinstance(step["revenue"], float)


# -- refusals, permissions, pools, faults ---------------------------------------------------


def test_each_endpoint_needs_its_own_permission() -> None:
    with emulator(permissions={"campaigns.list", "canvas.data_series"}) as braze:
        query: dict[str, str | int] = {
            "campaign_id": "camp-welcome",
            "canvas_id": "cv-onboarding",
            "length": 3,
            "ending_at": "2024-11-03T12:00:00Z",
        }
        statuses = {
            path: get(braze, path, **query).status_code
            for path in (
                "/campaigns/list",
                "/campaigns/details",
                "/campaigns/data_series",
                "/canvas/list",
                "/canvas/details",
                "/canvas/data_series",
            )
        }
        wrong = get(braze, "/campaigns/list", "wrong-key")
    assert statuses == {
        "/campaigns/list": 200,
        "/campaigns/details": 403,
        "/campaigns/data_series": 403,
        "/canvas/list": 403,
        "/canvas/details": 403,
        "/canvas/data_series": 200,
    }
    assert wrong.status_code == 401
    assert [r.stream for r in braze.requests] == [*MESSAGING_STREAMS, "campaigns"]


@pytest.mark.parametrize(
    ("path", "param", "value", "message"),
    [
        ("/campaigns/details", "campaign_id", "nope", "Campaign nope not found"),
        ("/campaigns/data_series", "campaign_id", "nope", "Campaign nope not found"),
        ("/campaigns/details", "campaign_id", "camp-stale", "Campaign camp-stale not found"),
        ("/campaigns/data_series", "campaign_id", "camp-stale", "Campaign camp-stale not found"),
        ("/canvas/details", "canvas_id", "nope", "Canvas nope not found"),
        ("/canvas/data_series", "canvas_id", "nope", "Canvas nope not found"),
    ],
)
def test_unknown_and_deleted_ids_are_a_400(
    braze: BrazeEmulator, path: str, param: str, value: str, message: str
) -> None:
    answer = get(braze, path, length=3, ending_at="2024-11-03T12:00:00Z", **{param: value})
    assert answer.status_code == 400
    assert answer.json()["message"] == message
    assert braze.requests[-1].dimension == value
    assert braze.requests[-1].status == 400


def test_deleted_at_construction_are_still_listed(braze: BrazeEmulator) -> None:
    assert "camp-stale" in braze.listed("campaigns")
    assert "camp-stale" in [c["id"] for c in get(braze, "/campaigns/list").json()["campaigns"]]
    assert braze.expected_campaign_stats("camp-stale", dt.date(2024, 9, 1), TODAY) == []
    with pytest.raises(KeyError):
        braze.expected_campaign_stats("nope", dt.date(2024, 9, 1), TODAY)
    with pytest.raises(KeyError):
        braze.expected_canvas_stats("nope", dt.date(2024, 9, 1), TODAY)


@pytest.mark.parametrize(
    ("item_id", "list_path", "key", "param", "label"),
    [
        ("camp-gone", "/campaigns/list", "campaigns", "campaign_id", "Campaign"),
        ("cv-gone", "/canvas/list", "canvases", "canvas_id", "Canvas"),
    ],
)
def test_an_id_deleted_or_stale_mid_run(
    braze: BrazeEmulator, item_id: str, list_path: str, key: str, param: str, label: str
) -> None:
    kind = "campaigns" if key == "campaigns" else "canvas"
    query: dict[str, str | int] = {param: item_id, "length": 14, "ending_at": "2024-12-05"}

    def listed() -> list[str]:
        return [item["id"] for item in get(braze, list_path).json()[key]]

    def statuses() -> tuple[int, int]:
        details = get(braze, f"/{kind}/details", **{param: item_id})
        series = get(braze, f"/{kind}/data_series", **query)
        return details.status_code, series.status_code

    assert item_id in listed()
    assert statuses() == (200, 200)
    braze.stale(item_id)
    assert item_id in listed()
    assert statuses() == (400, 400)
    braze.delete(item_id)
    assert item_id not in listed()
    assert statuses() == (400, 400)
    refused = get(braze, f"/{kind}/data_series", **query).json()
    assert refused == {"message": f"{label} {item_id} not found"}
    assert item_id not in braze.listed(key)
    with pytest.raises(ValueError, match="not an event, product or segment"):
        braze.delete("never-existed")


def test_campaign_series_pool(braze: BrazeEmulator) -> None:
    query: dict[str, str | int] = {"campaign_id": "camp-welcome", "length": 3}
    first, second = (get(braze, "/campaigns/data_series", **query) for _ in range(2))
    details = get(braze, "/campaigns/details", campaign_id="camp-welcome")
    canvas = get(
        braze, "/canvas/data_series", canvas_id="cv-gone", length=3, ending_at="2024-12-31"
    )
    assert first.headers["X-RateLimit-Limit"] == "50000"
    assert int(first.headers["X-RateLimit-Remaining"]) == 49_999
    assert int(second.headers["X-RateLimit-Remaining"]) == 49_998
    assert int(first.headers["X-RateLimit-Reset"]) % 60 == 0
    assert details.headers["X-RateLimit-Limit"] == "250000"
    assert canvas.headers["X-RateLimit-Limit"] == "250000"
    assert [r.pool for r in braze.requests] == [
        "campaign_series",
        "campaign_series",
        "default",
        "default",
    ]
    with emulator(pool_limits={"campaign_series": 1}) as small:
        answers = [get(small, "/campaigns/data_series", **query) for _ in range(2)]
        other = get(small, "/campaigns/list")
    assert [a.status_code for a in answers] == [200, 429]
    assert other.status_code == 200


def test_faults_match_the_new_streams(braze: BrazeEmulator) -> None:
    braze.add_fault(Fault("status", status=503, stream="campaign_stats", dimension="camp-promo"))
    braze.add_fault(Fault("rows", stream="canvas_stats", transform=lambda rows: rows[:1]))
    braze.add_fault(
        Fault("rows", stream="campaign_details", transform=lambda rows: [{**rows[0], "x": 1}])
    )
    braze.add_fault(Fault("no_data", stream="canvases"))
    query: dict[str, str | int] = {"length": 3, "ending_at": "2024-04-12T12:00:00Z"}
    assert get(braze, "/campaigns/data_series", campaign_id="camp-welcome", **query).ok
    assert get(braze, "/campaigns/data_series", campaign_id="camp-promo", **query).status_code == (
        503
    )
    assert get(braze, "/campaigns/data_series", campaign_id="camp-promo", **query).ok
    stats = get(
        braze, "/canvas/data_series", canvas_id="cv-onboarding", length=5, ending_at="2024-11-05"
    ).json()["data"]
    assert stats["name"] == "Onboarding"
    assert len(stats["stats"]) == 1
    assert get(braze, "/campaigns/details", campaign_id="camp-api").json()["x"] == 1
    assert get(braze, "/canvas/list").json() == {"message": "success"}
    assert [(r.stream, r.status, r.fault) for r in braze.requests] == [
        ("campaign_stats", 200, None),
        ("campaign_stats", 503, "status"),
        ("campaign_stats", 200, None),
        ("canvas_stats", 200, "rows"),
        ("campaign_details", 200, "rows"),
        ("canvases", 200, "no_data"),
    ]


# -- construction, many campaigns, the CLI --------------------------------------------------


def test_defaults_and_checks_at_construction() -> None:
    single = Campaign("Welcome", first_sent=dt.datetime(2024, 3, 1, 14))  # naive: UTC
    assert single.last_sent == single.first_sent == at(2024, 3, 1, 14)
    assert single.created_at == at(2024, 2, 28, 14)
    assert single.channels == ("email",)
    assert single.variations == 1
    assert single.conversion_tail_days == 30
    assert Canvas("Journey").first_entry is None
    with pytest.raises(ValueError, match="before"):
        Campaign("x", first_sent=at(2024, 3, 2), last_sent=at(2024, 3, 1))
    with pytest.raises(ValueError, match="without"):
        Canvas("x", last_entry=at(2024, 3, 2))
    with pytest.raises(ValueError, match="unknown channels"):
        Campaign("x", channels=("carrier_pigeon",))
    with pytest.raises(ValueError, match="variations"):
        Campaign("x", variations=0)
    with pytest.raises(ValueError, match="unknown page_sizes"):
        BrazeEmulator(page_sizes={"journeys": 3})
    with pytest.raises(ValueError, match="not an event, product or segment"):
        BrazeEmulator(campaigns=CAMPAIGNS, deleted=("nothing",))


def test_many_campaigns_are_deterministic_and_spread() -> None:
    first, last = dt.date(2023, 1, 1), dt.date(2024, 12, 31)
    campaigns = many_campaigns(750, first, last, seed=5)
    assert campaigns == many_campaigns(750, first, last, seed=5)
    assert campaigns != many_campaigns(750, first, last, seed=6)
    assert len(campaigns) == 750
    never = [c for c in campaigns.values() if c.first_sent is None]
    archived = [c for c in campaigns.values() if c.archived]
    assert 20 < len(never) < 110
    assert 60 < len(archived) < 180
    assert any(c.variations > 1 for c in campaigns.values())
    assert any(len(c.channels) > 1 for c in campaigns.values())
    with emulator(campaigns=campaigns, deleted=(), today=last) as braze:
        active = [braze.active_days("campaigns", campaign_id) for campaign_id in campaigns]
        for day in (dt.date(2023, 9, 1), dt.date(2024, 6, 1)):
            count = sum(1 for span in active if span and span[0] <= day <= span[1])
            assert 10 <= count <= 60  # a few dozen at a time
    canvases = many_canvases(40, first, last, seed=5)
    assert canvases == many_canvases(40, first, last, seed=5)
    assert len(canvases) == 40


def test_cli_campaigns_canvases_and_control_api(tmp_path: Path) -> None:
    url_file = tmp_path / "url"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "braze_emulator",
            "--api-key",
            KEY,
            "--today",
            "2024-12-31",
            "--campaign",
            "c-1:Welcome: again:2024-03-01:2024-03-05",  # a name with a colon
            "--campaign",
            "c-2:Draft::",
            "--canvas",
            "cv-1:Onboarding:2024-03-01:2024-03-10",
            "--archived",
            "c-2",
            "--many-campaigns",
            "3",
            "--url-file",
            str(url_file),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if url_file.exists() and url_file.read_text().strip():
                break
            time.sleep(0.1)
        url = url_file.read_text().strip()
        auth = {"Authorization": f"Bearer {KEY}"}

        def call(path: str, **params: str | int) -> requests.Response:
            return requests.get(f"{url}{path}", params=params, headers=auth, timeout=10)

        def ids(path: str, key: str, **params: str) -> list[str]:
            return [item["id"] for item in call(path, **params).json()[key]]

        listed = ids("/campaigns/list", "campaigns")
        assert "c-1" in listed
        assert "c-2" not in listed
        everything = ids("/campaigns/list", "campaigns", include_archived="true")
        assert "c-2" in everything
        assert len(everything) == 5  # and the three of --many-campaigns
        assert set(listed) < set(everything)
        details = call("/campaigns/details", campaign_id="c-1").json()
        assert details["name"] == "Welcome: again"
        assert details["first_sent"] == "2024-03-01T14:00:00+00:00"
        assert call("/campaigns/details", campaign_id="c-2").json()["first_sent"] is None
        assert ids("/canvas/list", "canvases") == ["cv-1"]
        stats = call(
            "/canvas/data_series", canvas_id="cv-1", length=14, ending_at="2024-03-05T12:00Z"
        )
        assert [row["time"] for row in stats.json()["data"]["stats"]] == days(
            "2024-03-01", "2024-03-05"
        )
        delete = requests.post(
            f"{url}/_emulator/delete", data=json.dumps({"value": "c-1"}), timeout=10
        )
        assert delete.status_code == 200
        assert "c-1" not in ids("/campaigns/list", "campaigns")
        assert call("/campaigns/data_series", campaign_id="c-1", length=3).status_code == 400
        seen = requests.get(f"{url}/_emulator/requests", timeout=10).json()
        assert {r["stream"] for r in seen} == {
            "campaigns",
            "campaign_details",
            "canvases",
            "canvas_stats",
            "campaign_stats",
        }
    finally:
        process.terminate()
        process.wait(timeout=10)
