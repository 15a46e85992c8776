"""When to write a STATE message: a rule on what was written, never on the clock.

A Singer STATE carries the whole state, every bookmark of every stream. Written after
every window of every series, STATE bytes grow with (series x windows) x series: the
square of the work. The rule here keeps them a small share of the RECORD bytes:

- while the state is small (`SMALL_STATE_BYTES`, a handful of series), a STATE follows
  every window that emitted rows, as it always did;
- beyond that, a STATE follows such a window only while the STATE bytes written so far,
  this one included, stay within `WINDOW_SHARE` of the RECORD bytes written so far, or
  within `SERIES_END_SHARE` at the end of a series (the natural place to resume from);
- the SDK writes one at the end of every stream (so at the end of the run too), and the
  tap one on SIGTERM/SIGINT and when a fatal error stops the run.

RECORD bytes are counted from the records themselves (`record_bytes`, a lower bound of
the message size: it leaves out `time_extracted`), STATE bytes from the serialized state.
The same records therefore give the same STATE messages, in the same places, whatever
`max_parallel_requests` is and however fast Braze answers.

What a SIGKILL can lose follows from the rule: the records emitted since the last STATE,
which are at most one window, or (past the small state) about 1 / `WINDOW_SHARE` = 20
times the size of one STATE, plus one window. The next run re-reads them.
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
#: Largest share of RECORD bytes that STATE bytes may reach after an ordinary window...
WINDOW_SHARE = 0.05
#: ...and at the end of a series.
SERIES_END_SHARE = 0.09
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
    """The running totals the rule looks at; pure bookkeeping."""

    record_bytes: int = 0
    state_bytes: int = 0

    def allows(self, size: int, *, series_end: bool) -> bool:
        """Whether a STATE of `size` bytes may be written now."""
        if size <= SMALL_STATE_BYTES:
            return True
        share = SERIES_END_SHARE if series_end else WINDOW_SHARE
        return self.state_bytes + size <= share * self.record_bytes


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
        self.budget.record_bytes += record_bytes
        state = self._state()
        size = state_bytes(state)
        if not self.budget.allows(size, series_end=series_end):
            return False
        self._write(state)
        self.budget.state_bytes += size
        return True

    def write_now(self) -> None:
        """A STATE whatever the budget: a signal or a fatal error is stopping the run."""
        state = self._state()
        self._write(state)
        self.budget.state_bytes += state_bytes(state)
