"""`make bench`, Currents: events per second against the bare decode loop, and memory.

A million events in ten files of 100,000 (Braze's largest), `users.behaviors.CustomEvent`
with the deflate codec, in a local folder (so the disk, not a server, feeds both):
- the bare loop: the same files decoded with the same Avro library (fastavro) and each
  event serialised to a JSON line (msgspec) to /dev/null, with no Singer machinery: what
  one process cannot beat;
- the tap: `tap-braze-dau` syncing the stream, its messages to /dev/null; events per
  second with and without its start-up (`--about`'s wall time), and the ratio to the bare
  loop (the goal is 0.7; below half is a defect);
- the tap's peak resident memory (VmHWM) over the run.
Everything from one run. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fastavro
import msgspec

from bench.tap_process import ROOT, startup
from braze_emulator.currents import currents_tree, write_folder
from tests.helpers import run_measuring_memory

EVENT_TYPE = "users.behaviors.CustomEvent"
STREAM = "currents_behaviors_custom_event"
UTC = dt.timezone.utc


def make_files(folder: Path, files: int, events: int) -> int:
    """`files` files of `events` events each; the number of events written."""
    start = dt.datetime(2025, 6, 1, tzinfo=UTC)
    total = 0
    for n in range(files):
        tree = currents_tree(
            hours=[start + dt.timedelta(hours=n)],
            event_types=[EVENT_TYPE],
            files_per_hour=1,
            events_per_file=events,
            duplicates=0,
            seed=n,
        )
        write_folder(tree.files, folder)
        total += sum(len(f.ids) for f in tree.files)
    return total


def bare_loop(folder: Path) -> tuple[int, float]:
    """Events and seconds: decode every file, one JSON line per event, to /dev/null."""
    encode = msgspec.json.Encoder().encode
    count = 0
    started = time.perf_counter()
    with Path("/dev/null").open("wb") as sink:
        for path in sorted(folder.rglob("*.avro")):
            with path.open("rb") as stream:
                for event in fastavro.reader(stream):
                    sink.write(encode(event) + b"\n")
                    count += 1
    return count, time.perf_counter() - started


def tap_run(folder: Path, workdir: Path) -> tuple[float, float]:
    """Seconds and peak MiB of the tap syncing the stream from `folder`."""
    config = {"api_key": "bench-key", "currents_url": str(folder), "start_date": "2025-06-01"}
    (workdir / "config.json").write_text(json.dumps(config))
    command = [sys.executable, "-m", "tap_braze_dau", "--config", str(workdir / "config.json")]
    discovered = subprocess.run(
        [*command, "--discover"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    catalog = json.loads(discovered)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == STREAM
    (workdir / "catalog.json").write_text(json.dumps(catalog))
    args = ["--config", str(workdir / "config.json"), "--catalog", str(workdir / "catalog.json")]
    started = time.perf_counter()
    peak = run_measuring_memory(args, workdir, Path("/dev/null"))
    return time.perf_counter() - started, peak


def report(files: int = 10, events: int = 100_000) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        folder = workdir / "currents"
        total = make_files(folder, files, events)
        bare_count, bare_seconds = bare_loop(folder)
        assert bare_count == total
        start = startup()
        tap_seconds, peak = tap_run(folder, workdir)
    bare_rate = total / bare_seconds
    tap_rate = total / tap_seconds
    net_rate = total / max(tap_seconds - start, 1e-9)
    lines = [
        "## Currents\n",
        f"{total:,} events in {files} files of {events:,} ({EVENT_TYPE}, deflate), from a "
        "local folder, messages to /dev/null, one run each.\n",
        "| run | seconds | events / s | ratio to the bare loop |",
        "|---|---|---|---|",
        f"| bare loop: fastavro + msgspec, no Singer | {bare_seconds:.2f} | {bare_rate:,.0f} "
        "| 1.00 |",
        f"| tap-braze-dau, start-up included | {tap_seconds:.2f} | {tap_rate:,.0f} | "
        f"{tap_rate / bare_rate:.2f} |",
        f"| tap-braze-dau, less its start-up ({start:.2f} s) | {tap_seconds - start:.2f} | "
        f"{net_rate:,.0f} | {net_rate / bare_rate:.2f} |",
        "",
        f"peak resident memory of the tap: {peak:.0f} MiB",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--events", type=int, default=100_000)
    arguments = parser.parse_args()
    print(report(arguments.files, arguments.events))
