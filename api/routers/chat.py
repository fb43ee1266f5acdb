"""Web chat: a WebSocket at /chat/ws (the widget's first choice) and POST /chat/messages
(its fallback, and for anything that cannot hold a socket open). Same gateway, same replies.

A coach's messages reach the widget pushed on its open socket ({"push": true, ...}), or from
GET /chat/updates when it has no socket (polling) or comes back (reconnect with history)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError

from api.deps import DeskDep, GatewayDep

router = APIRouter(prefix="/chat", tags=["chat"])

CLIENT_ID = {"min_length": 8, "max_length": 64, "pattern": r"^[A-Za-z0-9-]+$"}


class ChatIn(BaseModel):
    client_id: str = Field(**CLIENT_ID)
    text: str = Field(max_length=5000)


class HelloIn(BaseModel):
    """Sent by the widget when its socket opens: where to push, and what it last saw."""

    type: str = Field(pattern="^hello$")
    client_id: str = Field(**CLIENT_ID)
    after: dt.datetime | None = None


class ChatMessageOut(BaseModel):
    text: str | None = None
    custom: dict[str, Any] | None = None


class ChatOut(BaseModel):
    messages: list[ChatMessageOut]


class UpdatesOut(BaseModel):
    messages: list[dict[str, str]]


@router.post("/messages")
async def post_message(body: ChatIn, gateway: GatewayDep) -> ChatOut:
    result = await gateway.handle_inbound("web", body.client_id, body.text)
    return ChatOut(messages=[ChatMessageOut(text=r.text, custom=r.custom)
                             for r in result.replies])


@router.get("/updates")
async def updates(gateway: GatewayDep, desk: DeskDep,
                  client_id: Annotated[str, Query(**CLIENT_ID)],
                  after: dt.datetime | None = None) -> UpdatesOut:
    """Coach messages for this widget since `after` (an "at" it was given)."""
    conversation = gateway.conversation_id("web", client_id)
    return UpdatesOut(messages=desk.messages_for_widget(conversation, after))


def _origin_allowed(websocket: WebSocket) -> bool:
    """Browsers send Origin on a WebSocket but CORS does not apply: check it ourselves."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    own = f"{websocket.url.scheme.replace('ws', 'http')}://{websocket.headers.get('host', '')}"
    settings = websocket.app.state.settings
    return origin.rstrip("/") in {own, *settings.widget_origins}


BAD_MESSAGE = {"id": None, "error": 'bad message: send {"id": "...", "client_id": "...", '
                                    '"text": "..."}'}


@router.websocket("/ws")
async def chat_socket(websocket: WebSocket) -> None:
    """One JSON object per message: {"id", "client_id", "text"} -> {"id", "messages"};
    {"type": "hello", "client_id", "after"} -> pushes of coach messages from then on."""
    if not _origin_allowed(websocket):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    gateway, desk = websocket.app.state.gateway, websocket.app.state.desk
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                payload = json.loads(raw)
                if isinstance(payload, dict) and payload.get("type") == "hello":
                    hello = HelloIn.model_validate(payload)
                    conversation = gateway.conversation_id("web", hello.client_id)
                    desk.sockets.add(conversation, websocket)
                    missed = desk.messages_for_widget(conversation, hello.after)
                    if missed:
                        await websocket.send_json({"id": None, "push": True, "messages": missed})
                    continue
                data = ChatIn.model_validate(payload)
            except (ValueError, ValidationError):
                await websocket.send_json(BAD_MESSAGE)
                continue
            desk.sockets.add(gateway.conversation_id("web", data.client_id), websocket)
            request_id = payload.get("id")
            result = await gateway.handle_inbound("web", data.client_id, data.text)
            out = ChatOut(messages=[ChatMessageOut(text=r.text, custom=r.custom)
                                    for r in result.replies])
            await websocket.send_json({"id": None if request_id is None else str(request_id)[:64],
                                       **out.model_dump()})
    except WebSocketDisconnect:
        return
    finally:
        desk.sockets.remove(websocket)
