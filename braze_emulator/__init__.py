"""The project's Braze API emulator (tests, `make demo`, benchmarks); not part of the tap."""

from braze_emulator.server import (
    ALL_PERMISSIONS,
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
    "BY_STREAM",
    "STREAMS",
    "WORKSPACE",
    "BrazeEmulator",
    "Fault",
    "LoggedRequest",
    "value_for",
]
