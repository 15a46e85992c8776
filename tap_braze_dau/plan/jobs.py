"""From a series' bookmark to the requests that fetch it, and running them.

A series is one partition of one stream (an app, or the workspace total, of a KPI). Its
work is cut into jobs that the fetcher may run concurrently:
- a `WindowJob` per window when the first day is known (start_date or bookmark);
- one `DiscoveryJob` when it is not: windows walked newest first, one request at a time,
  until history ends, so discovery never requests more than it needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tap_braze_dau.braze.client import BrazeClient, Request
from tap_braze_dau.declarations import SeriesKey, StreamDeclaration
from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.plan.rows import CheckedRows, check_rows
from tap_braze_dau.plan.windows import (
    Window,
    ending_at,
    first_day_to_sync,
    history_windows,
    plan_windows,
)


@dataclass(frozen=True)
class PlanOptions:
    """What planning needs of the settings."""

    start_date: dt.date | None
    lookback_days: int
    window_days: int
    max_history_days: int
    zone: ZoneInfo

    def window_days_for(self, stream: StreamDeclaration) -> int:
        """The setting, within what the stream's endpoint accepts."""
        return min(self.window_days, stream.endpoint.max_window)


@dataclass(frozen=True)
class WindowJob:
    """Fetch one window of one series."""

    key: SeriesKey
    stream: StreamDeclaration
    window: Window


@dataclass(frozen=True)
class DiscoveryJob:
    """Walk `windows` (newest first) until the series' history ends."""

    key: SeriesKey
    stream: StreamDeclaration
    windows: tuple[Window, ...]


Job = WindowJob | DiscoveryJob
#: What a job yields: its windows in ascending order, each with its checked rows.
JobResult = list[tuple[Window, CheckedRows]]


def jobs_for_series(
    key: SeriesKey,
    stream: StreamDeclaration,
    *,
    bookmark: dt.date | None,
    last_day: dt.date,
    options: PlanOptions,
) -> list[Job]:
    """The jobs that sync a series up to `last_day`, given its bookmark (if any)."""
    window_days = options.window_days_for(stream)
    first = first_day_to_sync(
        bookmark=bookmark, start_date=options.start_date, lookback_days=options.lookback_days
    )
    if first is None:
        windows = history_windows(last_day, window_days, options.max_history_days)
        return [DiscoveryJob(key, stream, tuple(windows))]
    if first > last_day:
        return []
    return [WindowJob(key, stream, w) for w in plan_windows(first, last_day, window_days)]


def describe_jobs(jobs: list[Job], window_days: int) -> str:
    """What a series' jobs will request, for the log."""
    if not jobs:
        return "up to date, nothing to request"
    if isinstance(jobs[0], DiscoveryJob):
        return (
            f"no start_date and no bookmark: walking back from {jobs[0].windows[0].last} "
            f"in windows of {window_days} days until history ends"
        )
    windows = [job.window for job in jobs if isinstance(job, WindowJob)]
    return f"{windows[0].first}..{windows[-1].last} in {len(windows)} request(s)"


def history_ended(checked: CheckedRows, window: Window) -> bool:
    """True when a window shows that the series has no earlier days.

    An empty window, or one whose first row comes after the window's first day (the days
    before it do not exist), ends the walk back. A window full of zeros does not: Braze may
    report zeros before an app existed, but also for an app that was idle for a while.
    """
    return not checked.rows or checked.rows[0][0] > window.first


def series_request(
    stream: StreamDeclaration, key: SeriesKey, window: Window, zone: ZoneInfo
) -> Request:
    """The GET that fetches `window` of a series: `length`, `ending_at`, the endpoint's
    fixed parameters and one parameter per dimension (none for the workspace, ...)."""
    params: dict[str, str | int] = {
        "length": window.length,
        "ending_at": ending_at(window.last, zone),
        **stream.endpoint.params,
    }
    named = []
    for dimension in stream.dimensions:
        sent = dimension.query_value(key.value(dimension.column))
        if sent is not None:
            params[dimension.param] = sent
        named.append(sent or ("workspace" if dimension.column == "app_id" else "all"))
    description = f"{stream.endpoint.path} ({', '.join(named)}, {window.first}..{window.last})"
    return Request(stream.name, stream.endpoint, params, description)


def fetch_window(
    client: BrazeClient, stream: StreamDeclaration, key: SeriesKey, window: Window, zone: ZoneInfo
) -> CheckedRows:
    """The checked rows of one window of a series, or the tap's own error."""
    data = client.fetch(series_request(stream, key, window, zone))
    value = stream.values[0]
    try:
        return check_rows(data, window, str(key), value.name, value.kind)
    except BrazeDataError as exc:  # a row may quote anything, even what was sent
        raise BrazeDataError(client.redact(str(exc))) from None


def run_job(client: BrazeClient, zone: ZoneInfo, job: Job) -> JobResult:
    """Runs one job against Braze. Thread-safe, as the client is."""
    if isinstance(job, WindowJob):
        return [(job.window, fetch_window(client, job.stream, job.key, job.window, zone))]
    found: JobResult = []
    for window in job.windows:
        checked = fetch_window(client, job.stream, job.key, window, zone)
        if checked.rows:
            found.append((window, checked))
        if history_ended(checked, window):
            break
    found.reverse()
    return found
