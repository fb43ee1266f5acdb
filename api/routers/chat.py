"""Web chat over HTTP: POST /chat/messages (the widget's transport)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import GatewayDep

router = APIRouter(prefix="/chat", tags=["chat"])


class ChatIn(BaseModel):
    client_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    text: str = Field(max_length=5000)


class ChatMessageOut(BaseModel):
    text: str | None = None
    custom: dict[str, Any] | None = None


class ChatOut(BaseModel):
    messages: list[ChatMessageOut]


@router.post("/messages")
async def post_message(body: ChatIn, gateway: GatewayDep) -> ChatOut:
    replies = await gateway.handle_text("web", body.client_id, body.text)
    return ChatOut(messages=[ChatMessageOut(text=r.text, custom=r.custom) for r in replies])
