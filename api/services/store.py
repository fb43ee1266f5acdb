"""Persistence of conversations and messages for the gateway.

Every inbound message is written before anything else happens to it, so nothing is lost when
the engine is down; Twilio's MessageSid is unique, so a retried webhook is recognised.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.services.crypto import Vault
from resources_db.conversations import Conversation, Message


class MessageStore:
    def __init__(self, sessions: sessionmaker, vault: Vault):
        self._sessions = sessions
        self._vault = vault

    def _conversation(self, session: Session, conversation_id: str, channel: str,
                      address: str) -> Conversation:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            conversation = Conversation(id=conversation_id, channel=channel,
                                        address_encrypted=self._vault.encrypt(address))
            session.add(conversation)
        conversation.last_message_at = dt.datetime.now(dt.UTC)
        return conversation

    def record_inbound(self, conversation_id: str, channel: str, address: str, text: str,
                       provider_sid: str | None) -> tuple[str | None, bool]:
        """Store the message; returns (message id, opted_out). (None, ...) means a duplicate."""
        with self._sessions() as session:
            conversation = self._conversation(session, conversation_id, channel, address)
            opted_out = conversation.opted_out
            message = Message(id=str(uuid.uuid4()), conversation_id=conversation_id,
                              direction="inbound", body_encrypted=self._vault.encrypt(text),
                              provider_sid=provider_sid, status="received", author="person")
            session.add(message)
            try:
                session.commit()
            except IntegrityError:  # the same MessageSid again: Twilio retried the webhook
                session.rollback()
                return None, opted_out
            return message.id, opted_out

    def record_outbound(self, conversation_id: str, text: str, status: str,
                        provider_sid: str | None = None) -> str:
        with self._sessions() as session:
            message = Message(id=str(uuid.uuid4()), conversation_id=conversation_id,
                              direction="outbound", body_encrypted=self._vault.encrypt(text),
                              provider_sid=provider_sid, status=status, author="bot")
            session.add(message)
            session.commit()
            return message.id

    def mark_sent(self, message_id: str, provider_sid: str | None) -> None:
        """An answer sent out of band: its Twilio SID (status callbacks follow), or failed."""
        with self._sessions() as session:
            session.execute(update(Message).where(Message.id == message_id).values(
                provider_sid=provider_sid, status="queued" if provider_sid else "send_failed"))
            session.commit()

    def is_opted_out(self, conversation_id: str) -> bool:
        with self._sessions() as session:
            conversation = session.get(Conversation, conversation_id)
            return bool(conversation and conversation.opted_out)

    def set_opted_out(self, conversation_id: str, opted_out: bool) -> None:
        with self._sessions() as session:
            session.execute(update(Conversation).where(Conversation.id == conversation_id)
                            .values(opted_out=opted_out,
                                    opted_out_at=dt.datetime.now(dt.UTC) if opted_out else None))
            session.commit()

    def record_status(self, provider_sid: str, status: str, error_code: str | None) -> bool:
        """A delivery status callback; False when the message is not ours."""
        with self._sessions() as session:
            message = session.scalars(select(Message).where(
                Message.provider_sid == provider_sid)).first()
            if message is None:
                return False
            message.status = status[:20]
            message.error_code = (error_code or None) and error_code[:20]
            session.commit()
            return True
