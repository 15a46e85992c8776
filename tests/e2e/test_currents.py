"""Braze Currents end to end: the real tap against Braze-shaped trees of Avro files in a
local folder and in a real S3-compatible server on 127.0.0.1 (moto), whose request log
says what the tap listed and read."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from braze_emulator import BrazeEmulator
from braze_emulator.currents import (
    CurrentsFile,
    CurrentsTree,
    currents_tree,
    hours_between,
    put_store,
    write_folder,
)
from tests.helpers import (
    API_KEY,
    ROOT,
    TAP,
    TapRun,
    discovered_with,
    parse_messages,
    run_measuring_memory,
    run_tap,
)
from tests.object_stores import SECRET_KEY, S3Server, start_azurite, start_s3

UTC = dt.timezone.utc
START = dt.datetime(2024, 5, 1, tzinfo=UTC)
EMAIL, CUSTOM = "users.messages.email.Send", "users.behaviors.CustomEvent"
STREAMS = {EMAIL: "currents_messages_email_send", CUSTOM: "currents_behaviors_custom_event"}
HASH_KEY = "pii-hash-key-DO-NOT-LEAK-0123456789"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = start_s3()
    yield server
    server.stop()


def tree(hours: int = 6, **settings: Any) -> CurrentsTree:
    return currents_tree(
        hours=hours_between(START, START + dt.timedelta(hours=hours - 1)), **settings
    )


def config(url: str, **settings: Any) -> dict[str, Any]:
    # api_url on loopback: a run that syncs dau too must not reach beyond 127.0.0.1
    return {
        "api_key": API_KEY,
        "api_url": "http://127.0.0.1:9",
        "currents_url": url,
        "start_date": "2024-05-01",
        **settings,
    }


def discover(config_: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return discovered_with(config_, tmp_path)


def selecting(catalog: dict[str, Any], streams: list[str]) -> dict[str, Any]:
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def ids_of(run: TapRun, stream: str) -> Counter[str]:
    return Counter(record["id"] for record in run.records_of(stream))


def by_id(run: TapRun, stream: str) -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in run.records_of(stream)}


def sync(
    config_: dict[str, Any],
    catalog: dict[str, Any],
    tmp_path: Path,
    state: dict[str, Any] | None = None,
) -> TapRun:
    run = run_tap(config_, tmp_path, catalog=catalog, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    assert SECRET_KEY not in run.stdout + run.stderr
    assert HASH_KEY not in run.stdout + run.stderr
    return run


# -- discovery -----------------------------------------------------------------------------


def test_discovery_lists_each_event_type_with_the_schema_of_its_newest_file(
    tmp_path: Path, s3: S3Server
) -> None:
    """One stream per event type, named as the issue says, typed from the writer schema of
    its newest file (the schema id that added a field), Avro docs as descriptions; the
    discovery reads one header per event type (a range of the file), nothing else."""
    types = [EMAIL, CUSTOM, "users.behaviors.app.SessionStart", "agentconsole.AgentExecuted"]
    data = tree(4, event_types=types, new_schema_from=START + dt.timedelta(hours=3))
    bucket = s3.bucket("discovery")
    put_store(data.files, s3.store(bucket))
    s3.clear()
    catalog = discover(config(f"s3://{bucket}", currents_storage_options=s3.options()), tmp_path)
    entries = {
        e["tap_stream_id"]: e
        for e in catalog["streams"]
        if e["tap_stream_id"].startswith("currents_")
    }
    assert sorted(entries) == sorted(
        [
            "currents_messages_email_send",
            "currents_behaviors_custom_event",
            "currents_behaviors_app_session_start",
            "currents_agentconsole_agent_executed",
        ]
    )
    email = entries["currents_messages_email_send"]
    assert email["key_properties"] == ["id"]
    properties = email["schema"]["properties"]
    assert "from_domain" in properties  # the second schema id's field
    assert properties["email_address"]["description"].startswith("[PII]")
    assert properties["time"]["type"] in ("integer", ["integer"])
    assert "null" in properties["external_user_id"]["type"]
    stream_metadata = next(m for m in email["metadata"] if m["breadcrumb"] == [])["metadata"]
    assert stream_metadata["selected-by-default"] is False
    reads = [r for r in s3.of_bucket(bucket) if r.is_object_read]
    assert len(reads) == len(types), reads
    assert SECRET_KEY not in json.dumps(catalog)


def test_a_run_without_a_catalog_syncs_dau_alone_and_reads_no_currents(tmp_path: Path) -> None:
    write_folder(tree(2).files, tmp_path / "bucket")
    run = run_tap(config(str(tmp_path / "bucket"), api_url="http://127.0.0.1:9"), tmp_path)
    assert run.records == []
    assert "currents_" not in run.stdout


# -- exactly once -----------------------------------------------------------------------------


def test_every_event_arrives_and_a_run_that_finds_nothing_new_reads_no_object(
    tmp_path: Path, s3: S3Server
) -> None:
    data = tree(6, late_files=0)
    bucket = s3.bucket("exactly-once")
    store = s3.store(bucket)
    put_store(data.files, store)
    # what Braze's layout may hold besides events
    for junk in ("_SUCCESS", "x.avro.crc", "notes.txt"):
        key = data.files[0].key.rpartition("/")[0] + "/" + junk
        put_store([CurrentsFile(key, b"not avro", EMAIL, "")], store)
    settings = config(
        f"s3://{bucket}", currents_storage_options=s3.options(), max_parallel_requests=3
    )
    catalog = selecting(discover(settings, tmp_path), list(STREAMS.values()))
    s3.clear()
    first = sync(settings, catalog, tmp_path)
    for event_type, stream in STREAMS.items():
        assert by_id(first, stream) == data.of(event_type)
    reads = Counter(r.path for r in s3.of_bucket(bucket) if r.is_object_read)
    assert len(reads) == len(data.files)  # each file once, and nothing else
    assert max(reads.values()) == 1
    s3.clear()
    second = sync(settings, catalog, tmp_path, state=first.last_state)
    assert second.records == []
    assert [r for r in s3.of_bucket(bucket) if r.is_object_read] == []
    assert all(r.is_listing for r in s3.of_bucket(bucket))


def test_late_files_within_the_look_back_are_read_by_the_next_run_once(tmp_path: Path) -> None:
    """Braze may write into an hour folder older than the newest one read: within
    currents_lookback_hours of it, the next run reads the file (once); older, it is
    never listed again, as the README says."""
    folder = tmp_path / "bucket"
    hours = hours_between(START, START + dt.timedelta(hours=71))
    data = currents_tree(hours=hours, event_types=[EMAIL], files_per_hour=1, events_per_file=5)
    write_folder(data.files, folder)
    settings = config(str(folder), currents_lookback_hours=24)
    catalog = selecting(discover(settings, tmp_path), [STREAMS[EMAIL]])
    first = sync(settings, catalog, tmp_path)
    assert set(ids_of(first, STREAMS[EMAIL])) == set(data.of(EMAIL))
    # later: a new hour, a file late by 20 hours (read), one late by 30 (not listed)
    later = currents_tree(
        hours=[START + dt.timedelta(hours=h) for h in (72, 52, 42)],
        event_types=[EMAIL],
        files_per_hour=1,
        events_per_file=5,
        seed=99,
        duplicates=0,
    )
    write_folder(later.files, folder)
    second = sync(settings, catalog, tmp_path, state=first.last_state)
    got = set(ids_of(second, STREAMS[EMAIL]))
    by_hour = {file.hour: set(file.ids) for file in later.files}
    assert got == by_hour["2024-05-04-00"] | by_hour["2024-05-03-04"]  # hours 72 and 52
    third = sync(settings, catalog, tmp_path, state=second.last_state)
    assert third.records == []


def test_listings_and_state_do_not_grow_with_the_history(tmp_path: Path, s3: S3Server) -> None:
    """The same last hours after 3 days and after 9 days of files: a run from a bookmark
    lists as often, and STATE is as large, within 10%."""
    listings, sizes = [], []
    for days in (3, 9):
        first_hour = START - dt.timedelta(days=days)
        hours = hours_between(first_hour, START + dt.timedelta(hours=5))
        data = currents_tree(hours=hours, event_types=[EMAIL], files_per_hour=1, events_per_file=2)
        bucket = s3.bucket(f"history-{days}")
        put_store(data.files, s3.store(bucket))
        settings = config(
            f"s3://{bucket}",
            currents_storage_options=s3.options(),
            start_date=first_hour.date().isoformat(),
        )
        catalog = selecting(discover(settings, tmp_path), [STREAMS[EMAIL]])
        backfill = sync(settings, catalog, tmp_path)
        assert backfill.last_state is not None
        sizes.append(len(json.dumps(backfill.last_state)))
        newer = currents_tree(
            hours=[START + dt.timedelta(hours=6)], event_types=[EMAIL], files_per_hour=1, seed=5
        )
        put_store(newer.files, s3.store(bucket))
        s3.clear()
        nightly = sync(settings, catalog, tmp_path, state=backfill.last_state)
        assert set(ids_of(nightly, STREAMS[EMAIL])) == set(newer.files[0].ids)
        listings.append(sum(1 for r in s3.of_bucket(bucket) if r.is_listing))
    assert listings[0] == listings[1]
    assert abs(sizes[0] - sizes[1]) <= 0.1 * sizes[0]


def test_the_output_is_the_same_whatever_max_parallel_requests_is(
    tmp_path: Path, s3: S3Server
) -> None:
    data = tree(4, files_per_hour=3)
    bucket = s3.bucket("parallel")
    put_store(data.files, s3.store(bucket))
    outputs = []
    for parallel in (1, 4):
        settings = config(
            f"s3://{bucket}", currents_storage_options=s3.options(), max_parallel_requests=parallel
        )
        catalog = selecting(discover(settings, tmp_path), list(STREAMS.values()))
        run = sync(settings, catalog, tmp_path)
        outputs.append(
            [
                json.dumps({k: v for k, v in m.items() if k != "time_extracted"})
                for m in run.messages
            ]
        )
    assert outputs[0] == outputs[1]


def test_records_are_written_as_the_sdk_would_write_them(tmp_path: Path) -> None:
    """The tap writes Currents' RECORD messages itself (singer/sdk_hooks.py); with a
    stream map on the stream the SDK writes them: the same messages."""
    folder = tmp_path / "bucket"
    write_folder(tree(3).files, folder)
    settings = config(str(folder))
    catalog = selecting(discover(settings, tmp_path), list(STREAMS.values()))
    direct = sync(settings, catalog, tmp_path)
    maps = {name: {"__alias__": name} for name in STREAMS.values()}
    mapped = sync({**settings, "stream_maps": maps}, catalog, tmp_path)

    def records(run: TapRun) -> list[str]:
        return [
            json.dumps({k: v for k, v in m.items() if k != "time_extracted"})
            for m in run.messages
            if m["type"] == "RECORD"
        ]

    assert records(direct) == records(mapped)
    assert len(records(direct)) > 100


# -- schemas, personal data, bad files ------------------------------------------------------------


def test_a_field_braze_adds_reaches_the_target_the_same_night(tmp_path: Path) -> None:
    folder = tmp_path / "bucket"
    old = tree(3, event_types=[EMAIL])
    write_folder(old.files, folder)
    settings = config(str(folder))
    catalog = selecting(discover(settings, tmp_path), [STREAMS[EMAIL]])  # before the change
    first = sync(settings, catalog, tmp_path)
    newer = currents_tree(
        hours=[START + dt.timedelta(hours=3)],
        event_types=[EMAIL],
        schema_ids={EMAIL: 2},
        seed=3,
        duplicates=0,
    )
    write_folder(newer.files, folder)
    second = sync(settings, catalog, tmp_path, state=first.last_state)
    kinds = [m["type"] for m in second.messages]
    schemas = [m for m in second.messages if m["type"] == "SCHEMA"]
    assert len(schemas) == 2
    assert "from_domain" not in schemas[0]["schema"]["properties"]
    assert "from_domain" in schemas[1]["schema"]["properties"]
    assert set(schemas[0]["schema"]["properties"]) < set(schemas[1]["schema"]["properties"])
    assert kinds.index("RECORD") > kinds.index("SCHEMA", kinds.index("SCHEMA") + 1)
    assert all("from_domain" in r for r in second.records_of(STREAMS[EMAIL]))


def hashed(value: str) -> str:
    return hmac.new(HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("pii", ["keep", "hash", "drop"])
def test_personal_data_kept_hashed_or_dropped(tmp_path: Path, pii: str) -> None:
    folder = tmp_path / "bucket"
    data = tree(2, event_types=[EMAIL])
    write_folder(data.files, folder)
    settings = config(str(folder), pii=pii, pii_hash_key=HASH_KEY)
    catalog = selecting(discover(settings, tmp_path), [STREAMS[EMAIL]])
    run = sync(settings, catalog, tmp_path)
    schema = next(m for m in run.messages if m["type"] == "SCHEMA")["schema"]["properties"]
    truth = data.of(EMAIL)
    for record in run.records_of(STREAMS[EMAIL]):
        event = truth[record["id"]]
        if pii == "keep":
            assert record == event
        elif pii == "hash":
            assert record["email_address"] == hashed(event["email_address"].strip().lower())
            assert record["user_id"] == hashed(event["user_id"])
            assert record["campaign_name"] == event["campaign_name"]
        else:
            assert "email_address" not in record
            assert "user_id" not in record
            assert record["time"] == event["time"]
    if pii == "drop":
        assert "email_address" not in schema
    if pii == "hash":
        assert schema["user_id"]["type"] in ("string", ["string", "null"])


@pytest.mark.parametrize("skip", [False, True])
def test_a_file_that_cannot_be_decoded(tmp_path: Path, skip: bool) -> None:
    folder = tmp_path / "bucket"
    data = tree(3, event_types=[EMAIL], files_per_hour=1)
    bad = data.files[1]
    bad.content = bad.content[: len(bad.content) // 2]  # cut short
    write_folder(data.files, folder)
    settings = config(str(folder), currents_skip_bad_files=skip)
    catalog = selecting(discover(settings, tmp_path), [STREAMS[EMAIL]])
    run = run_tap(settings, tmp_path, catalog=catalog)
    stream = STREAMS[EMAIL]
    claimed = (run.last_state or {}).get("bookmarks", {}).get(stream, {})
    if not skip:
        assert run.returncode == 1
        assert bad.key in run.stderr
        assert "Traceback" not in run.stderr
        assert set(data.files[0].ids) <= set(ids_of(run, stream))
        assert claimed["newest_hour"] == data.files[0].hour  # the file before it, claimed
        return
    assert run.returncode == 0, run.stderr
    assert run.stderr.count(bad.key) == 1  # one warning, naming it
    assert set(data.files[2].ids) <= set(ids_of(run, stream))
    assert claimed["newest_hour"] == data.files[2].hour


def every_event_once_then_nothing_new(
    settings: dict[str, Any], data: CurrentsTree, tmp_path: Path
) -> None:
    """Discovered and synced, every stream holds its event type's events; a second run
    from the first one's STATE finds nothing new."""
    catalog = selecting(discover(settings, tmp_path), list(STREAMS.values()))
    first = sync(settings, catalog, tmp_path)
    for event_type, stream in STREAMS.items():
        assert by_id(first, stream) == data.of(event_type)
    second = sync(settings, catalog, tmp_path, state=first.last_state)
    assert second.records == []


