"""Fixtures shared by the suite; the helpers tests import are in tests/helpers.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from braze_emulator import READINGS, BrazeEmulator
from tests.helpers import API_KEY

#: Each folder of tests/ is one kind of test, marked so that `-m` picks kinds:
#: `make unit` runs the fast pure ones alone, `make test` all of them.
KINDS = {
    "unit": "unit",  # pure functions, in process, no server: seconds in all
    "http": "http",  # a real HTTP server on 127.0.0.1, in process
    "e2e": "e2e",  # the real tap command as a subprocess against the emulator
    "pipelines": "pipeline",  # Meltano, the real targets and a real PostgreSQL server
    "docs": "docs",  # generated files, the README, the changelog, the fault table
}
TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        item.add_marker(getattr(pytest.mark, KINDS[folder]))


@pytest.fixture
def emulator() -> Iterator[BrazeEmulator]:
    """A running emulator: two apps and the workspace, fixed 'today' = 2024-12-31."""
    with BrazeEmulator(
        api_key=API_KEY,
        apps={"ios": dt.date(2023, 1, 1), "android": dt.date(2024, 3, 15)},
        today=dt.date(2024, 12, 31),
    ) as braze:
        yield braze


@pytest.fixture(params=READINGS, ids=[f"ending_at-{r}" for r in READINGS])
def reading(request: pytest.FixtureRequest) -> str:
    """How the emulator reads `ending_at` (see braze_emulator.clock.READINGS): Braze's
    docs leave both readings open, so a test that takes this runs under each."""
    value: str = request.param
    return value


@pytest.fixture(autouse=True)
def _never_leak_the_key(
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Iterator[None]:
    """Across the whole suite: the API key appears in no captured output or log."""
    yield
    captured = capsys.readouterr()
    for name, text in (("stdout", captured.out), ("stderr", captured.err), ("log", caplog.text)):
        assert API_KEY not in text, f"API key leaked into {name} in {request.node.nodeid}"
