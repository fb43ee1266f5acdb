"""Live updates inside the api process: events for coaches' consoles (SSE) and coach messages
pushed to people's open web chat sockets.

In memory, because there is one api process; running several (issue: production profile)
needs a shared broker such as Redis pub/sub behind the same two small interfaces.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from fastapi import WebSocket

log = logging.getLogger(__name__)


class CoachEvents:
    """Fan-out of small events ({"kind": "queue" | "message" | "alert", "conversation": id})
    to every console that listens. Events carry ids only, never message text: the console
    fetches what it needs through routes that check the login and write the audit log."""

    def __init__(self, backlog: int = 100):
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._backlog = backlog

    def publish(self, kind: str, conversation: str | None = None, **extra: Any) -> None:
        event = {"kind": kind, "conversation": conversation, **extra}
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):  # a stuck console misses events
                queue.put_nowait(event)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._backlog)
        self._subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)

    @property
    def listeners(self) -> int:
        return len(self._subscribers)


class ChatSockets:
    """The web chat sockets open per conversation, so a coach's message reaches the person."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[WebSocket]] = defaultdict(set)

    def add(self, conversation: str, socket: WebSocket) -> None:
        self._sockets[conversation].add(socket)

    def remove(self, socket: WebSocket) -> None:
        for conversation in [c for c, s in self._sockets.items() if socket in s]:
            self._sockets[conversation].discard(socket)
            if not self._sockets[conversation]:
                del self._sockets[conversation]

    async def push(self, conversation: str, frame: dict[str, Any]) -> int:
        """Send to every open socket of the conversation; how many took it (0: the widget
        will pick the message up from /chat/updates when it polls or reconnects)."""
        delivered = 0
        for socket in list(self._sockets.get(conversation, ())):
            try:
                await socket.send_json(frame)
                delivered += 1
            except Exception:  # noqa: BLE001  (a closed socket: forget it)
                self.remove(socket)
        return delivered
