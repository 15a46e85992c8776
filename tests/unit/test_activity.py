"""Active ranges: which days of a campaign or Canvas are requested, as properties.

Every day that can have stats is requested exactly once; no day outside the active range
(cut to the days a run syncs) is requested at all; and the fewest windows tile it.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from braze_emulator.messaging import Campaign, Canvas, active_range
from tap_braze_dau.declarations import SeriesKey
from tap_braze_dau.errors import BrazeDataError, StateError
from tap_braze_dau.plan.activity import ActiveDays, active_days, days_to_request, parse_instant
from tap_braze_dau.plan.bookmarks import COMPLETE_AS_OF, bookmarks_of, completions_of
from tap_braze_dau.plan.jobs import PlanOptions, WindowJob, jobs_for_series
from tap_braze_dau.plan.windows import ONE_DAY, Window
from tap_braze_dau.streams import CAMPAIGN_STATS, CANVAS_STATS, STREAMS

UTC = dt.timezone.utc
#: Zones as far from UTC as any has ever been, and a few in between.
ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles", "Asia/Kolkata", "UTC"]

instants = st.datetimes(
    min_value=dt.datetime(2015, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(UTC)
)
days = st.dates(min_value=dt.date(2014, 12, 1), max_value=dt.date(2031, 3, 1))


def options(
    start_date: dt.date | None = None, stats_lookback_days: int = 30, lookback_days: int = 3
) -> PlanOptions:
    return PlanOptions(
        start_date=start_date,
        lookback_days=lookback_days,
        window_days=100,
        max_history_days=3650,
        zone=ZoneInfo("UTC"),
        stats_lookback_days=stats_lookback_days,
    )


def requested_days(jobs: list[WindowJob]) -> list[dt.date]:
    """The days the jobs ask for, window by window (the answers hold these, or each one
    day earlier: see plan/windows.py)."""
    found = []
    for job in jobs:
        day = job.window.first
        while day <= job.window.last:
            found.append(day)
            day += ONE_DAY
    return found


def asked_for(wanted: list[dt.date]) -> list[dt.date]:
    """The days requested to sync `wanted`, whichever way Braze reads ending_at: those
    and the day after them."""
    return [*wanted, wanted[-1] + ONE_DAY] if wanted else []


@given(
    first=instants,
    span=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=900)),
    tail=st.integers(min_value=0, max_value=30),
    window=st.integers(min_value=0, max_value=45),
    zone=st.sampled_from(ZONES),
)
def test_every_day_braze_can_have_stats_on_is_in_the_active_range(
    first: dt.datetime, span: dt.timedelta, tail: int, window: int, zone: str
) -> None:
    """Whatever the workspace's zone, a range read in UTC and widened by a day holds
    every day of the emulator's own active range (its days in the zone), as long as the
    conversions' tail is within conversion_window_days."""
    campaign = Campaign("c", first_sent=first, last_sent=first + span, conversion_tail_days=tail)
    truth = active_range(campaign, ZoneInfo(zone))
    assert truth is not None
    start, _last_send, end = truth
    active = active_days(first, first + span, max(window, tail))
    assert active is not None
    assert active.first <= start
    assert end <= active.last
    # and no wider than the widening says
    assert active.first == first.date() - ONE_DAY
    assert active.last == (first + span).date() + dt.timedelta(days=max(window, tail) + 1)


