"""When an export in the workspace's bucket is complete: the settle rule, over hours of
Braze writing files, on a fake clock (a local folder is the bucket). Properties: with
no gap between two files as long as the settle time, every file is handed on, never
before the last has been there the whole settle time."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_braze_dau.exports.export_bucket import NotSettled, export_files, settled_files
from tap_braze_dau.exports.polling import Polls, settle_poll_cap
from tap_braze_dau.storage.location import Location
from tap_braze_dau.storage.options import StorageOptions
from tap_braze_dau.storage.store import ObjectStorage

SETTLE = 300.0
STARTED = dt.date(2026, 3, 1)
PREFIX = "0b7d-1772323200"
LOGGER = logging.getLogger("tests")


class Braze:
    """Writes the export's files into `root` at scripted instants of a fake clock."""

    def __init__(self, root: Path, arrivals: list[float]) -> None:
        self.root = root
        self.arrivals = sorted(arrivals)
        self.now = 0.0
        self.written = 0
        self._write_due()

    def _write_due(self) -> None:
        while self.written < len(self.arrivals) and self.arrivals[self.written] <= self.now:
            folder = self.root / "segment-export" / "seg" / "2026-03-01" / PREFIX
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{self.written:04d}.gz").write_bytes(b"x")
            self.written += 1

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.now += seconds
        self._write_due()
        return False


def polls(braze: Braze, timeout: float = 10 * 3600) -> Polls:
    return Polls(
        timeout_seconds=timeout,
        base_seconds=1.0,
        stop=threading.Event(),
        clock=braze.clock,
        sleep=braze.sleep,
    )


def storage(root: Path) -> ObjectStorage:
    return ObjectStorage(Location("file", str(root)), StorageOptions(), setting="users_export_url")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.floats(min_value=0, max_value=4000),
    gaps=st.lists(st.floats(min_value=0, max_value=SETTLE * 0.99), max_size=12),
)
def test_every_file_is_handed_on_once_none_is_new_for_the_settle_time(
    tmp_path_factory: pytest.TempPathFactory, first: float, gaps: list[float]
) -> None:
    root = tmp_path_factory.mktemp("bucket")
    arrivals = [first]
    for gap in gaps:
        arrivals.append(arrivals[-1] + gap)
    braze = Braze(root, arrivals)
    files = settled_files(
        storage(root),
        "seg",
        PREFIX,
        STARTED,
        settle_seconds=SETTLE,
        polls=polls(braze),
        logger=LOGGER,
    )
    assert len(files) == len(arrivals)
    assert braze.now >= arrivals[-1] + SETTLE
    assert braze.now <= arrivals[-1] + SETTLE + 2 * settle_poll_cap(SETTLE)


def test_a_gap_longer_than_the_settle_time_ends_the_export_early(tmp_path: Path) -> None:
    """What the setting is for: Braze pausing longer than it between two files of one
    export would have the first part taken for the whole (the README says so)."""
    braze = Braze(tmp_path, [0.0, SETTLE + 200])
    files = settled_files(
        storage(tmp_path),
        "seg",
        PREFIX,
        STARTED,
        settle_seconds=SETTLE,
        polls=polls(braze),
        logger=LOGGER,
    )
    assert len(files) == 1


def test_an_export_that_writes_nothing_times_out(tmp_path: Path) -> None:
    braze = Braze(tmp_path, [])
    with pytest.raises(NotSettled, match="wrote no file"):
        settled_files(
            storage(tmp_path),
            "seg",
            PREFIX,
            STARTED,
            settle_seconds=SETTLE,
            polls=polls(braze, timeout=3600),
            logger=LOGGER,
        )
    assert 3600 <= braze.now <= 3600 + 1


def test_only_the_exports_own_folder_is_read_and_files_in_writing_are_not(tmp_path: Path) -> None:
    for date, prefix, name in [
        ("2026-03-01", PREFIX, "a.gz"),
        ("2026-03-02", PREFIX, "b.gz"),
        ("2026-03-01", PREFIX, ".c.gz.part"),
        ("2026-03-01", "other-export", "d.gz"),
        ("2026-02-20", PREFIX, "e.gz"),  # a date folder before the export started
    ]:
        folder = tmp_path / "segment-export" / "seg" / date / prefix
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")
    keys = [
        f.key.rsplit("/", 2)[-2:] for f in export_files(storage(tmp_path), "seg", PREFIX, STARTED)
    ]
    assert sorted(keys) == [[PREFIX, "a.gz"], [PREFIX, "b.gz"]]
