"""Checking the rows of one response against the window that was asked for.

Pure: takes the decoded `data` list, returns the rows to emit in ascending date order and
the warnings to log. What it does with each kind of bad row is documented in
docs/reliability.md:
- a row that is not {"time": "YYYY-MM-DD", <value field>: non-negative integer} (or a
  finite number, for an amount such as revenue; for an hourly series `time` is an
  ISO-8601 timestamp: one with an offset is converted to UTC, one without is read in the
  configured zone, a repeated one there being the second of a daylight-saving fold):
  BrazeDataError naming the value, so nothing of the window is emitted and state does not
  move;
- a stats row (`read_record`: a campaign's or Canvas' day) is read as a record: every
  field kept, those of the stream's values checked (a count a non-negative integer, an
  amount a finite number, an object an object; null where optional), a Canvas'
  `total_stats` lifted beside the breakdowns;
- a day the answer may hold (`Window.answerable`: a request answers its window, or its
  window one day earlier, see windows.py) but outside the days the run syncs (`keep`):
  dropped in silence (another request holds it, or it is outside the run's range);
- a day outside what the answer may hold: dropped with a warning;
- the same day twice with the same value: one kept, with a warning;
- the same day twice with different values: BrazeDataError (which one is right is
  unknowable).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tap_braze_dau.braze.answers import Asked, data_of
from tap_braze_dau.braze.transport import Answer
from tap_braze_dau.declarations import StreamDeclaration, ValueKind
from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.plan.windows import UTC, Window, moment_text
from tap_braze_dau.redaction import redact, shown

_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass
class CheckedRows:
    """Rows safe to emit, oldest first, and the warnings raised while checking them. A
    row's moment is a day, or (hourly series) an aware UTC datetime."""

    rows: list[tuple[dt.date, RowValue]]
    warnings: list[str] = field(default_factory=list)


#: A row's value: a count or an amount, or (stats) the record's fields beside its key.
RowValue = int | float | dict[str, Any]
#: Reads the value of a row of a given day.
ReadValue = Callable[[dict[str, Any], dt.date], RowValue]


class _HourReader:
    """Reads the timestamps of one hourly answer. Braze does not document their zone: one
    with an offset is an instant; one without is a wall time in `zone`, and the second
    time the same wall time appears it is the later of the two instants it names (the
    hour repeated when clocks go back)."""

    def __init__(self, zone: dt.tzinfo | None, series: str) -> None:
        self._zone = zone or UTC
        self._series = series
        self._seen: set[dt.datetime] = set()

    def read(self, value: object) -> dt.datetime:
        if isinstance(value, str) and _TIMESTAMP_RE.match(value):
            try:
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is not None:
                if moment.tzinfo is None:
                    fold = 1 if moment in self._seen else 0
                    self._seen.add(moment)
                    moment = moment.replace(tzinfo=self._zone, fold=fold)
                return moment.astimezone(UTC)
        msg = (
            f"Braze returned an invalid time {shown(value)} in {self._series} "
            "(time must be an ISO-8601 timestamp)"
        )
        raise BrazeDataError(msg)


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
    """A count is a non-negative integer; an amount (revenue) any finite number, since a
    refund may make a day's revenue negative."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "integer" and number and isinstance(value, int) and value >= 0:
        return value
    if kind == "number" and number and isinstance(value, (int, float)) and math.isfinite(value):
        return value
    what = {"integer": "a non-negative integer", "number": "a finite number"}.get(kind, "an object")
    msg = (
        f"Braze returned an invalid {value_field} {shown(value)} for {moment_text(day)} in "
        f"{series} ({value_field} must be {what})"
    )
    raise BrazeDataError(msg)


def read_record(stream: StreamDeclaration, series: str) -> ReadValue:
    """How a stats row of `stream` becomes the fields of its record (see the module
    docstring); a field named like a key column is not Braze's to set."""
    reserved = set(stream.key_columns)
    totals_in = stream.totals_in

    def read(row: dict[str, Any], day: dt.date) -> RowValue:
        fields = {k: v for k, v in row.items() if k not in reserved and k != totals_in}
        if totals_in is not None:
            totals = row.get(totals_in)
            if not isinstance(totals, dict):
                msg = (
                    f"Braze returned {totals_in} {shown(totals)} for {moment_text(day)} in "
                    f"{series} (expected an object)"
                )
                raise BrazeDataError(msg)
            fields.update({k: v for k, v in totals.items() if k not in reserved})
        for value in stream.values:
            if value.name not in fields and value.required:
                msg = f"Braze returned a row without {value.name} {shown(row)} in {series}"
                raise BrazeDataError(msg)
            found = fields.get(value.name)
            if found is None and not value.required:
                continue
            if value.kind != "object" or not isinstance(found, dict):
                _parse_value(found, day, series, value.name, value.kind)
        return fields

    return read


def check_rows(
    data: Sequence[object],
    window: Window,
    series: str,
    value_field: str = "dau",
    kind: ValueKind = "integer",
    zone: dt.tzinfo | None = None,
    *,
    read_value: ReadValue | None = None,
    keep: Window | None = None,
) -> CheckedRows:
    """Validate every row of a response that may hold `window`; `series` names it in
    messages; `zone` is where an hourly timestamp without an offset is read; `read_value`
    reads a row as a record (stats) rather than for its `value_field`; `keep` (default:
    `window`) the days to emit."""
    keep = keep or window
    counts: dict[dt.date, RowValue] = {}
    warnings: list[str] = []
    outside: list[dt.date] = []
    hours = _HourReader(zone, series) if window.hourly else None
    for row in data:
        if (
            not isinstance(row, dict)
            or "time" not in row
            or (read_value is None and value_field not in row)
        ):
            msg = f"Braze returned a malformed row {shown(row)} in {series}"
            raise BrazeDataError(msg)
        day = hours.read(row["time"]) if hours else _parse_day(row["time"], series)
        count = (
            read_value(row, day)
            if read_value is not None
            else _parse_value(row[value_field], day, series, value_field, kind)
        )
        if day not in window:
            outside.append(day)
            continue
        if day not in keep:
            continue
        if day in counts:
            if counts[day] != count:
                msg = (
                    f"Braze returned {moment_text(day)} twice in {series} with different "
                    f"values ({counts[day]} and {count}); refusing to guess which is right"
                )
                raise BrazeDataError(msg)
            warnings.append(f"Braze returned {moment_text(day)} twice in {series}; kept one row")
            continue
        counts[day] = count
    if outside:
        warnings.append(
            f"Dropped {len(outside)} row(s) outside the requested window {window} of "
            f"{series}: {', '.join(sorted({moment_text(d) for d in outside}))}"
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
    zone: dt.tzinfo | None = None,
) -> CheckedRows:
    """The whole path from an answer to the rows of `window` (or the tap's own error)."""
    data = data_of(answer, asked, now=now, fallback_wait=fallback_wait)
    try:
        return check_rows(data, window, series, value_field, kind, zone)
    except BrazeDataError as exc:  # a row may quote anything, even what was sent
        raise BrazeDataError(redact(str(exc), asked.secret)) from None