@given(
    active_first=days,
    length=st.integers(min_value=1, max_value=1200),
    bookmark=st.none() | days,
    start_date=st.none() | days,
    today=days,
    lookback=st.integers(min_value=0, max_value=60),
)
def test_the_plan_requests_each_active_day_to_sync_once_and_nothing_else(
    active_first: dt.date,
    length: int,
    bookmark: dt.date | None,
    start_date: dt.date | None,
    today: dt.date,
    lookback: int,
) -> None:
    active = ActiveDays(active_first, active_first + dt.timedelta(days=length - 1))
    key = SeriesKey.of("campaign_stats", campaign_id="c1")
    jobs = jobs_for_series(
        key,
        CAMPAIGN_STATS,
        bookmark=bookmark,
        last_day=today,
        options=options(start_date, stats_lookback_days=lookback),
        active=active,
    )
    assert all(isinstance(job, WindowJob) for job in jobs)
    window_jobs = [job for job in jobs if isinstance(job, WindowJob)]
    got = requested_days(window_jobs)
    assert len(got) == len(set(got)), "a day requested twice"
    # What must be requested: the active days from the bookmark less the look-back (or
    # start_date, never before it), up to today.
    if bookmark is not None:
        since: dt.date | None = bookmark - dt.timedelta(days=lookback)
        if start_date is not None:
            since = max(since, start_date) if since else start_date
    else:
        since = start_date
    wanted = [
        day
        for day in (active.first + n * ONE_DAY for n in range(length))
        if (since is None or day >= since) and day <= today
    ]
    assert got == asked_for(wanted)
    assert all(job.keep == Window(wanted[0], wanted[-1]) for job in window_jobs)
    assert len(window_jobs) == (math.ceil((len(wanted) + 1) / 100) if wanted else 0)
    assert len(window_jobs) <= math.ceil(len(wanted) / 100) + 1
    assert all(job.window.length <= CAMPAIGN_STATS.endpoint.max_window for job in window_jobs)


@given(length=st.integers(min_value=1, max_value=400), today_offset=st.integers(0, 500))
def test_a_canvas_is_requested_in_windows_of_at_most_14_days_planned_back(
    length: int, today_offset: int
) -> None:
    first = dt.date(2024, 1, 1)
    active = ActiveDays(first, first + dt.timedelta(days=length - 1))
    today = first + dt.timedelta(days=today_offset)
    jobs = jobs_for_series(
        SeriesKey.of("canvas_stats", canvas_id="v1"),
        CANVAS_STATS,
        bookmark=None,
        last_day=today,
        options=options(),
        active=active,
    )
    windows = [job.window for job in jobs if isinstance(job, WindowJob)]
    span = (min(today, active.last) - first).days + 1
    assert len(windows) == math.ceil((span + 1) / 14)
    assert all(w.length == 14 for w in windows[1:])
    if windows:
        assert windows[-1].last == min(today, active.last) + ONE_DAY


def test_one_that_never_sent_is_never_requested() -> None:
    assert active_days(None, None, 30) is None
    jobs = jobs_for_series(
        SeriesKey.of("campaign_stats", campaign_id="never"),
        CAMPAIGN_STATS,
        bookmark=None,
        last_day=dt.date(2024, 6, 1),
        options=options(dt.date(2020, 1, 1)),
        active=None,
    )
    assert jobs == []
    canvas = Canvas("never entered")
    assert active_range(canvas, ZoneInfo("UTC")) is None


def test_a_campaign_that_ended_before_the_look_back_is_not_requested_again() -> None:
    active = active_days(
        dt.datetime(2024, 1, 1, 9, tzinfo=UTC), dt.datetime(2024, 2, 1, 9, tzinfo=UTC), 30
    )
    assert active == ActiveDays(dt.date(2023, 12, 31), dt.date(2024, 3, 3))
    assert days_to_request(active, dt.date(2024, 3, 4), dt.date(2024, 6, 1)) is None
    assert days_to_request(active, dt.date(2024, 3, 3), dt.date(2024, 6, 1)) == (
        dt.date(2024, 3, 3),
        dt.date(2024, 3, 3),
    )
    # the look-back is stats_lookback_days, not lookback_days
    jobs = jobs_for_series(
        SeriesKey.of("campaign_stats", campaign_id="c"),
        CAMPAIGN_STATS,
        bookmark=dt.date(2024, 3, 20),
        last_day=dt.date(2024, 3, 21),
        options=options(stats_lookback_days=20, lookback_days=0),
        active=active,
    )
    assert [str(job.window) for job in jobs if isinstance(job, WindowJob)] == [
        "2024-02-29..2024-03-04"
    ]


