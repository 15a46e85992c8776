"""Which series a stream has: every combination of its dimensions' values."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from tap_braze_dau.declarations import Dimension, SeriesKey, StreamDeclaration


def series_keys(
    stream: StreamDeclaration, values_of: Callable[[Dimension], Sequence[str]]
) -> list[SeriesKey]:
    """Every series of `stream`, in sync order: the values of its first dimension in the
    order `values_of` gives them, and within each, those of the next (an event, then each
    app, the workspace last). A dimension without values means no series at all."""
    values = [values_of(dimension) for dimension in stream.dimensions]
    columns = [dimension.column for dimension in stream.dimensions]
    return [
        SeriesKey(stream.name, tuple(zip(columns, combination, strict=True)))
        for combination in itertools.product(*values)
    ]
