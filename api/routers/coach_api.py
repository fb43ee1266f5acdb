"""The coaches' JSON API (bearer tokens): get a token, the queue, a transcript (audited),
claim, reply, hand back and close. The same desk as the console does the work."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable
from typing import Annotated, TypeVar

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from api.deps import ApiCoach, DeskDep, SessionDep
from api.services import accounts
from api.services.handoff import ConversationGone, HandoffError, audit, short_id

router = APIRouter(prefix="/api/v1", tags=["coach api"])
T = TypeVar("T")


class TokenIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime


class QueueItem(BaseModel):
    conversation_id: str
    tag: str
    channel: str
    reason: str
    urgency: str
    state: str
    waiting_since: dt.datetime
    coach: str | None
    first_message: str | None


class TranscriptItem(BaseModel):
    at: dt.datetime
    author: str
    text: str
    status: str | None
    coach: str | None


class ReplyIn(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=1600)]


class DeliveryOut(BaseModel):
    status: str


@router.post("/auth/token")
async def token(body: TokenIn, request: Request, session: SessionDep) -> TokenOut:
    client = request.client.host if request.client else "unknown"
    if not request.app.state.login_limiter.allow(f"login:{client}"):
        raise HTTPException(429, "too many login attempts: wait a minute")
    try:
        coach = accounts.authenticate(session, body.email, body.password)
    except accounts.AccountError as error:
        audit(session, "login_failed", detail=accounts.normal_email(body.email)[:100])
        session.commit()
        raise HTTPException(401, str(error)) from None
    value, expires = accounts.issue_api_token(session, coach)
    audit(session, "api_token", coach.id)
    session.commit()
    return TokenOut(access_token=value, expires_at=expires)


@router.get("/queue")
async def queue(coach: ApiCoach, desk: DeskDep) -> list[QueueItem]:
    return [QueueItem(conversation_id=r.conversation_id, tag=short_id(r.conversation_id),
                      channel=r.channel, reason=r.reason, urgency=r.urgency, state=r.state,
                      waiting_since=r.waiting_since, coach=r.coach_name,
                      first_message=r.first_message) for r in desk.queue()]


async def _desk(call: Awaitable[T]) -> T:
    """A desk action, its refusals as HTTP errors (404: no such conversation; 409: not now)."""
    try:
        return await call
    except HandoffError as error:
        raise HTTPException(404 if isinstance(error, ConversationGone) else 409,
                            str(error)) from None


@router.get("/conversations/{conversation_id}/messages")
async def transcript(conversation_id: str, coach: ApiCoach, desk: DeskDep,
                     ) -> list[TranscriptItem]:
    lines = await _desk(asyncio.to_thread(desk.transcript, conversation_id, coach.id, "api"))
    return [TranscriptItem(at=line.at, author=line.author, text=line.text, status=line.status,
                           coach=line.coach_name) for line in lines]


@router.post("/conversations/{conversation_id}/claim")
async def claim(conversation_id: str, coach: ApiCoach, desk: DeskDep) -> DeliveryOut:
    await _desk(desk.claim(conversation_id, coach.id))
    return DeliveryOut(status="claimed")


@router.post("/conversations/{conversation_id}/messages")
async def reply(conversation_id: str, body: ReplyIn, coach: ApiCoach,
                desk: DeskDep) -> DeliveryOut:
    return DeliveryOut(status=await _desk(desk.reply(conversation_id, coach.id, body.text)))


@router.post("/conversations/{conversation_id}/hand-back")
async def hand_back(conversation_id: str, coach: ApiCoach, desk: DeskDep) -> DeliveryOut:
    await _desk(desk.hand_back(conversation_id, coach.id))
    return DeliveryOut(status="with the bot")


@router.post("/conversations/{conversation_id}/close")
async def close(conversation_id: str, coach: ApiCoach, desk: DeskDep) -> DeliveryOut:
    await _desk(desk.close(conversation_id, coach.id))
    return DeliveryOut(status="closed")
