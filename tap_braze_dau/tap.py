"""The tap: its settings, their validation, its streams, and its command line."""

from __future__ import annotations

import copy
import datetime as dt
import json
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property, partial
from types import FrameType
from typing import Any, ClassVar

import click
import jsonschema
from singer_sdk import Stream
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_braze_dau.braze.client import BrazeClient
from tap_braze_dau.braze.rate_limits import RateLimitPools
from tap_braze_dau.currents.avro_schema import merge_schemas, record_schema
from tap_braze_dau.currents.layout import stream_name
from tap_braze_dau.currents.stream import CurrentsSource, CurrentsStream
from tap_braze_dau.declarations import (
    APP,
    DetailsDeclaration,
    Dimension,
    ListDeclaration,
    SeriesKey,
    StreamDeclaration,
)
from tap_braze_dau.errors import BrazeFatalError
from tap_braze_dau.exports.definitions import DEFINITIONS
from tap_braze_dau.exports.streams import DefinitionStream, ExportsOptions, SuppressionStream
from tap_braze_dau.exports.suppressions import SUPPRESSION_LISTS
from tap_braze_dau.exports.users import EXPORT, UsersExports
from tap_braze_dau.exports.users_stream import USERS, UsersStream
from tap_braze_dau.personal_data import PII_MODES, PersonalDataRule
from tap_braze_dau.plan.activity import ActiveDays
from tap_braze_dau.plan.bookmarks import bookmarks_of, completions_of
from tap_braze_dau.plan.checkpoints import Checkpoints
from tap_braze_dau.plan.details import Details, active_days_of
from tap_braze_dau.plan.listings import Listings
from tap_braze_dau.plan.run import SyncRun
from tap_braze_dau.plan.series import series_keys
from tap_braze_dau.redaction import redact
from tap_braze_dau.singer.connection_test import check_connection
from tap_braze_dau.singer.list_stream import ListStream
from tap_braze_dau.singer.sdk_hooks import SdkTap
from tap_braze_dau.singer.settings import (
    API_KEY_REQUIRED,
    Settings,
    SettingsError,
    coerce_number_strings,
    config_schema,
    parse_settings,
    short_hash_key,
    unknown_settings,
    validate_settings,
)
from tap_braze_dau.singer.stream import SeriesStream
from tap_braze_dau.storage.location import Location
from tap_braze_dau.storage.options import StorageOptions
from tap_braze_dau.storage.scratch import remove_leftovers, scratch_root
from tap_braze_dau.storage.store import ObjectStorage
from tap_braze_dau.streams import DETAILS_BY_NAME, FULL_TABLE, LISTS_BY_NAME, STREAMS

#: Every Currents stream's name starts so.
CURRENTS_PREFIX = "currents_"


