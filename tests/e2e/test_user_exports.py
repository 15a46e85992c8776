"""The user-level exports end to end: the real tap against the emulator's export,
download host, suppression lists and definitions (and a bucket: a local folder, and a
real S3-compatible server on 127.0.0.1), each behaviour read from the emulator's logs."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from braze_emulator import (
    BrazeEmulator,
    ContentBlock,
    EmailTemplate,
    Fault,
    Segment,
    many_suppressions,
    many_users,
)
from tap_braze_dau.personal_data import PersonalDataRule
from tests.helpers import (
    API_KEY,
    ROOT,
    TAP,
    TapRun,
    base_config,
    catalog_selecting,
    run_tap,
)
from tests.object_stores import S3Server, start_s3

UTC = dt.timezone.utc
TODAY = dt.date(2024, 12, 31)
FIRST = dt.date(2024, 12, 1)
HASH_KEY = "pii-hash-key-DO-NOT-LEAK-0123456789"
SEGMENTS = {"seg-a": 120, "seg-b": 45}


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = start_s3()
    yield server
    server.stop()


def users_of(segments: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    return {segment: many_users(count, segment_id=segment) for segment, count in segments.items()}


def emulator(**settings: Any) -> BrazeEmulator:
    defaults: dict[str, Any] = {
        "api_key": API_KEY,
        "today": TODAY,
        "users": users_of(SEGMENTS),
        "export_delay": 0.3,
        "users_per_file": 40,
    }
    return BrazeEmulator(**{**defaults, **settings})


def config(braze: BrazeEmulator, **settings: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "retry_wait_seconds": 0.02,
        "users_segment_ids": list(SEGMENTS),
        "start_date": FIRST.isoformat(),
        "end_date": TODAY.isoformat(),
    }
    merged = {**defaults, **settings}
    return base_config(braze, **{k: v for k, v in merged.items() if v is not None})


def sync(
    braze: BrazeEmulator,
    tmp_path: Path,
    streams: list[str],
    *,
    state: dict[str, Any] | None = None,
    **settings: Any,
) -> TapRun:
    """One sync of `streams`, its scratch files under tmp_path/tmp (TMPDIR)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    return run_tap(
        config(braze, **settings),
        tmp_path,
        state=state,
        catalog=catalog_selecting(streams),
        env={"TMPDIR": str(scratch)},
    )


def scratch_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "tmp").rglob("*") if p.is_file()]


def expected_users(braze: BrazeEmulator, segment: str) -> dict[str, dict[str, Any]]:
    """What an export of `segment` writes of each profile, by braze_id: the emulator's
    own export, checked field by field against the records."""
    (export,) = [e for e in braze.exports if e.segment_id == segment]
    from braze_emulator.exports import exported_profile

    return {
        p["braze_id"]: {
            "segment_id": segment,
            **exported_profile(p, export.fields, export.custom_attributes),
        }
        for p in braze.users[segment]
    }


# -- users: the download URL ------------------------------------------------------------------


def test_users_exports_each_segment_reads_every_profile_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    with emulator(export_delay=1.0) as braze:  # polled at once: a 403 or more first
        run = sync(braze, tmp_path, ["users"])
    assert run.returncode == 0, run.stderr[-3000:]
    records = run.records_of("users")
    keys = Counter((r["segment_id"], r["braze_id"]) for r in records)
    assert max(keys.values()) == 1
    for segment, count in SEGMENTS.items():
        got = {r["braze_id"]: r for r in records if r["segment_id"] == segment}
        assert len(got) == count
        assert got == expected_users(braze, segment)
    # the documented fields asked for, braze_id among them
    for export in braze.exports:
        assert "braze_id" in export.fields
        assert "email" in export.fields
        assert export.output_format == "zip"
    # polled while not ready (403), then read once: the archive downloaded once a segment
    for export in braze.exports:
        asked = [d for d in braze.download_requests if d.object_prefix == export.object_prefix]
        assert [d.status for d in asked].count(200) == 1
        assert asked[-1].status == 200
    assert "export not ready" in run.stderr
    assert scratch_files(tmp_path) == []
    # one partition per segment, in the setting's order
    partitions = run.last_state["bookmarks"]["users"]["partitions"]  # type: ignore[index]
    assert [p["context"] for p in partitions] == [{"segment_id": s} for s in SEGMENTS]


