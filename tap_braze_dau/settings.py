"""The tap's settings: defaults, validation with messages that name the setting, parsing.

`validate_settings` is pure and returns every problem at once, so a user fixes a config in
one pass; the tap calls it before any request is made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tap_braze_dau.windows import MAX_WINDOW_DAYS

DEFAULT_API_URL = "https://rest.iad-01.braze.com"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_LOOKBACK_DAYS = 3
DEFAULT_WINDOW_DAYS = MAX_WINDOW_DAYS
DEFAULT_MAX_HISTORY_DAYS = 3650
DEFAULT_REQUEST_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 5
DEFAULT_RETRY_WAIT_SECONDS = 1.0
DEFAULT_MAX_PARALLEL_REQUESTS = 4
MAX_PARALLEL_REQUESTS = 16

#: `app_id` of the workspace-wide series (unique users across all apps). Key columns must
#: be non-null (target-postgres makes them a PRIMARY KEY), so the workspace series carries
#: this marker instead of null. Braze app identifiers are UUIDs and never look like it.
WORKSPACE_APP_ID = "_workspace"

#: Hosts that may be reached over plain http (the local emulator, a local proxy).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T.*)?$")


class SettingsError(ValueError):
    """One or more settings are invalid; `errors` names each one."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("Invalid settings: " + "; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Settings:
    """Validated settings, with defaults applied and values parsed."""

    api_key: str
    api_url: str
    start_date: dt.date | None
    end_date: dt.date | None
    zone: ZoneInfo
    app_ids: tuple[str, ...]
    include_workspace_total: bool
    lookback_days: int
    window_days: int
    max_history_days: int
    request_timeout: float
    max_retries: int
    retry_wait_seconds: float
    max_parallel_requests: int
    user_agent: str | None

    @property
    def series(self) -> list[str]:
        """`app_id` of every series to sync, in sync order; the workspace total last."""
        if not self.app_ids:
            return [WORKSPACE_APP_ID]
        extra = [WORKSPACE_APP_ID] if self.include_workspace_total else []
        return [*self.app_ids, *extra]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    # The SDK reads JSON config floats as Decimal.
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def parse_date(value: object) -> dt.date:
    """A `YYYY-MM-DD` date; a full ISO-8601 datetime is accepted and its date part used."""
    if not isinstance(value, str) or not _DATE_RE.match(value):
        msg = f"expected a date YYYY-MM-DD, got {value!r}"
        raise ValueError(msg)
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        msg = f"{value!r} is not a real calendar date"
        raise ValueError(msg) from None


