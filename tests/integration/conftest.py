"""The three real processes (Rasa engine, action server, api), started once for the session
exactly as `make run` starts them (`navigator serve ...`), on free ports, with a fresh SQLite
directory seeded from ../shared/data/pa_seed."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import free_port
from tests.conftest import ROOT
from tests.fake_twilio import FakeTwilio

NAVIGATOR = str(ROOT / ".venv" / "bin" / "navigator")
STARTUP_TIMEOUT_S = 240
TWILIO_AUTH_TOKEN = secrets.token_hex(16)


def _tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


TWILIO_ACCOUNT = "AC" + "7" * 32
COACH_PASSWORD = "integration coach password"


@pytest.fixture(scope="session")
def fake_twilio():
    """Where the api's Twilio REST client sends (SMS out of band, coaches' replies)."""
    with FakeTwilio(TWILIO_ACCOUNT, TWILIO_AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio):
    work = tmp_path_factory.mktemp("system")
    api_port = free_port()
    env = dict(os.environ)
    env.update({
        "ENVIRONMENT": "test",
        "API_PORT": str(api_port), "RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{work / 'navigator.db'}",
        "RASA_TRACKER_DB": str(work / "tracker.db"),
        "RASA_TOKEN": secrets.token_hex(16), "PSEUDONYM_KEY": secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT, "TWILIO_API_BASE": fake_twilio.url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
        "COACH_HOURS": "24/7",
    })
    for step in (["db", "upgrade"], ["db", "seed"], ["train"]):
        subprocess.run([NAVIGATOR, *step], env=env, cwd=ROOT, check=True, timeout=900)
    coaches = {"coach": "dana@example.org", "admin": "ari@example.org"}
    for role, email in coaches.items():  # as an admin would: the CLI, password on stdin
        subprocess.run([NAVIGATOR, "coach", "add", email, "--role", role, "--name",
                        email.split("@")[0].title()], env=env, cwd=ROOT, check=True, timeout=60,
                       input=COACH_PASSWORD + "\n", text=True, capture_output=True)
    procs: dict[str, tuple[subprocess.Popen, Path]] = {}
    for name in ("engine", "actions", "api"):
        log = work / f"{name}.log"
        procs[name] = (subprocess.Popen([NAVIGATOR, "serve", name], env=env, cwd=ROOT,
                                        stdout=log.open("w"), stderr=subprocess.STDOUT,
                                        start_new_session=True), log)
    base = f"http://127.0.0.1:{api_port}"
    try:
        _wait_until_healthy(base, procs)
        yield {"base": base, "env": env, "work": work, "twilio": fake_twilio,
               "coaches": coaches, "coach_password": COACH_PASSWORD,
               "pids": {name: proc.pid for name, (proc, _log) in procs.items()}}
    finally:  # also when start-up failed: never leave processes behind
        for proc, _log in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _log in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _wait_until_healthy(base: str, procs: dict[str, tuple[subprocess.Popen, Path]]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        for name, (proc, log) in procs.items():
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{base}/healthz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail("not healthy in time:\n" + "\n".join(f"--- {n}\n{_tail(log)}"
                                                   for n, (_p, log) in procs.items()))


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own background traffic is refused on this machine's closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (Playwright's own browser download fails here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
