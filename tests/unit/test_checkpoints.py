"""The STATE rule (checkpoints.py) on its own: pure bookkeeping, any sequence of windows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.plan.checkpoints import (
    SERIES_END_SHARE,
    SMALL_STATE_BYTES,
    WINDOW_SHARE,
    Account,
    Checkpoints,
    StateBudget,
    record_bytes,
    state_bytes,
)


@pytest.mark.parametrize(
    "time_extracted",
    ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.123456Z", "2024-01-01T00:00:00+00:00"],
    ids=["msgspec-whole-second", "msgspec", "sdk-json"],
)
def test_record_bytes_is_a_lower_bound_of_the_record_message(time_extracted: str) -> None:
    message: dict[str, Any] = {
        "type": "RECORD",
        "stream": "new_users",
        "record": {"app_id": "ios", "time": "2024-01-01", "new_users": 1234},
        "time_extracted": time_extracted,
    }
    line = json.dumps(message, separators=(",", ":")) + "\n"
    estimate = record_bytes("new_users", message["record"])
    assert estimate <= len(line)
    assert estimate >= len(line) - len(".123456+00:00")


def test_state_bytes_is_the_size_of_the_state_message() -> None:
    state = {"bookmarks": {"dau": {"partitions": [{"context": {"app_id": "ios"}}]}}}
    line = json.dumps({"type": "STATE", "value": state}, separators=(",", ":")) + "\n"
    assert state_bytes(state) == len(line)


def test_a_small_state_is_always_written() -> None:
    budget = StateBudget()
    assert budget.payer(SMALL_STATE_BYTES, series_end=False) is Account.SMALL
    assert budget.payer(SMALL_STATE_BYTES + 1, series_end=False) is None


def test_a_window_state_is_paid_for_by_the_records_since_the_last_state() -> None:
    budget = StateBudget()
    budget.add_records(100_000)
    assert budget.payer(3_000, series_end=False) is Account.WINDOW
    assert budget.payer(3_001, series_end=False) is None
    budget.wrote(3_000, Account.WINDOW)
    assert budget.payer(2_000, series_end=False) is None
    budget.add_records(100_000)
    assert budget.payer(3_000, series_end=False) is Account.WINDOW


def test_series_end_states_share_the_records_of_the_whole_run() -> None:
    budget = StateBudget()
    budget.add_records(100_000)
    # 7% of everything so far, whatever the STATEs since
    assert budget.payer(7_000, series_end=True) is Account.SERIES_END
    budget.wrote(2_000, Account.SERIES_END)
    assert budget.payer(5_000, series_end=True) is Account.SERIES_END
    assert budget.payer(5_001, series_end=True) is None
    budget.wrote(5_000, Account.SERIES_END)
    # spent: the next series must bring records of its own
    assert budget.payer(1_100, series_end=True) is None
    budget.add_records(20_000)
    assert budget.payer(1_400, series_end=True) is Account.SERIES_END
    # a signal's STATE is paid by no account, but starts the window account again
    budget.wrote(9_999, None)
    assert budget.series_end_states == 7_000
    assert budget.since_state == 0


class FakeTap:
    """A state that grows like a tap's: one partition more every few windows."""

    def __init__(self) -> None:
        self.partitions: list[dict[str, Any]] = []
        self.written: list[int] = []

    def state(self) -> Any:
        return {"bookmarks": {"dau": {"partitions": self.partitions}}}

    def write(self, state: Any) -> None:
        self.written.append(state_bytes(state))


@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=100), st.booleans(), st.booleans()),
        min_size=1,
        max_size=400,
    )
)
def test_state_written_stays_within_its_share_once_the_state_is_not_small(
    windows: list[tuple[int, bool, bool]],
) -> None:
    """Whatever the windows, the STATE bytes written while the state is over the small
    size never exceed WINDOW_SHARE + SERIES_END_SHARE of the RECORD bytes written, and the
    records since the last STATE never exceed what one STATE costs, plus one window."""
    tap = FakeTap()
    checkpoints = Checkpoints(state=tap.state, write=tap.write)
    records = 0
    for rows, series_end, new_series in windows:
        if new_series:
            app_id = f"app-{len(tap.partitions):04d}"
            tap.partitions.append(
                {
                    "context": {"app_id": app_id},
                    "replication_key": "time",
                    "replication_key_value": "2024-01-01",
                }
            )
        size = rows * record_bytes("dau", {"app_id": "app", "time": "2024-01-01", "dau": 1000})
        records += size
        before = len(tap.written)
        written = checkpoints.window_written(size, series_end=series_end)
        assert written == (len(tap.written) == before + 1)
        if not written:
            unpaid = checkpoints.budget.since_state - size
            assert unpaid * WINDOW_SHARE < state_bytes(tap.state())
    large = sum(size for size in tap.written if size > SMALL_STATE_BYTES)
    assert large <= (WINDOW_SHARE + SERIES_END_SHARE) * records


def test_write_now_writes_whatever_the_budget() -> None:
    tap = FakeTap()
    tap.partitions = [{"context": {"app_id": f"a{n}"}} for n in range(100)]
    checkpoints = Checkpoints(state=tap.state, write=tap.write)
    assert not checkpoints.window_written(10, series_end=True)
    checkpoints.write_now()
    assert len(tap.written) == 1
