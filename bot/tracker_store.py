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
  which is what the development profile can afford. PostgreSQL is unchanged.

endpoints.yml / endpoints.prod.yml name it as `type: bot.tracker_store.ThreadedSQLTrackerStore`
with the same keys as Rasa's `type: SQL`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool


def _drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never really awaits (Rasa's SQL methods) to its end, here."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("the SQL tracker store awaited something inside a worker thread")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class ThreadedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
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

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool,
                        ) -> DialogueStateTracker | None:
        return await asyncio.to_thread(_drive, SQLTrackerStore._retrieve(
            self, sender_id, fetch_events_from_all_sessions))

    async def save(self, tracker: DialogueStateTracker) -> None:
        if self.event_broker is not None:  # streaming events awaits the broker: keep it here
            await SQLTrackerStore.save(self, tracker)
            return
        await asyncio.to_thread(_drive, SQLTrackerStore.save(self, tracker))
