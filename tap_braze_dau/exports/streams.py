"""The user-level exports read request by request, as Singer streams: the suppression
lists and the definitions. None is selected by default. (`users`, read from an export's
files, is `users_stream.py`.)

- `email_hard_bounces`, `email_unsubscribes` (incremental on their instant): windows of
  days (`suppressions.py`), `max_parallel_requests` at once, a STATE after windows as
  the tap's STATE rule says (`plan/checkpoints.py`). A first run without `start_date`
  walks back a window at a time until one is empty, keeping what it read in the scratch
  folder (never in memory), then emits it oldest first.
- `content_blocks`, `email_templates` (incremental on their edit time): see
  `definitions.py`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from tap_braze_dau.braze.client import BrazeClient, Request
from tap_braze_dau.errors import BrazeRequestError
from tap_braze_dau.exports.definitions import (
    Definition,
    list_params,
    listed_items,
    merged,
    modified_after,
)
from tap_braze_dau.exports.records import SUPPRESSION_PERSONAL, suppression_schema
from tap_braze_dau.exports.suppressions import (
    PAGE_SIZE,
    SuppressionList,
    first_day,
    plan_suppression_windows,
    walk_back_windows,
    window_params,
    window_rows,
)
from tap_braze_dau.personal_data import PersonalDataRule
from tap_braze_dau.plan.checkpoints import Checkpoints, record_bytes
from tap_braze_dau.plan.ordered import OrderedFetcher
from tap_braze_dau.plan.windows import Window
from tap_braze_dau.singer.sdk_hooks import SdkStream
from tap_braze_dau.storage.scratch import scratch_folder

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context


@dataclass(frozen=True)
class ExportsOptions:
    """What the suppression lists and definitions need of the settings."""

    start_date: dt.date | None
    end_date: dt.date | None
    lookback_days: int
    max_history_days: int
    parallel: int
    personal_data: PersonalDataRule


class _FetchingStream(SdkStream):
    """A stream of Braze requests made with its own client, stopped when it ends."""

    def __init__(
        self,
        tap: Tap,
        *,
        name: str,
        schema: dict[str, Any],
        client: Callable[[threading.Event], BrazeClient],
        options: Callable[[], ExportsOptions],
        checkpoints: Callable[[], Checkpoints],
    ) -> None:
        super().__init__(tap, schema=schema, name=name)
        self.selected_by_default = False
        self._client = client
        self._make_options = options
        self._checkpoints = checkpoints

    @property
    def _options(self) -> ExportsOptions:
        """The settings the stream needs (read when it syncs: a discovery needs none)."""
        return self._make_options()

    def _bookmark(self, context: Context | None) -> object:
        return self.get_context_state(context).get("replication_key_value")


class SuppressionStream(_FetchingStream):
    """One suppression list; key `email` and its instant, incremental on the instant."""

    is_sorted = True

    def __init__(
        self,
        tap: Tap,
        suppression: SuppressionList,
        *,
        client: Callable[[threading.Event], BrazeClient],
        options: Callable[[], ExportsOptions],
        personal_data: PersonalDataRule,
        checkpoints: Callable[[], Checkpoints],
    ) -> None:
        schema = personal_data.apply_to_schema(
            suppression_schema(suppression.time_field, suppression.description),
            SUPPRESSION_PERSONAL,
        )
        self.personal_data = (personal_data, SUPPRESSION_PERSONAL)
        super().__init__(
            tap,
            name=suppression.name,
            schema=schema,
            client=client,
            options=options,
            checkpoints=checkpoints,
        )
        self.suppression = suppression
        self.replication_key = suppression.time_field
        self.primary_keys = ["email", suppression.time_field]
        self.forced_replication_method = "INCREMENTAL"

    @property
    def permissions(self) -> str:
        return self.suppression.permission

    def probe(self, client: Callable[[threading.Event], BrazeClient]) -> object:
        """`--test`: one row of the last day."""
        day = self.last_day()
        params: dict[str, str | int] = {**window_params(Window(day, day)), "limit": 1, "offset": 0}
        endpoint = self.suppression.endpoint
        request = Request(self.name, endpoint, params, f"{endpoint.path} ({day}, limit 1)")
        return client(threading.Event()).fetch(request)

    def last_day(self) -> dt.date:
        """The last day to read: end_date, or today in UTC (Braze's dates are UTC)."""
        return self._options.end_date or dt.datetime.now(dt.timezone.utc).date()

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        options, suppression = self._options, self.suppression
        field = suppression.time_field
        first = first_day(self._bookmark(context), options.start_date, options.lookback_days, field)
        last = self.last_day()
        stop = threading.Event()
        client = self._client(stop)

        def rows_of(window: Window) -> list[dict[str, Any]]:
            def fetch_page(offset: int) -> list[object]:
                params: dict[str, str | int] = {
                    **window_params(window),
                    "limit": PAGE_SIZE,
                    "offset": offset,
                }
                what = f"{suppression.path} ({window}, offset {offset})"
                return client.fetch(Request(self.name, suppression.endpoint, params, what))

            return window_rows(fetch_page, window, suppression)

        try:
            if first is None:
                yield from self._walk_back(rows_of, last)
                return
            if first > last:
                self.logger.info("%s: up to date (bookmark after %s)", self.name, last)
                return
            windows = plan_suppression_windows(first, last)
            self.logger.info(
                "%s: %s..%s in %d window(s) of up to a week", self.name, first, last, len(windows)
            )
            fetcher: OrderedFetcher[Window, list[dict[str, Any]]] = OrderedFetcher(
                rows_of, self._options.parallel, stop
            )
            for _window, rows in fetcher.map(windows):
                yield from self._emit(rows)
        except Exception:
            self._checkpoints().write_now()  # what was delivered stays claimed
            raise
        finally:
            stop.set()

    def _emit(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """A window's rows, the personal-data rule applied, then a STATE if the rule of
        STATEs says so."""
        assert self.personal_data is not None  # set by __init__
        rule, personal = self.personal_data
        size = 0
        for row in rows:
            rule.apply(row, personal)
            size += record_bytes(self.name, row)
            yield row
        self._checkpoints().window_written(size, series_end=False)

    def _walk_back(
        self, rows_of: Callable[[Window], list[dict[str, Any]]], last: dt.date
    ) -> Iterator[dict[str, Any]]:
        """No start_date, no bookmark: windows newest first until one is empty, each
        kept on disk, then emitted oldest first."""
        windows = walk_back_windows(last, self._options.max_history_days)
        self.logger.info(
            "%s: no start_date and no bookmark: walking back from %s a week at a time "
            "until a week is empty (at most max_history_days, %d)",
            self.name,
            last,
            self._options.max_history_days,
        )
        with scratch_folder() as folder:
            kept: list[Path] = []
            for window in windows:
                rows = rows_of(window)
                if not rows:
                    self.logger.info("%s: %s is empty: history starts after it", self.name, window)
                    break
                path = folder / f"{self.name}-{len(kept)}.jsonl"
                with path.open("wb") as out:
                    for row in rows:
                        out.write(msgspec.json.encode(row) + b"\n")
                kept.append(path)
            for path in reversed(kept):
                with path.open("rb") as lines:
                    rows = [msgspec.json.decode(line) for line in lines]
                path.unlink()
                yield from self._emit(rows)


class DefinitionStream(_FetchingStream):
    """Content Blocks or email templates: list and info merged, key their id,
    incremental on their edit time."""

    is_sorted = True

    def __init__(
        self,
        tap: Tap,
        definition: Definition,
        *,
        client: Callable[[threading.Event], BrazeClient],
        options: Callable[[], ExportsOptions],
        checkpoints: Callable[[], Checkpoints],
    ) -> None:
        super().__init__(
            tap,
            name=definition.name,
            schema=definition.schema(),
            client=client,
            options=options,
            checkpoints=checkpoints,
        )
        self.definition = definition
        self.replication_key = definition.time_field
        self.primary_keys = [definition.id_field]
        self.forced_replication_method = "INCREMENTAL"

    @property
    def permissions(self) -> str:
        listing, info = self.definition.list_endpoint, self.definition.info_endpoint
        return f"{listing.permission}, {info.permission}"

    def probe(self, client: Callable[[threading.Event], BrazeClient]) -> object:
        """`--test`: the list's first item, and its info."""
        definition = self.definition
        listing, info = definition.list_endpoint, definition.info_endpoint
        fetching = client(threading.Event())
        params: dict[str, str | int] = {"limit": 1}
        items = fetching.fetch(Request(self.name, listing, params, f"{listing.path} (limit 1)"))
        if not items or not isinstance(items[0], dict):
            return items
        item_id = str(items[0].get(definition.id_field))
        request = Request(
            self.name, info, {definition.id_field: item_id}, f"{info.path} ({item_id})"
        )
        return fetching.fetch_item(request)  # a refusal: a sync goes on too

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        definition, options = self.definition, self._options
        since = modified_after(
            self._bookmark(context), options.start_date, options.lookback_days, self.name
        )
        stop = threading.Event()
        client = self._client(stop)
        listing = definition.list_endpoint
        info_endpoint = definition.info_endpoint

        def fetch_page(offset: int) -> list[object]:
            what = f"{listing.path} (offset {offset})"
            return client.fetch(Request(self.name, listing, list_params(since, offset), what))

        def info(item: dict[str, Any]) -> dict[str, Any] | BrazeRequestError:
            item_id = item[definition.id_field]
            params = {**dict(definition.info_params), definition.id_field: item_id}
            request = Request(self.name, info_endpoint, params, f"{info_endpoint.path} ({item_id})")
            answer = client.fetch_item(request)
            if isinstance(answer, BrazeRequestError):
                return answer
            return merged(item, answer, definition)

        try:
            items = listed_items(fetch_page, definition)
            self.logger.info("%s: %d changed since %s", self.name, len(items), since or "the first")
            refused: list[tuple[str, BrazeRequestError]] = []
            fetcher: OrderedFetcher[dict[str, Any], dict[str, Any] | BrazeRequestError]
            fetcher = OrderedFetcher(info, options.parallel, stop)
            for item, result in fetcher.map(items):
                if isinstance(result, BrazeRequestError):
                    refused.append((item[definition.id_field], result))
                    yield item
                else:
                    yield result
            if refused:
                self._warn_refused(refused)
        except Exception:
            self._checkpoints().write_now()
            raise
        finally:
            stop.set()

    def _warn_refused(self, refused: list[tuple[str, BrazeRequestError]]) -> None:
        ids = ", ".join(repr(item_id) for item_id, _exc in refused[:5])
        more = f" and {len(refused) - 5} more" if len(refused) > 5 else ""
        first = refused[0][1]
        self.logger.warning(
            "%s: Braze refused the info of %d %s(s) (%s%s; %s): their records hold the "
            "list's fields only. Braze describes no template made with the drag-and-drop "
            "editor, nor an item deleted since the list was read.",
            self.name,
            len(refused),
            self.definition.noun,
            ids,
            more,
            first.braze_says or f"HTTP {first.status}",
        )
