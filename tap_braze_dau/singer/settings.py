"""The tap's settings, each declared once: name, type, bounds, default and description.

From `SETTINGS` follow the JSON schema (`config_schema`), the checks (`validate_settings`,
one message per bad setting, each starting with its name, all at once so that a user
fixes a config in one pass), the defaults (`parse_settings`) and so the documentation
(`--about`, the README's table, the plugin definitions). Hand-written checks remain only
where a schema cannot say it: URLs, time zones, dates and their order, the app list, the
key. Adding a setting: one `Setting` here and one field of `Settings`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from singer_sdk import typing as th

from tap_braze_dau.braze.client import ClientOptions, default_user_agent
from tap_braze_dau.currents.stream import CurrentsOptions
from tap_braze_dau.declarations import WORKSPACE_APP_ID
from tap_braze_dau.exports.definitions import DEFINITIONS
from tap_braze_dau.exports.records import EXPORTABLE_FIELDS
from tap_braze_dau.exports.streams import ExportsOptions
from tap_braze_dau.exports.suppressions import SUPPRESSION_LISTS
from tap_braze_dau.exports.users import EXPORT, UsersOptions
from tap_braze_dau.personal_data import PII_MODES, PersonalDataRule, PiiMode
from tap_braze_dau.plan.jobs import PlanOptions
from tap_braze_dau.plan.windows import MAX_WINDOW_DAYS, parse_date
from tap_braze_dau.storage.location import Location, parse_location
from tap_braze_dau.storage.options import StorageOptions, check_storage_options
from tap_braze_dau.streams import ALL_PRODUCTS, FULL_TABLE, STREAMS

DEFAULT_API_URL = "https://rest.iad-01.braze.com"
MAX_PARALLEL_REQUESTS = 16
#: The shortest pii_hash_key: a short key makes the hashes of short values guessable.
MIN_HASH_KEY_LENGTH = 16

#: Hosts that may be reached over plain http (the local emulator, a local proxy).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

Kind = Literal["string", "integer", "number", "boolean", "date", "string_list", "object"]


class SettingsError(ValueError):
    """One or more settings are invalid; `errors` names each one."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("Invalid settings: " + "; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Setting:
    """One setting. `check`, where given, is a hand-written check of a set value for what
    the kind and bounds cannot say; it returns the problems, each naming the setting."""

    name: str
    kind: Kind
    description: str
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    #: Numbers only: the value must be greater than this.
    greater_than: int | None = None
    #: Numbers only: what the number counts, for messages ("seconds").
    unit: str = ""
    secret: bool = False
    required: bool = False
    check: Callable[[object], list[str]] | None = None
    #: Strings only: the values allowed.
    choices: tuple[str, ...] | None = None

    def schema_property(self) -> th.Property[Any]:
        kinds: dict[Kind, th.JSONTypeHelper[Any] | type[th.JSONTypeHelper[Any]]] = {
            "string": th.StringType(allowed_values=list(self.choices))
            if self.choices
            else th.StringType,
            "integer": th.IntegerType(minimum=self.minimum, maximum=self.maximum),
            "number": th.NumberType(exclusive_minimum=self.greater_than),
            "boolean": th.BooleanType,
            "date": th.DateType,
            "string_list": th.ArrayType(th.StringType),
            "object": th.ObjectType(additional_properties=True),
        }
        return th.Property(
            self.name,
            kinds[self.kind],
            required=self.required,
            secret=self.secret,
            default=self.default,
            description=self.description,
        )

    def problems(self, value: object) -> list[str]:
        """What is wrong with a set (non-null) value."""
        generic = self._kind_problem(value)
        if generic:
            return [generic]
        return self.check(value) if self.check else []

    def _kind_problem(self, value: object) -> str | None:
        """The problem with `value` for the kind and bounds alone (the SDK reads JSON
        config floats as Decimal; a bool is never a number)."""
        name = self.name
        if self.kind == "integer":
            low, high = self.minimum, self.maximum
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and (low is None or value >= low)
                and (high is None or value <= high)
            ):
                return None
            if high is not None:
                bounds = f" from {low} to {high}"
            elif low is not None:
                bounds = f" of at least {low}"
            else:
                bounds = ""
            return f"{name}: expected a whole number{bounds}, got {value!r}"
        if self.kind == "number":
            floor = self.greater_than
            if (
                isinstance(value, (int, float, Decimal))
                and not isinstance(value, bool)
                and (floor is None or value > floor)
            ):
                return None
            what = f"a number of {self.unit}" if self.unit else "a number"
            above = f" greater than {floor:g}" if floor is not None else ""
            return f"{name}: expected {what}{above}, got {value!r}"
        if self.kind == "boolean" and not isinstance(value, bool):
            return f"{name}: expected true or false, got {value!r}"
        if self.kind == "string" and not isinstance(value, str):
            shown_value = "a value that is not a string" if self.secret else repr(value)
            return f"{name}: expected a string, got {shown_value}"
        if self.choices and value not in self.choices:
            return f"{name}: expected one of {', '.join(self.choices)}, got {value!r}"
        if self.kind == "object" and not isinstance(value, Mapping):
            return f"{name}: expected an object of options"
        return None


