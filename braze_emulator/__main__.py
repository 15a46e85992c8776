"""Run the emulator on its own: `python -m braze_emulator --port 8765 --app ios:2024-01-01`.

Prints its URL, writes it to `--url-file` if asked, and serves until interrupted. While it
runs, `GET /_emulator/requests` lists the requests it saw, `POST /_emulator/faults` with a
`Fault` as JSON (`{"kind": "status", "status": 503, "count": 2}`) scripts a fault,
`POST /_emulator/revise` (`{"stream": "dau", "app_id": "ios", "day": "2024-12-31",
"value": 42}`) revises a day, and `POST /_emulator/clear` forgets faults and requests.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import signal
import sys
import threading
from pathlib import Path

from braze_emulator.server import ALL_PERMISSIONS, BrazeEmulator


def _app(text: str) -> tuple[str, dt.date]:
    app_id, _, first_day = text.partition(":")
    return app_id, dt.date.fromisoformat(first_day)


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
    parser.add_argument("--url-file", type=Path)
    args = parser.parse_args(argv)

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
    ).start()
    if args.url_file:
        args.url_file.write_text(emulator.url + "\n")
    print(f"Braze emulator listening on {emulator.url}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    emulator.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