@pytest.mark.parametrize("codec", ["null", "deflate", "snappy"])
def test_every_codec_braze_may_write_is_read(tmp_path: Path, codec: str) -> None:
    folder = tmp_path / "bucket"
    data = tree(2, codec=codec)
    write_folder(data.files, folder)
    every_event_once_then_nothing_new(config(str(folder)), data, tmp_path)


def without_event_type_segments(data: CurrentsTree) -> None:
    """Braze warns its key naming may change: the same tree, its event type folders
    named otherwise (`event_type=X` -> `X`), so only the writer schemas say the type."""
    for file in data.files:
        file.key = "/".join(
            part.removeprefix("event_type=").replace(".", "_")
            if part.startswith("event_type=")
            else part
            for part in file.key.split("/")
        )


def without_hour_folders(data: CurrentsTree) -> None:
    """Nor hour folders: each event type's files side by side (their hour: when written)."""
    for file in data.files:
        parts = file.key.split("/")
        kept = [p for p in parts[:-1] if not p.startswith("date=") and not p.isdigit()]
        file.key = "/".join([*kept, parts[-1]])


@pytest.mark.parametrize(
    "layout", ["no event_type= segment", "no hour folders", "url above the integration"]
)
def test_currents_alone_from_another_layout_needs_no_api_key(tmp_path: Path, layout: str) -> None:
    """Discovery and the sync find the event types where the layout differs: from the
    writer schemas, or one folder level further down; a run that reads Currents alone
    needs no Braze API key (a run that reads the API does, and says so)."""
    folder = tmp_path / "bucket"
    data = tree(3, prefix="braze/currents")
    if layout != "url above the integration":
        without_event_type_segments(data)
    if layout == "no hour folders":
        without_hour_folders(data)
    write_folder(data.files, folder)
    url = folder / "braze" if layout == "url above the integration" else folder
    settings = {"currents_url": str(url), "start_date": "2024-05-01"}
    every_event_once_then_nothing_new(settings, data, tmp_path)
    with_dau = run_tap(settings, tmp_path)  # no catalog: dau, from Braze's API
    assert with_dau.returncode != 0
    assert "api_key: required" in with_dau.stderr
    assert "Traceback" not in with_dau.stderr


