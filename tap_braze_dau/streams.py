"""The `dau` stream: one partition per series, windows in, RECORDs and STATEs out."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk import typing as th

from tap_braze_dau.client import BrazeClient, RateLimitGate
from tap_braze_dau.fetcher import OrderedFetcher
from tap_braze_dau.series import (
    DiscoveryJob,
    Job,
    JobResult,
    SeriesFetcher,
    WindowJob,
    jobs_for_series,
)
from tap_braze_dau.settings import WORKSPACE_APP_ID, Settings, parse_date, parse_settings
from tap_braze_dau.windows import today_in

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record


class _Run:
    """The fetches of one sync, shared by its partitions (series) in partition order.

    Planning all series up front lets the fetcher work ahead across series while the SDK
    walks the partitions one at a time.
    """

    def __init__(self, series: list[str], results: Iterator[tuple[Job, JobResult]]) -> None:
        self.remaining = list(series)
        self._results = results
        self._peeked: tuple[Job, JobResult] | None = None

    def take(self, app_id: str) -> Iterator[JobResult]:
        """The results of `app_id`'s jobs; `app_id` must be the next series of the run."""
        self.remaining.remove(app_id)
        while True:
            if self._peeked is None:
                self._peeked = next(self._results, None)
            if self._peeked is None or self._peeked[0].app_id != app_id:
                return
            (_job, result), self._peeked = self._peeked, None
            yield result

    def close(self) -> None:
        close = getattr(self._results, "close", None)
        if close:
            close()


class DauStream(Stream):
    """Daily active users, one row per (app_id, day)."""

    name = "dau"
    primary_keys = ("app_id", "time")
    replication_key = "time"
    # Each series is emitted oldest day first, so a bookmark is safe to resume from at any
    # moment (the SDK then keeps bookmarks rather than unresumable progress markers).
    is_sorted = True

    schema = th.PropertiesList(
        th.Property(
            "app_id",
            th.StringType,
            required=True,
            description=(
                "Braze app identifier of the series, or "
                f"'{WORKSPACE_APP_ID}' for the workspace-wide total (unique users across "
                "all apps, not the sum of the apps)."
            ),
        ),
        th.Property(
            "time",
            th.DateType,
            required=True,
            description="The day, in the workspace's reporting time zone.",
        ),
        th.Property(
            "dau",
            th.IntegerType,
            required=True,
            description="Daily active users on that day. Today's count is partial.",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._run: _Run | None = None

    @cached_property
    def settings(self) -> Settings:
        return parse_settings(self.config)

    @property
    def partitions(self) -> list[dict]:
        return [{"app_id": app_id} for app_id in self.settings.series]

    # -- state -----------------------------------------------------------------------------

    def _bookmark(self, app_id: str) -> dt.date | None:
        """The series' bookmarked day, read without creating any state entry."""
        stream_state = self.tap_state.get("bookmarks", {}).get(self.name, {})
        for partition in stream_state.get("partitions", []):
            if partition.get("context") == {"app_id": app_id}:
                value = partition.get("replication_key_value")
                return parse_date(value) if value else None
        return None

    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        """Advance the bookmark, but never move it back.

        Each run re-reads `lookback_days` before the bookmark; those re-read days must not
        pull the bookmark back, or a run interrupted during its look-back would widen the
        next run's look-back every time.
        """
        current = self.get_context_state(context).get("replication_key_value")
        if current is not None and latest_record[self.replication_key] <= current:
            return
        super()._increment_stream_state(latest_record, context=context)

    # -- records ---------------------------------------------------------------------------

    def _start_run(self, first_app_id: str) -> _Run:
        """Plan and start fetching every series from `first_app_id` on."""
        settings = self.settings
        series = settings.series
        series = series[series.index(first_app_id) :]
        last_day = settings.end_date or today_in(settings.zone, dt.datetime.now(dt.timezone.utc))
        jobs: list[Job] = []
        for app_id in series:
            series_jobs = jobs_for_series(
                app_id, bookmark=self._bookmark(app_id), last_day=last_day, settings=settings
            )
            self.logger.info("Series %s: %s", app_id, _describe(series_jobs, settings.window_days))
            jobs.extend(series_jobs)
        stop = threading.Event()
        client = BrazeClient(settings, logger=self.logger, gate=RateLimitGate(), stop=stop)
        fetcher = OrderedFetcher(
            SeriesFetcher(client).run, settings.max_parallel_requests, stop=stop
        )
        return _Run(series, fetcher.map(jobs))

    def _results_for(self, app_id: str) -> Iterator[JobResult]:
        if self._run is None or not self._run.remaining or self._run.remaining[0] != app_id:
            if self._run is not None:
                self._run.close()
            self._run = self._start_run(app_id)
        return self._run.take(app_id)

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        app_id = (context or {}).get("app_id", WORKSPACE_APP_ID)
        finished = False
        try:
            for result in self._results_for(app_id):
                for window, checked in result:
                    for warning in checked.warnings:
                        self.logger.warning(warning)
                    for day, count in checked.rows:
                        yield {"app_id": app_id, "time": day.isoformat(), "dau": count}
                    if checked.rows:
                        # The SDK has written and bookmarked the window's last record by
                        # the time this generator resumes: the STATE claims only it.
                        self._write_state_message()
                    self.logger.debug("Window %s..%s of %s done", window.first, window.last, app_id)
            finished = True
        finally:
            if not finished and self._run is not None:
                self._run.close()
                self._run = None


def _describe(jobs: list[Job], window_days: int) -> str:
    if not jobs:
        return "up to date, nothing to request"
    if isinstance(jobs[0], DiscoveryJob):
        return (
            f"no start_date and no bookmark: walking back from {jobs[0].windows[0].last} "
            f"in windows of {window_days} days until history ends"
        )
    windows = [job.window for job in jobs if isinstance(job, WindowJob)]
    return f"{windows[0].first}..{windows[-1].last} in {len(windows)} request(s)"
