"""Throwaway PostgreSQL clusters for tests that stop, pause or replicate a server (never the machine's own).

`Cluster.primary(folder)` runs `initdb` and starts a postmaster on a free loopback port; `primary.replica(folder)`
takes a `pg_basebackup -R` of it and starts a streaming standby. Run as the postgres user when the tests run
as root (initdb refuses root). `stop()` everything in a `finally`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from pathlib import Path

import psycopg


def _bindir() -> Path:
    """The server binaries: pg_config's, else Debian's newest /usr/lib/postgresql/<version>/bin."""
    if shutil.which("pg_config"):
        return Path(
            subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        )
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
    return found[-1] if found else Path("/usr/bin")


BIN = _bindir()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(*command: str) -> str:
    """Run a PostgreSQL tool, as the postgres user when we are root."""
    argv = [str(BIN / command[0]), *command[1:]]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")
    return done.stdout


class Cluster:
    """One postmaster in its own data folder, on its own port."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data, self.log = folder / "data", folder / "postgres.log"

    @classmethod
    def primary(cls, folder: Path) -> Cluster:
        """initdb (trust on loopback, replication allowed) and start."""
        _prepare(folder)
        cluster = cls(folder, _free_port())
        _run("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
        with open(cluster.data / "postgresql.conf", "a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\nwal_level = replica\nmax_wal_senders = 5\nfsync = off\n"
                "synchronous_commit = off\nfull_page_writes = off\nshared_buffers = 32MB\nmax_connections = 60\n"
            )
        cluster.start()
        return cluster

    def replica(self, folder: Path) -> Cluster:
        """A streaming standby of this cluster (pg_basebackup -R), started."""
        _prepare(folder)
        standby = Cluster(folder, _free_port())
        _run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-D", str(standby.data),
             "-R", "-X", "stream", "--no-sync", "--checkpoint=fast")  # fmt: skip
        standby.start()
        return standby

    def start(self) -> None:
        """Start the postmaster and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder}"
        _run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the postmaster (no error if it is not running)."""
        with contextlib.suppress(RuntimeError):
            _run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        """A plain libpq URL of a database of this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str, database: str = "postgres") -> object:
        """Run one statement in autocommit and return its first column of the first row (or None)."""
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None

    def destroy(self) -> None:
        """Stop immediately and remove the folder."""
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def _prepare(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        for parent in folder.parents:  # postgres must reach its folder
            if parent == Path("/") or str(parent) == "/tmp":
                break
            os.chmod(parent, os.stat(parent).st_mode | 0o005)
