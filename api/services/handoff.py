"""The handoff desk: the queue of conversations waiting for a person, who holds which, and
everything a coach does to one (claim, reply, notes, hand back, close), each audited.

While a coach holds a conversation the gateway sends nothing to the engine: Rasa's tracker
keeps the context it had, and the bot picks it up again when the coach hands back.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.services.crypto import Vault
from api.services.live import ChatSockets, CoachEvents
from api.services.rasa_client import EngineUnavailable, RasaClient
from api.services.twilio_send import SmsSender
from resources_db.coaching import AuditEntry, CoachNote, CoachUser, Handoff
from resources_db.conversations import Conversation, Message
from resources_db.schedules import is_open, parse_hours

log = logging.getLogger(__name__)

OPEN_STATES = ("waiting", "claimed")
GET_HELP_NOW = "PA Get Help Now 1-800-662-4357 (24/7)"
URGENT_LINE = "If anyone is in danger call 911. Call or text 988 any time."
NEED_WORDS = {"jobs": "jobs", "careerlink": "CareerLink offices", "housing": "recovery housing",
              "childcare": "child care help", "transit": "rides and transit"}


class HandoffError(ValueError):
    """A coach action that cannot be done now, with the reason to show."""


class ConversationGone(HandoffError):
    def __init__(self) -> None:
        super().__init__("no such conversation (it may have been purged)")


@dataclass(frozen=True)
class Ticket:
    """Where a person stands in the queue, to tell them honestly what happens next."""

    position: int  # 1 = next; 0 = a coach already holds the conversation
    coaches_in: bool
    usual_wait_min: int | None
    urgent: bool


@dataclass(frozen=True)
class QueueRow:
    conversation_id: str
    channel: str
    reason: str
    urgency: str
    state: str
    waiting_since: dt.datetime
    coach_name: str | None
    coach_id: int | None
    first_message: str | None


@dataclass(frozen=True)
class TranscriptLine:
    at: dt.datetime
    author: str  # person, bot, coach, system
    text: str
    status: str | None
    coach_name: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def short_id(conversation_id: str) -> str:
    """How a conversation is named to coaches: no phone number, just a stable tag."""
    return conversation_id.rpartition("-")[2][:8]


def audit(session: Session, action: str, coach_id: int | None = None, *,
          conversation_id: str | None = None, service_id: str | None = None,
          detail: str | None = None) -> None:
    """One line in the audit log (committed with the caller's work)."""
    session.add(AuditEntry(action=action, coach_id=coach_id, conversation_id=conversation_id,
                           service_id=service_id, detail=(detail or None) and detail[:200]))


def ticket_text(ticket: Ticket, hours_text: str) -> str:
    """What the person is told after asking for a person: honest about hours and waiting."""
    if ticket.position == 0:
        text = "A coach is already with you in this conversation: just keep texting."
    elif ticket.coaches_in:
        wait = (f" Most people wait about {ticket.usual_wait_min} min."
                if ticket.usual_wait_min is not None else "")
        ahead = "You're next in line." if ticket.position == 1 else \
            f"You're number {ticket.position} in line."
        text = (f"I've asked a recovery coach to join this conversation. {ahead}{wait} "
                "The coach will answer you right here. You can keep asking me things while you wait.")
    else:
        text = (f"I've asked a recovery coach to join this conversation. Coaches work "
                f"{hours_text}, so a coach will answer you here then. To talk to someone now: "
                f"{GET_HELP_NOW}.")
    return f"{URGENT_LINE} {text}" if ticket.urgent else text


class HandoffDesk:
    def __init__(self, sessions: sessionmaker, vault: Vault, events: CoachEvents,
                 sockets: ChatSockets, sms: SmsSender, rasa: RasaClient, coach_hours: str):
        self._sessions = sessions
        self._vault = vault
        self.events = events
        self.sockets = sockets
        self._sms = sms
        self._rasa = rasa
        self.hours_text = coach_hours
        self._hours = parse_hours(coach_hours)

    # --- the person's side (called by the gateway) ------------------------------------------

    def coaches_in(self, now: dt.datetime | None = None) -> bool:
        return is_open(self._hours, now or _now()) if self._hours else True

    def holder(self, conversation_id: str) -> int | None:
        """The coach holding this conversation (the bot stays silent), or None."""
        with self._sessions() as session:
            return session.scalar(select(Handoff.coach_id).where(
                Handoff.conversation_id == conversation_id, Handoff.state == "claimed"))

    def has_open(self, conversation_id: str) -> bool:
        with self._sessions() as session:
            return _open_handoff(session, conversation_id) is not None

    def request(self, conversation_id: str, reason: str, first_message_id: str | None,
                urgent: bool = False) -> Ticket:
        """Put the conversation in the queue (or raise its urgency) and say where it stands."""
        with self._sessions() as session:
            handoff = _open_handoff(session, conversation_id)
            if handoff is None:
                handoff = Handoff(conversation_id=conversation_id, reason=reason,
                                  urgency="urgent" if urgent else "normal", state="waiting",
                                  first_message_id=first_message_id)
                session.add(handoff)
            elif urgent and handoff.urgency != "urgent":
                handoff.urgency, handoff.reason = "urgent", reason
            session.commit()
            ticket = self._ticket(session, handoff)
        self.events.publish("alert" if urgent else "queue", conversation_id, urgency=(
            "urgent" if urgent else "normal"), reason=reason)
        log.info("handoff %s for %s (%s)", reason, conversation_id, "urgent" if urgent else "normal")
        return ticket

    def _ticket(self, session: Session, handoff: Handoff) -> Ticket:
        urgent = handoff.urgency == "urgent"
        if handoff.state == "claimed":
            return Ticket(0, True, None, urgent)
        waiting = session.execute(select(Handoff.id, Handoff.urgency, Handoff.created_at)
                                  .where(Handoff.state == "waiting")).all()
        # Urgent conversations are taken first, then by time waited.
        order = sorted(waiting, key=lambda r: (r.urgency != "urgent", _aware(r.created_at), r.id))
        position = next((i for i, r in enumerate(order, 1) if r.id == handoff.id), len(order))
        return Ticket(position, self.coaches_in(), self.usual_wait_min(session), urgent)

    def usual_wait_min(self, session: Session) -> int | None:
        """Median minutes from request to claim over the last 20 claims (None: no history)."""
        rows = session.execute(select(Handoff.created_at, Handoff.claimed_at)
                               .where(Handoff.claimed_at.is_not(None))
                               .order_by(Handoff.claimed_at.desc()).limit(20)).all()
        waits = [(_aware(c) - _aware(r)).total_seconds() / 60 for r, c in rows]
        return max(1, round(statistics.median(waits))) if waits else None

    def notify_message(self, conversation_id: str) -> None:
        """A message in a conversation coaches are watching: consoles refresh it."""
        self.events.publish("message", conversation_id)

    # --- the coach's side -------------------------------------------------------------------

    def queue(self) -> list[QueueRow]:
        with self._sessions() as session:
            rows = session.execute(
                select(Handoff, Conversation.channel, CoachUser.display_name, Message)
                .join(Conversation, Conversation.id == Handoff.conversation_id)
                .outerjoin(CoachUser, CoachUser.id == Handoff.coach_id)
                .outerjoin(Message, Message.id == Handoff.first_message_id)
                .where(Handoff.state.in_(OPEN_STATES))).all()
        out = [QueueRow(h.conversation_id, channel, h.reason, h.urgency, h.state,
                        _aware(h.created_at), name, h.coach_id,
                        self._vault.decrypt(m.body_encrypted) if m is not None else None)
               for h, channel, name, m in rows]
        return sorted(out, key=lambda r: (r.state != "waiting", r.urgency != "urgent",
                                          r.waiting_since))

    def conversation_state(self, conversation_id: str) -> tuple[Conversation, Handoff | None]:
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise ConversationGone()
            return conversation, _open_handoff(session, conversation_id)

    def transcript(self, conversation_id: str, coach_id: int,
                   via: str = "console") -> list[TranscriptLine]:
        """Every stored message of the conversation, decrypted; the view is audited."""
        with self._sessions() as session:
            if session.get(Conversation, conversation_id) is None:
                raise ConversationGone()
            rows = session.execute(
                select(Message, CoachUser.display_name)
                .outerjoin(CoachUser, CoachUser.id == Message.coach_id)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.created_at, Message.id)).all()
            audit(session, "view_transcript", coach_id, conversation_id=conversation_id,
                  detail=via)
            session.commit()
        return [TranscriptLine(_aware(m.created_at), m.author or _legacy_author(m),
                               self._vault.decrypt(m.body_encrypted) or "", m.status, name)
                for m, name in rows]

    def notes(self, conversation_id: str) -> list[tuple[dt.datetime, str, str]]:
        with self._sessions() as session:
            rows = session.execute(
                select(CoachNote, CoachUser.display_name)
                .join(CoachUser, CoachUser.id == CoachNote.coach_id)
                .where(CoachNote.conversation_id == conversation_id)
                .order_by(CoachNote.created_at, CoachNote.id)).all()
        return [(_aware(n.created_at), name, self._vault.decrypt(n.body_encrypted) or "")
                for n, name in rows]

    def add_note(self, conversation_id: str, coach_id: int, text: str) -> None:
        text = text.strip()
        if not text:
            raise HandoffError("the note is empty")
        with self._sessions() as session:
            if session.get(Conversation, conversation_id) is None:
                raise ConversationGone()
            session.add(CoachNote(conversation_id=conversation_id, coach_id=coach_id,
                                  body_encrypted=self._vault.encrypt(text[:4000])))
            audit(session, "add_note", coach_id, conversation_id=conversation_id)
            session.commit()

    async def claim(self, conversation_id: str, coach_id: int) -> None:
        """Take the conversation: the bot goes quiet and the person is told a coach is here.
        A conversation that is not in the queue can be claimed too (a coach reaching out)."""
        with self._sessions() as session:
            handoff = _open_handoff(session, conversation_id)
            if handoff is not None and handoff.state == "claimed":
                if handoff.coach_id == coach_id:
                    return
                raise HandoffError("another coach already holds this conversation")
            if session.get(Conversation, conversation_id) is None:
                raise ConversationGone()
            if handoff is None:
                handoff = Handoff(conversation_id=conversation_id, reason="coach",
                                  urgency="normal")
                session.add(handoff)
            handoff.state, handoff.coach_id, handoff.claimed_at = "claimed", coach_id, _now()
            name = session.get(CoachUser, coach_id).display_name
            audit(session, "claim", coach_id, conversation_id=conversation_id)
            session.commit()
        self.events.publish("queue", conversation_id)
        await self._deliver(conversation_id, f"Hi, this is {name}, a recovery coach. I'm here "
                            "now, so you're talking with a person. What's going on?",
                            author="system")

    def _held_by(self, session: Session, conversation_id: str, coach_id: int) -> Handoff:
        handoff = _open_handoff(session, conversation_id)
        if handoff is None or handoff.state != "claimed":
            raise HandoffError("claim this conversation first")
        if handoff.coach_id != coach_id:
            raise HandoffError("another coach holds this conversation")
        return handoff

    async def reply(self, conversation_id: str, coach_id: int, text: str,
                    action: str = "coach_message", service_id: str | None = None) -> str:
        """The coach's message to the person, on their channel; returns its delivery state."""
        text = text.strip()
        if not text:
            raise HandoffError("the message is empty")
        with self._sessions() as session:
            self._held_by(session, conversation_id, coach_id)
        return await self._deliver(conversation_id, text[:1600], author="coach",
                                   coach_id=coach_id, action=action, service_id=service_id)

    async def hand_back(self, conversation_id: str, coach_id: int) -> None:
        """Back to the bot, which says so and picks up where the person was (Rasa's slots)."""
        await self._end(conversation_id, coach_id, "returned")
        await self._deliver(conversation_id, await self._welcome_back(conversation_id),
                            author="system")

    async def close(self, conversation_id: str, coach_id: int) -> None:
        """Done: out of the queue; the person's next message goes to the bot as usual."""
        await self._end(conversation_id, coach_id, "closed")

    async def _end(self, conversation_id: str, coach_id: int, kind: str) -> None:
        with self._sessions() as session:
            handoff = _open_handoff(session, conversation_id)
            if handoff is None:
                raise HandoffError("this conversation is not with a coach")
            if handoff.state == "claimed" and handoff.coach_id != coach_id:
                raise HandoffError("another coach holds this conversation")
            handoff.state, handoff.end_kind, handoff.ended_at = "ended", kind, _now()
            if handoff.coach_id is None:
                handoff.coach_id = coach_id
            audit(session, "hand_back" if kind == "returned" else "close", coach_id,
                  conversation_id=conversation_id)
            session.commit()
        self.events.publish("queue", conversation_id)

    async def _welcome_back(self, conversation_id: str) -> str:
        text = "You're back with the Navigator, the automated assistant."
        try:
            slots = await self._rasa.slots(conversation_id)
        except EngineUnavailable:
            slots = {}
        need, place = NEED_WORDS.get(slots.get("need") or ""), slots.get("location")
        if need and place:
            text += f" We were looking at {need} near {place}: text MORE for more, or"
        else:
            text += " Just"
        return text + " tell me what you need and where. Text COACH to reach a coach again."

    async def _deliver(self, conversation_id: str, text: str, *, author: str,
                       coach_id: int | None = None, action: str | None = None,
                       service_id: str | None = None) -> str:
        """Store the message, then send it: SMS through Twilio's REST API, web chat to the
        open widget (or kept for it to fetch). Returns the stored delivery status."""
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            message = Message(id=_uuid(), conversation_id=conversation_id, direction="outbound",
                              body_encrypted=self._vault.encrypt(text), author=author,
                              coach_id=coach_id, status="pending")
            session.add(message)
            if action:
                audit(session, action, coach_id, conversation_id=conversation_id,
                      service_id=service_id)
            channel, opted_out = conversation.channel, conversation.opted_out
            address = self._vault.decrypt(conversation.address_encrypted or "")
            session.commit()
            message_id, created_at = message.id, message.created_at
        if channel == "sms":
            if opted_out:
                status, sid = "not_sent_opted_out", None
            else:
                sid = await self._sms.send(address or "", text)
                status = "queued" if sid else "send_failed"
        else:
            pushed = await self.sockets.push(conversation_id, {"id": None, "push": True,
                                                               "messages": [widget_message(
                                                                   text, author, created_at)]})
            status, sid = ("delivered" if pushed else "waiting_for_widget"), None
        with self._sessions() as session:
            stored = session.get(Message, message_id)
            stored.status, stored.provider_sid = status, sid
            session.commit()
        self.events.publish("message", conversation_id)
        if status == "send_failed":
            log.error("message for %s could not be sent after retries", conversation_id)
        return status

    def messages_for_widget(self, conversation_id: str, after: dt.datetime | None,
                            ) -> list[dict[str, Any]]:
        """Coach and notice messages the widget has not shown yet (its HTTP fallback)."""
        with self._sessions() as session:
            query = select(Message).where(Message.conversation_id == conversation_id,
                                          Message.author.in_(("coach", "system")))
            if after is not None:
                query = query.where(Message.created_at > after)
            rows = session.scalars(query.order_by(Message.created_at, Message.id)).all()
            for m in rows:
                if m.status == "waiting_for_widget":
                    m.status = "delivered"
            session.commit()
        return [widget_message(self._vault.decrypt(m.body_encrypted) or "", m.author,
                               m.created_at) for m in rows]


def widget_message(text: str, author: str, created_at: dt.datetime) -> dict[str, Any]:
    """A coach's (or a notice's) message as the web chat widget renders it; "at" is its
    cursor for fetching what came later."""
    return {"text": text, "from": author, "at": _aware(created_at).isoformat()}


def _open_handoff(session: Session, conversation_id: str) -> Handoff | None:
    return session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                Handoff.state.in_(OPEN_STATES))
                          .order_by(Handoff.id.desc()))


def _legacy_author(message: Message) -> str:
    return "person" if message.direction == "inbound" else "bot"


def _uuid() -> str:
    return str(uuid.uuid4())
