"""Every answer ends in validated rows or in the tap's own error, whatever its status,
headers and bytes: the response-handling path (the transport's body decoding, answers.py,
rows.py) driven with arbitrary ones."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tap_braze_dau.braze.answers import Asked
from tap_braze_dau.braze.rate_limits import quota_of
from tap_braze_dau.braze.transport import MAX_BODY_BYTES, Answer, BodyDecoder, decode_body
from tap_braze_dau.errors import BrazeFatalError, RateLimitedError, TransientError
from tap_braze_dau.plan.rows import CheckedRows, rows_of
from tap_braze_dau.plan.windows import Window

SECRET = "sk-property-test-secret-0123456789"  # noqa: S105 - a fake, to catch leaks
ASKED = Asked(
    "mau",
    "kpi.mau.data_series",
    "https://rest.iad-01.braze.com",
    "/kpi/mau/data_series (ios)",
    SECRET,
)
WINDOW = Window(dt.date(2024, 1, 1), dt.date(2024, 1, 31))
NOW = 1_800_000_000.0
TAP_ERRORS = (TransientError, RateLimitedError, BrazeFatalError)


def handle(status: int, headers: dict[str, str], raw: bytes) -> CheckedRows:
    """The path an answer takes: Content-Encoding undone, then interpreted."""
    body = decode_body(headers.get("Content-Encoding"), raw)
    answer = Answer(status, headers, body)
    return rows_of(
        answer,
        ASKED,
        WINDOW,
        "series 'ios' of mau",
        now=NOW,
        fallback_wait=1.0,
        value_field="mau",
    )


def assert_well_formed(checked: CheckedRows) -> None:
    days = [day for day, _value in checked.rows]
    assert days == sorted(set(days))
    for day, value in checked.rows:
        assert day in WINDOW
        assert isinstance(value, int)
        assert not isinstance(value, bool)
        assert value >= 0


def json_values(max_leaves: int = 30) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.sampled_from(["2024-01-05", "2024-02-30", "success", "mau", "time"]),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(st.sampled_from(["time", "mau", "message", "data", "x"]), children),
        ),
        max_leaves=max_leaves,
    )


def braze_like_bodies() -> st.SearchStrategy[bytes]:
    """Bodies close to Braze's shape, so the deeper checks are reached too."""
    row = st.fixed_dictionaries(
        {"time": st.one_of(st.dates().map(dt.date.isoformat), json_values(3))},
        optional={"mau": st.one_of(st.integers(min_value=-5, max_value=10**6), json_values(3))},
    )
    body = st.fixed_dictionaries(
        {
            "message": st.sampled_from(["success", "success", "error", None]),
            "data": st.one_of(st.lists(row, max_size=40), json_values(5)),
        }
    )
    return body.map(lambda value: json.dumps(value).encode())


