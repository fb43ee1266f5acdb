"""Run by tests/bot/test_tracker_crypto.py with the engine venv's python (Rasa is only there).

`python tracker_crypto_check.py CHECK TARGET` prints one JSON line. TARGET is a SQLite file
path or a PostgreSQL URL (postgresql://user@host:port/db). DATA_ENCRYPTION_KEY and
ENVIRONMENT come from the environment, as in the engine.

  conversation  one conversation with a distinctive word in the text, an entity, a slot and a
                bot reply, saved by our store; read back by a second store (nothing
                remembered); every row's columns and, for SQLite, the database files' bytes
  legacy        a conversation written in plaintext by Rasa's own SQLTrackerStore, then
                continued by ours; read back by a second store
  wrong-key     rows written with one key, read with another
  keys          what data_key() and the store's constructor do with missing/default keys,
                and that Rasa's own factory lets the refusal through
  broker        our store with an event broker: events streamed and rows encrypted
  open TOKEN    open a token (one the gateway's Vault sealed) and print the text
  seal TEXT     seal a text and print the token
  cache         the remembered tokens stay within two generations and open correctly
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import text

from bot.crypto import DEV_DATA_ENCRYPTION_KEY, DataKeyError, EventCipher, data_key
from bot.tracker_store import ThreadedSQLTrackerStore

WORD = "zebracrisisword"
domain = Domain.from_yaml("intents:\n- find_job\nentities:\n- location\nslots:\n  location:\n"
                          "    type: text\n    mappings: []\n")


def store_kwargs(target: str) -> dict:
    if "://" not in target:
        return {"dialect": "sqlite", "db": target}
    url = urlsplit(target)
    return {"dialect": "postgresql", "host": url.hostname, "port": url.port,
            "db": url.path.lstrip("/"), "username": url.username, "password": url.password}


def turn(n: int, word: str = WORD) -> list:
    said = f"i want to end it all {word} {n}, any job in {word}ville?"
    parse = {"intent": {"name": "find_job", "confidence": 0.9}, "text": said,
             "entities": [{"entity": "location", "value": f"{word}ville", "start": 40,
                           "end": 40 + len(word) + 5}],
             "intent_ranking": [{"name": "find_job", "confidence": 0.9}]}
    return [UserUttered(said, parse["intent"], parse["entities"], parse_data=parse),
            SlotSet("location", f"{word}ville"),
            ActionExecuted("action_search", policy="RulePolicy", confidence=1.0),
            BotUttered(f"Nothing near {word}ville yet.", {"custom": {"asked": word}}),
            ActionExecuted("action_listen")]


def dicts(tracker) -> list[dict]:
    return [e.as_dict() for e in tracker.events]


def raw_rows(store: SQLTrackerStore) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(text(
            "SELECT sender_id, type_name, intent_name, action_name, timestamp, data "
            "FROM events ORDER BY id"))]


def file_bytes(target: str) -> dict[str, bool]:
    """Each SQLite file (database, -wal, -shm, -journal) there is: does it hold the word?"""
    return {path.name: WORD.encode() in path.read_bytes().lower()
            for path in sorted(Path(target).parent.glob(Path(target).name + "*"))}


async def conversation(target: str) -> dict:
    ours = ThreadedSQLTrackerStore(domain=domain, **store_kwargs(target))
    tracker = await ours.get_or_create_tracker("p1")
    for n in range(3):
        for event in turn(n):
            tracker.update(event)
        await ours.save(tracker)
        tracker = await ours.retrieve("p1")
    other = ThreadedSQLTrackerStore(domain=domain, **store_kwargs(target))  # a new process
    result = {"saved": dicts(tracker), "read": dicts(await other.retrieve("p1")),
              "full": dicts(await other.retrieve_full_tracker("p1")),
              "keys": sorted(await other.keys()), "rows": raw_rows(ours)}
    if "://" not in target:  # read while the stores' connections are open: the WAL is there
        result["files"] = file_bytes(target)
    return result


async def legacy(target: str) -> dict:
    rasa = SQLTrackerStore(domain=domain, **store_kwargs(target))
    tracker = await rasa.get_or_create_tracker("p2")
    for event in turn(0, "oldword"):
        tracker.update(event)
    await rasa.save(tracker)
    ours = ThreadedSQLTrackerStore(domain=domain, **store_kwargs(target))
    tracker = await ours.retrieve("p2")
    read_old = dicts(tracker)
    for event in turn(1):
        tracker.update(event)
    await ours.save(tracker)
    other = ThreadedSQLTrackerStore(domain=domain, **store_kwargs(target))
    return {"saved": dicts(tracker), "read_old": read_old,
            "read": dicts(await other.retrieve("p2")), "rows": raw_rows(ours)}


async def wrong_key(target: str) -> dict:
    os.environ["DATA_ENCRYPTION_KEY"] = "the key it was written with"
    writer = ThreadedSQLTrackerStore(domain=domain, **store_kwargs(target))
    tracker = await writer.get_or_create_tracker("p3")
    tracker.update(turn(0)[0])
    await writer.save(tracker)
    os.environ["DATA_ENCRYPTION_KEY"] = "another key"
    reader = ThreadedSQLTrackerStore(domain=domain, **store_kwargs(target))
    try:
        await reader.retrieve("p3")
    except DataKeyError as exc:
        return {"error": str(exc)}
    return {"error": None}


def keys(target: str) -> dict:
    def outcome(env: dict) -> str:
        try:
            return "key " + data_key(env)
        except DataKeyError as exc:
            return "refused: " + str(exc)

    cases = {
        "dev_unset": {},
        "dev_set": {"DATA_ENCRYPTION_KEY": "k1"},
        "prod_unset": {"ENVIRONMENT": "production"},
        "prod_empty": {"ENVIRONMENT": "production", "DATA_ENCRYPTION_KEY": ""},
        "prod_default": {"ENVIRONMENT": "production",
                         "DATA_ENCRYPTION_KEY": DEV_DATA_ENCRYPTION_KEY},
        "prod_set": {"ENVIRONMENT": "Production", "DATA_ENCRYPTION_KEY": "k2"},
    }
    result = {name: outcome(env) for name, env in cases.items()}
    os.environ.pop("DATA_ENCRYPTION_KEY", None)
    os.environ["ENVIRONMENT"] = "production"
    # As `rasa run` makes it from endpoints.yml: Rasa falls back to an in-memory store on
    # AttributeError/ImportError, so the refusal must come through as what it is.
    endpoint = EndpointConfig(type="bot.tracker_store.ThreadedSQLTrackerStore",
                              **store_kwargs(target))
    try:
        store = TrackerStore.create(endpoint, domain=domain)
        result["rasa_factory"] = f"created {type(store).__name__}"
    except DataKeyError as exc:
        result["rasa_factory"] = "refused: " + str(exc)
    return result


class ListBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


async def broker(target: str) -> dict:
    events = ListBroker()
    ours = ThreadedSQLTrackerStore(domain=domain, event_broker=events, **store_kwargs(target))
    tracker = await ours.get_or_create_tracker("p4")
    for event in turn(0):
        tracker.update(event)
    await ours.save(tracker)
    return {"published": [e["event"] for e in events.published], "saved": dicts(tracker),
            "read": dicts(await ours.retrieve("p4")), "rows": raw_rows(ours)}


def cache(_target: str) -> dict:
    cipher = EventCipher("k", remember=2)
    tokens = [cipher.seal(f'{{"n": {n}}}') for n in range(5)]
    sizes = (len(cipher._new), len(cipher._old))
    fresh = EventCipher("k")
    return {"sizes": sizes, "opened": [cipher.open(t) for t in tokens],
            "fresh": [fresh.open(t) for t in tokens], "again": [fresh.open(t) for t in tokens],
            "remembered": len(fresh._new) + len(fresh._old)}


if __name__ == "__main__":
    check, arg = sys.argv[1], sys.argv[2]
    if check == "open":
        out: object = EventCipher(data_key()).open(arg)
    elif check == "seal":
        out = EventCipher(data_key()).seal(arg)
    else:
        run = {"conversation": conversation, "legacy": legacy, "wrong-key": wrong_key,
               "keys": keys, "broker": broker, "cache": cache}[check]
        out = run(arg)
        if asyncio.iscoroutine(out):
            out = asyncio.run(out)
    print(json.dumps(out, default=str))
