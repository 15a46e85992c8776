"""`make bench`, the analytics streams: events per app at scale, and a purchases backfill
larger than its rate-limit pool.

- 30 custom events x (20 apps + the workspace) x 1 year of `event_counts` at a fixed
  latency per request: requests made vs the minimum (the list's one page plus
  ceil(days / 100) per series), wall time vs the critical path (requests x latency /
  max_parallel_requests);
- a `purchase_quantity` backfill whose requests exceed a small purchases pool (the
  emulator's pool shrunk to 60 requests per 10 s): its 429s (0 expected: the tap paces
  itself on X-RateLimit-Remaining), the lowest X-RateLimit-Remaining Braze reported
  (never below the reserve by more than max_parallel_requests), and its wall time
  against the pool's floor (whole periods the reserve makes it wait).
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.tap_process import ROOT, timed_sync
from braze_emulator import BrazeEmulator

API_KEY = "bench-key"
END = dt.date(2025, 12, 31)
START = dt.date(2025, 1, 1)  # one year: 365 days, 4 windows a series
PARALLEL = 4


def sync(
    braze: BrazeEmulator, streams: list[str], workdir: Path, **settings: Any
) -> tuple[float, str]:
    """Wall seconds and the log of one sync; exits if the tap fails."""
    config = {
        "api_key": API_KEY,
        "api_url": braze.url,
        "start_date": START.isoformat(),
        "end_date": END.isoformat(),
        "max_parallel_requests": PARALLEL,
        **settings,
    }
    wall, _stdout, log = timed_sync(config, streams, workdir)
    return wall, log


def startup(workdir: Path) -> float:
    """Wall seconds of `--discover`: what every run spends before its first request."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tap_braze_dau", "--discover"],
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - started


def bench_events(latency: float, workdir: Path) -> str:
    apps = {f"app-{n:02d}": dt.date(2020, 1, 1) for n in range(20)}
    events = {f"event-{n:02d}": dt.date(2020, 1, 1) for n in range(30)}
    with BrazeEmulator(
        api_key=API_KEY, apps=apps, today=END, events=events, latency=latency
    ) as braze:
        wall, _log = sync(braze, ["event_counts"], workdir, app_ids=list(apps))
        made = len(braze.data_requests())
    days = (END - START).days + 1
    minimum = 1 + len(events) * (len(apps) + 1) * math.ceil(days / 100)
    critical = made * latency / PARALLEL
    start = startup(workdir)
    return (
        "| scenario | requests / minimum | wall s | critical path s | wall / critical | "
        "(wall - startup) / critical |\n"
        "|---|---|---|---|---|---|\n"
        f"| 30 events x 21 series x 1 year, parallel {PARALLEL} | {made} / {minimum} | "
        f"{wall:.2f} | {critical:.2f} | {wall / critical:.2f} | "
        f"{(wall - start) / critical:.2f} |\n\nstartup ({start:.2f} s): the wall time of "
        "`--discover`"
    )


def bench_purchases(workdir: Path) -> str:
    limit, period, reserve = 60, 10, 0.1
    products = {f"sku-{n}": dt.date(2020, 1, 1) for n in range(5)}
    apps = {"ios": dt.date(2020, 1, 1), "android": dt.date(2020, 1, 1)}
    with BrazeEmulator(
        api_key=API_KEY,
        apps=apps,
        today=END,
        products=products,
        pool_limits={"purchases": limit},
        pool_periods={"purchases": period},
    ) as braze:
        wall, log = sync(
            braze,
            ["purchase_quantity"],
            workdir,
            app_ids=list(apps),
            product_ids=list(products),
            rate_limit_reserve=reserve,
        )
        requests = braze.pool_requests("purchases")
    limited = sum(1 for r in requests if r.status == 429)
    lowest = min(r.remaining for r in requests if r.remaining is not None)
    holds = sum(1 for line in log.splitlines() if "sending it nothing more until" in line)
    return (
        "| scenario | purchase requests | 429s | holds at the reserve | lowest "
        "X-RateLimit-Remaining | reserve - max_parallel_requests | wall s |\n"
        "|---|---|---|---|---|---|---|\n"
        f"| 6 product series x 3 apps x 1 year, pool of {limit} per {period} s, reserve "
        f"{reserve:g} | {len(requests)} | {limited} | {holds} | {lowest} | "
        f"{limit * reserve - PARALLEL:g} | {wall:.1f} |"
    )


def report(latency: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        return (
            "## Analytics streams\n\n"
            + bench_events(latency, workdir)
            + "\n\n"
            + bench_purchases(workdir)
            + "\n"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    print(report(parser.parse_args().latency))
