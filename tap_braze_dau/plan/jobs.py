"""From a series' bookmark to the requests that fetch it, and running them.

A series is one partition of one stream (an app, or the workspace total, of a KPI; an
event and an app; a segment). Its work is cut into jobs that the fetcher may run
concurrently:
- a `WindowJob` per window when the first day is known (start_date or bookmark);
- one `DiscoveryJob` when it is not: windows walked newest first, one request at a time,
  until history ends, so discovery never requests more than it needs;
- for a campaign or a Canvas, `WindowJob`s over its active range only (activity.py): the
  range replaces discovery, and none at all for one that never sent.

A series of an event, product or segment deleted since the list was read is refused by
Braze (400 or 404): its job ends `refused`, and the series' later jobs send nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tap_braze_dau.braze.client import BrazeClient, Request
from tap_braze_dau.declarations import SeriesKey, StreamDeclaration
from tap_braze_dau.errors import BrazeDataError, BrazeRequestError, PoolHeld
from tap_braze_dau.plan.activity import ActiveDays, days_to_request
from tap_braze_dau.plan.rows import CheckedRows, check_rows, read_record
from tap_braze_dau.plan.windows import (
    Window,
    capped,
    ending_at,
    ending_instant,
    first_day_to_sync,
    history_requests,
    last_hour,
    moment_text,
    plan_requests,
    start_hour,
    step_back,
    step_of,
    today_in,
    without_future_day,
)


@dataclass(frozen=True)
class PlanOptions:
    """What planning needs of the settings."""

    start_date: dt.date | None
    lookback_days: int
    window_days: int
    max_history_days: int
    zone: ZoneInfo
    end_date: dt.date | None = None
    #: The look-back of the stats of campaigns and Canvases (`active_in` streams).
    stats_lookback_days: int = 30

    def lookback_for(self, stream: StreamDeclaration) -> int:
        """Days re-read before a series' bookmark: a campaign's or Canvas' stats keep
        being revised for weeks (`stats_lookback_days`); a KPI's for days."""
        return self.stats_lookback_days if stream.active_in else self.lookback_days

    def window_days_for(self, stream: StreamDeclaration) -> int:
        """The setting, within what the stream's endpoint accepts; an hourly series asks
        for as many hours as Braze allows (`window_days` counts days)."""
        if stream.hourly:
            return stream.endpoint.max_window
        return min(self.window_days, stream.endpoint.max_window)

    def start_of(self, stream: StreamDeclaration) -> dt.date | None:
        """`start_date`, for an hourly series as the UTC hour of its midnight in `zone`."""
        if self.start_date is None or not stream.hourly:
            return self.start_date
        return start_hour(self.start_date, self.zone)

    def last_of(self, stream: StreamDeclaration, now: dt.datetime) -> dt.date:
        """The last day (hour) a series syncs: end_date's, or the one holding `now`."""
        if stream.hourly:
            return last_hour(self.end_date, self.zone, now)
        return self.end_date or today_in(self.zone, now)


@dataclass(frozen=True)
class WindowJob:
    """Fetch one window of one series; emit the days of its answer within `keep`, the
    days the run syncs (an answer may hold a day before or after them, see windows.py)."""

    key: SeriesKey
    stream: StreamDeclaration
    window: Window
    keep: Window


@dataclass(frozen=True)
class DiscoveryJob:
    """Walk `windows` (newest first) until the series' history ends; emit the days
    within `keep`."""

    key: SeriesKey
    stream: StreamDeclaration
    windows: tuple[Window, ...]
    keep: Window


Job = WindowJob | DiscoveryJob


@dataclass
class JobResult:
    """What a job yields: its windows in ascending order, each with its checked rows;
    `refused`, Braze's refusal of the series' dimension, when it was refused."""

    windows: list[tuple[Window, CheckedRows]] = field(default_factory=list)
    refused: BrazeRequestError | None = None


