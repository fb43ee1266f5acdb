"""One turn at a time per conversation, in arrival order.

Several requests from the same person can be in flight at once (a burst of texts, a retried
webhook, two browser tabs). The gateway handles them one after the other, in the order they
arrived, so the engine sees them in order and the replies are never interleaved; different
conversations still run concurrently. asyncio.Lock wakes its waiters first in, first out.
An unused lock is dropped, so the map holds only conversations with a turn in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ConversationLocks:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]
