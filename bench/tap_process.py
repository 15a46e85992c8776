"""One timed run of the installed tap, as the scenario benchmarks make it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.helpers import catalog_selecting

ROOT = Path(__file__).resolve().parent.parent


def timed_sync(
    config: dict[str, Any],
    streams: list[str],
    workdir: Path,
    *,
    state: dict[str, Any] | None = None,
    keep_stdout: bool = False,
) -> tuple[float, str, str]:
    """Wall seconds, stdout (empty unless `keep_stdout`: a large backfill's messages are
    not worth holding) and the log of one sync of `streams`; exits if the tap fails."""
    (workdir / "config.json").write_text(json.dumps(config))
    (workdir / "catalog.json").write_text(json.dumps(catalog_selecting(streams)))
    command = [
        sys.executable,
        "-m",
        "tap_braze_dau",
        "--config",
        str(workdir / "config.json"),
        "--catalog",
        str(workdir / "catalog.json"),
    ]
    if state is not None:
        (workdir / "state.json").write_text(json.dumps(state))
        command += ["--state", str(workdir / "state.json")]
    stdout = subprocess.PIPE if keep_stdout else subprocess.DEVNULL
    started = time.perf_counter()
    result = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"the tap failed: {result.stderr.decode()[-2000:]}")
    return wall, (result.stdout or b"").decode(), result.stderr.decode()


def startup() -> float:
    """Wall seconds of `--about`: the tap's start-up, what a run spends before it reads."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tap_braze_dau", "--about"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started
