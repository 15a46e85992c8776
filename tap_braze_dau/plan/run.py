"""The requests of one sync: planned in one place, fetched in parallel, handed back in order.

The SDK syncs the selected streams one after another and, within a stream, its series
(partitions) one after another, asking each for its records. To keep
`max_parallel_requests` requests in flight across series and across streams, the first
time any series is asked for, `SyncRun`:

1. plans every request of that series and of every series the SDK will reach after it,
   in the SDK's order (`order`), from the bookmarks the run started with;
2. runs them all through one `OrderedFetcher` and one client (so one rate-limit gate
   per pool: a 429 pauses every request of the run to that pool);
3. hands each series exactly its own results, in order, when the SDK reaches it.

So the messages are those of a sequential run, in the same order, whatever
`max_parallel_requests` is. The log says, per rate-limit pool, how many requests the pass
planned and how long the pool's limit makes them take at least, then its progress every
30 s (progress.py). Should the SDK ask for a series out of the planned order
(a dry run that stops each stream after a few records does), the plan is dropped and made
again from that series on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from tap_braze_dau.braze.client import BrazeClient, ClientOptions
from tap_braze_dau.braze.rate_limits import RateLimitPools
from tap_braze_dau.declarations import SeriesKey, StreamDeclaration
from tap_braze_dau.errors import PoolHeld
from tap_braze_dau.plan.activity import ActiveDays
from tap_braze_dau.plan.jobs import (
    Job,
    JobResult,
    JobRunner,
    PlanOptions,
    describe_jobs,
    jobs_for_series,
    planned_requests,
)
from tap_braze_dau.plan.ordered import OrderedFetcher
from tap_braze_dau.plan.progress import ProgressLog, plan_line
from tap_braze_dau.plan.rows import CheckedRows
from tap_braze_dau.plan.windows import Window
from tap_braze_dau.streams import BY_NAME, DETAILS_BY_NAME


@dataclass(frozen=True)
class WindowResult:
    """One window of a series, checked, and whether it is the series' last."""

    window: Window
    checked: CheckedRows
    series_end: bool
    #: On a campaign's (Canvas') last window: every window of the series is delivered, as
    #: of this day (see bookmarks.COMPLETE_AS_OF).
    complete_as_of: dt.date | None = None


class _Pass:
    """One planned sequence of series being fetched, consumed series by series."""

    def __init__(
        self,
        planned: list[tuple[SeriesKey, list[Job], dt.date | None]],
        results: Iterator[tuple[Job, JobResult]],
        logger: logging.Logger,
        progress: ProgressLog,
    ) -> None:
        self._planned = list(planned)
        self._results = results
        self._logger = logger
        self._progress = progress
        self._in_step = True  # False once a series was left half-read

    @property
    def next_key(self) -> SeriesKey | None:
        """The series whose results come next; None when they cannot be handed out."""
        return self._planned[0][0] if self._planned and self._in_step else None

    def take(self, key: SeriesKey) -> Iterator[WindowResult]:
        """The windows of `key`, which must be the next planned series."""
        planned_key, jobs, complete_as_of = self._planned.pop(0)
        assert planned_key == key, (planned_key, key)
        self._in_step = False
        refused = False
        emitted: dt.date | None = None  # the series' last day (hour) handed out
        for index in range(len(jobs)):
            _job, result = next(self._results)  # every job's, to stay in step
            if refused:
                continue  # nothing after a refusal: it would leave a gap behind
            if result.refused is not None:
                refused = True
                self._logger.warning(
                    "Skipped %s: Braze refused it (%s): its event, product, segment, "
                    "campaign or Canvas was deleted since the list was read, or cannot have "
                    "this series. The run goes on; its bookmark stays where it was.",
                    key,
                    result.refused.braze_says or f"HTTP {result.refused.status}",
                )
                continue
            last_job = index == len(jobs) - 1
            windows = result.windows
            for position, (window, checked) in enumerate(windows):
                end = last_job and position == len(windows) - 1
                fresh = _after(checked, emitted)
                if fresh.rows:
                    emitted = fresh.rows[-1][0]
                yield WindowResult(window, fresh, end, complete_as_of if end else None)
        self._in_step = True
        if not self._planned:
            self._progress.stop()

    def close(self) -> None:
        self._progress.stop()
        close = getattr(self._results, "close", None)
        if close:
            close()


def _after(checked: CheckedRows, emitted: dt.date | None) -> CheckedRows:
    """`checked` without the days up to `emitted`: a day two answers hold (should Braze
    answer more than either reading of `ending_at` says) is emitted once, from the
    first."""
    if emitted is None or not checked.rows or checked.rows[0][0] > emitted:
        return checked
    rows = [(day, value) for day, value in checked.rows if day > emitted]
    return CheckedRows(rows, checked.warnings)


