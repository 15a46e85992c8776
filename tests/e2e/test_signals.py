"""A sync stopped by SIGTERM or SIGINT (an orchestrator's timeout, Ctrl-C) is not a success."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from braze_emulator import BrazeEmulator
from tests.helpers import API_KEY, ROOT, TAP, base_config, bookmark, parse_messages


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_exits_non_zero_with_a_state_that_claims_only_emitted_days(
    tmp_path: Path, signum: int
) -> None:
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2020, 1, 1)},
        today=dt.date(2024, 12, 31),
        latency=0.05,
    ) as braze:
        config = base_config(
            braze,
            app_ids=["ios"],
            include_workspace_total=False,
            start_date="2022-01-01",
            end_date="2024-12-31",
            window_days=10,
            max_parallel_requests=1,
        )
        config_path = tmp_path / "config.json"
        config_path.write_text(json.dumps(config))
        process = subprocess.Popen(
            [*TAP, "--config", str(config_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while len(braze.dau_requests()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    assert b"Stopped by signal" in err
    lines = out.decode().splitlines()
    messages = parse_messages("\n".join(line for line in lines if line.endswith("}")))
    emitted = {m["record"]["time"] for m in messages if m["type"] == "RECORD"}
    assert emitted, "the signal came before any window: the test proved nothing"
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    assert states
    for state in states:
        claimed = bookmark(state, "ios")
        assert claimed is None or claimed in emitted
    # The last STATE claims the last day emitted, or the day before it: the signal may
    # come between the SDK writing a record and advancing the bookmark to it (then the
    # next run reads that day again; it is never lost).
    days = sorted(emitted)
    assert bookmark(states[-1], "ios") in days[-2:]
