"""The project's Braze API emulator (tests, `make demo`, benchmarks); not part of the tap."""

from braze_emulator.clock import HOURLY_TIME_FORMATS, READINGS
from braze_emulator.dimensions import DEFAULT_PAGE_SIZES, Segment
from braze_emulator.download import DOWNLOAD_STREAM, DownloadRequest
from braze_emulator.endpoints import (
    LIST_STREAMS,
    MESSAGING_STREAMS,
    SERIES_STREAMS,
    USER_DATA_STREAMS,
)
from braze_emulator.export_jobs import Export
from braze_emulator.exports import (
    EXPORTABLE_FIELDS,
    SAMPLE_ONLY_FIELDS,
    ContentBlock,
    EmailTemplate,
    many_suppressions,
    many_users,
    user_email,
)
from braze_emulator.messaging import CHANNELS, Campaign, Canvas, many_campaigns, many_canvases
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
from braze_emulator.shapes import ANSWER_SHAPES

__all__ = [
    "ALL_PERMISSIONS",
    "ANSWER_SHAPES",
    "BY_PATH",
    "BY_STREAM",
    "CHANNELS",
    "DEFAULT_PAGE_SIZES",
    "DEFAULT_POOLS",
    "DOWNLOAD_STREAM",
    "EXPORTABLE_FIELDS",
    "HOURLY_TIME_FORMATS",
    "LIST_STREAMS",
    "MESSAGING_STREAMS",
    "READINGS",
    "SAMPLE_ONLY_FIELDS",
    "SERIES_STREAMS",
    "STREAMS",
    "USER_DATA_STREAMS",
    "WORKSPACE",
    "BrazeEmulator",
    "Campaign",
    "Canvas",
    "ContentBlock",
    "DownloadRequest",
    "EmailTemplate",
    "Export",
    "Fault",
    "LoggedRequest",
    "Segment",
    "many_campaigns",
    "many_canvases",
    "many_suppressions",
    "many_users",
    "user_email",
    "value_for",
]
