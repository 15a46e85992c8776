"""The pure logic of the user-level exports: suppression-list windows and pages, the
definitions' `modified_after` and paging, poll backoff and the bucket's settle rule.
Properties over any input where the input space is large."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.exports.definitions import (
    CONTENT_BLOCKS,
    EMAIL_TEMPLATES,
    list_params,
    listed_items,
    merged,
    modified_after,
)
from tap_braze_dau.exports.definitions import (
    PAGE_SIZE as LIST_PAGE,
)
from tap_braze_dau.exports.polling import MAX_POLL_SECONDS, poll_delay, settle_poll_cap, settled
from tap_braze_dau.exports.suppressions import (
    HARD_BOUNCES,
    PAGE_SIZE,
    UNSUBSCRIBES,
    WINDOW_DAYS,
    SuppressionList,
    first_day,
    plan_suppression_windows,
    walk_back_windows,
    window_params,
    window_rows,
)
from tap_braze_dau.exports.users import export_body, object_prefix_of, read_profile
from tap_braze_dau.plan.windows import Window

DAY = dt.date(2026, 3, 1)
days = st.integers(min_value=0, max_value=400)


def days_of(window: Window) -> list[dt.date]:
    return [window.first + dt.timedelta(days=n) for n in range(window.length)]


# -- suppression windows ------------------------------------------------------------------


@given(days, days)
def test_windows_cover_each_day_once_in_order(offset: int, span: int) -> None:
    first = DAY + dt.timedelta(days=offset)
    last = first + dt.timedelta(days=span)
    windows = plan_suppression_windows(first, last)
    covered = [day for w in windows for day in days_of(w)]
    assert covered == [first + dt.timedelta(days=n) for n in range(span + 1)]
    assert all(w.length <= WINDOW_DAYS for w in windows)


@given(st.integers(min_value=1, max_value=800))
def test_walk_back_windows_go_newest_first_and_stop_at_the_history_bound(max_days: int) -> None:
    windows = walk_back_windows(DAY, max_days)
    covered = [day for w in reversed(windows) for day in days_of(w)]
    assert covered == [DAY - dt.timedelta(days=n) for n in reversed(range(max_days))]
    assert windows[0].last == DAY


def test_a_window_asks_for_the_day_after_its_last() -> None:
    """`end_date` is midnight UTC: the day after the last one wanted, so the last day is
    in the answer whether or not Braze counts `end_date` itself."""
    params = window_params(Window(dt.date(2026, 3, 1), dt.date(2026, 3, 7)))
    assert params == {"start_date": "2026-03-01", "end_date": "2026-03-08"}


@given(
    st.none() | st.integers(min_value=0, max_value=100),
    st.none() | st.integers(min_value=0, max_value=100),
    st.integers(min_value=0, max_value=30),
)
def test_the_first_day_is_the_bookmarks_less_the_look_back_never_before_start_date(
    bookmark_offset: int | None, start_offset: int | None, lookback: int
) -> None:
    bookmark = (
        None
        if bookmark_offset is None
        else (
            dt.datetime.combine(DAY + dt.timedelta(days=bookmark_offset), dt.time(13, 5))
            .replace(tzinfo=dt.timezone.utc)
            .isoformat()
        )
    )
    start = None if start_offset is None else DAY + dt.timedelta(days=start_offset)
    got = first_day(bookmark, start, lookback, "hard_bounced_at")
    if bookmark_offset is None:
        assert got == start
        return
    expected = DAY + dt.timedelta(days=bookmark_offset - lookback)
    assert got == (max(expected, start) if start else expected)


def rows_for(window: Window, per_day: int, field: str) -> list[dict[str, str]]:
    return [
        {"email": f"u{n}@{day:%m%d}.test", field: f"{day.isoformat()}T{n % 24:02d}:00:00Z"}
        for day in days_of(window)
        for n in range(per_day)
    ]


@given(
    st.integers(min_value=0, max_value=300),
    st.sampled_from([HARD_BOUNCES, UNSUBSCRIBES]),
    st.booleans(),
)
def test_a_window_is_paged_until_a_short_page_each_row_once_oldest_first(
    per_day: int, suppression: SuppressionList, newest_first: bool
) -> None:
    field = suppression.time_field
    window = Window(DAY, DAY + dt.timedelta(days=6))
    rows = rows_for(window, per_day, field)
    if newest_first:
        rows.reverse()
    asked: list[int] = []

    def page(offset: int) -> list[object]:
        asked.append(offset)
        return list(rows[offset : offset + PAGE_SIZE])

    got = window_rows(page, window, suppression)
    assert asked == [PAGE_SIZE * n for n in range(len(rows) // PAGE_SIZE + 1)]
    assert sorted(got, key=lambda r: (r[field], r["email"])) == got
    assert len(got) == len({(r["email"], r[field]) for r in rows})


def test_a_row_pushed_onto_the_next_page_arrives_once() -> None:
    """A new row at the top pushes the last one of a page onto the next: seen twice,
    kept once."""
    window = Window(DAY, DAY)
    rows = rows_for(window, PAGE_SIZE, "hard_bounced_at")
    pages = {0: rows[:PAGE_SIZE], PAGE_SIZE: rows[PAGE_SIZE - 1 :]}
    got = window_rows(lambda offset: list(pages[offset]), window, HARD_BOUNCES)
    assert len(got) == PAGE_SIZE


def test_rows_of_the_day_after_the_window_are_left_to_the_next_window() -> None:
    window = Window(DAY, DAY)
    inside = {"email": "a@x.test", "hard_bounced_at": f"{DAY}T23:59:59Z"}
    after = {"email": "b@x.test", "hard_bounced_at": f"{DAY + dt.timedelta(days=1)}T00:00:00Z"}
    assert window_rows(lambda _o: [inside, after], window, HARD_BOUNCES) == [inside]


@pytest.mark.parametrize(
    "row",
    [
        {"email": "a@x.test"},
        {"hard_bounced_at": "2026-03-01T00:00:00Z"},
        {"email": "", "hard_bounced_at": "2026-03-01T00:00:00Z"},
        {"email": "a@x.test", "hard_bounced_at": "yesterday"},
        "a@x.test",
    ],
)
def test_a_row_that_is_not_one_stops_the_run_without_quoting_an_address(row: object) -> None:
    with pytest.raises(BrazeDataError) as caught:
        window_rows(lambda _o: [row], Window(DAY, DAY), HARD_BOUNCES)
    assert "/email/hard_bounces" in str(caught.value)
    if isinstance(row, dict):
        assert "a@x.test" not in str(caught.value)


# -- definitions ----------------------------------------------------------------------------


def test_modified_after_is_the_bookmark_less_the_look_back_in_braze_s_form() -> None:
    assert modified_after("2026-03-10T08:30:00Z", None, 3, "x") == "2026-03-07T08:30:00.000000"
    assert modified_after("2026-03-10T08:30:00Z", DAY + dt.timedelta(days=8), 3, "x") == (
        "2026-03-09T00:00:00.000000"
    )
    assert modified_after(None, DAY, 3, "x") == "2026-03-01T00:00:00.000000"
    assert modified_after(None, None, 3, "x") is None


def test_the_first_page_has_no_offset() -> None:
    """Braze's docs say both "number to skip" and "must be greater than 0"."""
    assert list_params(None, 0) == {"limit": LIST_PAGE}
    assert list_params("2026-03-01T00:00:00.000000", 2000) == {
        "limit": LIST_PAGE,
        "modified_after": "2026-03-01T00:00:00.000000",
        "offset": 2000,
    }