def test_a_single_send_is_its_own_first_and_last() -> None:
    sent = dt.datetime(2024, 5, 5, 23, 30, tzinfo=UTC)
    assert active_days(sent, None, 0) == ActiveDays(dt.date(2024, 5, 4), dt.date(2024, 5, 6))
    assert active_days(None, sent, 0) == ActiveDays(dt.date(2024, 5, 4), dt.date(2024, 5, 6))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T14:03:00+00:00", dt.datetime(2024, 3, 1, 14, 3, tzinfo=UTC)),
        ("2024-03-01T14:03:00Z", dt.datetime(2024, 3, 1, 14, 3, tzinfo=UTC)),
        ("2024-03-01T23:30:00-05:00", dt.datetime(2024, 3, 2, 4, 30, tzinfo=UTC)),
        ("2024-03-01T14:03:00.123", dt.datetime(2024, 3, 1, 14, 3, 0, 123000, tzinfo=UTC)),
        ("2024-03-01", dt.datetime(2024, 3, 1, tzinfo=UTC)),
        (None, None),
    ],
)
def test_instants_are_read_in_utc(text: str | None, expected: dt.datetime | None) -> None:
    assert parse_instant(text, "first_sent") == expected


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01T00:00:00Z", 1709301780, True, ""])
def test_a_bad_instant_names_its_field(bad: object) -> None:
    with pytest.raises(BrazeDataError, match="first_sent of campaign 'c1'"):
        parse_instant(bad, "first_sent of campaign 'c1'")


@given(
    active_first=days,
    length=st.integers(min_value=1, max_value=400),
    read_back=st.integers(min_value=0, max_value=500),
    since_read=st.integers(min_value=0, max_value=400),
    lookback=st.integers(min_value=0, max_value=60),
)
def test_after_a_complete_read_only_days_still_recent_then_are_read_again(
    active_first: dt.date, length: int, read_back: int, since_read: int, lookback: int
) -> None:
    """A run that delivered all of a series as of K wrote its last day with stats as
    the bookmark B <= K. The next run (today >= K) re-reads from K less the look-back:
    every day not yet final at K, every day after K, and nothing before."""
    active = ActiveDays(active_first, active_first + dt.timedelta(days=length - 1))
    complete = active.first + dt.timedelta(days=read_back)
    bookmark = min(complete, active.last)
    today = complete + dt.timedelta(days=since_read)
    jobs = jobs_for_series(
        SeriesKey.of("campaign_stats", campaign_id="c"),
        CAMPAIGN_STATS,
        bookmark=bookmark,
        last_day=today,
        options=options(stats_lookback_days=lookback),
        active=active,
        complete_as_of=complete,
    )
    got = requested_days([job for job in jobs if isinstance(job, WindowJob)])
    since = complete - dt.timedelta(days=lookback)
    wanted = [
        day for day in (active.first + n * ONE_DAY for n in range(length)) if since <= day <= today
    ]
    assert got == asked_for(wanted)
    if active.last < since:
        assert jobs == []  # ended, and read since it ended: never requested again


def test_complete_as_of_is_read_from_the_state_and_a_bad_one_is_named() -> None:
    partition = {
        "context": {"campaign_id": "c1"},
        "replication_key": "time",
        "replication_key_value": "2024-04-09",
        COMPLETE_AS_OF: "2024-06-30",
    }
    state = {"bookmarks": {"campaign_stats": {"partitions": [partition]}}}
    key = SeriesKey.of("campaign_stats", campaign_id="c1")
    assert completions_of(state, STREAMS) == {key: dt.date(2024, 6, 30)}
    assert bookmarks_of(state, STREAMS) == {key: dt.date(2024, 4, 9)}
    partition[COMPLETE_AS_OF] = "soon"
    with pytest.raises(StateError, match="complete_as_of of series 'c1' of campaign_stats"):
        completions_of(state, STREAMS)
