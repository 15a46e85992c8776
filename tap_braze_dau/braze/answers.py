"""What an answer from Braze (or from anything in between) means: pure, no I/O.

Every answer ends in one of:
- the `data` list of a `{"message": "success", "data": [...]}` body (then
  `plan.rows.check_rows` turns it into validated rows);
- `RateLimitedError` (429), carrying when to try again;
- `TransientError` (5xx, bodies that are not JSON or not of Braze's shape), retried
  with backoff (`transport` already refused bodies that do not decompress or are too
  large, as the same error);
- a `BrazeFatalError` (401, 403, other 4xx, and any redirect: only `api_url` is ever
  asked, so a 3xx is never followed) whose message says what to fix.

Nothing else escapes, whatever the status, headers or bytes: the property-based test in
tests/unit/test_answers.py drives them with arbitrary ones. No message quotes the API key
(`Asked.secret` is scrubbed from everything an answer contributes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from tap_braze_dau.braze.rate_limits import rate_limited
from tap_braze_dau.braze.transport import Answer
from tap_braze_dau.errors import (
    BrazeAuthError,
    BrazeFatalError,
    BrazePermissionError,
    BrazeRequestError,
    TransientError,
)
from tap_braze_dau.redaction import redact, redact_within, shown


@dataclass(frozen=True)
class Asked:
    """What was asked, for messages: which stream's endpoint, of which instance, for what."""

    stream: str
    permission: str
    api_url: str
    description: str
    secret: str = field(repr=False)  # the API key: a repr must never show it


# -- bodies -------------------------------------------------------------------------------


def _json(body: bytes) -> object:
    """The decoded JSON value; `ValueError` for anything that is not JSON."""
    try:
        return json.loads(body)
    except RecursionError:
        msg = "JSON nested too deeply"
        raise ValueError(msg) from None


def _snippet(body: bytes, secret: str) -> str:
    return shown(redact(body[:4096].decode("utf-8", "replace"), secret)[:120])


def braze_message(answer: Answer, secret: str) -> str:
    """Braze's own explanation of an error, or the start of the body."""
    try:
        body = _json(answer.body)
    except ValueError:
        body = None
    # Taken out before anything is cut short: a cut would leave a piece of the key.
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = redact(body["message"], secret)[:300]
        errors = body.get("errors")
        text = f"{message} {shown(redact_within(errors, secret))}" if errors else message
        return redact(text, secret)
    text = redact(answer.body[:4096].decode("utf-8", "replace"), secret)[:200].strip()
    return redact(text, secret) if text else (answer.reason or "(empty body)")


def data_of(
    answer: Answer,
    asked: Asked,
    *,
    now: float,
    fallback_wait: float,
    field: str | None = "data",
    message_optional: bool = False,
) -> list[object]:
    """The `data` list (or the list at `field`: `events` for /events/list, `data.stats`
    for a Canvas' series, ...) of a successful answer, or the error the answer amounts
    to. With `field` None the answer is one object (details): a list of just that one.
    With `message_optional`, an answer without `message` is read too (the lists of
    Content Blocks and templates document none); one with another message is not."""
    status = answer.status
    if status == 429:
        raise rate_limited(answer.headers, now, fallback_wait)
    if status >= 500:
        raise TransientError(f"HTTP {status}: {braze_message(answer, asked.secret)}")
    if status >= 400:
        raise fatal_error(answer, asked)
    if 300 <= status < 400:
        raise redirected(answer, asked)
    if not 200 <= status < 300:
        raise TransientError(f"unexpected HTTP {status}")
    try:
        body = _json(answer.body)
    except ValueError:
        snippet = _snippet(answer.body, asked.secret)
        raise TransientError(f"HTTP {status} with a body that is not JSON: {snippet}") from None
    if not isinstance(body, dict):
        raise TransientError(f"HTTP {status} with a JSON body that is not an object")
    if body.get("message") != "success" and not (message_optional and "message" not in body):
        message = redact(shown(redact_within(body.get("message"), asked.secret)), asked.secret)
        raise TransientError(f"HTTP {status} but message {message} instead of 'success'")
    if field is None:
        return [body]
    data: object = body
    for part in field.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    if not isinstance(data, list):
        raise TransientError(f"HTTP {status} without a {field!r} list (got {type(data).__name__})")
    return data


def fatal_error(answer: Answer, asked: Asked) -> BrazeFatalError:
    """The error for a 4xx answer, saying what to fix."""
    status = answer.status
    braze_says = braze_message(answer, asked.secret)
    if status == 401:
        return BrazeAuthError(
            f"Braze rejected the API key (HTTP 401: {braze_says}). Check api_key: the key "
            f"must be a REST API key of the Braze instance in api_url ({asked.api_url}); "
            "keys do not work across instances."
        )
    if status == 403:
        return BrazePermissionError(
            f"Braze refused {asked.description} (HTTP 403: {braze_says}). Stream "
            f"'{asked.stream}' needs an API key with the permission {asked.permission} "
            "(Braze dashboard > Settings > APIs and Identifiers) on a plan that includes it. "
            f"Or stop syncing '{asked.stream}': deselect it in the catalog (with "
            f"Meltano: meltano select tap-braze-dau --rm {asked.stream} '*')."
        )
    return BrazeRequestError(
        f"Braze answered HTTP {status} to {asked.description}: {braze_says}",
        status=status,
        braze_says=braze_says,
    )


def redirected(answer: Answer, asked: Asked) -> BrazeRequestError:
    """A 3xx: Braze's endpoints never redirect, so something between the tap and Braze
    (a proxy, a captive portal) or a mistyped api_url does. The request is not sent on:
    it and its parameters would go to a host nobody configured."""
    location = answer.headers.get("Location")
    if location:
        target = urlsplit(urljoin(asked.api_url + "/", location.strip()))
        where = f"{target.scheme}://{target.hostname or ''}" if target.scheme else "(no host)"
        where = shown(redact(where, asked.secret))
    else:
        where = "nowhere (no Location header)"
    return BrazeRequestError(
        f"{asked.description} was answered HTTP {answer.status}, a redirect to {where}. "
        f"The tap asks only api_url ({asked.api_url}) and never follows a redirect: "
        "Braze does not redirect, so check api_url and any proxy in between."
    )
