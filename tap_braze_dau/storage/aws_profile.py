"""The AWS CLI's shared files (`~/.aws/credentials`, `~/.aws/config`) for S3 stores.

obstore (Rust's object_store) takes S3 credentials from the `AWS_*` environment
variables, a web identity token, a container's or an instance's role, but never from the
shared files the AWS CLI and SDKs read. The tap reads them here, as the CLI does, and
hands obstore what they hold as plain configuration:

- the profile is `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`;
- its keys (`aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`) come from
  its section of the credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
  `~/.aws/credentials`), else from its section of the config file (`AWS_CONFIG_FILE`,
  else `~/.aws/config`; `[profile NAME]`, or `[default]`), and only when neither the
  storage options nor the environment hold credentials (keys, or a web identity token
  and role, which the SDKs also take before the files);
- its `region` comes from the config file, when neither the options nor `AWS_REGION`,
  `AWS_DEFAULT_REGION` give one.

Profiles that assume a role, sign in with SSO or run a `credential_process` are not
read. A missing file is no matter; one that cannot be read or parsed is ignored, and a
note names it (never its content: no value read here is ever quoted, so no message can
hold a key). Pure but for reading the two files.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: The keys of a profile's credentials, as the files and obstore both name them, and
#: the older name of the session token, which the SDKs still read (the files only).
CREDENTIAL_KEYS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
)
KEY_ID, SECRET, TOKEN, LEGACY_TOKEN = CREDENTIAL_KEYS
#: What profiles without keys get their credentials with, which the tap does not do.
UNREAD = frozenset(
    {
        "role_arn",
        "source_profile",
        "credential_source",
        "credential_process",
        "sso_session",
        "sso_start_url",
        "web_identity_token_file",
    }
)
#: obstore's name of the region.
REGION = "aws_region"


@dataclass(frozen=True)
class SharedFiles:
    """What the shared files add to an S3 store's configuration: obstore keys and their
    values, the secret ones among them, where the credentials come from ("profile 'x'
    in ~/.aws/credentials"; None when they add none), and why a file or the profile was
    of no use."""

    config: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    credentials_from: str | None = None
    notes: tuple[str, ...] = ()


def _set(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def profile_name(env: Mapping[str, str]) -> str:
    """The profile the AWS CLI would use in the environment `env`."""
    return _set(env, "AWS_PROFILE") or _set(env, "AWS_DEFAULT_PROFILE") or "default"


def _path(env: Mapping[str, str], variable: str, default: str) -> tuple[Path | None, str]:
    """The file `variable` names, else `~/<default>`, and how messages name it; None
    when `~` is unknown (no `HOME`, nor `USERPROFILE` on Windows)."""
    home = _set(env, "HOME") or _set(env, "USERPROFILE")
    named = _set(env, variable)
    if named:
        if named == "~" or named.startswith(("~/", "~\\")):
            return (Path(home, named[2:]) if home else None), named
        return Path(named), named
    return (Path(home, default) if home else None), f"~/{default}"


def read_ini(
    path: Path | None, shown: str
) -> tuple[configparser.RawConfigParser | None, str | None]:
    """The INI file at `path` (None: it is not there), or a note saying why it cannot be
    used, naming it as `shown` (never quoting it: configparser's errors hold its lines)."""
    if path is None:
        return None, None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None
    except UnicodeDecodeError:
        return None, f"{shown} is not UTF-8 text, ignored"
    except OSError as exc:
        return None, f"{shown} could not be read ({exc.strerror or type(exc).__name__}), ignored"
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text, source=shown)
    except configparser.Error as exc:
        return None, f"{shown} is not an INI file ({type(exc).__name__}), ignored"
    return parser, None


def _config_section(parser: configparser.RawConfigParser, profile: str) -> str | None:
    """The config file's section of `profile`: `[profile NAME]`, or `[default]`."""
    for section in parser.sections():
        parts = section.split(maxsplit=1)
        if len(parts) == 2 and parts[0] == "profile" and parts[1].strip() == profile:
            return section
    if profile == "default" and parser.has_section("default"):
        return "default"
    return None


def _value(parser: configparser.RawConfigParser, section: str, key: str) -> str | None:
    value = parser.get(section, key, fallback="")
    return value.strip() or None


def _keys(
    parser: configparser.RawConfigParser, section: str, where: str, notes: list[str]
) -> dict[str, str] | None:
    """The credentials of `section` as obstore configuration; None (and a note when they
    are half there) without both a key id and its secret."""
    key_id, secret = _value(parser, section, KEY_ID), _value(parser, section, SECRET)
    if not (key_id and secret):
        if key_id or secret:
            have, lack = (KEY_ID, SECRET) if key_id else (SECRET, KEY_ID)
            notes.append(f"{where} has {have} but no {lack}, ignored")
        return None
    found = {KEY_ID: key_id, SECRET: secret}
    token = _value(parser, section, TOKEN) or _value(parser, section, LEGACY_TOKEN)
    if token:
        found[TOKEN] = token
    return found


def _environment_credentials(env: Mapping[str, str]) -> bool:
    """Whether obstore finds credentials in `env` before the SDKs would read the files:
    keys, or a web identity token with its role."""
    keys = _set(env, "AWS_ACCESS_KEY_ID") or _set(env, "AWS_SECRET_ACCESS_KEY")
    web_identity = _set(env, "AWS_WEB_IDENTITY_TOKEN_FILE") and _set(env, "AWS_ROLE_ARN")
    return bool(keys or web_identity)


def shared_files(
    config: Mapping[str, str], *, has_credentials: bool, env: Mapping[str, str]
) -> SharedFiles:
    """What the shared files add to an S3 store's obstore `config` (from its options,
    which hold credentials when `has_credentials`) in the environment `env`:
    credentials when neither the options nor `env` hold any, a region when neither
    names one."""
    want_keys = not has_credentials and not _environment_credentials(env)
    want_region = REGION not in config and not (
        _set(env, "AWS_REGION") or _set(env, "AWS_DEFAULT_REGION")
    )
    if not (want_keys or want_region):
        return SharedFiles()
    profile = profile_name(env)
    notes: list[str] = []
    credentials, credentials_shown = _path(env, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
    settings, settings_shown = _path(env, "AWS_CONFIG_FILE", ".aws/config")
    credentials_ini, note = read_ini(credentials, credentials_shown) if want_keys else (None, None)
    notes += [note] if note else []
    settings_ini, note = read_ini(settings, settings_shown)
    notes += [note] if note else []
    section = _config_section(settings_ini, profile) if settings_ini else None
    found: dict[str, str] = {}
    source = None
    if want_keys:
        sources = []
        if credentials_ini is not None and credentials_ini.has_section(profile):
            sources.append((credentials_ini, profile, credentials_shown))
        if settings_ini is not None and section is not None:
            sources.append((settings_ini, section, settings_shown))
        for parser, name, shown in sources:
            keys = _keys(parser, name, f"profile {profile!r} in {shown}", notes)
            if keys:
                found.update(keys)
                source = f"profile {profile!r} in {shown}"
                break
            unread = sorted(set(parser.options(name)) & UNREAD)
            if unread:
                notes.append(
                    f"profile {profile!r} in {shown} uses {', '.join(unread)}, "
                    "which the tap does not read (only keys)"
                )
        if not sources and profile != "default":
            notes.append(
                f"profile {profile!r} is in neither {credentials_shown} nor {settings_shown}"
            )
    if want_region and settings_ini is not None and section is not None:
        region = _value(settings_ini, section, "region")
        if region:
            found[REGION] = region
    secrets = tuple(found[key] for key in (SECRET, TOKEN) if key in found)
    return SharedFiles(found, secrets, source, tuple(notes))
