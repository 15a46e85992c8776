"""The streams: Braze's KPI data series, one row per (app_id, day).

`DataSeriesStream` is the machinery (partitions, records, STATE); each stream below only
declares what differs. A further series of the same shape is one more short class, added
to `STREAM_TYPES`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import typing as th

from tap_braze_dau.checkpoints import Checkpoints, record_bytes
from tap_braze_dau.endpoint import Endpoint, SeriesKey
from tap_braze_dau.run import SyncRun
from tap_braze_dau.sdk_hooks import SdkStream
from tap_braze_dau.settings import WORKSPACE_APP_ID

if TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_braze_dau.settings import Settings


class DataSeriesStream(SdkStream):
    """A Braze data series, `{app_id, time, <value_field>}`, one series per app and the
    workspace total, incremental by day."""

    # What each stream declares:
    path: ClassVar[str]
    value_field: ClassVar[str]
    permission: ClassVar[str]
    value_description: ClassVar[str]
    extra_params: ClassVar[Mapping[str, str]] = MappingProxyType({})

    selected_by_default = False
    primary_keys = ("app_id", "time")
    replication_key = "time"
    # Each series is emitted oldest day first, so a bookmark is safe to resume from at any
    # moment (the SDK then keeps bookmarks rather than unresumable progress markers).
    is_sorted = True
    # When STATE is written is decided by checkpoints.py, not by a record count.
    STATE_MSG_FREQUENCY = sys.maxsize

    def __init__(
        self,
        tap: Tap,
        *,
        settings: Callable[[], Settings],
        run: Callable[[], SyncRun],
        checkpoints: Callable[[], Checkpoints],
    ) -> None:
        super().__init__(tap, schema=self.record_schema())
        self._settings = settings
        self._run = run
        self._checkpoints = checkpoints

    @classmethod
    def stream_name(cls) -> str:
        """`name`, read from the class: the SDK declares it per instance, streams here
        declare it per class."""
        name: str = vars(cls)["name"]
        return name

    @classmethod
    def endpoint(cls) -> Endpoint:
        return Endpoint(
            stream=cls.stream_name(),
            path=cls.path,
            value_field=cls.value_field,
            permission=cls.permission,
            params=cls.extra_params,
        )

    @classmethod
    def record_schema(cls) -> dict[str, Any]:
        return th.PropertiesList(
            th.Property(
                "app_id",
                th.StringType,
                required=True,
                description=(
                    "Braze app identifier of the series, or "
                    f"'{WORKSPACE_APP_ID}' for the workspace as a whole (unique users "
                    "across all apps, not the sum of the apps)."
                ),
            ),
            th.Property(
                "time",
                th.DateType,
                required=True,
                description="The day, in the workspace's reporting time zone.",
            ),
            th.Property(
                cls.value_field, th.IntegerType, required=True, description=cls.value_description
            ),
        ).to_dict()

    @property
    def partitions(self) -> list[dict[str, Any]]:
        return [{"app_id": app_id} for app_id in self._settings().series]

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        key = SeriesKey(self.name, (context or {}).get("app_id", WORKSPACE_APP_ID))
        checkpoints = self._checkpoints()
        run = self._run()
        finished = False
        try:
            for result in run.results(key, self.endpoint()):
                for warning in result.checked.warnings:
                    self.logger.warning(warning)
                size = 0
                for day, value in result.checked.rows:
                    size += record_bytes(self.name, key.app_id, self.value_field, value)
                    yield {"app_id": key.app_id, "time": day.isoformat(), self.value_field: value}
                if result.checked.rows:
                    # The SDK has written and bookmarked the window's last record by the
                    # time this generator resumes: a STATE now claims exactly what was sent.
                    checkpoints.window_written(size, series_end=result.series_end)
            finished = True
        except Exception:
            # A fatal error: what was delivered stays claimed, whatever the budget said.
            checkpoints.write_now()
            raise
        finally:
            if not finished:
                run.close()


class DauStream(DataSeriesStream):
    name = "dau"
    path = "/kpi/dau/data_series"
    value_field = "dau"
    permission = "kpi.dau.data_series"
    value_description = "Daily active users: unique users active on that day (today: so far)."
    selected_by_default = True  # what a run without a catalog syncs


class MauStream(DataSeriesStream):
    name = "mau"
    path = "/kpi/mau/data_series"
    value_field = "mau"
    permission = "kpi.mau.data_series"
    value_description = "Monthly active users: unique users active in the 30 days ending that day."


class NewUsersStream(DataSeriesStream):
    name = "new_users"
    path = "/kpi/new_users/data_series"
    value_field = "new_users"
    permission = "kpi.new_users.data_series"
    value_description = "New users: users first seen on that day."


class UninstallsStream(DataSeriesStream):
    name = "uninstalls"
    path = "/kpi/uninstalls/data_series"
    value_field = "uninstalls"
    permission = "kpi.uninstalls.data_series"
    value_description = "Uninstalls: app uninstalls detected on that day."


class SessionsStream(DataSeriesStream):
    name = "sessions"
    path = "/sessions/data_series"
    value_field = "sessions"
    permission = "sessions.data_series"
    value_description = "Sessions: sessions started on that day."
    extra_params = MappingProxyType({"unit": "day"})  # never hourly points


#: Every stream the tap offers, in no particular order (the SDK syncs them by name).
STREAM_TYPES: tuple[type[DataSeriesStream], ...] = (
    DauStream,
    MauStream,
    NewUsersStream,
    UninstallsStream,
    SessionsStream,
)
