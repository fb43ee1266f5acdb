"""Production profile pieces without the real processes: the engine pool, per-conversation
ordering, the settings and launcher for PostgreSQL + Redis, and the gateway's answers when the
engine is hung or silent and when our database does not take a message."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from api.services.gateway import (
    EMPTY_ENGINE_REPLY,
    STORE_DOWN_REPLY,
    Gateway,
)
from api.services.privacy import tracker_url
from api.services.rasa_client import BotMessage, EngineUnavailable, RasaClient
from api.services.turns import ConversationLocks
from api.settings import Settings
from bot.launch import endpoints_file, prod_endpoint_env

URLS = ["http://127.0.0.1:7001", "http://127.0.0.1:7002"]


def pool(handler, **kwargs) -> RasaClient:
    return RasaClient(URLS, "t", 5, transport=httpx.MockTransport(handler), **kwargs)


def reply_from_port(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[{"text": f"from {request.url.port}"}])


def test_pool_spreads_conversations_and_keeps_each_on_its_home_instance():
    async def main():
        client = pool(reply_from_port)
        seen = {}
        for i in range(40):
            first = (await client.send(f"c{i}", "hi"))[0].text
            again = (await client.send(f"c{i}", "more"))[0].text
            assert first == again  # sticky
            seen[first] = seen.get(first, 0) + 1
        await client.aclose()
        return seen

    seen = asyncio.run(main())
    assert set(seen) == {"from 7001", "from 7002"} and min(seen.values()) >= 10


def test_pool_sends_to_the_next_instance_when_one_refuses_connections():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.port)
        if request.url.port == 7001:
            raise httpx.ConnectError("refused", request=request)
        return reply_from_port(request)

    async def main():
        client = pool(handler)
        replies = [(await client.send(f"c{i}", "hi"))[0].text for i in range(20)]
        await client.aclose()
        return replies

    assert set(asyncio.run(main())) == {"from 7002"}
    # After the first refusal the dead instance is tried last, not first, for a while.
    assert calls.count(7001) == 1


def test_pool_does_not_resend_a_turn_that_reached_an_engine():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.port)
        raise httpx.ReadTimeout("slow", request=request)

    async def main():
        client = pool(handler)
        with pytest.raises(EngineUnavailable):
            await client.send("someone", "hi")
        await client.aclose()

    asyncio.run(main())
    assert len(calls) == 1


def test_every_instance_down_is_engine_unavailable():
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def main():
        client = pool(handler)
        with pytest.raises(EngineUnavailable, match="ConnectError"):
            await client.send("someone", "hi")
        await client.aclose()

    asyncio.run(main())


def test_a_hung_engine_is_given_up_on_within_the_timeout():
    # Accepts connections (the kernel's backlog) but never answers, like a stopped process.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"

        async def main():
            client = RasaClient(url, "t", 1.5)
            start = time.monotonic()
            with pytest.raises(EngineUnavailable):
                await client.send("someone", "hi")
            await client.aclose()
            return time.monotonic() - start

        assert asyncio.run(main()) < 2.5


def test_turns_of_one_conversation_run_one_at_a_time_in_arrival_order():
    locks = ConversationLocks()
    log: list[str] = []

    async def turn(key: str, n: int, delay: float) -> None:
        async with locks.hold(key):
            log.append(f"{key}{n} start")
            await asyncio.sleep(delay)
            log.append(f"{key}{n} end")

    async def main():
        # Later messages are quicker: without the lock they would finish first.
        await asyncio.gather(*(turn("a", n, 0.05 * (5 - n)) for n in range(5)),
                             turn("b", 0, 0.01))

    asyncio.run(main())
    a = [e for e in log if e.startswith("a")]
    assert a == [f"a{n} {w}" for n in range(5) for w in ("start", "end")]
    assert log.index("b0 end") < log.index("a0 end")  # other conversations are not held up
    assert len(locks) == 0  # nothing kept once idle


class SilentEngine:
    async def send(self, sender_id: str, text: str) -> list[BotMessage]:
        return []


class BrokenStore:
    def record_inbound(self, *args):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))


def gateway(rasa=None, store=None) -> Gateway:
    return Gateway(rasa or SilentEngine(), "k", 1600, store or BrokenStore(), None, None)


def test_an_empty_engine_reply_becomes_a_useful_answer():
    replies = asyncio.run(gateway().handle_text("sms", "+15555550123", "jobs in erie"))
    assert [r.text for r in replies] == [EMPTY_ENGINE_REPLY]
    assert "COACH" in EMPTY_ENGINE_REPLY and "1-800-662-4357" in EMPTY_ENGINE_REPLY


def test_a_message_the_database_did_not_take_is_answered_clearly():
    result = asyncio.run(gateway().handle_inbound("sms", "+15555550123", "jobs in erie"))
    assert [r.text for r in result.replies] == [STORE_DOWN_REPLY]
    assert "send it again" in STORE_DOWN_REPLY and "988" in STORE_DOWN_REPLY


def test_a_crisis_is_answered_even_when_the_database_is_down():
    result = asyncio.run(gateway().handle_inbound("sms", "+15555550123",
                                                  "I want to kill myself"))
    assert result.replies and result.replies[0].custom["crisis"] is True


def test_engine_instances_are_consecutive_ports_unless_urls_are_given():
    s = Settings(rasa_port=6100, engine_instances=3)
    assert s.rasa_endpoints == ["http://127.0.0.1:6100", "http://127.0.0.1:6101",
                                "http://127.0.0.1:6102"]
    s = Settings(rasa_urls="http://127.0.0.1:1/, http://127.0.0.1:2")
    assert s.rasa_endpoints == ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    assert Settings().rasa_endpoints == ["http://127.0.0.1:5005"]


def test_the_prod_profile_refuses_to_start_without_postgresql_and_redis():
    with pytest.raises(ValueError, match="REDIS_URL"):
        Settings(navigator_profile="prod", database_url="postgresql+psycopg://u@h/d",
                 rasa_tracker_db="postgresql://u@h/t")
    Settings(navigator_profile="prod", database_url="postgresql+psycopg://u@h/d",
             rasa_tracker_db="postgresql://u@h/t", redis_url="redis://127.0.0.1:6379/0")


def test_the_engine_launcher_splits_the_urls_into_rasa_keys():
    env = {"NAVIGATOR_PROFILE": "prod",
           "RASA_TRACKER_DB": "postgresql+psycopg://nav:p%40ss@db.internal:6543/tracker",
           "REDIS_URL": "redis://:secret@cache:6380/2"}
    assert endpoints_file(env) == "endpoints.prod.yml"
    assert endpoints_file({}) == "endpoints.yml"
    assert prod_endpoint_env(env) == {
        "TRACKER_DB_HOST": "db.internal", "TRACKER_DB_PORT": "6543",
        "TRACKER_DB_NAME": "tracker", "TRACKER_DB_USER": "nav", "TRACKER_DB_PASSWORD": "p@ss",
        "LOCK_STORE_HOST": "cache", "LOCK_STORE_PORT": "6380", "LOCK_STORE_DB": "2",
        "LOCK_STORE_PASSWORD": "secret"}
    with pytest.raises(SystemExit, match="REDIS_URL"):
        prod_endpoint_env({**env, "REDIS_URL": ""})


def test_the_app_reads_the_tracker_store_through_its_own_driver():
    assert tracker_url("postgresql://u@h:1/t") == "postgresql+psycopg://u@h:1/t"
    assert tracker_url("var/t.db") == "sqlite:///var/t.db"


ENGINE_PYTHON = Path(__file__).resolve().parents[2] / ".venv-engine" / "bin" / "python"
ENGINE_CHECK = r'''
import asyncio, json, sqlite3, sys
from jsonschema import ValidationError
from bot.engine_patches import apply
from bot.tracker_store import ThreadedSQLTrackerStore
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

apply()
action = RemoteAction("action_search_resources", None)
assert action._validate_action_result({"events": [{"event": "slot", "name": "need",
                                                   "value": "jobs"}], "responses": []})
try:
    action._validate_action_result({"events": [{"event": "no such event"}]})
    raise SystemExit("a bad response passed")
except ValidationError as error:
    assert "Failed to validate Action server response" in error.message

async def main():
    domain = Domain.from_yaml("slots:\n  need:\n    type: text\n    mappings: []\n")
    store = ThreadedSQLTrackerStore(domain=domain, dialect="sqlite", db=sys.argv[1])
    tracker = DialogueStateTracker.from_events("someone", [UserUttered("hi"),
                                                           SlotSet("need", "jobs")])
    await store.save(tracker)
    again = await store.retrieve("someone")
    assert again.get_slot("need") == "jobs", again.current_state()
    mode = sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode").fetchone()[0]
    print(json.dumps({"events": len(again.events), "journal_mode": mode}))

asyncio.run(main())
'''


def test_engine_patches_and_threaded_tracker_store_in_the_engine_venv(tmp_path):
    import json
    import subprocess

    if not ENGINE_PYTHON.exists():
        pytest.fail("the engine venv is missing: make setup", pytrace=False)
    proc = subprocess.run([str(ENGINE_PYTHON), "-c", ENGINE_CHECK, str(tmp_path / "t.db")],
                          cwd=ENGINE_PYTHON.parents[2], capture_output=True, text=True,
                          timeout=240, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false",
                                            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                                            "PYTHONPATH": str(ENGINE_PYTHON.parents[2])})
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"events": 2, "journal_mode": "wal"}