class TapBrazeDau(SdkTap):
    """Singer tap for Braze: the analytics series (daily and monthly active users, new
    users, uninstalls, sessions, custom events, purchases and segment sizes, per app and
    for the whole workspace; campaigns' and Canvases' daily stats) and the lists of
    events, products, segments, campaigns and Canvases, with their details; the events
    of Currents, from the workspace's bucket; and the user-level exports: the users of
    segments, the hard bounces and unsubscribes, Content Blocks and email templates."""

    name = "tap-braze-dau"

    # No BATCH: batch files are written after records are read, so a STATE written after
    # each window could claim days not yet in any file. Everything else the SDK offers.
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        c for c in SdkTap.capabilities if c is not PluginCapabilities.BATCH
    ]
    # The SDK's msgspec writer: the same messages for less CPU (docs/benchmarks.md).
    message_writer_class = MsgSpecWriter

    config_jsonschema = config_schema()
    #: The settings above, read before the SDK adds its built-in ones to the same schema:
    #: `settings.validate_settings` checks each of them itself.
    own_settings: ClassVar[frozenset[str]] = frozenset(config_jsonschema["properties"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._bookmarks: dict[SeriesKey, dt.date] = {}
        self._completions: dict[SeriesKey, dt.date] = {}
        # The SDK's --discover builds the tap without its mapper; a sync builds it with
        # one. Only a discovery reads Currents files' headers (their schemas): a sync
        # takes them from its catalog.
        self.discovering = not kwargs.get("setup_mapper", True)
        super().__init__(*args, **kwargs)
        errors = self.selection_problems()
        if errors:
            raise ConfigValidationError(
                "Config validation failed", errors=errors, schema=self.config_jsonschema
            )
        # What a run killed by SIGKILL left in the scratch folder (downloads of Currents
        # files and user exports) goes now, whatever this run syncs.
        for folder in remove_leftovers(scratch_root()):
            self.logger.info("Removed %s, left by a run that was killed", folder)
        if threading.current_thread() is threading.main_thread():
            # Replaces the SDK's handlers, which exit 0: an orchestrator must not take a
            # sync cut short for a success.
            signal.signal(signal.SIGTERM, self._stop_on_signal)
            signal.signal(signal.SIGINT, self._stop_on_signal)

    # -- settings ----------------------------------------------------------------------------

    @override
    def checked_config(self, config: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The tap's own checks for its settings (one message each, naming the setting),
        the JSON schema for the SDK's built-in ones (stream maps, flattening)."""
        config = coerce_number_strings(config)
        errors = validate_settings(config)
        schema = copy.deepcopy(self.config_jsonschema)
        self.append_builtin_config(schema)
        for error in jsonschema.Draft7Validator(schema).iter_errors(config):
            setting = error.path[0] if error.path else None
            if setting is not None and setting not in self.own_settings:
                errors.append(f"{setting}: {error.message}")
        secrets = [config.get("api_key"), config.get("pii_hash_key")]
        for setting in ("currents_storage_options", "users_export_storage_options"):
            options = config.get(setting)
            if isinstance(options, Mapping):
                secrets += [str(value) for value in options.values()]

        def scrubbed(message: str) -> str:
            for secret in secrets:
                if isinstance(secret, str):
                    message = redact(message, secret)
            return message

        for warning in unknown_settings(config, schema["properties"]) + short_hash_key(config):
            self.logger.warning(scrubbed(warning))
        return config, [scrubbed(error) for error in errors]

    @cached_property
    def settings(self) -> Settings:
        return parse_settings(self.config)

    def selection_problems(self) -> list[str]:
        """What the selected streams need of the settings and do not have (the catalog
        is known only once the streams are: this is checked after the settings)."""
        selected = {name for name, stream in self.streams.items() if stream.selected}
        errors = []
        reads_the_api = any(
            stream.selected and not isinstance(stream, CurrentsStream)
            for stream in self.streams.values()
        )
        if reads_the_api and not self.discovering and not self.settings.api_key:
            errors.append(API_KEY_REQUIRED)  # a run of Currents alone needs no key
        if USERS in selected and not self.settings.users_segment_ids:
            errors.append(
                "users_segment_ids: required when the users stream is selected (the API "
                "identifiers of the segments to export; the README shows how to make an "
                "'All users' segment)"
            )
        lists = sorted(selected & {s.name for s in SUPPRESSION_LISTS})
        rule = self.personal_data_rule
        if lists and rule.mode == "drop" and not rule.key:
            errors.append(
                f"pii_hash_key: required with pii: drop when {' and '.join(lists)} "
                "is selected: its key, the address, is hashed rather than dropped"
            )
        return errors

    # -- state -------------------------------------------------------------------------------

    @override
    def load_state(self, state: dict[str, Any]) -> None:
        """The SDK's loading, plus every bookmark read up front for the run's plan."""
        self._bookmarks = bookmarks_of(state, STREAMS)
        self._completions = completions_of(state, STREAMS)
        super().load_state(state)

    @cached_property
    def checkpoints(self) -> Checkpoints:
        """Where STATE is written during a sync (see checkpoints.py)."""
        return Checkpoints(state=lambda: self.state, write=self.state_writer.write_state)

    def _stop_on_signal(self, signum: int, _frame: FrameType | None) -> None:
        """SIGTERM or SIGINT: write the last STATE, then exit 128 + the signal's number.

        The STATE claims exactly the records written so far, so nothing is lost.
        """
        self.checkpoints.write_now()
        self.logger.warning("Stopped by signal %d before the sync completed", signum)
        raise SystemExit(128 + signum)

    # -- streams -----------------------------------------------------------------------------

    @override
    def discover_streams(self) -> list[Stream]:
        series: list[Stream] = [
            SeriesStream(
                self,
                declaration,
                series=self.series_of,
                run=lambda: self.sync_run,
                checkpoints=lambda: self.checkpoints,
            )
            for declaration in STREAMS
        ]
        full_table = [
            ListStream(
                self,
                declaration,
                records=self.full_table_records,
                checkpoint=lambda: self.checkpoints.write_now(),
            )
            for declaration in FULL_TABLE
        ]
        return [*series, *full_table, *self.export_streams(), *self.currents_streams()]

    def export_streams(self) -> list[UsersStream | SuppressionStream | DefinitionStream]:
        """The user-level exports: users, the suppression lists, the definitions. Their
        settings are read when they sync: a discovery needs none."""

        def options() -> ExportsOptions:
            return self.settings.exports_options

        def checkpoints() -> Checkpoints:
            return self.checkpoints

        rule = self.personal_data_rule
        users = UsersStream(
            self,
            segment_ids=lambda: self.settings.users_segment_ids,
            exports=lambda: self.users_exports,
            personal_data=rule,
        )
        suppressions = [
            SuppressionStream(
                self,
                suppression,
                client=self.client_for,
                options=options,
                personal_data=rule,
                checkpoints=checkpoints,
            )
            for suppression in SUPPRESSION_LISTS
        ]
        definitions = [
            DefinitionStream(
                self, definition, client=self.client_for, options=options, checkpoints=checkpoints
            )
            for definition in DEFINITIONS
        ]
        return [users, *suppressions, *definitions]

    @property
    def personal_data_rule(self) -> PersonalDataRule:
        """The `pii` rule, which shapes the schemas: from the settings, or in a discovery
        without a valid config, from `pii` and `pii_hash_key` as they are (keep if unset)."""
        mode = self.config.get("pii")
        if mode not in PII_MODES:
            return PersonalDataRule()
        key = self.config.get("pii_hash_key")
        return PersonalDataRule(mode, str(key or "").encode())

    def client_for(self, stop: threading.Event) -> BrazeClient:
        """A client of the run's (its rate-limit pools shared) that gives up once `stop`
        is set."""
        return BrazeClient(
            self.settings.client_options, logger=self.logger, pools=self.pools, stop=stop
        )

    @cached_property
    def users_exports(self) -> UsersExports:
        """The run's user exports (the bucket of users_export_url opened on first use)."""
        settings = self.settings

        def storage() -> ObjectStorage | None:
            location = settings.users_export_location
            if location is None:
                return None
            return self.open_storage(location, settings.users_export_storage, "users_export_url")

        return UsersExports(
            settings.users_options, client=self.client_for, storage=storage, logger=self.logger
        )

    def open_storage(
        self, location: Location, options: StorageOptions, setting: str
    ) -> ObjectStorage:
        """The store at `location` (which `setting` names), with the run's bounds on each
        operation and its retries."""
        return ObjectStorage(
            location,
            options,
            setting=setting,
            timeout_seconds=self.settings.request_timeout,
            max_retries=self.settings.max_retries,
        )

    def currents_streams(self) -> list[CurrentsStream]:
        """One stream per Currents event type: from the catalog in a sync, from the
        bucket (its event types and their newest schemas) in a discovery; none without
        `currents_url`, or in a sync without a catalog (none would be selected)."""
        if not self.config.get("currents_url"):
            return []
        catalog = self.input_catalog
        schemas: dict[str, dict[str, Any]] = {}
        if catalog is not None:
            schemas = {
                name: entry.schema.to_dict()
                for name, entry in catalog.items()
                if name.startswith(CURRENTS_PREFIX)
            }
        elif self.discovering:
            for event_type, writer in self.currents.discover().items():
                name = stream_name(event_type)
                schema = record_schema(writer)
                schemas[name] = merge_schemas(schemas[name], schema) if name in schemas else schema
        return [
            CurrentsStream(
                self,
                name=name,
                schema=schema,
                source=self.currents,
                checkpoints=lambda: self.checkpoints,
            )
            for name, schema in sorted(schemas.items())
        ]

    @cached_property
    def currents(self) -> CurrentsSource:
        """The run's view of `currents_url` (its storage opened on first use)."""
        settings = self.settings
        location = settings.currents_location
        assert location is not None

        def storage() -> ObjectStorage:
            return self.open_storage(location, settings.currents_storage, "currents_url")

        return CurrentsSource(storage, settings.currents_options, self.logger)

    def full_table_records(self, name: str) -> list[dict[str, Any]]:
        """The records of a list or details stream, read once per run."""
        if name in LISTS_BY_NAME:
            return self.listings.records(LISTS_BY_NAME[name], for_stream=name)
        return self.details.records(DETAILS_BY_NAME[name], for_stream=name)

    def series_of(self, stream: StreamDeclaration) -> list[SeriesKey]:
        """Every series of `stream`, in sync order: per value of its first dimension (an
        event, a product, every product last), one per app, the workspace last."""
        return series_keys(stream, lambda dimension: self.values_of(dimension, stream))

    def values_of(self, dimension: Dimension, stream: StreamDeclaration) -> list[str]:
        """The values of one dimension of `stream` in this run (see `Dimension`)."""
        if dimension == APP:
            return self.settings.series
        named = self.settings.named(dimension.setting) if dimension.setting else ()
        if named:
            values = list(named)
        else:
            assert dimension.listed_by is not None, dimension
            listed = LISTS_BY_NAME[dimension.listed_by]
            values = list(self.listings.values(listed, for_stream=stream.name))
        return values if dimension.all_value is None else [*values, dimension.all_value]

    @cached_property
    def pools(self) -> RateLimitPools:
        """The run's rate-limit gates, one per pool, shared by every request."""
        return RateLimitPools()

    @cached_property
    def listings(self) -> Listings:
        """The run's lists of events, products and segments, each read at most once."""
        client = BrazeClient(self.settings.client_options, logger=self.logger, pools=self.pools)
        return Listings(lambda: client, self.logger)

    @cached_property
    def details(self) -> Details:
        """The run's details of campaigns, Canvases and segments, each read at most once."""
        return Details(
            self.client_for,
            self.listings,
            self.logger,
            parallel=self.settings.max_parallel_requests,
            lists=LISTS_BY_NAME.__getitem__,
        )

    def active_days(self, key: SeriesKey, stream: StreamDeclaration) -> ActiveDays | None:
        """The days a campaign's (Canvas') series can have stats, from its details; None
        when it never sent, or Braze refused its details."""
        assert stream.active_in is not None, stream
        declaration = DETAILS_BY_NAME[stream.active_in]
        item_id = key.value(declaration.key_columns[0])
        record = self.details.of(declaration, item_id, for_stream=stream.name)
        if record is None:
            return None
        return active_days_of(record, declaration, self.settings.conversion_window_days)

    def sync_order(self) -> Sequence[tuple[SeriesKey, StreamDeclaration]]:
        """Every series a sync would sync, in the SDK's order: the selected streams as it
        lists them (by name), each stream's series as its partitions list them."""
        return [
            (key, stream.declaration)
            for stream in self.streams.values()
            if isinstance(stream, SeriesStream) and stream.selected
            for key in stream.series()
        ]

    def selected_full_table(self) -> list[ListDeclaration | DetailsDeclaration]:
        """The list and details streams a sync would sync, in the SDK's order."""
        return [
            stream.declaration
            for stream in self.streams.values()
            if isinstance(stream, ListStream) and stream.selected
        ]

    def selected_checks(self) -> dict[str, tuple[str, Callable[[], object]]]:
        """The selected streams checked by a call of their own, each with what it needs
        and the check: a Currents stream lists `currents_url` down to its event type's
        folders; a suppression list asks one page of one day, a definition stream one
        page of its list; `users` lists the export bucket, if any (a test starts no
        export: that is no probe, it is the work)."""
        checks: dict[str, tuple[str, Callable[[], object]]] = {}
        for stream in self.streams.values():
            if isinstance(stream, CurrentsStream) and stream.selected:
                needs = f"listing and reading {self.settings.currents_location}"
                checks[stream.name] = (needs, partial(self.currents.folders_of, stream.name))
        users = self.streams[USERS]
        location = self.settings.users_export_location
        if users.selected and location is not None:

            def list_exports() -> str:
                storage = self.users_exports.storage
                assert storage is not None
                storage.folders()
                return f"listed; {EXPORT.permission} not checked (a test starts no export)"

            checks[USERS] = (f"listing {location}", list_exports)
        elif users.selected:
            checks[USERS] = (
                EXPORT.permission,
                lambda: "not checked: a test starts no export, the only way to check it",
            )
        for stream in self.streams.values():
            if isinstance(stream, (SuppressionStream, DefinitionStream)) and stream.selected:
                checks[stream.name] = (stream.permissions, partial(stream.probe, self.client_for))
        return checks

    @staticmethod
    def now() -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)

    @cached_property
    def sync_run(self) -> SyncRun:
        settings = self.settings
        return SyncRun(
            settings.plan_options,
            settings.client_options,
            self.logger,
            parallel=settings.max_parallel_requests,
            order=self.sync_order,
            bookmarks=self._bookmarks,
            completions=self._completions,
            now=self.now,
            pools=self.pools,
            active=self.active_days,
        )

    # -- command line ------------------------------------------------------------------------

    @override
    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the CLI; a failure whose message says it all ends without a traceback.

        STATE claims everything delivered before the failure, so the next run resumes
        from there.
        """
        try:
            super().invoke(*args, **kwargs)
        except BrazeFatalError as exc:
            cls.logger.error("Sync failed: %s", exc)
            raise SystemExit(1) from None

    @override
    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK's command, with `--catalog` read before `--test` runs, whatever the
        order on the command line: the test checks the streams the catalog selects."""
        command = super().get_singer_command()
        for param in command.params:
            if param.name == "catalog":
                param.is_eager = True
        return command

    @override
    @classmethod
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """`--discover`, ending without a traceback when the bucket of `currents_url`
        refuses or fails (the message says which, and where the credentials came from)."""
        try:
            super().cb_discover(ctx, param, value)
        except BrazeFatalError as exc:
            cls.logger.error("Discovery failed: %s", exc)
            ctx.exit(1)
        except SettingsError as exc:
            cls.logger.error("Discovery failed: %s", exc)
            ctx.exit(1)

    @override
    @classmethod
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """`--test`: check, before a first sync, that Braze accepts the key for every
        stream a run would sync (those the catalog selects, or `dau` without one), with
        one request per series; `--test=schema` prints the schemas, as in any SDK tap."""
        if value != CliTestOptionValue.All.value:
            super().cb_test(ctx, param, value)
            return
        config = ctx.params.get("config")
        catalog_file = ctx.params.get("catalog")
        try:
            tap = cls(
                config=config.config if config else {},
                catalog=None if catalog_file is None else json.load(catalog_file),
                parse_env_config=bool(config and config.parse_env),
                validate_config=True,
            )
            passed = check_connection(
                tap.sync_order(),
                tap.settings,
                tap.now(),
                tap.logger,
                full_table=tap.selected_full_table(),
                checks=tap.selected_checks(),
            )
        except ConfigValidationError as exc:
            for error in exc.errors:
                cls.logger.error(error)
            cls.logger.error("Connection test not run: the config is invalid")
            ctx.exit(1)
        except BrazeFatalError as exc:
            cls.logger.error("Connection test failed: %s", exc)
            ctx.exit(1)
        ctx.exit(0 if passed else 1)
