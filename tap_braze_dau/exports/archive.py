"""The profiles of an export's archive, one NDJSON line at a time: never whole in memory.

Braze's download is a ZIP of several NDJSON files (their names undocumented); an export
to the workspace's own bucket is one file per few thousand users, each a `.zip` or, with
`output_format: gzip`, a `.gz`. All are read member by member, line by line.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from tap_braze_dau.errors import BrazeDataError

GZIP_MAGIC = b"\x1f\x8b"


def _lines(stream: Iterable[bytes], where: str) -> Iterator[dict[str, Any]]:
    decode = msgspec.json.decode  # a compiled decoder: most of the reading is this
    for number, line in enumerate(stream, start=1):
        if len(line) < 3 and not line.strip():  # a blank line (strip() copies: not for all)
            continue
        # Messages say where and how long, never what: a line is a person's profile.
        try:
            profile = decode(line)
        except ValueError:
            msg = f"{where}, line {number} ({len(line)} bytes), is not JSON"
            raise BrazeDataError(msg) from None
        if not isinstance(profile, dict):
            msg = f"{where}, line {number}, is JSON but not a user profile (an object)"
            raise BrazeDataError(msg)
        yield profile


#: What an archive cut short or corrupt raises while it is read.
BROKEN_ARCHIVE = (zipfile.BadZipFile, EOFError, zlib.error, gzip.BadGzipFile, OSError)


def profiles(path: Path, where: str) -> Iterator[dict[str, Any]]:
    """Every profile of a `.zip` (its members in name order), a `.gz` or plain NDJSON
    file; `where` names it in messages, which a broken archive gets too."""
    try:
        yield from _profiles(path, where)
    except BROKEN_ARCHIVE as exc:
        msg = f"{where} cannot be read ({type(exc).__name__}: {str(exc)[:120]})"
        raise BrazeDataError(msg) from None


def _profiles(path: Path, where: str) -> Iterator[dict[str, Any]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.infolist(), key=lambda m: m.filename):
                if member.is_dir():
                    continue
                with archive.open(member) as stream:
                    yield from _lines(stream, f"{where}: {member.filename}")
        return
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    if compressed:
        with gzip.open(path, "rb") as stream:
            yield from _lines(stream, where)
        return
    with path.open("rb") as stream:
        yield from _lines(stream, where)
