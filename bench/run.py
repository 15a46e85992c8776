"""`make bench`: what a sync costs, measured on the installed tap against the emulator.

Prints one table per measure:
- requests made vs the minimum (sum over series of ceil(days / window_days)), and wall
  time vs the critical path (requests x latency / parallel requests), at a fixed latency
  per request, for max_parallel_requests 1 (small scenarios) and the default 4;
- STATE output: how many STATE messages, their share of the RECORD bytes, and the most
  RECORD bytes between two STATEs (what a SIGKILL could lose), with the tap's rule and
  with the rule it replaced (a STATE after every window);
- tap startup (--about, --discover);
- peak resident memory for 1 and 10 years of history, one stream and five, and with a
  300 MB answer from Braze (refused while read);
- CPU time per record when the emulator answers at once, with the msgspec message writer
  the tap uses and with the SDK's default JSON writer.
Each figure is the median of `--repeat` runs. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bench import analytics, currents, messaging, readings, user_exports
from braze_emulator import STREAMS, BrazeEmulator, Fault
from tests.helpers import catalog_selecting

ROOT = Path(__file__).resolve().parent.parent


API_KEY = "bench-key"
END = dt.date(2025, 12, 31)
WINDOW_DAYS = 100
DEFAULT_PARALLEL = 4

#: Runs the tap with the SDK's default JSON writer instead of the msgspec one it uses.
JSON_WRITER_TAP = (
    "from singer_sdk.io_base import SingerWriter\n"
    "from tap_braze_dau.tap import TapBrazeDau\n"
    "TapBrazeDau.message_writer_class = SingerWriter\n"
    "TapBrazeDau.cli()\n"
)
#: Runs the tap with the STATE rule it replaced: a STATE after every window, whatever
#: the size of the state (every state counts as "small").
EVERY_WINDOW_TAP = (
    "import tap_braze_dau.plan.checkpoints as checkpoints\n"
    "checkpoints.SMALL_STATE_BYTES = 10**12\n"
    "from tap_braze_dau.tap import TapBrazeDau\n"
    "TapBrazeDau.cli()\n"
)


@dataclass(frozen=True)
class Scenario:
    name: str
    apps: int
    years: int
    streams: tuple[str, ...] = ("dau",)
    incremental: bool = False

    @property
    def start(self) -> dt.date:
        return END.replace(year=END.year - self.years) + dt.timedelta(days=1)

    @property
    def app_ids(self) -> list[str]:
        return [f"app-{n:03d}" for n in range(self.apps)]

    def series_days(self, lookback: int = 3) -> list[int]:
        """Days each series requests: the history, or the bookmarked day (yesterday), the
        look-back before it and today."""
        days = lookback + 2 if self.incremental else (END - self.start).days + 1
        return [days] * ((self.apps + 1) * len(self.streams))

    def minimum_requests(self) -> int:
        return sum(math.ceil(days / WINDOW_DAYS) for days in self.series_days())

    def state(self) -> dict[str, Any] | None:
        """A nightly run's input: yesterday's run bookmarked yesterday."""
        if not self.incremental:
            return None
        yesterday = END - dt.timedelta(days=1)
        partitions = [
            {
                "context": {"app_id": app_id},
                "replication_key": "time",
                "replication_key_value": yesterday.isoformat(),
            }
            for app_id in [*self.app_ids, "_workspace"]
        ]
        return {"bookmarks": {stream: {"partitions": partitions} for stream in self.streams}}


@dataclass
class Measure:
    wall: float
    cpu: float
    max_rss_mib: float
    records: int
    requests: int
    record_bytes: int = 0
    states: int = 0
    state_bytes: int = 0
    widest_gap: int = 0  # most RECORD bytes between two STATEs
    returncode: int = 0


def read_output(path: Path) -> tuple[int, int, int, int, int]:
    """records, RECORD bytes, STATE messages, STATE bytes, widest RECORD gap."""
    records = record_bytes = states = state_bytes = gap = widest = 0
    with path.open("rb") as lines:
        for line in lines:
            head = line[:40]
            if b'"type":"RECORD"' in head or b'"type": "RECORD"' in head:
                records += 1
                record_bytes += len(line)
                gap += len(line)
            elif b'"type":"STATE"' in head or b'"type": "STATE"' in head:
                states += 1
                state_bytes += len(line)
                widest = max(widest, gap)
                gap = 0
    return records, record_bytes, states, state_bytes, max(widest, gap)


def run_tap(
    braze: BrazeEmulator,
    scenario: Scenario,
    parallel: int,
    workdir: Path,
    *,
    program: str | None = None,
    must_succeed: bool = True,
) -> Measure:
    config: dict[str, Any] = {
        "api_key": API_KEY,
        "api_url": braze.url,
        "start_date": scenario.start.isoformat(),
        "end_date": END.isoformat(),
        "max_parallel_requests": parallel,
        "window_days": WINDOW_DAYS,
        "max_retries": 1,
        "retry_wait_seconds": 0.1,
    }
    if scenario.apps:
        config["app_ids"] = scenario.app_ids
    (workdir / "config.json").write_text(json.dumps(config))
    (workdir / "catalog.json").write_text(json.dumps(catalog_selecting(scenario.streams)))
    args = ["--config", str(workdir / "config.json"), "--catalog", str(workdir / "catalog.json")]
    if (state := scenario.state()) is not None:
        (workdir / "state.json").write_text(json.dumps(state))
        args += ["--state", str(workdir / "state.json")]
    command = (
        [sys.executable, "-c", program] if program else [sys.executable, "-m", "tap_braze_dau"]
    )
    braze.requests.clear()
    out_path = workdir / "out.jsonl"
    with out_path.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command, *args], stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    if must_succeed and returncode != 0:
        sys.exit(f"the tap failed in scenario {scenario.name!r}")
    records, record_bytes, states, state_bytes, widest = read_output(out_path)
    return Measure(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        records,
        len(braze.data_requests()),
        record_bytes,
        states,
        state_bytes,
        widest,
        returncode,
    )


def median_of(repeat: int, measure: Callable[[], Measure]) -> Measure:
    runs = [measure() for _ in range(repeat)]
    first = runs[0]
    return Measure(
        wall=statistics.median(r.wall for r in runs),
        cpu=statistics.median(r.cpu for r in runs),
        max_rss_mib=statistics.median(r.max_rss_mib for r in runs),
        records=first.records,
        requests=first.requests,
        record_bytes=first.record_bytes,
        states=first.states,
        state_bytes=first.state_bytes,
        widest_gap=first.widest_gap,
        returncode=first.returncode,
    )


def emulator_for(scenario: Scenario, latency: float) -> BrazeEmulator:
    apps = dict.fromkeys(scenario.app_ids, dt.date(2000, 1, 1))
    return BrazeEmulator(
        api_key=API_KEY,
        apps=apps,
        workspace_first_day=dt.date(2000, 1, 1),
        today=END,
        latency=latency,
    ).start()


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


FIVE = tuple(STREAMS)
#: (scenario, also measured sequentially)
SCENARIOS = [
    (Scenario("1 series, 10 years", apps=0, years=10), True),
    (Scenario("20 apps + workspace, 3 years", apps=20, years=3), True),
    (Scenario("five streams, 20 apps + workspace, 3 years", apps=20, years=3, streams=FIVE), True),
    (Scenario("200 apps + workspace, 3 years", apps=200, years=3), False),
    (
        Scenario("daily incremental, 20 apps + workspace", apps=20, years=3, incremental=True),
        True,
    ),
    (
        Scenario(
            "daily incremental, five streams, 20 apps + workspace",
            apps=20,
            years=3,
            streams=FIVE,
            incremental=True,
        ),
        False,
    ),
]


def bench_requests_wall_and_state(
    repeat: int, latency: float, startup: float, workdir: Path
) -> tuple[str, str]:
    wall_rows, state_rows = [], []
    for scenario, sequential_too in SCENARIOS:
        braze = emulator_for(scenario, latency)
        try:
            for parallel in (1, DEFAULT_PARALLEL) if sequential_too else (DEFAULT_PARALLEL,):
                m = median_of(repeat, partial(run_tap, braze, scenario, parallel, workdir))
                critical = m.requests * latency / parallel
                wall_rows.append(
                    [
                        scenario.name,
                        str(parallel),
                        str(m.records),
                        f"{m.requests} / {scenario.minimum_requests()}",
                        f"{m.wall:.2f}",
                        f"{critical:.2f}",
                        f"{m.wall / critical:.2f}",
                        f"{(m.wall - startup) / critical:.2f}",
                    ]
                )
            after = run_tap(braze, scenario, DEFAULT_PARALLEL, workdir)
            before = run_tap(braze, scenario, DEFAULT_PARALLEL, workdir, program=EVERY_WINDOW_TAP)
        finally:
            braze.stop()
        for label, m in (("every window (before)", before), ("budget (the tap's)", after)):
            state_rows.append(
                [
                    scenario.name,
                    label,
                    str(m.states),
                    f"{m.state_bytes / 1e6:.3f}",
                    f"{m.record_bytes / 1e6:.2f}",
                    f"{m.state_bytes / m.record_bytes:.1%}",
                    f"{m.widest_gap / 1e3:.0f}",
                ]
            )
    wall = table(
        [
            "scenario",
            "parallel",
            "records",
            "requests / minimum",
            "wall s",
            "critical path s",
            "wall / critical",
            "(wall - startup) / critical",
        ],
        wall_rows,
    )
    state = table(
        [
            "scenario",
            "STATE rule",
            "STATE messages",
            "STATE MB",
            "RECORD MB",
            "STATE / RECORD",
            "most RECORD kB between two STATEs",
        ],
        state_rows,
    )
    return wall, state


def bench_startup(repeat: int) -> tuple[str, float]:
    """The table, and the median start of a sync-less run (--discover) for the other tables."""
    rows = []
    medians = {}
    for label, args in (
        ("python -c pass (floor)", ["-c", "pass"]),
        ("import singer_sdk (floor)", ["-c", "import singer_sdk"]),
        ("tap-braze-dau --about", ["-m", "tap_braze_dau", "--about"]),
        ("tap-braze-dau --discover", ["-m", "tap_braze_dau", "--discover"]),
    ):
        walls = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, *args],
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            walls.append(time.perf_counter() - started)
        medians[label] = statistics.median(walls)
        rows.append([label, f"{medians[label]:.3f}"])
    return table(["command", "median wall s"], rows), medians["tap-braze-dau --discover"]


def bench_memory(repeat: int, workdir: Path) -> str:
    rows = []
    for scenario in (
        Scenario("1 series, 1 year", apps=0, years=1),
        Scenario("1 series, 10 years", apps=0, years=10),
        Scenario("20 apps + workspace, 1 year", apps=20, years=1),
        Scenario("20 apps + workspace, 10 years", apps=20, years=10),
        Scenario("five streams, 20 apps + workspace, 1 year", apps=20, years=1, streams=FIVE),
        Scenario("five streams, 20 apps + workspace, 10 years", apps=20, years=10, streams=FIVE),
    ):
        braze = emulator_for(scenario, 0.0)
        try:
            m = median_of(repeat, partial(run_tap, braze, scenario, DEFAULT_PARALLEL, workdir))
        finally:
            braze.stop()
        rows.append([scenario.name, "none", str(m.records), f"{m.max_rss_mib:.1f}"])
    # A 300 MB answer to one window, on every try: refused while read, never held whole.
    scenario = Scenario("1 series, 1 year", apps=0, years=1)
    braze = emulator_for(scenario, 0.0)
    braze.add_fault(Fault("oversized", size=300 * 2**20, count=-1, covers="2025-06-01"))
    try:
        run = partial(run_tap, braze, scenario, DEFAULT_PARALLEL, workdir, must_succeed=False)
        m = median_of(repeat, run)
    finally:
        braze.stop()
    outcome = "refused, run failed as it should" if m.returncode else "NOT REFUSED"
    rows.append(
        [scenario.name, f"a 300 MB answer ({outcome})", str(m.records), f"{m.max_rss_mib:.1f}"]
    )
    return table(["history", "broken answer", "records", "peak RSS MiB"], rows)


def bench_cpu(repeat: int, workdir: Path) -> str:
    scenario = Scenario("20 apps + workspace, 10 years", apps=20, years=10)
    braze = emulator_for(scenario, 0.0)
    rows = []
    try:
        for label, program in (("msgspec (the tap's)", None), ("SDK's json", JSON_WRITER_TAP)):
            for parallel in (1, DEFAULT_PARALLEL):
                run = partial(run_tap, braze, scenario, parallel, workdir, program=program)
                m = median_of(repeat, run)
                rows.append(
                    [
                        label,
                        str(parallel),
                        str(m.records),
                        f"{m.cpu:.2f}",
                        f"{m.cpu / m.records * 1e6:.0f}",
                        f"{m.wall:.2f}",
                    ]
                )
    finally:
        braze.stop()
    return table(
        ["message writer", "parallel", "records", "tap CPU s", "CPU µs / record", "wall s"], rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    args = parser.parse_args()
    print(f"# tap-braze-dau benchmark, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )
    print(
        f"medians of {args.repeat} runs; latency {args.latency * 1000:.0f} ms per request; "
        f"window_days {WINDOW_DAYS}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        startup_table, startup = bench_startup(max(args.repeat, 5))
        wall_table, state_table = bench_requests_wall_and_state(
            args.repeat, args.latency, startup, workdir
        )
        print("## Requests and wall time\n")
        print(f"startup ({startup:.2f} s) is the median wall time of `--discover`\n")
        print(wall_table, "\n", flush=True)
        print("## STATE output (one run each, default parallelism)\n")
        print(state_table, "\n", flush=True)
        print("## Startup\n")
        print(startup_table, "\n", flush=True)
        print("## Peak memory (emulator answering at once)\n")
        print(bench_memory(args.repeat, workdir), "\n", flush=True)
        print("## CPU per record (emulator answering at once)\n")
        print(bench_cpu(args.repeat, workdir), "\n", flush=True)
    print(analytics.report(args.latency), flush=True)
    print(messaging.report(args.latency), flush=True)
    print(readings.report(), flush=True)
    print(currents.report(), flush=True)
    print(user_exports.report(), flush=True)


if __name__ == "__main__":
    main()
