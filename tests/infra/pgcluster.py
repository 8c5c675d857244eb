"""Throwaway PostgreSQL servers for the tests that need a whole server: a primary and its
streaming replica, built with the server's own tools (initdb, pg_basebackup -R) in a temporary
directory on free ports, and removed afterwards."""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.services import missing


def server_bin() -> Path | None:
    """The newest server binaries: PG_BIN, Debian's /usr/lib/postgresql/N/bin, or the PATH."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> str | None:
    """initdb refuses to run as root: as root the servers run as the `postgres` user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        missing("running as root needs a `postgres` system user for initdb")
    return "postgres"


@dataclass
class Server:
    data: Path
    port: int
    log: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, params=(), database: str = "postgres"):
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else None


class Cluster:
    """A primary and one streaming replica of it."""

    def __init__(self, root: Path, bindir: Path, user: str | None):
        self.root, self.bindir, self.user = root, bindir, user
        self.primary = Server(root / "primary", free_port(), root / "primary.log")
        self.replica = Server(root / "replica", free_port(), root / "replica.log")
        self.started: list[Server] = []

    def _run(self, *args: str) -> None:
        result = subprocess.run(  # noqa: S603 - the server's own tools, fixed arguments
            [str(self.bindir / args[0]), *args[1:]],
            user=self.user,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed:\n{result.stdout}\n{result.stderr}")

    def _start(self, server: Server) -> None:
        with (server.data / "postgresql.auto.conf").open("a") as conf:
            conf.write(
                f"port = {server.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                # UTC like the portal: Django then never sends SET TIME ZONE on connecting.
                "timezone = 'UTC'\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nmax_connections = 60\n"
            )
        self._run("pg_ctl", "-D", str(server.data), "-l", str(server.log), "-w", "start")
        self.started.append(server)

    def start_primary(self) -> None:
        self._run(
            "initdb", "-D", str(self.primary.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        self._start(self.primary)

    def start(self) -> None:
        self.start_primary()
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", str(self.replica.data), "-R", "-X", "stream", "--checkpoint=fast",
            "--no-sync",
        )  # fmt: skip
        # The copy carries the primary's settings; the port it appends after them wins.
        self._start(self.replica)

    def stop(self) -> None:
        for server in reversed(self.started):
            with contextlib.suppress(RuntimeError):
                self._run("pg_ctl", "-D", str(server.data), "-m", "immediate", "-w", "stop")

    def wait_for_replay(self, timeout: float = 30) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        (lsn,) = self.primary.execute("SELECT pg_current_wal_insert_lsn()::text")[0]
        deadline = time.monotonic() + timeout
        while True:
            (caught_up,) = self.replica.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]
            )[0]
            if caught_up:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the replica did not replay up to {lsn}")
            time.sleep(0.05)

    def pause_replay(self) -> None:
        self.replica.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.replica.execute("SELECT pg_wal_replay_resume()")


@contextlib.contextmanager
def _cluster(*, replica: bool):
    bindir = server_bin()
    if bindir is None or not (bindir / "pg_basebackup").exists():
        missing("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) were not found")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="pg-cluster-"))
    if user:
        shutil.chown(root, user)
    cluster = Cluster(root, bindir, user)
    try:
        if replica:
            cluster.start()
        else:
            cluster.start_primary()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def primary_and_replica():
    """A primary and its streaming replica, removed on leaving."""
    return _cluster(replica=True)


def single_server():
    """One server (`.primary`), removed on leaving."""
    return _cluster(replica=False)
