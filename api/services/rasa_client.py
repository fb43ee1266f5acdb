"""Talks to the Rasa engine over its REST channel (loopback, token-protected API).

With several engine instances (the production profile: a shared PostgreSQL tracker store and a
Redis lock store), one client spreads conversations over them: each conversation has a home
instance (a stable hash of its id), and a request that cannot reach an instance (connection
refused, connect timeout) goes to the next one. Such a request never reached the engine, so
sending it elsewhere cannot run a turn twice. An instance that failed is skipped for a few
seconds. A request that reached an engine but got no answer in time is not re-sent (the turn
may still run there): it raises EngineUnavailable and the gateway answers kindly.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 1.0  # loopback / same cluster: a live engine accepts at once
SKIP_FAILED_FOR_S = 5.0  # an instance that failed is tried last for this long


class EngineUnavailable(RuntimeError):
    """The engine did not answer (down, starting, or too slow)."""


@dataclass
class BotMessage:
    text: str | None = None
    custom: dict[str, Any] | None = None
    buttons: list[dict[str, Any]] = field(default_factory=list)


def split_urls(urls: str | list[str]) -> list[str]:
    items = urls.split(",") if isinstance(urls, str) else urls
    return [u.strip().rstrip("/") for u in items if u and u.strip()]


class RasaClient:
    """`base_url`: one engine URL, or several (a list or comma-separated)."""

    def __init__(self, base_url: str | list[str], token: str, timeout_s: float,
                 transport: httpx.AsyncBaseTransport | None = None,
                 connect_timeout_s: float = CONNECT_TIMEOUT_S):
        self.urls = split_urls(base_url)
        if not self.urls:
            raise ValueError("at least one engine URL is needed")
        timeout = httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s))
        self._clients = [httpx.AsyncClient(base_url=url, timeout=timeout, transport=transport)
                         for url in self.urls]
        self._http = self._clients[0]
        self._failed_at: dict[int, float] = {}
        self._token = token

    def _order(self, key: str | None) -> list[int]:
        """Instances to try: the key's home first, then the others; failed ones last."""
        n = len(self._clients)
        home = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % n if key else 0
        order = [(home + i) % n for i in range(n)]
        now = time.monotonic()
        recent = {i for i, at in self._failed_at.items() if now - at < SKIP_FAILED_FOR_S}
        return [i for i in order if i not in recent] + [i for i in order if i in recent]

    async def _request(self, method: str, path: str, key: str | None,
                       **kwargs: Any) -> httpx.Response:
        last: Exception | None = None
        for index in self._order(key):
            try:
                response = await self._clients[index].request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                # Never reached this instance: the next one can take the request.
                self._failed_at[index] = time.monotonic()
                last = error
                continue
            except httpx.HTTPError as error:
                self._failed_at[index] = time.monotonic()
                raise EngineUnavailable(type(error).__name__) from error
            if response.status_code == 503 and len(self._clients) > 1:
                # Still loading its model: it did not run the turn.
                self._failed_at[index] = time.monotonic()
                last = httpx.HTTPStatusError("503", request=response.request, response=response)
                continue
            try:
                response.raise_for_status()
            except httpx.HTTPError as error:
                raise EngineUnavailable(type(error).__name__) from error
            self._failed_at.pop(index, None)
            return response
        raise EngineUnavailable(type(last).__name__ if last else "no engine")

    async def send(self, sender_id: str, text: str) -> list[BotMessage]:
        # No token: Rasa 3.6's REST channel does not read one (only its HTTP API checks
        # `?token=`), so it would only be one more URL carrying it (api/logs.py redacts them).
        response = await self._request(
            "POST", "/webhooks/rest/webhook", sender_id,
            json={"sender": sender_id, "message": text})
        return [BotMessage(text=m.get("text"), custom=m.get("custom"),
                           buttons=m.get("buttons") or [])
                for m in response.json()]

    async def parse(self, text: str) -> dict[str, Any]:
        """The engine's own NLU parse (intent, entities): no second model in the api."""
        response = await self._request("POST", "/model/parse", text,
                                       params={"token": self._token}, json={"text": text})
        return response.json()

    async def slots(self, sender_id: str) -> dict[str, Any]:
        """The conversation's slots from the engine's tracker (what it remembers)."""
        response = await self._request(
            "GET", f"/conversations/{sender_id}/tracker", sender_id,
            params={"token": self._token, "include_events": "NONE"})
        return response.json().get("slots") or {}

    async def is_up(self) -> bool:
        """Every instance is up with a model loaded."""
        for client in self._clients:
            try:
                response = await client.get("/status", params={"token": self._token}, timeout=2)
                if response.status_code != 200 or not response.json().get("model_file"):
                    return False
            except (httpx.HTTPError, ValueError):
                return False
        return True

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