def test_discovery_takes_the_schema_of_an_older_file_when_the_newest_is_unreadable(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "bucket"
    data = tree(3, event_types=[EMAIL], files_per_hour=1)
    newest = data.files[-1]
    newest.content = b"not an avro file at all"
    write_folder(data.files, folder)
    settings = config(str(folder), currents_skip_bad_files=True)
    found = discover(settings, tmp_path)
    (entry,) = [e for e in found["streams"] if e["tap_stream_id"] == STREAMS[EMAIL]]
    assert "email_address" in entry["schema"]["properties"]
    run = sync(settings, selecting(found, [STREAMS[EMAIL]]), tmp_path)
    assert run.stderr.count(newest.key) == 1  # the sync skips it, with one warning
    assert set(ids_of(run, STREAMS[EMAIL])) == set(data.of(EMAIL)) - set(newest.ids)


def test_a_store_that_refuses_the_credentials_fails_naming_bucket_operation_and_source(
    tmp_path: Path,
) -> None:
    server = start_s3()
    try:
        bucket = server.bucket("refused")
        put_store(tree(1).files, server.store(bucket))
        good = config(f"s3://{bucket}", currents_storage_options=server.options())
        catalog = selecting(discover(good, tmp_path), [STREAMS[EMAIL]])
        with server.signatures_required() as nobody:
            options = {**server.options(), **nobody}
            settings = config(f"s3://{bucket}", currents_storage_options=options)
            for run in (
                run_tap(settings, tmp_path, extra_args=["--discover"]),
                run_tap(settings, tmp_path, catalog=catalog),
            ):
                assert run.returncode != 0
                assert "Traceback" not in run.stderr
                assert f"s3://{bucket}" in run.stderr
                assert "listing" in run.stderr
                assert "access refused" in run.stderr
                assert "currents_storage_options" in run.stderr
                assert nobody["aws_secret_access_key"] not in run.stdout + run.stderr
    finally:
        server.stop()


# -- a run killed at any moment -----------------------------------------------------------------


def test_killed_at_random_moments_the_runs_together_deliver_every_event(tmp_path: Path) -> None:
    folder = tmp_path / "bucket"
    data = tree(8, files_per_hour=3, events_per_file=400)
    write_folder(data.files, folder)
    settings = config(str(folder))
    catalog = selecting(discover(settings, tmp_path), list(STREAMS.values()))
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(settings))
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(catalog))
    delivered: dict[str, Counter[str]] = {stream: Counter() for stream in STREAMS.values()}
    state: dict[str, Any] | None = None
    for kill_after in (150, 900, 1700, None):
        args = [*TAP, "--config", str(config_path), "--catalog", str(catalog_path)]
        if state is not None:
            state_path = tmp_path / "state.json"
            state_path.write_text(json.dumps(state))
            args += ["--state", str(state_path)]
        process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert process.stdout is not None
        lines: list[bytes] = []
        for line in process.stdout:
            lines.append(line)
            if kill_after is not None and sum(b'"RECORD"' in x[:30] for x in lines) >= kill_after:
                process.send_signal(signal.SIGKILL)
                break
        process.communicate(timeout=60)
        messages = parse_messages(b"".join(lines).decode(errors="replace").rpartition("\n")[0])
        for message in messages:
            if message["type"] == "RECORD":
                delivered[message["stream"]][message["record"]["id"]] += 1
            elif message["type"] == "STATE":
                state = message["value"]
    for event_type, stream in STREAMS.items():
        assert set(delivered[stream]) == set(data.of(event_type))


