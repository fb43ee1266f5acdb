"""A throwaway Redis server for the test session (Debian's `redis-server` binary, no service).

Use it from a test module with `from tests.redis import redis_url  # noqa: F401`.
The fixture starts `redis-server` in the foreground as a child process on a free port on
127.0.0.1 only, without persistence (no RDB, no AOF), its working dir a fresh temp dir, and
yields `redis://127.0.0.1:PORT/0`; it is stopped and the dir deleted at the end, also when a
test fails. Debian's own redis service is never used.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import free_port

INSTALL_HINT = (
    "redis-server not found. Install it with `scripts/bootstrap.sh system` (or "
    "`sudo apt-get install redis-server`); the tests start their own throwaway server, "
    "Debian's service is not needed."
)


def find_redis_server() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server")
         if Path(p).exists()), None)


def _ping(port: int, password: str | None = None) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            if password:
                s.sendall(f"AUTH {password}\r\n".encode())
                if not s.recv(16).startswith(b"+OK"):
                    return False
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class ThrowawayRedis:
    """`start()` returns the port; `stop()` ends the process and removes its dir.

    `password`: clients must AUTH with it (`requirepass`, from a config file in the temp dir,
    so that it is on no command line)."""

    def __init__(self, binary: str, password: str | None = None) -> None:
        self.binary = binary
        self.password = password
        self.dir = Path(tempfile.mkdtemp(prefix="navigator-redis-"))
        self.log = self.dir / "redis.log"
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None

    def start(self, attempts: int = 3, timeout_s: float = 10) -> int:
        for _attempt in range(attempts):
            port = free_port()
            config = []
            if self.password:
                (self.dir / "redis.conf").write_text(f"requirepass {self.password}\n")
                config = [str(self.dir / "redis.conf")]
            with self.log.open("a") as log:
                self.proc = subprocess.Popen(
                    [self.binary, *config, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--daemonize", "no", "--dir", str(self.dir)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and self.proc.poll() is None:
                if _ping(port, self.password):
                    self.port = port
                    return port
                time.sleep(0.05)
            self._end()  # the port was taken, or it did not come up: try another
        pytest.fail(f"redis-server did not start:\n{self.log.read_text(errors='replace')[-2000:]}",
                    pytrace=False)
        raise AssertionError("unreachable")

    def _end(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        try:
            self._end()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a throwaway Redis server (session-wide)."""
    binary = find_redis_server()
    if binary is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    start = time.monotonic()
    server = ThrowawayRedis(binary)
    try:
        port = server.start()
        print(f"\n[redis] redis-server on 127.0.0.1:{port} ready in "
              f"{time.monotonic() - start:.2f} s ({server.dir})")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.stop()