def jobs_for_series(
    key: SeriesKey,
    stream: StreamDeclaration,
    *,
    bookmark: dt.date | None,
    last_day: dt.date,
    options: PlanOptions,
    active: ActiveDays | None = None,
    complete_as_of: dt.date | None = None,
) -> list[Job]:
    """The jobs that sync a series up to `last_day` (an hour for an hourly series), given
    its bookmark (if any).

    For a stream with `active_in`: only over `active`, the days the series can have
    stats (None: it has none); and once a run delivered all of it (`complete_as_of`, that
    run's last day), from that day less the look-back: the days before were final when
    they were read (a day is revised for `stats_lookback_days`), however far back the
    bookmark of an ended campaign stays.
    """
    window_days = options.window_days_for(stream)
    lookback = options.lookback_for(stream)
    first = first_day_to_sync(
        bookmark=bookmark, start_date=options.start_of(stream), lookback_days=lookback
    )
    if stream.active_in is not None:
        if complete_as_of is not None:
            floor = complete_as_of - dt.timedelta(days=lookback)
            first = floor if first is None else max(first, floor)
        cut = None if active is None else days_to_request(active, first, last_day)
        if cut is None:
            return []
        keep = Window(*cut)
        return [WindowJob(key, stream, w, keep) for w in plan_requests(*cut, window_days)]
    if first is None:
        windows = history_requests(last_day, window_days, options.max_history_days)
        earliest = last_day - dt.timedelta(days=options.max_history_days) + step_of(last_day)
        return [DiscoveryJob(key, stream, tuple(windows), Window(earliest, last_day))]
    if first > last_day:
        return []
    keep = Window(first, last_day)
    return [WindowJob(key, stream, w, keep) for w in plan_requests(first, last_day, window_days)]


def describe_jobs(jobs: list[Job], window_days: int) -> str:
    """What a series' jobs will request, for the log."""
    if not jobs:
        return "up to date, nothing to request"
    if isinstance(jobs[0], DiscoveryJob):
        newest = jobs[0].windows[0]
        unit = "hours" if newest.hourly else "days"
        return (
            f"no start_date and no bookmark: walking back from {str(newest).split('..')[1]} "
            f"in windows of {window_days} {unit} until history ends"
        )
    return f"{jobs[0].keep} in {len(jobs)} request(s)"


def planned_requests(jobs: list[Job]) -> int:
    """Requests the jobs make at most (a discovery may stop early)."""
    return sum(len(job.windows) if isinstance(job, DiscoveryJob) else 1 for job in jobs)


