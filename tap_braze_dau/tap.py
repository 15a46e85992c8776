"""The tap: its settings, their validation, and its one stream."""

from __future__ import annotations

import contextlib
from types import FrameType
from typing import Any, ClassVar

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities

from tap_braze_dau import settings as defaults
from tap_braze_dau.client import redact
from tap_braze_dau.errors import BrazeFatalError
from tap_braze_dau.settings import coerce_number_strings, validate_settings
from tap_braze_dau.streams import DauStream
from tap_braze_dau.windows import MAX_WINDOW_DAYS


class TapBrazeDau(Tap):
    """Singer tap for Braze daily active users (`GET /kpi/dau/data_series`)."""

    name = "tap-braze-dau"

    # No BATCH: batch files are written after records are read, so a STATE written after
    # each window could claim days not yet in any file. Everything else the SDK offers.
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        c for c in Tap.capabilities if c is not PluginCapabilities.BATCH
    ]
    # The SDK's msgspec writer: the same messages for less CPU (docs/benchmarks.md).
    message_writer_class = MsgSpecWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_key",
            th.StringType,
            required=True,
            secret=True,
            description="Braze REST API key with the permission `kpi.dau.data_series`.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=defaults.DEFAULT_API_URL,
            description=(
                "The workspace's REST endpoint, e.g. https://rest.iad-01.braze.com or "
                "https://rest.fra-01.braze.eu. Any https URL is accepted; plain http only "
                "for loopback hosts (127.0.0.1, localhost, ::1)."
            ),
        ),
        th.Property(
            "start_date",
            th.DateType,
            description=(
                "First day to extract (YYYY-MM-DD). Without it, and without state, the tap "
                "walks back from the end until history ends or max_history_days is reached."
            ),
        ),
        th.Property(
            "end_date",
            th.DateType,
            description="Last day to extract, inclusive (YYYY-MM-DD). Default: today in "
            "`timezone`.",
        ),
        th.Property(
            "timezone",
            th.StringType,
            default=defaults.DEFAULT_TIMEZONE,
            description=(
                "IANA name of the workspace's reporting time zone (Braze company settings). "
                "Decides what 'today' is and how `ending_at` is written. Left at UTC, a "
                "workspace up to 11 hours away still gets exactly the requested days."
            ),
        ),
        th.Property(
            "app_ids",
            th.ArrayType(th.StringType),
            description=(
                "Braze app identifiers, one series each. Without it, only the workspace-wide "
                "series is synced."
            ),
        ),
        th.Property(
            "include_workspace_total",
            th.BooleanType,
            default=True,
            description=(
                "With `app_ids`, also sync the workspace-wide series (app_id "
                f"'{defaults.WORKSPACE_APP_ID}'). Without `app_ids` it is always synced."
            ),
        ),
        th.Property(
            "lookback_days",
            th.IntegerType(minimum=0),
            default=defaults.DEFAULT_LOOKBACK_DAYS,
            description=(
                "Days re-read before the bookmark on every incremental run (the bookmarked "
                "day itself is always re-read: today's count is partial and Braze revises "
                "recent days)."
            ),
        ),
        th.Property(
            "window_days",
            th.IntegerType(minimum=1, maximum=MAX_WINDOW_DAYS),
            default=defaults.DEFAULT_WINDOW_DAYS,
            description="Days per request (Braze's `length`), 1 to 100.",
        ),
        th.Property(
            "max_history_days",
            th.IntegerType(minimum=1),
            default=defaults.DEFAULT_MAX_HISTORY_DAYS,
            description=("How far back to look when there is no `start_date` and no state."),
        ),
        th.Property(
            "request_timeout",
            th.NumberType(exclusive_minimum=0),
            default=defaults.DEFAULT_REQUEST_TIMEOUT,
            description="Seconds to wait for Braze to answer one request before retrying.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=0),
            default=defaults.DEFAULT_MAX_RETRIES,
            description=(
                "Retries of a request that failed transiently (5xx, timeout, dropped "
                "connection, malformed body) before the run fails. 429s are not counted: "
                "they wait for the rate-limit reset."
            ),
        ),
        th.Property(
            "retry_wait_seconds",
            th.NumberType(exclusive_minimum=0),
            default=defaults.DEFAULT_RETRY_WAIT_SECONDS,
            description=(
                "Base of the exponential backoff between retries: about this long before "
                "the first retry, doubling each time (with jitter), at most 60 s."
            ),
        ),
        th.Property(
            "max_parallel_requests",
            th.IntegerType(minimum=1, maximum=defaults.MAX_PARALLEL_REQUESTS),
            default=defaults.DEFAULT_MAX_PARALLEL_REQUESTS,
            description=(
                "Requests in flight at once. Output is identical, message for message, "
                "whatever the value; 1 is strictly sequential."
            ),
        ),
        th.Property(
            "user_agent",
            th.StringType,
            description="User-Agent header. Default: tap-braze-dau/<version>.",
        ),
    ).to_dict()

    def discover_streams(self) -> list[DauStream]:
        return [DauStream(self)]

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the CLI; a failure whose message says it all ends without a traceback.

        STATE was written after every complete window, so the next run resumes from there.
        """
        try:
            super().invoke(*args, **kwargs)
        except BrazeFatalError as exc:
            cls.logger.error("Sync failed: %s", exc)
            raise SystemExit(1) from None

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM or SIGINT: write the last STATE (the SDK does), then exit non-zero.

        The SDK exits 0 here, which would tell an orchestrator that a sync cut short had
        succeeded. Nothing is lost either way: the STATE claims only emitted days.
        """
        with contextlib.suppress(SystemExit):
            super()._handle_termination(signum, frame)
        self.logger.warning("Stopped by signal %d before the sync completed", signum)
        raise SystemExit(128 + signum)

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema checks, plus ours: ranges, dates, URLs, zones, with names."""
        self._config = coerce_number_strings(self._config)
        errors = super()._validate_config(raise_errors=False)
        errors += [e for e in validate_settings(self.config) if e not in errors]
        # The SDK's schema messages quote values: an api_key of the wrong type included.
        errors = [redact(error, str(self.config.get("api_key") or "")) for error in errors]
        if errors and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=errors, schema=self.config_jsonschema
            )
        return errors