# -- hand-written checks ----------------------------------------------------------------


def _check_url(value: object) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [f"api_url: expected a URL such as {DEFAULT_API_URL}, got {value!r}"]
    parts = urlsplit(value.strip())
    host = parts.hostname
    # Messages show the URL without credentials, query or fragment: a key pasted into the
    # URL (Braze's deprecated ?api_key=) must not be printed back.
    shown = f"{parts.scheme}://{host or ''}{parts.path}" if parts.scheme else "(no scheme)"
    if parts.scheme not in {"http", "https"} or not host:
        return [f"api_url: expected an https:// URL such as {DEFAULT_API_URL}, got {shown!r}"]
    if parts.username or parts.password or parts.query or parts.fragment:
        return [
            f"api_url: must be only the REST endpoint, such as {DEFAULT_API_URL}, without "
            "credentials, query or fragment; the key goes in api_key"
        ]
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        return [
            f"api_url: plain http is allowed only for loopback hosts "
            f"({', '.join(sorted(LOOPBACK_HOSTS))}); use https://{host} instead of {shown!r}"
        ]
    return []


def _check_timezone(value: object) -> list[str]:
    if isinstance(value, str) and value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return []
    return [f"timezone: {value!r} is not an IANA time zone name such as 'UTC' or 'Europe/Paris'"]


def _date_check(name: str) -> Callable[[object], list[str]]:
    def check(value: object) -> list[str]:
        try:
            parse_date(value)
        except ValueError as exc:
            return [f"{name}: {exc}"]
        return []

    return check


def _check_app_ids(value: object) -> list[str]:
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


def _names_check(name: str, reserved: str | None = None) -> Callable[[object], list[str]]:
    """A list of event names, product or segment identifiers: non-empty strings, once each."""

    def check(value: object) -> list[str]:
        if not isinstance(value, (list, tuple)):
            return [f"{name}: expected a list of strings, got {value!r}"]
        errors = [
            f"{name}: expected non-empty strings, got {item!r}"
            for item in value
            if not isinstance(item, str) or not item.strip()
        ]
        if reserved is not None and reserved in value:
            errors.append(
                f"{name}: {reserved!r} is reserved for the series of every product "
                "together, which is always synced"
            )
        repeated = sorted(
            {item for item in value if isinstance(item, str) and value.count(item) > 1}
        )
        if repeated:
            errors.append(f"{name}: listed more than once: {', '.join(repeated)}")
        return errors

    return check


def _check_reserve(value: object) -> list[str]:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and 0 <= value < 1:
        return []
    return [
        f"rate_limit_reserve: expected a share of each pool's limit from 0 to below 1 "
        f"(0.1: leave 10% to other API clients), got {value!r}"
    ]


def _location_check(setting: str) -> Callable[[object], list[str]]:
    """The check of a setting that names a bucket and prefix, or a folder."""

    def check(value: object) -> list[str]:
        try:
            parse_location(value, setting)
        except ValueError as exc:
            return [str(exc)]
        return []

    return check