@dataclass
class _Activity:
    """How many campaigns (Canvases) of a stream a plan requests, for the log."""

    series: int = 0
    active: int = 0
    never: int = 0
    requests: int = 0

    def count(self, active: ActiveDays | None, jobs: list[Job]) -> None:
        self.series += 1
        self.never += active is None
        self.active += bool(jobs)
        self.requests += planned_requests(jobs)

    def summary(self, plural: str) -> str:
        ended = self.series - self.active - self.never
        return (
            f"{self.active} of {self.series} {plural} active in the days to sync, "
            f"{self.requests} request(s); not requested: {ended} not active since their "
            f"bookmark (less stats_lookback_days) or start_date, {self.never} never active "
            "(or their details refused)"
        )


class SyncRun:
    """Every request of one sync, shared by all its streams (see the module docstring).

    `order` lists, when asked, the series the SDK will sync, in its order, each with its
    stream; `bookmarks` are those the run started with; `now` the instant that decides
    where the series end (today in the configured zone, or the current hour) unless
    end_date does; `pools` the rate-limit gates, shared with every other request of the run.
    """

    def __init__(
        self,
        plan: PlanOptions,
        client: ClientOptions,
        logger: logging.Logger,
        *,
        parallel: int,
        order: Callable[[], Sequence[tuple[SeriesKey, StreamDeclaration]]],
        bookmarks: Mapping[SeriesKey, dt.date],
        now: Callable[[], dt.datetime],
        completions: Mapping[SeriesKey, dt.date] | None = None,
        pools: RateLimitPools | None = None,
        active: Callable[[SeriesKey, StreamDeclaration], ActiveDays | None] | None = None,
    ) -> None:
        self._options = plan
        self._client_options = client
        self._logger = logger
        self._parallel = parallel
        self._order = order
        self._bookmarks = bookmarks
        self._completions = completions or {}
        self._now = now
        self._pools = pools or RateLimitPools()
        self._active = active
        self._pass: _Pass | None = None

    def results(self, key: SeriesKey, stream: StreamDeclaration) -> Iterator[WindowResult]:
        """The windows of `key`, oldest first; starts fetching when first asked."""
        if self._pass is None or self._pass.next_key != key:
            self.close()
            self._pass = self._start(key, stream)
        return self._pass.take(key)

    def close(self) -> None:
        """Stop fetching: cancel what has not started, let in-flight retries give up."""
        if self._pass is not None:
            self._pass.close()
            self._pass = None

    def _plan(
        self, first: SeriesKey, stream: StreamDeclaration
    ) -> list[tuple[SeriesKey, list[Job], dt.date | None]]:
        order = list(self._order())
        keys = [key for key, _stream in order]
        order = order[keys.index(first) :] if first in keys else [(first, stream)]
        now = self._now()
        planned = []
        activity: dict[str, _Activity] = {}
        for key, series_stream in order:
            active = None
            if series_stream.active_in is not None:
                assert self._active is not None, "a stream with active_in needs `active`"
                active = self._active(key, series_stream)
            last_day = self._options.last_of(series_stream, now)
            jobs = jobs_for_series(
                key,
                series_stream,
                bookmark=self._bookmarks.get(key),
                last_day=last_day,
                options=self._options,
                active=active,
                complete_as_of=self._completions.get(key),
            )
            window_days = self._options.window_days_for(series_stream)
            if series_stream.active_in is None or jobs:
                self._logger.info("%s: %s", str(key).capitalize(), describe_jobs(jobs, window_days))
            if series_stream.active_in is not None:
                activity.setdefault(series_stream.name, _Activity()).count(active, jobs)
            complete = last_day if series_stream.active_in is not None and jobs else None
            planned.append((key, jobs, complete))
        for stream_name, counted in activity.items():
            details = DETAILS_BY_NAME[BY_NAME[stream_name].active_in or ""]
            self._logger.info("%s: %s", stream_name.capitalize(), counted.summary(details.plural))
        return planned

    def _start(self, first: SeriesKey, stream: StreamDeclaration) -> _Pass:
        planned = self._plan(first, stream)
        jobs = [job for _key, series_jobs, _complete in planned for job in series_jobs]
        per_pool: Counter[str] = Counter()
        for job in jobs:
            per_pool[job.stream.endpoint.pool] += planned_requests([job])
        for pool, count in sorted(per_pool.items()):
            self._logger.info(plan_line(pool, count, self._client_options.rate_limit_reserve))
        progress = ProgressLog(self._logger, per_pool, self._pools.sent)
        progress.start()
        stop = threading.Event()
        client = BrazeClient(
            self._client_options, logger=self._logger, pools=self._pools, stop=stop
        )
        runner = JobRunner(
            client,
            self._options.zone,
            defer=self._parallel > 1,
            logger=self._logger,
            now=self._now,
        )
        pools = self._pools
        fetcher: OrderedFetcher[Job, JobResult] = OrderedFetcher(
            runner,
            self._parallel,
            stop=stop,
            lane=lambda job: job.stream.endpoint.pool,
            lane_open=lambda pool: pools.gate(str(pool)).seconds_remaining() == 0,
            requeue_on=(PoolHeld,),
        )
        return _Pass(planned, fetcher.map(jobs), self._logger, progress)
