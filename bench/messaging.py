"""`make bench`, campaigns and Canvases: a backfill of 750 campaigns and 100 Canvases over
3 years, and the nightly run after it, at a fixed latency per request.

For each: requests made against the minimum (the list pages, one details request per
campaign and Canvas, and the fewest windows that tile each active range cut to the days
to sync) and against the request-everything approach other connectors take (every
100-day window of every campaign, every 14-day window of every Canvas, from start_date);
wall time against the critical path: the list pages one after another, then the details
and then the windows `max_parallel_requests` at a time. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import tempfile
from pathlib import Path
from typing import Any

from bench.tap_process import timed_sync
from braze_emulator import BrazeEmulator
from braze_emulator.messaging import Campaign, many_campaigns, many_canvases

API_KEY = "bench-key"
START = dt.date(2023, 1, 1)
END = dt.date(2025, 12, 31)  # 3 years
PARALLEL = 4
ONE_DAY = dt.timedelta(days=1)
CAMPAIGNS, CANVASES = 750, 100
STREAMS = ["campaigns", "campaign_details", "campaign_stats", "canvases", "canvas_details"]
STATS = ["campaign_stats", "canvas_stats"]
#: (stream, largest window in days) of the stats.
WINDOWS = {"campaign_stats": 100, "canvas_stats": 14}
KINDS = {"campaign_stats": "campaigns", "canvas_stats": "canvases"}


def sync(
    braze: BrazeEmulator, workdir: Path, state: dict[str, Any] | None
) -> tuple[float, dict[str, Any] | None]:
    """Wall seconds and the last STATE of one sync of every messaging stream."""
    config = {
        "api_key": API_KEY,
        "api_url": braze.url,
        "start_date": START.isoformat(),
        "end_date": braze.today().isoformat(),  # the emulator's today, not the machine's
        "max_parallel_requests": PARALLEL,
    }
    wall, stdout, _log = timed_sync(
        config, [*STREAMS, *STATS], workdir, state=state, keep_stdout=True
    )
    states = [
        json.loads(line)["value"]
        for line in stdout.splitlines()
        if line.startswith('{"type":"STATE"')
    ]
    return wall, (states[-1] if states else None)


def windows_per_item(braze: BrazeEmulator, since: dict[str, dt.date]) -> dict[tuple[str, str], int]:
    """The fewest windows per (stats stream, id): each one's active range as the issue
    defines it (first send's UTC day less one to the last's plus 30 days plus one) from
    `since` (the day of the run that last read all of it, less the look-back; start_date
    if none did) to today, tiled by windows of the stream's largest size."""
    found = {}
    for stream, size in WINDOWS.items():
        for item_id, item in braze.messaging.of(KINDS[stream]).items():
            first, last = (
                (item.first_sent, item.last_sent)
                if isinstance(item, Campaign)
                else (item.first_entry, item.last_entry)
            )
            if first is None or last is None:
                continue
            start = max(first.date() - ONE_DAY, since.get(item_id, START))
            end = min(last.date() + dt.timedelta(days=31), braze.today())
            if start <= end:
                found[(stream, item_id)] = math.ceil(((end - start).days + 1) / size)
    return found


def tiling(braze: BrazeEmulator, since: dict[str, dt.date]) -> dict[str, int]:
    """The fewest windows per stats stream (`windows_per_item`, added up)."""
    found = dict.fromkeys(WINDOWS, 0)
    for (stream, _item_id), windows in windows_per_item(braze, since).items():
        found[stream] += windows
    return found


def row(
    name: str, braze: BrazeEmulator, wall: float, latency: float, windows: dict[str, int]
) -> str:
    made = len(braze.data_requests())
    pages = len(braze.data_requests("campaigns")) + len(braze.data_requests("canvases"))
    details = len(braze.data_requests("campaign_details")) + len(
        braze.data_requests("canvas_details")
    )
    minimum = pages + CAMPAIGNS + CANVASES + sum(windows.values())
    days = (braze.today() - START).days + 1
    everything = (
        pages
        + CAMPAIGNS
        + CANVASES
        + CAMPAIGNS * math.ceil(days / 100)
        + CANVASES * math.ceil(days / 14)
    )
    stats = made - pages - details
    critical = (pages + math.ceil(details / PARALLEL) + math.ceil(stats / PARALLEL)) * latency
    return (
        f"| {name} | {made} / {minimum} | {everything} ({everything / made:.1f}x) | "
        f"{wall:.1f} | {critical:.1f} | {wall / critical:.2f} |"
    )


def report(latency: float) -> str:
    campaigns = many_campaigns(CAMPAIGNS, START, END, seed=17)
    canvases = many_canvases(CANVASES, START, END, seed=17)
    lines = [
        "## Campaigns and Canvases\n",
        f"{CAMPAIGNS} campaigns and {CANVASES} Canvases over 3 years ({START}..{END}), "
        f"{latency * 1000:.0f} ms a request, max_parallel_requests {PARALLEL}.\n",
        "| run | requests / minimum | request everything | wall s | critical path s | "
        "wall / critical |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        common: dict[str, Any] = {
            "api_key": API_KEY,
            "campaigns": campaigns,
            "canvases": canvases,
            "latency": latency,
        }
        with BrazeEmulator(today=END, **common) as braze:
            wall, state = sync(braze, workdir, None)
            lines.append(row("backfill", braze, wall, latency, tiling(braze, {})))
        nightly = END + dt.timedelta(days=1)
        with BrazeEmulator(today=nightly, **common) as braze:
            wall, _state = sync(braze, workdir, state)
            since = {
                partition["context"][column]: dt.date.fromisoformat(partition["complete_as_of"])
                - dt.timedelta(days=30)
                for stream, column in (
                    ("campaign_stats", "campaign_id"),
                    ("canvas_stats", "canvas_id"),
                )
                for partition in (state or {})
                .get("bookmarks", {})
                .get(stream, {})
                .get("partitions", [])
                if partition.get("complete_as_of")
            }
            lines.append(
                row("the nightly run after it", braze, wall, latency, tiling(braze, since))
            )
    lines.append(
        "\nminimum: the list pages, one details request each, and the fewest windows "
        "tiling each one's days with stats (a nightly run: from the day the backfill "
        "read it, less stats_lookback_days); request everything: the pages, the details, and every "
        "window of every campaign (100 days) and Canvas (14 days) from start_date; "
        "critical path: the pages one after another, then the details and the windows "
        f"{PARALLEL} at a time."
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    print(report(parser.parse_args().latency))