def test_the_key_never_reaches_the_download_host(tmp_path: Path) -> None:
    """The download URL is signed by itself: asked without Authorization, the key in no
    query, and the signature never logged."""
    with emulator() as braze:
        run = sync(braze, tmp_path, ["users"])
    assert run.returncode == 0, run.stderr[-3000:]
    assert braze.download_requests
    for request in braze.download_requests:
        assert request.authorization is None
        assert API_KEY not in str(request.query)
        assert API_KEY not in request.path
    for export in braze.exports:
        assert export.signature not in run.stderr
    assert all(r.authorized for r in braze.data_requests("users"))


def test_segments_are_exported_concurrently(tmp_path: Path) -> None:
    """Both exports are asked before the first is ready: they run at once at Braze."""
    with emulator(export_delay=2.0) as braze:
        run = sync(braze, tmp_path, ["users"])
    assert run.returncode == 0, run.stderr[-3000:]
    first, second = sorted(braze.exports, key=lambda e: e.requested_at)
    assert first.ready_at is not None
    assert second.requested_at < first.ready_at


def test_one_parallel_request_exports_one_segment_after_the_other(tmp_path: Path) -> None:
    with emulator() as braze:
        run = sync(braze, tmp_path, ["users"], max_parallel_requests=1)
    assert run.returncode == 0, run.stderr[-3000:]
    first, second = sorted(braze.exports, key=lambda e: e.requested_at)
    assert first.segment_id == "seg-a"
    assert first.ready_at is not None
    assert second.requested_at >= first.ready_at
    assert len(run.records_of("users")) == sum(SEGMENTS.values())


def test_an_export_already_running_is_retried_without_holding_the_pool(tmp_path: Path) -> None:
    """A 429 to the export (one at a time per segment) is retried with backoff; the
    rate-limit pool is not held, so dau in the same run is not paused. The export that
    holds the segment ends once the log shows the tap's first 429 (no clock involved)."""
    with emulator() as braze:
        braze.export_delay = 3600.0
        braze.fail_export("seg-a")  # held until it is due: an hour
        answer = requests.post(
            f"{braze.url}/users/export/segment",
            json={"segment_id": "seg-a", "fields_to_export": ["braze_id"]},
            headers={"Authorization": f"Bearer {API_KEY}"},
            timeout=10,
        )
        assert answer.ok, answer.text
        (held,) = braze.exports
        braze.export_delay = 0.3
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            running = pool.submit(sync, braze, tmp_path, ["users", "dau"])
            deadline = time.monotonic() + 120
            while not any(r.status == 429 for r in braze.data_requests("users")):
                assert not running.done(), running.result().stderr[-3000:]
                assert time.monotonic() < deadline
                time.sleep(0.01)
            held.due_at = 0.0  # the running export ends
            run = running.result()
    assert run.returncode == 0, run.stderr[-3000:]
    posts = [r.status for r in braze.data_requests("users")]
    assert posts.count(429) >= 1
    assert posts[-1] == 200
    assert "already has an export running" in run.stderr
    assert "Rate limited by Braze" not in run.stderr
    assert len(run.records_of("users")) == sum(SEGMENTS.values())
    assert run.records_of("dau")


def test_an_export_never_ready_fails_the_run_naming_the_segment(tmp_path: Path) -> None:
    with emulator(export_delay=0.0) as braze:
        braze.fail_export("seg-b")
        run = sync(braze, tmp_path, ["users"], users_export_timeout_minutes=0.05)
    assert run.returncode == 1
    assert "seg-b" in run.stderr
    assert "users_export_timeout_minutes" in run.stderr
    assert "Traceback" not in run.stderr
    # seg-a, before it, was delivered whole; nothing of seg-b
    assert {r["segment_id"] for r in run.records_of("users")} == {"seg-a"}
    assert scratch_files(tmp_path) == []


