"""The coaches' records: accounts, their sessions and API tokens, the handoff queue, private
notes, the audit log, and the directory review queue (owned by api/, migrated here with the
rest of the schema so there is one Alembic history).

No phone number is stored here: conversations are referred to by their pseudonymous id; note
bodies are encrypted like message bodies. Secrets (session cookies, API tokens) are stored only
as SHA-256 hashes, passwords only as argon2 hashes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from resources_db.db import Base

ROLES = ("coach", "admin")
# Why a conversation is waiting for a person, and how urgently.
HANDOFF_REASONS = ("asked", "not_understood", "crisis")
URGENCIES = ("normal", "urgent")
# waiting: in the queue; claimed: a coach holds it (the bot is silent); ended: back to the bot
# or closed (end_kind says which).
HANDOFF_STATES = ("waiting", "claimed", "ended")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _now_column() -> Mapped[dt.datetime]:
    # Set here, to the microsecond: SQLite's CURRENT_TIMESTAMP has whole seconds only.
    return mapped_column(DateTime(timezone=True), default=utc_now, server_default=func.now())


class CoachUser(Base):
    __tablename__ = "coach_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10), default="coach")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now_column()


class CoachSession(Base):
    """A console login: the cookie holds a random token, this row its hash and CSRF token."""

    __tablename__ = "coach_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now_column()


class ApiToken(Base):
    """A bearer token for the JSON API."""

    __tablename__ = "api_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_user.id"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now_column()


class Handoff(Base):
    """One request for a person, from the queue to its end. At most one is open (waiting or
    claimed) per conversation at a time."""

    __tablename__ = "handoff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    state: Mapped[str] = mapped_column(String(10), default="waiting", index=True)
    # The person's message that led here (shown in the queue; decrypted only for coaches).
    first_message_id: Mapped[str | None] = mapped_column(String(36))
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("coach_user.id"))
    end_kind: Mapped[str | None] = mapped_column(String(10))  # "returned" (to the bot), "closed"
    created_at: Mapped[dt.datetime] = _now_column()
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CoachNote(Base):
    """A coach's private note on a conversation (never sent to the person)."""

    __tablename__ = "coach_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id"), index=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_user.id"))
    body_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now_column()


class AuditEntry(Base):
    """Who did what to which conversation or record, and when. Kept past message retention:
    it names the pseudonymous conversation id, never a phone number or message text."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now,
                                            server_default=func.now(), index=True)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("coach_user.id"))
    action: Mapped[str] = mapped_column(String(40))
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    service_id: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(String(200))


class ReviewItem(Base):
    """Something wrong with a directory entry: flagged by a coach, or reported by a person
    ("that number didn't work"). Admins fix the entry and resolve the item."""

    __tablename__ = "review_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str | None] = mapped_column(String(100), index=True)
    source: Mapped[str] = mapped_column(String(10))  # "coach" or "person"
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("coach_user.id"))
    comment: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open, resolved
    created_at: Mapped[dt.datetime] = _now_column()
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("coach_user.id"))
