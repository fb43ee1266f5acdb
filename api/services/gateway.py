"""The gateway's one path from a person's message to the bot's replies, for every channel.

It stores every inbound message first (encrypted), recognises retried webhooks, honours SMS
opt-out keywords, maps the channel address to a pseudonymous id (Rasa never sees a phone
number), lets the crisis net answer first, and answers kindly when the engine is down.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from api.services.crisis import CRISIS_REPLY, detect_crisis
from api.services.handoff import HandoffDesk, ticket_text
from api.services.limits import RateLimiter
from api.services.pseudonym import pseudonymous_id
from api.services.rasa_client import BotMessage, EngineUnavailable, RasaClient
from api.services.store import MessageStore
from api.services.turns import ConversationLocks

log = logging.getLogger(__name__)

EMPTY_MESSAGE_REPLY = ("I didn't get any text. Tell me what you need and where, like: "
                       "I need a job in Erie. Text COACH for a person.")
ENGINE_DOWN_REPLY = ("Sorry, the Navigator can't answer right now. Please try again in a few "
                     "minutes, or text COACH for a person. To talk to someone now: PA Get Help "
                     "Now 1-800-662-4357 (24/7). In a crisis call or text 988. Emergency: 911.")
ENGINE_DOWN_COACH_REPLY = "The automated Navigator is down right now, but coaches can still help."
# The engine answered with nothing (e.g. its action server is down and the search failed).
EMPTY_ENGINE_REPLY = ("Sorry, I can't look that up right now. Please try again in a few minutes, "
                      "or text COACH for a person. To talk to someone now: PA Get Help Now "
                      "1-800-662-4357 (24/7).")
# Our database did not take the message: say so, so it is not lost without the person knowing.
STORE_DOWN_REPLY = ("Sorry, something went wrong on our side and your message did not go "
                    "through. Please send it again in a few minutes. To talk to someone now: PA "
                    "Get Help Now 1-800-662-4357 (24/7). In a crisis call or text 988. "
                    "Emergency: 911.")


# Twilio's standard SMS keywords (a whole message, any case).
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "YES", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}
HELP_REPLY = ("Recovery-to-Work Navigator: free help finding jobs, CareerLink, recovery housing, "
              "child care and rides in PA. Text what you need and your town. Text COACH for a "
              "person. Crisis: call or text 988. Emergency: 911. Reply STOP to opt out.")
SLOW_DOWN_REPLY = ("You're sending messages very fast, so I'll pause for a minute. If this is an "
                   "emergency call 911; in a crisis call or text 988.")
START_REPLY = ("You're subscribed to the Recovery-to-Work Navigator again. Text what you need and "
               "your town, like: jobs in Erie. Reply STOP to opt out, HELP for help.")


def sms_keyword(text: str) -> str | None:
    word = re.sub(r"[^A-Za-z]", "", text or "").upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start" if word != "YES" else "yes"
    if word in HELP_WORDS:
        return "help"
    return None


@dataclass
class InboundResult:
    replies: list[BotMessage] = field(default_factory=list)
    duplicate: bool = False  # a retried webhook: already stored and answered, say nothing
    conversation_id: str | None = None
    outbound_id: str | None = None  # the stored reply, for channels that send it later


COACH_WORDS = re.compile(r"^\W*(a\s+)?(coach|human|person|(talk|speak)\s+to\s+(a\s+)?"
                         r"(coach|person|human|someone))\W*$", re.I)
CRISIS_COACH_LINE = "A recovery coach has been alerted and will answer you here."


def _off_loop(fn, *args, **kwargs):  # noqa: ANN001, ANN202
    """Run a message-store or desk call in a worker thread: its commit waits for the disk
    (SQLite fsyncs every commit, so nothing acknowledged is lost), and meanwhile the event loop
    goes on with the other conversations' turns."""
    return asyncio.to_thread(fn, *args, **kwargs)


