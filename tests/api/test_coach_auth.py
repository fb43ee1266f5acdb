"""Accounts and access: every console and coach API route refuses a visitor who is not signed
in (a redirect to the login page, or 401), admin routes refuse coaches (403), forms need the
session's CSRF token, wrong passwords lock an account, and disabled accounts stop at once."""

from __future__ import annotations

import os
import subprocess

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import deps
from api.main import create_app
from api.services import accounts
from resources_db.coaching import AuditEntry, CoachUser
from resources_db.db import make_engine, make_session_factory
from tests.coach_login import PASSWORD, console_csrf, log_in, make_coach
from tests.conftest import ROOT

# Open to everyone by design: the login form, token exchange and the engine's parse.
PUBLIC = {("GET", "/coach/login"), ("POST", "/coach/login"), ("POST", "/api/v1/auth/token"),
          ("POST", "/api/v1/interpret"), ("GET", "/api/v1/interpret")}
ADMIN_DEPS = {deps.console_admin, deps.console_admin_post, deps.api_admin}


@pytest.fixture
def https_client(settings_engine_down):
    with TestClient(create_app(settings_engine_down), base_url="https://testserver") as client:
        yield client


def coach_routes(app) -> list[tuple[str, str, APIRoute]]:  # noqa: ANN001
    out = []
    routes = []
    for route in app.routes:  # FastAPI keeps included routers as such: look inside them
        included = getattr(route, "original_router", None)
        routes.extend(included.routes if included is not None else [route])
    for route in routes:
        if isinstance(route, APIRoute) and route.path.startswith(("/coach", "/api/v1")):
            for method in route.methods - {"HEAD"}:
                if (method, route.path) not in PUBLIC:
                    out.append((method, route.path.replace("{", "").replace("}", ""), route))
    return out


def needs_admin(route: APIRoute) -> bool:
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        if dependency.call in ADMIN_DEPS:
            return True
        stack.extend(dependency.dependencies)
    return False


def test_every_coach_route_refuses_a_visitor_who_is_not_signed_in(https_client):
    routes = coach_routes(https_client.app)
    assert len(routes) >= 12  # the console and the coach API are all here
    for method, path, _route in routes:
        response = https_client.request(method, path, follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/coach/login"), (method, path)


def test_admin_routes_refuse_a_coach(https_client, seeded_db_url):
    email = make_coach(seeded_db_url)
    assert log_in(https_client, email).status_code == 303
    csrf = console_csrf(https_client)
    token = https_client.post("/api/v1/auth/token",
                              json={"email": email, "password": PASSWORD}).json()["access_token"]
    admin_routes = [r for r in coach_routes(https_client.app) if needs_admin(r[2])]
    assert len(admin_routes) >= 5  # review, resolve, edit (GET + POST), stale, audit
    for method, path, _route in admin_routes:
        kwargs = {"headers": {"Authorization": f"Bearer {token}"}} if path.startswith("/api/") \
            else {"data": {"csrf_token": csrf}} if method == "POST" else {}
        response = https_client.request(method, path, follow_redirects=False, **kwargs)
        assert response.status_code == 403, (method, path, response.status_code)


def test_console_forms_need_the_sessions_csrf_token(https_client, seeded_db_url):
    log_in(https_client, make_coach(seeded_db_url))
    refused = https_client.post("/coach/logout", data={"csrf_token": "forged"},
                                follow_redirects=False)
    assert refused.status_code == 403
    assert https_client.get("/coach", follow_redirects=False).status_code == 200  # still in
    csrf = console_csrf(https_client)
    assert https_client.post("/coach/logout", data={"csrf_token": csrf},
                             follow_redirects=False).status_code == 303
    assert https_client.get("/coach", follow_redirects=False).status_code == 303  # logged out


def test_the_login_form_itself_needs_its_csrf_cookie(https_client, seeded_db_url):
    email = make_coach(seeded_db_url)
    response = https_client.post("/coach/login", data={
        "email": email, "password": PASSWORD, "csrf_token": "made-up"}, follow_redirects=False)
    assert "expired" in response.headers["location"]
    assert https_client.get("/coach", follow_redirects=False).status_code == 303


def test_session_cookie_is_httponly_and_secure_on_https(https_client, seeded_db_url):
    response = log_in(https_client, make_coach(seeded_db_url))
    cookie = response.headers["set-cookie"]
    assert "navigator_session=" in cookie
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie


def test_five_wrong_passwords_lock_the_account(https_client, seeded_db_url):
    email = make_coach(seeded_db_url)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        response = log_in(https_client, email, "wrong password, sorry")
        assert "wrong+email+or+password" in response.headers["location"]
    locked = log_in(https_client, email)  # even the right password, for now
    assert "locked" in locked.headers["location"]
    engine = make_engine(seeded_db_url)
    with make_session_factory(engine)() as session:
        assert session.scalar(select(CoachUser.locked_until).where(CoachUser.email == email))
        failures = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "login_failed", AuditEntry.detail == email)).all()
        assert len(failures) == accounts.MAX_FAILED_LOGINS + 1
    engine.dispose()


def test_too_many_logins_from_one_address_are_slowed(settings_engine_down, seeded_db_url):
    settings = settings_engine_down.model_copy(update={"login_attempts_per_minute": 3})
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        email = make_coach(seeded_db_url)
        answers = [log_in(client, email, "nope, wrong").headers["location"] for _ in range(4)]
    assert "Too+many+login+attempts" in answers[-1]


def test_passwords_are_stored_as_argon2_hashes_and_short_ones_refused(seeded_db_url):
    engine = make_engine(seeded_db_url)
    with make_session_factory(engine)() as session:
        with pytest.raises(accounts.AccountError, match="at least"):
            accounts.add_coach(session, "short@example.org", "tooshort")
        email = make_coach(seeded_db_url)
        stored = session.scalar(select(CoachUser.password_hash).where(CoachUser.email == email))
    engine.dispose()
    assert stored.startswith("$argon2") and PASSWORD not in stored


def test_navigator_coach_add_and_disable(tmp_path, seeded_db_url):
    """The CLI as an admin uses it: password from stdin; disabling signs the person out."""
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(seeded_db_url.removeprefix("sqlite:///"), db)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "ENVIRONMENT": "test"}
    navigator = str(ROOT / ".venv" / "bin" / "navigator")
    added = subprocess.run([navigator, "coach", "add", "sam@example.org", "--role", "admin",
                            "--name", "Sam"], input=PASSWORD + "\n", env=env,
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert "added sam@example.org as admin" in added.stdout
    again = subprocess.run([navigator, "coach", "add", "sam@example.org"], input=PASSWORD + "\n",
                           env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "already has an account" in again.stderr

    engine = make_engine(f"sqlite:///{db}")
    sessions = make_session_factory(engine)
    with sessions() as session:
        coach = accounts.authenticate(session, "sam@example.org", PASSWORD)
        assert coach.role == "admin" and coach.display_name == "Sam"
        cookie, _csrf = accounts.start_console_session(session, coach)
        token, _ = accounts.issue_api_token(session, coach)
    disabled = subprocess.run([navigator, "coach", "disable", "SAM@example.org"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert disabled.returncode == 0, disabled.stderr
    with sessions() as session:
        assert accounts.console_login(session, cookie) is None
        assert accounts.bearer_coach(session, token) is None
        with pytest.raises(accounts.AccountError):
            accounts.authenticate(session, "sam@example.org", PASSWORD)
    engine.dispose()
