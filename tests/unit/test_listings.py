"""The lists' pure pieces: where paging ends, what an item becomes, which series follow."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_braze_dau.declarations import APP, Dimension
from tap_braze_dau.errors import BrazeDataError
from tap_braze_dau.plan.listings import is_last_page, record_of
from tap_braze_dau.plan.series import series_keys
from tap_braze_dau.streams import (
    EVENT_COUNTS,
    EVENTS,
    PURCHASE_REVENUE,
    SEGMENT_SIZES,
    SEGMENTS,
)


def pages_read(total: int, served: int, documented: int | None) -> int:
    """How many pages the rule reads of a list of `total` items served `served` a page."""
    largest = 0
    for page in itertools.count():
        size = max(0, min(served, total - page * served))
        if is_last_page(size, documented, largest):
            return page + 1
        largest = max(largest, size)
    raise AssertionError  # pragma: no cover


@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=1, max_value=300))
def test_an_undocumented_page_size_reads_every_item_and_at_most_one_empty_page(
    total: int, served: int
) -> None:
    read = pages_read(total, served, None)
    full_pages = -(-total // served)
    assert read * served >= total  # nothing left unread
    assert read <= max(2, full_pages + 1)


@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=1, max_value=300))
def test_a_documented_page_size_stops_at_the_first_short_page(total: int, served: int) -> None:
    read = pages_read(total, served, served)
    assert read == total // served + 1


def test_a_first_short_page_of_an_undocumented_list_is_confirmed_by_an_empty_one() -> None:
    assert not is_last_page(3, None, 0)
    assert is_last_page(0, None, 3)
    assert is_last_page(40, None, 100)
    assert not is_last_page(100, None, 100)


def test_an_item_becomes_a_record_of_the_declared_columns() -> None:
    assert record_of("login", EVENTS, "page 0") == {"name": "login"}
    segment = {"id": "s1", "name": "VIP", "analytics_tracking_enabled": True, "tags": ["a"], "x": 1}
    assert record_of(segment, SEGMENTS, "page 0") == {
        "segment_id": "s1",
        "name": "VIP",
        "analytics_tracking_enabled": True,
        "tags": ["a"],
    }
    assert record_of({"id": "s2"}, SEGMENTS, "page 0")["tags"] is None


@pytest.mark.parametrize(
    ("item", "declaration"),
    [("", EVENTS), (5, EVENTS), ({"name": "VIP"}, SEGMENTS), ({"id": "s", "tags": "a"}, SEGMENTS)],
)
def test_an_item_that_is_not_data_stops_the_run_naming_it(
    item: object, declaration: object
) -> None:
    with pytest.raises(BrazeDataError, match="page 3"):
        record_of(item, declaration, "page 3")  # type: ignore[arg-type]


def values(mapping: dict[str, list[str]]) -> object:
    def of(dimension: Dimension) -> list[str]:
        return mapping[dimension.column]

    return of


def test_series_are_every_value_of_the_first_dimension_times_every_app() -> None:
    keys = series_keys(
        EVENT_COUNTS,
        values({"event": ["login", "buy"], "app_id": ["ios", "_workspace"]}),  # type: ignore[arg-type]
    )
    assert [k.context for k in keys] == [
        {"event": "login", "app_id": "ios"},
        {"event": "login", "app_id": "_workspace"},
        {"event": "buy", "app_id": "ios"},
        {"event": "buy", "app_id": "_workspace"},
    ]
    assert series_keys(SEGMENT_SIZES, values({"segment_id": []})) == []  # type: ignore[arg-type]
    revenue = series_keys(
        PURCHASE_REVENUE,
        values({"product_id": ["p", "_all"], "app_id": ["_workspace"]}),  # type: ignore[arg-type]
    )
    assert [k.value("product_id") for k in revenue] == ["p", "_all"]
    assert APP in PURCHASE_REVENUE.dimensions
