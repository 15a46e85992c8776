"""Every profile of the segments of `users_segment_ids`: one export per segment, several
at once, each read from a file on disk, never whole in memory.

For each segment a worker (`max_parallel_requests` of them, so several exports run at
once, far below Braze's 100 per company):

1. asks `POST /users/export/segment`. A 429 there means an export of the segment is
   already running (one at a time per segment): it is retried with backoff within
   `users_export_timeout_minutes`, never by holding the rate-limit pool, whose headers
   it carries but does not describe;
2. with a download `url` in the answer, polls it with backoff (403 until ready: there is
   no status endpoint) and downloads the ZIP into the run's scratch folder
   (`download.py`: never with the API key);
   without one, the workspace exports to its own bucket (`users_export_url`): the files
   appear under `segment-export/<segment>/<date>/<object_prefix>/`, and with no manifest
   the export counts as complete once no new file has appeared there for
   `users_export_settle_seconds` (`export_bucket.py`); they are then downloaded;
3. hands the files back, in segment order, to the stream, which reads them member by
   member, line by line (`archive.py`) and removes each once read.

Past the timeout, or for an expired URL, the run fails naming the segment; nothing of a
segment is emitted before all of its export is on disk, so a partial export is never
emitted as a complete one. The scratch folder goes when the stream ends, however it
ends; a SIGKILL's leftovers go at the start of the next run (`storage/scratch.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tap_braze_dau.braze.client import BrazeClient, Request
from tap_braze_dau.declarations import Endpoint
from tap_braze_dau.errors import BrazeDataError, BrazeFatalError, Busy, FetchCancelled
from tap_braze_dau.exports.download import DownloadError, NotReady, check_download_url, download
from tap_braze_dau.exports.export_bucket import NotSettled, settled_files
from tap_braze_dau.exports.polling import Polls
from tap_braze_dau.plan.ordered import OrderedFetcher
from tap_braze_dau.redaction import shown
from tap_braze_dau.storage.scratch import scratch_folder
from tap_braze_dau.storage.store import ObjectStorage

EXPORT = Endpoint(
    path="/users/export/segment",
    permission="users.export.segment",
    answer_field=None,
    busy_on_429=True,  # one export at a time per segment
)
#: The key of a user: always asked for, whatever `users_fields_to_export` says.
KEY_FIELD = "braze_id"


@dataclass(frozen=True)
class UsersOptions:
    """What the user export needs of the settings."""

    segment_ids: tuple[str, ...]
    fields: tuple[str, ...]
    timeout_seconds: float
    settle_seconds: float
    retry_wait_seconds: float
    request_timeout: float
    user_agent: str
    parallel: int
    #: Whether `users_export_url` says the workspace exports to its own bucket.
    to_bucket: bool = False


@dataclass(frozen=True)
class ExportFiles:
    """One segment's export on disk: its files, in the order to read them, and whether
    they are the run's downloads (removed once read) or a local bucket's own files."""

    segment_id: str
    object_prefix: str
    paths: tuple[Path, ...]
    downloaded: bool


def export_body(
    segment_id: str, fields: tuple[str, ...], *, to_bucket: bool = False
) -> dict[str, object]:
    """The body of one export: the segment and its fields, `braze_id` among them; gzip
    files where the workspace exports to its own bucket (`output_format` applies only
    there), smaller than ZIPs of one file each."""
    asked = list(fields) if KEY_FIELD in fields else [KEY_FIELD, *fields]
    body: dict[str, object] = {"segment_id": segment_id, "fields_to_export": asked}
    if to_bucket:
        body["output_format"] = "gzip"
    return body


def object_prefix_of(answer: object, segment_id: str) -> tuple[str, str | None]:
    """(object_prefix, download url or None) of the export's answer."""
    if not isinstance(answer, dict) or not isinstance(answer.get("object_prefix"), str):
        msg = (
            f"Braze answered the export of segment {segment_id!r} without an "
            f"object_prefix: {shown(sorted(answer) if isinstance(answer, dict) else answer)}"
        )
        raise BrazeDataError(msg)
    url = answer.get("url")
    return answer["object_prefix"], None if url in (None, "") else check_download_url(url)


