"""The project's Braze API emulator (tests, `make demo`, benchmarks); not part of the tap."""

from braze_emulator.clock import HOURLY_TIME_FORMATS
from braze_emulator.dimensions import DEFAULT_PAGE_SIZES, Segment
from braze_emulator.endpoints import LIST_STREAMS, SERIES_STREAMS
from braze_emulator.pools import DEFAULT_POOLS
from braze_emulator.server import (
    ALL_PERMISSIONS,
    BY_PATH,
    BY_STREAM,
    STREAMS,
    WORKSPACE,
    BrazeEmulator,
    Fault,
    LoggedRequest,
    value_for,
)

__all__ = [
    "ALL_PERMISSIONS",
    "BY_PATH",
    "BY_STREAM",
    "DEFAULT_PAGE_SIZES",
    "DEFAULT_POOLS",
    "HOURLY_TIME_FORMATS",
    "LIST_STREAMS",
    "SERIES_STREAMS",
    "STREAMS",
    "WORKSPACE",
    "BrazeEmulator",
    "Fault",
    "LoggedRequest",
    "Segment",
    "value_for",
]
