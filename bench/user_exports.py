"""`make bench`, the user export: 200,000 users, the tap against the bare loop, and memory.

One segment of 200,000 profiles (every documented field; 5,000 a member, as Braze
writes), exported by the emulator on 127.0.0.1 to a ZIP on its download host:
- the bare loop: the same steps with no Singer machinery: ask for the export, poll the
  URL until it answers, download the ZIP to a file, read every member line by line, and
  write each profile as a JSON line (msgspec) to /dev/null: what one process cannot beat;
  and, within it, the download and unzip alone;
- the tap: `tap-braze-dau` syncing `users`, its messages counted and thrown away; wall
  time and the
  ratio to the bare loop, from the start of the download that got the archive (the time
  Braze takes to prepare it, and the polls' lag, are shown apart: the tap polls with
  backoff, the bare loop every 0.05 s);
- the tap's peak resident memory (VmHWM) over the run (the goal: under 200 MiB).
Both exports are made the same way (the emulator builds the ZIP when asked), so both
times include it. Everything from one run. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import msgspec
import requests

from bench.tap_process import ROOT, startup
from braze_emulator import EXPORTABLE_FIELDS, BrazeEmulator, many_users
from tests.helpers import catalog_selecting, measured_tap

API_KEY = "bench-key"
SEGMENT = "seg-all"
FIELDS = list(EXPORTABLE_FIELDS)


def bare_loop(braze: BrazeEmulator, workdir: Path) -> tuple[int, float, float, float]:
    """(profiles, seconds in all, of the download alone, of unzipping alone): the
    unzip-only pass (every line read, none decoded) is timed apart, not in the total."""
    started = time.perf_counter()
    answer = requests.post(
        f"{braze.url}/users/export/segment",
        json={"segment_id": SEGMENT, "fields_to_export": FIELDS},
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=60,
    )
    answer.raise_for_status()
    url = answer.json()["url"]
    archive = workdir / "bare.zip"
    downloading = 0.0
    with requests.Session() as session:
        while not downloading:
            with session.get(url, stream=True, timeout=60) as download:
                if download.status_code != 200:
                    time.sleep(0.05)
                    continue
                began = time.perf_counter()
                with archive.open("wb") as out:
                    for chunk in download.iter_content(1 << 20):
                        out.write(chunk)
                downloading = time.perf_counter() - began
    count = 0
    decode, encode = msgspec.json.decode, msgspec.json.Encoder().encode
    with Path("/dev/null").open("wb") as sink, zipfile.ZipFile(archive) as members:
        for member in members.infolist():
            with members.open(member) as lines:
                for line in lines:
                    sink.write(encode({"segment_id": SEGMENT, **decode(line)}) + b"\n")
                    count += 1
    total = time.perf_counter() - started
    began = time.perf_counter()
    with zipfile.ZipFile(archive) as members:
        for member in members.infolist():
            with members.open(member) as lines:
                for _line in lines:
                    pass
    unzipping = time.perf_counter() - began
    return count, total, downloading, unzipping


#: What starts each RECORD message the tap writes.
RECORD = b'{"type":"RECORD"'


def tap_run(braze: BrazeEmulator, workdir: Path) -> tuple[float, float, int]:
    """Seconds, peak MiB and RECORD messages of the tap syncing `users`. Its messages
    are counted from a pipe as they come, 1 MiB at a time, and thrown away: as cheap
    as /dev/null (writing them to a file would time the disk)."""
    config = {
        "api_key": API_KEY,
        "api_url": braze.url,
        "users_segment_ids": [SEGMENT],
        "retry_wait_seconds": 0.05,
    }
    (workdir / "config.json").write_text(json.dumps(config))
    (workdir / "catalog.json").write_text(json.dumps(catalog_selecting(["users"])))
    args = ["--config", str(workdir / "config.json"), "--catalog", str(workdir / "catalog.json")]
    peak = workdir / "peak"
    records = 0
    tail = b""
    started = time.perf_counter()
    with subprocess.Popen(
        measured_tap(args, peak), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as tap:
        assert tap.stdout is not None
        while chunk := tap.stdout.read(1 << 20):
            data = tail + chunk
            records += data.count(RECORD)
            tail = data[-(len(RECORD) - 1) :]
            records -= tail.count(RECORD)  # counted again with the next chunk
    assert tap.returncode == 0, tap.returncode
    seconds = time.perf_counter() - started
    return seconds, int(peak.read_text()) / 1024, records


def phases(braze: BrazeEmulator, index: int, ended: float) -> tuple[float, float, float]:
    """Of export `index`: (seconds Braze took to prepare it, from the POST to ready;
    seconds from ready to the download that got it; seconds from that download's start
    to `ended`), from the emulator's logs (one clock, the machine's)."""
    export = braze.exports[index]
    assert export.ready_at is not None
    got = next(
        d
        for d in braze.download_requests
        if d.object_prefix == export.object_prefix and d.status == 200
    )
    return export.ready_at - export.requested_at, got.arrived - export.ready_at, ended - got.arrived


def report(users: int = 200_000) -> str:
    profiles = many_users(users, segment_id=SEGMENT)
    with (
        tempfile.TemporaryDirectory() as tmp,
        BrazeEmulator(
            api_key=API_KEY, users={SEGMENT: profiles}, export_delay=0.0, users_per_file=5_000
        ) as braze,
    ):
        workdir = Path(tmp)
        count, bare_seconds, download_seconds, unzip_seconds = bare_loop(braze, workdir)
        bare_phases = phases(braze, 0, time.time() - unzip_seconds)
        assert count == users, (count, users)
        size = max(e.archive_size for e in braze.exports)
        start = startup()
        tap_seconds, peak, records = tap_run(braze, workdir)
        tap_phases = phases(braze, 1, time.time())
        assert records == users, (records, users)
    lines = [
        "## The user export\n",
        f"{users:,} profiles of one segment (every documented field, 5,000 a member; a "
        f"ZIP of {size / 2**20:.0f} MiB) from the emulator's download host on 127.0.0.1, "
        "messages to /dev/null, one run each. Both runs ask for the export and wait for "
        "the emulator to build the ZIP; the last columns compare what each does once the "
        "archive is ready: download, unzip, decode, write.\n",
        "| run | seconds in all | Braze preparing | ready → downloading (polls) | "
        "download to the last line | profiles / s from the download | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, seconds, (preparing, lag, work) in (
        (
            "bare loop: ask, poll every 0.05 s, download, unzip, one JSON line a profile "
            "(msgspec), no Singer",
            bare_seconds,
            bare_phases,
        ),
        (f"tap-braze-dau (start-up {start:.2f} s)", tap_seconds, tap_phases),
    ):
        ratio = bare_phases[2] / work
        lines.append(
            f"| {name} | {seconds:.2f} | {preparing:.2f} | {lag:.2f} | {work:.2f} | "
            f"{users / work:,.0f} | {ratio:.2f} |"
        )
    lines += [
        "",
        f"within the bare loop: the download alone {download_seconds:.2f} s; unzipping "
        f"every line alone (no JSON) {unzip_seconds:.2f} s",
        "",
        f"peak resident memory of the tap: {peak:.0f} MiB (goal: under 200 MiB)",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=200_000)
    print(report(parser.parse_args().users))
