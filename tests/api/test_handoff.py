"""Human handoff through the real app: the queue, a coach claiming, replying on the person's
channel (SMS to a local fake Twilio, web chat pushed to the widget's socket), the bot staying
silent meanwhile, crisis still answered, and handing back. The engine port is closed here,
so the bot's own answers are the engine-down ones; the integration tests use the real engine.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from api.services.crisis import CRISIS_REPLY
from api.services.privacy import delete_person, purge
from resources_db.coaching import AuditEntry, CoachNote, Handoff
from resources_db.conversations import Message
from resources_db.db import make_engine, make_session_factory
from resources_db.schedules import PA_TZ
from tests.api.test_sms_out_of_band import ACCOUNT, post, wait_for
from tests.coach_login import PASSWORD, console_csrf, log_in, make_coach
from tests.conftest import seeded_copy
from tests.fake_twilio import FakeTwilio

PERSON = "+14125550188"


@pytest.fixture
def db_url(seeded_db_url: str, tmp_path) -> str:
    """The directory of its own, so the queue holds only this test's people."""
    return seeded_copy(seeded_db_url, tmp_path)


@pytest.fixture
def fake_twilio(settings_engine_down):
    with FakeTwilio(ACCOUNT, settings_engine_down.twilio_auth_token) as fake:
        yield fake


@pytest.fixture
def settings(settings_engine_down, fake_twilio, db_url):
    return settings_engine_down.model_copy(update={
        "database_url": db_url, "twilio_account_sid": ACCOUNT,
        "twilio_api_base": fake_twilio.url, "coach_hours": "24/7"})


@pytest.fixture
def app_client(settings):
    # https, as PUBLIC_BASE_URL says: the console's cookies are Secure there.
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


@pytest.fixture
def sessions(db_url):
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


def sms(client, settings, body: str, sender: str = PERSON) -> str:
    """A signed webhook from the person; the TwiML answer."""
    return post(client, settings, body, sender)


def queue_json(client, token: str) -> list[dict]:
    response = client.get("/api/v1/queue", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.json()


def api_token(client, email: str) -> str:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_asking_for_a_coach_queues_the_conversation_and_says_what_happens_next(
        app_client, settings, db_url):
    answer = sms(app_client, settings, "COACH")
    assert "asked a recovery coach to join" in answer and "next in line" in answer
    token = api_token(app_client, make_coach(db_url))
    [row] = queue_json(app_client, token)
    assert (row["channel"], row["reason"], row["urgency"], row["state"]) == \
        ("sms", "asked", "normal", "waiting")
    assert row["first_message"] == "COACH"
    assert PERSON not in str(row)  # coaches see a tag, never the phone number
    # A second person is told they are number 2.
    assert "number 2 in line" in sms(app_client, settings, "coach", sender="+14125550199")


def test_out_of_coach_hours_the_person_is_told_when_and_where_to_get_help_now(
        settings, db_url):
    today = dt.datetime.now(PA_TZ).weekday()
    other_day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][(today + 3) % 7]
    closed = settings.model_copy(update={"coach_hours": f"{other_day} 9am-5pm"})
    with TestClient(create_app(closed)) as client:
        answer = sms(client, closed, "coach")
    assert f"Coaches work {other_day} 9am-5pm" in answer
    assert "1-800-662-4357" in answer