@given(st.integers(min_value=0, max_value=2500), st.integers(min_value=0, max_value=5))
def test_listed_items_are_each_once_oldest_edit_first(count: int, moved: int) -> None:
    items = [
        {"content_block_id": f"cb{n}", "last_edited": f"2026-03-01T00:{n % 60:02d}:{n % 7:02d}Z"}
        for n in range(count)
    ]

    def page(offset: int) -> list[object]:
        chunk: list[object] = list(items[offset : offset + LIST_PAGE])
        if offset and chunk:  # items edited meanwhile, listed again on a later page
            chunk = [*items[:moved], *chunk][: len(chunk)]
        return chunk

    got = listed_items(page, CONTENT_BLOCKS)
    ids = [item["content_block_id"] for item in got]
    assert len(ids) == len(set(ids))
    assert set(ids) <= {item["content_block_id"] for item in items}
    assert [i["last_edited"] for i in got] == sorted(i["last_edited"] for i in got)


def test_the_info_is_merged_but_the_lists_key_and_time_win() -> None:
    item = {"email_template_id": "t1", "updated_at": "2026-03-01T00:00:00Z", "tags": ["a"]}
    info = {
        "message": "success",
        "email_template_id": "other",
        "updated_at": "2020-01-01T00:00:00Z",
        "subject": "Hi",
    }
    assert merged(item, info, EMAIL_TEMPLATES) == {
        "email_template_id": "t1",
        "updated_at": "2026-03-01T00:00:00Z",
        "tags": ["a"],
        "subject": "Hi",
    }


