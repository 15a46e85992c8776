"""When to write a STATE message: a rule on what was written, never on the clock.

A Singer STATE carries the whole state, every bookmark of every stream. Written after
every window of every series, STATE bytes grow with (series x windows) x series: the
square of the work. The rule here keeps them a small share of the RECORD bytes:

- while the state is small (`SMALL_STATE_BYTES`, a handful of series), a STATE follows
  every window that emitted rows, as it always did;
- beyond that, at the end of a series (the natural place to resume from), a STATE follows
  while all such STATEs together stay within `SERIES_END_SHARE` (7%) of every RECORD byte
  written so far. In a backfill the state grows one series at a time, so in one of a few
  years every series ends with a STATE: 200 apps over 3 years spend about 6.5% of their
  RECORD bytes on them;
- and after any other window, a STATE follows when the RECORD bytes written since the
  last STATE pay for it: at least 1 / `WINDOW_SHARE` (about 33) times its size;
- the SDK writes one at the end of every stream (so at the end of the run too), and the
  tap one on SIGTERM/SIGINT and when a fatal error stops the run.

The two accounts are kept apart, so those STATEs add up to at most
`WINDOW_SHARE + SERIES_END_SHARE` (10%) of the RECORD bytes. RECORD bytes are counted
from the records themselves (`record_bytes`, a lower bound of the message size), STATE
bytes from the serialized state. The same records therefore give the same STATE
messages, in the same places, whatever `max_parallel_requests` is and however fast Braze
answers.

What a SIGKILL can lose follows from the rule: the records emitted since the last STATE,
which are at most one window while the state is small, and otherwise less than about 33
times the size of one STATE plus one window (and, where every series ends with a STATE,
never more than the series being synced). The next run re-reads them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from singer_sdk.helpers.types import TapState

#: A state up to this size is written after every window (one series of every stream
#: stays well below it: about 170 bytes per series).
SMALL_STATE_BYTES = 1024
#: A STATE after an ordinary window costs at most this share of the records before it...
WINDOW_SHARE = 0.03
#: ...and the STATEs at the ends of series together this share of all records so far.
SERIES_END_SHARE = 0.07
#: `{"type":"STATE","value":` ... `}` and the newline around the serialized state.
_STATE_ENVELOPE_BYTES = len('{"type":"STATE","value":}\n')
#: `{"type":"RECORD","stream":""` ... `}` and the newline around a record.
_RECORD_ENVELOPE_BYTES = len('{"type":"RECORD","stream":"","record":}\n')
#: The shortest `time_extracted` the SDK's writers put in a RECORD message: msgspec's
#: form of a time with no fraction of a second (`2024-01-01T00:00:00Z`).
_TIME_EXTRACTED_BYTES = len(',"time_extracted":"2024-01-01T00:00:00Z"')


def record_bytes(stream: str, record: Mapping[str, Any]) -> int:
    """A lower bound of the size of the RECORD message of `record`."""
    encoded = msgspec.json.encode(record)
    return len(encoded) + len(stream) + _RECORD_ENVELOPE_BYTES + _TIME_EXTRACTED_BYTES


def state_bytes(state: Mapping[str, Any] | TapState) -> int:
    """The size of the STATE message that carries `state`."""
    return len(msgspec.json.encode(state)) + _STATE_ENVELOPE_BYTES


class Account(enum.Enum):
    """What pays for a STATE."""

    SMALL = "small"  # the state is small: every window gets one
    SERIES_END = "series end"  # the share of all records kept for the ends of series
    WINDOW = "window"  # the records since the last STATE


@dataclass
class StateBudget:
    """What the rule looks at; pure bookkeeping."""

    #: RECORD bytes since the last STATE.
    since_state: int = 0
    #: RECORD bytes in all.
    records: int = 0
    #: Bytes of the STATEs the series-end account paid for.
    series_end_states: int = 0

    def add_records(self, size: int) -> None:
        self.since_state += size
        self.records += size

    def payer(self, size: int, *, series_end: bool) -> Account | None:
        """Which account pays for a STATE of `size` bytes now; None: do not write it."""
        if size <= SMALL_STATE_BYTES:
            return Account.SMALL
        if series_end and self.series_end_states + size <= SERIES_END_SHARE * self.records:
            return Account.SERIES_END
        if size <= WINDOW_SHARE * self.since_state:
            return Account.WINDOW
        return None

    def wrote(self, size: int, payer: Account | None) -> None:
        """A STATE of `size` bytes was written, paid by `payer` (None: by no account, as
        when a signal stops the run)."""
        self.since_state = 0
        if payer is Account.SERIES_END:
            self.series_end_states += size


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
        size = state_bytes(state)
        payer = self.budget.payer(size, series_end=series_end)
        if payer is None:
            return False
        self._write(state)
        self.budget.wrote(size, payer)
        return True

    def write_now(self) -> None:
        """A STATE whatever the budget: a signal or a fatal error is stopping the run."""
        state = self._state()
        self._write(state)
        self.budget.wrote(state_bytes(state), None)
