"""The coach console: log in, the live queue, one conversation (transcript, reply, resource
picker, private notes, hand back, close). Server-rendered pages; coach.js only refreshes
fragments when the event stream says something changed."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from actions.formatting import format_details
from api.deps import (
    SESSION_COOKIE,
    CoachUser,
    CoachUserPost,
    DeskDep,
    SessionDep,
    SettingsDep,
)
from api.services import accounts
from api.services.handoff import HandoffError, QueueRow, audit, short_id
from api.services.lookup import lookup
from resources_db.schedules import PA_TZ
from resources_db.search import get_resource
from resources_db.taxonomy import PERSON_NEEDS

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
router = APIRouter(prefix="/coach", tags=["coach console"])

LOGIN_CSRF_COOKIE = "navigator_login_csrf"
CHANNEL_NAMES = {"sms": "SMS", "web": "web chat"}
REASON_TEXT = {"asked": "asked for a person", "not_understood": "bot did not understand twice",
               "crisis": "CRISIS", "coach": "coach reached out"}
AUTHOR_NAMES = {"person": "Person", "bot": "Navigator bot", "coach": "Coach",
                "system": "Notice"}
PICKER_NEEDS = [(code, code.replace("_", " ")) for code in PERSON_NEEDS]
SSE_KEEPALIVE_S = 15


def page(request: Request, template: str, coach: accounts.Coach | None, **context: Any,
         ) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, {"coach": coach, **context})


def back_to(path: str, notice: str | None = None, problem: str | None = None) -> Response:
    """Post/redirect/get, with a short message for the next page."""
    query = urlencode({k: v for k, v in (("notice", notice), ("problem", problem)) if v})
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)


def safe_next(path: str | None) -> str:
    # Only our own console pages: never an open redirect to another site.
    return path if path and path.startswith("/coach") and not path.startswith("//") else "/coach"


# --- login ------------------------------------------------------------------------------------

@router.get("/login", include_in_schema=False)
async def login_page(request: Request, next: str = "/coach",  # noqa: A002
                     problem: str | None = None) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = page(request, "coach/login.html", None, next_path=safe_next(next),
                    login_csrf=token, problem=problem)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.app.state.settings.secure_cookies, path="/coach")
    return response


@router.post("/login", include_in_schema=False)
async def login(request: Request, session: SessionDep, settings: SettingsDep,
                email: Annotated[str, Form(max_length=254)],
                password: Annotated[str, Form(max_length=1024)],
                csrf_token: Annotated[str, Form()] = "",
                next: Annotated[str, Form()] = "/coach") -> Response:  # noqa: A002
    if not accounts.csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return back_to("/coach/login", problem="The login form expired: please try again.")
    client = request.client.host if request.client else "unknown"
    if not request.app.state.login_limiter.allow(f"login:{client}"):
        return back_to("/coach/login", problem="Too many login attempts: wait a minute.")
    try:
        coach = accounts.authenticate(session, email, password)
    except accounts.AccountError as error:
        audit(session, "login_failed", detail=accounts.normal_email(email)[:100])
        session.commit()
        return back_to("/coach/login", problem=f"Could not log in: {error}.")
    token, _csrf = accounts.start_console_session(session, coach)
    audit(session, "login", coach.id)
    session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=settings.secure_cookies,
                        max_age=int(accounts.SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/coach")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, coach: CoachUserPost, session: SessionDep) -> Response:
    accounts.end_console_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/coach/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- queue ------------------------------------------------------------------------------------

def waited(since: dt.datetime, now: dt.datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"


def queue_view(rows: list[QueueRow]) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    return [{**row.__dict__, "tag": short_id(row.conversation_id),
             "waiting_for": waited(row.waiting_since, now),
             "channel_name": CHANNEL_NAMES.get(row.channel, row.channel),
             "reason_text": REASON_TEXT.get(row.reason, row.reason),
             "first_message": (row.first_message or "")[:200]} for row in rows]


@router.get("", include_in_schema=False)
async def queue_page(request: Request, coach: CoachUser, desk: DeskDep,
                     notice: str | None = None, problem: str | None = None) -> HTMLResponse:
    return page(request, "coach/queue.html", coach, rows=queue_view(desk.queue()),
                notice=notice, problem=problem)


@router.get("/queue/rows", include_in_schema=False)
async def queue_rows(request: Request, coach: CoachUser, desk: DeskDep) -> HTMLResponse:
    return page(request, "coach/queue_rows.html", coach, rows=queue_view(desk.queue()))


@router.get("/events", include_in_schema=False)
async def events(request: Request, coach: CoachUser, desk: DeskDep) -> StreamingResponse:
    """Server-sent events: ids and kinds only ("queue", "message", "alert")."""

    async def stream():  # noqa: ANN202
        yield "retry: 3000\n\n"
        subscription = desk.events.subscribe()
        next_event = asyncio.ensure_future(anext(subscription))
        try:
            while not await request.is_disconnected():
                done, _ = await asyncio.wait({next_event}, timeout=SSE_KEEPALIVE_S)
                if not done:
                    yield ": keep-alive\n\n"
                    continue
                event = next_event.result()
                next_event = asyncio.ensure_future(anext(subscription))
                yield f"event: {event['kind']}\ndata: {json.dumps(event)}\n\n"
        finally:
            next_event.cancel()
            await subscription.aclose()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# --- one conversation -------------------------------------------------------------------------

def _conversation_or_404(desk: DeskDep, conversation_id: str):  # noqa: ANN202
    try:
        return desk.conversation_state(conversation_id)
    except HandoffError as error:
        raise HTTPException(404, str(error)) from None


@router.get("/conversations/{conversation_id}", include_in_schema=False)
async def conversation_page(request: Request, conversation_id: str, coach: CoachUser,
                            desk: DeskDep, session: SessionDep, need: str = "jobs",
                            place: str = "", notice: str | None = None,
                            problem: str | None = None) -> HTMLResponse:
    conversation, handoff = _conversation_or_404(desk, conversation_id)
    held_by_me = handoff is not None and handoff.state == "claimed" \
        and handoff.coach_id == coach.id
    if handoff is None:
        state_text = "With the bot."
    elif handoff.state == "waiting":
        state_text = f"Waiting for a coach ({REASON_TEXT.get(handoff.reason, handoff.reason)})."
    else:
        state_text = "You hold this conversation: the bot is silent." if held_by_me else \
            "Another coach holds this conversation."
    if handoff is not None and handoff.urgency == "urgent":
        state_text = f"URGENT ({REASON_TEXT.get(handoff.reason, handoff.reason)}). {state_text}"
    picker = {"need": need, "place": place, "hits": [], "problem": None}
    if place.strip():
        found = lookup(session, need, place=place, limit=5)
        picker.update(hits=found.hits, problem=found.problem)
    return page(request, "coach/conversation.html", coach, conversation_id=conversation_id,
                tag=short_id(conversation_id),
                channel_name=CHANNEL_NAMES.get(conversation.channel, conversation.channel),
                opted_out=conversation.opted_out, state_text=state_text, held_by_me=held_by_me,
                can_claim=handoff is None or handoff.state == "waiting",
                lines=desk.transcript(conversation_id, coach.id), notes=desk.notes(conversation_id),
                author_names=AUTHOR_NAMES, tz=PA_TZ, needs=PICKER_NEEDS, picker=picker,
                notice=notice, problem=problem)


@router.get("/conversations/{conversation_id}/messages", include_in_schema=False)
async def transcript_fragment(request: Request, conversation_id: str, coach: CoachUser,
                              desk: DeskDep) -> HTMLResponse:
    _conversation_or_404(desk, conversation_id)
    return page(request, "coach/transcript.html", coach, author_names=AUTHOR_NAMES, tz=PA_TZ,
                lines=desk.transcript(conversation_id, coach.id, via="live refresh"))


def _here(conversation_id: str) -> str:
    return f"/coach/conversations/{conversation_id}"


async def _act(call: Awaitable[Any], refused: str, done: str,
               notice: Callable[[Any], str]) -> Response:
    """A desk action, then back to a page: `done` with a notice, or `refused` saying why."""
    try:
        result = await call
    except HandoffError as error:
        return back_to(refused, problem=str(error))
    return back_to(done, notice=notice(result))


def _sent(what: str = "") -> Callable[[str], str]:
    return lambda status: f"Sent{what} ({status.replace('_', ' ')})."


@router.post("/conversations/{conversation_id}/claim", include_in_schema=False)
async def claim(conversation_id: str, coach: CoachUserPost, desk: DeskDep) -> Response:
    return await _act(desk.claim(conversation_id, coach.id), "/coach", _here(conversation_id),
                      lambda _: "You hold this conversation now.")


@router.post("/conversations/{conversation_id}/reply", include_in_schema=False)
async def reply(conversation_id: str, coach: CoachUserPost, desk: DeskDep,
                text: Annotated[str, Form(max_length=1600)]) -> Response:
    here = _here(conversation_id)
    return await _act(desk.reply(conversation_id, coach.id, text), here, here, _sent())


@router.post("/conversations/{conversation_id}/send-resource", include_in_schema=False)
async def send_resource(conversation_id: str, coach: CoachUserPost, desk: DeskDep,
                        session: SessionDep, resource_id: Annotated[str, Form(max_length=100)],
                        need: Annotated[str, Form(max_length=20)] = "jobs") -> Response:
    here = _here(conversation_id)
    hit = get_resource(session, resource_id, need)
    if hit is None:
        return back_to(here, problem="That resource is no longer listed.")
    text, _payload = format_details(hit)
    return await _act(desk.reply(conversation_id, coach.id, text, action="send_resource",
                                 service_id=resource_id), here, here, _sent(f" {hit.name}"))


@router.post("/conversations/{conversation_id}/notes", include_in_schema=False)
async def add_note(conversation_id: str, coach: CoachUserPost, desk: DeskDep,
                   text: Annotated[str, Form(max_length=4000)]) -> Response:
    here = _here(conversation_id)
    return await _act(asyncio.to_thread(desk.add_note, conversation_id, coach.id, text), here,
                      here, lambda _: "Note saved.")


@router.post("/conversations/{conversation_id}/hand-back", include_in_schema=False)
async def hand_back(conversation_id: str, coach: CoachUserPost, desk: DeskDep) -> Response:
    return await _act(desk.hand_back(conversation_id, coach.id), _here(conversation_id), "/coach",
                      lambda _: f"Conversation {short_id(conversation_id)} is back with the bot.")


@router.post("/conversations/{conversation_id}/close", include_in_schema=False)
async def close(conversation_id: str, coach: CoachUserPost, desk: DeskDep) -> Response:
    return await _act(desk.close(conversation_id, coach.id), _here(conversation_id), "/coach",
                      lambda _: f"Conversation {short_id(conversation_id)} closed.")