def test_memory_stays_flat_whatever_the_file_size(tmp_path: Path) -> None:
    """One file of 60,000 events, decoded block by block: the tap's peak resident memory
    stays far below the 200 MiB of the README, and the events are all there."""
    folder = tmp_path / "bucket"
    data = tree(1, event_types=[CUSTOM], files_per_hour=1, events_per_file=60_000, duplicates=0)
    write_folder(data.files, folder)
    settings = config(str(folder))
    catalog = selecting(discover(settings, tmp_path), [STREAMS[CUSTOM]])
    (tmp_path / "config.json").write_text(json.dumps(settings))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    args = ["--config", str(tmp_path / "config.json"), "--catalog", str(tmp_path / "catalog.json")]
    peak_mib = run_measuring_memory(args, tmp_path, tmp_path / "out.jsonl")
    assert peak_mib < 200, peak_mib
    with (tmp_path / "out.jsonl").open("rb") as out:
        count = sum(1 for line in out if line.startswith(b'{"type":"RECORD"'))
    assert count == 60_000


def test_test_lists_the_bucket_of_the_selected_currents_streams(tmp_path: Path) -> None:
    folder = tmp_path / "bucket"
    write_folder(tree(1).files, folder)
    settings = config(str(folder))
    catalog = selecting(discover(settings, tmp_path), [STREAMS[EMAIL]])
    run = run_tap(settings, tmp_path, catalog=catalog, extra_args=["--test"])
    assert run.returncode == 0, run.stderr
    assert f"stream '{STREAMS[EMAIL]}' (listing and reading {folder}): OK" in run.stderr
    assert run.records == []
    gone = config(str(tmp_path / "nowhere"))
    run = run_tap(gone, tmp_path, catalog=catalog, extra_args=["--test"])
    assert run.returncode == 1
    assert "does not exist" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_run_ends_on_a_state_that_claims_the_files_it_read(tmp_path: Path) -> None:
    """After the Currents streams, dau re-reads its look-back and changes nothing: the
    run still ends on a STATE, with the night's files claimed (target-jsonl keeps only
    the STATE after the last RECORD)."""
    folder = tmp_path / "bucket"
    write_folder(tree(2, event_types=[EMAIL]).files, folder)
    apps = {f"app-{n}": dt.date(2024, 1, 1) for n in range(8)}
    with BrazeEmulator(api_key=API_KEY, apps=apps, today=dt.date(2024, 5, 2)) as braze:
        settings = {
            **config(str(folder)),
            "api_url": braze.url,
            "end_date": "2024-05-02",
            "app_ids": list(apps),
        }
        catalog = selecting(discover(settings, tmp_path), [STREAMS[EMAIL], "dau", "mau"])
        first = sync(settings, catalog, tmp_path)
        # a night with nothing new: dau's state, as its records leave it, is the same
        second = sync(settings, catalog, tmp_path, state=first.last_state)
        later = currents_tree(
            hours=[START + dt.timedelta(hours=2)], event_types=[EMAIL], seed=4, duplicates=0
        )
        write_folder(later.files, folder)
        third = sync(settings, catalog, tmp_path, state=second.last_state)
    assert third.messages[-1]["type"] == "STATE"
    assert [m["stream"] for m in third.messages if m["type"] == "RECORD"][-1] == "mau"
    claimed = third.messages[-1]["value"]["bookmarks"][STREAMS[EMAIL]]
    assert claimed["newest_hour"] == "2024-05-01-02"


def test_currents_from_azure_blob_storage(tmp_path: Path) -> None:
    """The same storage layer reads az:// (Azurite): every event once, then nothing new."""
    azure = start_azurite()
    try:
        container = azure.container("currents")
        data = tree(3)
        put_store(data.files, azure.store(container))
        settings = config(f"az://{container}", currents_storage_options=azure.options())
        every_event_once_then_nothing_new(settings, data, tmp_path)
    finally:
        azure.stop()
