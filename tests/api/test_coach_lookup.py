"""Coaches' lookups: GET /api/v1/resources (bearer token) and the console's quick lookup page,
over the real app and the seeded directory (the engine's port is closed)."""

from __future__ import annotations

import re
import uuid
from html import unescape

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.services import accounts
from api.services.handoff import short_id
from resources_db.coaching import Handoff
from resources_db.conversations import Conversation
from resources_db.db import make_engine, make_session_factory
from tests.coach_login import HIDDEN_CSRF, PASSWORD, new_coach
from tests.conftest import careerlink_seed_rows, seeded_copy


@pytest.fixture(scope="module")
def own_db_url(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The directory of its own: accounts, edits and held conversations stay out of other
    tests' queues and searches."""
    # Seeded with --demo: the console must show demo records as DEMO (and refuse to verify
    # them) wherever an operator turned demo on.
    return seeded_copy(demo_db_url, tmp_path_factory.mktemp("lookup"))


@pytest.fixture
def client(settings_engine_down, own_db_url: str):  # noqa: ANN001
    """Over https: the console's cookies are Secure (the public base URL is https)."""
    settings = settings_engine_down.model_copy(update={"database_url": own_db_url})
    with TestClient(create_app(settings), base_url="https://testserver") as c:
        yield c


@pytest.fixture
def sessions(own_db_url: str):
    engine = make_engine(own_db_url)
    yield make_session_factory(engine)
    engine.dispose()


def log_in(client, coach: accounts.Coach) -> None:  # noqa: ANN001
    form = client.get("/coach/login")
    response = client.post("/coach/login", data={
        "email": coach.email, "password": PASSWORD, "next": "/coach",
        "csrf_token": HIDDEN_CSRF.search(form.text).group(1)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/coach"


def bearer(sessions) -> dict[str, str]:  # noqa: ANN001
    coach = new_coach(sessions)
    with sessions() as session:
        token, _ = accounts.issue_api_token(session, coach)
    return {"Authorization": f"Bearer {token}"}


# --- without a login ----------------------------------------------------------------------------

def test_the_json_lookup_needs_a_bearer_token(client):
    response = client.get("/api/v1/resources", params={"need": "careerlink", "county": "Erie"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    bad = client.get("/api/v1/resources", params={"need": "careerlink"},
                     headers={"Authorization": "Bearer nav_not-a-token"})
    assert bad.status_code == 401


def test_the_lookup_page_and_its_send_form_need_a_console_login(client):
    page = client.get("/coach/lookup?need=jobs&zip=16501", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/coach/login?next=/coach/lookup")
    send = client.post("/coach/lookup/send", data={"conversation_id": "x", "resource_id": "y"},
                       follow_redirects=False)
    assert send.status_code == 303 and send.headers["location"].startswith("/coach/login")


# --- the JSON API -------------------------------------------------------------------------------

def test_the_json_lookup_finds_a_real_careerlink_office_near_erie(client, sessions):
    seeded = {row["name"]: row for row in careerlink_seed_rows()}
    response = client.get("/api/v1/resources", headers=bearer(sessions),
                          params={"need": "careerlink", "zip": "16501", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["place"]["county"] == "Erie" and body["place"]["zip"] == "16501"
    assert body["total"] >= 3 and len(body["results"]) == 3
    first = body["results"][0]
    assert set(first) == {"id", "need", "name", "town", "county", "address", "phone",
                          "distance_mi", "demo", "statewide", "verified", "source_url", "url",
                          "serves_county", "coverage"}
    # What serves Erie County first (its own office; the NW PA board's line serves it too).
    erie = next(r for r in body["results"][:2] if r["name"] == "PA CareerLink Erie County")
    assert erie["serves_county"] is True and erie["county"] == "Erie"
    assert all(r["serves_county"] for r in body["results"][:2])
    assert body["results"][2]["name"] == "PA CareerLink Warren"  # the nearest other office
    first = body["results"][2]
    row = seeded[first["name"]]
    assert first["town"] == row["city_or_municipality"] and first["county"] == row["county"]
    assert first["phone"] and first["phone"].startswith(row["phone"][:12])
    assert first["source_url"] == row["source_url"] and first["verified"] == row["source_date"]
    assert first["demo"] is False and first["statewide"] is False
    assert 0 < first["distance_mi"] < 60


def test_the_json_lookup_marks_demo_data_and_applies_filters(client, sessions):
    response = client.get("/api/v1/resources", headers=bearer(sessions),
                          params={"need": "housing", "county": "Allegheny",
                                  "gender_served": "women", "mat_friendly": "true"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results, "the demo recovery residences of Allegheny County"
    local = [r for r in results if not r["statewide"]]
    assert local and all(r["demo"] is True for r in local)
    assert all("Women" in r["name"] for r in local)


def test_the_json_lookup_refuses_unknown_places_and_needs_clearly(client, sessions):
    headers = bearer(sessions)
    place = client.get("/api/v1/resources", headers=headers,
                       params={"need": "jobs", "county": "Narnia"})
    assert place.status_code == 400
    assert "Narnia" in place.json()["detail"] and "Pennsylvania" in place.json()["detail"]
    outside = client.get("/api/v1/resources", headers=headers, params={"need": "jobs",
                                                                      "zip": "10001"})
    assert outside.status_code == 400 and "not Pennsylvania" in outside.json()["detail"]
    need = client.get("/api/v1/resources", headers=headers, params={"need": "spaceships"})
    assert need.status_code == 422 and "unknown need" in need.json()["detail"]
    nothing = client.get("/api/v1/resources", headers=headers)
    assert nothing.status_code == 400 and "give a need" in nothing.json()["detail"]
    radius = client.get("/api/v1/resources", headers=headers,
                        params={"need": "jobs", "zip": "16501", "radius": "-3"})
    assert radius.status_code == 422


def test_the_json_lookup_pages_with_limit_and_offset(client, sessions):
    headers = bearer(sessions)
    params = {"need": "careerlink", "county": "Erie", "radius": "100"}
    first = client.get("/api/v1/resources", headers=headers, params={**params, "limit": 2})
    second = client.get("/api/v1/resources", headers=headers,
                        params={**params, "limit": 2, "offset": 2})
    assert first.json()["radius_mi"] == 100
    ids = [r["id"] for r in first.json()["results"] + second.json()["results"]]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert first.json()["total"] == second.json()["total"]


# --- the console page ---------------------------------------------------------------------------

def test_the_lookup_page_shows_source_verified_date_and_demo_tag(client, sessions):
    log_in(client, new_coach(sessions))
    empty = client.get("/coach/lookup")
    assert empty.status_code == 200 and "Quick lookup" in empty.text
    assert "Content-Security-Policy" in empty.headers

    real = client.get("/coach/lookup", params={"need": "careerlink", "zip": "16501"})
    text = unescape(real.text)
    warren = next(r for r in careerlink_seed_rows() if r["name"] == "PA CareerLink Warren")
    assert "PA CareerLink Warren" in text
    assert f'href="{warren["source_url"]}"' in text
    assert "Last verified: 2017-09-01" in text  # the source's "2017-09", as assured_date
    assert f"source date: {warren['source_date']}" in text
    assert 'href="tel:+18443335248">844-333-5248' in text
    assert "Flag as wrong" in text and 'action="/coach/resources/' in text
    assert "You hold no conversation right now" in text
    assert "DEMO" not in text.split("Results", 1)[1]

    demo = unescape(client.get("/coach/lookup", params={
        "need": "housing", "place": "pittsburgh", "gender_served": "women",
        "mat_friendly": "true"}).text)
    assert "Pittsburgh Women&#39;s Recovery Residence (demo)" in demo or \
        "Pittsburgh Women's Recovery Residence (demo)" in demo
    assert '<span class="demo-tag">DEMO</span>' in demo
    assert "Men's Recovery Residence" not in demo


def test_the_lookup_page_says_what_it_could_not_find(client, sessions):
    log_in(client, new_coach(sessions))
    page = client.get("/coach/lookup", params={"need": "jobs", "place": "Narnia"})
    assert page.status_code == 200
    assert 'class="problem"' in page.text and "Narnia" in unescape(page.text)
    radius = client.get("/coach/lookup", params={"need": "jobs", "zip": "16501",
                                                 "radius": "far"})
    assert "The radius is a number of miles" in radius.text


def test_the_free_text_box_says_when_the_engine_is_down(client, sessions):
    log_in(client, new_coach(sessions))
    page = client.get("/coach/lookup", params={
        "say": "women's sober house near pittsburgh that takes suboxone"})
    assert page.status_code == 200
    assert "The language engine is not answering" in page.text
    assert "women&#39;s sober house" in page.text or "women's sober house" in page.text
    assert 'id="results-h"' not in page.text


def test_the_free_text_box_warns_of_a_crisis_even_with_the_engine_down(client, sessions):
    log_in(client, new_coach(sessions))
    page = client.get("/coach/lookup", params={
        "say": "my client says hes been saving his pills up to take them all at once"})
    assert page.status_code == 200
    assert "That reads as a crisis" in unescape(page.text) and "988" in page.text
    assert 'id="results-h"' not in page.text


def test_text_this_to_my_client_sends_to_a_conversation_the_coach_holds(client, sessions):
    coach = new_coach(sessions)
    conversation_id = f"web-{uuid.uuid4().hex}"
    with sessions() as session:
        session.add(Conversation(id=conversation_id, channel="web"))
        session.flush()
        session.add(Handoff(conversation_id=conversation_id, reason="asked", state="claimed",
                            coach_id=coach.id))
        session.commit()
    log_in(client, coach)
    page = client.get("/coach/lookup", params={"need": "careerlink", "zip": "16501"})
    assert "You hold no conversation" not in page.text
    assert f'<option value="{conversation_id}">{short_id(conversation_id)} (web chat)' \
        in page.text
    csrf = HIDDEN_CSRF.search(page.text).group(1)
    resource_id = re.search(r'name="resource_id" value="([^"]+)"', page.text).group(1)

    forged = client.post("/coach/lookup/send", data={
        "csrf_token": "forged", "conversation_id": conversation_id,
        "resource_id": resource_id, "need": "careerlink"}, follow_redirects=False)
    assert forged.status_code == 403

    sent = client.post("/coach/lookup/send", data={
        "csrf_token": csrf, "conversation_id": conversation_id, "resource_id": resource_id,
        "need": "careerlink"}, follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/coach/conversations/{conversation_id}")
    assert "notice=Sent" in sent.headers["location"]


def test_phone_links_dial_the_number_itself():
    from api.routers.lookup import tel_uri

    assert tel_uri("(610) 723-1220") == "tel:+16107231220"
    assert tel_uri("844-333-5248 (toll-free, NW PA CareerLink)") == "tel:+18443335248"
    assert tel_uri("+1 814 555 0100") == "tel:+18145550100"
    assert tel_uri("call the front desk") is None and tel_uri(None) is None
