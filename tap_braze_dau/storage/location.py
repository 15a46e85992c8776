"""Where files are: the URL of a bucket and prefix, or a local folder. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

Scheme = Literal["s3", "gs", "az", "file"]

#: URL schemes and the store each names (`azure://` and `abfs://` as obstore spells them).
SCHEMES: dict[str, Scheme] = {
    "s3": "s3",
    "s3a": "s3",
    "gs": "gs",
    "az": "az",
    "azure": "az",
    "file": "file",
}


@dataclass(frozen=True)
class Location:
    """A bucket (container, or local folder) and a prefix inside it, without slashes at
    either end ("" for none). For a local folder `bucket` is its absolute path."""

    scheme: Scheme
    bucket: str
    prefix: str = ""

    def __str__(self) -> str:
        if self.scheme == "file":
            return str(Path(self.bucket, self.prefix)) if self.prefix else self.bucket
        return f"{self.scheme}://{self.bucket}/{self.prefix}".rstrip("/")

    def join(self, *parts: str) -> str:
        """A key inside the location, from parts relative to its prefix."""
        return "/".join(part.strip("/") for part in parts if part.strip("/"))

    @property
    def is_local(self) -> bool:
        return self.scheme == "file"


def parse_location(text: object, setting: str) -> Location:
    """The location `text` names; ValueError naming `setting` (and never a credential:
    a URL with one is refused without being quoted)."""
    if not isinstance(text, str) or not text.strip():
        msg = f"{setting}: expected a URL such as s3://bucket/prefix or a folder, got {text!r}"
        raise ValueError(msg)
    text = text.strip()
    parts = urlsplit(text)
    if not parts.scheme or len(parts.scheme) == 1:  # a plain path (C:\ on Windows too)
        return Location("file", str(Path(text).expanduser().resolve()))
    scheme = SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        msg = (
            f"{setting}: {parts.scheme}:// is not a store the tap reads; use s3://, gs://, "
            "az:// (Azure Blob Storage), file:// or a folder"
        )
        raise ValueError(msg)
    if parts.username or parts.password or parts.query or parts.fragment:
        msg = (
            f"{setting}: the URL must hold only the bucket and prefix; credentials go in "
            "the storage options"
        )
        raise ValueError(msg)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            msg = f"{setting}: file:// URLs name a local folder (file:///path), not a host"
            raise ValueError(msg)
        return Location("file", str(Path(unquote(parts.path)).resolve()))
    bucket = parts.netloc
    if not bucket:
        msg = f"{setting}: no bucket in {text!r} (expected {scheme}://bucket/prefix)"
        raise ValueError(msg)
    return Location(scheme, bucket, unquote(parts.path).strip("/"))