def _export_options_setting(config: Mapping[str, Any]) -> str:
    """The setting whose options read `users_export_url`: its own when set, else
    `currents_storage_options` when set and Currents is off or in the same kind of
    store (one set of credentials for both), else its own (unset: the provider's chain)."""
    own = "users_export_storage_options"
    if (
        config.get(own) is not None
        or config.get("currents_storage_options") is None
        or not config.get("users_export_url")
    ):
        return own
    if not config.get("currents_url"):
        return "currents_storage_options"
    try:
        same_kind = (
            parse_location(config["currents_url"], "currents_url").scheme
            == parse_location(config.get("users_export_url"), "users_export_url").scheme
        )
    except ValueError:
        return own  # named by its own check
    return "currents_storage_options" if same_kind else own


def _storage_options_problems(config: Mapping[str, Any]) -> list[str]:
    """The problems of the storage options, each for the store it reads."""
    exports_setting = _export_options_setting(config)
    shared = exports_setting == "currents_storage_options"
    stores = [("currents_url", "currents_storage_options")]
    if not (shared and config.get("currents_url")):  # else checked once, for Currents
        stores.append(("users_export_url", exports_setting))
    problems: list[str] = []
    for url_setting, options_setting in stores:
        try:
            location = parse_location(config.get(url_setting), url_setting)
        except ValueError:
            if config.get(options_setting) and not (shared and url_setting == "currents_url"):
                problems.append(f"{options_setting}: set {url_setting} too")
            continue  # unset, or named by its own check
        options = config.get(options_setting)
        problems.extend(check_storage_options(options, location, options_setting)[1])
    return problems


def _check_pii(config: Mapping[str, Any]) -> list[str]:
    key = config.get("pii_hash_key")
    if config.get("pii") == "hash" and not (isinstance(key, str) and key):
        return ["pii_hash_key: required with pii: hash (the secret key of the hashes)"]
    return []


def short_hash_key(config: Mapping[str, Any]) -> list[str]:
    """A warning (not an error: any key gives stable hashes) when `pii_hash_key` is
    short enough to be guessed, so that hashed addresses could be tried one by one."""
    key = config.get("pii_hash_key")
    if isinstance(key, str) and 0 < len(key) < MIN_HASH_KEY_LENGTH:
        return [
            f"pii_hash_key: shorter than {MIN_HASH_KEY_LENGTH} characters, so easier to "
            "guess; a longer random key protects the hashes better (its value is not shown)"
        ]
    return []


def _check_dates_in_order(config: Mapping[str, Any]) -> list[str]:
    try:
        start, end = parse_date(config.get("start_date")), parse_date(config.get("end_date"))
    except ValueError:
        return []  # unset, or already named by its own check
    return [f"end_date: {end} is before start_date {start}"] if end < start else []


API_KEY_REQUIRED = (
    "api_key: required; set it to a Braze REST API key with the permission of "
    "each stream to sync (dau: kpi.dau.data_series)"
)


def _api_key_problems(config: Mapping[str, Any]) -> list[str]:
    """The key's problems. With `currents_url`, a run may read Currents alone: the key
    is then required only once a stream of Braze's API is selected (`TapBrazeDau`)."""
    api_key = config.get("api_key")
    if api_key is not None and not isinstance(api_key, str):
        return ["api_key: expected the key as a string (its value is not shown)"]
    if (not api_key or not api_key.strip()) and not config.get("currents_url"):
        return [API_KEY_REQUIRED]
    return []


# -- the settings -----------------------------------------------------------------------

