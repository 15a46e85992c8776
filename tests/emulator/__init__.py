"""The project's Braze API emulator (tests, `make demo`, benchmarks); not part of the tap."""

from tests.emulator.server import WORKSPACE, BrazeEmulator, Fault, LoggedRequest, value_for

__all__ = ["WORKSPACE", "BrazeEmulator", "Fault", "LoggedRequest", "value_for"]
