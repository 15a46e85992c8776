"""Meltano pipelines end to end: real Meltano, real targets, a real PostgreSQL server.

Only Braze is simulated (the emulator on 127.0.0.1). Meltano runs the repository's own
meltano.yml; its plugins are installed once per test session (`meltano install`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from braze_emulator import (
    WORKSPACE,
    BrazeEmulator,
    Fault,
    Segment,
    many_suppressions,
    many_users,
)
from braze_emulator.currents import currents_tree, hours_between, write_folder
from braze_emulator.messaging import Campaign, Canvas
from tap_braze_dau.personal_data import PersonalDataRule
from tap_braze_dau.streams import BY_NAME
from tests.helpers import ALL_STREAMS, API_KEY, ROOT, bookmarks_of, day_range
from tests.pipelines.postgres import PostgresServer, start_postgres

FIRST, LAST = dt.date(2024, 1, 1), dt.date(2024, 12, 31)  # 366 days: 4 windows a series
APPS = {"ios": dt.date(2023, 6, 1), "android": dt.date(2024, 4, 10), "web": dt.date(2024, 11, 1)}
SERIES = [*APPS, WORKSPACE]


@pytest.fixture(scope="session")
def meltano_bin() -> str:
    """Meltano from `make` (MELTANO_BIN) or .venv-meltano; never skipped."""
    candidate = os.environ.get("MELTANO_BIN") or str(ROOT / ".venv-meltano" / "bin" / "meltano")
    if not Path(candidate).exists():
        pytest.fail(f"Meltano not found at {candidate}: run the tests with `make test`")
    return candidate


@pytest.fixture(scope="session")
def installed(meltano_bin: str) -> str:
    """`meltano install` of the project's own meltano.yml, once per session."""
    result = subprocess.run(
        [meltano_bin, "install"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=_clean_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return meltano_bin


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def braze() -> Iterator[BrazeEmulator]:
    sent = dt.datetime(2024, 12, 20, 9, tzinfo=dt.timezone.utc)
    with BrazeEmulator(
        api_key=API_KEY,
        apps=APPS,
        today=LAST,
        # one of each, so that a run of every stream asks for every kind of data
        campaigns={"c-1": Campaign("Year end", first_sent=sent, last_sent=sent)},
        canvases={"v-1": Canvas("Year end", first_entry=sent, last_entry=sent)},
        users={"seg-all": many_users(20, segment_id="seg-all")},
        export_delay=0.05,
    ) as emulator:
        yield emulator


def _clean_env() -> dict[str, str]:
    """The environment without any TAP_/TARGET_/MELTANO_ settings of the developer's."""
    prefixes = ("TAP_BRAZE_DAU_", "TARGET_", "MELTANO_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def run_meltano(
    meltano_bin: str,
    project: Path,
    env: dict[str, str],
    *args: str,
    secrets: tuple[str, ...] = (API_KEY,),
) -> subprocess.CompletedProcess[str]:
    """One Meltano command in `project`; no secret may appear in what it printed."""
    result = subprocess.run(
        [meltano_bin, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    for secret in secrets:
        assert secret not in result.stdout + result.stderr, "a key in Meltano's output"
    return result


def project_copy(tmp_path: Path, meltano_yml: str) -> Path:
    """A Meltano project beside the repository's, sharing its installed plugins."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "meltano.yml").write_text(meltano_yml)
    (project / ".meltano").symlink_to(ROOT / ".meltano")
    return project


class Pipeline:
    """`meltano run tap-braze-dau <target>` with its settings in environment variables."""

    def __init__(
        self, meltano_bin: str, tmp_path: Path, braze: BrazeEmulator, **settings: str
    ) -> None:
        self.meltano_bin = meltano_bin
        self.env = {
            **_clean_env(),
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TAP_BRAZE_DAU_API_KEY": API_KEY,
            "TAP_BRAZE_DAU_API_URL": braze.url,
            "TAP_BRAZE_DAU_APP_IDS": json.dumps(list(APPS)),
            "TAP_BRAZE_DAU_START_DATE": FIRST.isoformat(),
            "TAP_BRAZE_DAU_END_DATE": LAST.isoformat(),
            "TAP_BRAZE_DAU_RETRY_WAIT_SECONDS": "0.01",
            # the test server trusts loopback connections; target-postgres wants a password
            "TARGET_POSTGRES_PASSWORD": "unused-with-trust-auth",
            "TARGET_CSV_OUTPUT_PATH": str(tmp_path / "csv"),
            "TARGET_JSONL_DESTINATION_PATH": str(tmp_path / "jsonl"),
            **settings,
        }
        (tmp_path / "jsonl").mkdir(exist_ok=True)

    def meltano(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_meltano(self.meltano_bin, ROOT, self.env, *args)

    def run(self, target: str, *, succeed: bool = True) -> subprocess.CompletedProcess[str]:
        result = self.meltano("run", "tap-braze-dau", target)
        if succeed:
            assert result.returncode == 0, result.stderr[-6000:]
        return result

    def state(self, target: str) -> dict[str, Any]:
        result = self.meltano("state", "get", f"dev:tap-braze-dau-to-{target}")
        assert result.returncode == 0, result.stderr[-3000:]
        state: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])["singer_state"]
        return state


def expected(
    braze: BrazeEmulator, first: dt.date = FIRST, last: dt.date = LAST, stream: str = "dau"
) -> dict[tuple[str, str], int]:
    return {
        (s, day): value
        for s in SERIES
        for day, value in braze.expected(s, first, last, stream).items()
    }


def requested_days(braze: BrazeEmulator) -> dict[str, list[str]]:
    days: dict[str, list[str]] = {}
    for request in braze.dau_requests():
        if request.status == 200 and request.first_day and request.last_day:
            days.setdefault(request.app_id or "", []).extend(
                day_range(
                    dt.date.fromisoformat(request.first_day),
                    dt.date.fromisoformat(request.last_day),
                )
            )
    return days


def revise_last_days(braze: BrazeEmulator) -> None:
    """Braze completes today's partial count and revises the day before."""
    for series in SERIES:
        braze.revise(series, LAST, 11)
        braze.revise(series, LAST - dt.timedelta(days=1), 22)


# -- PostgreSQL --------------------------------------------------------------------------------


def table_rows(
    postgres: PostgresServer, schema: str, table: str = "dau"
) -> list[tuple[str, str, int]]:
    """(app_id, day, value) of a stream's table; the value column is named as the stream."""
    rows = postgres.query(f'SELECT app_id, "time"::text, {table} FROM {schema}.{table}')
    return [(app_id, day, int(value)) for app_id, day, value in rows]


def as_mapping(rows: list[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    mapping = {(app_id, day): dau for app_id, day, dau in rows}
    assert len(mapping) == len(rows), "a (app_id, day) key is there more than once"
    return mapping


def postgres_pipeline(
    installed: str,
    tmp_path: Path,
    braze: BrazeEmulator,
    postgres: PostgresServer,
    schema: str,
    **settings: str,
) -> Pipeline:
    """A pipeline into its own schema of the test server, configured as users do: env vars."""
    return Pipeline(
        installed,
        tmp_path,
        braze,
        TARGET_POSTGRES_HOST=postgres.host,
        TARGET_POSTGRES_PORT=str(postgres.port),
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=schema,
        **settings,
    )


def test_postgres_full_then_incremental_updates_in_place(
    installed: str, postgres: PostgresServer, braze: BrazeEmulator, tmp_path: Path
) -> None:
    schema = "braze_incremental"
    pipeline = postgres_pipeline(installed, tmp_path, braze, postgres, schema)
    pipeline.run("target-postgres")
    assert as_mapping(table_rows(postgres, schema)) == expected(braze)
    assert len(braze.dau_requests()) == len(SERIES) * 4

    revise_last_days(braze)
    braze.requests.clear()
    pipeline.run("target-postgres")  # Meltano hands the tap its state by itself
    rows = table_rows(postgres, schema)
    assert as_mapping(rows) == expected(braze)  # updated in place, nothing duplicated
    assert all(as_mapping(rows)[(s, LAST.isoformat())] == 11 for s in SERIES)
    # nothing older than the bookmark minus the 3 look-back days was requested again
    # (and the day after the last, see plan/windows.py)
    lookback = day_range(LAST - dt.timedelta(days=3), LAST + dt.timedelta(days=1))
    assert requested_days(braze) == dict.fromkeys(SERIES, lookback)
    primary_key = postgres.query(
        f"SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        f"AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '{schema}.dau'::regclass "
        "AND i.indisprimary"
    )
    assert sorted(name for (name,) in primary_key) == ["app_id", "time"]


def test_postgres_interrupted_run_leaves_whole_windows_and_resumes_without_gap(
    installed: str, postgres: PostgresServer, braze: BrazeEmulator, tmp_path: Path
) -> None:
    schema = "braze_interrupted"
    pipeline = postgres_pipeline(
        installed, tmp_path, braze, postgres, schema, TAP_BRAZE_DAU_MAX_RETRIES="1"
    )
    # android's third window (2024-06-16..2024-09-23) fails for good: Braze answers 500
    braze.add_fault(Fault("status", status=500, count=-1, app_id="android", covers="2024-08-01"))
    failed = pipeline.run("target-postgres", succeed=False)
    assert failed.returncode != 0
    loaded = as_mapping(table_rows(postgres, schema))
    windows = {"ios": 4, "android": 2}  # windows delivered before the failure
    plan = {  # the 4 windows of 2024 and the day after (367 days = 67 + 3 x 100)
        1: (dt.date(2024, 1, 1), dt.date(2024, 3, 7)),
        2: (dt.date(2024, 3, 8), dt.date(2024, 6, 15)),
        3: (dt.date(2024, 6, 16), dt.date(2024, 9, 23)),
        4: (dt.date(2024, 9, 24), LAST),
    }
    for series in SERIES:
        got = {day: dau for (s, day), dau in loaded.items() if s == series}
        done = windows.get(series, 0)
        want = braze.expected(series, FIRST, plan[done][1]) if done else {}
        assert got == want, f"{series}: whole windows only"
    bookmarks = bookmarks_of(pipeline.state("target-postgres"))
    assert bookmarks.get("ios") == LAST.isoformat()
    assert bookmarks.get("android") == plan[2][1].isoformat()

    braze.clear_faults()
    pipeline.run("target-postgres")
    assert as_mapping(table_rows(postgres, schema)) == expected(braze)


def test_postgres_opting_in_to_more_streams_loads_one_table_each(
    installed: str, postgres: PostgresServer, braze: BrazeEmulator, tmp_path: Path
) -> None:
    """The project syncs dau unless told otherwise; TAP_BRAZE_DAU__SELECT (the `select`
    extra) opts in to more streams, and target-postgres makes one table of each."""
    schema = "braze_kpis"
    streams = ["dau", "mau", "new_users", "sessions"]
    pipeline = postgres_pipeline(
        installed,
        tmp_path,
        braze,
        postgres,
        schema,
        TAP_BRAZE_DAU__SELECT=json.dumps([f"{stream}.*" for stream in streams]),
    )
    pipeline.run("target-postgres")
    assert tables_in(postgres, schema) == sorted(streams)
    for stream in streams:
        assert as_mapping(table_rows(postgres, schema, stream)) == expected(braze, stream=stream), (
            stream
        )
    state = pipeline.state("target-postgres")
    assert sorted(state["bookmarks"]) == sorted(streams)

    # the README's stickiness query, on the loaded tables
    rows = postgres.query(readme_stickiness_query().replace("braze.", f"{schema}."))
    dau, mau = expected(braze, stream="dau"), expected(braze, stream="mau")
    assert len(rows) == len(dau)
    for app_id, day, dau_value, mau_value, stickiness in rows:
        assert int(dau_value) == dau[(app_id, day)]
        assert int(mau_value) == mau[(app_id, day)]
        share = Decimal(dau_value) / Decimal(mau_value)  # PostgreSQL rounds half away from 0
        assert Decimal(stickiness) == share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


ANALYTICS_STREAMS = [
    "event_counts",
    "events",
    "products",
    "purchase_quantity",
    "purchase_revenue",
    "segment_sizes",
    "segments",
    "sessions_hourly",
]


def tables_in(postgres: PostgresServer, schema: str) -> list[str]:
    """The tables of `schema`, sorted."""
    rows = postgres.query(
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'"
    )
    return sorted(name for (name,) in rows)


def primary_key_of(postgres: PostgresServer, schema: str, table: str) -> list[str]:
    rows = postgres.query(
        f"SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        f"AND a.attnum = ANY(i.indkey) WHERE i.indrelid = '{schema}.{table}'::regclass "
        "AND i.indisprimary"
    )
    return sorted(name for (name,) in rows)


def analytics_expected(
    braze: BrazeEmulator, first: dt.date
) -> dict[str, dict[tuple[str, ...], str]]:
    """{stream: {key: value as PostgreSQL prints it}} a sync from `first` to LAST loads."""

    def text(value: object) -> str:
        return str(Decimal(str(value)).normalize()) if isinstance(value, float) else str(value)

    apps = [*APPS, WORKSPACE]
    found: dict[str, dict[tuple[str, ...], str]] = {}
    for stream, dimensions in (
        ("event_counts", list(braze.events)),
        ("purchase_quantity", [*braze.products, None]),
        ("purchase_revenue", [*braze.products, None]),
    ):
        found[stream] = {
            (value or "_all", app, day): text(number)
            for value in dimensions
            for app in apps
            for day, number in braze.expected_series(
                stream, first, LAST, app_id=app, dimension=value
            ).items()
        }
    found["segment_sizes"] = {
        (segment, day): text(size)
        for segment, described in braze.segments.items()
        if described.analytics_tracking_enabled
        for day, size in braze.expected_series(
            "segment_sizes", first, LAST, dimension=segment
        ).items()
    }
    start = dt.datetime.combine(first, dt.time(0), tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(LAST, dt.time(23), tzinfo=dt.timezone.utc)
    found["sessions_hourly"] = {
        (app, hour): text(sessions)
        for app in apps
        for hour, sessions in braze.expected_hourly(app, start, end).items()
    }
    return found


def test_postgres_loads_the_analytics_streams_one_table_each_upserting_on_their_keys(
    installed: str, postgres: PostgresServer, tmp_path: Path
) -> None:
    events = {"login": dt.date(2023, 1, 1), "share": dt.date(2024, 12, 20)}
    products = {"gold": dt.date(2023, 1, 1), "silver": dt.date(2024, 12, 10)}
    segments = {
        "seg-a": Segment("Active", dt.date(2023, 1, 1), True, ("core", "paid")),
        "seg-b": Segment("Untracked", dt.date(2023, 1, 1), False),
    }
    first = dt.date(2024, 12, 1)
    schema = "braze_analytics"
    with BrazeEmulator(
        api_key=API_KEY, apps=APPS, today=LAST, events=events, products=products, segments=segments
    ) as braze:
        pipeline = postgres_pipeline(
            installed,
            tmp_path,
            braze,
            postgres,
            schema,
            TAP_BRAZE_DAU_START_DATE=first.isoformat(),
            TAP_BRAZE_DAU__SELECT=json.dumps([f"{s}.*" for s in [*ANALYTICS_STREAMS, "dau"]]),
        )
        pipeline.run("target-postgres")
        for run in (1, 2):
            assert tables_in(postgres, schema) == sorted([*ANALYTICS_STREAMS, "dau"])
            want = analytics_expected(braze, first)
            for stream, rows in want.items():
                declaration = BY_NAME[stream]
                columns = ", ".join(f'"{c}"' for c in declaration.key_columns)
                value = declaration.values[0].name
                loaded = postgres.query(f'SELECT {columns}, "{value}"::text FROM {schema}.{stream}')
                got = {tuple(row[:-1]): row[-1] for row in loaded}
                assert len(got) == len(loaded), f"{stream}: a key loaded twice"
                if stream == "sessions_hourly":
                    got = {
                        (
                            app,
                            dt.datetime.fromisoformat(hour)
                            .astimezone(dt.timezone.utc)
                            .strftime("%Y-%m-%dT%H:%M:%SZ"),
                        ): v
                        for (app, hour), v in got.items()
                    }
                got = {k: str(Decimal(v).normalize()) for k, v in got.items()}
                assert got == {k: str(Decimal(v).normalize()) for k, v in rows.items()}, stream
                assert primary_key_of(postgres, schema, stream) == sorted(declaration.key_columns)
            listed = postgres.query(f"SELECT segment_id, name, tags::text FROM {schema}.segments")
            assert sorted(listed) == [
                ["seg-a", "Active", "{core,paid}"],
                ["seg-b", "Untracked", "{}"],
            ]
            assert sorted(
                n for (n,) in postgres.query(f"SELECT name FROM {schema}.events")
            ) == sorted(events)
            assert primary_key_of(postgres, schema, "products") == ["product_id"]
            if run == 1:
                # the second run re-reads the look-back: it replaces rows, adds none
                braze.requests.clear()
                pipeline.run("target-postgres")
                assert braze.requests, "the second run asked Braze again"
        # the README's query of event counts per active user
        joined = postgres.query(
            readme_query("events-per-dau-query").replace("braze.", f"{schema}.")
        )
        counts = analytics_expected(braze, first)["event_counts"]
        dau = expected(braze, first, LAST)
        assert len(joined) == sum(1 for (_e, app, day) in counts if (app, day) in dau)
        for event, app_id, day, count, dau_value, per_user in joined:
            assert counts[(event, app_id, day)] == count
            assert int(dau_value) == dau[(app_id, day)]
            share = Decimal(count) / Decimal(dau_value)
            assert Decimal(per_user) == share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        state = pipeline.state("target-postgres")
        hourly = state["bookmarks"]["sessions_hourly"]["partitions"]
        assert {p["replication_key_value"] for p in hourly} == {f"{LAST}T23:00:00Z"}


MESSAGING_STREAMS = [
    "campaign_details",
    "campaign_stats",
    "campaigns",
    "canvas_details",
    "canvas_stats",
    "canvases",
]


def test_postgres_loads_campaigns_and_canvases_with_their_nested_stats_as_json(
    installed: str, postgres: PostgresServer, tmp_path: Path
) -> None:
    utc = dt.timezone.utc
    campaigns = {
        "c-multi": Campaign(
            "Holiday",
            first_sent=dt.datetime(2024, 12, 1, 9, tzinfo=utc),
            last_sent=dt.datetime(2024, 12, 5, 9, tzinfo=utc),
            channels=("email", "ios_push", "in_app_message"),
            variations=2,
            control_group=True,
        ),
        "c-never": Campaign("Draft", draft=True),
    }
    canvases = {
        "v-1": Canvas(
            "Winback",
            first_entry=dt.datetime(2024, 12, 10, tzinfo=utc),
            last_entry=dt.datetime(2024, 12, 20, tzinfo=utc),
            variants=2,
            steps=3,
        )
    }
    first = dt.date(2024, 11, 1)
    schema = "braze_messaging"
    with BrazeEmulator(
        api_key=API_KEY, today=LAST, campaigns=campaigns, canvases=canvases
    ) as braze:
        pipeline = postgres_pipeline(
            installed,
            tmp_path,
            braze,
            postgres,
            schema,
            TAP_BRAZE_DAU_START_DATE=first.isoformat(),
            TAP_BRAZE_DAU__SELECT=json.dumps([f"{s}.*" for s in MESSAGING_STREAMS]),
        )
        for run in (1, 2):  # the second run re-reads the look-back: it replaces, adds none
            pipeline.run("target-postgres")
            assert tables_in(postgres, schema) == MESSAGING_STREAMS, run
            rows = postgres.query(
                f'SELECT campaign_id, "time"::text, unique_recipients, revenue::text, '
                f"messages::text FROM {schema}.campaign_stats"
            )
            want = {
                row["time"]: row for row in braze.expected_campaign_stats("c-multi", first, LAST)
            }
            assert sorted(day for _c, day, *_ in rows) == sorted(want)
            for campaign_id, day, recipients, revenue, messages in rows:
                assert campaign_id == "c-multi"
                assert int(recipients) == want[day]["unique_recipients"]
                assert Decimal(revenue) == Decimal(str(want[day]["revenue"]))
                assert json.loads(messages) == want[day]["messages"]
            canvas = postgres.query(
                f'SELECT "time"::text, entries, step_stats::text FROM {schema}.canvas_stats'
            )
            stats = braze.expected_canvas_stats(
                "v-1", first, LAST, include_variant_breakdown=True, include_step_breakdown=True
            )
            assert len(canvas) == len(stats)
            by_day = {row["time"]: row for row in stats}
            for day, entries, steps in canvas:
                assert int(entries) == by_day[day]["total_stats"]["entries"]
                assert json.loads(steps) == by_day[day]["step_stats"]
            for table, key in (
                ("campaign_stats", ["campaign_id", "time"]),
                ("canvas_stats", ["canvas_id", "time"]),
                ("campaigns", ["campaign_id"]),
                ("campaign_details", ["campaign_id"]),
            ):
                assert primary_key_of(postgres, schema, table) == key
            details = postgres.query(
                f"SELECT campaign_id, (first_sent IS NULL)::text FROM {schema}.campaign_details"
            )
            assert sorted(details) == [["c-multi", "false"], ["c-never", "true"]]
        # the README's query of one campaign's sends and conversions by channel
        query = readme_query("campaign-channels-query").replace("braze.", f"{schema}.")
        by_channel = postgres.query(query.replace("YOUR-CAMPAIGN-ID", "c-multi"))
        expected_rows = []
        for day, row in sorted(want.items()):
            for channel, variations in sorted(row["messages"].items()):
                sent = [v["sent"] for v in variations if "sent" in v]
                expected_rows.append(
                    [
                        day,
                        channel,
                        sum(sent) if sent else None,
                        sum(v["conversions"] for v in variations),
                    ]
                )
        got = [
            [str(d), c, None if s in (None, "") else int(s), int(v)] for d, c, s, v in by_channel
        ]
        assert got == expected_rows


def readme_query(marker: str) -> str:
    """The SQL block after `<!-- marker` in the README."""
    readme = (ROOT / "README.md").read_text()
    after = readme.split(f"<!-- {marker}", 1)[1]
    return after.split("```sql\n", 1)[1].split("```", 1)[0]


def readme_stickiness_query() -> str:
    return readme_query("stickiness-query")


def test_the_project_syncs_dau_unless_told_otherwise(
    installed: str, braze: BrazeEmulator, tmp_path: Path
) -> None:
    pipeline = Pipeline(installed, tmp_path, braze, TAP_BRAZE_DAU_START_DATE="2024-12-30")
    listed = pipeline.meltano("select", "tap-braze-dau", "--list")
    assert listed.returncode == 0, listed.stderr
    selected = {
        line.split()[-1].split(".")[0] for line in listed.stdout.splitlines() if "[selected" in line
    }
    assert selected == {"dau"}
    pipeline.run("target-jsonl")
    assert sorted(path.name for path in (tmp_path / "jsonl").iterdir()) == ["dau.jsonl"]
    assert {r.stream for r in braze.data_requests()} == {"dau"}


def test_meltano_sends_no_unset_object_setting(
    installed: str, braze: BrazeEmulator, tmp_path: Path
) -> None:
    """A null `stream_maps.__else__` would drop every stream: the definition declares no
    member of an object setting, so Meltano sends none."""
    printed = Pipeline(installed, tmp_path, braze).meltano("config", "print", "tap-braze-dau")
    assert printed.returncode == 0, printed.stderr
    config = json.loads(printed.stdout[printed.stdout.index("{") :])
    assert "stream_maps" not in config
    assert "faker_config" not in config


# -- files ----------------------------------------------------------------------------------


def read_csv(folder: Path) -> list[tuple[str, str, int]]:
    """Every run's file (dau-<timestamp>.csv), oldest first."""
    rows = []
    for path in sorted(folder.glob("dau-*.csv")):
        with path.open(newline="") as handle:
            rows += [(r["app_id"], r["time"], int(r["dau"])) for r in csv.DictReader(handle)]
    return rows


def read_jsonl(folder: Path, stream: str = "dau") -> list[tuple[str, str, int]]:
    path = folder / f"{stream}.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [(r["app_id"], r["time"], r["dau"]) for r in records]


FILE_TARGETS: dict[str, tuple[str, Callable[[Path], list[tuple[str, str, int]]]]] = {
    "target-csv": ("csv", read_csv),
    "target-jsonl": ("jsonl", read_jsonl),
}


@pytest.mark.parametrize("target", list(FILE_TARGETS))
def test_file_targets_full_then_incremental(
    installed: str, braze: BrazeEmulator, tmp_path: Path, target: str
) -> None:
    """Files keep every run: run 2 adds only the re-read days, with their revised values."""
    folder, read = FILE_TARGETS[target]
    pipeline = Pipeline(installed, tmp_path, braze)
    pipeline.run(target)
    first_rows = read(tmp_path / folder)
    assert as_mapping(first_rows) == expected(braze)

    revise_last_days(braze)
    braze.requests.clear()
    pipeline.run(target)
    all_rows = read(tmp_path / folder)
    appended = all_rows[len(first_rows) :]
    assert all_rows[: len(first_rows)] == first_rows
    # run 2 delivered exactly the look-back days, each once, with Braze's latest values
    assert as_mapping(appended) == expected(braze, LAST - dt.timedelta(days=3), LAST)
    # read keyed on (app_id, time), last row wins: the whole history, revised
    latest = {(a, d): v for a, d, v in all_rows}
    assert latest == expected(braze)


def test_stream_maps_rename_the_stream_and_add_a_column(
    installed: str, braze: BrazeEmulator, tmp_path: Path
) -> None:
    maps = {"dau": {"__alias__": "braze_dau", "month": "time[:7]", "source": "'braze'"}}
    pipeline = Pipeline(
        installed,
        tmp_path,
        braze,
        TAP_BRAZE_DAU_STREAM_MAPS=json.dumps(maps),
        TAP_BRAZE_DAU_START_DATE="2024-12-01",
    )
    pipeline.run("target-jsonl")
    assert not (tmp_path / "jsonl" / "dau.jsonl").exists()
    records = [
        json.loads(line)
        for line in (tmp_path / "jsonl" / "braze_dau.jsonl").read_text().splitlines()
    ]
    assert len(records) == len(SERIES) * 31
    for record in records:
        assert record["source"] == "braze"
        assert record["month"] == record["time"][:7]
        assert record["dau"] == braze.value(record["app_id"], dt.date.fromisoformat(record["time"]))


def test_api_key_is_sensitive_in_meltano_config(
    installed: str, braze: BrazeEmulator, tmp_path: Path
) -> None:
    pipeline = Pipeline(installed, tmp_path, braze)
    listed = pipeline.meltano("config", "list", "tap-braze-dau")
    assert listed.returncode == 0, listed.stderr
    assert "api_key" in listed.stdout
    assert "redacted" in listed.stdout.lower()


def test_settings_from_a_dotenv_file(installed: str, braze: BrazeEmulator, tmp_path: Path) -> None:
    """A project copy whose settings live only in .env, as the README tells users."""
    project = project_copy(tmp_path, (ROOT / "meltano.yml").read_text())
    (project / ".env").write_text(
        f"TAP_BRAZE_DAU_API_KEY={API_KEY}\n"
        f"TAP_BRAZE_DAU_API_URL={braze.url}\n"
        "TAP_BRAZE_DAU_APP_IDS='[\"web\"]'\n"
        "TAP_BRAZE_DAU_INCLUDE_WORKSPACE_TOTAL=false\n"
        "TAP_BRAZE_DAU_START_DATE=2024-12-25\n"
        "TAP_BRAZE_DAU_END_DATE=2024-12-31\n"
        f"TARGET_JSONL_DESTINATION_PATH={tmp_path / 'out'}\n"
    )
    (tmp_path / "out").mkdir()
    env = {**_clean_env(), "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"}
    result = run_meltano(installed, project, env, "run", "tap-braze-dau", "target-jsonl")
    assert result.returncode == 0, result.stderr[-4000:]
    rows = read_jsonl(tmp_path / "out")
    assert as_mapping(rows) == {
        ("web", day): dau for day, dau in braze.expected("web", dt.date(2024, 12, 25), LAST).items()
    }


def test_many_workspaces_through_inherit_from(installed: str, tmp_path: Path) -> None:
    """The README's recipe: one inheriting extractor per workspace, each with its own key
    (its own environment variable), its own target and its own state."""
    meltano_yml = yaml.safe_load((ROOT / "meltano.yml").read_text())
    for region, app_id in (("eu", "web"), ("us", "ios")):
        meltano_yml["plugins"]["extractors"].append(
            {
                "name": f"tap-braze-dau--{region}",
                "inherit_from": "tap-braze-dau",
                "config": {"app_ids": [app_id], "include_workspace_total": False},
            }
        )
        meltano_yml["plugins"]["loaders"].append(
            {
                "name": f"target-jsonl--{region}",
                "inherit_from": "target-jsonl",
                "config": {"destination_path": str(tmp_path / region)},
            }
        )
        (tmp_path / region).mkdir()
    # inheriting plugins share their parents' installed environments
    project = project_copy(tmp_path, yaml.safe_dump(meltano_yml, sort_keys=False))

    eu_key, us_key = "eu-key-0123456789", "us-key-9876543210"
    with (
        BrazeEmulator(api_key=eu_key, apps={"web": dt.date(2024, 12, 1)}, today=LAST) as eu,
        BrazeEmulator(api_key=us_key, apps={"ios": dt.date(2024, 12, 10)}, today=LAST) as us,
    ):
        env = {
            **_clean_env(),
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
            "TAP_BRAZE_DAU__EU_API_KEY": eu_key,
            "TAP_BRAZE_DAU__EU_API_URL": eu.url,
            "TAP_BRAZE_DAU__US_API_KEY": us_key,
            "TAP_BRAZE_DAU__US_API_URL": us.url,
            "TAP_BRAZE_DAU_END_DATE": LAST.isoformat(),
        }

        def meltano(*args: str) -> subprocess.CompletedProcess[str]:
            result = run_meltano(installed, project, env, *args, secrets=(eu_key, us_key))
            assert result.returncode == 0, result.stderr[-4000:]
            return result

        meltano("run", "tap-braze-dau--eu", "target-jsonl--eu")
        meltano("run", "tap-braze-dau--us", "target-jsonl--us")
        assert as_mapping(read_jsonl(tmp_path / "eu")) == {
            ("web", d): v for d, v in eu.expected("web", dt.date(2024, 12, 1), LAST).items()
        }
        assert as_mapping(read_jsonl(tmp_path / "us")) == {
            ("ios", d): v for d, v in us.expected("ios", dt.date(2024, 12, 10), LAST).items()
        }
        states = meltano("state", "list").stdout.split()
        assert "dev:tap-braze-dau--eu-to-target-jsonl--eu" in states
        assert "dev:tap-braze-dau--us-to-target-jsonl--us" in states


# -- a project of the user's own ------------------------------------------------------------

TARGET_JSONL_DEFINITION = """\
name: target-jsonl
namespace: target_jsonl
variant: andyh1203
pip_url: target-jsonl~=0.1
executable: target-jsonl
settings:
- name: destination_path
  kind: string
- name: do_timestamp_file
  kind: boolean
"""


def test_a_fresh_project_adds_the_tap_from_its_definition_file(
    installed: str, braze: BrazeEmulator, tmp_path: Path
) -> None:
    """What the README's install section tells a user with a Meltano project of their own:
    `meltano add --from-ref tap-braze-dau.yml` (pip_url pointed at a checkout, as for an
    unreleased version), settings from `meltano config` and the environment, `meltano run`."""
    env = {
        **_clean_env(),
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    }

    def meltano(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        result = run_meltano(installed, cwd, env, *args)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
        return result

    meltano(tmp_path, "init", "fresh", "--no_usage_stats")
    project = tmp_path / "fresh"
    definition = tmp_path / "tap-braze-dau.yml"
    definition.write_text(
        (ROOT / "tap-braze-dau.yml")
        .read_text()
        .replace("\npip_url: tap-braze-dau\n", f"\npip_url: {ROOT}\n")
    )
    loader = tmp_path / "target-jsonl.yml"
    loader.write_text(TARGET_JSONL_DEFINITION)
    meltano(
        project, "add", "--plugin-type", "extractor", "tap-braze-dau", "--from-ref", str(definition)
    )
    meltano(project, "add", "--plugin-type", "loader", "target-jsonl", "--from-ref", str(loader))
    added = yaml.safe_load((project / "meltano.yml").read_text())["plugins"]["extractors"][0]
    assert added["name"] == "tap-braze-dau"
    assert {s["name"] for s in added["settings"] if s.get("sensitive")} == {
        "api_key",
        "currents_storage_options",
        "pii_hash_key",
        "users_export_storage_options",
    }

    meltano(project, "config", "set", "tap-braze-dau", "api_url", braze.url)
    meltano(project, "config", "set", "tap-braze-dau", "app_ids", '["ios"]')
    meltano(project, "config", "set", "tap-braze-dau", "start_date", "2024-12-01")
    meltano(project, "config", "set", "tap-braze-dau", "end_date", LAST.isoformat())
    # `users` needs its segments (every stream is selected): a sync without fails at once
    meltano(project, "config", "set", "tap-braze-dau", "users_segment_ids", '["seg-all"]')
    meltano(project, "config", "set", "target-jsonl", "destination_path", str(tmp_path / "out"))
    meltano(project, "config", "set", "target-jsonl", "do_timestamp_file", "false")
    (tmp_path / "out").mkdir()
    env["TAP_BRAZE_DAU_API_KEY"] = API_KEY  # the key from the environment, never the file
    env["TAP_BRAZE_DAU_RETRY_WAIT_SECONDS"] = "0.01"
    meltano(project, "run", "tap-braze-dau", "target-jsonl")
    rows = read_jsonl(tmp_path / "out")
    first = dt.date(2024, 12, 1)
    assert as_mapping(rows) == {
        (s, day): value
        for s in ("ios", WORKSPACE)
        for day, value in braze.expected(s, first, LAST).items()
    }
    # Meltano selects every stream unless told otherwise: the tap's other streams ran too
    # (but segment_details: this workspace has no segment to ask the details of)
    assert {r.stream for r in braze.data_requests()} == set(ALL_STREAMS) - {"segment_details"}


# -- Currents ------------------------------------------------------------------------------------


def test_postgres_loads_two_currents_event_types_one_row_per_event(
    installed: str, postgres: PostgresServer, braze: BrazeEmulator, tmp_path: Path
) -> None:
    """Two event types from a folder of Currents files, through Meltano into PostgreSQL,
    twice (the second run after Braze delivered more, some events again): one row per
    `id`, every event there, as Braze wrote it."""
    folder = tmp_path / "currents"
    start = dt.datetime(2024, 12, 30, tzinfo=dt.timezone.utc)
    event_types = ["users.messages.email.Send", "users.behaviors.CustomEvent"]
    first = currents_tree(
        hours=hours_between(start, start + dt.timedelta(hours=3)), event_types=event_types
    )
    write_folder(first.files, folder)
    schema = "braze_currents"
    streams = ["currents_messages_email_send", "currents_behaviors_custom_event"]
    pipeline = postgres_pipeline(
        installed,
        tmp_path,
        braze,
        postgres,
        schema,
        TAP_BRAZE_DAU_CURRENTS_URL=str(folder),
        TAP_BRAZE_DAU_START_DATE="2024-12-30",
        TAP_BRAZE_DAU__SELECT=json.dumps([f"{stream}.*" for stream in streams]),
    )
    pipeline.run("target-postgres")
    # later: more hours, and events Braze delivers a second time in new files
    later = currents_tree(
        hours=hours_between(start + dt.timedelta(hours=4), start + dt.timedelta(hours=5)),
        event_types=event_types,
        seed=8,
    )
    for file in later.files[:2]:  # two email files: the first email file's events again
        file.content, file.ids = first.files[0].content, first.files[0].ids
        file.key = file.key.replace(".avro", "-again.avro")
    write_folder(later.files, folder)
    pipeline.run("target-postgres")
    assert tables_in(postgres, schema) == sorted(streams)
    for event_type, stream in zip(event_types, streams, strict=True):
        rows = postgres.query(f"SELECT id, count(*) FROM {schema}.{stream} GROUP BY id")
        assert all(int(count) == 1 for _id, count in rows), "an id twice"
        want = {**later.of(event_type), **first.of(event_type)}
        written = {
            i for f in first.files + later.files if f.event_type == event_type for i in f.ids
        }
        assert {event_id for event_id, _count in rows} == written
        want = {event_id: event for event_id, event in want.items() if event_id in written}
        sample = next(iter(want.values()))
        (loaded,) = postgres.query(
            f"SELECT email_address, time FROM {schema}.{stream} WHERE id = '{sample['id']}'"
            if event_type.endswith("Send")
            else f"SELECT name, time FROM {schema}.{stream} WHERE id = '{sample['id']}'"
        )
        field = "email_address" if event_type.endswith("Send") else "name"
        assert loaded == [sample[field], str(sample["time"])]


def test_postgres_loads_users_and_hard_bounces_joined_on_the_hashed_address(
    installed: str, postgres: PostgresServer, tmp_path: Path
) -> None:
    """`users` (one segment) and `email_hard_bounces`, with `pii: hash`, through Meltano
    into PostgreSQL, twice: one row per key, every profile and bounce there, and the
    README's join finds exactly the users whose (hashed) address bounced."""
    hash_key = "pii-hash-key-DO-NOT-LEAK-0123456789"
    span = (
        dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc),
        dt.datetime(2024, 12, 31, 22, tzinfo=dt.timezone.utc),
    )
    users = many_users(600, segment_id="seg-all")
    bounces = many_suppressions(150, *span)
    schema = "braze_users"
    with BrazeEmulator(
        api_key=API_KEY,
        today=LAST,
        users={"seg-all": users},
        hard_bounces=bounces,
        export_delay=0.2,
        users_per_file=100,
    ) as braze:
        pipeline = postgres_pipeline(
            installed,
            tmp_path,
            braze,
            postgres,
            schema,
            TAP_BRAZE_DAU_START_DATE="2024-12-01",
            TAP_BRAZE_DAU_USERS_SEGMENT_IDS='["seg-all"]',
            TAP_BRAZE_DAU_PII="hash",
            TAP_BRAZE_DAU_PII_HASH_KEY=hash_key,
            TAP_BRAZE_DAU__SELECT=json.dumps(["users.*", "email_hard_bounces.*"]),
        )
        for _run in range(2):
            result = pipeline.run("target-postgres")
            assert hash_key not in result.stdout + result.stderr
    assert tables_in(postgres, schema) == ["email_hard_bounces", "users"]
    assert primary_key_of(postgres, schema, "users") == ["braze_id", "segment_id"]
    assert primary_key_of(postgres, schema, "email_hard_bounces") == ["email", "hard_bounced_at"]
    rule = PersonalDataRule("hash", hash_key.encode())
    loaded = dict(postgres.query(f"SELECT braze_id, email FROM {schema}.users"))
    # (NULL reads as an empty string here: a user without an address)
    assert loaded == {u["braze_id"]: rule.hash(u.get("email"), "email") or "" for u in users}
    rows = postgres.query(f"SELECT email, hard_bounced_at FROM {schema}.email_hard_bounces")
    assert len(rows) == len(bounces)
    assert {email for email, _at in rows} == {rule.hash(e, "email") for e, _at in bounces}
    joined = postgres.query(readme_query("users-bounces-query").replace("braze.", f"{schema}."))
    bounced = {email.strip().lower() for email, _at in bounces}
    want = {u["braze_id"] for u in users if u.get("email", "").strip().lower() in bounced}
    assert want, "the emulator's bounces are some of its users' addresses"
    assert {braze_id for _segment, braze_id, *_rest in joined} == want
