"""`make demo`: a real Meltano pipeline, tap-braze-dau -> target-jsonl, against the emulator.

Runs twice: a full sync (no start_date: the tap discovers each series' history), then,
after the emulator revises today's partial count, an incremental run that re-reads only
the look-back days. Besides dau, which the project syncs by default, it opts in to two
more streams (mau and new_users) the way a user would, through Meltano's `select` extra,
to two Currents event types, read from a folder where the emulator's generator writes a
few hours of Braze-shaped Avro files (an hour more before the second run), and to the
users of one segment (an asynchronous export) and the hard bounces.
Prints where the data went, what arrived, each series' last 90 days as a one-line chart,
and the state Meltano kept. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

from braze_emulator.currents import currents_tree, write_folder

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "output" / "demo"
API_KEY = "demo-key-not-a-real-secret"
APPS = {"ios": "2023-02-14", "android": "2024-05-01"}
STREAMS = ("dau", "mau", "new_users")  # dau by default; the two others opted in
#: Currents event types written into the demo's folder, and their streams (opted in too)
CURRENTS = {
    "users.messages.email.Send": "currents_messages_email_send",
    "users.behaviors.CustomEvent": "currents_behaviors_custom_event",
}
#: User-level exports opted in too: the users of one segment, and the hard bounces
EXPORTS = ("users", "email_hard_bounces")
SEGMENT = "seg-all"
STATE_ID = "dev:tap-braze-dau-to-target-jsonl"
BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    """One character per value, from ▁ (the series' lowest) to █ (its highest)."""
    low, high = min(values), max(values)
    span = high - low or 1
    return "".join(BARS[(value - low) * (len(BARS) - 1) // span] for value in values)


def start_emulator() -> tuple[subprocess.Popen[bytes], str]:
    url_file = DEMO_DIR / "emulator.url"
    args = [
        sys.executable,
        "-m",
        "braze_emulator",
        "--api-key",
        API_KEY,
        "--url-file",
        str(url_file),
        "--latency",
        "0.02",
    ]
    for app_id, first_day in APPS.items():
        args += ["--app", f"{app_id}:{first_day}"]
    # a segment of 2,000 users to export (ready 2 s after it is asked), a year of bounces
    args += ["--many-users", f"{SEGMENT}:2000", "--suppressions", "500", "--export-delay", "2"]
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)
    for _ in range(100):
        if url_file.exists() and url_file.read_text().strip():
            return process, url_file.read_text().strip()
        time.sleep(0.1)
    process.kill()
    sys.exit("The Braze emulator did not start.")


def emulator_call(url: str, path: str, payload: dict[str, object] | None = None) -> object:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url + path, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def meltano(meltano_bin: str, env: dict[str, str], *args: str) -> str:
    """Run Meltano: its logs go to meltano.log, its standard output is returned."""
    log = DEMO_DIR / "meltano.log"
    with log.open("a") as out:
        out.write(f"\n$ meltano {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(
            [meltano_bin, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=out,
            check=False,
            text=True,
        )
    if result.returncode != 0:
        print(log.read_text()[-4000:])
        sys.exit(f"meltano {' '.join(args)} failed (exit {result.returncode}); log: {log}")
    return result.stdout


def read_records(path: Path, skip_lines: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()[skip_lines:]]


def summarize(output: Path, seen: dict[str, int], *, charts: bool) -> None:
    """What the last run appended to each stream's file: per series, first and last day,
    rows, the last value, and (with `charts`) the last 90 days as a sparkline."""
    for stream in STREAMS:
        path = output / f"{stream}.jsonl"
        records = read_records(path, seen.get(stream, 0))
        seen[stream] = seen.get(stream, 0) + len(records)
        print(f"  {path.relative_to(ROOT)}: {len(records)} rows")
        by_series: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_series[record["app_id"]].append(record)
        for app_id, rows in sorted(by_series.items()):
            rows.sort(key=lambda r: r["time"])
            line = (
                f"    {app_id:<11} {rows[0]['time']}..{rows[-1]['time']} "
                f"{len(rows):>4} rows, last {rows[-1][stream]:>6}"
            )
            if charts:
                line += "  " + sparkline([r[stream] for r in rows[-90:]])
            print(line)


def write_currents(folder: Path, first_hour: dt.datetime, hours: int, seed: int) -> int:
    """`hours` hours of Currents files from `first_hour` on; the events written."""
    tree = currents_tree(
        hours=[first_hour + dt.timedelta(hours=n) for n in range(hours)],
        event_types=list(CURRENTS),
        files_per_hour=2,
        events_per_file=50,
        seed=seed,
    )
    write_folder(tree.files, folder)
    return sum(len(ids) for ids in tree.events.values())


def summarize_currents(output: Path, seen: dict[str, int]) -> None:
    """Rows each Currents stream's file got in the last run, and its distinct events."""
    for stream in CURRENTS.values():
        path = output / f"{stream}.jsonl"
        records = read_records(path, seen.get(stream, 0)) if path.exists() else []
        seen[stream] = seen.get(stream, 0) + len(records)
        ids = {record["id"] for record in read_records(path, 0)} if path.exists() else set()
        print(
            f"  {path.relative_to(ROOT)}: {len(records)} rows this run, "
            f"{len(ids)} distinct events in all (one per id, keyed on id)"
        )


def analytics_requests(url: str) -> list[dict[str, Any]]:
    """The emulator's log of the requests of the analytics streams (dau, mau, new_users)."""
    logged = emulator_call(url, "/_emulator/requests")
    assert isinstance(logged, list)
    return [r for r in logged if isinstance(r, dict) and r.get("stream") in STREAMS]


def summarize_exports(output: Path, seen: dict[str, int]) -> None:
    """Rows the user-export streams' files got in the last run."""
    for stream in EXPORTS:
        path = output / f"{stream}.jsonl"
        records = read_records(path, seen.get(stream, 0)) if path.exists() else []
        seen[stream] = seen.get(stream, 0) + len(records)
        what = (
            f"profiles of segment {SEGMENT} (full table: every run exports it anew)"
            if stream == "users"
            else "hard bounces (incremental: the bookmarked day and the look-back again)"
        )
        print(f"  {path.relative_to(ROOT)}: {len(records)} {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meltano", default="meltano", help="the meltano executable")
    args = parser.parse_args()
    started = time.monotonic()
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    output = DEMO_DIR / "jsonl"
    currents = DEMO_DIR / "currents"
    hour = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    events = write_currents(currents, hour - dt.timedelta(hours=5), 5, seed=1)
    env = {
        **os.environ,
        "MELTANO_DATABASE_URI": f"sqlite:///{DEMO_DIR / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_BRAZE_DAU_API_KEY": API_KEY,
        "TAP_BRAZE_DAU_APP_IDS": json.dumps(list(APPS)),
        # Opt in to two more streams beside dau, as a user would (README: choosing streams),
        # and to two Currents event types
        "TAP_BRAZE_DAU__SELECT": json.dumps(
            [f"{stream}.*" for stream in (*STREAMS, *CURRENTS.values(), *EXPORTS)]
        ),
        "TAP_BRAZE_DAU_USERS_SEGMENT_IDS": json.dumps([SEGMENT]),
        "TAP_BRAZE_DAU_CURRENTS_URL": str(currents),
        "TARGET_JSONL_DESTINATION_PATH": str(output),
    }
    print("Installing the Meltano plugins (tap-braze-dau, target-jsonl) ...")
    meltano(args.meltano, env, "install", "extractor", "tap-braze-dau")
    meltano(args.meltano, env, "install", "loader", "target-jsonl")

    emulator, url = start_emulator()
    env["TAP_BRAZE_DAU_API_URL"] = url
    seen: dict[str, int] = {}
    try:
        print(f"Braze emulator on {url} (apps: {', '.join(APPS)}, plus the workspace total)")
        print(f"Streams: {', '.join(STREAMS)} (TAP_BRAZE_DAU__SELECT opts in to the last two)\n")
        print("Run 1: meltano run tap-braze-dau target-jsonl  (no state: the whole history)")
        meltano(args.meltano, env, "run", "tap-braze-dau", "target-jsonl")
        requests_1 = len(analytics_requests(url))
        summarize(output, seen, charts=True)
        print(f"  {requests_1} analytics requests; the charts are each series' last 90 days")
        summarize_currents(output, seen)
        print(f"  ({events} events in 5 hours of Currents files under {currents})")
        summarize_exports(output, seen)
        print()

        today = dt.datetime.now(dt.timezone.utc).date().isoformat()
        revision = {"stream": "dau", "app_id": "ios", "day": today, "value": 4242}
        emulator_call(url, "/_emulator/revise", revision)
        print(f"Braze revises today's partial dau of ios ({today}) to 4242.")
        more = write_currents(currents, hour, 1, seed=2)
        print(f"Braze delivers another hour of Currents files ({more} events).")
        print("Run 2: the same command; Meltano hands the tap its last STATE")
        meltano(args.meltano, env, "run", "tap-braze-dau", "target-jsonl")
        summarize(output, seen, charts=False)
        summarize_currents(output, seen)
        print("  (only the new hour's files were read: the state remembers every file read)")
        summarize_exports(output, seen)
        requests_2 = len(analytics_requests(url)) - requests_1
        print(
            f"  {requests_2} analytics requests: only the bookmarked day and the 3 look-back days "
            "before it, per series, were read again"
        )
        state = meltano(args.meltano, env, "state", "get", STATE_ID).strip().splitlines()[-1]
        bookmarks = json.loads(state)["singer_state"]["bookmarks"]
        print(f"  Meltano's stored state ({STATE_ID}):")
        for stream, stream_state in bookmarks.items():
            if "newest_hour" in stream_state:
                print(f"    {stream}: newest hour folder read {stream_state['newest_hour']}")
                continue
            if "replication_key_value" in stream_state:
                print(f"    {stream}: {stream_state['replication_key_value']}")
                continue
            if stream == "users":
                continue  # full table: nothing to remember
            marks = ", ".join(
                f"{p['context']['app_id']} {p['replication_key_value']}"
                for p in stream_state["partitions"]
            )
            print(f"    {stream}: {marks}")
        print()
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)

    print(f"Data: {output}/{{{','.join((*STREAMS, *CURRENTS.values(), *EXPORTS))}}}.jsonl")
    print("  (target-jsonl appends; a re-read day appears again with its latest value,")
    print("   so read it keyed on (app_id, time), last line wins)")
    print(
        f"Meltano state: MELTANO_DATABASE_URI={env['MELTANO_DATABASE_URI']} "
        f"{args.meltano} state get {STATE_ID}"
    )
    print(f"Meltano log: {DEMO_DIR / 'meltano.log'}")
    print(f"Demo finished in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
