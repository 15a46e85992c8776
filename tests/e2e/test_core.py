"""The Singer SDK's standard tap tests, run in process against the emulator, with every
stream selected."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from braze_emulator import (
    BrazeEmulator,
    ContentBlock,
    EmailTemplate,
    Segment,
    many_suppressions,
    many_users,
)
from braze_emulator.messaging import Campaign, Canvas
from tap_braze_dau.tap import TapBrazeDau
from tests.helpers import ALL_STREAMS, API_KEY

# Started at import: the SDK builds its test class from a config known at collection
# time. The fixture below stops it when the test session ends.
EMULATOR = BrazeEmulator(
    api_key=API_KEY,
    apps={"ios": dt.date(2024, 6, 1), "android": dt.date(2024, 9, 1)},
    today=dt.date(2024, 12, 31),
    events={"login": dt.date(2024, 1, 1), "share": dt.date(2024, 10, 1)},
    products={"gold": dt.date(2024, 1, 1)},
    segments={
        "seg-1": Segment("Active", dt.date(2024, 1, 1), True, ("core",)),
        "seg-2": Segment("Untracked", dt.date(2024, 1, 1), False),
    },
    campaigns={
        "camp-1": Campaign(
            "Welcome",
            first_sent=dt.datetime(2024, 9, 1, 10, tzinfo=dt.timezone.utc),
            last_sent=dt.datetime(2024, 10, 15, 10, tzinfo=dt.timezone.utc),
            channels=("email", "android_push"),
            variations=2,
        ),
        "camp-never": Campaign("Draft", draft=True),
    },
    canvases={
        "canvas-1": Canvas(
            "Onboarding",
            first_entry=dt.datetime(2024, 11, 1, tzinfo=dt.timezone.utc),
            last_entry=dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc),
            variants=2,
        ),
    },
    users={"seg-1": many_users(30, segment_id="seg-1")},
    hard_bounces=many_suppressions(
        40,
        dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc),
        dt.datetime(2024, 12, 30, tzinfo=dt.timezone.utc),
    ),
    unsubscribes=many_suppressions(
        20,
        dt.datetime(2024, 12, 1, tzinfo=dt.timezone.utc),
        dt.datetime(2024, 12, 30, tzinfo=dt.timezone.utc),
        salt=1,
    ),
    content_blocks={
        "cb-1": ContentBlock(
            "Footer", "<p>bye</p>", dt.datetime(2024, 9, 1), dt.datetime(2024, 10, 1)
        )
    },
    email_templates={
        "t-1": EmailTemplate(
            "Welcome", "Hi", "<b>hi</b>", dt.datetime(2024, 9, 1), dt.datetime(2024, 10, 1)
        )
    },
    export_delay=0.05,
).start()

SAMPLE_CONFIG = {
    "api_key": API_KEY,
    "api_url": EMULATOR.url,
    "app_ids": ["ios", "android"],
    "start_date": "2024-08-01",
    "end_date": "2024-12-31",
    "window_days": 50,
    "retry_wait_seconds": 0.01,
    "users_segment_ids": ["seg-1"],
}


def _catalog_with_every_stream_selected() -> dict[str, Any]:
    catalog = copy.deepcopy(TapBrazeDau(config=SAMPLE_CONFIG).catalog_dict)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = True
    return catalog


CATALOG = _catalog_with_every_stream_selected()


@pytest.fixture(scope="session", autouse=True)
def _stop_the_emulator() -> Iterator[None]:
    yield
    EMULATOR.stop()


TestTapBrazeDau = get_tap_test_class(
    tap_class=TapBrazeDau,
    config=SAMPLE_CONFIG,
    suite_config=SuiteConfig(max_records_limit=500),
    catalog=CATALOG,
)


def test_the_standard_tests_cover_every_stream() -> None:
    tap = TapBrazeDau(config=SAMPLE_CONFIG, catalog=CATALOG)
    assert sorted(name for name, stream in tap.streams.items() if stream.selected) == sorted(
        ALL_STREAMS
    )
