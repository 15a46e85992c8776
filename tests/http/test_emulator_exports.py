"""The emulator's user-data endpoints behave as Braze documents them: the segment export
and its download host, the email suppression lists, segment details, Content Blocks and
email templates. The tap's export streams stand on them."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import obstore
import pytest
import requests
from obstore.store import MemoryStore

from braze_emulator import (
    EXPORTABLE_FIELDS,
    SAMPLE_ONLY_FIELDS,
    USER_DATA_STREAMS,
    BrazeEmulator,
    ContentBlock,
    EmailTemplate,
    Export,
    Fault,
    Segment,
    many_suppressions,
    many_users,
)
from tests.helpers import ROOT

KEY = "emulator-exports-test-key"
UTC = dt.timezone.utc
PREFIX = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}-\d{10}$")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> Any:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


SEGMENTS = {
    "seg-a": Segment(
        "Power users",
        dt.date(2024, 2, 1),
        tags=("vip",),
        teams=("Growth",),
        text_description="Our best users",
    ),
    "seg-b": Segment("Lapsed", dt.date(2024, 1, 1), created_at=at(2023, 12, 1, 8)),
}
BLOCKS = {
    "cb-1": ContentBlock("footer", "<p>Bye</p>", at(2024, 1, 1), at(2024, 3, 1, 12), tags=("x",)),
    "cb-2": ContentBlock("header", "Hello", at(2024, 1, 2), at(2024, 2, 1), content_type="text"),
    "cb-3": ContentBlock("promo", "<b>50%</b>", at(2024, 1, 3), at(2024, 3, 1, 12)),
    "cb-gone": ContentBlock("old", "x", at(2023, 1, 1), at(2024, 2, 15), deleted=True),
}
TEMPLATES = {
    "tpl-1": EmailTemplate(
        "Welcome",
        "Hi!",
        "<html><body><h1>Hello</h1> <p>there</p></body></html>",
        at(2024, 1, 1),
        at(2024, 4, 1),
        tags=("onboarding",),
        description="The first email",
        preheader="Glad you came",
    ),
    "tpl-dnd": EmailTemplate(
        "Newsletter", "News", "", at(2024, 1, 5), at(2024, 2, 1), drag_and_drop=True
    ),
}


def emulator(**overrides: Any) -> BrazeEmulator:
    settings: dict[str, Any] = {
        "api_key": KEY,
        "segments": SEGMENTS,
        "users": {"seg-a": many_users(23, segment_id="seg-a"), "seg-b": many_users(3, seed=1)},
        "content_blocks": BLOCKS,
        "email_templates": TEMPLATES,
        "export_delay": 0.2,
        "users_per_file": 5,
    }
    settings.update(overrides)
    return BrazeEmulator(**settings)


@pytest.fixture
def braze() -> Iterator[BrazeEmulator]:
    with emulator() as b:
        yield b


def get(
    braze: BrazeEmulator, path: str, key: str | None = KEY, /, **params: str | int
) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.get(f"{braze.url}{path}", params=params, headers=headers, timeout=10)


def export(braze: BrazeEmulator, key: str | None = KEY, /, **body: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body.setdefault("segment_id", "seg-a")
    body.setdefault("fields_to_export", ["external_id", "email", "apps"])
    return requests.post(
        f"{braze.url}/users/export/segment", json=body, headers=headers, timeout=10
    )


def download_when(url: str, status: int, timeout: float = 10.0) -> requests.Response:
    """Poll the download URL until it answers `status`."""
    deadline = time.monotonic() + timeout
    while True:
        answer = requests.get(url, timeout=10)
        if answer.status_code == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.01)


def ndjson(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines() if line]


def the_export(braze: BrazeEmulator, object_prefix: str) -> Export:
    (found,) = [e for e in braze.exports if e.object_prefix == object_prefix]
    return found


# -- POST /users/export/segment ---------------------------------------------------------------


def test_an_export_answers_its_object_prefix_and_a_presigned_url(braze: BrazeEmulator) -> None:
    answer = export(braze)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["message"] == "success"
    assert PREFIX.match(body["object_prefix"])
    assert abs(int(body["object_prefix"].rsplit("-", 1)[1]) - time.time()) < 60
    url = body["url"]
    assert url.startswith(f"{braze.download_url}/exports/{body['object_prefix']}.zip?")
    assert re.search(r"X-Amz-Signature=[0-9a-f]{64}", url)
    assert "X-Amz-Expires=14400" in url
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(
        answer.headers
    )
    (logged,) = braze.requests
    assert (logged.stream, logged.pool, logged.status, logged.dimension) == (
        "users",
        "default",
        200,
        "seg-a",
    )
    (made,) = braze.exports
    assert (made.segment, made.object_prefix, made.url) == ("seg-a", body["object_prefix"], url)
    assert made.fields == ("external_id", "email", "apps")
    assert made.ready_at is None  # 0.2 s to go


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"segment_id": None}, "segment_id is required"),
        ({"fields_to_export": None}, "fields_to_export is required"),
        ({"fields_to_export": []}, "fields_to_export must be a non-empty array"),
        ({"fields_to_export": ["email", "shoe_size"]}, "invalid field: shoe_size"),
        ({"fields_to_export": ["campaigns_received"]}, "invalid field: campaigns_received"),
        ({"output_format": "tar"}, "output_format must be one of zip, gzip"),
        ({"custom_attributes_to_export": "visits"}, "custom_attributes_to_export must be"),
        ({"segment_id": "seg-nope"}, "Segment seg-nope not found"),
    ],
)
def test_a_bad_export_request_is_a_400_with_a_message(
    braze: BrazeEmulator, body: dict[str, Any], message: str
) -> None:
    sent = {"segment_id": "seg-a", "fields_to_export": ["email"], **body}
    sent = {k: v for k, v in sent.items() if v is not None}
    answer = requests.post(
        f"{braze.url}/users/export/segment",
        json=sent,
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert message in answer.json()["message"]
    assert braze.exports == []


def test_a_body_that_is_not_a_json_object_is_a_400(braze: BrazeEmulator) -> None:
    for data in (b"not json", b"[1, 2]", b""):
        answer = requests.post(
            f"{braze.url}/users/export/segment",
            data=data,
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
        )
        assert answer.status_code == 400
        assert answer.json()["message"]


def test_the_export_is_only_a_post_and_the_control_api_still_works(braze: BrazeEmulator) -> None:
    assert get(braze, "/users/export/segment").status_code == 405
    assert requests.post(f"{braze.url}/_emulator/clear", timeout=10).status_code == 200
    assert braze.requests == []


def test_auth_and_permission_apply_to_the_export() -> None:
    with emulator(permissions={"email.hard_bounces"}) as braze:
        assert export(braze, None).status_code == 401
        assert export(braze, "wrong").status_code == 401
        assert export(braze).status_code == 403
        assert get(braze, "/email/hard_bounces", email="a@b.c").status_code == 200
        assert get(braze, "/segments/details", segment_id="seg-a").status_code == 403
        assert braze.exports == []


def test_a_second_export_of_a_running_segment_is_a_429_with_the_pools_reset() -> None:
    with emulator(export_delay=30.0) as braze:
        assert export(braze).status_code == 200
        second = export(braze, fields_to_export=["email"])
        assert second.status_code == 429
        assert second.json()["message"]
        reset = int(second.headers["X-RateLimit-Reset"])
        assert reset % 3600 == 0  # the default pool's next hour, not the export's end
        assert reset != round(braze.exports[0].due_at)
        assert int(second.headers["X-RateLimit-Remaining"]) == 250_000 - 2
        assert braze.requests[-1].status == 429
        assert braze.requests[-1].reset_sent == reset
        assert export(braze, segment_id="seg-b").status_code == 200  # another segment
        assert len(braze.exports) == 2


# -- the download host --------------------------------------------------------------------------


def test_the_url_is_403_until_ready_then_a_zip_of_ndjson_members_with_the_asked_fields(
    braze: BrazeEmulator,
) -> None:
    fields = ["external_id", "email", "apps", "created_at"]
    body = export(braze, fields_to_export=fields).json()
    first = requests.get(body["url"], timeout=10)
    assert first.status_code == 403
    assert "<Code>AccessDenied</Code>" in first.text
    assert first.headers["Content-Type"] == "application/xml"
    answer = download_when(body["url"], 200)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/zip"
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    made = the_export(braze, body["object_prefix"])
    assert made.ready_at is not None
    assert made.ready_at >= made.due_at
    # the log's timings: every 403 came before the export was ready, the 200 after
    log = braze.download_requests
    assert [r.status for r in log] == [403] * (len(log) - 1) + [200]
    assert all(r.arrived < made.ready_at for r in log[:-1])
    assert log[-1].arrived >= made.ready_at
    assert log[-1].bytes_sent == len(answer.content)
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        members = [ndjson(archive.read(name)) for name in names]
    assert len(names) == 5  # 23 users, 5 a member
    assert [len(m) for m in members] == [5, 5, 5, 5, 3]
    exported = [profile for member in members for profile in member]
    users = braze.users["seg-a"]
    for profile, user in zip(exported, users, strict=True):
        wanted = [k for k in user if k in fields or k in SAMPLE_ONLY_FIELDS]
        assert list(profile) == wanted  # the profile's own order, absent fields absent
        assert profile == {k: user[k] for k in wanted}
    assert any(set(SAMPLE_ONLY_FIELDS) & set(p) for p in exported)  # sent unasked


def test_custom_attributes_to_export_picks_attributes(braze: BrazeEmulator) -> None:
    body = export(
        braze, fields_to_export=["braze_id"], custom_attributes_to_export=["visits", "plan"]
    ).json()
    with zipfile.ZipFile(io.BytesIO(download_when(body["url"], 200).content)) as archive:
        profiles = [p for name in archive.namelist() for p in ndjson(archive.read(name))]
    for profile, user in zip(profiles, braze.users["seg-a"], strict=True):
        chosen = {k: v for k, v in user["custom_attributes"].items() if k in {"visits", "plan"}}
        assert profile["custom_attributes"] == chosen
        assert isinstance(profile["custom_attributes"]["visits"], int)


def test_the_url_expires(braze: BrazeEmulator) -> None:
    braze.export_delay = 0.05
    braze.export_expires_after = 0.3
    body = export(braze).json()
    assert download_when(body["url"], 200).status_code == 200
    expired = download_when(body["url"], 403)
    assert expired.status_code == 403
    assert "<Message>Request has expired</Message>" in expired.text
    made = the_export(braze, body["object_prefix"])
    assert made.ready_at is not None
    assert braze.download_requests[-1].arrived >= made.ready_at + 0.3
    # a new export of the segment is allowed: the old one is done
    assert export(braze).status_code == 200


def test_a_failed_export_never_becomes_ready(braze: BrazeEmulator) -> None:
    braze.export_delay = 0.05
    braze.fail_export("seg-a")
    body = export(braze).json()
    made = the_export(braze, body["object_prefix"])
    while time.time() < made.due_at + 0.2:  # well past when it was due
        time.sleep(0.02)
    answer = requests.get(body["url"], timeout=10)
    assert answer.status_code == 403
    assert "AccessDenied" in answer.text
    assert made.ready_at is None
    assert made.failed
    assert not braze.wait_for_export(made, timeout=0.1)
    # only the next export failed, and the failed one no longer holds the segment
    again = export(braze).json()
    assert download_when(again["url"], 200).status_code == 200


def test_the_download_log_records_the_authorization_header_only_when_sent(
    braze: BrazeEmulator,
) -> None:
    braze.export_delay = 0.0
    url = export(braze).json()["url"]
    download_when(url, 200)
    requests.get(url, headers={"Authorization": "Bearer leaked", "User-Agent": "t/1"}, timeout=10)
    log = braze.download_requests
    assert all(r.authorization is None for r in log[:-1])
    assert log[-1].authorization == "Bearer leaked"
    assert log[-1].user_agent == "t/1"
    assert all(r.query["X-Amz-Expires"] == "14400" for r in log)
    assert all(KEY not in (r.authorization or "") for r in log)


def test_a_wrong_signature_and_an_unknown_path_are_refused(braze: BrazeEmulator) -> None:
    braze.export_delay = 0.0
    url = export(braze).json()["url"]
    download_when(url, 200)
    forged = re.sub(r"X-Amz-Signature=[0-9a-f]+", "X-Amz-Signature=00", url)
    answer = requests.get(forged, timeout=10)
    assert (answer.status_code, "SignatureDoesNotMatch" in answer.text) == (403, True)
    answer = requests.get(url.split("?")[0], timeout=10)
    assert answer.status_code == 403
    answer = requests.get(f"{braze.download_url}/exports/nothing.zip", timeout=10)
    assert (answer.status_code, "NoSuchKey" in answer.text) == (404, True)
    assert [r.status for r in braze.download_requests][-3:] == [403, 403, 404]


def test_faults_apply_on_the_download_host(braze: BrazeEmulator) -> None:
    braze.export_delay = 0.0
    url = export(braze).json()["url"]
    download_when(url, 200)
    braze.add_fault(Fault("status", status=503, stream="users_download"))
    braze.add_fault(Fault("truncate", stream="users_download"))
    assert requests.get(url, timeout=10).status_code == 503
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(url, timeout=10)
    assert requests.get(url, timeout=10).status_code == 200
    assert [r.fault for r in braze.download_requests][-3:] == ["status", "truncate", None]


# -- bucket mode --------------------------------------------------------------------------------


def wait_ready(braze: BrazeEmulator, object_prefix: str) -> Export:
    made = the_export(braze, object_prefix)
    assert braze.wait_for_export(made), made.error
    return made


@pytest.mark.parametrize("output_format", ["zip", "gzip"])
def test_bucket_mode_writes_the_files_one_by_one_into_a_folder(
    tmp_path: Path, output_format: str
) -> None:
    with emulator(export_bucket=tmp_path, export_delay=0.3) as braze:
        answer = export(braze, fields_to_export=["braze_id"], output_format=output_format)
        body = answer.json()
        assert answer.status_code == 200
        assert body["url"] is None
        made = wait_ready(braze, body["object_prefix"])
    today = dt.datetime.now(UTC).date().isoformat()
    folder = tmp_path / "segment-export" / "seg-a" / today / body["object_prefix"]
    suffix = ".zip" if output_format == "zip" else ".gz"
    files = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime_ns)
    assert len(files) == 5
    assert all(re.fullmatch(r"[0-9a-f]{32}" + re.escape(suffix), f.name) for f in files)
    assert [str(f.relative_to(tmp_path)) for f in files] == made.keys
    # written one after another over about half the delay
    assert made.ready_at is not None
    assert made.ready_at - made.due_at >= 0.9 * 0.15
    profiles = []
    for file in files:
        if output_format == "gzip":
            profiles += ndjson(gzip.decompress(file.read_bytes()))
        else:
            with zipfile.ZipFile(file) as archive:
                (name,) = archive.namelist()
                profiles += ndjson(archive.read(name))
    assert sorted(p["braze_id"] for p in profiles) == sorted(
        u["braze_id"] for u in braze.users["seg-a"]
    )


def test_bucket_mode_puts_the_files_into_an_obstore_store() -> None:
    store = MemoryStore()
    with emulator(export_bucket=store, export_delay=0.0, users_per_file=10) as braze:
        body = export(braze).json()
        made = wait_ready(braze, body["object_prefix"])
    listed = [
        item["path"] for batch in obstore.list(store, "segment-export/seg-a/") for item in batch
    ]
    assert sorted(listed) == sorted(made.keys)
    assert len(listed) == 3
    assert all(f"/{body['object_prefix']}/" in key for key in listed)


# -- /email/hard_bounces and /email/unsubscribes ---------------------------------------------


def test_suppression_lists_page_by_limit_and_offset_until_a_short_page() -> None:
    bounces = many_suppressions(230, at(2024, 1, 1), at(2024, 6, 30, 23, 59, 59))
    with emulator(hard_bounces=bounces) as braze:
        pages = []
        offset = 0
        while True:
            answer = get(
                braze,
                "/email/hard_bounces",
                start_date="2024-01-01",
                end_date="2024-07-01",
                limit=100,
                offset=offset,
            )
            assert answer.status_code == 200
            rows = answer.json()["emails"]
            pages.append(len(rows))
            offset += len(rows)
            if len(rows) < 100:
                break
        assert pages == [100, 100, 30]
        expected = braze.expected_hard_bounces(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
        got = [
            row
            for start in (0, 100, 200)
            for row in get(
                braze,
                "/email/hard_bounces",
                start_date="2024-01-01",
                end_date="2024-07-01",
                limit=100,
                offset=start,
            ).json()["emails"]
        ]
        assert got == expected
        assert len(expected) == 230
        keys = [(row["hard_bounced_at"], row["email"]) for row in got]
        assert keys == sorted(
            keys, key=lambda k: (-dt.datetime.fromisoformat(k[0][:-1]).timestamp(), k[1])
        )
        assert all(row["hard_bounced_at"].endswith("Z") for row in got)
        logged = braze.requests[0]
        assert (logged.stream, logged.first_day, logged.last_day) == (
            "email_hard_bounces",
            "2024-01-01",
            "2024-07-01",
        )


EDGES = [
    ("a@x.com", at(2024, 3, 1)),  # the start: counted
    ("b@x.com", at(2024, 3, 9, 23, 59, 59)),
    ("c@x.com", at(2024, 3, 10)),  # end_date's midnight
    ("d@x.com", at(2024, 3, 10, 12)),  # within end_date's day
    ("e@x.com", at(2024, 3, 11)),  # after it
    ("f@x.com", at(2024, 2, 29, 23, 59, 59)),  # before the start
]


@pytest.mark.parametrize(("inclusive", "emails"), [(False, "ba"), (True, "dcba")])
@pytest.mark.parametrize("path", ["/email/hard_bounces", "/email/unsubscribes"])
def test_both_readings_of_end_date(inclusive: bool, emails: str, path: str) -> None:
    with emulator(
        hard_bounces=EDGES, unsubscribes=EDGES, suppression_end_inclusive=inclusive
    ) as braze:
        answer = get(braze, path, start_date="2024-03-01", end_date="2024-03-10")
        assert [row["email"][0] for row in answer.json()["emails"]] == list(emails)
        column = "hard_bounced_at" if "hard" in path else "unsubscribed_at"
        assert answer.json()["emails"][-1] == {"email": "a@x.com", column: "2024-03-01T00:00:00Z"}
    # what a sync of the days 2024-03-01..2024-03-10 must deliver, either way
    assert [
        r["email"] for r in braze.expected_unsubscribes(dt.date(2024, 3, 1), dt.date(2024, 3, 10))
    ] == [
        "d@x.com",
        "c@x.com",
        "b@x.com",
        "a@x.com",
    ]


def test_unsubscribes_sort_either_way_and_ties_go_by_email() -> None:
    tied = [("z@x.com", at(2024, 3, 5)), ("m@x.com", at(2024, 3, 5)), ("a@x.com", at(2024, 3, 2))]
    with emulator(unsubscribes=tied, hard_bounces=tied) as braze:
        dates = {"start_date": "2024-03-01", "end_date": "2024-04-01"}
        rows = get(braze, "/email/unsubscribes", **dates).json()["emails"]
        assert [r["email"] for r in rows] == ["m@x.com", "z@x.com", "a@x.com"]
        rows = get(braze, "/email/unsubscribes", sort_direction="asc", **dates).json()["emails"]
        assert [r["email"] for r in rows] == ["a@x.com", "m@x.com", "z@x.com"]
        # hard bounces are always newest first
        rows = get(braze, "/email/hard_bounces", sort_direction="asc", **dates).json()["emails"]
        assert [r["email"] for r in rows] == ["m@x.com", "z@x.com", "a@x.com"]


def test_an_email_lookup_ignores_the_range(braze: BrazeEmulator) -> None:
    braze.hard_bounces = list(EDGES)
    rows = get(braze, "/email/hard_bounces", email=" E@X.com", start_date="2020-01-01").json()
    assert rows["emails"] == [{"email": "e@x.com", "hard_bounced_at": "2024-03-11T00:00:00Z"}]
    assert get(braze, "/email/hard_bounces", email="e@x.com", offset=1).json()["emails"] == []
    assert get(braze, "/email/hard_bounces", email="nobody@x.com").json()["emails"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2024-03-01"},
        {"end_date": "2024-03-01"},
        {"start_date": "2024-03-02", "end_date": "2024-03-02"},
        {"start_date": "2024-03-03", "end_date": "2024-03-02"},
        {"start_date": "2024-03-01", "end_date": "2024-03-2"},
        {"start_date": "2024-03-01", "end_date": "2024-04-01", "limit": "501"},
        {"start_date": "2024-03-01", "end_date": "2024-04-01", "limit": "0"},
        {"start_date": "2024-03-01", "end_date": "2024-04-01", "offset": "-1"},
    ],
)
def test_bad_suppression_parameters_are_a_400(braze: BrazeEmulator, params: dict[str, str]) -> None:
    answer = get(braze, "/email/hard_bounces", **params)
    assert answer.status_code == 400
    assert answer.json()["message"]
    assert (
        get(braze, "/email/unsubscribes", sort_direction="up", email="a@x.com").status_code == 400
    )


def test_faults_apply_to_the_user_data_endpoints(braze: BrazeEmulator) -> None:
    braze.add_fault(Fault("status", status=503, stream="email_unsubscribes"))
    braze.add_fault(Fault("status", status=500, stream="users", dimension="seg-b"))
    assert get(braze, "/email/unsubscribes", email="a@x.com").status_code == 503
    assert get(braze, "/email/unsubscribes", email="a@x.com").status_code == 200
    assert export(braze, segment_id="seg-b").status_code == 500
    assert braze.exports == []  # a refused request started nothing
    assert [r.fault for r in braze.requests] == ["status", None, "status"]


# -- /segments/details ----------------------------------------------------------------------


def test_segment_details_and_a_deleted_segment(braze: BrazeEmulator) -> None:
    answer = get(braze, "/segments/details", segment_id="seg-a")
    assert answer.status_code == 200
    assert answer.json() == {
        "message": "success",
        "created_at": "2024-02-01T09:00:00+00:00",
        "updated_at": "2024-02-02T15:00:00+00:00",
        "name": "Power users",
        "description": "Users matching the filters of Power users",
        "text_description": "Our best users",
        "tags": ["vip"],
        "teams": ["Growth"],
    }
    assert get(braze, "/segments/details", segment_id="seg-b").json()["created_at"] == (
        "2023-12-01T08:00:00+00:00"
    )
    braze.delete("seg-b")
    for segment_id in ("seg-b", "seg-nope"):
        answer = get(braze, "/segments/details", segment_id=segment_id)
        assert (answer.status_code, answer.json()) == (
            404,
            {"message": f"Segment {segment_id} not found"},
        )
    assert get(braze, "/segments/details").status_code == 400
    assert braze.requests[0].stream == "segment_details"


# -- Content Blocks and email templates ---------------------------------------------------------


def test_content_blocks_list_filters_pages_and_hides_deleted_ones(braze: BrazeEmulator) -> None:
    body = get(braze, "/content_blocks/list").json()
    assert body["count"] == 3
    assert body["message"] == "success"
    assert [b["content_block_id"] for b in body["content_blocks"]] == ["cb-2", "cb-1", "cb-3"]
    assert body["content_blocks"][1] == {
        "content_block_id": "cb-1",
        "name": "footer",
        "content_type": "html",
        "liquid_tag": "{{content_blocks.${footer}}}",
        "inclusion_count": body["content_blocks"][1]["inclusion_count"],
        "created_at": "2024-01-01T00:00:00+00:00",
        "last_edited": "2024-03-01T12:00:00+00:00",
        "tags": ["x"],
    }
    # inclusive bounds, then limit and offset over what matches
    inclusive = {"modified_after": "2024-02-01T00:00:00", "modified_before": "2024-03-01T12:00:00Z"}
    assert get(braze, "/content_blocks/list", **inclusive).json()["count"] == 3
    later = get(braze, "/content_blocks/list", modified_after="2024-02-01T00:00:01Z").json()
    assert [b["content_block_id"] for b in later["content_blocks"]] == ["cb-1", "cb-3"]
    page = get(braze, "/content_blocks/list", limit=1, offset=1).json()
    assert (page["count"], [b["content_block_id"] for b in page["content_blocks"]]) == (3, ["cb-1"])
    for params in ({"limit": "0"}, {"limit": "1001"}, {"offset": "-1"}, {"modified_after": "x"}):
        assert get(braze, "/content_blocks/list", **params).status_code == 400
    swapped = {"modified_after": "2024-03-01", "modified_before": "2024-02-01"}
    assert get(braze, "/content_blocks/list", **swapped).status_code == 400


def test_content_block_info(braze: BrazeEmulator) -> None:
    body = get(braze, "/content_blocks/info", content_block_id="cb-1").json()
    assert body["content"] == "<p>Bye</p>"
    assert body["message"] == "success"
    assert "inclusion_data" not in body
    assert set(body) == {
        "content_block_id",
        "name",
        "content",
        "description",
        "content_type",
        "tags",
        "created_at",
        "last_edited",
        "inclusion_count",
        "message",
    }
    asked = get(
        braze, "/content_blocks/info", content_block_id="cb-1", include_inclusion_data="true"
    )
    assert len(asked.json()["inclusion_data"]) == body["inclusion_count"]
    unknown = get(braze, "/content_blocks/info", content_block_id="cb-nope")
    assert unknown.status_code == 400
    assert "is invalid for this workspace" in unknown.json()["message"]
    gone = get(braze, "/content_blocks/info", content_block_id="cb-gone")
    assert (gone.status_code, gone.json()["message"]) == (
        400,
        "Content Block has been deleted—content not available",
    )
    assert get(braze, "/content_blocks/info").status_code == 400


def test_email_templates_list_and_info_and_the_drag_and_drop_refusal(braze: BrazeEmulator) -> None:
    body = get(braze, "/templates/email/list").json()
    assert body["count"] == 2
    assert [t["email_template_id"] for t in body["templates"]] == ["tpl-dnd", "tpl-1"]
    assert body["templates"][1] == {
        "email_template_id": "tpl-1",
        "template_name": "Welcome",
        "created_at": "2024-01-01T00:00:00+00:00",
        "updated_at": "2024-04-01T00:00:00+00:00",
        "tags": ["onboarding"],
    }
    since = get(braze, "/templates/email/list", modified_after="2024-03-01").json()
    assert [t["email_template_id"] for t in since["templates"]] == ["tpl-1"]
    info = get(braze, "/templates/email/info", email_template_id="tpl-1").json()
    assert info == {
        "email_template_id": "tpl-1",
        "template_name": "Welcome",
        "description": "The first email",
        "subject": "Hi!",
        "preheader": "Glad you came",
        "body": "<html><body><h1>Hello</h1> <p>there</p></body></html>",
        "plaintext_body": "Hello there",
        "should_inline_css": True,
        "tags": ["onboarding"],
        "created_at": "2024-01-01T00:00:00+00:00",
        "updated_at": "2024-04-01T00:00:00+00:00",
        "message": "success",
    }
    dnd = get(braze, "/templates/email/info", email_template_id="tpl-dnd")
    assert (dnd.status_code, dnd.json()) == (
        400,
        {"message": "Templates built with the drag & drop editor are not supported"},
    )
    assert get(braze, "/templates/email/info", email_template_id="nope").status_code == 400
    assert [r.stream for r in braze.requests] == [
        "email_templates",
        "email_templates",
        "email_template_info",
        "email_template_info",
        "email_template_info",
    ]


def test_captured_shapes_write_some_instants_with_z() -> None:
    blocks = {
        f"cb-{n}": ContentBlock(f"b{n}", "x", at(2024, 1, 1), at(2024, 2, n + 1)) for n in range(8)
    }
    with emulator(content_blocks=blocks, answer_shapes="captured") as braze:
        edited = [
            b["last_edited"] for b in get(braze, "/content_blocks/list").json()["content_blocks"]
        ]
        assert any(t.endswith("Z") for t in edited)
        assert any(t.endswith("+00:00") for t in edited)
        answer = export(braze, fields_to_export=["nope"])
        (error,) = answer.json()["errors"]
        assert error["parameters"] == ["fields_to_export"]


# -- the generators ---------------------------------------------------------------------------


def test_exportable_fields_are_the_docs_table() -> None:
    assert len(EXPORTABLE_FIELDS) == len(set(EXPORTABLE_FIELDS)) == 31
    assert {"created_from", "push_tokens", "user_aliases", "uninstalled_at"} <= set(
        EXPORTABLE_FIELDS
    )
    assert not set(SAMPLE_ONLY_FIELDS) & set(EXPORTABLE_FIELDS)
    assert set(USER_DATA_STREAMS) >= {"users", "email_hard_bounces", "segment_details"}


def test_many_users_is_deterministic_and_has_the_samples_contradictions() -> None:
    users = many_users(400)
    assert users == many_users(400)
    assert many_users(50) == users[:50]
    assert many_users(50, seed=1) != users[:50]
    ids = [u["braze_id"] for u in users]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{24}", i) for i in ids)
    seen = {key for user in users for key in user}
    assert set(EXPORTABLE_FIELDS) <= seen
    assert set(SAMPLE_ONLY_FIELDS) <= seen
    assert any(set(EXPORTABLE_FIELDS) - set(u) for u in users)  # empty fields left out
    created = [u["created_at"] for u in users]
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000 UTC", c) for c in created)
    assert any(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", c) for c in created)
    sessions = [a["sessions"] for u in users for a in u.get("apps", [])]
    assert any(isinstance(s, int) for s in sessions)
    assert any(isinstance(s, str) and s.isdigit() for s in sessions)
    assert "Eastern Time (US & Canada)" in {u["time_zone"] for u in users}
    assert {"M", "F", "O", "N", "P"} <= {u.get("gender") for u in users}
    emails = [u["email"] for u in users if "email" in u]
    assert any(e != e.strip() for e in emails)
    assert any(e != e.lower() for e in emails)
    attributes = [u["custom_attributes"] for u in users]
    assert all(isinstance(a["loyalty_id"], str) and a["loyalty_id"].isdigit() for a in attributes)
    assert all(isinstance(a["visits"], int) for a in attributes)
    assert all(isinstance(u["total_revenue"], float) for u in users)
    assert all(len(u["last_coordinates"]) == 2 for u in users if "last_coordinates" in u)
    assert 0 < sum("uninstalled_at" in u for u in users) < len(users)
    assert many_users(3, segment_id="x")[0]["braze_id"] != many_users(3)[0]["braze_id"]


def test_many_suppressions_meet_many_users_emails() -> None:
    first, last = at(2024, 1, 1), at(2024, 12, 31, 23, 59, 59)
    bounces = many_suppressions(100, first, last)
    assert bounces == many_suppressions(100, first, last)
    assert bounces != many_suppressions(100, first, last, salt=1)
    assert len({email for email, _ in bounces}) == 100
    assert all(first <= when <= last for _, when in bounces)
    users = {u["email"].strip().lower() for u in many_users(400) if "email" in u}
    matches = users & {email for email, _ in bounces}
    assert 0 < len(matches) < 100


def test_the_cli_serves_users_and_suppressions(tmp_path: Path) -> None:
    url_file = tmp_path / "url"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "braze_emulator",
            "--api-key",
            KEY,
            "--many-users",
            "seg-x:12",
            "--suppressions",
            "30",
            "--export-delay",
            "0",
            "--url-file",
            str(url_file),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not (url_file.exists() and url_file.read_text().strip()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        url = url_file.read_text().strip()
        auth = {"Authorization": f"Bearer {KEY}"}
        today = dt.datetime.now(UTC).date()
        rows = requests.get(
            f"{url}/email/hard_bounces",
            params={"start_date": str(today - dt.timedelta(days=400)), "end_date": str(today)},
            headers=auth,
            timeout=10,
        ).json()["emails"]
        assert len(rows) == 30
        body = requests.post(
            f"{url}/users/export/segment",
            json={"segment_id": "seg-x", "fields_to_export": ["email"]},
            headers=auth,
            timeout=10,
        ).json()
        archive = zipfile.ZipFile(io.BytesIO(download_when(body["url"], 200).content))
        assert sum(len(ndjson(archive.read(n))) for n in archive.namelist()) == 12
    finally:
        process.terminate()
        process.wait(timeout=10)
