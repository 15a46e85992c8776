"""Run the emulator on its own: `python -m braze_emulator --port 8765 --app ios:2024-01-01`.

Prints its URL, writes it to `--url-file` if asked, and serves until interrupted. While it
runs, `GET /_emulator/requests` lists the requests it saw, `POST /_emulator/faults` with a
`Fault` as JSON (`{"kind": "status", "status": 503, "count": 2}`) scripts a fault,
`POST /_emulator/revise` (`{"stream": "dau", "app_id": "ios", "day": "2024-12-31",
"value": 42}`, and `"dimension"` for an event, product or segment) revises a day,
`POST /_emulator/delete` and `POST /_emulator/stale` (`{"value": "signup"}`) delete an event,
product, segment, campaign or Canvas (gone from its list too) or make it stale (still
listed), and `POST /_emulator/clear` forgets faults and requests.

Dimensions: `--event signup:2024-01-01`, `--product sku-1:2024-02-01`,
`--segment seg-1:Power users:2024-03-01` (repeat each for more), `--untracked-segment seg-1`.
Campaigns and Canvases: `--campaign c-1:Welcome:2024-03-01:2024-03-05` (sent from 14:00 UTC
on the first day to 14:00 UTC on the last; `c-2:Draft::` never sent), `--canvas
cv-1:Onboarding:2024-03-01:2024-06-30`, `--archived c-1`, and for a benchmark
`--many-campaigns 750 --many-canvases 50` (spread over the year ending today, `--seed`).
User data: `--many-users seg-all:5000` (an exportable segment and its users; repeat for
more), `--suppressions 1000` (as many hard bounces and unsubscribes over the year before
today), `--export-delay 2`, `--export-bucket ./bucket` (files there, `"url": null`).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import signal
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from braze_emulator.clock import HOURLY_TIME_FORMATS, READINGS
from braze_emulator.dimensions import DEFAULT_PAGE_SIZES, Segment
from braze_emulator.exports import many_suppressions, many_users
from braze_emulator.messaging import Campaign, Canvas, many_campaigns, many_canvases
from braze_emulator.pools import DEFAULT_POOLS
from braze_emulator.server import ALL_PERMISSIONS, BrazeEmulator
from braze_emulator.shapes import ANSWER_SHAPES


def _app(text: str) -> tuple[str, dt.date]:
    app_id, _, first_day = text.partition(":")
    return app_id, dt.date.fromisoformat(first_day)


def _named_day(text: str) -> tuple[str, dt.date]:
    """NAME:FIRST_DAY, the name possibly holding colons itself."""
    name, _, first_day = text.rpartition(":")
    if not name:
        msg = f"expected NAME:FIRST_DAY, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return name, dt.date.fromisoformat(first_day)


def _segment(text: str) -> tuple[str, str, dt.date]:
    """ID:NAME:FIRST_DAY, the name possibly holding colons itself."""
    segment_id, _, rest = text.partition(":")
    name, _, first_day = rest.rpartition(":")
    if not segment_id or not name:
        msg = f"expected ID:NAME:FIRST_DAY, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return segment_id, name, dt.date.fromisoformat(first_day)


def _messaged(text: str) -> tuple[str, str, dt.datetime | None, dt.datetime | None]:
    """ID:NAME:FIRST_DAY:LAST_DAY, the name possibly holding colons, the days possibly empty
    (never sent); each day's instant is 14:00 UTC."""
    item_id, _, rest = text.partition(":")
    rest, _, last = rest.rpartition(":")
    name, _, first = rest.rpartition(":")
    if not item_id or not name:
        msg = f"expected ID:NAME:FIRST_DAY:LAST_DAY, got {text!r}"
        raise argparse.ArgumentTypeError(msg)

    def instant(day: str) -> dt.datetime | None:
        if not day:
            return None
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(14), dt.timezone.utc)

    return item_id, name, instant(first), instant(last)


