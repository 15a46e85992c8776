"""Run the emulator on its own: `python -m tests.emulator --port 8765 --apps ios:2024-01-01`.

Prints its URL, writes it to `--url-file` if asked, and serves until interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import signal
import sys
import threading
from pathlib import Path

from tests.emulator.server import BrazeEmulator


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
    parser.add_argument("--workspace-tz", default="UTC")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--url-file", type=Path)
    args = parser.parse_args(argv)

    emulator = BrazeEmulator(
        api_key=args.api_key,
        apps=dict(args.app),
        workspace_tz=args.workspace_tz,
        latency=args.latency,
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
