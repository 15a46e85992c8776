"""A throwaway PostgreSQL server for the end-to-end tests: initdb + pg_ctl in a temp dir.

The server listens on a free loopback port and is removed when the tests end. PostgreSQL
refuses to run as root, so as root it runs as the `postgres` user (`.ci/run` installs the
server where it is missing).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.insert(0, out.stdout.strip())
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    msg = (
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install the server "
        "(Debian/Ubuntu: apt-get install postgresql); .ci/run does this in CI"
    )
    raise RuntimeError(msg)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    bindir: Path
    datadir: Path
    port: int
    as_postgres: bool

    user = "postgres"
    host = "127.0.0.1"
    database = "postgres"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir / "data"),
            "-U",
            self.user,
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir / "data"),
            "-o",
            options,
            "-l",
            str(self.datadir / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir / "data"),
            "-m",
            "fast",
            "-w",
            "stop",
            check=False,
        )
        shutil.rmtree(self.datadir, ignore_errors=True)

    def query(self, sql: str) -> list[list[str]]:
        """Rows of a query through psql, each a list of text values."""
        psql = self.bindir / "psql"
        out = subprocess.run(
            [
                str(psql) if psql.exists() else "psql",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                self.database,
                "-At",
                "-F",
                "\t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return [line.split("\t") for line in out.stdout.splitlines() if line]


def start_postgres() -> PostgresServer:
    as_postgres = os.geteuid() == 0
    datadir = Path(tempfile.mkdtemp(prefix="tap-braze-dau-pg-"))
    if as_postgres:
        shutil.chown(datadir, user="postgres", group="postgres")
    server = PostgresServer(_bindir(), datadir, _free_port(), as_postgres)
    server.start()
    return server