class Gateway:
    def __init__(self, rasa: RasaClient, pseudonym_key: str, max_chars: int,
                 store: MessageStore, limiter: RateLimiter, desk: HandoffDesk):
        self.rasa = rasa
        self.store = store
        self.limiter = limiter
        self.desk = desk
        self._key = pseudonym_key
        self._max_chars = max_chars
        self.turns = ConversationLocks()

    async def handle_inbound(self, channel: str, address: str, text: str,
                             provider_sid: str | None = None) -> InboundResult:
        """One message, after the ones before it from the same conversation (arrival order)."""
        async with self.turns.hold(self.conversation_id(channel, address)):
            return await self._handle_inbound(channel, address, text, provider_sid)

    async def _handle_inbound(self, channel: str, address: str, text: str,
                              provider_sid: str | None = None) -> InboundResult:
        """Store first, then decide: duplicate, keyword, opted out, held by a coach, or a turn
        with the bot. A crisis is answered in every case but a duplicate."""
        text = text or ""
        conversation = self.conversation_id(channel, address)
        try:
            message_id, opted_out = await _off_loop(self.store.record_inbound, conversation,
                                                    channel, address, text, provider_sid)
        except SQLAlchemyError as error:
            # Not stored, so not handled: the person is told to send it again (and a crisis
            # is still answered). No text or address in the log.
            log.error("message store unavailable for %s: %s", conversation,
                      type(error).__name__)
            if detect_crisis(text) is not None:
                return InboundResult(replies=[crisis_reply()], conversation_id=conversation)
            return InboundResult(replies=[BotMessage(text=STORE_DOWN_REPLY)],
                                 conversation_id=conversation)
        if message_id is None:
            log.info("duplicate webhook for %s ignored", conversation)
            return InboundResult(duplicate=True)
        keyword = sms_keyword(text) if channel == "sms" else None
        if keyword == "stop":
            # Twilio confirms the opt-out to the person itself; we send nothing more.
            await _off_loop(self.store.set_opted_out, conversation, True)
            log.info("opt-out for %s", conversation)
            return InboundResult()
        if keyword == "start" or (keyword == "yes" and opted_out):
            await _off_loop(self.store.set_opted_out, conversation, False)
            return await self._answered(conversation, [BotMessage(text=START_REPLY)])
        if keyword == "help":
            return await self._answered(conversation, [BotMessage(text=HELP_REPLY)])
        crisis = detect_crisis(text) is not None
        if crisis:
            # The crisis answer wins over everything, and does not wait for the engine.
            log.warning("crisis net matched for %s", conversation)
            self.desk.request(conversation, "crisis", message_id, urgent=True)
        held = await _off_loop(self.desk.holder, conversation) is not None
        if held or crisis:
            self.desk.notify_message(conversation)
        if opted_out or held:
            # After STOP nothing is sent, and while a coach holds the conversation the coach
            # answers: only the crisis answer still goes out.
            return await self._answered(conversation, [crisis_reply(
                coach_alerted=held and self.desk.coaches_in())]) \
                if crisis else InboundResult(conversation_id=conversation)
        if crisis:
            return await self._answered(conversation, [crisis_reply(
                coach_alerted=self.desk.coaches_in())])
        if not self.limiter.allow(conversation):
            # Stored (nothing is lost) but not sent on to the engine.
            log.info("rate limit for %s", conversation)
            return await self._answered(conversation, [BotMessage(text=SLOW_DOWN_REPLY)])
        replies = await self.handle_text(channel, address, text)
        handoff = next((r.custom for r in replies if (r.custom or {}).get("handoff")), None)
        if handoff is not None:
            ticket = self.desk.request(conversation, handoff.get("handoff_reason") or "asked",
                                       message_id)
            replies.append(BotMessage(text=ticket_text(ticket, self.desk.hours_text)))
        elif await _off_loop(self.desk.has_open, conversation):
            self.desk.notify_message(conversation)  # coaches watching the queue see it
        return await self._answered(conversation, replies)

    async def _answered(self, conversation: str, replies: list[BotMessage]) -> InboundResult:
        body = "\n\n".join(r.text for r in replies if r.text)
        try:
            outbound = await _off_loop(self.store.record_outbound, conversation, body,
                                       status="answered") if body else None
        except SQLAlchemyError as error:  # the answer still goes out; only its copy is missing
            log.error("reply for %s not stored: %s", conversation, type(error).__name__)
            outbound = None
        return InboundResult(replies=replies, conversation_id=conversation, outbound_id=outbound)

    def conversation_id(self, channel: str, address: str) -> str:
        return pseudonymous_id(self._key, channel, address)

    async def handle_text(self, channel: str, address: str, text: str) -> list[BotMessage]:
        """The bot's answer to one message (the crisis net has already looked at it)."""
        text = (text or "").strip()
        if not text:
            return [BotMessage(text=EMPTY_MESSAGE_REPLY)]
        conversation = self.conversation_id(channel, address)
        try:
            replies = await self.rasa.send(conversation, text[: self._max_chars])
        except EngineUnavailable as error:
            # No message text or address in logs: only the pseudonymous id and the error kind.
            log.warning("engine unavailable for %s: %s", conversation, error)
            if COACH_WORDS.match(text):  # a person can still be asked for
                return [BotMessage(text=ENGINE_DOWN_COACH_REPLY, custom=handoff_payload())]
            return [BotMessage(text=ENGINE_DOWN_REPLY)]
        replies = attach_payloads(replies)
        if not any(r.text for r in replies):
            log.warning("empty engine reply for %s", conversation)
            return [*replies, BotMessage(text=EMPTY_ENGINE_REPLY)]
        return replies


def handoff_payload(reason: str = "asked") -> dict:
    return {"resources": [], "quick_replies": [], "handoff": True, "crisis": False,
            "handoff_reason": reason}


def crisis_reply(coach_alerted: bool = False) -> BotMessage:
    text = f"{CRISIS_REPLY} {CRISIS_COACH_LINE}" if coach_alerted else CRISIS_REPLY
    return BotMessage(text=text, custom={
        "resources": [], "quick_replies": [{"title": "Talk to a coach", "payload": "COACH"}],
        "handoff": False, "crisis": True})


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
