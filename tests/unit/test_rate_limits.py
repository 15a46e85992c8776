"""The client's pure pieces: reading X-RateLimit-Reset, the shared pause, redaction."""

from __future__ import annotations

import threading
import time

from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.braze.rate_limits import RateLimitGate, parse_reset
from tap_braze_dau.redaction import redact

NOW = 1_800_000_000.0


def test_reset_is_epoch_seconds() -> None:
    assert parse_reset("1800000060", NOW) == 1_800_000_060
    assert parse_reset(" 1800000060 ", NOW) == 1_800_000_060


def test_a_small_reset_is_read_as_seconds_from_now() -> None:
    assert parse_reset("42", NOW) == NOW + 42


def test_unusable_resets_are_ignored() -> None:
    for value in (None, "", "soon", "nan", "-5", "1e999999", "inf"):
        result = parse_reset(value, NOW)
        assert result is None, value


@given(st.text(), st.text(min_size=8))
def test_redact_removes_every_occurrence(prefix: str, secret: str) -> None:
    text = f"{prefix}{secret} and again {secret}{prefix}"
    assert secret not in redact(text, secret)


def test_the_gate_holds_everyone_until_the_instant() -> None:
    gate = RateLimitGate()
    gate.hold_until(time.time() + 0.3)
    gate.hold_until(time.time() + 0.1)  # an earlier instant never shortens the pause
    released: list[float] = []

    def wait_then_record() -> None:
        gate.wait(threading.Event())
        released.append(time.time())

    threads = [threading.Thread(target=wait_then_record) for _ in range(3)]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(released) == 3
    assert min(released) - started >= 0.25


def test_the_gate_lets_go_when_the_run_stops() -> None:
    gate = RateLimitGate()
    gate.hold_until(time.time() + 60)
    stop = threading.Event()
    stop.set()
    started = time.time()
    gate.wait(stop)
    assert time.time() - started < 5