def test_an_expired_download_url_fails_the_run_with_a_clear_message(tmp_path: Path) -> None:
    with emulator(export_expires_after=0.0) as braze:
        run = sync(braze, tmp_path, ["users"], users_segment_ids=["seg-a"])
    assert run.returncode == 1
    assert "expired" in run.stderr
    assert "seg-a" in run.stderr or "/exports/" in run.stderr
    assert not run.records_of("users")
    for export in braze.exports:
        assert export.signature not in run.stderr


def test_a_download_cut_short_is_asked_again(tmp_path: Path) -> None:
    with emulator() as braze:
        braze.add_fault(Fault(kind="truncate", stream="users_download"))
        run = sync(braze, tmp_path, ["users"], users_segment_ids=["seg-a"])
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.records_of("users")) == SEGMENTS["seg-a"]
    assert [d.status for d in braze.download_requests].count(200) == 2


def test_users_selected_without_segments_fails_at_once_naming_the_setting(
    tmp_path: Path,
) -> None:
    with emulator() as braze:
        run = sync(braze, tmp_path, ["users"], users_segment_ids=[])
        tested = run_tap(
            config(braze, users_segment_ids=[]),
            tmp_path,
            catalog=catalog_selecting(["users"]),
            extra_args=["--test"],
        )
        requested = list(braze.requests)
    for result in (run, tested):
        assert result.returncode == 1
        assert "users_segment_ids" in result.stderr
        assert "Traceback" not in result.stderr
    assert not run.messages
    assert requested == []


