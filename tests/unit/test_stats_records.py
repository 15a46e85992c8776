"""Campaigns' and Canvases' answers as records: every field kept, the documented ones
checked, nested objects exactly as Braze sent them. Run over the emulator's own answers
(multichannel, multivariate, Canvases with variants and steps) and over broken ones."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from braze_emulator.messaging import (
    Campaign,
    Canvas,
    campaign_details,
    campaign_rows,
    canvas_details,
    canvas_rows,
    list_item,
)
from tap_braze_dau.braze.answers import Asked, data_of
from tap_braze_dau.braze.transport import Answer
from tap_braze_dau.declarations import StreamDeclaration
from tap_braze_dau.errors import BrazeDataError, TransientError
from tap_braze_dau.plan.details import active_days_of, details_record
from tap_braze_dau.plan.listings import record_of
from tap_braze_dau.plan.rows import check_rows, read_record
from tap_braze_dau.plan.windows import Window
from tap_braze_dau.streams import (
    CAMPAIGN_DETAILS,
    CAMPAIGN_STATS,
    CAMPAIGNS,
    CANVAS_DETAILS,
    CANVAS_STATS,
    CANVASES,
)

UTC = dt.timezone.utc
ZONE = ZoneInfo("UTC")
FIRST, LAST = dt.date(2024, 3, 1), dt.date(2024, 4, 30)
WINDOW = Window(FIRST, LAST)
CAMPAIGN = Campaign(
    "Spring sale",
    first_sent=dt.datetime(2024, 3, 4, 9, tzinfo=UTC),
    last_sent=dt.datetime(2024, 3, 8, 9, tzinfo=UTC),
    channels=("email", "android_push", "sms", "in_app_message"),
    variations=3,
    control_group=True,
    extra={"new_braze_field": {"kept": True}},
)
CANVAS = Canvas(
    "Onboarding",
    first_entry=dt.datetime(2024, 3, 2, tzinfo=UTC),
    last_entry=dt.datetime(2024, 3, 20, tzinfo=UTC),
    variants=3,
    steps=4,
)


def checked(stream: StreamDeclaration, rows: list[Any], series: str = "c1") -> list[Any]:
    read = read_record(stream, series)
    return check_rows(rows, WINDOW, series, read_value=read).rows


def test_a_campaign_row_is_its_record_with_messages_exactly_as_sent() -> None:
    rows = campaign_rows("c1", CAMPAIGN, FIRST, LAST, ZONE, LAST)
    got = checked(CAMPAIGN_STATS, rows)
    assert [day.isoformat() for day, _ in got] == [row["time"] for row in rows]
    for (_day, record), row in zip(got, rows, strict=True):
        assert record == {k: v for k, v in row.items() if k != "time"}
        # channel -> one entry per variation (and the control group), dynamic keys too
        assert set(record["messages"]) == set(CAMPAIGN.channels)
        assert len(record["messages"]["email"]) == 4
        assert "notif_button_1_Ok_click" in record["messages"]["android_push"][0]


def test_a_canvas_row_lifts_its_totals_beside_the_breakdowns() -> None:
    rows = canvas_rows("v1", CANVAS, FIRST, LAST, ZONE, LAST, variants=True, steps=True)
    got = checked(CANVAS_STATS, rows, "v1")
    assert len(got) == len(rows) > 0
    for (_day, record), row in zip(got, rows, strict=True):
        assert record == {
            **row["total_stats"],
            "variant_stats": row["variant_stats"],
            "step_stats": row["step_stats"],
        }
        assert len(record["variant_stats"]) == 3
        assert len(record["step_stats"]) == 4


def test_a_canvas_row_without_breakdowns_is_a_record_without_them() -> None:
    """As real answers had it: only `time` and `total_stats` (with `conversions1..N`
    beside the documented fields), `variant_stats` and `step_stats` absent, not null."""
    totals = {
        "revenue": 12.5,
        "conversions": 3,
        "conversions_by_entry_time": 2,
        "entries": 0,
        "conversions1": 1,
        "conversions1_by_entry_time": 0,
    }
    checked_rows = check_rows(
        [{"time": "2024-03-05", "total_stats": totals}],
        WINDOW,
        "v1",
        read_value=read_record(CANVAS_STATS, "v1"),
    )
    assert checked_rows.warnings == []
    ((day, record),) = checked_rows.rows
    assert day == dt.date(2024, 3, 5)
    assert record == totals
    assert "variant_stats" not in record
    assert "step_stats" not in record


def test_unknown_fields_of_a_row_are_kept_and_key_columns_are_not_braze_s_to_set() -> None:
    row = {
        "time": "2024-03-05",
        "unique_recipients": 10,
        "revenue": 1.5,
        "brand_new_metric": [1, 2],
        "campaign_id": "someone else",
        "messages": {},
    }
    ((_day, record),) = checked(CAMPAIGN_STATS, [row])
    assert record == {
        "unique_recipients": 10,
        "revenue": 1.5,
        "brand_new_metric": [1, 2],
        "messages": {},
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unique_recipients", -1),
        ("unique_recipients", "10"),
        ("conversions", 1.5),
        ("revenue", "12.00"),
        ("revenue", float("inf")),
        ("messages", ["email"]),
    ],
)
def test_a_documented_value_of_the_wrong_kind_stops_the_window_naming_it(
    field: str, value: object
) -> None:
    with pytest.raises(BrazeDataError, match=field):
        checked(CAMPAIGN_STATS, [{"time": "2024-03-05", field: value}])


def test_an_optional_value_may_be_missing_or_null() -> None:
    ((_day, record),) = checked(CAMPAIGN_STATS, [{"time": "2024-03-05", "conversions1": None}])
    assert record == {"conversions1": None}


def test_a_canvas_row_without_its_totals_is_not_data() -> None:
    with pytest.raises(BrazeDataError, match="total_stats"):
        checked(CANVAS_STATS, [{"time": "2024-03-05", "total_stats": None}], "v1")


def test_the_same_day_twice_with_different_stats_is_refused() -> None:
    rows = [
        {"time": "2024-03-05", "unique_recipients": 1},
        {"time": "2024-03-05", "unique_recipients": 2},
    ]
    with pytest.raises(BrazeDataError, match="twice"):
        checked(CAMPAIGN_STATS, rows)


def test_details_are_every_field_braze_sent_behind_the_id() -> None:
    answer = json.loads(json.dumps(campaign_details("c1", CAMPAIGN)))
    record = details_record(answer, "c1", CAMPAIGN_DETAILS)
    assert next(iter(record)) == "campaign_id"
    assert record == {"campaign_id": "c1", **{k: v for k, v in answer.items() if k != "message"}}
    assert record["new_braze_field"] == {"kept": True}
    assert set(CAMPAIGN_DETAILS.schema()["properties"]) <= set(record)
    active = active_days_of(record, CAMPAIGN_DETAILS, 30)
    assert active is not None
    assert (str(active.first), str(active.last)) == ("2024-03-03", "2024-04-08")

    canvas = details_record(canvas_details("v1", CANVAS), "v1", CANVAS_DETAILS)
    assert set(CANVAS_DETAILS.schema()["properties"]) <= set(canvas)
    assert len(canvas["steps"]) == 4


@pytest.mark.parametrize(
    ("field", "value"),
    [("archived", "no"), ("first_sent", "last tuesday"), ("channels", "email"), ("messages", [])],
)
def test_a_documented_detail_of_the_wrong_kind_names_it_and_the_campaign(
    field: str, value: object
) -> None:
    answer = {**campaign_details("c1", CAMPAIGN), field: value}
    with pytest.raises(BrazeDataError, match=rf"{field} .* campaign 'c1'"):
        details_record(answer, "c1", CAMPAIGN_DETAILS)


def test_list_items_keep_the_fields_braze_adds() -> None:
    item = {**list_item("c1", CAMPAIGN), "brand_new": 1}
    record = record_of(item, CAMPAIGNS, "page 0")
    assert record == {
        "campaign_id": "c1",
        "name": "Spring sale",
        "is_api_campaign": False,
        "tags": [],
        "last_edited": item["last_edited"],
        "brand_new": 1,
    }
    canvas = record_of(list_item("v1", CANVAS), CANVASES, "page 0")
    assert set(canvas) == {"canvas_id", "name", "tags", "last_edited"}


ASKED = Asked("canvas_stats", "canvas.data_series", "https://x", "/canvas/data_series", "k")


def answer(body: object) -> Answer:
    return Answer(200, {}, json.dumps(body).encode())


def test_a_canvas_answer_s_rows_are_under_data_stats_and_details_are_the_answer() -> None:
    body = {"message": "success", "data": {"name": "Onboarding", "stats": [{"time": "x"}]}}
    assert data_of(answer(body), ASKED, now=0, fallback_wait=1, field="data.stats") == [
        {"time": "x"}
    ]
    details = {"message": "success", "name": "Welcome"}
    assert data_of(answer(details), ASKED, now=0, fallback_wait=1, field=None) == [details]
    with pytest.raises(TransientError, match=r"data\.stats"):
        data_of(
            answer({"message": "success", "data": []}),
            ASKED,
            now=0,
            fallback_wait=1,
            field="data.stats",
        )
