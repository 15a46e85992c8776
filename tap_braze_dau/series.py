"""From a series' bookmark to the requests that fetch it, and from responses to rows.

A series is one `app_id` (or the workspace total). Its work is cut into jobs that the
fetcher may run concurrently:
- a `WindowJob` per window when the first day is known (start_date or bookmark);
- one `DiscoveryJob` when it is not: windows walked newest first, one request at a time,
  until history ends, so discovery never requests more than it needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tap_braze_dau.client import BrazeClient
from tap_braze_dau.rows import CheckedRows, check_rows
from tap_braze_dau.settings import WORKSPACE_APP_ID, Settings
from tap_braze_dau.windows import Window, first_day_to_sync, history_windows, plan_windows


@dataclass(frozen=True)
class WindowJob:
    """Fetch one window of one series."""

    app_id: str
    window: Window


@dataclass(frozen=True)
class DiscoveryJob:
    """Walk `windows` (newest first) until the series' history ends."""

    app_id: str
    windows: tuple[Window, ...]


Job = WindowJob | DiscoveryJob
#: What a job yields: its windows in ascending order, each with its checked rows.
JobResult = list[tuple[Window, CheckedRows]]


def jobs_for_series(
    app_id: str, *, bookmark: dt.date | None, last_day: dt.date, settings: Settings
) -> list[Job]:
    """The jobs that sync `app_id` up to `last_day`, given its bookmark (if any)."""
    first = first_day_to_sync(
        bookmark=bookmark, start_date=settings.start_date, lookback_days=settings.lookback_days
    )
    if first is None:
        windows = history_windows(last_day, settings.window_days, settings.max_history_days)
        return [DiscoveryJob(app_id, tuple(windows))]
    if first > last_day:
        return []
    return [WindowJob(app_id, w) for w in plan_windows(first, last_day, settings.window_days)]


def history_ended(checked: CheckedRows, window: Window) -> bool:
    """True when a window shows that the series has no earlier days.

    An empty window, or one whose first row comes after the window's first day (the days
    before it do not exist), ends the walk back. A window full of zeros does not: Braze may
    report zeros before an app existed, but also for an app that was idle for a while.
    """
    return not checked.rows or checked.rows[0][0] > window.first


class SeriesFetcher:
    """Runs one job against Braze. Thread-safe, as the client is."""

    def __init__(self, client: BrazeClient) -> None:
        self._client = client

    def _fetch(self, app_id: str, window: Window) -> CheckedRows:
        api_app_id = None if app_id == WORKSPACE_APP_ID else app_id
        data = self._client.fetch_window(api_app_id, window)
        return check_rows(data, window, app_id)

    def run(self, job: Job) -> JobResult:
        if isinstance(job, WindowJob):
            return [(job.window, self._fetch(job.app_id, job.window))]
        found: JobResult = []
        for window in job.windows:
            checked = self._fetch(job.app_id, window)
            if checked.rows:
                found.append((window, checked))
            if history_ended(checked, window):
                break
        found.reverse()
        return found
