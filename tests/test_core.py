"""The Singer SDK's standard tap tests, run in process against the emulator."""

from __future__ import annotations

import datetime as dt

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_braze_dau.tap import TapBrazeDau
from tests.conftest import API_KEY
from tests.emulator import BrazeEmulator

# Started at import: the SDK builds its test class from a config known at collection time.
EMULATOR = BrazeEmulator(
    api_key=API_KEY,
    apps={"ios": dt.date(2024, 6, 1), "android": dt.date(2024, 9, 1)},
    today=dt.date(2024, 12, 31),
).start()

SAMPLE_CONFIG = {
    "api_key": API_KEY,
    "api_url": EMULATOR.url,
    "app_ids": ["ios", "android"],
    "start_date": "2024-08-01",
    "end_date": "2024-12-31",
    "window_days": 50,
    "retry_wait_seconds": 0.01,
}

TestTapBrazeDau = get_tap_test_class(
    tap_class=TapBrazeDau,
    config=SAMPLE_CONFIG,
    suite_config=SuiteConfig(max_records_limit=500),
)