def test_a_coach_takes_over_an_sms_conversation_and_hands_it_back(
        app_client, settings, db_url, fake_twilio, sessions):
    sms(app_client, settings, "coach")
    assert log_in(app_client, make_coach(db_url, name="Dana")).status_code == 303
    csrf = console_csrf(app_client)
    [conversation] = [r["conversation_id"] for r in queue_json(
        app_client, api_token(app_client, make_coach(db_url)))]

    claimed = app_client.post(f"/coach/conversations/{conversation}/claim",
                              data={"csrf_token": csrf}, follow_redirects=False)
    assert claimed.status_code == 303
    assert wait_for(lambda: len(fake_twilio.messages) == 1)
    assert fake_twilio.messages[0]["To"] == PERSON
    assert "Dana, a recovery coach" in fake_twilio.messages[0]["Body"]

    # While the coach holds it the bot is silent: empty TwiML, the message waits for the coach.
    assert "<Message>" not in sms(app_client, settings, "my car broke down, can you help")
    page = app_client.get(f"/coach/conversations/{conversation}")
    assert "my car broke down, can you help" in page.text

    app_client.post(f"/coach/conversations/{conversation}/reply",
                    data={"csrf_token": csrf, "text": "I can help. Which town are you in?"})
    assert wait_for(lambda: len(fake_twilio.messages) == 2)
    assert fake_twilio.messages[1]["Body"] == "I can help. Which town are you in?"
    assert fake_twilio.messages[1]["To"] == PERSON

    app_client.post(f"/coach/conversations/{conversation}/hand-back", data={"csrf_token": csrf})
    assert wait_for(lambda: len(fake_twilio.messages) == 3)
    assert "back with the Navigator" in fake_twilio.messages[2]["Body"]
    # The bot answers again (here: its engine-down answer, the engine port being closed).
    assert "can't answer right now" in sms(app_client, settings, "jobs in erie")
    with sessions() as session:
        actions = set(session.scalars(select(AuditEntry.action).where(
            AuditEntry.conversation_id == conversation)))
        handoff = session.scalar(select(Handoff).where(Handoff.conversation_id == conversation))
    assert {"claim", "view_transcript", "coach_message", "hand_back"} <= actions
    assert (handoff.state, handoff.end_kind) == ("ended", "returned")


def test_crisis_is_answered_at_once_while_a_coach_holds_the_conversation(
        app_client, settings, db_url):
    sms(app_client, settings, "coach")
    email = make_coach(db_url)
    token = api_token(app_client, email)
    [row] = queue_json(app_client, token)
    claim = app_client.post(f"/api/v1/conversations/{row['conversation_id']}/claim",
                            headers={"Authorization": f"Bearer {token}"})
    assert claim.status_code == 200
    answer = sms(app_client, settings, "my friend took too much and wont wake up")
    assert CRISIS_REPLY in answer.replace("&#x27;", "'").replace("&apos;", "'")
    [row] = queue_json(app_client, token)
    assert row["urgency"] == "urgent" and row["state"] == "claimed"


def test_crisis_from_an_opted_out_number_is_answered_and_queued_urgent(
        app_client, settings, db_url):
    sms(app_client, settings, "STOP")
    assert "<Message>" not in sms(app_client, settings, "jobs in erie")
    answer = sms(app_client, settings, "i want to kill myself")
    assert "988" in answer
    assert "coach has been alerted" not in answer  # nobody may text an opted-out number
    [row] = queue_json(app_client, api_token(app_client, make_coach(db_url)))
    assert (row["reason"], row["urgency"]) == ("crisis", "urgent")


def test_urgent_conversations_come_first_in_the_queue(app_client, settings, db_url):
    sms(app_client, settings, "coach", sender="+14125550101")
    sms(app_client, settings, "someone is overdosing", sender="+14125550102")
    rows = queue_json(app_client, api_token(app_client, make_coach(db_url)))
    assert [r["urgency"] for r in rows] == ["urgent", "normal"]


def test_only_the_coach_holding_a_conversation_can_reply(app_client, settings, db_url):
    sms(app_client, settings, "coach")
    first, second = (api_token(app_client, make_coach(db_url)) for _ in range(2))
    [row] = queue_json(app_client, first)
    path = f"/api/v1/conversations/{row['conversation_id']}"
    assert app_client.post(f"{path}/claim", headers={"Authorization": f"Bearer {first}"}) \
        .status_code == 200
    taken = app_client.post(f"{path}/claim", headers={"Authorization": f"Bearer {second}"})
    assert taken.status_code == 409 and "another coach" in taken.json()["detail"]
    refused = app_client.post(f"{path}/messages", json={"text": "hi"},
                              headers={"Authorization": f"Bearer {second}"})
    assert refused.status_code == 409


