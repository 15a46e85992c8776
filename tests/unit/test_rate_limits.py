"""The client's pure pieces: reading X-RateLimit-Reset, the shared pause, redaction."""

from __future__ import annotations

import threading
import time

from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.braze.rate_limits import (
    Quota,
    RateLimitGate,
    RateLimitPools,
    parse_reset,
    quota_of,
)
from tap_braze_dau.redaction import MIN_FRAGMENT_LENGTH, redact, redact_within, shown

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


KEY_CHARACTERS = st.sampled_from("0123456789abcdef-")


@given(
    st.text(KEY_CHARACTERS, min_size=36, max_size=36),
    st.text(max_size=80),
    st.text(max_size=80),
)
def test_no_piece_of_the_key_survives_a_message_cut_short(
    key: str, before: str, after: str
) -> None:
    """`shown` cuts a long text in its middle; a key across the cut must not leave half."""
    quoted = redact(shown({"errors": [{"message": f"{before}{key}{after}"}]}), key)
    pieces = {key[i : i + MIN_FRAGMENT_LENGTH] for i in range(len(key) - MIN_FRAGMENT_LENGTH + 1)}
    assert not any(piece in quoted for piece in pieces)
    deep = redact_within({"errors": [{f"{key}": f"{before}{key}{after}"}]}, key)
    assert key not in repr(deep)


def test_a_message_sharing_no_piece_with_the_key_is_left_alone() -> None:
    key = "0123abcd-4567-89ef-0123-456789abcdef"
    text = "Invalid API key: <the key>; see 0123abc and 4567-89 (seven characters at most)"
    assert redact(text, key) == text
    assert redact(f"x{key[:20]}...{key[25:]}y", key) == "x<redacted>...<redacted>y"


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


# -- pacing: the reserve left to the workspace's other API clients ---------------------------


def test_quota_is_read_from_the_headers_or_not_at_all() -> None:
    headers = {
        "X-RateLimit-Limit": "1000",
        "X-RateLimit-Remaining": "99",
        "X-RateLimit-Reset": "1800000600",
    }
    assert quota_of(headers, NOW) == Quota(1000, 99, 1_800_000_600)
    assert quota_of({"X-RateLimit-Limit": "1000"}, NOW) is None
    assert quota_of({"X-RateLimit-Limit": "x", "X-RateLimit-Remaining": "5"}, NOW) is None


@given(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.floats(0, 0.99),
)
def test_a_pool_is_at_the_reserve_exactly_when_remaining_is_down_to_its_share(
    limit: int, remaining: int, reserve: float
) -> None:
    assert Quota(limit, remaining, None).at_reserve(reserve) == (remaining <= reserve * limit)


def test_the_gate_holds_at_the_reserve_until_the_reset_and_says_so_once() -> None:
    clock = [NOW]
    gate = RateLimitGate(clock=lambda: clock[0])
    assert gate.pace(Quota(1000, 101, NOW + 600), 0.1) is None
    assert gate.seconds_remaining() == 0
    until = gate.pace(Quota(1000, 100, NOW + 600), 0.1)
    assert until is not None
    assert until >= NOW + 600
    assert gate.seconds_remaining() >= 600
    assert gate.pace(Quota(1000, 99, NOW + 600), 0.1) is None  # the same hold: said once
    clock[0] = NOW + 601
    assert gate.seconds_remaining() == 0
    # an answer from before the reset, read after it, holds nothing
    assert gate.pace(Quota(1000, 98, NOW + 600), 0.1) is None
    assert gate.seconds_remaining() == 0
    # the next period at the reserve is a new hold, said again
    assert gate.pace(Quota(1000, 50, NOW + 4200), 0.1) is not None


def test_pools_are_paced_apart_and_count_what_was_sent() -> None:
    pools = RateLimitPools(clock=lambda: NOW)
    pools.gate("purchases").pace(Quota(1000, 0, NOW + 60), 0.1)
    assert pools.gate("purchases").seconds_remaining() > 59
    assert pools.gate("default").seconds_remaining() == 0
    pools.count_sent("default")
    pools.count_sent("default")
    assert pools.sent() == {"default": 2}