# -- polling and settling -------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=200), st.floats(min_value=0.001, max_value=30))
def test_polls_back_off_to_at_most_the_cap(attempt: int, base: float) -> None:
    delays = [poll_delay(n, base) for n in range(attempt + 1)]
    assert delays[0] == pytest.approx(min(base, MAX_POLL_SECONDS))
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert max(delays) <= MAX_POLL_SECONDS


@given(
    st.dictionaries(st.text(min_size=1, max_size=5), st.floats(0, 1000), max_size=8),
    st.floats(0, 2000),
    st.floats(0.01, 600),
)
def test_an_export_is_complete_only_once_some_file_is_older_than_the_settle_time(
    first_seen: dict[str, float], now: float, settle: float
) -> None:
    done = settled(first_seen, now, settle)
    if not first_seen:
        assert not done
    else:
        assert done == all(now - seen >= settle for seen in first_seen.values())
    assert 0 < settle_poll_cap(settle) <= min(MAX_POLL_SECONDS, max(0.01, settle / 4))


# -- the user export's answers --------------------------------------------------------------


def test_braze_id_is_always_asked_for() -> None:
    assert export_body("s1", ("email",)) == {
        "segment_id": "s1",
        "fields_to_export": ["braze_id", "email"],
    }
    assert export_body("s1", ("email", "braze_id"))["fields_to_export"] == ["email", "braze_id"]
    assert export_body("s1", ("email",), to_bucket=True)["output_format"] == "gzip"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"message": "success", "object_prefix": "p1", "url": "https://x.test/a.zip?s=1"}, "url"),
        ({"message": "success", "object_prefix": "p1", "url": None}, None),
        ({"message": "success", "object_prefix": "p1"}, None),
    ],
)
def test_the_export_answer_says_url_or_bucket(answer: dict[str, object], expected: str) -> None:
    prefix, url = object_prefix_of(answer, "s1")
    assert prefix == "p1"
    assert url == (answer["url"] if expected else None)


@pytest.mark.parametrize(
    "url", ["http://downloads.example.com/a.zip", "ftp://x.test/a", "file:///etc/passwd", 3]
)
def test_a_download_url_the_tap_will_not_ask_is_refused(url: object) -> None:
    answer = {"message": "success", "object_prefix": "p1", "url": url}
    with pytest.raises(BrazeDataError.__mro__[1]):  # BrazeFatalError
        object_prefix_of(answer, "s1")


def test_a_profile_without_braze_id_is_not_data() -> None:
    with pytest.raises(BrazeDataError, match="braze_id"):
        read_profile({"email": "a@x.test"}, "s1", "file 1")
    assert read_profile({"braze_id": "b1", "x": 1}, "s1", "file 1") == {
        "segment_id": "s1",
        "braze_id": "b1",
        "x": 1,
    }


def test_a_server_that_ignores_offset_stops_the_run_at_the_second_page() -> None:
    window = Window(DAY, DAY)
    full = rows_for(window, PAGE_SIZE, "hard_bounced_at")
    asked: list[int] = []

    def same_page(offset: int) -> list[object]:
        asked.append(offset)
        return list(full)

    with pytest.raises(BrazeDataError, match="ignores offset"):
        window_rows(same_page, window, HARD_BOUNCES)
    assert asked == [0, PAGE_SIZE]
    items = [
        {"content_block_id": f"cb{n}", "last_edited": "2026-03-01T00:00:00Z"}
        for n in range(LIST_PAGE)
    ]
    with pytest.raises(BrazeDataError, match="ignores offset"):
        listed_items(lambda _offset: list(items), CONTENT_BLOCKS)
