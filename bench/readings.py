"""`make bench`, `ending_at` read both ways: what the tap's requests cost under each.

Braze may read `ending_at` as the end of the day that holds it ("through") or as the
start of it ("before"); the tap asks for every window plus the day after the days to
sync, so that both readings answer every day (tap_braze_dau/plan/windows.py). For a KPI
backfill, a custom-events backfill and a campaigns-and-Canvases backfill, under each
reading: the requests made, the fewest that tile each series' days (what the tap made
before it asked for the day after), the most any one series made beyond that (at most
1), and whether every day arrived exactly once. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import messaging
from bench.tap_process import timed_sync
from braze_emulator import READINGS, BrazeEmulator
from braze_emulator.messaging import many_campaigns, many_canvases
from tap_braze_dau.streams import BY_NAME

API_KEY = "bench-key"
START, END = messaging.START, messaging.END  # 3 years
DAYS = (END - START).days + 1
APPS = {f"app-{n:02d}": dt.date(2020, 1, 1) for n in range(20)}
EVENTS = {f"event-{n:02d}": dt.date(2020, 1, 1) for n in range(10)}
CAMPAIGNS, CANVASES = 200, 30

Series = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class Scenario:
    """One backfill: the emulator (for a reading), what it syncs, and per series the
    fewest requests that tile its days and the records a correct sync writes."""

    name: str
    emulator: Callable[[str], BrazeEmulator]
    streams: tuple[str, ...]
    settings: dict[str, Any]
    fewest: Callable[[BrazeEmulator], dict[Series, int]]
    records: Callable[[BrazeEmulator], int]


def daily_fewest(
    streams: tuple[str, ...], dimension: dict[str, Any] | None
) -> Callable[[BrazeEmulator], dict[Series, int]]:
    values: list[str | None] = list(dimension) if dimension else [None]

    def fewest(_braze: BrazeEmulator) -> dict[Series, int]:
        windows = math.ceil(DAYS / 100)
        return {
            (stream, app, value): windows
            for stream in streams
            for app in [*APPS, "_workspace"]
            for value in values
        }

    return fewest


def kpis(reading: str) -> BrazeEmulator:
    return BrazeEmulator(api_key=API_KEY, apps=APPS, today=END, ending_at_reading=reading)


def events(reading: str) -> BrazeEmulator:
    return BrazeEmulator(
        api_key=API_KEY, apps=APPS, today=END, events=EVENTS, ending_at_reading=reading
    )


def messaged(reading: str) -> BrazeEmulator:
    return BrazeEmulator(
        api_key=API_KEY,
        today=END,
        campaigns=many_campaigns(CAMPAIGNS, START, END, seed=17),
        canvases=many_canvases(CANVASES, START, END, seed=17),
        ending_at_reading=reading,
    )


def messaging_fewest(braze: BrazeEmulator) -> dict[Series, int]:
    return {
        (stream, None, item_id): windows
        for (stream, item_id), windows in messaging.windows_per_item(braze, {}).items()
    }


def messaging_records(braze: BrazeEmulator) -> int:
    return sum(
        len(braze.expected_campaign_stats(item_id, START, END)) for item_id in braze.campaigns
    ) + sum(len(braze.expected_canvas_stats(item_id, START, END)) for item_id in braze.canvases)


SCENARIOS = (
    Scenario(
        "dau and mau, 20 apps + workspace, 3 years",
        kpis,
        ("dau", "mau"),
        {"app_ids": list(APPS)},
        daily_fewest(("dau", "mau"), None),
        lambda _braze: 2 * (len(APPS) + 1) * DAYS,
    ),
    Scenario(
        "10 custom events, 20 apps + workspace, 3 years",
        events,
        ("event_counts",),
        {"app_ids": list(APPS)},
        daily_fewest(("event_counts",), EVENTS),
        lambda _braze: len(EVENTS) * (len(APPS) + 1) * DAYS,
    ),
    Scenario(
        f"{CAMPAIGNS} campaigns and {CANVASES} Canvases, 3 years",
        messaged,
        ("campaign_stats", "canvas_stats"),
        {},
        messaging_fewest,
        messaging_records,
    ),
)


def written(stdout: str) -> Counter[tuple[str, ...]]:
    """How often each record key (stream and key columns) was written."""
    found: Counter[tuple[str, ...]] = Counter()
    for line in stdout.splitlines():
        if line.startswith('{"type":"RECORD"'):
            message = json.loads(line)
            columns = BY_NAME[message["stream"]].key_columns
            found[(message["stream"], *(message["record"][c] for c in columns))] += 1
    return found


def measure(scenario: Scenario, reading: str, workdir: Path) -> list[str]:
    with scenario.emulator(reading) as braze:
        config = {
            "api_key": API_KEY,
            "api_url": braze.url,
            "start_date": START.isoformat(),
            "end_date": END.isoformat(),
            **scenario.settings,
        }
        _wall, stdout, _log = timed_sync(config, list(scenario.streams), workdir, keep_stdout=True)
        made = Counter(
            (r.stream or "", r.app_id, r.dimension)
            for r in braze.data_requests()
            if r.stream in scenario.streams
        )
        fewest = scenario.fewest(braze)
        records = written(stdout)
        once = max(records.values()) == 1 and sum(records.values()) == scenario.records(braze)
    extra = max(made[series] - fewest.get(series, 0) for series in made)
    return [
        scenario.name,
        reading,
        str(len(made)),
        str(sum(made.values())),
        str(sum(fewest.values())),
        str(extra),
        "yes" if once else "NO",
    ]


def report() -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in SCENARIOS:
            for reading in READINGS:
                rows.append(measure(scenario, reading, Path(tmp)))
    header = [
        "backfill",
        "ending_at read",
        "series",
        "requests",
        "fewest that tile the days",
        "most extra for one series",
        "every day once",
    ]
    lines = [
        "## ending_at read both ways\n",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__).parse_args()
    print(report())
