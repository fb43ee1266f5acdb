"""Out-of-band SMS replies through the Twilio REST API (the official client).

Used when a turn takes longer than Twilio's webhook window allows for an inline TwiML answer.
TWILIO_API_BASE points the client somewhere else than https://api.twilio.com (tests run a
local fake Twilio server; nothing else may be reached from here).
"""

from __future__ import annotations

import asyncio
import logging

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)
TWILIO_API = "https://api.twilio.com"


class _RebasedHttpClient(TwilioHttpClient):
    def __init__(self, base: str):
        super().__init__(timeout=10)
        self._base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if url.startswith(TWILIO_API):
            url = self._base + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


class SmsSender:
    def __init__(self, account_sid: str, auth_token: str, from_number: str,
                 status_callback: str | None, api_base: str = TWILIO_API,
                 attempts: int = 3, backoff_s: float = 0.5):
        http_client = _RebasedHttpClient(api_base) if api_base != TWILIO_API else None
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self._from = from_number
        self._status_callback = status_callback
        self._attempts = attempts
        self._backoff_s = backoff_s

    async def send(self, to: str, body: str) -> str | None:
        """Send with retries and backoff; the message SID, or None when every try failed."""
        for attempt in range(1, self._attempts + 1):
            try:
                message = await asyncio.to_thread(
                    self._client.messages.create, to=to, from_=self._from, body=body,
                    status_callback=self._status_callback)
                return message.sid
            except (TwilioRestException, TwilioException, OSError) as error:
                log.warning("twilio send attempt %d/%d failed: %s", attempt, self._attempts,
                            type(error).__name__)
                if attempt < self._attempts:
                    await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
        return None
