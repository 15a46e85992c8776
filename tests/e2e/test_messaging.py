"""Campaigns and Canvases end to end against the emulator: the lists, the details, and
the daily stats requested only over each one's active range."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import ANSWER_SHAPES, BrazeEmulator, Fault, Segment
from braze_emulator.endpoints import ALL_PERMISSIONS
from braze_emulator.handler import LoggedRequest
from braze_emulator.messaging import Campaign, Canvas, many_campaigns
from tests.helpers import (
    API_KEY,
    TapRun,
    assert_states_claim_only_emitted,
    base_config,
    catalog_selecting,
    run_tap,
)

UTC = dt.timezone.utc
START, TODAY = dt.date(2024, 1, 1), dt.date(2024, 6, 30)
MESSAGING = [
    "campaigns",
    "campaign_details",
    "campaign_stats",
    "canvases",
    "canvas_details",
    "canvas_stats",
]


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=UTC)


CAMPAIGNS = {
    # multichannel, multivariate, with a control group
    "c-spring": Campaign(
        "Spring sale",
        first_sent=at("2024-03-01"),
        last_sent=at("2024-03-10"),
        channels=("email", "android_push", "sms"),
        variations=2,
        control_group=True,
    ),
    # sent long before start_date: only its tail... which ended before it
    "c-old": Campaign("Old", first_sent=at("2023-01-05"), last_sent=at("2023-02-01")),
    # archived, still in the lists (include_archived), with stats
    "c-archived": Campaign(
        "Archived", first_sent=at("2024-01-20"), last_sent=at("2024-01-21"), archived=True
    ),
    # an API campaign still sending today, with a field Braze added since
    "c-api": Campaign(
        "Receipts",
        first_sent=at("2024-05-01"),
        last_sent=at("2024-06-30", 8),
        is_api_campaign=True,
        extra={"brand_new_field": {"kept": True}},
    ),
    "c-never": Campaign("Never sent", draft=True),
}
CANVASES = {
    "v-onboarding": Canvas(
        "Onboarding",
        first_entry=at("2024-02-01"),
        last_entry=at("2024-04-15"),
        variants=2,
        steps=4,
    ),
    "v-never": Canvas("Never entered", enabled=False),
}


def emulator(**overrides: Any) -> BrazeEmulator:
    settings: dict[str, Any] = {
        "api_key": API_KEY,
        "today": TODAY,
        "campaigns": CAMPAIGNS,
        "canvases": CANVASES,
    }
    settings.update(overrides)
    return BrazeEmulator(**settings)


def sync(
    braze: BrazeEmulator,
    tmp_path: Path,
    streams: list[str],
    *,
    state: dict[str, Any] | None = None,
    expect_ok: bool = True,
    **overrides: Any,
) -> TapRun:
    # The tap's "today" is the machine's: end_date makes it the emulator's.
    dates = {"start_date": START.isoformat(), "end_date": braze.today().isoformat()}
    config = base_config(braze, **{**dates, **overrides})
    run = run_tap(config, tmp_path, catalog=catalog_selecting(streams), state=state)
    if expect_ok:
        assert run.returncode == 0, run.stderr[-3000:]
    return run


def stats_by_day(run: TapRun, stream: str, column: str) -> dict[str, dict[str, Any]]:
    """{id: {day: record}}; fails on a key written twice."""
    found: dict[str, dict[str, Any]] = {}
    for record in run.records_of(stream):
        days = found.setdefault(record[column], {})
        assert record["time"] not in days, f"{stream} {record[column]} {record['time']} twice"
        days[record["time"]] = record
    return found


def expected_campaign(braze: BrazeEmulator, campaign_id: str, first: dt.date) -> dict[str, Any]:
    rows = braze.expected_campaign_stats(campaign_id, first, braze.today())
    return {row["time"]: {"campaign_id": campaign_id, **row} for row in rows}


def expected_canvas(braze: BrazeEmulator, canvas_id: str, first: dt.date) -> dict[str, Any]:
    rows = braze.expected_canvas_stats(
        canvas_id,
        first,
        braze.today(),
        include_variant_breakdown=True,
        include_step_breakdown=True,
    )
    breakdowns = ("variant_stats", "step_stats")  # absent from some captured days
    return {
        row["time"]: {
            "canvas_id": canvas_id,
            "time": row["time"],
            **row["total_stats"],
            **{key: row[key] for key in breakdowns if key in row},
        }
        for row in rows
    }


def days_asked(requests: list[LoggedRequest]) -> Counter[tuple[str, str]]:
    """How often each (id, day) was requested."""
    asked: Counter[tuple[str, str]] = Counter()
    for request in requests:
        assert request.first_day is not None
        assert request.last_day is not None
        assert request.dimension is not None
        day = dt.date.fromisoformat(request.first_day)
        while day <= dt.date.fromisoformat(request.last_day):
            asked[(request.dimension, day.isoformat())] += 1
            day += dt.timedelta(days=1)
    return asked


@pytest.mark.parametrize("parallel", [1, 4])
def test_a_backfill_delivers_every_day_of_stats_once_asking_only_active_days(
    tmp_path: Path, parallel: int, reading: str
) -> None:
    with emulator(ending_at_reading=reading) as braze:
        run = sync(braze, tmp_path, MESSAGING, max_parallel_requests=parallel)
        campaigns = stats_by_day(run, "campaign_stats", "campaign_id")
        for campaign_id in CAMPAIGNS:
            assert campaigns.get(campaign_id, {}) == expected_campaign(braze, campaign_id, START)
        canvases = stats_by_day(run, "canvas_stats", "canvas_id")
        for canvas_id in CANVASES:
            assert canvases.get(canvas_id, {}) == expected_canvas(braze, canvas_id, START)
        assert set(campaigns) == {"c-spring", "c-archived", "c-api"}
        assert set(canvases) == {"v-onboarding"}

        # No day twice; none outside the active range widened by a day on each side, but
        # the one beside the days to sync that a request answers (see plan/windows.py):
        # after them where Braze reads ending_at "through", before them where "before".
        after = dt.timedelta(days=1 if reading == "through" else 0)
        before = dt.timedelta(days=0 if reading == "through" else 1)
        for stream, kind in (("campaign_stats", "campaigns"), ("canvas_stats", "canvases")):
            asked = days_asked(braze.data_requests(stream))
            assert max(asked.values()) == 1
            for (item_id, day), _count in asked.items():
                active = braze.active_days(kind, item_id)
                assert active is not None, item_id
                first, _last = active
                assert day >= (max(START, first - dt.timedelta(days=1)) - before).isoformat()
                assert day <= (TODAY + after).isoformat()
        assert "Dropped" not in run.stderr
        # The fewest windows (and the day after): one per campaign (every range is under
        # 100 days), ceil/14 per Canvas; the never-sent and the long-ended are not
        # requested at all.
        per_campaign = Counter(r.dimension for r in braze.data_requests("campaign_stats"))
        assert per_campaign == {"c-spring": 1, "c-archived": 1, "c-api": 1}
        canvas_requests = braze.data_requests("canvas_stats")
        span = (dt.date(2024, 4, 15) + dt.timedelta(days=31) - dt.date(2024, 1, 31)).days + 1
        assert len(canvas_requests) == math.ceil((span + 1) / 14)
        assert all(r.params["include_variant_breakdown"] == "true" for r in canvas_requests)
        assert all(r.params["include_step_breakdown"] == "true" for r in canvas_requests)
        assert all(int(r.params["length"]) <= 14 for r in canvas_requests)
        # One page of each list, one details request per campaign and Canvas.
        assert len(braze.data_requests("campaigns")) == 1
        assert len(braze.data_requests("canvases")) == 1
        assert Counter(
            r.dimension for r in braze.data_requests("campaign_details")
        ) == dict.fromkeys(CAMPAIGNS, 1)
        assert len(braze.data_requests("canvas_details")) == len(CANVASES)
        assert_states_claim_only_emitted(run)
        # The log says how many are active and what that costs.
        assert "Campaign_stats: 3 of 5 campaigns active in the days to sync, 3 request(s)" in (
            run.stderr
        )


def test_the_output_is_identical_whatever_max_parallel_requests_is(tmp_path: Path) -> None:
    outputs = []
    for parallel in (1, 6):
        with emulator(latency=0.01, latency_jitter=0.02) as braze:
            run = sync(braze, tmp_path, MESSAGING, max_parallel_requests=parallel)
            outputs.append(
                [
                    json.dumps({k: v for k, v in m.items() if k != "time_extracted"})
                    for m in run.messages
                ]
            )
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 200


def test_the_lists_and_details_keep_every_field_and_archived_ones(tmp_path: Path) -> None:
    with emulator() as braze:
        run = sync(braze, tmp_path, ["campaigns", "campaign_details", "canvases", "canvas_details"])
        campaigns = {r["campaign_id"]: r for r in run.records_of("campaigns")}
        assert list(campaigns) == braze.listed("campaigns", include_archived=True)
        assert campaigns["c-api"]["is_api_campaign"] is True
        details = {r["campaign_id"]: r for r in run.records_of("campaign_details")}
        for campaign_id, record in details.items():
            answer = braze.campaign_details(campaign_id)
            assert record == {
                "campaign_id": campaign_id,
                **{k: v for k, v in answer.items() if k != "message"},
            }
        assert details["c-api"]["brand_new_field"] == {"kept": True}
        assert details["c-never"]["first_sent"] is None
        assert details["c-archived"]["archived"] is True
        canvases = {r["canvas_id"]: r for r in run.records_of("canvas_details")}
        assert len(canvases["v-onboarding"]["steps"]) == 4
        assert len(canvases["v-onboarding"]["variants"]) == 2
        # no stats were asked for: none selected
        assert not braze.data_requests("campaign_stats")
        assert not braze.data_requests("canvas_stats")


def test_stats_alone_still_plan_from_the_details_read_once(tmp_path: Path) -> None:
    with emulator() as braze:
        run = sync(braze, tmp_path, ["campaign_stats"], max_parallel_requests=3)
        assert not run.records_of("campaign_details")
        assert len(braze.data_requests("campaign_details")) == len(CAMPAIGNS)
        assert len(braze.data_requests("campaigns")) == 1
        assert not braze.data_requests("canvas_details")  # no Canvas stream selected
        assert set(stats_by_day(run, "campaign_stats", "campaign_id")) == {
            "c-spring",
            "c-archived",
            "c-api",
        }


def test_a_nightly_run_rereads_the_stats_look_back_of_recently_active_ones_only(
    tmp_path: Path,
) -> None:
    with emulator() as braze:
        first = sync(braze, tmp_path, ["campaign_stats", "canvas_stats"])
    # A week later: c-api still sends; c-spring's tail ended in April; the Canvas ended
    # its tail in mid-May.
    later = TODAY + dt.timedelta(days=7)
    with emulator(today=later) as braze:
        second = sync(braze, tmp_path, ["campaign_stats", "canvas_stats"], state=first.last_state)
        requests = braze.data_requests("campaign_stats")
        assert [r.dimension for r in requests] == ["c-api"]
        (request,) = requests
        # the bookmarked day and the 30 days before it, up to the new today (and the day
        # after it, see plan/windows.py)
        assert request.first_day == (TODAY - dt.timedelta(days=30)).isoformat()
        assert request.last_day == (later + dt.timedelta(days=1)).isoformat()
        assert not braze.data_requests("canvas_stats")
        got = stats_by_day(second, "campaign_stats", "campaign_id")["c-api"]
        assert got == expected_campaign(braze, "c-api", TODAY - dt.timedelta(days=30))
        assert "1 of 5 campaigns active in the days to sync, 1 request(s)" in second.stderr


def test_stats_lookback_days_sets_how_far_back_a_nightly_run_rereads(tmp_path: Path) -> None:
    with emulator() as braze:
        first = sync(braze, tmp_path, ["campaign_stats"], stats_lookback_days=2)
    with emulator(today=TODAY + dt.timedelta(days=1)) as braze:
        sync(braze, tmp_path, ["campaign_stats"], state=first.last_state, stats_lookback_days=2)
        (request,) = braze.data_requests("campaign_stats")
        assert request.first_day == (TODAY - dt.timedelta(days=2)).isoformat()


def test_conversion_window_days_bounds_the_days_after_the_last_send(tmp_path: Path) -> None:
    with emulator() as braze:
        sync(braze, tmp_path, ["campaign_stats"], conversion_window_days=5)
        spring = [r for r in braze.data_requests("campaign_stats") if r.dimension == "c-spring"]
        (request,) = spring
        assert request.first_day == "2024-02-29"
        # the last send, the conversion window, a day for the zone, the day after
        assert request.last_day == (dt.date(2024, 3, 10) + dt.timedelta(days=5 + 2)).isoformat()


def test_without_start_date_the_active_range_replaces_discovery(tmp_path: Path) -> None:
    with emulator() as braze:
        run = sync(braze, tmp_path, ["campaign_stats"], start_date=None)
        old = stats_by_day(run, "campaign_stats", "campaign_id")["c-old"]
        assert old == expected_campaign(braze, "c-old", dt.date(2022, 1, 1))
        assert Counter(r.dimension for r in braze.data_requests("campaign_stats"))["c-old"] == 1


def test_one_deleted_between_the_list_and_its_details_or_stats_is_skipped_with_a_warning(
    tmp_path: Path,
) -> None:
    with emulator() as braze:
        braze.stale("c-archived")  # listed, but its details are refused
        braze.add_fault(  # details answer, then the series is refused: deleted in between
            Fault(
                "status",
                status=400,
                message="Campaign c-spring not found",
                stream="campaign_stats",
                dimension="c-spring",
                count=-1,
            )
        )
        run = sync(braze, tmp_path, ["campaign_details", "campaign_stats"])
        warnings = [line for line in run.stderr.splitlines() if "Skipped" in line]
        assert len(warnings) == 2, warnings
        assert any("c-archived" in w and "Campaign c-archived not found" in w for w in warnings)
        assert any("c-spring" in w and "Campaign c-spring not found" in w for w in warnings)
        assert "c-archived" not in {r["campaign_id"] for r in run.records_of("campaign_details")}
        stats = stats_by_day(run, "campaign_stats", "campaign_id")
        assert set(stats) == {"c-api"}
        assert not braze.data_requests("campaign_stats") or all(
            r.dimension != "c-archived" for r in braze.data_requests("campaign_stats")
        )
        assert_states_claim_only_emitted(run)


@pytest.mark.parametrize(
    ("stream", "missing", "permission"),
    [
        ("campaign_stats", "campaigns.data_series", "campaigns.data_series"),
        ("campaign_stats", "campaigns.details", "campaigns.details"),
        ("canvas_stats", "canvas.list", "canvas.list"),
        ("canvas_details", "canvas.details", "canvas.details"),
    ],
)
def test_a_403_names_the_stream_and_its_permission(
    tmp_path: Path, stream: str, missing: str, permission: str
) -> None:
    with emulator(permissions=ALL_PERMISSIONS - {missing}) as braze:
        run = sync(braze, tmp_path, [stream], expect_ok=False)
        assert run.returncode == 1
        assert f"Stream '{stream}' needs an API key with the permission {permission}" in run.stderr


def test_flattening_still_works_on_the_nested_stats(tmp_path: Path) -> None:
    with emulator() as braze:
        run = sync(
            braze,
            tmp_path,
            ["campaign_stats", "canvas_stats"],
            flattening_enabled=True,
            flattening_max_depth=1,
        )
        (record, *_) = [
            r for r in run.records_of("campaign_stats") if r["campaign_id"] == "c-spring"
        ]
        assert isinstance(record["messages"], str)
        assert json.loads(record["messages"]).keys() == {"email", "android_push", "sms"}
        canvas = run.records_of("canvas_stats")[0]
        assert isinstance(json.loads(canvas["step_stats"]), dict)


def test_a_thousand_campaigns_keep_state_a_small_share_of_the_output(tmp_path: Path) -> None:
    """A partition per campaign: thousands of them make a large state, which is written
    within the same share of the RECORD bytes as for the KPIs, never claiming a day not
    written."""
    campaigns = many_campaigns(1000, dt.date(2022, 1, 1), TODAY, seed=3)
    with emulator(campaigns=campaigns, canvases={}) as braze:
        run = sync(
            braze, tmp_path, ["campaign_stats"], start_date="2022-01-01", max_parallel_requests=4
        )
        expected_ids = {
            campaign_id
            for campaign_id in campaigns
            if braze.active_days("campaigns", campaign_id) is not None
        }
        # paged 100 at a time: 10 full pages, then the empty one that ends the list
        pages = [int(r.params["page"]) for r in braze.data_requests("campaigns")]
        assert pages == list(range(11))
        assert len(braze.data_requests("campaign_details")) == 1000
    assert set(stats_by_day(run, "campaign_stats", "campaign_id")) == expected_ids
    share = run.bytes_of("STATE") / run.bytes_of("RECORD")
    assert share <= 0.10, f"STATE is {share:.1%} of RECORD"
    assert_states_claim_only_emitted(run)
    final = run.last_state or {}
    partitions = final["bookmarks"]["campaign_stats"]["partitions"]
    completed = {p["context"]["campaign_id"] for p in partitions if p.get("complete_as_of")}
    assert completed == expected_ids


def test_a_malformed_detail_fails_the_run_naming_it_without_quoting_the_key(
    tmp_path: Path,
) -> None:
    def broken(rows: list[Any]) -> list[Any]:
        return [{**rows[0], "first_sent": f"sent with {API_KEY}"}]

    with emulator() as braze:
        braze.add_fault(
            Fault("rows", stream="campaign_details", dimension="c-api", transform=broken)
        )
        run = sync(braze, tmp_path, ["dau", "campaign_stats"], expect_ok=False)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "first_sent" in run.stderr
    assert "c-api" in run.stderr
    assert API_KEY not in run.stderr  # (run_tap checks every output; the point of this test)
    assert_states_claim_only_emitted(run)


@pytest.mark.parametrize("shapes", ANSWER_SHAPES)
def test_the_shapes_real_braze_sends_are_kept_and_fail_nothing(tmp_path: Path, shapes: str) -> None:
    """Real answers differ from the docs (braze_emulator/shapes.py): `"sms": []`, email
    entries without `variation_name` and with `machine_open`, a control group with
    `enrolled`, `revenue` a float, a Canvas' `conversions1..3` in `total_stats` and days
    without `variant_stats` and `step_stats`, `Z` timestamps in the lists, `message` after
    the segments. Each record keeps what Braze sent, exactly."""
    segments = {"seg-1": Segment("Active", dt.date(2024, 1, 1))}
    with emulator(answer_shapes=shapes, segments=segments) as braze:
        run = sync(braze, tmp_path, [*MESSAGING, "segments"])
        campaigns = stats_by_day(run, "campaign_stats", "campaign_id")
        for campaign_id in ("c-spring", "c-archived", "c-api"):
            assert campaigns[campaign_id] == expected_campaign(braze, campaign_id, START)
        canvases = stats_by_day(run, "canvas_stats", "canvas_id")
        assert canvases["v-onboarding"] == expected_canvas(braze, "v-onboarding", START)
        listed = {r["campaign_id"]: r["last_edited"] for r in run.records_of("campaigns")}
        assert [r["segment_id"] for r in run.records_of("segments")] == ["seg-1"]
    breakdowns = {"variant_stats", "step_stats"}
    if shapes == "documented":
        assert all(breakdowns <= set(record) for record in canvases["v-onboarding"].values())
        return
    day = campaigns["c-spring"]["2024-03-05"]
    assert day["messages"]["sms"] != []  # the campaign sends sms...
    assert campaigns["c-api"]["2024-05-02"]["messages"]["sms"] == []  # ...this one does not
    email = day["messages"]["email"]
    variations = [entry for entry in email if "enrolled" not in entry]
    assert all("variation_name" not in e and "machine_open" in e for e in variations)
    (control,) = [entry for entry in email if "enrolled" in entry]
    assert "sent" not in control
    assert isinstance(campaigns["c-archived"]["2024-01-20"]["revenue"], float)
    assert "conversions3" in canvases["v-onboarding"]["2024-02-02"]
    # the Canvas' last entry day keeps its breakdowns; the days of its conversion tail,
    # on which nothing entered, came without them (absent, not null)
    onboarding = canvases["v-onboarding"]
    assert onboarding["2024-04-15"]["entries"] > 0
    assert breakdowns <= set(onboarding["2024-04-15"])
    assert onboarding["2024-04-20"]["entries"] == 0
    assert not breakdowns & set(onboarding["2024-04-20"])
    with_them = [day for day, record in onboarding.items() if breakdowns <= set(record)]
    assert 0 < len(with_them) < len(onboarding)
    assert any(value.endswith("Z") for value in listed.values())
    assert any(value.endswith("+00:00") for value in listed.values())
