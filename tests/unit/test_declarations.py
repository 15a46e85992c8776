"""Every stream declaration holds what the machinery needs, and the tap reads them all."""

from __future__ import annotations

import pytest

from tap_braze_dau.declarations import (
    POOLS,
    DetailsDeclaration,
    ListDeclaration,
    SeriesKey,
    StreamDeclaration,
)
from tap_braze_dau.singer.settings import BY_NAME as BY_SETTING
from tap_braze_dau.streams import (
    BY_NAME,
    DETAILS,
    DETAILS_BY_NAME,
    FULL_TABLE,
    LISTS,
    LISTS_BY_NAME,
    STREAMS,
)
from tap_braze_dau.tap import TapBrazeDau


def test_names_and_requests_are_distinct() -> None:
    names = [s.name for s in STREAMS] + [s.name for s in LISTS] + [s.name for s in DETAILS]
    assert len(set(names)) == len(names)
    assert len(BY_NAME) == len(STREAMS)
    # Two streams may share an endpoint (sessions daily and hourly), never a request.
    requests = {(s.endpoint.path, tuple(sorted(s.endpoint.params.items()))) for s in STREAMS}
    assert len(requests) == len(STREAMS)


@pytest.mark.parametrize("stream", STREAMS, ids=[s.name for s in STREAMS])
def test_each_series_stream_is_in_a_documented_pool_and_its_listed_dimensions_have_a_list(
    stream: StreamDeclaration,
) -> None:
    assert stream.endpoint.pool in POOLS
    for dimension in stream.dimensions:
        if dimension.listed_by is not None:
            assert dimension.listed_by in LISTS_BY_NAME
        if dimension.setting is not None:
            assert dimension.setting in BY_SETTING
            assert BY_SETTING[dimension.setting].kind == "string_list"
    if stream.active_in is not None:
        details = DETAILS_BY_NAME[stream.active_in]
        assert [d.listed_by for d in stream.dimensions] == [details.listed_by]
        assert [d.column for d in stream.dimensions] == list(details.key_columns)


@pytest.mark.parametrize("listed", FULL_TABLE, ids=[s.name for s in FULL_TABLE])
def test_each_list_stream_is_keyed_on_a_required_string(
    listed: ListDeclaration | DetailsDeclaration,
) -> None:
    schema = listed.schema()
    (key,) = listed.key_columns
    assert key in schema["required"]
    assert schema["properties"][key]["type"] == ["string"]
    assert listed.endpoint.pool in POOLS
    tap = TapBrazeDau(config={"api_key": "k"}, validate_config=True)
    offered = tap.streams[listed.name]
    assert offered.primary_keys == [key]
    assert offered.replication_method == "FULL_TABLE"
    assert not offered.selected_by_default


def test_dau_alone_is_what_a_run_without_a_catalog_syncs() -> None:
    assert [s.name for s in STREAMS if s.selected_by_default] == ["dau"]


@pytest.mark.parametrize("stream", STREAMS, ids=[s.name for s in STREAMS])
def test_the_schema_has_every_key_column_required_and_never_null(
    stream: StreamDeclaration,
) -> None:
    schema = stream.schema()
    assert set(stream.key_columns) <= set(schema["properties"])
    assert set(schema["required"]) >= set(stream.key_columns)
    for column in stream.key_columns:
        assert "null" not in schema["properties"][column]["type"], column
    assert set(schema["properties"]) == {*stream.key_columns, *(v.name for v in stream.values)}
    assert schema.get("additionalProperties", False) == stream.keep_unknown_fields
    assert 1 <= stream.endpoint.max_window <= 100
    assert stream.endpoint.path.startswith("/")


@pytest.mark.parametrize("stream", STREAMS, ids=[s.name for s in STREAMS])
def test_the_tap_offers_each_declaration_as_a_stream_keyed_on_its_columns(
    stream: StreamDeclaration,
) -> None:
    tap = TapBrazeDau(config={"api_key": "k", "app_ids": ["ios"]}, validate_config=True)
    offered = tap.streams[stream.name]
    assert offered.primary_keys == list(stream.key_columns)
    assert offered.replication_key == "time"
    assert offered.schema == stream.schema()


def test_a_series_key_names_its_dimensions() -> None:
    one = SeriesKey.of("dau", app_id="ios")
    two = SeriesKey.of("event_counts", event="login", app_id="ios")
    assert str(one) == "series 'ios' of dau"
    assert str(two) == "series event='login', app_id='ios' of event_counts"
    assert two.context == {"event": "login", "app_id": "ios"}