def encoded(raw: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(raw)
    if encoding == "deflate":
        return zlib.compress(raw)
    return raw


header_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["1e400", "nan", "inf", "-1", "1800000060", "0", "gzip", "br", "deflate"]),
)
headers_strategy = st.dictionaries(
    st.sampled_from(["X-RateLimit-Reset", "Content-Encoding", "Content-Type", "X-Other"]),
    header_values,
)
statuses = st.one_of(
    st.sampled_from([200, 200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 503]),
    st.integers(100, 599),
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values().map(lambda value: json.dumps(value, allow_nan=True).encode()),
    braze_like_bodies(),
    st.integers(min_value=1, max_value=5000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.sampled_from(
        [
            b'{"message": "success", "data": [{"time": "2024-01-02", "mau": 1e400}]}',
            b'{"message": "success", "data": [{"time": "2024-01-02", "mau": NaN}]}',
            b"\xff\xfe\x00garbage",
            b"",
            b"null",
            b'"success"',
        ]
    ),
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(statuses, headers_strategy, bodies, st.sampled_from(["", "gzip", "deflate"]))
@example(200, {}, b"[" * 100_000 + b"]" * 100_000, "")
@example(200, {"Content-Encoding": "gzip"}, b'{"message": "success", "data": []}', "")
@example(429, {"X-RateLimit-Reset": "1e400"}, b"{}", "")
def test_any_answer_ends_in_rows_or_in_the_taps_own_error(
    status: int, headers: dict[str, str], raw: bytes, compress: str
) -> None:
    if compress:
        headers = {**headers, "Content-Encoding": compress}
        raw = encoded(raw, compress)
    outcome: CheckedRows | BaseException
    try:
        outcome = handle(status, headers, raw)
    except TAP_ERRORS as exc:
        outcome = exc
    if isinstance(outcome, CheckedRows):
        assert 200 <= status < 300
        assert_well_formed(outcome)
        return
    assert SECRET not in str(outcome)
    if isinstance(outcome, RateLimitedError):
        assert math.isfinite(outcome.resume_at)
        assert NOW < outcome.resume_at <= NOW + 3901


@given(
    st.lists(
        st.tuples(st.dates(dt.date(2024, 1, 1), dt.date(2024, 1, 31)), st.integers(0, 10**9)),
        unique_by=lambda row: row[0],
    )
)
def test_a_good_answer_gives_its_rows_in_order(rows: list[tuple[dt.date, int]]) -> None:
    body = {"message": "success", "data": [{"time": d.isoformat(), "mau": v} for d, v in rows]}
    checked = handle(200, {}, json.dumps(body).encode())
    assert checked.rows == sorted(rows)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "x-gzip"])
def test_honest_compression_is_undone(encoding: str) -> None:
    raw = json.dumps({"message": "success", "data": [{"time": "2024-01-03", "mau": 7}]}).encode()
    packed = gzip.compress(raw) if "gzip" in encoding else zlib.compress(raw)
    checked = handle(200, {"Content-Encoding": encoding}, packed)
    assert checked.rows == [(dt.date(2024, 1, 3), 7)]


def test_raw_deflate_is_undone_too() -> None:
    raw = json.dumps({"message": "success", "data": [{"time": "2024-01-03", "mau": 7}]}).encode()
    packer = zlib.compressobj(wbits=-15)
    packed = packer.compress(raw) + packer.flush()
    assert handle(200, {"Content-Encoding": "deflate"}, packed).rows == [(dt.date(2024, 1, 3), 7)]


def test_a_lying_content_encoding_is_a_transient_error_naming_it() -> None:
    with pytest.raises(TransientError, match="Content-Encoding: 'gzip' but its body does not"):
        handle(200, {"Content-Encoding": "gzip"}, b'{"message": "success", "data": []}')


def test_an_unknown_content_encoding_is_named() -> None:
    with pytest.raises(TransientError, match="'br'"):
        handle(200, {"Content-Encoding": "br"}, b"anything")


