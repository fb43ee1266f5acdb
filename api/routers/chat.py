"""Web chat: a WebSocket at /chat/ws (the widget's first choice) and POST /chat/messages
(its fallback, and for anything that cannot hold a socket open). Same gateway, same replies."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError

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
    result = await gateway.handle_inbound("web", body.client_id, body.text)
    return ChatOut(messages=[ChatMessageOut(text=r.text, custom=r.custom)
                             for r in result.replies])


def _origin_allowed(websocket: WebSocket) -> bool:
    """Browsers send Origin on a WebSocket but CORS does not apply: check it ourselves."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    own = f"{websocket.url.scheme.replace('ws', 'http')}://{websocket.headers.get('host', '')}"
    settings = websocket.app.state.settings
    return origin.rstrip("/") in {own, *settings.widget_origins}


@router.websocket("/ws")
async def chat_socket(websocket: WebSocket) -> None:
    """One JSON object per message: {"id", "client_id", "text"} -> {"id", "messages"}."""
    if not _origin_allowed(websocket):
        await websocket.close(code=1008)
        return
    await websocket.accept()
    gateway = websocket.app.state.gateway
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                payload = json.loads(raw)
                data = ChatIn.model_validate(payload)
            except (ValueError, ValidationError):
                await websocket.send_json({"id": None, "error": 'bad message: send '
                                           '{"id": "...", "client_id": "...", "text": "..."}'})
                continue
            request_id = payload.get("id")
            result = await gateway.handle_inbound("web", data.client_id, data.text)
            out = ChatOut(messages=[ChatMessageOut(text=r.text, custom=r.custom)
                                    for r in result.replies])
            await websocket.send_json({"id": None if request_id is None else str(request_id)[:64],
                                       **out.model_dump()})
    except WebSocketDisconnect:
        return
