"""Rasa's SQL tracker store, with its database work off the engine's event loop (engine venv).

Rasa 3.6's SQLTrackerStore has async methods that block: every turn reads the conversation's
events and commits the new ones synchronously, on the one event loop that also runs NLU and
dialogue for every other conversation. Measured on this machine with SQLite: 43 ms a turn, of
which 15 ms per commit were the fsync of SQLite's default rollback journal, with the loop
stopped meanwhile. This store:

- runs retrieve and save in a worker thread (asyncio.to_thread), so other conversations go on
  while one waits for the database (PostgreSQL round trips in the prod profile, SQLite here).
  One conversation is still handled by one engine at a time: Rasa's lock store holds its lock
  across these awaits (in memory, or Redis with several engines);
- opens SQLite in WAL mode with synchronous=NORMAL: commits no longer wait for an fsync; a
  power cut may lose the last turns of the engine's memory (never our own message store),
  which is what the development profile can afford. PostgreSQL is unchanged;
- reads only the events' JSON (no ORM objects) and writes new events with one executemany;
- knows how many rows a tracker it loaded already has, so saving it needs no count query
  (Rasa counts the session's rows on every save). That number is only trusted for the very
  tracker object it was read into or last saved from, while the lock store holds the
  conversation; any other tracker object (a new conversation, a copy) is counted as Rasa does;
- encrypts each event's JSON (the `data` column: the person's text, the parse, entities, slot
  values, the bot's replies) with DATA_ENCRYPTION_KEY (bot/crypto.py, the gateway's format),
  and decrypts on read; rows written in plaintext before are still read. The other columns
  (sender_id: the pseudonymous id, type_name, intent_name, action_name: intent, action and slot
  names, timestamp) stay plaintext: Rasa's own queries, `navigator purge` and
  `navigator person delete` select by them, and none holds what a person wrote.

endpoints.yml / endpoints.prod.yml name it as `type: bot.tracker_store.ThreadedSQLTrackerStore`
with the same keys as Rasa's `type: SQL`.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.crypto import EventCipher, data_key


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class ThreadedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._cipher = EventCipher(data_key())  # before connecting: no key, no store
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # Pooled connections (Rasa's engine opens and closes one per query, and the last
            # connection to close checkpoints the WAL with an fsync), usable from the workers.
            url = self.engine.url
            self.engine.dispose()
            self.engine = create_engine(url, poolclass=QueuePool, pool_size=4,
                                        connect_args={"check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sessionmaker(bind=self.engine)

        # id(tracker) -> (weak reference to it, rows of its session stored in the database)
        self._stored_rows: dict[int, tuple[weakref.ref, int]] = {}

    def _remember_rows(self, tracker: DialogueStateTracker, rows: int) -> None:
        key = id(tracker)
        ref = weakref.ref(tracker, lambda _gone: self._stored_rows.pop(key, None))
        self._stored_rows[key] = (ref, rows)

    def _known_rows(self, tracker: DialogueStateTracker) -> int | None:
        ref, rows = self._stored_rows.get(id(tracker), (None, None))
        return rows if ref is not None and ref() is tracker else None

    def _retrieve_sync(self, sender_id: str, fetch_events_from_all_sessions: bool,
                       ) -> DialogueStateTracker | None:
        # Rasa's query (same filters and order), fetching the JSON column only.
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions
                                     ).with_entities(self.SQLEvent.data).all()
        if not self.domain or not rows:
            return None
        open_ = self._cipher.open
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(open_(data)) for (data,) in rows], self.domain.slots)
        if not fetch_events_from_all_sessions:  # save() counts the latest session's rows
            self._remember_rows(tracker, len(rows))
        return tracker

    def _save_sync(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            stored = self._known_rows(tracker)
            if stored is None:
                stored = self._event_query(session, tracker.sender_id,
                                           fetch_events_from_all_sessions=False).count()
            new_rows = []
            seal = self._cipher.seal
            for event in list(tracker.events)[stored:]:
                data = event.as_dict()
                new_rows.append({
                    "sender_id": tracker.sender_id, "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(
                        INTENT_NAME_KEY),
                    "action_name": data.get("name"), "data": seal(json.dumps(data))})
            if new_rows:
                session.execute(self.SQLEvent.__table__.insert(), new_rows)
            session.commit()
        self._remember_rows(tracker, stored + len(new_rows))

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool,
                        ) -> DialogueStateTracker | None:
        return await asyncio.to_thread(self._retrieve_sync, sender_id,
                                       fetch_events_from_all_sessions)

    async def save(self, tracker: DialogueStateTracker) -> None:
        # Rasa's save streams to an event broker first (on the loop: it awaits the broker),
        # then writes; its writing is ours here, so nothing goes to the database unencrypted.
        await self.stream_events(tracker)
        await asyncio.to_thread(self._save_sync, tracker)
