"""A throwaway PostgreSQL server for the test session (Debian's `postgresql` package, no service).

Use it from a test module with `from tests.postgres import postgres_url  # noqa: F401`.
The fixture initdb's a cluster in a fresh temp dir, starts it with pg_ctl on a free port on
127.0.0.1 only (its socket in that dir, fsync off), creates one database and yields its
SQLAlchemy URL; the server is stopped and the dir deleted at the end, also when a test fails.
Debian's own "main" cluster and its systemd service are never used.

PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as the `postgres` OS user
(created by the Debian package) through runuser, and the temp dir is owned by that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "postgres"  # the cluster's bootstrap role; trust auth, reachable only on 127.0.0.1
DATABASE = "navigator_test"
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin. "
    "Install them with `scripts/bootstrap.sh system` (or `sudo apt-get install postgresql`); "
    "the tests start their own throwaway server, Debian's service is not needed."
)


@dataclass(frozen=True)
class PgBinaries:
    version: str
    bindir: Path

    def __getitem__(self, tool: str) -> str:
        return str(self.bindir / tool)


def find_binaries() -> PgBinaries | None:
    """The highest PostgreSQL version with both initdb and pg_ctl (Debian layout, then PATH)."""
    found = []
    for pg_ctl in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        bindir = Path(pg_ctl).parent
        version = bindir.parent.name
        if (bindir / "initdb").exists() and re.fullmatch(r"\d+(\.\d+)?", version):
            found.append((tuple(int(p) for p in version.split(".")), PgBinaries(version, bindir)))
    if found:
        return max(found, key=lambda item: item[0])[1]
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and (Path(pg_ctl).parent / "initdb").exists():
        return PgBinaries("PATH", Path(pg_ctl).parent)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reachable_by_others(path: Path) -> bool:
    """True when every directory above `path` lets other users through (o+x)."""
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *path.parents])


def run_as_prefix() -> tuple[list[str], pwd.struct_passwd | None]:
    """('runuser -u postgres --', its passwd entry) as root; ([], None) otherwise."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail("running as root, but there is no `postgres` OS user to run PostgreSQL as "
                    "(PostgreSQL refuses to run as root). " + INSTALL_HINT, pytrace=False)
    runuser = shutil.which("runuser")
    prefix = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s", "/bin/sh",
                                                                 "-c", '"$0" "$@"']
    return prefix, user


class ThrowawayCluster:
    """initdb + pg_ctl in one temp dir; `start()` returns the port, `stop()` removes everything."""

    def __init__(self, binaries: PgBinaries) -> None:
        self.bin = binaries
        self.prefix, self.owner = run_as_prefix()
        base = Path(tempfile.gettempdir())
        if self.owner and not _reachable_by_others(base):
            base = Path("/tmp")  # e.g. TMPDIR under /root: the postgres user could not reach it
        self.dir = Path(tempfile.mkdtemp(prefix="navigator-pg-", dir=base))
        if self.owner:
            os.chown(self.dir, self.owner.pw_uid, self.owner.pw_gid)
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.port: int | None = None
        self.started = False

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([*self.prefix, *args], cwd=self.dir, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "LC_ALL": "C", "LANG": "C"})

    def _fail(self, what: str, proc: subprocess.CompletedProcess) -> None:
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        pytest.fail(f"{what} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
                    f"server log:\n{log}", pytrace=False)

    def init(self) -> None:
        # C locale: text sorts byte-wise, like SQLite; --no-sync: a throwaway cluster.
        proc = self._run(self.bin["initdb"], "-D", str(self.data), "-U", SUPERUSER,
                         "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")
        if proc.returncode != 0:
            self._fail("initdb", proc)
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.dir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "50",
            "shared_buffers": "32MB",
        }
        # Appending keeps the file's owner (the postgres user when we are root).
        with (self.data / "postgresql.conf").open("a") as f:
            f.write("\n# tests/postgres.py\n")
            f.writelines(f"{k} = {v}\n" for k, v in settings.items())

    def start(self, attempts: int = 3) -> int:
        for attempt in range(attempts):
            port = free_port()
            proc = self._run(self.bin["pg_ctl"], "-D", str(self.data), "-l", str(self.log),
                             "-o", f"-p {port}", "-w", "-t", "30", "start")
            if proc.returncode == 0:
                self.port, self.started = port, True
                return port
            if attempt == attempts - 1:  # another process may have taken the port: retry
                self._fail("pg_ctl start", proc)
        raise AssertionError("unreachable")

    def stop(self) -> None:
        try:
            if self.started:
                self._run(self.bin["pg_ctl"], "-D", str(self.data), "-m", "immediate", "-w",
                          "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """CREATE DATABASE `name` on the server of `server_url`; returns the new database's URL."""
    import psycopg

    base, _, _ = server_url.rpartition("/")
    conninfo = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of an empty database on a throwaway PostgreSQL server (session-wide)."""
    binaries = find_binaries()
    if binaries is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    start = time.monotonic()
    cluster = ThrowawayCluster(binaries)
    try:
        cluster.init()
        port = cluster.start()
        url = create_database(f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres",
                              DATABASE)
        print(f"\n[postgres] PostgreSQL {binaries.version} on 127.0.0.1:{port} "
              f"ready in {time.monotonic() - start:.2f} s ({cluster.dir})")
        yield url
    finally:
        cluster.stop()