def _count(text: str) -> tuple[str, int]:
    """NAME:N."""
    name, _, number = text.rpartition(":")
    return name, int(number)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default="emulator-key")
    parser.add_argument(
        "--app",
        action="append",
        type=_app,
        default=[],
        metavar="APP_ID:FIRST_DAY",
        help="an app and the first day of its history; repeat for more apps",
    )
    parser.add_argument("--workspace-tz", default="UTC", help="the workspace's reporting zone")
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        help="a fixed 'today' in the workspace zone (default: the clock)",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument(
        "--latency-jitter",
        type=float,
        default=0.0,
        help="random extra seconds per request, up to this",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=250_000, help="requests per rate-limit period, then 429"
    )
    parser.add_argument("--rate-period", type=int, default=3600, help="seconds")
    parser.add_argument(
        "--lowercase-headers",
        action="store_true",
        help="x-ratelimit-* header names, as over HTTP/2",
    )
    parser.add_argument(
        "--permission",
        action="append",
        choices=sorted(ALL_PERMISSIONS),
        help="a permission the key holds (repeat for more); default: every endpoint's",
    )
    parser.add_argument(
        "--no-permission",
        action="store_true",
        help="the key holds no permission: every request gets 403",
    )
    parser.add_argument(
        "--pre-history",
        choices=["missing", "zeros"],
        default="missing",
        help="what days before a series' first day look like",
    )
    parser.add_argument(
        "--event",
        action="append",
        type=_named_day,
        default=[],
        metavar="NAME:FIRST_DAY",
        help="a custom event and its first day of data; repeat for more",
    )
    parser.add_argument(
        "--product",
        action="append",
        type=_named_day,
        default=[],
        metavar="ID:FIRST_DAY",
        help="a product and its first day of data; repeat for more",
    )
    parser.add_argument(
        "--segment",
        action="append",
        type=_segment,
        default=[],
        metavar="ID:NAME:FIRST_DAY",
        help="a segment (analytics tracking on) and its first day; repeat for more",
    )
    parser.add_argument(
        "--untracked-segment",
        action="append",
        default=[],
        metavar="ID",
        help="a --segment whose analytics tracking is off (its series is refused)",
    )
    parser.add_argument(
        "--deleted",
        action="append",
        default=[],
        metavar="VALUE",
        help="an event, product, segment, campaign or Canvas still listed whose series "
        "(and details) are refused",
    )
    parser.add_argument(
        "--page-size",
        action="append",
        type=_count,
        default=[],
        metavar="KIND:N",
        help=f"items a page of a list ({', '.join(DEFAULT_PAGE_SIZES)})",
    )
    others = sorted(set(DEFAULT_POOLS) - {"default"})
    parser.add_argument(
        "--pool-limit",
        action="append",
        type=_count,
        default=[],
        metavar="POOL:N",
        help=f"requests per period of a pool ({', '.join(others)}); default pool: --rate-limit",
    )
    parser.add_argument(
        "--pool-period",
        action="append",
        type=_count,
        default=[],
        metavar="POOL:SECONDS",
        help="a pool's period; default pool: --rate-period",
    )
    parser.add_argument(
        "--hourly-time-format",
        choices=HOURLY_TIME_FORMATS,
        default="offset",
        help="how unit=hour points write `time`: in the workspace zone with its offset, "
        "in UTC with Z, or in the workspace zone without an offset",
    )
    parser.add_argument(
        "--ending-at-reading",
        choices=READINGS,
        default="through",
        help="how `ending_at` is read: the series ends with the day (hour) holding it "
        "(through), or with the one before (before)",
    )
    parser.add_argument(
        "--refuse-future-ending-at",
        action="store_true",
        help="answer 400 to an ending_at in a day (hour) that has not begun",
    )
    parser.add_argument(
        "--answer-shapes",
        choices=ANSWER_SHAPES,
        default="documented",
        help="answers as Braze documents them, or as real answers were where they differ",
    )
    parser.add_argument(
        "--campaign",
        action="append",
        type=_messaged,
        default=[],
        metavar="ID:NAME:FIRST_SENT:LAST_SENT",
        help="a campaign (email), sent from the first day to the last (empty: never sent)",
    )
    parser.add_argument(
        "--canvas",
        action="append",
        type=_messaged,
        default=[],
        metavar="ID:NAME:FIRST_ENTRY:LAST_ENTRY",
        help="a Canvas, entered from the first day to the last (empty: never entered)",
    )
    parser.add_argument(
        "--archived",
        action="append",
        default=[],
        metavar="ID",
        help="a --campaign or --canvas that is archived",
    )
    parser.add_argument(
        "--many-campaigns",
        type=int,
        default=0,
        metavar="COUNT",
        help="COUNT more campaigns spread over the year ending today (about COUNT * 24 / 365 "
        "with stats on a day)",
    )
    parser.add_argument("--many-canvases", type=int, default=0, metavar="COUNT")
    parser.add_argument(
        "--seed", type=int, default=0, help="of --many-campaigns/--many-canvases/--many-users"
    )
    parser.add_argument(
        "--many-users",
        action="append",
        type=_count,
        default=[],
        metavar="SEGMENT_ID:COUNT",
        help="an exportable segment of COUNT generated users; repeat for more",
    )
    parser.add_argument(
        "--suppressions",
        type=int,
        default=0,
        metavar="COUNT",
        help="COUNT hard bounces and COUNT unsubscribes over the year before today (UTC)",
    )
    parser.add_argument(
        "--suppression-end-inclusive",
        action="store_true",
        help="the suppression lists' end_date counts its whole day",
    )
    parser.add_argument(
        "--export-delay", type=float, default=0.5, help="seconds until an export is ready"
    )
    parser.add_argument(
        "--export-expires-after",
        type=float,
        default=3600.0,
        help="seconds a ready export's URL answers",
    )
    parser.add_argument(
        "--users-per-file", type=int, default=5000, help="users per exported NDJSON file"
    )
    parser.add_argument(
        "--export-bucket",
        type=Path,
        metavar="PATH",
        help="write exports into this folder (a bucket) and answer url null",
    )
    parser.add_argument("--url-file", type=Path)
    args = parser.parse_args(argv)
    archived = set(args.archived)
    try:
        campaigns = {
            item_id: Campaign(name, first_sent=first, last_sent=last, archived=item_id in archived)
            for item_id, name, first, last in args.campaign
        }
        canvases = {
            item_id: Canvas(name, first_entry=first, last_entry=last, archived=item_id in archived)
            for item_id, name, first, last in args.canvas
        }
    except ValueError as error:  # e.g. a last day before the first
        parser.error(str(error))
    if archived - set(campaigns) - set(canvases):
        names = sorted(archived - set(campaigns) - set(canvases))
        parser.error(f"--archived names no --campaign or --canvas: {names}")
    if args.many_campaigns or args.many_canvases:
        zone = ZoneInfo(args.workspace_tz)
        last_day = args.today or dt.datetime.now(zone).date()
        first_day = last_day - dt.timedelta(days=364)
        campaigns.update(many_campaigns(args.many_campaigns, first_day, last_day, seed=args.seed))
        canvases.update(many_canvases(args.many_canvases, first_day, last_day, seed=args.seed))
    users = {
        segment_id: many_users(count, seed=args.seed, segment_id=segment_id)
        for segment_id, count in args.many_users
    }
    hard_bounces, unsubscribes = [], []
    if args.suppressions:
        today = args.today or dt.datetime.now(dt.timezone.utc).date()
        end = dt.datetime.combine(today, dt.time(), dt.timezone.utc) - dt.timedelta(seconds=1)
        start = end - dt.timedelta(days=365) + dt.timedelta(seconds=1)
        hard_bounces = many_suppressions(args.suppressions, start, end, seed=args.seed)
        unsubscribes = many_suppressions(args.suppressions, start, end, seed=args.seed, salt=1)
    untracked = set(args.untracked_segment)
    segments = {
        segment_id: Segment(name, first_day, analytics_tracking_enabled=segment_id not in untracked)
        for segment_id, name, first_day in args.segment
    }
    if untracked - set(segments):
        parser.error(f"--untracked-segment names no --segment: {sorted(untracked - set(segments))}")

    try:
        emulator = BrazeEmulator(
            api_key=args.api_key,
            apps=dict(args.app),
            workspace_tz=args.workspace_tz,
            today=args.today,
            latency=args.latency,
            latency_jitter=args.latency_jitter,
            rate_limit=args.rate_limit,
            rate_period=args.rate_period,
            lowercase_headers=args.lowercase_headers,
            has_permission=not args.no_permission,
            permissions=args.permission,
            pre_history=args.pre_history,
            port=args.port,
            events=dict(args.event),
            products=dict(args.product),
            segments=segments,
            deleted=args.deleted,
            page_sizes=dict(args.page_size) or None,
            pool_limits=dict(args.pool_limit) or None,
            pool_periods=dict(args.pool_period) or None,
            hourly_time_format=args.hourly_time_format,
            campaigns=campaigns,
            canvases=canvases,
            ending_at_reading=args.ending_at_reading,
            refuse_future_ending_at=args.refuse_future_ending_at,
            answer_shapes=args.answer_shapes,
            users=users,
            hard_bounces=hard_bounces,
            unsubscribes=unsubscribes,
            export_delay=args.export_delay,
            export_bucket=args.export_bucket,
            export_expires_after=args.export_expires_after,
            users_per_file=args.users_per_file,
            suppression_end_inclusive=args.suppression_end_inclusive,
        ).start()
    except ValueError as error:  # e.g. a --deleted value that is nothing
        parser.error(str(error))
    if args.url_file:
        args.url_file.write_text(emulator.url + "\n")
    print(f"Braze emulator listening on {emulator.url}", flush=True)
    print(f"Export downloads served on {emulator.download_url}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    emulator.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
