"""When to write a STATE message: a rule on what was written, never on the clock.

A Singer STATE carries the whole state, every bookmark of every stream. Written after
every window of every series, STATE bytes grow with (series x windows) x series: the
square of the work. The rule here keeps them a small share of the RECORD bytes:

- while the state is small (`SMALL_STATE_BYTES`, a handful of series), a STATE follows
  every window that emitted rows, as it always did;
- beyond that, a STATE follows such a window when the RECORD bytes written since the last
  STATE pay for it: at least 1 / `WINDOW_SHARE` (25) times its size;
- or, at the end of a series (the natural place to resume from), when the RECORD bytes
  written since the last STATE at a series end are at least 1 / `SERIES_END_SHARE` (about
  17) times its size;
- the SDK writes one at the end of every stream (so at the end of the run too), and the
  tap one on SIGTERM/SIGINT and when a fatal error stops the run.

Each STATE past the small size is paid for by records no other STATE paid for, so those
STATEs add up to at most `WINDOW_SHARE + SERIES_END_SHARE` (10%) of the RECORD bytes.
RECORD bytes are counted from the records themselves (`record_bytes`, a lower bound of
the message size: it leaves out `time_extracted`), STATE bytes from the serialized state.
The same records therefore give the same STATE messages, in the same places, whatever
`max_parallel_requests` is and however fast Braze answers.

What a SIGKILL can lose follows from the rule: the records emitted since the last STATE,
which are at most one window while the state is small, and otherwise less than 25 times
the size of one STATE plus one window. The next run re-reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from singer_sdk.helpers.types import TapState

#: A state up to this size is written after every window (one series of every stream
#: stays well below it: about 170 bytes per series).
SMALL_STATE_BYTES = 1024
#: A STATE after an ordinary window costs at most this share of the records before it...
WINDOW_SHARE = 0.04
#: ...and one at the end of a series this share of the records since the last such STATE.
SERIES_END_SHARE = 0.06
#: `{"type":"STATE","value":` ... `}` and the newline around the serialized state.
_STATE_ENVELOPE_BYTES = len('{"type":"STATE","value":}\n')


def record_bytes(stream: str, app_id: str, value_field: str, value: int) -> int:
    """A lower bound of the size of the RECORD message of one row."""
    return len(
        f'{{"type":"RECORD","stream":"{stream}","record":{{"app_id":"{app_id}",'
        f'"time":"YYYY-MM-DD","{value_field}":{value}}}}}\n'
    )


def state_bytes(state: Mapping[str, Any] | TapState) -> int:
    """The size of the STATE message that carries `state`."""
    return len(msgspec.json.encode(state)) + _STATE_ENVELOPE_BYTES


@dataclass
class StateBudget:
    """What the rule looks at: RECORD bytes since the last STATE, and since the last STATE
    at a series end; pure bookkeeping."""

    since_state: int = 0
    since_series_end_state: int = 0

    def add_records(self, size: int) -> None:
        self.since_state += size
        self.since_series_end_state += size

    def allows(self, size: int, *, series_end: bool) -> bool:
        """Whether a STATE of `size` bytes may be written now."""
        if size <= SMALL_STATE_BYTES:
            return True
        if series_end and size <= SERIES_END_SHARE * self.since_series_end_state:
            return True
        return size <= WINDOW_SHARE * self.since_state

    def wrote(self, *, series_end: bool) -> None:
        self.since_state = 0
        if series_end:
            self.since_series_end_state = 0


class Checkpoints:
    """Writes STATE where the rule says, for every stream of a run (they share one state).

    `state` returns the tap's current state (it claims exactly the records written so
    far: the SDK advances a bookmark after writing each record); `write` emits it.
    """

    def __init__(
        self,
        state: Callable[[], TapState],
        write: Callable[[TapState], None],
    ) -> None:
        self._state = state
        self._write = write
        self.budget = StateBudget()

    def window_written(self, record_bytes: int, *, series_end: bool) -> bool:
        """After a window's records: write a STATE if the rule allows; True if written."""
        self.budget.add_records(record_bytes)
        state = self._state()
        if not self.budget.allows(state_bytes(state), series_end=series_end):
            return False
        self._write(state)
        self.budget.wrote(series_end=series_end)
        return True

    def write_now(self) -> None:
        """A STATE whatever the budget: a signal or a fatal error is stopping the run."""
        self._write(self._state())
        self.budget.wrote(series_end=False)
