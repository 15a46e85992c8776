"""The only places where the tap overrides singer-sdk internals; each one is marked.

Everything else goes through the SDK's public surface (`Stream.get_records`,
`Tap.load_state`, `Tap.state_writer`, `Tap.cb_test`, ...). These two have no public
equivalent. tests/unit/test_sdk_contract.py checks the SDK behaviour each relies on, so an SDK
upgrade that changes it fails the suite instead of the users' pipelines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.types import Context, Record
from typing_extensions import override


class SdkStream(Stream):
    """A stream whose bookmark never moves back."""

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        """Advance the series' bookmark to `latest_record`, never back.

        Relies on: the SDK calls this once per record, right after writing it, with the
        record's partition as `context`; for a sorted stream (`is_sorted = True`) its own
        version raises `InvalidStreamSortException` for a value below the bookmark.

        Every run re-reads `lookback_days` before the bookmark: those days must neither
        stop the sync (the SDK's sort check) nor pull the bookmark back (a run interrupted
        during its look-back would widen the next run's look-back each time).
        """
        current = self.get_context_state(context).get("replication_key_value")
        key = self.replication_key
        if key and current is not None and latest_record[key] <= current:
            return
        super()._increment_stream_state(latest_record, context=context)


class SdkTap(Tap):
    """A tap that validates its config itself, reporting each bad setting once."""

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """`checked_config` replaces the SDK's schema check, so no setting is reported
        twice (once by the schema, once by the tap's own, clearer check).

        Relies on: the SDK calls this from `PluginBase.__init__`, before anything reads
        the config, with `self._config` holding the merged config (files and
        environment), and lets `ConfigValidationError` reach its CLI, which logs each of
        `errors` and exits 1.
        """
        self._config, errors = self.checked_config(self._config)
        if errors and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=errors, schema=self.config_jsonschema
            )
        return errors

    def checked_config(self, config: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The config to use and every problem with it, one message per problem."""
        raise NotImplementedError
