"""Where files are and how to read them: URLs and storage options, checked. Pure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tap_braze_dau.storage.location import Location, parse_location
from tap_braze_dau.storage.options import ENVIRONMENT_CHAIN, check_storage_options

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
    options, problems = check_storage_options({"region": "eu-west-1"}, S3, "x")
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
