"""`ObjectStorage`: list, peek at and download the files of one location, through obstore.

Every operation is bounded and every failure is a `StorageError` that names the
location, the operation (listing, reading) and where the credentials came from, with no
secret in it: obstore's messages hold the request's URL and the server's answer, never
the credentials, and every text is still scrubbed of the options' secret values. Access
refused (401, 403) is said in those words, as a missing bucket or folder is.

Listing is the cost that grows with a bucket's history, so it is never asked for more
than needed: `folders` lists one level (a delimiter listing), and `files` lists keys
after a given one, in key order, which an object store answers without walking what
comes before. Keys are relative to the location's prefix.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import obstore
from obstore.exceptions import (
    BaseError as ObstoreError,
)
from obstore.exceptions import (
    PermissionDeniedError,
    UnauthenticatedError,
    UnknownConfigurationKeyError,
)
from obstore.store import AzureStore, GCSStore, LocalStore, S3Store

from tap_braze_dau.errors import StorageError
from tap_braze_dau.redaction import redact, shown
from tap_braze_dau.storage.location import Location
from tap_braze_dau.storage.options import StorageOptions

#: Bytes read to get an Avro file's header (its schema); larger headers are read again.
HEAD_BYTES = 64 * 1024
#: Chunks a download writes to disk.
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, order=True)
class StoredFile:
    """One file: its key relative to the location, its size and when it was written."""

    key: str
    size: int
    last_modified: dt.datetime


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = redact(text, secret)
    return text


class ObjectStorage:
    """The files of one `Location`, read with `options`; `setting` names the setting
    the location comes from, in messages. Safe to share between threads."""

    def __init__(
        self,
        location: Location,
        options: StorageOptions,
        *,
        setting: str,
        timeout_seconds: float = 60.0,
        max_retries: int = 3,
    ) -> None:
        self.location = location
        self._options = options
        self._setting = setting
        self._store = self._open(timeout_seconds, max_retries)

    def _open(self, timeout_seconds: float, max_retries: int) -> Any:
        location = self.location
        if location.is_local:
            root = Path(location.bucket)
            if not root.is_dir():
                msg = f"{self._setting}: the folder {root} does not exist"
                raise StorageError(msg)
            return LocalStore(root)
        client = {
            "allow_http": self._options.allow_http,
            "connect_timeout": f"{max(1, round(timeout_seconds))}s",
            "read_timeout": f"{max(1, round(timeout_seconds))}s",
            "timeout": "60min",  # the whole download of a large file
        }
        retry = {
            "max_retries": max_retries,
            "retry_timeout": dt.timedelta(minutes=3),
        }
        prefix = location.prefix or None
        config = dict(self._options.config)
        store_class = {"s3": S3Store, "gs": GCSStore, "az": AzureStore}[location.scheme]
        try:
            return store_class(
                location.bucket,
                prefix=prefix,
                config=config,
                client_options=client,
                retry_config=retry,
            )
        except (UnknownConfigurationKeyError, ObstoreError, ValueError) as exc:
            raise self._error("opening", "", exc) from None

    # -- what failures say ----------------------------------------------------------------

    def _error(self, operation: str, key: str, exc: BaseException) -> StorageError:
        text = _scrub(str(exc), self._options.secrets)
        first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        refused = isinstance(exc, (PermissionDeniedError, UnauthenticatedError)) or any(
            marker in text for marker in ("403 Forbidden", "401 Unauthorized", "AccessDenied")
        )
        where = f"{self.location}/{key}" if key else str(self.location)
        if refused:
            reason = "access refused"
        elif "404 Not Found" in text or "NoSuchBucket" in text or "ContainerNotFound" in text:
            reason = "the bucket (container) does not exist"
        else:
            reason = shown(first)
        return StorageError(
            f"{self._setting}: {operation} {where} failed: {reason}. Credentials from "
            f"{self._options.credentials_from}.",
            refused=refused,
        )

    # -- listing ----------------------------------------------------------------------------

    def folders(self, prefix: str = "") -> list[str]:
        """The folders directly under `prefix` (keys relative to the location, without a
        trailing slash), sorted."""
        try:
            listed = obstore.list_with_delimiter(self._store, prefix or None)
        except (ObstoreError, FileNotFoundError, ValueError, OSError) as exc:
            raise self._error("listing", prefix, exc) from None
        return sorted(str(p).rstrip("/") for p in listed["common_prefixes"])

    def files(self, prefix: str, after: str | None = None) -> Iterator[StoredFile]:
        """Every file under `prefix` whose key sorts after `after` (all: None), in key
        order, page by page (an object store answers from `after` on)."""
        try:
            pages = obstore.list(self._store, prefix or None, offset=after)
            found: list[StoredFile] = []
            for page in pages:
                for meta in page:
                    key = str(meta["path"])
                    if after is not None and key <= after:
                        continue  # a store that ignores the offset (local folders)
                    found.append(StoredFile(key, int(meta["size"]), meta["last_modified"]))
                if not self.location.is_local:
                    # object stores answer in key order: hand each page out as it comes
                    found.sort()
                    yield from found
                    found = []
            found.sort()
            yield from found
        except (ObstoreError, FileNotFoundError, ValueError, OSError) as exc:
            raise self._error("listing", prefix, exc) from None

    # -- reading ------------------------------------------------------------------------------

    def head(self, key: str, size: int = HEAD_BYTES) -> bytes:
        """The first `size` bytes of a file (all of it if it is shorter)."""
        try:
            return bytes(obstore.get_range(self._store, key, start=0, length=size))
        except (ObstoreError, FileNotFoundError, ValueError, OSError) as exc:
            if "range" in str(exc).lower():  # an empty file
                return b""
            raise self._error("reading", key, exc) from None

    def local_path(self, key: str) -> Path | None:
        """The file on disk, for a local folder (read in place); None for a bucket."""
        return Path(self.location.bucket, key) if self.location.is_local else None

    def download(self, key: str, target: Path) -> None:
        """Write the file to `target`, chunk by chunk: never whole in memory."""
        try:
            result = obstore.get(self._store, key)
            with target.open("wb") as out:
                for chunk in result.stream(min_chunk_size=CHUNK_BYTES):
                    out.write(chunk)
        except (ObstoreError, FileNotFoundError, ValueError, OSError) as exc:
            raise self._error("reading", key, exc) from None

    def open(self, key: str) -> io.BufferedReader:
        """A file object reading the file as it streams in (for one pass)."""
        try:
            result = obstore.get(self._store, key)
            return io.BufferedReader(_Chunks(iter(result.stream(min_chunk_size=CHUNK_BYTES))))
        except (ObstoreError, FileNotFoundError, ValueError, OSError) as exc:
            raise self._error("reading", key, exc) from None


class _Chunks(io.RawIOBase):
    """A raw file over an iterator of byte chunks (wrap it in a BufferedReader)."""

    def __init__(self, chunks: Iterator[Any]) -> None:
        self._chunks = chunks
        self._current = memoryview(b"")
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._current and not self._done:
            try:
                self._current = memoryview(next(self._chunks))
            except StopIteration:
                self._done = True
        size = min(len(buffer), len(self._current))
        buffer[:size] = self._current[:size]
        self._current = self._current[size:]
        return size
