"""Scriptable misbehaviours, and which requests they apply to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """A misbehaviour applied to matching requests.

    kind:
    - "status": answer `status` with `message`; a 429 carries X-RateLimit-Reset `reset_in`
      seconds ahead, or, with `closes_for`, the instant `closes_for` seconds after the
      first matching request, until which every matching request gets it (`count` aside):
      a pool closed until its reset;
    - "stall": sleep `seconds` before answering (logged with status 0 on arrival);
    - "drop": close the connection without answering;
    - "truncate": announce the full body, send half;
    - "invalid_json", "message" (a 200 whose message is `message`), "no_data" (a 200
      without `data`, or a list endpoint's key), "data_not_list";
    - "rows": a 200 whose rows (or list items; a Canvas series: `data.stats`) are
      `transform(rows)`, or the real rows plus `extra_rows`; on a details endpoint the rows
      are a one-item list of the answer, and the first item of the result answers;
    - "trickle": the headers, then the real body one byte every `seconds`;
    - "lying_encoding": a plain JSON body announced as `Content-Encoding: gzip`;
    - "gzip": the real body, honestly gzip-compressed;
    - "deep_nesting": a 200 whose body is a JSON array nested `size` levels deep;
    - "oversized": a 200 whose body is `size` bytes of valid JSON (rows and padding),
      streamed in chunks so the emulator never holds it whole;
    - "redirect": answer `status` (302 when left at its default 500) with a `Location`
      header `location` (default: the same path and query on another host).
    Matchers (None: any):
    stream: only requests to this stream (the log's name: e.g. "mau", "events",
    "sessions_hourly" for `unit=hour`, "campaign_stats", "canvas_details").
    pool: only requests counted in this rate-limit pool (e.g. "lists").
    app_id: only requests for this series (WORKSPACE for the total; lists have none).
    dimension: only requests for this event name, product id or segment id (or campaign or
    Canvas id: details and data series).
    covers: only requests whose window contains this day (YYYY-MM-DD).
    skip: matching requests let through untouched before the fault starts.
    count: matching requests it then applies to; -1 for every one from then on.
    """

    kind: str
    status: int = 500
    message: str = ""
    seconds: float = 0.0
    size: int = 0
    reset_in: float = 2.0
    lowercase_headers: bool = False
    stream: str | None = None
    app_id: str | None = None
    covers: str | None = None
    skip: int = 0
    count: int = 1
    extra_rows: list[dict[str, Any]] = field(default_factory=list)
    transform: Callable[[list[dict[str, Any]]], list[Any]] | None = None
    pool: str | None = None
    dimension: str | None = None
    location: str = ""
    closes_for: float = 0.0
    #: With `closes_for`: the instant (epoch seconds) the first matching request set.
    closed_until: float | None = None

    def matches(
        self,
        stream: str,
        series: str | None,
        window: tuple[dt.date, dt.date] | None,
        *,
        pool: str | None = None,
        dimension: str | None = None,
    ) -> bool:
        """Whether a request of these traits is one this fault's matchers select."""
        if self.stream is not None and self.stream != stream:
            return False
        if self.pool is not None and self.pool != pool:
            return False
        if self.app_id is not None and self.app_id != series:
            return False
        if self.dimension is not None and self.dimension != dimension:
            return False
        return self.covers is None or bool(
            window and window[0] <= dt.date.fromisoformat(self.covers) <= window[1]
        )

    @property
    def redirect_status(self) -> int:
        return 302 if self.status == 500 else self.status
