"""Rate-limit pools: Braze counts endpoints in separate pools, each with its own limit and
period, and each answer's `X-RateLimit-*` headers describe its own endpoint's pool."""

from __future__ import annotations

import threading
from dataclasses import dataclass

#: pool -> (requests, period in seconds), as Braze documents them.
DEFAULT_POOLS: dict[str, tuple[int, int]] = {
    # KPIs, sessions, events data series, segments list and series, campaigns and Canvas
    # lists, details and the Canvas data series
    "default": (250_000, 3600),
    "lists": (1_000, 3600),  # /events/list, /purchases/product_list
    "purchases": (1_000, 3600),  # /purchases/quantity_series, /purchases/revenue_series
    "campaign_series": (50_000, 60),  # /campaigns/data_series
}


@dataclass(frozen=True)
class Quota:
    """One request's count against its pool: the headers' values and whether it is over."""

    pool: str
    limit: int
    remaining: int
    reset: int  # epoch seconds at which the period ends
    over: bool

    def headers(self, *, lowercase: bool) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if lowercase:
            headers = {name.lower(): value for name, value in headers.items()}
        return headers


def check_pools(limits: dict[str, int] | None, periods: dict[str, int] | None) -> None:
    """Overrides name known pools other than `default` (whose are rate_limit, rate_period)."""
    for name, given in (("pool_limits", limits), ("pool_periods", periods)):
        unknown = set(given or {}) - (set(DEFAULT_POOLS) - {"default"})
        if unknown:
            msg = (
                f"{name}: unknown pools {sorted(unknown)}; known: "
                f"{sorted(set(DEFAULT_POOLS) - {'default'})} (the default pool's are "
                "rate_limit and rate_period)"
            )
            raise ValueError(msg)
        if any(value < 1 for value in (given or {}).values()):
            msg = f"{name} must be at least 1: {given}"
            raise ValueError(msg)


class RateCounter:
    """Requests counted per pool and period (fixed windows aligned on the epoch)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def take(self, pool: str, limit: int, period: int, now: float) -> Quota:
        index = int(now // period)
        with self._lock:
            used = self._counts.get((pool, index), 0) + 1
            self._counts[(pool, index)] = used
        return Quota(
            pool=pool,
            limit=limit,
            remaining=max(0, limit - used),
            reset=(index + 1) * period,
            over=used > limit,
        )

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()
