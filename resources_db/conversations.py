"""The gateway's own records: conversations and messages (owned by api/, migrated here with
the rest of the schema so there is one Alembic history).

A conversation is keyed by the pseudonymous id (keyed HMAC of the channel address); the
address itself (a phone number) and every message body are stored encrypted.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from resources_db.db import Base


class Conversation(Base):
    __tablename__ = "conversation"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the pseudonymous id
    channel: Mapped[str] = mapped_column(String(10))  # "sms" or "web"
    address_encrypted: Mapped[str | None] = mapped_column(Text)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    last_message_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                index=True)


class Message(Base):
    __tablename__ = "message"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # "inbound" or "outbound"
    body_encrypted: Mapped[str] = mapped_column(Text)
    # Twilio's MessageSid (inbound: dedupes retries; outbound: matches status callbacks).
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str | None] = mapped_column(String(20))  # received, answered, queued, sent...
    error_code: Mapped[str | None] = mapped_column(String(20))
    # Who wrote it: "person", "bot", "coach" (coach_id says which) or "system" (gateway notices).
    author: Mapped[str | None] = mapped_column(String(10))
    coach_id: Mapped[int | None] = mapped_column(Integer)
    # Set here, to the microsecond: transcripts are ordered by it, and SQLite's
    # CURRENT_TIMESTAMP has whole seconds only.
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC),
        server_default=func.now(), index=True)
