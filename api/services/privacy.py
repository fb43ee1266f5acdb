"""Least data for the shortest time: retention purge, and a person's own data on request.

Our store (conversation, message) is reached through SQLAlchemy; Rasa's SQL tracker store
(the `events` table, keyed by the pseudonymous sender id) through its own database URL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, delete, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.services.crypto import Vault
from api.services.pseudonym import pseudonymous_id
from resources_db.coaching import CoachNote, Handoff
from resources_db.conversations import Conversation, Message

CHANNELS = ("sms", "web")


@dataclass
class PurgeReport:
    messages: int
    conversations: int
    tracker_events: int


def tracker_url(path_or_url: str) -> str:
    """A SQLite path, or a database URL; PostgreSQL through psycopg 3 (this venv's driver)."""
    if "://" not in path_or_url:
        return f"sqlite:///{path_or_url}"
    scheme, rest = path_or_url.split("://", 1)
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):
        return f"postgresql+psycopg://{rest}"
    return path_or_url


def _tracker_delete(url: str, where: str, params: dict[str, Any]) -> int:
    engine = create_engine(tracker_url(url))
    try:
        if not inspect(engine).has_table("events"):
            return 0  # the engine has not written anything yet
        with engine.begin() as conn:
            return conn.execute(text(f"DELETE FROM events WHERE {where}"), params).rowcount
    finally:
        engine.dispose()


def purge(sessions: sessionmaker, tracker: str, older_than_days: int,
          now: dt.datetime | None = None) -> PurgeReport:
    """Delete messages (and conversations left empty) and engine events older than the cutoff."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=older_than_days)
    with sessions() as session:
        messages = session.execute(delete(Message).where(Message.created_at < cutoff)).rowcount
        session.execute(delete(CoachNote).where(CoachNote.created_at < cutoff))
        still_used = select(Message.conversation_id)
        doomed = list(session.scalars(select(Conversation.id).where(
            Conversation.id.not_in(still_used),
            (Conversation.last_message_at < cutoff) | Conversation.last_message_at.is_(None),
        )))
        conversations = _delete_conversations(session, doomed)
        session.commit()
    events = _tracker_delete(tracker, "timestamp < :cutoff", {"cutoff": cutoff.timestamp()})
    return PurgeReport(messages, conversations, events)


def _delete_conversations(session: Session, ids: list[str]) -> int:
    """Conversations with their handoffs and coaches' notes (the audit log keeps only ids)."""
    deleted = 0
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        session.execute(delete(CoachNote).where(CoachNote.conversation_id.in_(chunk)))
        session.execute(delete(Handoff).where(Handoff.conversation_id.in_(chunk)))
        deleted += session.execute(delete(Conversation).where(
            Conversation.id.in_(chunk))).rowcount
    return deleted


def person_ids(key: str, address: str) -> list[str]:
    return [pseudonymous_id(key, channel, address) for channel in CHANNELS]


def export_person(sessions: sessionmaker, vault: Vault, key: str, address: str) -> dict:
    """Everything we hold about one phone number (or web client id), decrypted."""
    ids = person_ids(key, address)
    with sessions() as session:
        conversations = session.scalars(select(Conversation).where(Conversation.id.in_(ids))).all()
        out = []
        for c in conversations:
            messages = session.scalars(select(Message).where(Message.conversation_id == c.id)
                                       .order_by(Message.created_at)).all()
            out.append({
                "channel": c.channel, "opted_out": c.opted_out,
                "created_at": c.created_at.isoformat() if c.created_at else None,
                "messages": [{"direction": m.direction, "text": vault.decrypt(m.body_encrypted),
                              "at": m.created_at.isoformat() if m.created_at else None,
                              "status": m.status} for m in messages]})
    return {"address": address, "conversations": out}


def delete_person(sessions: sessionmaker, tracker: str, key: str, address: str) -> PurgeReport:
    ids = person_ids(key, address)
    with sessions() as session:
        messages = session.execute(delete(Message).where(
            Message.conversation_id.in_(ids))).rowcount
        conversations = _delete_conversations(session, ids)
        session.commit()
    events = sum(_tracker_delete(tracker, "sender_id = :sid", {"sid": sid}) for sid in ids)
    return PurgeReport(messages, conversations, events)
