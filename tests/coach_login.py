"""Coach accounts and console logins for tests, through the real login form."""

from __future__ import annotations

import re
import uuid

from api.services import accounts
from resources_db.db import make_engine, make_session_factory

PASSWORD = "a long enough test password"
HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_coach(db_url: str, role: str = "coach", name: str | None = None) -> str:
    """A new account in that database; returns its email (password: PASSWORD)."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        accounts.add_coach(session, email, PASSWORD, role=role, display_name=name)
    engine.dispose()
    return email


def new_coach(sessions, role: str = "coach") -> accounts.Coach:  # noqa: ANN001
    """A new account through an open session factory; returns the coach (password: PASSWORD)."""
    with sessions() as session:
        return accounts.add_coach(session, f"{role}-{uuid.uuid4().hex[:8]}@example.org",
                                  PASSWORD, role=role)


def csrf_of(html: str) -> str:
    match = HIDDEN_CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def log_in(client, email: str, password: str = PASSWORD):  # noqa: ANN001, ANN201
    """Logs the test client in (it keeps the cookie); returns the login POST's response."""
    form = client.get("/coach/login")
    return client.post("/coach/login", data={"email": email, "password": password,
                                             "csrf_token": csrf_of(form.text),
                                             "next": "/coach"}, follow_redirects=False)


def console_csrf(client) -> str:  # noqa: ANN001
    """The signed-in session's CSRF token, as the console's forms carry it."""
    return csrf_of(client.get("/coach").text)
