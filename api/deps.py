"""FastAPI dependency aliases used by the routers.

Console pages (HTML) sign in with a session cookie: without one they redirect to the login
page, and every POST must carry the session's CSRF token. The JSON API takes a bearer token:
without one it answers 401. Both answer 403 to a coach on an admin-only route.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from api.services import accounts
from api.services.accounts import Coach, ConsoleLogin
from api.services.gateway import Gateway
from api.services.handoff import HandoffDesk
from api.settings import Settings

SESSION_COOKIE = "navigator_session"


class LoginRequired(Exception):  # noqa: N818 (handled in main: a redirect to the login page)
    def __init__(self, next_path: str):
        self.next_path = next_path


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_gateway(request: Request) -> Gateway:
    return request.app.state.gateway


def get_desk(request: Request) -> HandoffDesk:
    return request.app.state.desk


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
GatewayDep = Annotated[Gateway, Depends(get_gateway)]
DeskDep = Annotated[HandoffDesk, Depends(get_desk)]


def console_login(request: Request, session: SessionDep) -> ConsoleLogin:
    login = accounts.console_login(session, request.cookies.get(SESSION_COOKIE))
    if login is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(quote(path, safe="/?=&"))
    request.state.csrf_token = login.csrf_token  # templates put it in every form
    return login


async def checked_console_login(request: Request,
                                login: Annotated[ConsoleLogin, Depends(console_login)],
                                ) -> ConsoleLogin:
    """A signed-in coach whose form carries the session's CSRF token (every console POST)."""
    form = await request.form()
    given = form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if not accounts.csrf_matches(login.csrf_token, given if isinstance(given, str) else None):
        raise HTTPException(403, "the form expired or did not come from the console: "
                                 "reload the page and try again")
    return login


def console_coach(login: Annotated[ConsoleLogin, Depends(console_login)]) -> Coach:
    return login.coach


def console_coach_post(login: Annotated[ConsoleLogin, Depends(checked_console_login)]) -> Coach:
    return login.coach


def _admin(coach: Coach) -> Coach:
    if not coach.is_admin:
        raise HTTPException(403, "this page is for admins")
    return coach


def console_admin(coach: Annotated[Coach, Depends(console_coach)]) -> Coach:
    return _admin(coach)


def console_admin_post(coach: Annotated[Coach, Depends(console_coach_post)]) -> Coach:
    return _admin(coach)


def api_coach(request: Request, session: SessionDep) -> Coach:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    coach = accounts.bearer_coach(session, token.strip()) if scheme.lower() == "bearer" else None
    if coach is None:
        raise HTTPException(401, "a valid bearer token is required (POST /api/v1/auth/token)",
                            headers={"WWW-Authenticate": "Bearer"})
    return coach


def api_admin(coach: Annotated[Coach, Depends(api_coach)]) -> Coach:
    return _admin(coach)


# Console (cookie) users; *Post variants also check the CSRF token.
CoachUser = Annotated[Coach, Depends(console_coach)]
CoachUserPost = Annotated[Coach, Depends(console_coach_post)]
AdminUser = Annotated[Coach, Depends(console_admin)]
AdminUserPost = Annotated[Coach, Depends(console_admin_post)]
# JSON API (bearer token) users.
ApiCoach = Annotated[Coach, Depends(api_coach)]
ApiAdmin = Annotated[Coach, Depends(api_admin)]