def test_a_compressed_body_cut_short_is_transient() -> None:
    packed = gzip.compress(b'{"message": "success", "data": []}')
    with pytest.raises(TransientError, match="ends early"):
        handle(200, {"Content-Encoding": "gzip"}, packed[: len(packed) // 2])


def test_a_compression_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = gzip.compress(b" " * (MAX_BODY_BYTES + 10))
    assert len(bomb) < 100_000
    decoder = BodyDecoder("gzip")
    with pytest.raises(TransientError, match="larger than 10 MiB"):
        decoder.feed(bomb)


def test_a_plain_body_over_the_bound_is_refused() -> None:
    decoder = BodyDecoder(None, limit=100)
    decoder.feed(b"x" * 100)
    with pytest.raises(TransientError, match="refused while reading"):
        decoder.feed(b"x")


def test_deep_nesting_is_a_transient_error_not_a_recursion_error() -> None:
    with pytest.raises(TransientError, match="not JSON"):
        handle(200, {}, b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("number", ["NaN", "1e400", "-1e400", "2.0"])
def test_non_integer_numbers_in_rows_fail_naming_the_value(number: str) -> None:
    body = f'{{"message": "success", "data": [{{"time": "2024-01-02", "mau": {number}}}]}}'
    with pytest.raises(BrazeFatalError, match="invalid mau"):
        handle(200, {}, body.encode())


def test_a_body_that_is_not_utf8_is_transient() -> None:
    with pytest.raises(TransientError, match="not JSON"):
        handle(200, {}, b'{"message": "\xff\xfe"}')


def test_an_absurd_rate_limit_reset_still_pauses_a_bounded_while() -> None:
    for reset in ("1e400", "inf", "nan", "-3", "soon"):
        with pytest.raises(RateLimitedError) as raised:
            handle(429, {"X-RateLimit-Reset": reset}, b"{}")
        assert NOW < raised.value.resume_at <= NOW + 3901


def test_an_echoed_key_is_scrubbed_from_every_message() -> None:
    echo = json.dumps({"message": f"bad key {SECRET}", "data": [{"time": SECRET, "mau": 1}]})
    for status in (200, 400, 401, 403, 500):
        with pytest.raises(TAP_ERRORS) as raised:
            handle(status, {}, echo.encode())
        assert SECRET not in str(raised.value)


def test_a_403_names_the_streams_permission() -> None:
    with pytest.raises(BrazeFatalError) as raised:
        handle(403, {}, b'{"message": "no"}')
    assert "kpi.mau.data_series" in str(raised.value)
    assert "'mau'" in str(raised.value)


# -- the shapes real answers had (braze_emulator/shapes.py) ----------------------------------

REAL_ERROR_BODIES = [
    # usually only a message
    ({"message": "canvas_id must be a string of the Canvas api identifier"}, "canvas_id must"),
    # errors holding objects, not strings
    (
        {
            "message": "Invalid length",
            "errors": [
                {
                    "id": "invalid_length",
                    "message": "length must be between 1 and 100",
                    "parameters": ["length"],
                    "parameter_values": ["101"],
                }
            ],
        },
        "Invalid length",
    ),
    ({"message": "Bad", "errors": ["plain string"]}, "plain string"),
]


@pytest.mark.parametrize(("body", "says"), REAL_ERROR_BODIES)
def test_error_bodies_of_every_shape_are_quoted(body: dict[str, Any], says: str) -> None:
    with pytest.raises(BrazeFatalError, match="HTTP 400") as error:
        handle(400, {}, json.dumps(body).encode())
    assert says in str(error.value)
    assert "Traceback" not in str(error.value)


def test_a_401_echoing_the_key_with_empty_rate_limit_headers_never_shows_the_key() -> None:
    headers = {"X-Ratelimit-Limit": "", "X-Ratelimit-Remaining": "", "X-Ratelimit-Reset": ""}
    body = json.dumps({"message": f"Invalid API key: {SECRET}"}).encode()
    with pytest.raises(BrazeFatalError, match="HTTP 401") as error:
        handle(401, headers, body)
    assert SECRET not in str(error.value)
    assert "Invalid API key: <redacted>" in str(error.value)
    assert quota_of(headers, NOW) is None  # nothing to pace on, and no crash


def test_a_long_error_quoting_the_key_shows_no_piece_of_it() -> None:
    """`errors` objects are cut short when quoted: the key must go before the cut."""
    long_text = "x" * 40 + f" the key {SECRET} is not valid for this endpoint " + "y" * 40
    body = json.dumps({"message": long_text, "errors": [{"message": long_text}]}).encode()
    for status in (400, 401):
        with pytest.raises(BrazeFatalError) as error:
            handle(status, {}, body)
        quoted = str(error.value)
        assert all(SECRET[i : i + 8] not in quoted for i in range(len(SECRET) - 7)), quoted
        assert "<redacted>" in quoted


def test_a_429_with_empty_rate_limit_headers_waits_the_fallback() -> None:
    headers = {"x-ratelimit-reset": ""}
    with pytest.raises(RateLimitedError) as error:
        handle(429, headers, b'{"message": "Rate limit exceeded"}')
    assert error.value.resume_at == NOW + 1.0
