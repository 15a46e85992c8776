"""Checking the rows of one response against the window that was asked for.

Pure: takes the decoded `data` list, returns the rows to emit in ascending date order and
the warnings to log. What it does with each kind of bad row is documented in
docs/reliability.md:
- a row that is not {"time": "YYYY-MM-DD", <value field>: non-negative integer} (or
  number, for a value declared as one, such as revenue):
  BrazeDataError naming the value, so nothing of the window is emitted and state does not
  move;
- a day outside the requested window: dropped with a warning (another window owns it);
- the same day twice with the same value: one kept, with a warning;
- the same day twice with different values: BrazeDataError (which one is right is
  unknowable).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from tap_braze_dau.braze.answers import Asked, data_of
from tap_braze_dau.braze.transport import Answer
from tap_braze_dau.declarations import ValueKind
from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.plan.windows import Window
from tap_braze_dau.redaction import redact, shown

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class CheckedRows:
    """Rows safe to emit, oldest first, and the warnings raised while checking them."""

    rows: list[tuple[dt.date, int | float]]
    warnings: list[str] = field(default_factory=list)


def _parse_day(value: object, series: str) -> dt.date:
    if isinstance(value, str) and _DAY_RE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    msg = f"Braze returned an invalid date {shown(value)} in {series} (time must be YYYY-MM-DD)"
    raise BrazeDataError(msg)


def _parse_value(
    value: object, day: dt.date, series: str, value_field: str, kind: ValueKind
) -> int | float:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if kind == "number" and isinstance(value, float) and math.isfinite(value) and value >= 0:
        return value
    what = "integer" if kind == "integer" else "number"
    msg = (
        f"Braze returned an invalid {value_field} {shown(value)} for {day} in {series} "
        f"({value_field} must be a non-negative {what})"
    )
    raise BrazeDataError(msg)


def check_rows(
    data: Sequence[object],
    window: Window,
    series: str,
    value_field: str = "dau",
    kind: ValueKind = "integer",
) -> CheckedRows:
    """Validate every row of a response for `window`; `series` names it in messages."""
    counts: dict[dt.date, int | float] = {}
    warnings: list[str] = []
    outside: list[dt.date] = []
    for row in data:
        if not isinstance(row, dict) or "time" not in row or value_field not in row:
            msg = f"Braze returned a malformed row {shown(row)} in {series}"
            raise BrazeDataError(msg)
        day = _parse_day(row["time"], series)
        count = _parse_value(row[value_field], day, series, value_field, kind)
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


def rows_of(
    answer: Answer,
    asked: Asked,
    window: Window,
    series: str,
    *,
    now: float,
    fallback_wait: float,
    value_field: str = "dau",
    kind: ValueKind = "integer",
) -> CheckedRows:
    """The whole path from an answer to the rows of `window` (or the tap's own error)."""
    data = data_of(answer, asked, now=now, fallback_wait=fallback_wait)
    try:
        return check_rows(data, window, series, value_field, kind)
    except BrazeDataError as exc:  # a row may quote anything, even what was sent
        raise BrazeDataError(redact(str(exc), asked.secret)) from None
