"""Ctrl-C / SIGTERM stops the api even while a coach's console holds its live event stream
open (the stream never ends by itself)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import httpx

from tests.api.conftest import free_port
from tests.coach_login import log_in, make_coach
from tests.conftest import ROOT, seeded_copy


def test_the_api_stops_within_seconds_with_a_console_listening(seeded_db_url, tmp_path):
    db_url = seeded_copy(seeded_db_url, tmp_path)
    email = make_coach(db_url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "API_PORT": str(port), "ENVIRONMENT": "test",
           "RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port())}
    api = subprocess.Popen([str(ROOT / ".venv" / "bin" / "navigator"), "serve", "api"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                client.get("/static/coach.css", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert log_in(client, email).status_code == 303
        opened = threading.Event()

        def listen() -> None:
            try:
                with client.stream("GET", "/coach/events", timeout=None) as events:
                    opened.set()
                    for _line in events.iter_lines():
                        pass
            except httpx.HTTPError:
                pass

        threading.Thread(target=listen, daemon=True).start()
        assert opened.wait(10)
        started = time.monotonic()
        api.send_signal(signal.SIGTERM)
        api.wait(timeout=20)
        assert time.monotonic() - started < 10
    finally:
        if api.poll() is None:
            api.kill()