def history_ended(checked: CheckedRows, window: Window) -> bool:
    """True when a window shows that the series has no earlier days.

    An empty window, or one whose first row comes after the window's first day (the days
    before it do not exist, whichever way Braze reads `ending_at`), ends the walk back. A
    window whose first row is its first day does not, even where Braze (reading
    "before") answered the day before it too: one more request settles it. Nor does a
    window full of zeros: Braze may report zeros before an app existed, but also for an
    app that was idle for a while.
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
    description = f"{stream.endpoint.path} ({', '.join(named)}, {window})"
    return Request(stream.name, stream.endpoint, params, description, key.context)


def fetch_window(
    client: BrazeClient,
    stream: StreamDeclaration,
    key: SeriesKey,
    window: Window,
    zone: ZoneInfo,
    keep: Window | None = None,
    *,
    defer_if_held: bool = False,
) -> CheckedRows:
    """The checked rows of one window of a series within `keep` (default: the window),
    or the tap's own error. The answer may hold `window.answerable`; days beyond are
    dropped with a warning."""
    request = series_request(stream, key, window, zone)
    data = client.fetch(request, defer_if_held=defer_if_held)
    value = stream.values[0]
    read = read_record(stream, str(key)) if stream.reads_records else None
    try:
        return check_rows(
            data,
            window.answerable,
            str(key),
            value.name,
            value.kind,
            zone,
            read_value=read,
            keep=keep or window,
        )
    except BrazeDataError as exc:  # a row may quote anything, even what was sent
        raise BrazeDataError(client.redact(str(exc))) from None


def is_refusal(error: BrazeRequestError, stream: StreamDeclaration, key: SeriesKey) -> bool:
    """Whether Braze refused a series because of its event, product or segment (deleted
    since the list was read, or a segment without analytics tracking): a 400 or 404 to a
    series with such a value. Anything else (the all-products series, an app) is not."""
    if error.status not in (400, 404):
        return False
    return any(d.refusable and key.value(d.column) != d.all_value for d in stream.dimensions)


class JobRunner:
    """Runs jobs against Braze; thread-safe, as the client is.

    Remembers the series Braze refused, so that their later jobs send nothing. With
    `defer`, a job whose pool is held (a 429, or the reserve) raises `PoolHeld` instead of
    waiting, for the fetcher to run another pool's job meanwhile; a walk back through a
    series' history put back that way resumes where it stopped.

    Should Braze refuse (400) an `ending_at` in the future, on the day after the last one
    to sync (a request for today asks for it, see windows.py), the window is asked again
    without that day and never past the current day (hour; `end_date` may be ahead), then
    a day (hour) shorter each time while Braze refuses one still in the future (a
    workspace west of the configured zone has not begun the configured "today"), and
    every later window of the run ends where the first accepted one did:
    the days to sync then arrive whichever way Braze reads `ending_at`, up to the last
    one Braze accepts; today's partial day only where that is today and it reads
    "through", else with the next run. `now` is the clock that says what the future is.
    """

    def __init__(
        self,
        client: BrazeClient,
        zone: ZoneInfo,
        *,
        defer: bool = False,
        logger: logging.Logger | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ) -> None:
        self._client = client
        self._zone = zone
        self._now = now
        self._defer = defer
        self._logger = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()
        self._refused: dict[SeriesKey, BrazeRequestError] = {}
        #: Walks put back by `PoolHeld`: id(job) -> (next window, windows found so far).
        self._walks: dict[int, tuple[int, list[tuple[Window, CheckedRows]]]] = {}
        #: The last day (hour, for hourly series) Braze accepted as a window's end once
        #: it refused one in the future: later windows of the run end there too.
        self._last_accepted: dict[bool, dt.date] = {}

    def __call__(self, job: Job) -> JobResult:
        with self._lock:
            refused = self._refused.get(job.key)
        if refused is not None:
            return JobResult(refused=refused)
        try:
            return self._run(job)
        except BrazeRequestError as exc:
            if not is_refusal(exc, job.stream, job.key):
                raise
            with self._lock:
                self._refused.setdefault(job.key, exc)
            return JobResult(refused=exc)

    def _run(self, job: Job) -> JobResult:
        if isinstance(job, WindowJob):
            answered = self._window(job, job.window)
            # None: Braze takes no day of it yet; the series still ends here
            return JobResult([answered or (job.window, CheckedRows([]))])
        with self._lock:
            start, found = self._walks.pop(id(job), (0, []))
        for position in range(start, len(job.windows)):
            window = job.windows[position]
            try:
                answered = self._window(job, window)
            except PoolHeld:
                with self._lock:
                    self._walks[id(job)] = (position, found)
                raise
            if answered is None:
                continue  # all of it ahead of what Braze takes: says nothing of history
            if answered[1].rows:
                found.append(answered)
            if history_ended(answered[1], window):
                break
        return JobResult(list(reversed(found)))

    def _window(self, job: Job, window: Window) -> tuple[Window, CheckedRows] | None:
        """One window of `job`'s series, as asked (capped at the last day Braze accepted
        as an end this run) with its rows; if Braze refuses its `ending_at` for being
        ahead, asked again shorter (see the class). None when Braze takes no day of it."""
        client, zone = self._client, self._zone
        defer = self._defer

        def fetch(asked: Window) -> CheckedRows:
            return fetch_window(
                client, job.stream, job.key, asked, zone, job.keep, defer_if_held=defer
            )

        with self._lock:
            asked = capped(window, self._last_accepted.get(window.hourly))
        if asked is None:
            return None
        try:
            return asked, fetch(asked)
        except BrazeRequestError as exc:
            if not self._future_refusal(exc, asked):
                raise
            refusal = exc
        refused = asked
        shorter = without_future_day(asked, job.keep)
        if shorter == asked:
            shorter = step_back(asked)
        if shorter is not None:  # straight to the current day (hour): a later one is ahead
            shorter = capped(shorter, self._current(window.hourly))
        answered: tuple[Window, CheckedRows] | None = None
        while shorter is not None:
            try:
                answered = shorter, fetch(shorter)
                break
            except BrazeRequestError as exc:
                if not self._future_refusal(exc, shorter):
                    raise
                refused = shorter
                shorter = step_back(shorter)
        if answered:
            accepted = answered[0].last
        else:  # no day of it: those before the last refused one, never past the current
            accepted = min(refused.last - step_of(refused.last), self._current(window.hourly))
        self._note_future_refused(job, window, refusal, accepted)
        return answered

    def _current(self, hourly: bool) -> dt.date:
        """The current day in the configured zone, or the current UTC hour."""
        now = self._now()
        return last_hour(None, self._zone, now) if hourly else today_in(self._zone, now)

    def _future_refusal(self, error: BrazeRequestError, window: Window) -> bool:
        """Whether `error` is Braze refusing `window`'s `ending_at` for being ahead."""
        ahead = ending_instant(window.last, self._zone) > self._now()
        return error.status == 400 and ahead

    def _note_future_refused(
        self, job: Job, window: Window, error: BrazeRequestError, accepted: dt.date
    ) -> None:
        """Later windows end on `accepted` (or before); one warning a run."""
        with self._lock:
            known = self._last_accepted.get(window.hourly)
            self._last_accepted[window.hourly] = min(accepted, known or accepted)
            if known is not None:
                return
        self._logger.warning(
            "Braze refused ending_at %s, ahead of the current time, for %s (%s). For the "
            "rest of the run the tap ends every window on %s at the latest: every day "
            "before it arrives, and that day too where Braze reads ending_at 'through'; "
            "the rest arrives with the next run, which re-reads the bookmarked day.",
            ending_at(window.last, self._zone),
            job.key,
            error.braze_says or f"HTTP {error.status}",
            moment_text(accepted),
        )
