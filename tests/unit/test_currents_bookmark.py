"""The Currents file bookmark: which files a run reads, and a STATE bounded whatever the
history. Pure; properties over any history of files."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.currents.bookmark import (
    FileBookmark,
    bookmark_of,
    file_id,
    first_hour_to_list,
)
from tap_braze_dau.currents.layout import hour_of
from tap_braze_dau.errors import StateError

UTC = dt.timezone.utc
START = dt.datetime(2024, 5, 1, tzinfo=UTC)


def hour(n: int) -> str:
    return hour_of(START + dt.timedelta(hours=n))


def key(n_hour: int, n_file: int) -> str:
    return f"i/event_type=a.B/date={hour(n_hour)}/1/0/i+0+{n_hour * 1000 + n_file}.avro"


def read_all(hours: int, files_per_hour: int, lookback: int) -> FileBookmark:
    bookmark = FileBookmark()
    for h in range(hours):
        for f in range(files_per_hour):
            bookmark = bookmark.with_file(hour(h), key(h, f), lookback)
    return bookmark


def state_size(bookmark: FileBookmark) -> int:
    return len(json.dumps(bookmark.to_state()))


@pytest.mark.parametrize("files_per_hour", [1, 12])
def test_state_does_not_grow_with_the_history(files_per_hour: int) -> None:
    """30 days and 90 days of files: the same STATE size (it holds the look-back's)."""
    month = state_size(read_all(30 * 24, files_per_hour, 48))
    quarter = state_size(read_all(90 * 24, files_per_hour, 48))
    assert abs(month - quarter) <= 0.1 * month
    assert month < (48 + 1) * files_per_hour * 16 + 50 * 20 + 100


@given(
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=72),
    st.lists(st.tuples(st.integers(0, 80), st.integers(0, 5)), max_size=60),
)
def test_a_run_reads_each_file_once_and_a_late_one_within_the_look_back(
    hours: int, lookback: int, late: list[tuple[int, int]]
) -> None:
    """Read a history hour by hour, then files that land late in older hour folders:
    each is read by the next run if its folder is within the look-back of the newest
    read, never twice, and nothing older is listed."""
    bookmark = read_all(hours, 2, lookback)
    assert bookmark.newest_hour == hour(hours - 1)
    first = first_hour_to_list(bookmark, None, lookback)
    assert first == hour(hours - 1 - lookback)
    for h, f in late:
        if h >= hours:
            continue
        listed = hour(h) >= first
        name = key(h, 100 + f)
        if not listed:
            continue  # older than the look-back: not listed, as documented
        if bookmark.has_read(hour(h), name):
            continue  # the same late file twice in the list
        bookmark = bookmark.with_file(hour(h), name, lookback)
        assert bookmark.has_read(hour(h), name)
    for h in range(max(0, hours - 1 - lookback), hours):
        assert bookmark.has_read(hour(h), key(h, 0))


def test_files_of_folders_older_than_the_look_back_are_forgotten() -> None:
    bookmark = read_all(100, 3, 48)
    assert sorted(bookmark.read) == [hour(h) for h in range(99 - 48, 100)]
    assert all(len(ids) == 3 * 16 for ids in bookmark.read.values())


def test_the_first_hour_to_list_without_a_bookmark() -> None:
    assert first_hour_to_list(FileBookmark(), dt.date(2024, 5, 3), 48) == "2024-05-03-00"
    assert first_hour_to_list(FileBookmark(), None, 48) is None


def test_a_file_id_is_16_characters_and_differs_by_key() -> None:
    ids = {file_id(key(h, f)) for h in range(50) for f in range(50)}
    assert len(ids) == 2500
    assert {len(i) for i in ids} == {16}


def test_the_state_round_trips_and_a_bad_one_is_named() -> None:
    bookmark = read_all(5, 2, 48)
    assert bookmark_of(bookmark.to_state(), "s") == bookmark
    assert bookmark_of({}, "s") == FileBookmark()
    with pytest.raises(StateError, match="newest_hour of s"):
        bookmark_of({"newest_hour": "yesterday"}, "s")
    with pytest.raises(StateError, match="read_files of s"):
        bookmark_of({"newest_hour": hour(1), "read_files": {hour(1): "short"}}, "s")
