"""From a series' bookmark to the requests that fetch it, and running them.

A series is one `app_id` (or the workspace total) of one stream. Its work is cut into jobs
that the fetcher may run concurrently:
- a `WindowJob` per window when the first day is known (start_date or bookmark);
- one `DiscoveryJob` when it is not: windows walked newest first, one request at a time,
  until history ends, so discovery never requests more than it needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tap_braze_dau.client import BrazeClient
from tap_braze_dau.endpoint import Endpoint, SeriesKey
from tap_braze_dau.rows import CheckedRows
from tap_braze_dau.settings import Settings
from tap_braze_dau.windows import Window, first_day_to_sync, history_windows, plan_windows


@dataclass(frozen=True)
class WindowJob:
    """Fetch one window of one series."""

    key: SeriesKey
    endpoint: Endpoint
    window: Window


@dataclass(frozen=True)
class DiscoveryJob:
    """Walk `windows` (newest first) until the series' history ends."""

    key: SeriesKey
    endpoint: Endpoint
    windows: tuple[Window, ...]


Job = WindowJob | DiscoveryJob
#: What a job yields: its windows in ascending order, each with its checked rows.
JobResult = list[tuple[Window, CheckedRows]]


def jobs_for_series(
    key: SeriesKey,
    endpoint: Endpoint,
    *,
    bookmark: dt.date | None,
    last_day: dt.date,
    settings: Settings,
) -> list[Job]:
    """The jobs that sync a series up to `last_day`, given its bookmark (if any)."""
    first = first_day_to_sync(
        bookmark=bookmark, start_date=settings.start_date, lookback_days=settings.lookback_days
    )
    if first is None:
        windows = history_windows(last_day, settings.window_days, settings.max_history_days)
        return [DiscoveryJob(key, endpoint, tuple(windows))]
    if first > last_day:
        return []
    return [
        WindowJob(key, endpoint, w) for w in plan_windows(first, last_day, settings.window_days)
    ]


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


def run_job(client: BrazeClient, job: Job) -> JobResult:
    """Runs one job against Braze. Thread-safe, as the client is."""

    if isinstance(job, WindowJob):
        return [(job.window, client.fetch_window(job.endpoint, job.key, job.window))]
    found: JobResult = []
    for window in job.windows:
        checked = client.fetch_window(job.endpoint, job.key, window)
        if checked.rows:
            found.append((window, checked))
        if history_ended(checked, window):
            break
    found.reverse()
    return found
