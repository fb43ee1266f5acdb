"""POST /sms/inbound: the Twilio webhook. Verifies the signature and answers with TwiML."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from api.deps import GatewayDep, SettingsDep
from api.services.gateway import Gateway
from api.services.sms_render import render_sms
from api.services.twilio_send import SmsSender

log = logging.getLogger(__name__)
router = APIRouter(prefix="/sms", tags=["sms"])

TWIML = "application/xml"


def twiml(text: str | None) -> Response:
    response = MessagingResponse()
    if text:
        response.message(text)
    return Response(content=str(response), media_type=TWIML)


async def signed_params(request: Request, settings: SettingsDep) -> dict[str, str] | None:
    """The webhook's form fields when X-Twilio-Signature is right, else None."""
    form = await request.form()
    params = {k: v for k, v in form.items() if isinstance(v, str)}
    # Twilio signs the public URL it called, which is not what we see behind a proxy.
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    validator = RequestValidator(settings.twilio_auth_token)
    if not validator.validate(url, params, request.headers.get("X-Twilio-Signature", "")):
        log.warning("sms webhook %s rejected: bad signature", request.url.path)
        return None
    return params


FORBIDDEN = Response("invalid signature", status_code=403, media_type="text/plain")


@router.post("/inbound")
async def inbound(request: Request, settings: SettingsDep, gateway: GatewayDep) -> Response:
    params = await signed_params(request, settings)
    if params is None:
        return FORBIDDEN
    sender = params.get("From", "")
    if not sender:
        return Response("missing From", status_code=400, media_type="text/plain")
    turn = asyncio.ensure_future(gateway.handle_inbound(
        "sms", sender, params.get("Body", ""), provider_sid=params.get("MessageSid") or None))
    try:
        # Answer inline when the turn is quick; the turn itself is never cancelled.
        result = await asyncio.wait_for(asyncio.shield(turn), settings.sms_inline_timeout_s)
    except TimeoutError:
        task = asyncio.ensure_future(send_when_done(turn, sender, request.app.state.sms_sender,
                                                    gateway))
        request.app.state.background.add(task)
        task.add_done_callback(request.app.state.background.discard)
        return twiml(None)
    return twiml(render_sms(result.replies))


async def send_when_done(turn: asyncio.Future, to: str, sender: SmsSender,
                         gateway: Gateway) -> None:
    """Finish a slow turn and send its answer through the Twilio REST API."""
    result = await turn
    text = render_sms(result.replies)
    if not text or result.outbound_id is None:
        return
    crisis = any((m.custom or {}).get("crisis") for m in result.replies)
    if not crisis and gateway.store.is_opted_out(result.conversation_id):
        return  # STOP arrived while this turn was running
    sid = await sender.send(to, text)
    gateway.store.mark_sent(result.outbound_id, sid)
    if sid is None:
        log.error("reply for %s could not be sent after retries", result.conversation_id)


@router.post("/status")
async def status(request: Request, settings: SettingsDep, gateway: GatewayDep) -> Response:
    """Twilio's delivery status callback for messages we sent (queued, sent, delivered...)."""
    params = await signed_params(request, settings)
    if params is None:
        return FORBIDDEN
    sid, state = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if not sid or not state:
        return Response("MessageSid and MessageStatus are required", status_code=400,
                        media_type="text/plain")
    known = gateway.store.record_status(sid, state, params.get("ErrorCode"))
    # 200 either way: Twilio must not retry a callback for a message we do not know.
    return Response(status_code=200 if known else 202)
