"""api/supervisor.py (what `navigator run` runs the processes with), on small stand-in
processes: a process that dies is restarted with a growing backoff and logged while the others
keep running; what it left in its process group goes with it; SIGTERM / Ctrl-C stop everything,
a process that ignores SIGTERM included. (tests/integration/test_run_supervised.py does the same
to the real system through `navigator run`.)"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

DRIVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import api.supervisor as supervisor
    from api.supervisor import Program, Supervisor

    supervisor.STOP_WAIT_S = 1.5
    py = sys.executable
    flag = Path(sys.argv[1])
    programs = [
        Program("steady", [py, "-c", "import time; print('steady up', flush=True); time.sleep(600)"]),
        # dies on its own, 0.3 s after each start
        Program("crashy", [py, "-c", "import time; time.sleep(0.3); raise SystemExit(3)"]),
        # a child in its group (like Sanic's workers), and SIGTERM ignored
        Program("stubborn", [py, "-c", "import signal, subprocess, sys, time; "
                             "signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                             "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
                             "print('stubborn up', flush=True); time.sleep(600)"],
                healthy=flag.exists),
    ]
    sys.exit(Supervisor(programs, env={}, cwd=".", backoff_s=(0.2, 0.4, 0.8, 5.0)).run())
""")


def group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.fixture
def supervised(tmp_path: Path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    out = tmp_path / "out.txt"
    flag = tmp_path / "healthy"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with out.open("w") as handle:
        proc = subprocess.Popen([sys.executable, str(script), str(flag)], stdout=handle,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        yield proc, out, flag
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(out: Path, pattern: str, timeout_s: float = 15) -> re.Match:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if match := re.search(pattern, out.read_text()):
            return match
        time.sleep(0.05)
    raise AssertionError(f"{pattern!r} not in:\n{out.read_text()}")


def pids(out: Path, name: str) -> list[int]:
    return [int(p) for p in re.findall(rf"\] {name} started \(pid (\d+)\)", out.read_text())]


def test_a_dead_process_is_restarted_with_backoff_and_the_others_keep_running(supervised):
    proc, out, flag = supervised
    wait_for(out, r"steady +\| steady up")
    wait_for(out, r"restart 3 in 0\.8 s")
    log = out.read_text()
    delays = [float(d) for d in re.findall(r"crashy \(pid \d+\) died: exit code 3 after "
                                           r"[\d.]+ s; restart \d+ in ([\d.]+) s", log)]
    assert delays[:3] == [0.2, 0.4, 0.8]  # growing, logged with the reason
    assert len(pids(out, "steady")) == 1 and len(pids(out, "stubborn")) == 1  # untouched
    assert "serving again" not in log  # only said of a restarted process
    assert proc.poll() is None


def test_a_killed_process_takes_its_group_along_and_is_healthy_again(supervised):
    _proc, out, flag = supervised
    wait_for(out, r"stubborn +\| stubborn up")
    [first] = pids(out, "stubborn")
    time.sleep(0.2)
    assert len(group_members(first)) == 2  # the process and its child
    os.kill(first, signal.SIGKILL)  # the child is left behind by the kill...
    wait_for(out, rf"stubborn \(pid {first}\) died: killed by SIGKILL")
    second = int(wait_for(out, r"\] stubborn started \(pid (\d+)\)\n(?:.*\n)*?.*"
                               r"\] stubborn started \(pid (\d+)\)").group(2))
    assert second != first
    assert group_members(first) == []  # ...and is gone with it
    flag.touch()  # its health check passes from now on
    wait_for(out, rf"stubborn \(pid {second}\) is serving again, [\d.]+ s after it died")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_stops_every_process(supervised, sig):
    proc, out, _flag = supervised
    wait_for(out, r"stubborn +\| stubborn up")
    wait_for(out, r"steady +\| steady up")
    groups = [pids(out, name)[-1] for name in ("steady", "stubborn")]
    started = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # a terminal's Ctrl-C: the foreground group
    else:
        proc.send_signal(sig)
    assert proc.wait(timeout=10) == 128 + sig
    took = time.monotonic() - started
    assert took < 5  # the one ignoring SIGTERM is killed after STOP_WAIT_S (1.5 s here)
    log = out.read_text()
    assert f"{signal.Signals(sig).name} received: stopping" in log
    assert "stubborn (pid" in log and "did not stop in 1.5 s: SIGKILL" in log
    assert log.rstrip().endswith("[navigator] all processes stopped")
    for pgid in groups:
        assert group_members(pgid) == []
