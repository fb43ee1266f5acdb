"""Talks to the Rasa engine over its REST channel (loopback, token-protected API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


class EngineUnavailable(RuntimeError):
    """The engine did not answer (down, starting, or too slow)."""


@dataclass
class BotMessage:
    text: str | None = None
    custom: dict[str, Any] | None = None
    buttons: list[dict[str, Any]] = field(default_factory=list)


class RasaClient:
    def __init__(self, base_url: str, token: str, timeout_s: float,
                 transport: httpx.AsyncBaseTransport | None = None):
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, transport=transport)
        self._token = token

    async def send(self, sender_id: str, text: str) -> list[BotMessage]:
        try:
            response = await self._http.post(
                "/webhooks/rest/webhook", params={"token": self._token},
                json={"sender": sender_id, "message": text})
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise EngineUnavailable(type(error).__name__) from error
        return [BotMessage(text=m.get("text"), custom=m.get("custom"),
                           buttons=m.get("buttons") or [])
                for m in response.json()]

    async def parse(self, text: str) -> dict[str, Any]:
        """The engine's own NLU parse (intent, entities): no second model in the api."""
        try:
            response = await self._http.post("/model/parse", params={"token": self._token},
                                             json={"text": text})
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise EngineUnavailable(type(error).__name__) from error
        return response.json()

    async def slots(self, sender_id: str) -> dict[str, Any]:
        """The conversation's slots from the engine's tracker (what it remembers)."""
        try:
            response = await self._http.get(
                f"/conversations/{sender_id}/tracker",
                params={"token": self._token, "include_events": "NONE"})
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise EngineUnavailable(type(error).__name__) from error
        return response.json().get("slots") or {}

    async def is_up(self) -> bool:
        try:
            response = await self._http.get("/status", params={"token": self._token}, timeout=2)
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False

    async def aclose(self) -> None:
        await self._http.aclose()
