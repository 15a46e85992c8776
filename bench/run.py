"""`make bench`: what a sync costs, measured on the installed tap against the emulator.

Prints one table per measure:
- requests made vs the minimum (sum over series of ceil(days / window_days));
- wall time vs the critical path (requests x latency / parallel requests), at a fixed
  latency per request, for max_parallel_requests 1 and the default 4;
- tap startup (--about, --discover);
- peak resident memory for 1 and 10 years of history;
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.emulator import BrazeEmulator  # noqa: E402

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


@dataclass(frozen=True)
class Scenario:
    name: str
    apps: int
    years: int
    incremental: bool = False

    @property
    def start(self) -> dt.date:
        return END.replace(year=END.year - self.years) + dt.timedelta(days=1)

    @property
    def app_ids(self) -> list[str]:
        return [f"app-{n:02d}" for n in range(self.apps)]

    def series_days(self, lookback: int = 3) -> list[int]:
        """Days each series requests: the history, or bookmark + look-back."""
        days = lookback + 1 if self.incremental else (END - self.start).days + 1
        return [days] * (self.apps + 1)

    def minimum_requests(self) -> int:
        return sum(math.ceil(days / WINDOW_DAYS) for days in self.series_days())

    def state(self) -> dict[str, Any] | None:
        if not self.incremental:
            return None
        partitions = [
            {
                "context": {"app_id": app_id},
                "replication_key": "time",
                "replication_key_value": END.isoformat(),
            }
            for app_id in [*self.app_ids, "_workspace"]
        ]
        return {"bookmarks": {"dau": {"partitions": partitions}}}


@dataclass
class Measure:
    wall: float
    cpu: float
    max_rss_mib: float
    records: int
    requests: int


def run_tap(
    braze: BrazeEmulator,
    scenario: Scenario,
    parallel: int,
    workdir: Path,
    *,
    json_writer: bool = False,
) -> Measure:
    config = {
        "api_key": API_KEY,
        "api_url": braze.url,
        "start_date": scenario.start.isoformat(),
        "end_date": END.isoformat(),
        "max_parallel_requests": parallel,
        "window_days": WINDOW_DAYS,
    }
    if scenario.apps:
        config["app_ids"] = scenario.app_ids
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config))
    args = ["--config", str(config_path)]
    if (state := scenario.state()) is not None:
        (workdir / "state.json").write_text(json.dumps(state))
        args += ["--state", str(workdir / "state.json")]
    command = (
        [sys.executable, "-c", JSON_WRITER_TAP]
        if json_writer
        else [sys.executable, "-m", "tap_braze_dau"]
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
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"the tap failed in scenario {scenario.name!r}")
    records = sum(
        1
        for line in out_path.open("rb")
        if line.startswith(b'{"type":"RECORD"') or b'"type": "RECORD"' in line[:40]
    )
    return Measure(
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        records,
        len(braze.dau_requests()),
    )


def median_of(repeat: int, measure: Callable[[], Measure]) -> Measure:
    runs = [measure() for _ in range(repeat)]
    return Measure(
        wall=statistics.median(r.wall for r in runs),
        cpu=statistics.median(r.cpu for r in runs),
        max_rss_mib=statistics.median(r.max_rss_mib for r in runs),
        records=runs[0].records,
        requests=runs[0].requests,
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


def bench_requests_and_wall(repeat: int, latency: float, startup: float, workdir: Path) -> str:
    scenarios = [
        Scenario("1 series, 10 years", apps=0, years=10),
        Scenario("20 apps + workspace, 3 years", apps=20, years=3),
        Scenario("daily incremental, 20 apps + workspace", apps=20, years=3, incremental=True),
    ]
    rows = []
    for scenario in scenarios:
        braze = emulator_for(scenario, latency)
        try:
            for parallel in (1, DEFAULT_PARALLEL):
                m = median_of(repeat, partial(run_tap, braze, scenario, parallel, workdir))
                critical = m.requests * latency / parallel
                rows.append(
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
        finally:
            braze.stop()
    return table(
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
        rows,
    )


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
    ):
        braze = emulator_for(scenario, 0.0)
        try:
            m = median_of(repeat, partial(run_tap, braze, scenario, DEFAULT_PARALLEL, workdir))
        finally:
            braze.stop()
        rows.append([scenario.name, str(m.records), f"{m.max_rss_mib:.1f}"])
    return table(["history", "records", "peak RSS MiB"], rows)


def bench_cpu(repeat: int, workdir: Path) -> str:
    scenario = Scenario("20 apps + workspace, 10 years", apps=20, years=10)
    braze = emulator_for(scenario, 0.0)
    rows = []
    try:
        for label, json_writer in (("msgspec (the tap's)", False), ("SDK's json", True)):
            for parallel in (1, DEFAULT_PARALLEL):
                run = partial(run_tap, braze, scenario, parallel, workdir, json_writer=json_writer)
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
        print("## Requests and wall time\n")
        print(f"startup ({startup:.2f} s) is the median wall time of `--discover`\n")
        print(
            bench_requests_and_wall(args.repeat, args.latency, startup, workdir), "\n", flush=True
        )
        print("## Startup\n")
        print(startup_table, "\n", flush=True)
        print("## Peak memory (emulator answering at once)\n")
        print(bench_memory(args.repeat, workdir), "\n", flush=True)
        print("## CPU per record (emulator answering at once)\n")
        print(bench_cpu(args.repeat, workdir), flush=True)


if __name__ == "__main__":
    main()