def test_sigkill_during_an_export_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    """Killed while the archive is downloading (64 KiB every 0.2 s), the run leaves it
    in its scratch folder; the next run (any run of the tap) removes it."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    big = {"seg-a": many_users(3_000, segment_id="seg-a")}
    with emulator(users=big, users_per_file=500) as braze:
        braze.add_fault(Fault(kind="trickle", stream="users_download", seconds=0.2))
        config_path = tmp_path / "config.json"
        config_path.write_text(__import__("json").dumps(config(braze, users_segment_ids=["seg-a"])))
        catalog_path = tmp_path / "catalog.json"
        catalog_path.write_text(__import__("json").dumps(catalog_selecting(["users"])))
        with subprocess.Popen(
            [*TAP, "--config", str(config_path), "--catalog", str(catalog_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            env={**os.environ, "TMPDIR": str(scratch)},
        ) as tap:
            deadline = time.monotonic() + 60
            while not any(p.suffix == ".zip" for p in scratch.rglob("*")):
                assert tap.poll() is None, "the run ended before its archive was on disk"
                assert time.monotonic() < deadline, "no archive in the scratch folder"
                time.sleep(0.005)
            tap.send_signal(signal.SIGKILL)
            tap.wait()
        assert scratch_files(tmp_path), "the killed run left its download"
        again = sync(braze, tmp_path, ["dau"])
    assert again.returncode == 0, again.stderr[-3000:]
    assert "left by a run that was killed" in again.stderr
    assert scratch_files(tmp_path) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # its folders too: nothing of the tap


# -- users: the workspace's own bucket ----------------------------------------------------------


def test_users_from_a_local_export_bucket_once_the_export_settles(tmp_path: Path) -> None:
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    with emulator(export_bucket=bucket, users_per_file=20) as braze:
        run = sync(
            braze,
            tmp_path,
            ["users"],
            users_export_url=str(bucket),
            users_export_settle_seconds=1.5,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    for export in braze.exports:
        assert export.url is None
        assert export.output_format == "gzip"
        assert len(export.keys) > 1
        assert export.ready_at is not None
    for segment, count in SEGMENTS.items():
        got = {r["braze_id"]: r for r in run.records_of("users") if r["segment_id"] == segment}
        assert len(got) == count
        assert got == expected_users(braze, segment)
    assert "none new for 1.5 s: complete" in run.stderr
    assert braze.download_requests == []
    # the bucket's files are the workspace's: read in place, left alone
    assert all((bucket / key).is_file() for e in braze.exports for key in e.keys)


def test_users_from_an_s3_export_bucket(tmp_path: Path, s3: S3Server) -> None:
    name = s3.bucket("exports-users")
    with emulator(export_bucket=s3.store(name), users_per_file=30) as braze:
        run = sync(
            braze,
            tmp_path,
            ["users"],
            users_export_url=f"s3://{name}",
            users_export_storage_options=s3.options(),
            users_export_settle_seconds=1.5,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(run.records_of("users")) == sum(SEGMENTS.values())
    for segment in SEGMENTS:
        got = {r["braze_id"]: r for r in run.records_of("users") if r["segment_id"] == segment}
        assert got == expected_users(braze, segment)
    # every file of each export read once
    keys = {key for e in braze.exports for key in e.keys}
    gets = Counter(
        r.path.split(f"/{name}/", 1)[1]
        for r in s3.requests
        if r.method == "GET" and f"/{name}/segment-export/" in r.path
    )
    assert set(gets) == keys
    assert max(gets.values()) == 1
    assert scratch_files(tmp_path) == []
    for secret in s3.options().values():
        if len(secret) > 8:
            assert secret not in run.stderr


def test_an_export_to_a_bucket_without_users_export_url_says_which_setting(
    tmp_path: Path,
) -> None:
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    with emulator(export_bucket=bucket) as braze:
        run = sync(braze, tmp_path, ["users"], users_segment_ids=["seg-a"])
    assert run.returncode == 1
    assert "users_export_url" in run.stderr
    assert "Traceback" not in run.stderr


# -- suppression lists ------------------------------------------------------------------------


def suppressions() -> dict[str, Any]:
    span = (dt.datetime(2024, 11, 20, tzinfo=UTC), dt.datetime(2024, 12, 31, 23, tzinfo=UTC))
    return {
        "hard_bounces": many_suppressions(6_000, *span),
        "unsubscribes": many_suppressions(700, *span, salt=1),
    }


@pytest.mark.parametrize("inclusive", [False, True], ids=["end-exclusive", "end-inclusive"])
def test_suppression_lists_deliver_each_row_of_the_days_once(
    tmp_path: Path, inclusive: bool
) -> None:
    """Under either reading of `end_date`: every row of the days asked, once; windows
    of a week asked for start_date and the day after their last; pages of 500 from 0."""
    with emulator(suppression_end_inclusive=inclusive, **suppressions()) as braze:
        run = sync(braze, tmp_path, ["email_hard_bounces", "email_unsubscribes"])
        want = {
            "email_hard_bounces": braze.expected_hard_bounces(FIRST, TODAY),
            "email_unsubscribes": braze.expected_unsubscribes(FIRST, TODAY),
        }
    assert run.returncode == 0, run.stderr[-3000:]
    for stream, rows in want.items():
        field = "hard_bounced_at" if stream == "email_hard_bounces" else "unsubscribed_at"
        got = run.records_of(stream)
        assert sorted((r["email"], r[field]) for r in got) == sorted(
            (r["email"], r[field]) for r in rows
        )
        assert [r[field] for r in got] == sorted(r[field] for r in got)  # oldest first
        asked = braze.data_requests(stream)
        for request in asked:
            start = dt.date.fromisoformat(request.params["start_date"])
            end = dt.date.fromisoformat(request.params["end_date"])
            assert 1 <= (end - start).days <= 7
            assert request.params["limit"] == "500"
            assert int(request.params["offset"]) % 500 == 0
        starts = sorted({r.params["start_date"] for r in asked})
        assert starts[0] == FIRST.isoformat()
        assert max(r.params["end_date"] for r in asked) == (TODAY + dt.timedelta(1)).isoformat()
        windows = Counter((r.params["start_date"], r.params["offset"]) for r in asked)
        assert max(windows.values()) == 1  # no page asked twice
    assert any(r.params["offset"] != "0" for r in braze.data_requests("email_hard_bounces"))


def test_suppression_lists_resume_from_the_bookmark_less_the_look_back(tmp_path: Path) -> None:
    with emulator(**suppressions()) as braze:
        first = sync(braze, tmp_path, ["email_hard_bounces"], end_date="2024-12-20")
        assert first.returncode == 0, first.stderr[-3000:]
        bookmark = first.last_state["bookmarks"]["email_hard_bounces"]  # type: ignore[index]
        assert bookmark["replication_key_value"] == max(
            r["hard_bounced_at"] for r in first.records_of("email_hard_bounces")
        )
        braze.requests.clear()
        second = sync(
            braze, tmp_path, ["email_hard_bounces"], state=first.last_state, lookback_days=2
        )
        assert second.returncode == 0, second.stderr[-3000:]
        starts = {r.params["start_date"] for r in braze.data_requests("email_hard_bounces")}
        want = braze.expected_hard_bounces(FIRST, TODAY)
    bookmark_day = dt.date.fromisoformat(bookmark["replication_key_value"][:10])
    assert min(starts) == (bookmark_day - dt.timedelta(days=2)).isoformat()
    both = first.records_of("email_hard_bounces") + second.records_of("email_hard_bounces")
    keys = {(r["email"], r["hard_bounced_at"]) for r in both}
    assert keys == {(r["email"], r["hard_bounced_at"]) for r in want}


def test_without_start_date_a_suppression_list_walks_back_until_a_week_is_empty(
    tmp_path: Path,
) -> None:
    lists = suppressions()
    with emulator(**lists) as braze:
        settings = config(braze)
        del settings["start_date"]
        run = run_tap(
            settings,
            tmp_path,
            catalog=catalog_selecting(["email_unsubscribes"]),
            env={"TMPDIR": str(tmp_path)},
        )
        asked = braze.data_requests("email_unsubscribes")
        want = braze.expected_unsubscribes(dt.date(2024, 11, 1), TODAY)
    assert run.returncode == 0, run.stderr[-3000:]
    got = run.records_of("email_unsubscribes")
    assert sorted((r["email"], r["unsubscribed_at"]) for r in got) == sorted(
        (r["email"], r["unsubscribed_at"]) for r in want
    )
    assert [r["unsubscribed_at"] for r in got] == sorted(r["unsubscribed_at"] for r in got)
    # newest week first, one request per page, ending at the first empty week
    starts = [r.params["start_date"] for r in asked if r.params["offset"] == "0"]
    assert starts == sorted(starts, reverse=True)
    assert starts[-1] < "2024-11-20"
    assert len(starts) == len(set(starts))
    assert list(tmp_path.glob("tap-braze-dau-*/*/*")) == []


def test_pii_hash_makes_addresses_join_across_users_and_suppressions(tmp_path: Path) -> None:
    span = (dt.datetime(2024, 12, 1, tzinfo=UTC), dt.datetime(2024, 12, 31, tzinfo=UTC))
    with emulator(
        users={"seg-a": many_users(400, segment_id="seg-a")},
        hard_bounces=many_suppressions(100, *span),
    ) as braze:
        run = sync(
            braze,
            tmp_path,
            ["users", "email_hard_bounces"],
            users_segment_ids=["seg-a"],
            pii="hash",
            pii_hash_key=HASH_KEY,
        )
        plain = {p["braze_id"]: p for p in braze.users["seg-a"]}
    assert run.returncode == 0, run.stderr[-3000:]
    rule = PersonalDataRule("hash", HASH_KEY.encode())
    users = run.records_of("users")
    for record in users:
        source = plain[record["braze_id"]]
        if "email" in source:
            assert record["email"] == rule.hash(source["email"], "email")
            assert "@" not in record["email"]
        if "external_id" in source:
            assert record["external_id"] == rule.hash(source["external_id"], "external_id")
    bounced = {r["email"] for r in run.records_of("email_hard_bounces")}
    assert all("@" not in email for email in bounced)
    joined = [u for u in users if u.get("email") in bounced]
    assert joined, "no hashed address of a bounce is a user's"
    assert HASH_KEY not in run.stdout + run.stderr
    schemas = {m["stream"]: m["schema"] for m in run.messages if m["type"] == "SCHEMA"}
    assert "HMAC" in schemas["users"]["properties"]["email"]["description"]


def test_pii_drop_keeps_the_address_of_a_suppression_list_hashed(tmp_path: Path) -> None:
    with emulator(**suppressions()) as braze:
        without_key = sync(braze, tmp_path, ["email_hard_bounces"], pii="drop")
        run = sync(
            braze, tmp_path, ["email_hard_bounces", "users"], pii="drop", pii_hash_key=HASH_KEY
        )
    assert without_key.returncode == 1
    assert "pii_hash_key" in without_key.stderr
    assert run.returncode == 0, run.stderr[-3000:]
    rule = PersonalDataRule("hash", HASH_KEY.encode())  # drop hashes keys as hash does
    bounces = run.records_of("email_hard_bounces")
    want = braze.expected_hard_bounces(FIRST, TODAY)
    assert sorted((r["email"], r["hard_bounced_at"]) for r in bounces) == sorted(
        (rule.hash(r["email"], "email"), r["hard_bounced_at"]) for r in want
    )
    for record in run.records_of("users"):
        assert not {"email", "phone", "devices", "push_tokens", "user_aliases"} & set(record)


# -- definitions -------------------------------------------------------------------------------


def definitions() -> dict[str, Any]:
    day = dt.datetime(2024, 12, 1, 8, tzinfo=UTC)
    blocks = {
        f"cb-{n}": ContentBlock(
            name=f"Block {n}",
            content=f"<p>{n}</p>",
            created_at=day - dt.timedelta(days=40),
            last_edited=day + dt.timedelta(days=n, minutes=n),
            tags=("promo",) if n % 2 else (),
        )
        for n in range(1_203)
    }
    templates = {
        f"t-{n}": EmailTemplate(
            template_name=f"Template {n}",
            subject=f"Hello {n}",
            body=f"<b>{n}</b>",
            created_at=day - dt.timedelta(days=40),
            updated_at=day + dt.timedelta(days=n % 20, minutes=n),
            drag_and_drop=n in (3, 7),
        )
        for n in range(12)
    }
    return {"content_blocks": blocks, "email_templates": templates}


def test_definitions_merge_the_list_and_each_items_info(tmp_path: Path) -> None:
    with emulator(**definitions()) as braze:
        settings: dict[str, Any] = {"start_date": None}
        run = run_tap(
            {k: v for k, v in config(braze).items() if k != "start_date"} | settings,
            tmp_path,
            catalog=catalog_selecting(["content_blocks", "email_templates"]),
        )
        blocks, templates = braze.content_blocks, braze.email_templates
        lists = braze.data_requests("content_blocks")
        infos = braze.data_requests("content_block_info")
    assert run.returncode == 0, run.stderr[-3000:]
    got = {r["content_block_id"]: r for r in run.records_of("content_blocks")}
    assert set(got) == set(blocks)
    assert got["cb-5"]["content"] == "<p>5</p>"
    assert got["cb-5"]["name"] == "Block 5"
    assert "message" not in got["cb-5"]
    assert [r["last_edited"] for r in run.records_of("content_blocks")] == sorted(
        r["last_edited"] for r in got.values()
    )
    # paged 1000 at a time, the first page without offset; one info per block
    assert [r.params.get("offset") for r in lists] == [None, "1000"]
    assert all(r.params["limit"] == "1000" for r in lists)
    assert sorted(r.params["content_block_id"] for r in infos) == sorted(blocks)
    # drag-and-drop templates: their list fields, one warning for the run
    tpl = {r["email_template_id"]: r for r in run.records_of("email_templates")}
    assert set(tpl) == set(templates)
    assert tpl["t-3"]["template_name"] == "Template 3"
    assert "subject" not in tpl["t-3"]
    assert tpl["t-4"]["subject"] == "Hello 4"
    warnings = [line for line in run.stderr.splitlines() if "refused the info" in line]
    assert len(warnings) == 1
    assert "'t-3'" in warnings[0]
    assert "'t-7'" in warnings[0]


def test_definitions_resume_with_modified_after_the_bookmark_less_the_look_back(
    tmp_path: Path,
) -> None:
    with emulator(**definitions()) as braze:
        first = sync(braze, tmp_path, ["email_templates"], start_date=None)
        assert first.returncode == 0, first.stderr[-3000:]
        bookmark = first.last_state["bookmarks"]["email_templates"]["replication_key_value"]  # type: ignore[index]
        braze.requests.clear()
        second = sync(braze, tmp_path, ["email_templates"], state=first.last_state, lookback_days=1)
        (listed,) = braze.data_requests("email_templates")
        infos = braze.data_requests("email_template_info")
        templates = braze.email_templates
    assert second.returncode == 0, second.stderr[-3000:]
    since = dt.datetime.fromisoformat(bookmark.replace("Z", "+00:00")) - dt.timedelta(days=1)
    assert listed.params["modified_after"] == since.strftime("%Y-%m-%dT%H:%M:%S.%f")
    changed = {tid for tid, t in templates.items() if t.updated_at >= since}
    assert {r.params["email_template_id"] for r in infos} == changed
    assert {r["email_template_id"] for r in second.records_of("email_templates")} == changed


def test_segment_details_one_request_per_segment_a_deleted_one_skipped(tmp_path: Path) -> None:
    segments = {
        f"s-{n}": Segment(
            f"Segment {n}",
            dt.date(2024, 1, 1),
            tags=("t",),
            analytics_tracking_enabled=n != 4,  # no series, but details all the same
        )
        for n in range(6)
    }
    with emulator(segments=segments) as braze:
        braze.stale("s-2")  # listed, then refused by its details
        run = sync(braze, tmp_path, ["segment_details", "segments"], max_parallel_requests=3)
        asked = [r.dimension for r in braze.data_requests("segment_details")]
        listed = braze.data_requests("segments")
    assert run.returncode == 0, run.stderr[-3000:]
    assert sorted(asked) == sorted(segments)  # type: ignore[type-var]
    assert len(listed) == 1  # the list read once for both streams
    got = {r["segment_id"]: r for r in run.records_of("segment_details")}
    assert set(got) == set(segments) - {"s-2"}
    assert got["s-1"]["name"] == "Segment 1"
    assert "message" not in got["s-1"]
    warnings = [line for line in run.stderr.splitlines() if "Skipped segment 's-2'" in line]
    assert len(warnings) == 1


# -- --test -------------------------------------------------------------------------------------


def test_connection_test_checks_each_export_stream(tmp_path: Path) -> None:
    streams = [
        "users",
        "email_hard_bounces",
        "email_unsubscribes",
        "content_blocks",
        "email_templates",
        "segment_details",
    ]
    with emulator(**definitions(), **suppressions()) as braze:
        passed = run_tap(
            config(braze), tmp_path, catalog=catalog_selecting(streams), extra_args=["--test"]
        )
        posts = braze.data_requests("users")
    assert passed.returncode == 0, passed.stderr[-3000:]
    assert posts == []  # a test starts no export
    for stream in streams:
        assert f"stream '{stream}'" in passed.stderr
    with emulator(permissions={"email.hard_bounces", "content_blocks.list"}) as braze:
        failed = run_tap(
            config(braze), tmp_path, catalog=catalog_selecting(streams), extra_args=["--test"]
        )
    assert failed.returncode == 1
    for permission in ("email.unsubscribe", "content_blocks.info", "templates.email.list"):
        assert permission in failed.stderr
