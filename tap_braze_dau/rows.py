"""Checking the rows of one response against the window that was asked for.

Pure: takes the decoded `data` list, returns the rows to emit in ascending date order and
the warnings to log. What it does with each kind of bad row is documented in
docs/reliability.md:
- a row that is not {"time": "YYYY-MM-DD", <value field>: non-negative integer}:
  BrazeDataError naming the value, so nothing of the window is emitted and state does not
  move;
- a day outside the requested window: dropped with a warning (another window owns it);
- the same day twice with the same value: one kept, with a warning;
- the same day twice with different values: BrazeDataError (which one is right is
  unknowable).
"""

from __future__ import annotations

import datetime as dt
import re
import reprlib
from dataclasses import dataclass, field

from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.windows import Window

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlevel = 3
_SHORT.maxlist = _SHORT.maxdict = 5


def shown(value: object) -> str:
    """`repr(value)`, cut short: a broken answer must not flood the log."""
    return _SHORT.repr(value)


@dataclass
class CheckedRows:
    """Rows safe to emit, oldest first, and the warnings raised while checking them."""

    rows: list[tuple[dt.date, int]]
    warnings: list[str] = field(default_factory=list)


def _parse_day(value: object, series: str) -> dt.date:
    if isinstance(value, str) and _DAY_RE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    msg = f"Braze returned an invalid date {shown(value)} in {series} (time must be YYYY-MM-DD)"
    raise BrazeDataError(msg)


def _parse_count(value: object, day: dt.date, series: str, value_field: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    msg = (
        f"Braze returned an invalid {value_field} {shown(value)} for {day} in {series} "
        f"({value_field} must be a non-negative integer)"
    )
    raise BrazeDataError(msg)


def check_rows(
    data: list[object], window: Window, series: str, value_field: str = "dau"
) -> CheckedRows:
    """Validate every row of a response for `window`; `series` names it in messages."""
    counts: dict[dt.date, int] = {}
    warnings: list[str] = []
    outside: list[dt.date] = []
    for row in data:
        if not isinstance(row, dict) or "time" not in row or value_field not in row:
            msg = f"Braze returned a malformed row {shown(row)} in {series}"
            raise BrazeDataError(msg)
        day = _parse_day(row["time"], series)
        count = _parse_count(row[value_field], day, series, value_field)
        if day not in window:
            outside.append(day)
            continue
        if day in counts:
            if counts[day] != count:
                msg = (
                    f"Braze returned {day} twice in {series} with different values "
                    f"({counts[day]} and {count}); refusing to guess which is right"
                )
                raise BrazeDataError(msg)
            warnings.append(f"Braze returned {day} twice in {series}; kept one row")
            continue
        counts[day] = count
    if outside:
        warnings.append(
            f"Dropped {len(outside)} row(s) outside the requested window "
            f"{window.first}..{window.last} of {series}: "
            f"{', '.join(sorted({d.isoformat() for d in outside}))}"
        )
    return CheckedRows(rows=sorted(counts.items()), warnings=warnings)
