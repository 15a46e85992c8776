"""Storage options: the credentials and endpoint of a store, checked, and turned into the
storage library's configuration. Pure but for reading the AWS CLI's shared files:
building a store is `store.py`'s business.

The names are the ones obstore documents (and, for S3, the AWS SDKs'): each store
accepts the keys in `ACCEPTED`, aliases included, and nothing else, so a misspelt key
is named at once instead of being ignored while the provider's chain supplies other
credentials. A key left out falls back to the provider's own chain: environment
variables (`AWS_*`, `GOOGLE_*`, `AZURE_STORAGE_*`), gcloud's application default
credentials, instance roles; and, for S3, the profile of the AWS CLI's shared files
(`~/.aws/credentials`, `~/.aws/config`), which obstore does not read: the tap reads them
itself (`aws_profile.py`) and adds what they hold to the configuration. Plain `http://`
endpoints are allowed on loopback hosts only (a local S3-compatible server or Azure
emulator). Values of secret keys are kept for redaction, those read from the shared files
too: no message the tap prints may contain them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tap_braze_dau.storage.aws_profile import shared_files
from tap_braze_dau.storage.location import Location, Scheme

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Key:
    """One accepted option: the obstore configuration key it sets, whether its value is
    a secret, whether it is a credential (so that credentials come from the options
    rather than the environment), and whether it is a URL (checked, http on loopback)."""

    target: str
    secret: bool = False
    credential: bool = False
    url: bool = False
    boolean: bool = False


_S3 = {
    "aws_access_key_id": Key("aws_access_key_id", credential=True),
    "access_key_id": Key("aws_access_key_id", credential=True),
    "aws_secret_access_key": Key("aws_secret_access_key", secret=True, credential=True),
    "secret_access_key": Key("aws_secret_access_key", secret=True, credential=True),
    "aws_session_token": Key("aws_session_token", secret=True, credential=True),
    "session_token": Key("aws_session_token", secret=True, credential=True),
    "region": Key("aws_region"),
    "aws_region": Key("aws_region"),
    "endpoint_url": Key("aws_endpoint", url=True),
    "endpoint": Key("aws_endpoint", url=True),
    "aws_endpoint": Key("aws_endpoint", url=True),
    "aws_endpoint_url": Key("aws_endpoint", url=True),
    "skip_signature": Key("aws_skip_signature", credential=True, boolean=True),
    "virtual_hosted_style_request": Key("aws_virtual_hosted_style_request", boolean=True),
}
_GCS = {
    "service_account_json": Key("google_service_account_key", secret=True, credential=True),
    "service_account_key": Key("google_service_account_key", secret=True, credential=True),
    "service_account_path": Key("google_service_account", credential=True),
    "service_account": Key("google_service_account", credential=True),
    "base_url": Key("google_base_url", url=True),
    "bearer_token": Key("google_bearer_token", secret=True, credential=True),
    "skip_signature": Key("google_skip_signature", credential=True, boolean=True),
}
_AZURE = {
    "account_name": Key("azure_storage_account_name"),
    "account_key": Key("azure_storage_account_key", secret=True, credential=True),
    "access_key": Key("azure_storage_account_key", secret=True, credential=True),
    "sas_token": Key("azure_storage_sas_key", secret=True, credential=True),
    "sas_key": Key("azure_storage_sas_key", secret=True, credential=True),
    "connection_string": Key("", secret=True, credential=True),
    "endpoint": Key("azure_storage_endpoint", url=True),
    "bearer_token": Key("azure_storage_token", secret=True, credential=True),
    "use_emulator": Key("azure_storage_use_emulator", boolean=True),
    "skip_signature": Key("azure_skip_signature", credential=True, boolean=True),
}
#: Every option each store accepts.
ACCEPTED: Mapping[Scheme, Mapping[str, Key]] = {"s3": _S3, "gs": _GCS, "az": _AZURE, "file": {}}
#: The configuration keys whose values are secrets.
_SECRET_TARGETS = frozenset(
    key.target for keys in ACCEPTED.values() for key in keys.values() if key.secret
)
#: The names the README documents first for each store (the others are aliases).
DOCUMENTED = {
    "s3": (
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "region",
        "endpoint_url",
        "skip_signature",
    ),
    "gs": ("service_account_json", "service_account_path", "base_url", "bearer_token"),
    "az": ("account_name", "account_key", "sas_token", "connection_string", "endpoint"),
}
#: Where credentials come from when the options hold none.
ENVIRONMENT_CHAIN = (
    "the provider's environment chain (environment variables, shared config files, instance roles)"
)


@dataclass(frozen=True, repr=False)
class StorageOptions:
    """Checked options: the obstore configuration, whether plain http is allowed, where
    the credentials come from, and the secrets to keep out of every message (its repr
    among them)."""

    config: Mapping[str, str] = field(default_factory=dict)
    allow_http: bool = False
    credentials_from: str = ENVIRONMENT_CHAIN
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        config = {
            k: "<redacted>" if k in _SECRET_TARGETS or v in self.secrets else v
            for k, v in self.config.items()
        }
        return (
            f"StorageOptions(config={config!r}, allow_http={self.allow_http!r}, "
            f"credentials_from={self.credentials_from!r}, secrets=<{len(self.secrets)} redacted>)"
        )


def _url_problem(name: str, value: str, setting: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{setting}: {name} must be an http(s) URL, got {value!r}"
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return (
            f"{setting}: {name} may be plain http only on a loopback host "
            f"({', '.join(sorted(LOOPBACK_HOSTS))}); use https://{parts.hostname}"
        )
    if value != value.strip() or any(ch.isspace() for ch in value):
        return f"{setting}: {name} must not contain spaces"
    return None


def parse_connection_string(text: str) -> dict[str, str]:
    """`AccountName=...;AccountKey=...;BlobEndpoint=...` as a mapping (Azure's form)."""
    found: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            msg = "a connection string is Name=value pairs separated by ';'"
            raise ValueError(msg)
        found[name.strip()] = value.strip()
    return found


def _from_connection_string(text: str, setting: str) -> tuple[dict[str, str], list[str]]:
    """obstore's Azure configuration from a connection string, and its problems (which
    never quote it: it holds the key)."""
    try:
        parts = parse_connection_string(text)
    except ValueError as exc:
        return {}, [f"{setting}: connection_string: {exc}"]
    config: dict[str, str] = {}
    for name, target in (
        ("AccountName", "azure_storage_account_name"),
        ("AccountKey", "azure_storage_account_key"),
        ("SharedAccessSignature", "azure_storage_sas_key"),
        ("BlobEndpoint", "azure_storage_endpoint"),
    ):
        if parts.get(name):
            config[target] = parts[name]
    if "azure_storage_account_name" not in config:
        return {}, [f"{setting}: connection_string has no AccountName"]
    return config, []


def check_storage_options(
    options: object,
    location: Location,
    setting: str,
    *,
    environ: Mapping[str, str] | None = None,
) -> tuple[StorageOptions, list[str]]:
    """The checked options for a store at `location`, and every problem, each naming
    `setting` and the option (never a secret's value). For S3, what the AWS CLI's shared
    files add in the environment `environ` (the process's when None) is added: the keys
    when neither the options nor the environment hold credentials, the region when
    neither names one."""
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        return StorageOptions(), [f"{setting}: expected an object of options, got a value"]
    accepted = ACCEPTED[location.scheme]
    problems: list[str] = []
    config: dict[str, str] = {}
    secrets: list[str] = []
    allow_http = False
    credential = False
    for name, value in options.items():
        key = accepted.get(str(name).lower())
        if key is None:
            if location.is_local:
                problems.append(f"{setting}: a local folder takes no options (got {name!r})")
                continue
            names = ", ".join(DOCUMENTED[location.scheme])
            problems.append(
                f"{setting}: {name!r} is not an option of {location.scheme}:// stores; "
                f"the options are {names} (and the aliases the README lists)"
            )
            continue
        if key.boolean:
            if not isinstance(value, bool):
                problems.append(f"{setting}: {name} must be true or false")
                continue
            text = "true" if value else "false"
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"{setting}: {name} must be a non-empty string")
            continue
        else:
            text = value.strip()
        credential = credential or (key.credential and text != "false")
        if key.secret:
            secrets.append(text)
        if key.url:
            problem = _url_problem(name, text, setting)
            if problem:
                problems.append(problem)
                continue
            allow_http = allow_http or text.startswith("http://")
        if name == "connection_string":
            from_string, string_problems = _from_connection_string(text, setting)
            problems += string_problems
            secrets += [v for k, v in from_string.items() if "key" in k and v]
            endpoint = from_string.get("azure_storage_endpoint")
            if endpoint:
                problem = _url_problem("connection_string's BlobEndpoint", endpoint, setting)
                if problem:
                    problems.append(problem)
                allow_http = allow_http or endpoint.startswith("http://")
            config.update(from_string)
            continue
        config[key.target] = text
    source = f"{setting}" if credential else ENVIRONMENT_CHAIN
    if location.scheme == "s3":
        env = os.environ if environ is None else environ
        shared = shared_files(config, has_credentials=credential, env=env)
        config.update(shared.config)
        secrets += shared.secrets
        if not credential:
            if shared.credentials_from:
                source = f"the provider's environment chain ({shared.credentials_from})"
            source = "; ".join([source, *shared.notes])
    checked = StorageOptions(config, allow_http, source, tuple(s for s in secrets if len(s) >= 4))
    return checked, problems
