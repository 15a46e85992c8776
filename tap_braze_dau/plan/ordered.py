"""Run slow jobs on a few threads, hand their results back strictly in job order.

This is what lets `max_parallel_requests` overlap the latency of many requests while the
tap still writes exactly the RECORD and STATE messages a sequential run writes, in the
same order: results are consumed in the order the jobs were listed, whatever order they
finish in. A failed job raises only when its turn comes, so every job listed before it is
still delivered, just as a sequential run would have delivered it.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future
from typing import Generic, TypeVar

J = TypeVar("J")
R = TypeVar("R")

#: Results a worker may finish ahead of the consumer, per worker. Bounds memory: the tap
#: holds a few windows at a time, however long the history.
AHEAD_PER_WORKER = 2


class OrderedFetcher(Generic[J, R]):
    """`map(jobs)` yields `(job, work(job))` in job order, `parallel` jobs at a time."""

    def __init__(self, work: Callable[[J], R], parallel: int, stop: threading.Event) -> None:
        if parallel < 1:
            msg = f"parallel must be at least 1, got {parallel}"
            raise ValueError(msg)
        self._work = work
        self._parallel = parallel
        self._stop = stop

    def map(self, jobs: Iterable[J]) -> Generator[tuple[J, R], None, None]:
        if self._parallel == 1:
            # Strictly sequential: no thread, each request made only when its turn comes.
            try:
                for job in jobs:
                    yield job, self._work(job)
            finally:
                self._stop.set()
            return
        yield from self._map_threaded(iter(jobs))

    def _map_threaded(self, jobs: Iterator[J]) -> Iterator[tuple[J, R]]:
        inbox: queue.SimpleQueue[tuple[J, Future[R]] | None] = queue.SimpleQueue()
        # Daemon threads: a worker sleeping in a retry must never keep a failed run alive.
        workers = [
            threading.Thread(target=self._worker, args=(inbox,), daemon=True, name=f"fetch-{n}")
            for n in range(self._parallel)
        ]
        for worker in workers:
            worker.start()
        pending: deque[tuple[J, Future[R]]] = deque()
        limit = self._parallel * AHEAD_PER_WORKER

        def submit_more() -> None:
            while len(pending) < limit:
                job = next(jobs, None)
                if job is None:
                    return
                future: Future[R] = Future()
                pending.append((job, future))
                inbox.put((job, future))

        try:
            submit_more()
            while pending:
                job, future = pending.popleft()
                result = future.result()
                submit_more()
                yield job, result
        finally:
            # Whether finished, failed or abandoned: cancel what has not started, tell
            # in-flight retries to give up, and let every worker go.
            self._stop.set()
            for _job, future in pending:
                future.cancel()
            for _worker in workers:
                inbox.put(None)

    def _worker(self, inbox: queue.SimpleQueue[tuple[J, Future[R]] | None]) -> None:
        while (item := inbox.get()) is not None:
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._work(job))
            except BaseException as exc:  # handed to the consumer, raised in its turn
                future.set_exception(exc)
