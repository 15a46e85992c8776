"""Segment exports in flight: each runs in a thread of its own until it is ready.

URL mode (no bucket): the ZIP is built at once into a temporary folder the emulator owns
(several NDJSON members, `users_per_file` profiles each, named
`<object_prefix>/part-0001.json`), and it becomes ready `export_delay` seconds after the
request (or when built, if that takes longer); the download server (download.py) serves
it from the file. Bucket mode: once due, each file (a ZIP of one NDJSON member, or a gzip
of NDJSON for `output_format` gzip) is written under
`segment-export/<segment_id>/<YYYY-MM-dd>/<object_prefix>/<random hex>.zip|.gz` one
after another over about half of `export_delay`; the export is ready when the last is.

An export holds its segment (a second request is refused with a 429) until it is ready; a
failed one (`fail_next`) never becomes ready, and holds its segment only until it is due:
Braze would have given up and emailed someone.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import secrets
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from braze_emulator.exports import exported_profile

#: What the presigned URL says of its own lifetime (Braze's: four hours).
URL_EXPIRES_SECONDS = 14_400


@dataclass
class Export:
    """One segment export as the emulator made it (`BrazeEmulator.exports`).

    segment_id (also `segment`), object_prefix, fields (`fields_to_export`),
    custom_attributes (`custom_attributes_to_export`, None if not sent), output_format;
    requested_at, due_at (requested_at + export_delay) and ready_at (None until ready,
    forever if failed), epoch seconds; url (None in bucket mode) and its signature;
    user_count: profiles exported; keys: bucket keys written, in order; archive: the ZIP
    served in URL mode; error: why the export's own thread failed, if it did.
    """

    segment_id: str
    object_prefix: str
    fields: tuple[str, ...]
    custom_attributes: tuple[str, ...] | None
    output_format: str
    requested_at: float
    due_at: float
    expires_after: float
    url: str | None
    signature: str
    user_count: int
    callback_endpoint: str | None = None
    failed: bool = False
    ready_at: float | None = None
    keys: list[str] = field(default_factory=list)
    archive: Path | None = None
    archive_size: int = 0
    error: str | None = None

    @property
    def segment(self) -> str:
        return self.segment_id

    @property
    def expires_at(self) -> float | None:
        """When the download URL stops answering (None: never ready)."""
        return None if self.ready_at is None else self.ready_at + self.expires_after

    def holds_segment(self, now: float) -> bool:
        """Whether a second export of its segment is refused now."""
        if self.ready_at is not None:
            return False
        return now < self.due_at if self.failed else True


def _chunks(items: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ExportJobs:
    """The exports made, and the threads that make them ready."""

    def __init__(self) -> None:
        self.exports: list[Export] = []
        self._lock = threading.Lock()
        self._fail_next: set[str] = set()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._folder: Path | None = None
        self._encoder = msgspec.json.Encoder()

    def fail_next(self, segment_id: str) -> None:
        """The next export of this segment never becomes ready."""
        with self._lock:
            self._fail_next.add(segment_id)

    def busy(self, segment_id: str) -> bool:
        now = time.time()
        with self._lock:
            return any(e.holds_segment(now) for e in self.exports if e.segment_id == segment_id)

    def state(self, export: Export, at: float) -> str:
        """What the download URL is at instant `at` (a request's arrival): "pending" (not
        ready yet, or never), "ready" or "expired". Read under the lock `ready_at` is set
        under, so that a request answered "pending" arrived before `ready_at`."""
        with self._lock:
            ready = export.ready_at
        if ready is None or at < ready or export.archive is None:
            return "pending"
        return "expired" if at > ready + export.expires_after else "ready"

    def _mark_ready(self, export: Export) -> None:
        with self._lock:
            export.ready_at = time.time()

    def find(self, object_prefix: str) -> Export | None:
        with self._lock:
            return next((e for e in self.exports if e.object_prefix == object_prefix), None)

    def start(
        self,
        segment_id: str,
        profiles: Sequence[dict[str, Any]],
        *,
        fields: Sequence[str],
        custom_attributes: Sequence[str] | None,
        output_format: str,
        callback_endpoint: str | None,
        delay: float,
        expires_after: float,
        users_per_file: int,
        bucket: Path | Any | None,
        download_base: str,
    ) -> Export | None:
        """Start an export of `profiles` (a snapshot); None if its segment is held."""
        now = time.time()
        prefix = f"{uuid.uuid4()}-{int(now)}"
        signature = secrets.token_hex(32)
        url = None
        if bucket is None:
            url = (
                f"{download_base}/exports/{prefix}.zip?X-Amz-Signature={signature}"
                f"&X-Amz-Expires={URL_EXPIRES_SECONDS}"
            )
        with self._lock:
            if any(e.holds_segment(now) for e in self.exports if e.segment_id == segment_id):
                return None
            export = Export(
                segment_id=segment_id,
                object_prefix=prefix,
                fields=tuple(fields),
                custom_attributes=None if custom_attributes is None else tuple(custom_attributes),
                output_format=output_format,
                requested_at=now,
                due_at=now + delay,
                expires_after=expires_after,
                url=url,
                signature=signature,
                user_count=len(profiles),
                callback_endpoint=callback_endpoint,
                failed=segment_id in self._fail_next,
            )
            self._fail_next.discard(segment_id)
            self.exports.append(export)
        if export.failed:
            return export
        snapshot = list(profiles)
        size = max(1, users_per_file)
        if bucket is None:
            thread = threading.Thread(
                target=self._guarded, args=(export, self._run_url, snapshot, size), daemon=True
            )
        else:
            thread = threading.Thread(
                target=self._guarded,
                args=(export, self._run_bucket, snapshot, size, bucket, delay / 2),
                daemon=True,
            )
        with self._lock:
            self._threads.append(thread)
        thread.start()
        return export

    def close(self) -> None:
        """Stop the threads (a build under way is abandoned) and remove the temporary files."""
        self._stop.set()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=5)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    # -- the threads --------------------------------------------------------------------

    def _guarded(self, export: Export, run: Any, *args: Any) -> None:
        try:
            run(export, *args)
        except Exception as error:  # an export that fails is one that never becomes ready
            export.failed = True
            export.error = f"{type(error).__name__}: {error}"

    def _lines(self, export: Export, profiles: Sequence[dict[str, Any]]) -> bytes:
        encode = self._encoder.encode
        return b"".join(
            encode(exported_profile(p, export.fields, export.custom_attributes)) + b"\n"
            for p in profiles
        )

    def _wait_until(self, instant: float) -> bool:
        """Sleep until `instant`; False if the emulator stops meanwhile."""
        return not self._stop.wait(max(0.0, instant - time.time()))

    def _temporary_folder(self) -> Path:
        with self._lock:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="braze-emulator-exports-"))
            return self._folder

    def _run_url(self, export: Export, profiles: Sequence[dict[str, Any]], size: int) -> None:
        path = self._temporary_folder() / f"{export.object_prefix}.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for index, chunk in enumerate(_chunks(profiles, size), start=1):
                if self._stop.is_set():
                    return
                zf.writestr(
                    f"{export.object_prefix}/part-{index:04d}.json", self._lines(export, chunk)
                )
        export.archive_size = path.stat().st_size
        export.archive = path
        if self._wait_until(export.due_at):
            self._mark_ready(export)

    def _run_bucket(
        self,
        export: Export,
        profiles: Sequence[dict[str, Any]],
        size: int,
        bucket: Path | Any,
        spread: float,
    ) -> None:
        if not self._wait_until(export.due_at):
            return
        day = dt.datetime.now(dt.timezone.utc).date().isoformat()
        chunks = list(_chunks(profiles, size))
        gap = spread / max(1, len(chunks) - 1)
        for index, chunk in enumerate(chunks):
            if index and not self._wait_until(time.time() + gap):
                return
            name = uuid.uuid4().hex
            lines = self._lines(export, chunk)
            if export.output_format == "gzip":
                data, suffix = gzip.compress(lines, compresslevel=1), "gz"
            else:
                data, suffix = _one_member_zip(f"{name}.json", lines), "zip"
            key = f"segment-export/{export.segment_id}/{day}/{export.object_prefix}/{name}.{suffix}"
            put(bucket, key, data)
            export.keys.append(key)
        self._mark_ready(export)


def _one_member_zip(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(name, data)
    return buffer.getvalue()


def put(bucket: Path | Any, key: str, data: bytes) -> None:
    """Write one object: into a local folder (a `Path` or a str; through a hidden
    `.<name>.part` file renamed into place, so a reader never sees half a file), or into an
    obstore store."""
    if isinstance(bucket, str | Path):
        target = Path(bucket) / key
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        partial.write_bytes(data)
        os.replace(partial, target)
        return
    import obstore  # the emulator's own dependency on it is only here and in currents.py

    obstore.put(bucket, key, data)
