"""Every stream declaration holds what the machinery needs, and the tap reads them all."""

from __future__ import annotations

import pytest

from tap_braze_dau.declarations import SeriesKey, StreamDeclaration
from tap_braze_dau.streams import BY_NAME, STREAMS
from tap_braze_dau.tap import TapBrazeDau


def test_names_and_permissions_are_distinct() -> None:
    assert len(BY_NAME) == len(STREAMS)
    assert len({s.endpoint.permission for s in STREAMS}) == len(STREAMS)


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
