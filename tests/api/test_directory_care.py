"""Directory care in the console: a coach flags an entry, an admin resolves it, edits and
verifies a service (search follows), the stale list and the audit log; access and CSRF.

Edits change the directory, so this module works on its own copy of the seeded database."""

from __future__ import annotations

import datetime as dt
import uuid
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from api.services import accounts
from api.services.directory_care import service_form, today_pa
from api.services.lookup import lookup
from resources_db.coaching import AuditEntry, ReviewItem
from resources_db.db import make_engine, make_session_factory
from resources_db.models import Service
from resources_db.schedules import PA_TZ
from tests.coach_login import HIDDEN_CSRF, PASSWORD, new_coach
from tests.conftest import seeded_copy

WARREN = "PA CareerLink Warren"


@pytest.fixture(scope="module")
def own_db_url(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The directory of its own: accounts, edits and held conversations stay out of other
    tests' queues and searches."""
    # Seeded with --demo: the console must show demo records as DEMO (and refuse to verify
    # them) wherever an operator turned demo on.
    return seeded_copy(demo_db_url, tmp_path_factory.mktemp("care"))


@pytest.fixture
def sessions(own_db_url: str):
    engine = make_engine(own_db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def client(settings_engine_down, own_db_url: str):  # noqa: ANN001
    settings = settings_engine_down.model_copy(update={"database_url": own_db_url})
    with TestClient(create_app(settings), base_url="https://testserver") as c:
        yield c


def log_in(client, coach: accounts.Coach) -> str:  # noqa: ANN001
    """Logs the client in; returns the session's CSRF token as console forms carry it."""
    form = client.get("/coach/login")
    response = client.post("/coach/login", data={
        "email": coach.email, "password": PASSWORD, "next": "/coach/lookup",
        "csrf_token": HIDDEN_CSRF.search(form.text).group(1)})
    assert response.status_code == 200 and str(response.url).endswith("/coach/lookup")
    return HIDDEN_CSRF.search(response.text).group(1)


def service_id(sessions, name: str) -> str:  # noqa: ANN001
    with sessions() as session:
        return session.scalar(select(Service.id).where(Service.name == name))


def demo_service_id(sessions) -> str:  # noqa: ANN001
    with sessions() as session:
        return session.scalar(select(Service.id).where(Service.is_demo.is_(True)).limit(1))


ADMIN_PAGES = ["/coach/admin/review", "/coach/admin/stale", "/coach/admin/audit",
               "/coach/admin/services/{sid}"]
ADMIN_POSTS = ["/coach/admin/review/1/resolve", "/coach/admin/services/{sid}"]


def test_every_route_needs_a_console_login(client, sessions):
    sid = service_id(sessions, WARREN)
    for path in ADMIN_PAGES:
        response = client.get(path.format(sid=sid), follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/coach/login?next=/coach/admin/"), path
    for path in [*ADMIN_POSTS, f"/coach/resources/{sid}/flag"]:
        response = client.post(path.format(sid=sid), data={"comment": "x", "name": "y"},
                               follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/coach/login"), path


def test_admin_routes_refuse_a_coach(client, sessions):
    sid = service_id(sessions, WARREN)
    csrf = log_in(client, new_coach(sessions))
    for path in ADMIN_PAGES:
        assert client.get(path.format(sid=sid)).status_code == 403, path
    for path in ADMIN_POSTS:
        response = client.post(path.format(sid=sid), data={"csrf_token": csrf, "name": "Hacked"})
        assert response.status_code == 403, path
    with sessions() as session:
        assert session.get(Service, sid).name == WARREN


def test_a_coach_flag_reaches_the_review_queue_and_is_resolved(client, sessions):
    sid = service_id(sessions, WARREN)
    coach = new_coach(sessions)
    csrf = log_in(client, coach)
    comment = f"The number rang out, twice ({uuid.uuid4().hex[:6]})"
    back = "/coach/lookup?need=careerlink&zip=16501"
    flagged = client.post(f"/coach/resources/{sid}/flag",
                          data={"csrf_token": csrf, "comment": comment, "back": back},
                          follow_redirects=False)
    assert flagged.status_code == 303
    assert flagged.headers["location"].startswith(back + "&notice=Thanks")
    empty = client.post(f"/coach/resources/{sid}/flag",
                        data={"csrf_token": csrf, "comment": "  ", "back": "https://evil.example"},
                        follow_redirects=False)
    assert empty.headers["location"].startswith("/coach?problem=Not+flagged")  # not off-site
    gone = client.post("/coach/resources/no-such-id/flag",
                       data={"csrf_token": csrf, "comment": "wrong"}, follow_redirects=False)
    assert "no+longer+listed" in gone.headers["location"]
    forged = client.post(f"/coach/resources/{sid}/flag",
                         data={"csrf_token": "forged", "comment": "forged flag"})
    assert forged.status_code == 403
    with sessions() as session:  # a person's report ("that number didn't work") too
        session.add(ReviewItem(service_id=sid, source="person", comment="number didn't work"))
        session.commit()

    admin = new_coach(sessions, "admin")
    client.cookies.clear()
    csrf = log_in(client, admin)
    queue = unescape(client.get("/coach/admin/review").text)
    assert comment in queue and "forged flag" not in queue
    assert f"coach {coach.email}" in queue and "a person's report" in queue
    assert queue.index("number didn't work") < queue.index(comment)  # newest first
    assert f'href="/coach/admin/services/{sid}"' in queue and WARREN in queue
    with sessions() as session:
        item_id = session.scalar(select(ReviewItem.id).where(ReviewItem.comment == comment))

    bad = client.post(f"/coach/admin/review/{item_id}/resolve", data={"csrf_token": "nope"})
    assert bad.status_code == 403
    resolved = client.post(f"/coach/admin/review/{item_id}/resolve", data={"csrf_token": csrf})
    assert resolved.status_code == 200 and "Resolved." in resolved.text
    assert comment not in unescape(resolved.text)
    again = client.post(f"/coach/admin/review/{item_id}/resolve", data={"csrf_token": csrf})
    assert "already resolved" in again.text
    with sessions() as session:
        item = session.get(ReviewItem, item_id)
        assert item.state == "resolved" and item.resolved_by == admin.id
        assert item.resolved_at is not None and item.source == "coach"
        assert item.coach_id == coach.id


def test_an_admin_edit_and_verify_changes_search_and_the_stale_list(client, sessions):
    sid = service_id(sessions, WARREN)
    admin = new_coach(sessions, "admin")
    csrf = log_in(client, admin)
    stale = unescape(client.get("/coach/admin/stale").text)
    assert WARREN in stale and f'href="/coach/admin/services/{sid}"' in stale
    assert "(demo)" not in stale
    edit = client.get(f"/coach/admin/services/{sid}")
    assert edit.status_code == 200 and 'value="844-333-5248' in edit.text
    assert "I checked this today: mark verified" in edit.text

    form = {"csrf_token": csrf, "name": WARREN, "description": "Job search help, workshops.",
            "url": "https://www.pacareerlink.pa.gov/", "email": "warren@example.org",
            "phone": "814-555-0123", "mark_verified": "yes"}
    saved = client.post(f"/coach/admin/services/{sid}", data=form, follow_redirects=False)
    assert saved.status_code == 303 and "notice=Saved" in saved.headers["location"]
    assert "marked+verified+today" in saved.headers["location"]

    today = today_pa()
    assert today == dt.datetime.now(PA_TZ).date()
    with sessions() as session:
        service = session.get(Service, sid)
        assert service.assured_date == today and service.source_date == today.isoformat()
        assert service.email == "warren@example.org"
        assert service.url == "https://www.pacareerlink.pa.gov/"
        found = lookup(session, "careerlink", zip_code="16365", limit=3)  # Warren
        warren = next(h for h in found.hits if h.name == WARREN)  # with the board serving it
        assert warren.phone == "814-555-0123" and warren.verified == today.isoformat()
    assert WARREN not in unescape(client.get("/coach/admin/stale").text)
    page = unescape(client.get("/coach/lookup", params={"need": "careerlink",
                                                        "zip": "16501"}).text)
    assert f"Last verified: {today.isoformat()}" in page
    assert 'href="tel:+18145550123">814-555-0123<' in page


def test_a_bad_edit_is_shown_and_nothing_is_saved(client, sessions):
    sid = service_id(sessions, "PA CareerLink Mercer County (Sharon)")
    with sessions() as session:
        before = session.get(Service, sid)
        before_name, before_assured = before.name, before.assured_date
    csrf = log_in(client, new_coach(sessions, "admin"))
    form = {"csrf_token": csrf, "name": "Renamed office", "description": "",
            "url": "not a web address", "email": "nobody", "phone": "12",
            "mark_verified": "yes"}
    response = client.post(f"/coach/admin/services/{sid}", data=form)
    assert response.status_code == 422
    text = unescape(response.text)
    assert "Nothing was saved" in text
    assert "Web site: a full web address" in text and "Email: that does not look like" in text
    assert "Main phone number: a 10-digit phone number" in text
    assert 'value="Renamed office"' in text  # what was typed stays in the form
    assert 'aria-invalid="true"' in text
    nameless = client.post(f"/coach/admin/services/{sid}", data={**form, "name": " ",
                                                                  "url": "", "email": "",
                                                                  "phone": ""})
    assert nameless.status_code == 422 and "Name: a name is required" in nameless.text
    forged = client.post(f"/coach/admin/services/{sid}",
                         data={**form, "csrf_token": "forged", "url": "", "email": "",
                               "phone": "814-555-0199"})
    assert forged.status_code == 403
    with sessions() as session:
        after = session.get(Service, sid)
        assert (after.name, after.assured_date) == (before_name, before_assured)
    assert client.get("/coach/admin/services/no-such-id").status_code == 404


def test_demo_data_cannot_be_marked_verified(client, sessions):
    sid = demo_service_id(sessions)
    csrf = log_in(client, new_coach(sessions, "admin"))
    page = client.get(f"/coach/admin/services/{sid}").text
    assert "DEMO" in page and "mark verified" not in page
    with sessions() as session:
        name = session.get(Service, sid).name
    response = client.post(f"/coach/admin/services/{sid}", data={
        "csrf_token": csrf, "name": name + " changed", "mark_verified": "yes"})
    assert response.status_code == 422 and "cannot be marked verified" in response.text
    with sessions() as session:
        service = session.get(Service, sid)
        assert service.name == name and service.assured_date is None


def test_the_audit_log_lists_flags_edits_and_verifications_and_pages(client, sessions):
    sid = service_id(sessions, "PA CareerLink Elk County")
    admin = new_coach(sessions, "admin")
    csrf = log_in(client, admin)
    client.post(f"/coach/resources/{sid}/flag", data={"csrf_token": csrf, "comment": "moved"})
    with sessions() as session:
        values = service_form(session, session.get(Service, sid))
    client.post(f"/coach/admin/services/{sid}", data={
        **values, "csrf_token": csrf, "phone": "814-555-0177", "mark_verified": "yes"})
    with sessions() as session:
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.service_id == sid).order_by(AuditEntry.id)).all()
        assert actions == ["flag_resource", "edit_service", "verify_service"]
        for n in range(60):  # enough for a second page
            session.add(AuditEntry(action="view_transcript", coach_id=admin.id,
                                   conversation_id=f"web-{uuid.uuid4().hex}", detail=f"n{n}"))
        session.commit()
    log = unescape(client.get("/coach/admin/audit").text)
    assert "Page 1 of" in log and 'rel="next"' in log and "n59" in log
    second = unescape(client.get("/coach/admin/audit?page=2").text)
    assert "Page 2 of" in second and 'rel="prev"' in second
    for action in ("flag_resource", "edit_service", "verify_service", "login"):
        assert action in log + second
    assert admin.email in log
    assert "changed phone (" not in log + second and "changed phone" in log + second
    assert client.get("/coach/admin/audit?page=0").status_code == 422
