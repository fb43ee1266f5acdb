"""bot/engine_patches.py and bot/tracker_store.py keep Rasa's results while doing less work.

Rasa lives in the engine venv only, so the checks run through `.venv-engine/bin/python`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE_PYTHON = ROOT / ".venv-engine" / "bin" / "python"


def run_in_engine_venv(*args: str) -> dict:
    if not ENGINE_PYTHON.exists():
        pytest.fail("the engine venv is missing: make setup", pytrace=False)
    proc = subprocess.run([str(ENGINE_PYTHON), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "RASA_TELEMETRY_ENABLED": "false",
                               "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONPATH": str(ROOT),
                               "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_folded_dialogue_states_equal_rasas_own_at_every_step():
    result = run_in_engine_venv(str(ROOT / "tests" / "bot" / "engine_states_check.py"),
                                str(ROOT), "300")
    assert result["story_steps"] >= 35  # every rule and test story (some in several parts)
    assert result["conversations"] == 300 + result["story_steps"]
    assert result["steps"] > 10_000
    assert result["mismatches"] == 0
    # The cache is really used: most calls extend a fold instead of replaying everything.
    assert result["cache_extensions"] > 5 * result["cache_rebuilds"] > 0
    assert result["cache_repeats"] > 1000  # and an unchanged tracker gets the last answer again


TRACKER_STORE_CHECK = r'''
import asyncio, copy, json, sqlite3, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from bot.crypto import EventCipher, data_key
from bot.tracker_store import ThreadedSQLTrackerStore

domain = Domain.from_yaml("slots:\n  need:\n    type: text\n    mappings: []\n")
cipher = EventCipher(data_key())  # ours are encrypted, Rasa's plaintext: it opens both


def rows(db, sender):
    return [json.loads(cipher.open(d))["event"] for (d,) in sqlite3.connect(db).execute(
        "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))]


async def conversation(store_a, store_b, db, sender, save_twice):
    """Two engines (store_a, store_b) take turns with one conversation, as with a lock store."""
    new = await store_a.get_or_create_tracker(sender)          # created and saved by Rasa
    new.update(UserUttered("hi"))
    await store_a.save(new)
    new.update(SlotSet("need", "jobs"))
    await store_a.save(new)                                    # the same object saved twice
    turn = await store_b.retrieve(sender)                      # the other engine's turn
    turn.update(ActionExecuted("action_listen"))
    turn.update(UserUttered("erie"))
    await store_b.save(turn)
    stale = copy.deepcopy(turn)                                # a copy Rasa never saved
    stale.update(ActionExecuted("utter_ok"))
    await store_b.save(stale)
    again = await store_a.retrieve(sender)                     # a new session starts
    for event in (ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen"), UserUttered("jobs")):
        again.update(event)
    await store_a.save(again)
    if save_twice:  # nothing new: nothing written (Rasa's count would write it all again)
        await store_a.save(again)
    return rows(db, sender), [e.type_name for e in (await store_b.retrieve(sender)).events]


async def main(dir_):
    ours = [ThreadedSQLTrackerStore(domain=domain, dialect="sqlite", db=f"{dir_}/ours.db")
            for _ in range(2)]
    rasas = [SQLTrackerStore(domain=domain, dialect="sqlite", db=f"{dir_}/rasa.db")
             for _ in range(2)]
    print(json.dumps({"ours": await conversation(*ours, f"{dir_}/ours.db", "p1", True),
                      "rasa": await conversation(*rasas, f"{dir_}/rasa.db", "p1", False)}))

asyncio.run(main(sys.argv[1]))
'''


def test_the_tracker_store_writes_exactly_the_rows_rasas_own_writes(tmp_path):
    result = run_in_engine_venv("-c", TRACKER_STORE_CHECK, str(tmp_path))
    stored, latest_session = result["ours"]
    assert result["ours"] == result["rasa"]
    assert stored == ["action", "user", "slot", "action", "user", "action",  # no duplicates
                      "action", "session_started", "action", "user"]
    assert latest_session == ["session_started", "action", "user"]


ACTION_HTTP_CHECK = r'''
import asyncio, json
from aiohttp import web
from bot.engine_patches import apply
from rasa.utils.endpoints import EndpointConfig

apply()
peers, bodies = set(), []

async def webhook(request):
    peers.add(request.transport.get_extra_info("peername")[1])
    bodies.append(await request.text())
    return web.json_response({"events": [], "responses": [{"text": "ok"}]})

async def main():
    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    replies = [await endpoint.request(json={"n": n, "text": "é / ü 🚌", "big": 2 ** 70 if n == 2 else n},
                                      method="post") for n in range(5)]
    await runner.cleanup()
    print(json.dumps({"replies": replies, "connections": len(peers),
                      "bodies": [json.loads(b) for b in bodies]}))

asyncio.run(main())
'''


def test_action_server_calls_share_one_connection_and_send_the_same_json():
    result = run_in_engine_venv("-c", ACTION_HTTP_CHECK)
    assert result["replies"] == [{"events": [], "responses": [{"text": "ok"}]}] * 5
    assert result["connections"] == 1  # Rasa alone opens one per call
    assert result["bodies"] == [{"n": n, "text": "é / ü 🚌", "big": 2 ** 70 if n == 2 else n}
                                for n in range(5)]
