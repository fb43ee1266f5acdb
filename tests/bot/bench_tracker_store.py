"""What encryption costs bot/tracker_store.py a turn (engine venv; not a test, not collected).

  .venv-engine/bin/python tests/bot/bench_tracker_store.py [TURNS] [CONVERSATIONS]

Conversations take turns in lockstep on three stores over SQLite files: one turn is retrieve,
six new events (user with a parse, two slots, action, bot reply with a payload, listen), save.
"plaintext" is the same store with a pass-through cipher; "not remembered" opens every token
again each turn (what the store did without EventCipher's memory).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.crypto import EventCipher, data_key
from bot.launch import ROOT
from bot.tracker_store import ThreadedSQLTrackerStore


class PassThrough:
    def seal(self, text: str) -> str:
        return text

    def open(self, stored: str) -> str:
        return stored


def turn(n: int) -> list:
    said = f"I need a job in Erie number {n} please"
    intent = {"name": "find_job", "confidence": 0.9}
    parse = {"intent": intent, "text": said, "entities": [],
             "intent_ranking": [{"name": f"intent_{i}", "confidence": 0.01} for i in range(10)]}
    return [UserUttered(said, intent, [{"entity": "location", "start": 16, "end": 20,
                                        "value": "Erie"}], parse_data=parse),
            ActionExecuted("action_search_resources", policy="RulePolicy", confidence=1.0),
            SlotSet("need", "jobs"), SlotSet("location", "Erie"),
            BotUttered("Here are 3 job openings near Erie: 1. Demo Co (demo) 2. ... " * 4,
                       {"custom": {"resources": [{"id": f"r{i}", "need": "jobs"}
                                                 for i in range(3)],
                                   "quick_replies": ["MORE", "COACH"]}}),
            ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0)]


async def main(turns: int, conversations: int) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    folder = tempfile.mkdtemp()
    stores = {name: ThreadedSQLTrackerStore(domain=domain, dialect="sqlite",
                                            db=f"{folder}/{n}.db")
              for n, name in enumerate(("plaintext", "encrypted", "not remembered"))}
    stores["plaintext"]._cipher = PassThrough()  # type: ignore[assignment]
    stores["not remembered"]._cipher = EventCipher(data_key(), remember=1)
    times: dict[str, list[tuple[int, float]]] = {name: [] for name in stores}
    for c in range(conversations):
        for store in stores.values():
            tracker = await store.get_or_create_tracker(f"s{c}")
            for event in (ActionExecuted("action_session_start"), SessionStarted(),
                          ActionExecuted("action_listen")):
                tracker.update(event)
            await store.save(tracker)
    for n in range(turns):
        for c in range(conversations):
            for name, store in stores.items():
                start = time.perf_counter()
                tracker = await store.retrieve(f"s{c}")
                for event in turn(n):
                    tracker.update(event)
                await store.save(tracker)
                times[name].append((n, time.perf_counter() - start))
    for name, measured in times.items():
        every = [t for _, t in measured]
        late = [t for n, t in measured if n >= turns - 5]
        print(f"{name:15} {conversations} conversations x {turns} turns: median turn "
              f"{statistics.median(every) * 1e3:.2f} ms, last 5 turns "
              f"{statistics.median(late) * 1e3:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 15,
                     int(sys.argv[2]) if len(sys.argv) > 2 else 8))
