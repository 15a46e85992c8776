"""Real object stores on 127.0.0.1 for the tests: an S3-compatible server (moto's server
mode, in process) whose request log the tests read, Azurite (Microsoft's Azure Blob
Storage emulator, from npm), and what the tap needs to use them."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import re
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer
from obstore.store import AzureStore, S3Store

ACCESS_KEY = "AKIATESTCURRENTS0001"
#: A fake secret, easy to find in any output: no test may ever see it printed.
SECRET_KEY = "s3-secret-DO-NOT-LEAK-7f3a9c1e5b"  # noqa: S105
_REQUEST = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+)')
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Logged:
    method: str
    path: str
    status: int

    @property
    def is_listing(self) -> bool:
        return self.method == "GET" and "list-type=2" in self.path

    @property
    def is_object_read(self) -> bool:
        return (
            self.method in ("GET", "HEAD")
            and "list-type" not in self.path
            and self.path.count("/") > 1
        )


@dataclass
class S3Server:
    """moto in server mode; `requests` is every request it answered, in order."""

    server: ThreadedMotoServer
    url: str
    requests: list[Logged] = field(default_factory=list)
    recorder: logging.Handler | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def bucket(self, name: str) -> str:
        request = urllib.request.Request(f"{self.url}/{name}", method="PUT")
        with urllib.request.urlopen(request, timeout=10):
            pass
        return name

    def store(self, bucket: str) -> S3Store:
        """A store to write test files with (not the tap's)."""
        return S3Store(
            bucket,
            endpoint=self.url,
            region="us-east-1",
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            client_options={"allow_http": True},
        )

    def options(self) -> dict[str, str]:
        """`currents_storage_options` for the tap."""
        return {
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            "region": "us-east-1",
            "endpoint_url": self.url,
        }

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def of_bucket(self, bucket: str) -> list[Logged]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(f"/{bucket}")]

    def record(self, line: str) -> None:
        found = _REQUEST.search(_ANSI.sub("", line))
        if found:
            with self._lock:
                self.requests.append(Logged(found["method"], found["path"], int(found["status"])))

    @contextlib.contextmanager
    def signatures_required(self) -> Iterator[dict[str, str]]:
        """While inside, requests must be signed by a known IAM user: yields the key of one
        that may do nothing at all (moto's IAM, created while auth is still off). moto's
        auth switch is global to the process, so it is turned off again on the way out:
        other servers (and later test files in this worker) answer unsigned requests."""
        import boto3  # type: ignore[import-untyped]

        iam = boto3.client(
            "iam",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        iam.create_user(UserName="nobody")
        key = iam.create_access_key(UserName="nobody")["AccessKey"]
        self._reset_auth(after_requests="0")
        try:
            yield {
                "aws_access_key_id": key["AccessKeyId"],
                "aws_secret_access_key": key["SecretAccessKey"],
            }
        finally:
            self._reset_auth(after_requests="inf")

    def _reset_auth(self, *, after_requests: str) -> None:
        """Require signatures after that many more unsigned requests ("inf": never)."""
        request = urllib.request.Request(
            f"{self.url}/moto-api/reset-auth",
            data=after_requests.encode(),
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self.recorder is not None:
            _WERKZEUG.removeHandler(self.recorder)
        self.server.stop()


class _Recorder(logging.Handler):
    """Feeds werkzeug's request lines to one server's log. The lines do not say which
    server answered: two servers alive in one process both see every line, so tests tell
    theirs apart by bucket (`S3Server.of_bucket`)."""

    def __init__(self, server: S3Server) -> None:
        super().__init__()
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        self.server.record(record.getMessage())


_WERKZEUG = logging.getLogger("werkzeug")


def start_s3() -> S3Server:
    """A moto S3 server on a free loopback port, its requests recorded until `stop`."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = S3Server(server, f"http://{host}:{port}")
    _WERKZEUG.setLevel(logging.INFO)
    _WERKZEUG.propagate = False
    s3.recorder = _Recorder(s3)
    _WERKZEUG.addHandler(s3.recorder)
    return s3


def dump(value: Any) -> str:
    return json.dumps(value)


# -- Azure Blob Storage: Azurite -------------------------------------------------------------

AZURITE = Path(__file__).resolve().parent / "azurite" / "node_modules" / ".bin" / "azurite-blob"
#: Azurite's one account and its key, public and well known (never a real secret).
AZURE_ACCOUNT = "devstoreaccount1"
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


@dataclass
class AzureServer:
    """Azurite's Blob service on a free loopback port, in memory, with no telemetry."""

    process: subprocess.Popen[str]
    endpoint: str

    def container(self, name: str) -> str:
        """Create a container (a SharedKey-signed PUT: obstore cannot create one)."""
        date, version = formatdate(usegmt=True), "2021-08-06"
        to_sign = (
            "PUT\n" + "\n" * 11 + f"x-ms-date:{date}\nx-ms-version:{version}\n"
            f"/{AZURE_ACCOUNT}/{AZURE_ACCOUNT}/{name}\nrestype:container"
        )
        key = base64.b64decode(AZURE_KEY)
        signature = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha256).digest())
        request = urllib.request.Request(
            f"{self.endpoint}/{name}?restype=container",
            method="PUT",
            headers={
                "x-ms-date": date,
                "x-ms-version": version,
                "Authorization": f"SharedKey {AZURE_ACCOUNT}:{signature.decode()}",
            },
        )
        with urllib.request.urlopen(request, timeout=10):
            pass
        return name

    def store(self, container: str) -> AzureStore:
        return AzureStore(
            container,
            account_name=AZURE_ACCOUNT,
            account_key=AZURE_KEY,
            endpoint=self.endpoint,
            client_options={"allow_http": True},
        )

    def options(self) -> dict[str, str]:
        """`currents_storage_options` for the tap."""
        return {"account_name": AZURE_ACCOUNT, "account_key": AZURE_KEY, "endpoint": self.endpoint}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_azurite() -> AzureServer:
    """Azurite from tests/azurite (`make test` installs it with npm)."""
    if not AZURITE.exists():
        pytest.fail(f"Azurite is not installed at {AZURITE}: run the tests with `make test`")
    process = subprocess.Popen(
        [
            str(AZURITE),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            "0",
            "--inMemoryPersistence",
            "--disableTelemetry",
            "--skipApiVersionCheck",
            "--silent",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        found = re.search(r"listens on http://127\.0\.0\.1:(\d+)", line)
        if found:
            return AzureServer(process, f"http://127.0.0.1:{found[1]}/{AZURE_ACCOUNT}")
    process.kill()
    pytest.fail("Azurite did not start")