def test_a_coach_message_reaches_an_open_web_chat_and_waits_for_a_closed_one(
        app_client, db_url):
    client_id = "widget-" + uuid.uuid4().hex[:12]
    with app_client.websocket_connect("/chat/ws") as socket:
        socket.send_json({"id": "1", "client_id": client_id, "text": "coach"})
        answer = socket.receive_json()
        assert any("asked a recovery coach" in (m["text"] or "") for m in answer["messages"])
        token = api_token(app_client, make_coach(db_url, name="Rae"))
        [row] = queue_json(app_client, token)
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/api/v1/conversations/{row['conversation_id']}"
        app_client.post(f"{path}/claim", headers=headers)
        joined = socket.receive_json()
        assert joined["push"] is True and "Rae, a recovery coach" in joined["messages"][0]["text"]
        sent = app_client.post(f"{path}/messages", json={"text": "Hi, I'm here."},
                               headers=headers)
        assert sent.json()["status"] == "delivered"
        pushed = socket.receive_json()
        assert pushed["messages"][0]["text"] == "Hi, I'm here."
        assert pushed["messages"][0]["from"] == "coach"
        cursor = pushed["messages"][0]["at"]
    # No socket open now: the message is kept for the widget's next poll or reconnect.
    later = app_client.post(f"{path}/messages", json={"text": "Still there?"}, headers=headers)
    assert later.json()["status"] == "waiting_for_widget"
    updates = app_client.get("/chat/updates", params={"client_id": client_id, "after": cursor})
    assert [m["text"] for m in updates.json()["messages"]] == ["Still there?"]
    with app_client.websocket_connect("/chat/ws") as socket:  # reconnect with history
        socket.send_json({"type": "hello", "client_id": client_id})
        history = socket.receive_json()
        assert [m["text"] for m in history["messages"]][-2:] == ["Hi, I'm here.", "Still there?"]


def test_the_transcript_shows_a_script_as_text(app_client, settings, db_url):
    sms(app_client, settings, "coach")
    sms(app_client, settings, "<script>alert('x')</script>")
    token = api_token(app_client, make_coach(db_url))
    [row] = queue_json(app_client, token)
    log_in(app_client, make_coach(db_url))
    page = app_client.get(f"/coach/conversations/{row['conversation_id']}")
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text


def test_notes_are_private_encrypted_and_purged_with_the_conversation(
        app_client, settings, db_url, sessions, fake_twilio):
    sms(app_client, settings, "coach")
    log_in(app_client, make_coach(db_url))
    csrf = console_csrf(app_client)
    conversation = app_client.get("/api/v1/queue", headers={
        "Authorization": f"Bearer {api_token(app_client, make_coach(db_url))}"}).json()[0][
        "conversation_id"]
    app_client.post(f"/coach/conversations/{conversation}/notes",
                    data={"csrf_token": csrf, "text": "Prefers texts after 3pm"})
    assert "Prefers texts after 3pm" in app_client.get(f"/coach/conversations/{conversation}").text
    assert fake_twilio.messages == []  # a note is never sent to the person
    with sessions() as session:
        [note] = session.scalars(select(CoachNote)).all()
        assert "Prefers" not in note.body_encrypted
    report = delete_person(sessions, str(settings.rasa_tracker_db), settings.pseudonym_key,
                           PERSON)
    assert report.conversations == 1
    with sessions() as session:
        assert session.scalars(select(CoachNote)).all() == []
        assert session.scalars(select(Handoff)).all() == []
        assert session.scalars(select(Message)).all() == []
        # The audit log stays: ids and actions only.
        assert session.scalars(select(AuditEntry).where(
            AuditEntry.action == "add_note")).first() is not None


def test_purge_removes_old_handoffs_and_notes_too(app_client, settings, db_url, sessions):
    sms(app_client, settings, "coach")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    report = purge(sessions, str(settings.rasa_tracker_db), 30, now=later)
    assert report.conversations == 1
    with sessions() as session:
        assert session.scalars(select(Handoff)).all() == []