_PERMISSIONS = ", ".join(
    [f"`{s.endpoint.permission}` ({s.name})" for s in STREAMS]
    + [f"`{s.endpoint.permission}` ({s.name})" for s in FULL_TABLE]
    + [f"`{EXPORT.permission}` (users)"]
    + [f"`{s.permission}` ({s.name})" for s in SUPPRESSION_LISTS]
    + [
        f"`{d.list_endpoint.permission}` and `{d.info_endpoint.permission}` ({d.name})"
        for d in DEFINITIONS
    ]
)

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "api_key",
        "string",
        required=True,
        secret=True,
        description=(
            f"Braze REST API key with the permission of each stream to sync: {_PERMISSIONS}."
        ),
    ),
    Setting(
        "api_url",
        "string",
        default=DEFAULT_API_URL,
        check=_check_url,
        description=(
            "The workspace's REST endpoint, e.g. https://rest.iad-01.braze.com or "
            "https://rest.fra-01.braze.eu. Any https URL is accepted; plain http only "
            "for loopback hosts (127.0.0.1, localhost, ::1)."
        ),
    ),
    Setting(
        "start_date",
        "date",
        check=_date_check("start_date"),
        description=(
            "First day to extract (YYYY-MM-DD). Without it, and without state, the tap "
            "walks back from the end until history ends or max_history_days is reached."
        ),
    ),
    Setting(
        "end_date",
        "date",
        check=_date_check("end_date"),
        description="Last day to extract, inclusive (YYYY-MM-DD). Default: today in `timezone`.",
    ),
    Setting(
        "timezone",
        "string",
        default="UTC",
        check=_check_timezone,
        description=(
            "IANA name of the workspace's reporting time zone (Braze company settings). "
            "Decides what 'today' is and how `ending_at` is written. Left at UTC, a "
            "workspace up to 11 hours away still gets exactly the requested days."
        ),
    ),
    Setting(
        "app_ids",
        "string_list",
        check=_check_app_ids,
        description=(
            "Braze app identifiers, one series each. Without it, only the workspace-wide "
            "series is synced."
        ),
    ),
    Setting(
        "include_workspace_total",
        "boolean",
        default=True,
        description=(
            "With `app_ids`, also sync the workspace-wide series (app_id "
            f"'{WORKSPACE_APP_ID}'). Without `app_ids` it is always synced."
        ),
    ),
    Setting(
        "lookback_days",
        "integer",
        default=3,
        minimum=0,
        description=(
            "Days re-read before the bookmark on every incremental run (the bookmarked "
            "day itself is always re-read: today's count is partial and Braze revises "
            "recent days)."
        ),
    ),
    Setting(
        "window_days",
        "integer",
        default=MAX_WINDOW_DAYS,
        minimum=1,
        maximum=MAX_WINDOW_DAYS,
        description="Days per request (Braze's `length`), 1 to 100.",
    ),
    Setting(
        "max_history_days",
        "integer",
        default=3650,
        minimum=1,
        description="How far back to look when there is no `start_date` and no state.",
    ),
    Setting(
        "request_timeout",
        "number",
        default=60.0,
        greater_than=0,
        unit="seconds",
        description=(
            "Seconds one request may take as a whole, from connecting to the last byte "
            "of the answer; an answer still arriving then is retried like a failed one."
        ),
    ),
    Setting(
        "max_retries",
        "integer",
        default=5,
        minimum=0,
        description=(
            "Retries of a request that failed transiently (5xx, timeout, dropped "
            "connection, malformed or oversized body) before the run fails. 429s are "
            "not counted: they wait for the rate-limit reset."
        ),
    ),
    Setting(
        "retry_wait_seconds",
        "number",
        default=1.0,
        greater_than=0,
        unit="seconds",
        description=(
            "Base of the exponential backoff between retries: about this long before "
            "the first retry, doubling each time (with jitter), at most 60 s."
        ),
    ),
    Setting(
        "max_parallel_requests",
        "integer",
        default=4,
        minimum=1,
        maximum=MAX_PARALLEL_REQUESTS,
        description=(
            "Requests in flight at once, across series and streams. Output is identical, "
            "message for message, whatever the value; 1 is strictly sequential."
        ),
    ),
    Setting(
        "user_agent",
        "string",
        description="User-Agent header. Default: tap-braze-dau/<version>.",
    ),
    Setting(
        "event_names",
        "string_list",
        check=_names_check("event_names"),
        description=(
            "Custom events of `event_counts`, one series each per app. Unset or empty: "
            "every event /events/list returns at the start of the run."
        ),
    ),
    Setting(
        "product_ids",
        "string_list",
        check=_names_check("product_ids", reserved=ALL_PRODUCTS),
        description=(
            "Products of `purchase_quantity` and `purchase_revenue`, one series each per "
            "app, besides the series of every product together (product_id "
            f"'{ALL_PRODUCTS}'). Unset or empty: every product /purchases/product_list "
            "returns at the start of the run."
        ),
    ),
    Setting(
        "segment_ids",
        "string_list",
        check=_names_check("segment_ids"),
        description=(
            "Segments of `segment_sizes`, one series each. Unset or empty: every segment "
            "with analytics tracking that /segments/list returns at the start of the run."
        ),
    ),
    Setting(
        "conversion_window_days",
        "integer",
        default=30,
        minimum=0,
        description=(
            "Days after a campaign's last send (a Canvas' last entry) that can still have "
            "stats: Braze keeps adding conversions for up to the conversion deadline, at "
            "most 30 days. Stats are requested only from the first send (entry) to the "
            "last plus this."
        ),
    ),
    Setting(
        "stats_lookback_days",
        "integer",
        default=30,
        minimum=0,
        description=(
            "Days of campaign and Canvas stats re-read before the bookmark on every "
            "incremental run: Braze keeps revising a day's opens, clicks and conversions "
            "for weeks."
        ),
    ),
    Setting(
        "rate_limit_reserve",
        "number",
        default=0.1,
        check=_check_reserve,
        description=(
            "Share of each Braze rate-limit pool left to the workspace's other API "
            "clients: once an answer's X-RateLimit-Remaining is down to this share of "
            "X-RateLimit-Limit, the tap sends that pool nothing more until it resets. "
            "0 to below 1."
        ),
    ),
)
SETTINGS += (
    Setting(
        "currents_url",
        "string",
        check=_location_check("currents_url"),
        description=(
            "Where Braze writes Currents: s3://bucket/prefix, gs://bucket/prefix, "
            "az://container/prefix (the account in currents_storage_options), a local "
            "folder (file:///path or a path). Unset: no Currents stream."
        ),
    ),
    Setting(
        "currents_storage_options",
        "object",
        secret=True,
        description=(
            "Credentials and endpoint of the Currents store, named as obstore names them: "
            "S3 aws_access_key_id, aws_secret_access_key, aws_session_token, region, "
            "endpoint_url (plain http only on a loopback host); GCS service_account_json "
            "or service_account_path; Azure account_name with account_key, sas_token or "
            "connection_string. Unset keys fall back to the provider's environment chain."
        ),
    ),
    Setting(
        "currents_lookback_hours",
        "integer",
        default=48,
        minimum=0,
        description=(
            "Hours before the newest Currents hour folder read that each run lists "
            "again: a file Braze delivers into an hour folder up to this much older is "
            "still read, once."
        ),
    ),
    Setting(
        "currents_skip_bad_files",
        "boolean",
        default=False,
        description=(
            "A Currents file that cannot be decoded: false fails the run naming it (after "
            "everything before it is delivered and claimed); true logs one warning naming "
            "it, skips it, and goes on."
        ),
    ),
    Setting(
        "pii",
        "string",
        default="keep",
        choices=PII_MODES,
        description=(
            "Personal data (Currents fields Braze marks [PII], the user exports' "
            "identifiers and addresses): keep, hash (HMAC-SHA-256 with pii_hash_key, "
            "lower-case hex; emails trimmed and lower-cased first) or drop."
        ),
    ),
    Setting(
        "pii_hash_key",
        "string",
        secret=True,
        description=(
            "The secret key of pii: hash (required then, and with pii: drop for the "
            "streams whose key is personal). Keep it: another key gives other hashes."
        ),
    ),
)
SETTINGS += (
    Setting(
        "users_segment_ids",
        "string_list",
        check=_names_check("users_segment_ids"),
        description=(
            "Segments whose users the `users` stream exports (their API identifiers), "
            "one partition each. Required when `users` is selected."
        ),
    ),
    Setting(
        "users_fields_to_export",
        "string_list",
        default=list(EXPORTABLE_FIELDS),
        check=_names_check("users_fields_to_export"),
        description=(
            "Profile fields the `users` export asks for (Braze's fields_to_export; "
            "braze_id is always asked). Default: every field of Braze's table of "
            "exportable fields."
        ),
    ),
    Setting(
        "users_export_timeout_minutes",
        "number",
        default=90,
        greater_than=0,
        unit="minutes",
        description=(
            "How long one segment's export may take, from asking for it to having all "
            "of it (Braze takes up to an hour for large workspaces); past it the run "
            "fails naming the segment."
        ),
    ),
    Setting(
        "users_export_url",
        "string",
        check=_location_check("users_export_url"),
        description=(
            "The workspace's export bucket (s3://bucket, gs://bucket, az://container, or "
            "a local folder), for workspaces whose exports go to their own bucket "
            "instead of a download URL: the files are read under segment-export/ there."
        ),
    ),
    Setting(
        "users_export_storage_options",
        "object",
        secret=True,
        description=(
            "Credentials and endpoint of the users_export_url store, named as in "
            "currents_storage_options. Unset: currents_storage_options when currents_url "
            "is unset or the same kind of store, else the provider's environment chain."
        ),
    ),
    Setting(
        "users_export_settle_seconds",
        "number",
        default=300,
        greater_than=0,
        unit="seconds",
        description=(
            "Braze writes no manifest into a bucket: an export there counts as complete "
            "once no new file has appeared under its prefix for this long."
        ),
    ),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def config_schema() -> dict[str, Any]:
    """The JSON schema of the tap's own settings (the SDK adds its built-in ones)."""
    return th.PropertiesList(*(s.schema_property() for s in SETTINGS)).to_dict()


def default(name: str) -> Any:
    return BY_NAME[name].default


#: Settings that take fractional numbers.
NUMBER_SETTINGS = tuple(s.name for s in SETTINGS if s.kind == "number")


def coerce_number_strings(config: Mapping[str, Any]) -> dict[str, Any]:
    """`config` with numeric strings of the number settings turned into numbers.

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
    errors = _api_key_problems(config)
    for setting in SETTINGS:
        value = config.get(setting.name)
        if setting.name != "api_key" and value is not None:
            errors.extend(setting.problems(value))
    errors.extend(_check_dates_in_order(config))
    errors.extend(_storage_options_problems(config))
    errors.extend(_check_pii(config))
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


@dataclass(frozen=True)
class Settings:
    """Validated settings, with defaults applied and values parsed."""

    api_key: str = field(repr=False)  # a repr must never show the key
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
    event_names: tuple[str, ...] = ()
    product_ids: tuple[str, ...] = ()
    segment_ids: tuple[str, ...] = ()
    rate_limit_reserve: float = 0.1
    conversion_window_days: int = 30
    stats_lookback_days: int = 30
    currents_location: Location | None = None
    currents_storage: StorageOptions = field(default_factory=StorageOptions)
    currents_lookback_hours: int = 48
    currents_skip_bad_files: bool = False
    personal_data: PersonalDataRule = field(default_factory=PersonalDataRule)
    users_segment_ids: tuple[str, ...] = ()
    users_fields: tuple[str, ...] = EXPORTABLE_FIELDS
    users_export_timeout_minutes: float = 90.0
    users_export_location: Location | None = None
    users_export_storage: StorageOptions = field(default_factory=StorageOptions)
    users_export_settle_seconds: float = 300.0

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value of the settings: no output may contain one."""
        found = [self.api_key, *self.currents_storage.secrets, *self.users_export_storage.secrets]
        if self.personal_data.key:
            found.append(self.personal_data.key.decode())
        return tuple(found)

    def named(self, setting: str) -> tuple[str, ...]:
        """The values a dimension's setting names (empty: take them from its list)."""
        values: tuple[str, ...] = getattr(self, setting)
        return values

    @property
    def series(self) -> list[str]:
        """`app_id` of every series to sync, in sync order; the workspace total last."""
        if not self.app_ids:
            return [WORKSPACE_APP_ID]
        extra = [WORKSPACE_APP_ID] if self.include_workspace_total else []
        return [*self.app_ids, *extra]

    @property
    def plan_options(self) -> PlanOptions:
        return PlanOptions(
            start_date=self.start_date,
            lookback_days=self.lookback_days,
            window_days=self.window_days,
            max_history_days=self.max_history_days,
            zone=self.zone,
            end_date=self.end_date,
            stats_lookback_days=self.stats_lookback_days,
        )

    @property
    def exports_options(self) -> ExportsOptions:
        return ExportsOptions(
            start_date=self.start_date,
            end_date=self.end_date,
            lookback_days=self.lookback_days,
            max_history_days=self.max_history_days,
            parallel=self.max_parallel_requests,
            personal_data=self.personal_data,
        )

    @property
    def currents_options(self) -> CurrentsOptions:
        return CurrentsOptions(
            start_date=self.start_date,
            lookback_hours=self.currents_lookback_hours,
            skip_bad_files=self.currents_skip_bad_files,
            parallel=self.max_parallel_requests,
            personal_data=self.personal_data,
        )

    @property
    def users_options(self) -> UsersOptions:
        return UsersOptions(
            segment_ids=self.users_segment_ids,
            fields=self.users_fields,
            timeout_seconds=self.users_export_timeout_minutes * 60,
            settle_seconds=self.users_export_settle_seconds,
            retry_wait_seconds=self.retry_wait_seconds,
            request_timeout=self.request_timeout,
            user_agent=self.user_agent or default_user_agent(),
            parallel=self.max_parallel_requests,
            to_bucket=self.users_export_location is not None,
        )

    @property
    def client_options(self) -> ClientOptions:
        return ClientOptions(
            api_key=self.api_key,
            api_url=self.api_url,
            request_timeout=self.request_timeout,
            max_retries=self.max_retries,
            retry_wait_seconds=self.retry_wait_seconds,
            user_agent=self.user_agent,
            rate_limit_reserve=self.rate_limit_reserve,
        )


def parse_settings(config: Mapping[str, Any]) -> Settings:
    """Validated `Settings` from a tap config; raises `SettingsError` naming each problem."""
    errors = validate_settings(config)
    if errors:
        raise SettingsError(errors)

    def get(name: str) -> Any:
        value = config.get(name)
        return default(name) if value is None else value

    start, end = config.get("start_date"), config.get("end_date")
    return Settings(
        api_key=(config.get("api_key") or "").strip(),
        api_url=get("api_url").strip().rstrip("/"),
        start_date=parse_date(start) if start is not None else None,
        end_date=parse_date(end) if end is not None else None,
        zone=ZoneInfo(get("timezone")),
        app_ids=tuple(config.get("app_ids") or ()),
        include_workspace_total=get("include_workspace_total"),
        lookback_days=get("lookback_days"),
        window_days=get("window_days"),
        max_history_days=get("max_history_days"),
        request_timeout=float(get("request_timeout")),
        max_retries=get("max_retries"),
        retry_wait_seconds=float(get("retry_wait_seconds")),
        max_parallel_requests=get("max_parallel_requests"),
        user_agent=config.get("user_agent"),
        event_names=tuple(config.get("event_names") or ()),
        product_ids=tuple(config.get("product_ids") or ()),
        segment_ids=tuple(config.get("segment_ids") or ()),
        rate_limit_reserve=float(get("rate_limit_reserve")),
        conversion_window_days=get("conversion_window_days"),
        stats_lookback_days=get("stats_lookback_days"),
        currents_lookback_hours=get("currents_lookback_hours"),
        currents_skip_bad_files=get("currents_skip_bad_files"),
        personal_data=PersonalDataRule(
            mode=_pii_mode(get("pii")), key=str(config.get("pii_hash_key") or "").encode()
        ),
        users_segment_ids=tuple(config.get("users_segment_ids") or ()),
        users_fields=tuple(get("users_fields_to_export")),
        users_export_timeout_minutes=float(get("users_export_timeout_minutes")),
        users_export_settle_seconds=float(get("users_export_settle_seconds")),
        **_stores(config),
    )


def _pii_mode(value: str) -> PiiMode:
    for mode in PII_MODES:
        if value == mode:
            return mode
    raise SettingsError([f"pii: expected one of {', '.join(PII_MODES)}"])


def _store(
    config: Mapping[str, Any], url_setting: str, options_setting: str
) -> tuple[Location, StorageOptions] | None:
    """The store `url_setting` names (None when unset) and its options, once
    `validate_settings` passed."""
    if not config.get(url_setting):
        return None
    location = parse_location(config[url_setting], url_setting)
    checked, _problems = check_storage_options(
        config.get(options_setting), location, options_setting
    )
    return location, checked


def _stores(config: Mapping[str, Any]) -> dict[str, Any]:
    """Where Currents and the user exports' bucket are, and how to read them."""
    found: dict[str, Any] = {}
    currents = _store(config, "currents_url", "currents_storage_options")
    if currents is not None:
        found["currents_location"], found["currents_storage"] = currents
    exports = _store(config, "users_export_url", _export_options_setting(config))
    if exports is not None:
        found["users_export_location"], found["users_export_storage"] = exports
    return found
