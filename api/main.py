"""The FastAPI app. Run with `uvicorn --factory api.main:create_app` (navigator serve api)."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.deps import LoginRequired
from api.logs import configure_logging, secret_values
from api.routers import (
    chat,
    coach,
    coach_api,
    directory_care,
    health,
    hsds,
    interpret,
    lookup,
    site,
    sms,
)
from api.services.crisis_model import load_classifier
from api.services.crypto import Vault
from api.services.gateway import Gateway
from api.services.handoff import HandoffDesk
from api.services.limits import RateLimiter
from api.services.live import ChatSockets, CoachEvents
from api.services.rasa_client import RasaClient
from api.services.store import MessageStore
from api.services.twilio_send import SmsSender
from api.settings import Settings, get_settings
from resources_db.db import make_engine, make_session_factory

STATIC = Path(__file__).resolve().parent / "static"


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}
# Pages: our own scripts and styles only; the widget talks to this origin (and its socket).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'")


def add_protections(app: FastAPI, settings: Settings) -> None:
    @app.middleware("http")
    async def _protect(request: Request, call_next):  # noqa: ANN001, ANN202
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return JSONResponse({"detail": "request body too large"}, status_code=413)
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        return response


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = make_engine(settings.database_url)
        app.state.sessions = make_session_factory(engine)
        rasa = RasaClient(settings.rasa_endpoints, settings.rasa_token, settings.rasa_timeout_s,
                          connect_timeout_s=settings.rasa_connect_timeout_s)
        vault = Vault(settings.data_encryption_key)
        store = MessageStore(app.state.sessions, vault)
        app.state.sms_sender = SmsSender(
            settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from_number,
            status_callback=settings.public_base_url.rstrip("/") + "/sms/status",
            api_base=settings.twilio_api_base)
        app.state.desk = HandoffDesk(app.state.sessions, vault, CoachEvents(), ChatSockets(),
                                     app.state.sms_sender, rasa, settings.coach_hours)
        app.state.gateway = Gateway(rasa, settings.pseudonym_key, settings.max_message_chars,
                                    store, RateLimiter(settings.messages_per_minute),
                                    app.state.desk)
        app.state.login_limiter = RateLimiter(settings.login_attempts_per_minute)
        app.state.background = set()  # out-of-band sends in flight (kept referenced)
        # The crisis net's learned layer, loaded (or trained, on a first start) off the event
        # loop; a message that needs it meanwhile waits for it, the rules answer at once.
        threading.Thread(target=load_classifier, name="crisis-model", daemon=True).start()
        yield
        await rasa.aclose()
        engine.dispose()

    configure_logging(secrets=secret_values(settings))
    app = FastAPI(title="Recovery-to-Work Navigator", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    if settings.widget_origins:
        # Only the configured host sites may call the chat API from a browser; no cookies.
        app.add_middleware(CORSMiddleware, allow_origins=settings.widget_origins,
                           allow_methods=["POST"], allow_headers=["Content-Type"])
    add_protections(app, settings)
    app.include_router(health.router)
    app.include_router(chat.router)
    app.include_router(sms.router)
    app.include_router(interpret.router)
    app.include_router(site.router)
    app.include_router(hsds.router)
    app.include_router(coach.router)
    app.include_router(lookup.router)
    app.include_router(directory_care.router)
    app.include_router(coach_api.router)

    @app.exception_handler(LoginRequired)
    async def _to_login(_request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/coach/login?next={exc.next_path}", status_code=303)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