class UsersExports:
    """The exports of one run (thread-safe): `files()` yields each segment's, in order.

    `client(stop)` makes the API client; `storage()` the store of `users_export_url`
    (None when unset), built on first use.
    """

    def __init__(
        self,
        options: UsersOptions,
        *,
        client: Callable[[threading.Event], BrazeClient],
        storage: Callable[[], ObjectStorage | None],
        logger: logging.Logger,
    ) -> None:
        self.options = options
        self._client = client
        self._make_storage = storage
        self._logger = logger
        self._lock = threading.Lock()
        self._storage: tuple[ObjectStorage | None] | None = None

    @property
    def storage(self) -> ObjectStorage | None:
        """The store of `users_export_url` (None when unset), opened once."""
        with self._lock:
            if self._storage is None:
                self._storage = (self._make_storage(),)
            return self._storage[0]

    def files(self) -> Iterator[ExportFiles]:
        """Each segment's export, in `segment_ids` order, `parallel` exported at once;
        the downloads are removed when the iterator ends (or is closed). Up to twice
        `parallel` segments may wait on disk ahead of the one being read."""
        segments = self.options.segment_ids
        stop = threading.Event()
        client = self._client(stop)
        with scratch_folder() as folder:

            def export(segment_id: str) -> ExportFiles:
                return self._export(client, segment_id, folder, stop)

            fetcher: OrderedFetcher[str, ExportFiles] = OrderedFetcher(
                export, min(self.options.parallel, max(1, len(segments))), stop
            )
            results = fetcher.map(segments)
            try:
                for _segment, exported in results:
                    yield exported
            finally:
                results.close()

    # -- one segment -----------------------------------------------------------------------

    def polls(self, stop: threading.Event) -> Polls:
        """The polls of one export, its deadline `users_export_timeout_minutes` away."""
        return Polls(
            timeout_seconds=self.options.timeout_seconds,
            base_seconds=self.options.retry_wait_seconds,
            stop=stop,
        )

    def _export(
        self, client: BrazeClient, segment_id: str, folder: Path, stop: threading.Event
    ) -> ExportFiles:
        polls = self.polls(stop)
        started = dt.datetime.now(dt.timezone.utc).date()
        object_prefix, url = self._start(client, segment_id, polls)
        if url is not None:
            path = folder / f"{object_prefix}.zip"
            self._download(url, path, segment_id, polls, stop)
            return ExportFiles(segment_id, object_prefix, (path,), downloaded=True)
        return self._from_bucket(segment_id, object_prefix, started, folder, polls, stop)

    def _timed_out(self, segment_id: str, what: str) -> BrazeFatalError:
        minutes = self.options.timeout_seconds / 60
        return BrazeFatalError(
            f"users: the export of segment {segment_id!r} {what} after {minutes:g} "
            "minute(s) (users_export_timeout_minutes). Braze reports a failed export only "
            "by email to the company's admins; nothing of the segment was emitted."
        )

    def _start(self, client: BrazeClient, segment_id: str, polls: Polls) -> tuple[str, str | None]:
        """Ask for the export; (its object_prefix, its download URL or None).

        A request that failed on its way (a timeout, a 5xx) is retried by the client; if
        Braze had started that export anyway, the retry is answered 429 until it ends,
        then starts another: slower, never wrong.
        """
        request = Request(
            "users",
            EXPORT,
            {},
            f"{EXPORT.path} (segment {segment_id})",
            context={"segment_id": segment_id},
            body=export_body(segment_id, self.options.fields, to_bucket=self.options.to_bucket),
        )
        while True:
            try:
                (answer,) = client.fetch(request)
                return object_prefix_of(answer, segment_id)
            except Busy:
                self._logger.info(
                    "users: segment %r already has an export running (HTTP 429); asking "
                    "again in %.1f s",
                    segment_id,
                    polls.next_delay(),
                )
            if not polls.wait():
                raise self._timed_out(segment_id, "could not start (another one ran)")

    def _download(
        self, url: str, path: Path, segment_id: str, polls: Polls, stop: threading.Event
    ) -> None:
        """Poll Braze's download URL until the archive is there, into `path`."""
        while True:
            try:
                download(
                    url,
                    path,
                    timeout=self.options.request_timeout,
                    user_agent=self.options.user_agent,
                    stop=stop,
                )
            except NotReady as exc:
                self._logger.info(
                    "users: segment %r: export not ready after %.1f s (%s); polling again "
                    "in %.1f s",
                    segment_id,
                    polls.waited(),
                    exc,
                    polls.next_delay(),
                )
            else:
                if not zipfile.is_zipfile(path):
                    msg = (
                        f"users: the download of segment {segment_id!r}'s export is not "
                        "a ZIP archive; nothing of the segment was emitted"
                    )
                    raise DownloadError(msg)
                self._logger.info(
                    "users: segment %r: downloaded the export (%d bytes) after %.1f s",
                    segment_id,
                    path.stat().st_size,
                    polls.waited(),
                )
                return
            if not polls.wait():
                raise self._timed_out(segment_id, "was not ready")

    def _from_bucket(
        self,
        segment_id: str,
        object_prefix: str,
        started: dt.date,
        folder: Path,
        polls: Polls,
        stop: threading.Event,
    ) -> ExportFiles:
        storage = self.storage
        if storage is None:
            msg = (
                f"users: Braze answered the export of segment {segment_id!r} without a "
                "download URL: the workspace exports to its own bucket. Set "
                "users_export_url to that bucket (e.g. s3://bucket) and, unless the "
                "environment has them, its credentials in users_export_storage_options."
            )
            raise BrazeFatalError(msg)
        try:
            files = settled_files(
                storage,
                segment_id,
                object_prefix,
                started,
                settle_seconds=self.options.settle_seconds,
                polls=polls,
                logger=self._logger,
            )
        except NotSettled as exc:
            raise self._timed_out(segment_id, str(exc)) from None
        if storage.location.is_local:  # the workspace's files: read in place, left alone
            paths = tuple(Path(storage.location.bucket, file.key) for file in files)
            return ExportFiles(segment_id, object_prefix, paths, downloaded=False)
        downloaded = []
        for number, file in enumerate(files):
            if stop.is_set():
                raise FetchCancelled(f"the export of segment {segment_id!r}")
            target = folder / f"{object_prefix}-{number}{Path(file.key).suffix}"
            storage.download(file.key, target)
            downloaded.append(target)
        return ExportFiles(segment_id, object_prefix, tuple(downloaded), downloaded=True)


def read_profile(profile: dict[str, Any], segment_id: str, where: str) -> dict[str, Any]:
    """The record of one profile: the profile as Braze sent it and its segment (added in
    place: a copy of every profile costs more than the rest of its reading)."""
    key = profile.get(KEY_FIELD)
    if not isinstance(key, str) or not key:
        msg = f"{where}: a user profile without {KEY_FIELD}: {shown(sorted(profile))}"
        raise BrazeDataError(msg)
    profile["segment_id"] = segment_id
    return profile
