"""The process supervisor behind `navigator run`: starts the engine(s), the action server and
the api, prints their output line by line with the process name in front, restarts a process
that dies while the others keep serving, and stops them all on Ctrl-C / SIGTERM.

Written here rather than taken from a library, on purpose:
- honcho (used before) stops every process as soon as one exits, by design, and its Manager
  has no hook to restart one: a killed engine took the api and the crisis answer down with it.
- supervisord and circus are daemons with their own configuration language, control socket and
  log files (circus also needs ZeroMQ); supervisord gives a process up for good after a few
  quick failures (FATAL) and restarts a process that ran long enough without any backoff.
What is needed is small: one Popen per process, in its own session (a signal reaches its whole
process group, children included), one thread copying its output, one loop that restarts a dead
process after a backoff (1, 2, 4 ... 30 s; from 1 s again once it has run 60 s) and logs it.

Restarts are logged as `[navigator] NAME (pid N) died: ...; restart K in D s`, and, when a
health check is given, `[navigator] NAME (pid N) is serving again, S s after it died`.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO

BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_AFTER_S = 60.0  # a process that ran this long starts from the first backoff step again
STOP_WAIT_S = 10.0  # after SIGTERM, this long before SIGKILL (uvicorn waits up to 5 s)
POLL_S = 0.1


@dataclass
class Program:
    """One process to keep running. `healthy`: True once it serves (called from a thread)."""

    name: str
    command: list[str]
    healthy: Callable[[], bool] | None = None


@dataclass
class _Child:
    program: Program
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # quick deaths in a row (the backoff step)
    restarts: int = 0
    restart_at: float | None = None  # when a dead process is started again
    died_at: float | None = None
    readers: list[threading.Thread] = field(default_factory=list)


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Supervisor:
    def __init__(self, programs: list[Program], env: Mapping[str, str], cwd: str,
                 out: IO[str] | None = None, backoff_s: tuple[float, ...] = BACKOFF_S):
        self._children = {p.name: _Child(p) for p in programs}
        self._env, self._cwd = dict(env), cwd
        self._out = out or sys.stdout
        self._backoff_s = backoff_s
        self._width = max(len("navigator"), *(len(p.name) for p in programs))
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._signal: int | None = None

    # --- output
    def _write(self, name: str, line: str) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        with self._write_lock:
            self._out.write(f"{stamp} {name:<{self._width}} | {line.rstrip()}\n")
            self._out.flush()

    def say(self, message: str) -> None:
        self._write("navigator", f"[navigator] {message}")

    def _copy_output(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self._write(name, raw.decode("utf-8", errors="replace"))
        stream.close()

    # --- processes
    def _start(self, child: _Child) -> None:
        program = child.program
        child.proc = subprocess.Popen(
            program.command, env=self._env, cwd=self._cwd, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        child.started_at, child.restart_at = time.monotonic(), None
        reader = threading.Thread(target=self._copy_output, args=(program.name, child.proc.stdout),
                                  name=f"output-{program.name}", daemon=True)
        reader.start()
        child.readers = [t for t in child.readers if t.is_alive()] + [reader]
        self.say(f"{program.name} started (pid {child.proc.pid})")
        if child.died_at is not None and program.healthy is not None:
            threading.Thread(target=self._announce_healthy, args=(child, child.proc),
                             daemon=True).start()

    def _announce_healthy(self, child: _Child, proc: subprocess.Popen) -> None:
        died_at = child.died_at or time.monotonic()
        while not self._stop.is_set() and proc.poll() is None:
            try:
                ok = child.program.healthy()
            except Exception:  # noqa: BLE001 (a health check must never end the supervisor)
                ok = False
            if ok:
                self.say(f"{child.program.name} (pid {proc.pid}) is serving again, "
                         f"{time.monotonic() - died_at:.1f} s after it died")
                return
            self._stop.wait(0.5)

    def _reap(self, child: _Child, now: float) -> None:
        proc = child.proc
        assert proc is not None
        returncode = proc.returncode
        _killpg(proc.pid, signal.SIGKILL)  # whatever it left behind in its group (workers)
        ran = now - child.started_at
        child.failures = 1 if ran >= STABLE_AFTER_S else child.failures + 1
        delay = self._backoff_s[min(child.failures, len(self._backoff_s)) - 1]
        child.restarts += 1
        child.died_at, child.restart_at, child.proc = now, now + delay, None
        self.say(f"{child.program.name} (pid {proc.pid}) died: {_describe(returncode)} after "
                 f"{ran:.1f} s; restart {child.restarts} in {delay:g} s, the others keep serving")

    def pids(self) -> dict[str, int]:
        return {name: c.proc.pid for name, c in self._children.items() if c.proc is not None}

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._signal is not None:  # a second Ctrl-C: no more waiting
            for child in self._children.values():
                if child.proc is not None:
                    _killpg(child.proc.pid, signal.SIGKILL)
        self._signal = signum
        self._stop.set()

    def run(self) -> int:
        """Until Ctrl-C / SIGTERM: then every process is stopped; 130 or 143 (as a shell)."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)
        for child in self._children.values():
            self._start(child)
        while not self._stop.wait(POLL_S):
            now = time.monotonic()
            for child in self._children.values():
                if child.proc is not None and child.proc.poll() is not None:
                    self._reap(child, now)
                elif child.proc is None and child.restart_at is not None \
                        and now >= child.restart_at:
                    self._start(child)
        self._stop_all()
        return 128 + (self._signal or signal.SIGTERM)

    def _stop_all(self) -> None:
        name = signal.Signals(self._signal).name if self._signal else "stop"
        running = [c for c in self._children.values() if c.proc is not None]
        self.say(f"{name} received: stopping " + ", ".join(c.program.name for c in running))
        for child in running:
            _killpg(child.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_S
        for child in running:
            try:
                child.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.program.name} (pid {child.proc.pid}) did not stop in "
                         f"{STOP_WAIT_S:g} s: SIGKILL")
            _killpg(child.proc.pid, signal.SIGKILL)  # the leader, or what it left behind
            child.proc.wait()
        for child in self._children.values():
            for reader in child.readers:
                reader.join(timeout=2)
        self.say("all processes stopped")
