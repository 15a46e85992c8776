"""Run slow jobs on a few threads, hand their results back strictly in job order.

This is what lets `max_parallel_requests` overlap the latency of many requests while the
tap still writes exactly the RECORD and STATE messages a sequential run writes, in the
same order: results are consumed in the order the jobs were listed, whatever order they
finish in. A failed job raises only when its turn comes, so every job listed before it is
still delivered, just as a sequential run would have delivered it; no job after it is
started, since none of them would be delivered.

Jobs may belong to lanes (Braze's rate-limit pools) that are held for a while: a worker
takes the earliest job whose lane is open, so while one pool waits for its reset the
others keep going, up to `MAX_AHEAD` results beyond the one the consumer waits for
(which bounds memory: a result is one window of rows).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Generator, Hashable, Iterable
from concurrent.futures import Future
from typing import Generic, TypeVar

J = TypeVar("J")
R = TypeVar("R")

#: Results a worker may finish ahead of the consumer, per worker, while every lane is open.
AHEAD_PER_WORKER = 2
#: ...and in all while some lane is held, so that the others keep going.
MAX_AHEAD = 256
#: How often an idle worker looks again whether a held lane has opened.
IDLE_POLL_SECONDS = 0.05


class _PutBack(Exception):
    """Set on the future of a job put back: the consumer waits for its new future."""


class OrderedFetcher(Generic[J, R]):
    """`map(jobs)` yields `(job, work(job))` in job order, `parallel` jobs at a time.

    `lane(job)` names the job's lane and `lane_open(lane)` says whether it may start now
    (default: a single lane, always open). A job that raises one of `requeue_on` (its lane
    closed before it did anything) is put back and started again later.
    """

    def __init__(
        self,
        work: Callable[[J], R],
        parallel: int,
        stop: threading.Event,
        *,
        lane: Callable[[J], Hashable] = lambda _job: None,
        lane_open: Callable[[Hashable], bool] = lambda _lane: True,
        requeue_on: tuple[type[BaseException], ...] = (),
    ) -> None:
        if parallel < 1:
            msg = f"parallel must be at least 1, got {parallel}"
            raise ValueError(msg)
        self._work = work
        self._parallel = parallel
        self._stop = stop
        self._lane = lane
        self._lane_open = lane_open
        self._requeue_on = requeue_on

    def map(self, jobs: Iterable[J]) -> Generator[tuple[J, R], None, None]:
        if self._parallel == 1:
            # Strictly sequential: no thread, each request made only when its turn comes.
            try:
                for job in jobs:
                    yield job, self._work(job)
            finally:
                self._stop.set()
            return
        yield from _ThreadedMap(self, list(jobs)).results()


class _ThreadedMap(Generic[J, R]):
    """One `map` on threads: which job each worker takes next, and the hand-back."""

    def __init__(self, fetcher: OrderedFetcher[J, R], jobs: list[J]) -> None:
        self._fetcher = fetcher
        self._jobs = jobs
        self._futures: list[Future[R]] = [Future() for _ in jobs]
        self._unstarted = list(range(len(jobs)))  # ascending
        self._consumed = 0
        self._failed_at = len(jobs)  # no job after a failed one is started
        self._cond = threading.Condition()
        self._lanes = [fetcher._lane(job) for job in jobs]

    def results(self) -> Generator[tuple[J, R], None, None]:
        fetcher = self._fetcher
        # Daemon threads: a worker sleeping in a retry must never keep a failed run alive.
        workers = [
            threading.Thread(target=self._worker, daemon=True, name=f"fetch-{n}")
            for n in range(fetcher._parallel)
        ]
        for worker in workers:
            worker.start()
        try:
            for index, job in enumerate(self._jobs):
                result = self._result(index)
                with self._cond:
                    self._consumed = index + 1
                    self._cond.notify_all()
                yield job, result
        finally:
            # Whether finished, failed or abandoned: cancel what has not started, tell
            # in-flight retries to give up, and let every worker go.
            fetcher._stop.set()
            with self._cond:
                for index in self._unstarted:
                    self._futures[index].cancel()
                self._unstarted.clear()
                self._cond.notify_all()

    def _result(self, index: int) -> R:
        """The result of job `index`, waiting for it, whether or not it was put back."""
        while True:
            with self._cond:
                future = self._futures[index]
            try:
                return future.result()
            except _PutBack:
                continue

    def _next(self) -> int | None:
        """The job a worker runs next (None: no more), waiting while none may start."""
        stop = self._fetcher._stop
        with self._cond:
            while not stop.is_set():
                open_lanes: dict[Hashable, bool] = {}
                blocked = False
                bound = self._consumed + self._fetcher._parallel * AHEAD_PER_WORKER
                for position, index in enumerate(self._unstarted):
                    if index >= self._failed_at or index >= self._consumed + MAX_AHEAD:
                        break
                    lane = self._lanes[index]
                    if lane not in open_lanes:
                        open_lanes[lane] = self._fetcher._lane_open(lane)
                    if not open_lanes[lane]:
                        blocked = True
                        continue
                    if blocked or index < bound:
                        del self._unstarted[position]
                        return index
                    break
                if not self._unstarted or self._unstarted[0] >= self._failed_at:
                    return None
                self._cond.wait(IDLE_POLL_SECONDS)
        return None

    def _worker(self) -> None:
        while (index := self._next()) is not None:
            future = self._futures[index]
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._fetcher._work(self._jobs[index]))
            except self._fetcher._requeue_on:
                with self._cond:
                    self._futures[index] = Future()
                    bisect.insort(self._unstarted, index)
                    self._cond.notify_all()
                future.set_exception(_PutBack())
            except BaseException as exc:  # handed to the consumer, raised in its turn
                with self._cond:
                    self._failed_at = min(self._failed_at, index)
                future.set_exception(exc)
            with self._cond:
                self._cond.notify_all()
