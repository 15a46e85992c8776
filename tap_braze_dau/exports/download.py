"""A user export's archive, from the URL Braze signs for it: never with the API key.

The URL is not `api_url`: it points at a storage host and carries its own signature. So
it is asked with a session of its own that has no Authorization header, only over https
(plain http on a loopback host, for tests), never following a redirect (a redirect to
another host would send the download elsewhere), and it is never logged with its query
(the signature grants access to every profile of the segment; urllib3's own DEBUG
lines lose their queries here). The archive goes to a file on disk chunk by chunk.

Braze answers 403 until the export is ready (there is no status endpoint): that is
`NotReady`, and the caller polls. A 403 that says the request has expired (the URL lives
four hours) is a `DownloadError`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tap_braze_dau.errors import BrazeFatalError, FetchCancelled
from tap_braze_dau.redaction import shown
from tap_braze_dau.storage.options import LOOPBACK_HOSTS

CHUNK_BYTES = 1 << 20


class _WithoutQueries(logging.Filter):
    """Takes the query out of every URL urllib3 logs (at DEBUG, each request's path and
    query): a download URL's query is its signature."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?<query not shown>"
                if isinstance(arg, str) and "?" in arg
                else arg
                for arg in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_WithoutQueries())


class NotReady(Exception):
    """The export is not ready yet (403, or 404 before the file exists, or a 5xx)."""


class DownloadError(BrazeFatalError):
    """The download URL cannot give the archive: expired, refused, or not a URL the tap
    will ask."""


def where(url: str) -> str:
    """The URL without its query: what messages may show."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def check_download_url(url: object) -> str:
    """The URL, if the tap will ask it: https, or http on a loopback host."""
    if not isinstance(url, str):
        msg = f"Braze answered a download URL that is not a string: {shown(url)}"
        raise DownloadError(msg)
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return url
    msg = (
        f"Braze answered a download URL the tap will not ask: {where(url)} (only https, "
        "or plain http on a loopback host)"
    )
    raise DownloadError(msg)


def download(
    url: str,
    target: Path,
    *,
    timeout: float,
    user_agent: str,
    stop: threading.Event | None = None,
) -> None:
    """The archive at `url` into `target`; `NotReady` while Braze prepares it. A set
    `stop` (the run is ending) abandons the download between two chunks."""
    url = check_download_url(url)
    with requests.Session() as session:  # its own: no Authorization header, ever
        session.headers["User-Agent"] = user_agent
        try:
            with session.get(url, stream=True, timeout=timeout, allow_redirects=False) as answer:
                status = answer.status_code
                if status == 200:
                    with target.open("wb") as out:
                        for chunk in answer.iter_content(CHUNK_BYTES):
                            if stop is not None and stop.is_set():
                                raise FetchCancelled(where(url))
                            out.write(chunk)
                    return
                text = answer.raw.read(4096, decode_content=True).decode("utf-8", "replace")
        except (requests.RequestException, OSError) as exc:
            raise NotReady(f"the download failed ({type(exc).__name__})") from None
    if status == 403 and "expired" in text.lower():
        msg = (
            f"the download URL of the export ({where(url)}) has expired: Braze keeps an "
            "export's archive four hours. The next run asks for a new export."
        )
        raise DownloadError(msg)
    if status in (403, 404) or status >= 500:
        raise NotReady(f"HTTP {status}")
    if 300 <= status < 400:
        location = answer.headers.get("Location", "")
        msg = (
            f"the download URL ({where(url)}) answered a redirect to "
            f"{shown(where(location))}; the tap follows no redirect"
        )
        raise DownloadError(msg)
    msg = f"the download URL ({where(url)}) answered HTTP {status}: {shown(text[:200])}"
    raise DownloadError(msg)
