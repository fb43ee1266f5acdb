"""The gateway's one path from a person's message to the bot's replies, for every channel.

It maps the channel address to a pseudonymous id (Rasa never sees a phone number), checks the
text, and answers kindly when the engine is down instead of failing.
"""

from __future__ import annotations

import logging

from api.services.crisis import CRISIS_REPLY, detect_crisis
from api.services.pseudonym import pseudonymous_id
from api.services.rasa_client import BotMessage, EngineUnavailable, RasaClient

log = logging.getLogger(__name__)

EMPTY_MESSAGE_REPLY = ("I didn't get any text. Tell me what you need and where, like: "
                       "I need a job in Erie. Text COACH for a person.")
ENGINE_DOWN_REPLY = ("Sorry, the Navigator can't answer right now. Please try again in a few "
                     "minutes. To talk to someone now: PA Get Help Now 1-800-662-4357 (24/7). "
                     "In a crisis call or text 988. Emergency: 911.")


class Gateway:
    def __init__(self, rasa: RasaClient, pseudonym_key: str, max_chars: int):
        self.rasa = rasa
        self._key = pseudonym_key
        self._max_chars = max_chars

    def conversation_id(self, channel: str, address: str) -> str:
        return pseudonymous_id(self._key, channel, address)

    async def handle_text(self, channel: str, address: str, text: str) -> list[BotMessage]:
        text = (text or "").strip()
        if not text:
            return [BotMessage(text=EMPTY_MESSAGE_REPLY)]
        conversation = self.conversation_id(channel, address)
        if (crisis := detect_crisis(text)) is not None:
            # The crisis answer wins over everything, and does not wait for the engine.
            log.warning("crisis net matched for %s (%s)", conversation, crisis.kind)
            return [BotMessage(text=CRISIS_REPLY, custom={
                "resources": [], "quick_replies": [{"title": "Talk to a coach",
                                                    "payload": "COACH"}],
                "handoff": False, "crisis": True})]
        try:
            replies = await self.rasa.send(conversation, text[: self._max_chars])
        except EngineUnavailable as error:
            # No message text or address in logs: only the pseudonymous id and the error kind.
            log.warning("engine unavailable for %s: %s", conversation, error)
            return [BotMessage(text=ENGINE_DOWN_REPLY)]
        return attach_payloads(replies) or [
            BotMessage(text="Sorry, I didn't get that. Text COACH for a person.")]


def attach_payloads(messages: list[BotMessage]) -> list[BotMessage]:
    """Rasa sends an utterance's custom payload as a message of its own, after the text:
    put it back on the text it belongs to, so channels render one reply with its options."""
    merged: list[BotMessage] = []
    for message in messages:
        if message.text is None and message.custom is not None and merged \
                and merged[-1].custom is None:
            merged[-1] = BotMessage(text=merged[-1].text, custom=message.custom,
                                    buttons=merged[-1].buttons)
        else:
            merged.append(message)
    return merged