def _check_url(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return f"api_url: expected a URL such as {DEFAULT_API_URL}, got {value!r}"
    parts = urlsplit(value.strip())
    host = parts.hostname
    # Messages show the URL without credentials, query or fragment: a key pasted into the
    # URL (Braze's deprecated ?api_key=) must not be printed back.
    shown = f"{parts.scheme}://{host or ''}{parts.path}" if parts.scheme else "(no scheme)"
    if parts.scheme not in {"http", "https"} or not host:
        return f"api_url: expected an https:// URL such as {DEFAULT_API_URL}, got {shown!r}"
    if parts.username or parts.password or parts.query or parts.fragment:
        return (
            f"api_url: must be only the REST endpoint, such as {DEFAULT_API_URL}, without "
            "credentials, query or fragment; the key goes in api_key"
        )
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        return (
            f"api_url: plain http is allowed only for loopback hosts "
            f"({', '.join(sorted(LOOPBACK_HOSTS))}); use https://{host} instead of {shown!r}"
        )
    return None


def _check_int(config: Mapping[str, Any], name: str, low: int, high: int | None) -> str | None:
    value = config.get(name)
    if value is None:
        return None
    in_range = _is_int(value) and value >= low and (high is None or value <= high)
    if in_range:
        return None
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    return f"{name}: expected a whole number {bounds}, got {value!r}"


def _check_positive_number(config: Mapping[str, Any], name: str) -> str | None:
    value = config.get(name)
    if value is None or (_is_number(value) and value > 0):
        return None
    return f"{name}: expected a number of seconds greater than 0, got {value!r}"


def _check_dates(config: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    parsed: dict[str, dt.date] = {}
    for name in ("start_date", "end_date"):
        value = config.get(name)
        if value is None:
            continue
        try:
            parsed[name] = parse_date(value)
        except ValueError as exc:
            errors.append(f"{name}: {exc}")
    if len(parsed) == 2 and parsed["end_date"] < parsed["start_date"]:
        errors.append(f"end_date: {parsed['end_date']} is before start_date {parsed['start_date']}")
    return errors


def _check_timezone(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return None
    return f"timezone: {value!r} is not an IANA time zone name such as 'UTC' or 'Europe/Paris'"


def _check_app_ids(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        return [f"app_ids: expected a list of app identifiers, got {value!r}"]
    errors = [
        f"app_ids: expected non-empty strings, got {item!r}"
        for item in value
        if not isinstance(item, str) or not item.strip()
    ]
    if WORKSPACE_APP_ID in value:
        errors.append(
            f"app_ids: {WORKSPACE_APP_ID!r} is reserved for the workspace-wide series; "
            "use include_workspace_total instead"
        )
    repeated = sorted({item for item in value if isinstance(item, str) and value.count(item) > 1})
    if repeated:
        errors.append(f"app_ids: listed more than once: {', '.join(repeated)}")
    return errors


#: Settings that take fractional seconds.
NUMBER_SETTINGS = ("request_timeout", "retry_wait_seconds")


def coerce_number_strings(config: Mapping[str, Any]) -> dict[str, Any]:
    """`config` with numeric strings of the seconds settings turned into numbers.

    Meltano 4.4 cannot pass a `kind: decimal` setting that comes from an environment
    variable (it fails to serialize the Decimal), so meltano.yml declares these settings as
    strings; "30" and "0.5" must then work as 30 and 0.5.
    """
    result = dict(config)
    for name in NUMBER_SETTINGS:
        value = result.get(name)
        if isinstance(value, str):
            # A string that is not a number is left as is: validation names it.
            with contextlib.suppress(ValueError):
                result[name] = float(value)
    return result


def validate_settings(config: Mapping[str, Any]) -> list[str]:
    """Every problem with `config`, each message starting with the setting's name."""
    errors: list[str] = []
    api_key = config.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        errors.append("api_key: expected the key as a string (its value is not shown)")
    elif not api_key or not api_key.strip():
        errors.append(
            "api_key: required; set it to a Braze REST API key with the permission of "
            "each stream to sync (dau: kpi.dau.data_series)"
        )
    single_checks = [
        _check_url(config.get("api_url", DEFAULT_API_URL)),
        _check_timezone(config.get("timezone")),
        _check_int(config, "lookback_days", 0, None),
        _check_int(config, "window_days", 1, MAX_WINDOW_DAYS),
        _check_int(config, "max_history_days", 1, None),
        _check_int(config, "max_retries", 0, None),
        _check_int(config, "max_parallel_requests", 1, MAX_PARALLEL_REQUESTS),
        _check_positive_number(config, "request_timeout"),
        _check_positive_number(config, "retry_wait_seconds"),
    ]
    errors.extend(error for error in single_checks if error)
    errors.extend(_check_dates(config))
    errors.extend(_check_app_ids(config.get("app_ids")))
    include_total = config.get("include_workspace_total")
    if include_total is not None and not isinstance(include_total, bool):
        errors.append(f"include_workspace_total: expected true or false, got {include_total!r}")
    user_agent = config.get("user_agent")
    if user_agent is not None and not isinstance(user_agent, str):
        errors.append(f"user_agent: expected a string, got {user_agent!r}")
    return errors


def unknown_settings(config: Mapping[str, Any], known: Iterable[str]) -> list[str]:
    """A warning for each setting in `config` the tap does not know, with the closest
    known name: a misspelt setting (`api_urll`) would otherwise be ignored in silence and
    its default used (for `api_url`, Braze's US-01 cluster)."""
    names = sorted(known)
    warnings = []
    for name in sorted(set(config) - set(names)):
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        warnings.append(f"{name}: not a setting of this tap, ignored{hint}")
    return warnings


def parse_settings(config: Mapping[str, Any]) -> Settings:
    """Validated `Settings` from a tap config; raises `SettingsError` naming each problem."""
    errors = validate_settings(config)
    if errors:
        raise SettingsError(errors)

    def get(name: str, default: Any) -> Any:
        value = config.get(name)
        return default if value is None else value

    start, end = config.get("start_date"), config.get("end_date")
    return Settings(
        api_key=config["api_key"].strip(),
        api_url=get("api_url", DEFAULT_API_URL).strip().rstrip("/"),
        start_date=parse_date(start) if start is not None else None,
        end_date=parse_date(end) if end is not None else None,
        zone=ZoneInfo(get("timezone", DEFAULT_TIMEZONE)),
        app_ids=tuple(get("app_ids", ())),
        include_workspace_total=get("include_workspace_total", True),
        lookback_days=get("lookback_days", DEFAULT_LOOKBACK_DAYS),
        window_days=get("window_days", DEFAULT_WINDOW_DAYS),
        max_history_days=get("max_history_days", DEFAULT_MAX_HISTORY_DAYS),
        request_timeout=float(get("request_timeout", DEFAULT_REQUEST_TIMEOUT)),
        max_retries=get("max_retries", DEFAULT_MAX_RETRIES),
        retry_wait_seconds=float(get("retry_wait_seconds", DEFAULT_RETRY_WAIT_SECONDS)),
        max_parallel_requests=get("max_parallel_requests", DEFAULT_MAX_PARALLEL_REQUESTS),
        user_agent=config.get("user_agent"),
    )
