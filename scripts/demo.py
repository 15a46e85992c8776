"""`make demo`: a real Meltano pipeline, tap-braze-dau -> target-jsonl, against the emulator.

Runs twice: a full sync (no start_date: the tap discovers each series' history), then,
after the emulator revises today's partial count, an incremental run that re-reads only
the look-back days. Prints where the data went and what arrived. Nothing leaves 127.0.0.1.
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

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "output" / "demo"
API_KEY = "demo-key-not-a-real-secret"
APPS = {"ios": "2023-02-14", "android": "2024-05-01"}
STATE_ID = "dev:tap-braze-dau-to-target-jsonl"


def start_emulator() -> tuple[subprocess.Popen[bytes], str]:
    url_file = DEMO_DIR / "emulator.url"
    args = [
        sys.executable,
        "-m",
        "tests.emulator",
        "--api-key",
        API_KEY,
        "--url-file",
        str(url_file),
        "--latency",
        "0.02",
    ]
    for app_id, first_day in APPS.items():
        args += ["--app", f"{app_id}:{first_day}"]
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)
    for _ in range(100):
        if url_file.exists() and url_file.read_text().strip():
            return process, url_file.read_text().strip()
        time.sleep(0.1)
    process.kill()
    sys.exit("The Braze emulator did not start.")


def emulator_call(url: str, path: str, payload: dict | None = None) -> object:
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


def summarize(path: Path, skip_lines: int) -> int:
    """Print series, first and last day, rows for the lines the last run appended."""
    lines = path.read_text().splitlines()[skip_lines:]
    by_series: dict[str, list[dict]] = defaultdict(list)
    for line in lines:
        record = json.loads(line)
        by_series[record["app_id"]].append(record)
    print(f"  {'series':<12} {'first day':<11} {'last day':<11} {'rows':>6}   last day's dau")
    for app_id, records in sorted(by_series.items()):
        days = sorted(r["time"] for r in records)
        last = max(records, key=lambda r: r["time"])
        print(f"  {app_id:<12} {days[0]:<11} {days[-1]:<11} {len(records):>6}   {last['dau']}")
    return len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meltano", default="meltano", help="the meltano executable")
    args = parser.parse_args()
    started = time.monotonic()
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    output = DEMO_DIR / "jsonl"
    env = {
        **os.environ,
        "MELTANO_DATABASE_URI": f"sqlite:///{DEMO_DIR / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_BRAZE_DAU_API_KEY": API_KEY,
        "TAP_BRAZE_DAU_APP_IDS": json.dumps(list(APPS)),
        "TARGET_JSONL_DESTINATION_PATH": str(output),
    }
    print("Installing the Meltano plugins (tap-braze-dau, target-jsonl) ...")
    meltano(args.meltano, env, "install", "extractor", "tap-braze-dau")
    meltano(args.meltano, env, "install", "loader", "target-jsonl")

    emulator, url = start_emulator()
    env["TAP_BRAZE_DAU_API_URL"] = url
    try:
        print(f"Braze emulator on {url} (apps: {', '.join(APPS)}, plus the workspace total)\n")
        print("Run 1: meltano run tap-braze-dau target-jsonl  (no state: full history)")
        meltano(args.meltano, env, "run", "tap-braze-dau", "target-jsonl")
        data_file = output / "dau.jsonl"
        first_rows = summarize(data_file, 0)
        requests_1 = len(emulator_call(url, "/_emulator/requests"))  # type: ignore[arg-type]
        print(f"  {first_rows} rows in {requests_1} requests\n")

        today = dt.datetime.now(dt.timezone.utc).date().isoformat()
        emulator_call(url, "/_emulator/revise", {"app_id": "ios", "day": today, "dau": 4242})
        print(f"Braze revises today's partial count for ios ({today}) to 4242.")
        print("Run 2: the same command; Meltano hands the tap its last STATE")
        meltano(args.meltano, env, "run", "tap-braze-dau", "target-jsonl")
        summarize(data_file, first_rows)
        requests_2 = len(emulator_call(url, "/_emulator/requests")) - requests_1  # type: ignore[arg-type]
        print(
            f"  {requests_2} requests: only the bookmarked day and the 3 look-back days "
            "before it were read again"
        )
        state = meltano(args.meltano, env, "state", "get", STATE_ID).strip().splitlines()[-1]
        partitions = json.loads(state)["singer_state"]["bookmarks"]["dau"]["partitions"]
        marks = ", ".join(
            f"{p['context']['app_id']} {p['replication_key_value']}" for p in partitions
        )
        print(f"  Meltano's stored state ({STATE_ID}): {marks}\n")
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)

    print(f"Data: {data_file}")
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
