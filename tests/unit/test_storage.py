"""Where files are and how to read them: URLs and storage options, checked. Pure."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from tap_braze_dau.errors import StorageError
from tap_braze_dau.storage.aws_profile import profile_name
from tap_braze_dau.storage.location import Location, parse_location
from tap_braze_dau.storage.options import (
    ENVIRONMENT_CHAIN,
    StorageOptions,
    check_storage_options,
)
from tap_braze_dau.storage.scratch import scratch_folder

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # noqa: S105 - a fake, to catch leaks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s3://bucket/a/prefix/", Location("s3", "bucket", "a/prefix")),
        ("s3://bucket", Location("s3", "bucket", "")),
        ("gs://b/currents", Location("gs", "b", "currents")),
        ("az://container/p", Location("az", "container", "p")),
        ("azure://container/p", Location("az", "container", "p")),
        ("file:///srv/currents", Location("file", "/srv/currents")),
        ("/srv/currents", Location("file", "/srv/currents")),
    ],
)
def test_urls_and_folders(text: str, expected: Location) -> None:
    assert parse_location(text, "currents_url") == expected


def test_a_relative_path_is_a_folder_from_here() -> None:
    assert parse_location("currents", "currents_url") == Location(
        "file", str(Path("currents").resolve())
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("http://example.com/x", "http:// is not a store"),
        ("s3://", "no bucket"),
        ("s3://key:secret@bucket/p", "only the bucket and prefix"),
        ("s3://bucket/p?x=1", "only the bucket and prefix"),
        ("", "expected a URL"),
        ("file://host/p", "local folder"),
    ],
)
def test_a_bad_url_is_named(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as error:
        parse_location(text, "currents_url")
    assert str(error.value).startswith("currents_url:")
    assert "secret" not in str(error.value)


S3 = Location("s3", "bucket", "p")


def test_s3_options_by_their_names_and_aliases() -> None:
    options, problems = check_storage_options(
        {
            "aws_access_key_id": "AKIA",
            "secret_access_key": SECRET,
            "region": "eu-west-1",
            "endpoint_url": "http://127.0.0.1:9000",
        },
        S3,
        "currents_storage_options",
    )
    assert problems == []
    assert options.config == {
        "aws_access_key_id": "AKIA",
        "aws_secret_access_key": SECRET,
        "aws_region": "eu-west-1",
        "aws_endpoint": "http://127.0.0.1:9000",
    }
    assert options.allow_http
    assert options.credentials_from == "currents_storage_options"
    assert SECRET in options.secrets


def test_without_credentials_they_come_from_the_environment_chain() -> None:
    options, problems = check_storage_options({"region": "eu-west-1"}, S3, "x", environ={})
    assert problems == []
    assert options.credentials_from == ENVIRONMENT_CHAIN


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"aws_secret": SECRET}, "'aws_secret' is not an option of s3:// stores"),
        ({"endpoint_url": "http://minio.internal:9000"}, "plain http only on a loopback host"),
        ({"endpoint_url": "ftp://127.0.0.1"}, "must be an http(s) URL"),
        ({"aws_secret_access_key": 12}, "must be a non-empty string"),
        ({"skip_signature": "yes"}, "must be true or false"),
    ],
)
def test_bad_options_are_named_never_quoting_a_secret(
    options: dict[str, object], says: str
) -> None:
    _options, problems = check_storage_options(options, S3, "currents_storage_options")
    assert len(problems) == 1
    assert says in problems[0]
    assert problems[0].startswith("currents_storage_options:")
    assert SECRET not in problems[0]


def test_gcs_options() -> None:
    options, problems = check_storage_options(
        {"service_account_json": '{"x": 1}', "service_account_path": "/k.json"},
        Location("gs", "b"),
        "o",
    )
    assert problems == []
    assert options.config == {
        "google_service_account_key": '{"x": 1}',
        "google_service_account": "/k.json",
    }


def test_an_azure_connection_string_is_read_and_never_quoted() -> None:
    text = (
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={SECRET};"
        "EndpointSuffix=core.windows.net"
    )
    options, problems = check_storage_options({"connection_string": text}, Location("az", "c"), "o")
    assert problems == []
    assert options.config == {
        "azure_storage_account_name": "acct",
        "azure_storage_account_key": SECRET,
    }
    assert SECRET in options.secrets
    _options, problems = check_storage_options(
        {"connection_string": f"AccountKey={SECRET}"}, Location("az", "c"), "o"
    )
    assert problems == ["o: connection_string has no AccountName"]


def test_a_local_folder_takes_no_options() -> None:
    _options, problems = check_storage_options({"region": "x"}, Location("file", "/tmp"), "o")
    assert problems == ["o: a local folder takes no options (got 'region')"]


def test_the_repr_of_options_holds_no_secret() -> None:
    options, _problems = check_storage_options(
        {"aws_access_key_id": "AKIA", "aws_secret_access_key": SECRET}, S3, "o", environ={}
    )
    assert SECRET not in repr(options)
    assert "AKIA" in repr(options)
    assert SECRET not in repr(StorageOptions({"azure_storage_account_key": SECRET}))


# -- S3: the AWS CLI's shared files (~/.aws/credentials, ~/.aws/config) ----------------------

TOKEN = "FwoGZXIvYXdzEXAMPLE-session-token-0123456789"  # noqa: S105 - a fake


def home(
    tmp_path: Path, credentials: str | None = None, config: str | None = None
) -> dict[str, str]:
    """An environment whose home is `tmp_path`, with those shared files in ~/.aws."""
    aws = tmp_path / ".aws"
    aws.mkdir(exist_ok=True)
    if credentials is not None:
        (aws / "credentials").write_text(dedent(credentials))
    if config is not None:
        (aws / "config").write_text(dedent(config))
    return {"HOME": str(tmp_path)}


CREDENTIALS = f"""\
    [default]
    aws_access_key_id = AKIADEFAULT
    aws_secret_access_key = {SECRET}-default

    [dev]
    aws_access_key_id = AKIADEV
    aws_secret_access_key = {SECRET}
    aws_session_token = {TOKEN}
    """
CONFIG = """\
    [default]
    region = us-west-2

    [profile dev]
    region = eu-central-1
    output = json
    s3 =
      max_concurrent_requests = 20
    """


def from_files(env: dict[str, str], options: dict[str, object] | None = None) -> StorageOptions:
    checked, problems = check_storage_options(options, S3, "currents_storage_options", environ=env)
    assert problems == []
    assert SECRET not in checked.credentials_from
    assert SECRET not in repr(checked)
    assert TOKEN not in repr(checked)
    return checked


def test_without_a_profile_the_default_one_is_read(tmp_path: Path) -> None:
    options = from_files(home(tmp_path, CREDENTIALS, CONFIG))
    assert options.config == {
        "aws_access_key_id": "AKIADEFAULT",
        "aws_secret_access_key": f"{SECRET}-default",
        "aws_region": "us-west-2",
    }
    assert options.credentials_from == (
        "the provider's environment chain (profile 'default' in ~/.aws/credentials)"
    )
    assert options.secrets == (f"{SECRET}-default",)


def test_aws_profile_picks_the_profile_with_its_session_token_and_region(
    tmp_path: Path,
) -> None:
    options = from_files({**home(tmp_path, CREDENTIALS, CONFIG), "AWS_PROFILE": "dev"})
    assert options.config == {
        "aws_access_key_id": "AKIADEV",
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
        "aws_region": "eu-central-1",
    }
    assert set(options.secrets) == {SECRET, TOKEN}
    assert "profile 'dev' in ~/.aws/credentials" in options.credentials_from


@pytest.mark.parametrize(
    ("env", "profile"),
    [
        ({}, "default"),
        ({"AWS_DEFAULT_PROFILE": "dev"}, "dev"),
        ({"AWS_PROFILE": "dev", "AWS_DEFAULT_PROFILE": "other"}, "dev"),
        ({"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "dev"}, "dev"),
    ],
)
def test_which_profile(env: dict[str, str], profile: str) -> None:
    assert profile_name(env) == profile


def test_keys_in_the_environment_come_before_the_files(tmp_path: Path) -> None:
    env = {**home(tmp_path, CREDENTIALS, CONFIG), "AWS_PROFILE": "dev"}
    options = from_files({**env, "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "x"})
    assert options.config == {"aws_region": "eu-central-1"}  # the region still comes
    assert options.credentials_from == ENVIRONMENT_CHAIN
    assert options.secrets == ()
    web_identity = {"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": "arn:x"}
    assert from_files({**env, **web_identity}).config == {"aws_region": "eu-central-1"}


def test_a_region_in_the_environment_comes_before_the_files(tmp_path: Path) -> None:
    env = home(tmp_path, CREDENTIALS, CONFIG)
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        options = from_files({**env, variable: "ap-south-1"})
        assert "aws_region" not in options.config
        assert options.config["aws_access_key_id"] == "AKIADEFAULT"


def test_the_options_come_before_the_files(tmp_path: Path) -> None:
    env = {**home(tmp_path, CREDENTIALS, CONFIG), "AWS_PROFILE": "dev"}
    options = from_files(env, {"aws_access_key_id": "AKIAOPT", "aws_secret_access_key": "s3cr"})
    assert options.config == {
        "aws_access_key_id": "AKIAOPT",
        "aws_secret_access_key": "s3cr",
        "aws_region": "eu-central-1",  # not in the options: the profile's
    }
    assert options.credentials_from == "currents_storage_options"
    assert options.secrets == ("s3cr",)
    options = from_files(env, {"region": "us-east-1"})
    assert options.config["aws_region"] == "us-east-1"
    assert options.config["aws_access_key_id"] == "AKIADEV"
    # a public bucket: no keys, from anywhere
    options = from_files(env, {"skip_signature": True})
    assert "aws_access_key_id" not in options.config


def test_keys_may_be_in_the_config_file(tmp_path: Path) -> None:
    config = f"""\
        [profile dev]
        region = eu-central-1
        aws_access_key_id = AKIACONFIG
        aws_secret_access_key = {SECRET}
        aws_security_token = {TOKEN}
        """
    options = from_files({**home(tmp_path, config=config), "AWS_PROFILE": "dev"})
    assert options.config == {
        "aws_access_key_id": "AKIACONFIG",
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
        "aws_region": "eu-central-1",
    }
    assert "profile 'dev' in ~/.aws/config" in options.credentials_from


def test_the_credentials_file_comes_before_the_config_file(tmp_path: Path) -> None:
    config = """\
        [default]
        aws_access_key_id = AKIACONFIG
        aws_secret_access_key = other-secret
        """
    options = from_files(home(tmp_path, CREDENTIALS, config))
    assert options.config["aws_access_key_id"] == "AKIADEFAULT"
    assert "aws_region" not in options.config


def test_the_files_the_environment_names(tmp_path: Path) -> None:
    credentials = tmp_path / "elsewhere" / "creds"
    credentials.parent.mkdir()
    credentials.write_text(dedent(CREDENTIALS))
    (tmp_path / "cfg").write_text(dedent(CONFIG))
    options = from_files(
        {
            "HOME": str(tmp_path),
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            "AWS_CONFIG_FILE": "~/cfg",
            "AWS_PROFILE": "dev",
        }
    )
    assert options.config["aws_access_key_id"] == "AKIADEV"
    assert options.config["aws_region"] == "eu-central-1"
    assert f"profile 'dev' in {credentials}" in options.credentials_from


def test_without_files_nothing_is_added(tmp_path: Path) -> None:
    for env in ({"HOME": str(tmp_path)}, {}, {"AWS_SHARED_CREDENTIALS_FILE": "/no/such/file"}):
        options = from_files(env)
        assert options.config == {}
        assert options.credentials_from == ENVIRONMENT_CHAIN
        assert options.secrets == ()


def test_a_profile_with_only_a_region_says_nothing(tmp_path: Path) -> None:
    """An instance whose role gives the keys, and ~/.aws/config the region."""
    options = from_files(home(tmp_path, config=CONFIG))
    assert options.config == {"aws_region": "us-west-2"}
    assert options.credentials_from == ENVIRONMENT_CHAIN


def test_other_stores_never_read_them(tmp_path: Path) -> None:
    env = home(tmp_path, CREDENTIALS, CONFIG)
    options, _problems = check_storage_options({}, Location("gs", "b"), "o", environ=env)
    assert options.config == {}
    assert options.secrets == ()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"aws_access_key_id = AKIA\naws_secret_access_key = {SECRET}\n", "is not an INI file"),
        (f"[default]\naws_access_key_id = AKIA\n{SECRET}\n", "is not an INI file"),
        (b"[default]\naws_access_key_id = \xff\xfe\n", "is not UTF-8 text"),
        (None, "could not be read"),  # a folder where the file should be
    ],
)
def test_a_broken_file_is_named_and_ignored(
    tmp_path: Path, text: str | bytes | None, says: str
) -> None:
    env = home(tmp_path, config=CONFIG)
    path = tmp_path / ".aws" / "credentials"
    if text is None:
        path.mkdir()
    elif isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    options = from_files(env)
    assert options.config == {"aws_region": "us-west-2"}
    assert options.credentials_from.startswith(f"{ENVIRONMENT_CHAIN}; ~/.aws/credentials {says}")
    assert options.credentials_from.endswith(", ignored")
    assert ";" not in options.credentials_from.split("; ", 1)[1]  # that note alone
    assert options.secrets == ()


@pytest.mark.parametrize(
    ("env", "credentials", "says"),
    [
        (
            {"AWS_PROFILE": "prod"},
            CREDENTIALS,
            "profile 'prod' is in neither ~/.aws/credentials nor ~/.aws/config",
        ),
        (
            {"AWS_PROFILE": "role"},
            "[role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n",
            "profile 'role' in ~/.aws/credentials uses role_arn, source_profile, which the "
            "tap does not read (only keys)",
        ),
        (
            {},
            f"[default]\naws_secret_access_key = {SECRET}\n",
            "profile 'default' in ~/.aws/credentials has aws_secret_access_key but no "
            "aws_access_key_id, ignored",
        ),
    ],
)
def test_a_profile_without_keys_is_said(
    tmp_path: Path, env: dict[str, str], credentials: str, says: str
) -> None:
    options = from_files({**home(tmp_path, credentials), **env})
    assert "aws_access_key_id" not in options.config
    assert options.credentials_from.startswith(f"{ENVIRONMENT_CHAIN}; ")
    assert says in options.credentials_from


def test_the_scratch_folder_leaves_nothing_and_takes_only_a_private_root(tmp_path: Path) -> None:
    root = tmp_path / "tap-braze-dau-scratch"
    with scratch_folder(root) as folder:
        (folder / "download.avro").write_bytes(b"x")
        assert folder.parent == root
    assert not root.exists()  # the root too, once empty
    root.mkdir(mode=0o755)  # made by someone else, or open to others
    root.chmod(0o755)
    (root / "theirs").write_bytes(b"")  # not empty, so not removed as a leftover
    with pytest.raises(StorageError, match="not this user's private folder"), scratch_folder(root):
        pass
    (root / "theirs").unlink()
    root.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    root.symlink_to(elsewhere)  # a link by its name
    with pytest.raises(StorageError, match=str(root)), scratch_folder(root):
        pass
    assert list(elsewhere.iterdir()) == []
