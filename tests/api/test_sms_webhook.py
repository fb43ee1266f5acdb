"""The Twilio webhook, signed exactly as Twilio signs (the official library's validator)."""

import uuid

from twilio.request_validator import RequestValidator

from api.services.gateway import EMPTY_MESSAGE_REPLY, ENGINE_DOWN_REPLY
from tests.api.conftest import TWILIO_TOKEN

URL = "https://navigator.example.org/sms/inbound"


def twilio_form(body: str, sid: str | None = None, sender: str = "+14125550123",
                ) -> dict[str, str]:
    return {"MessageSid": sid or f"SM{uuid.uuid4().hex}", "AccountSid": "AC123",
            "From": sender, "To": "+18145550000", "Body": body, "NumMedia": "0"}


def signed_post(client, form, token=TWILIO_TOKEN):
    signature = RequestValidator(token).compute_signature(URL, form)
    return client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})


def test_forged_signature_is_refused(client):
    response = signed_post(client, twilio_form("I need a job in Erie"), token="not-the-token")
    assert response.status_code == 403


def test_missing_signature_is_refused(client):
    response = client.post("/sms/inbound", data=twilio_form("hi"))
    assert response.status_code == 403


def test_tampered_body_is_refused(client):
    form = twilio_form("hi")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(URL, form)
    form["Body"] = "something else"
    response = client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_engine_down_still_gets_a_kind_twiml_answer(client):
    response = signed_post(client, twilio_form("I need a job in Erie"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response><Message>" in response.text
    assert "988" in response.text and ENGINE_DOWN_REPLY.split(".")[0] in response.text


def test_empty_text_gets_a_useful_answer(client):
    response = signed_post(client, twilio_form("   "))
    assert response.status_code == 200
    assert EMPTY_MESSAGE_REPLY.split(".")[0] in response.text


def test_a_crisis_text_is_answered_at_once_even_with_the_engine_down(client):
    response = signed_post(client, twilio_form("my friend took too much and isnt breathing"))
    assert response.status_code == 200
    assert "911" in response.text and "988" in response.text and "1-800-662-4357" in response.text
    assert "naloxone" in response.text.lower()


def test_a_retried_webhook_is_stored_once_and_answered_once(client, seeded_engine):
    from sqlalchemy import func, select

    from resources_db.conversations import Message

    form = twilio_form("hi", sid="SMretry0001")
    first = signed_post(client, form)
    retry = signed_post(client, form)
    assert "<Message>" in first.text
    assert retry.status_code == 200 and "<Message>" not in retry.text  # no second reply
    with seeded_engine.connect() as conn:
        stored = conn.scalar(select(func.count()).select_from(Message)
                             .where(Message.provider_sid == "SMretry0001"))
    assert stored == 1


def test_stop_opts_out_and_start_opts_back_in(client):
    person = "+12155550188"
    assert "<Message>" not in signed_post(client, twilio_form("STOP", sender=person)).text
    silent = signed_post(client, twilio_form("I need a job in Erie", sender=person))
    assert silent.status_code == 200 and "<Message>" not in silent.text
    crisis = signed_post(client, twilio_form("i want to kill myself", sender=person))
    assert "988" in crisis.text  # the crisis answer still goes out after STOP
    back = signed_post(client, twilio_form("start", sender=person))
    assert "subscribed" in back.text
    assert "<Message>" in signed_post(client, twilio_form("hi", sender=person)).text


def test_help_says_what_this_is_and_how_to_reach_a_person(client):
    reply = signed_post(client, twilio_form("HELP", sender="+12155550189")).text
    assert "Navigator" in reply and "COACH" in reply and "988" in reply


def test_phone_numbers_and_texts_are_encrypted_at_rest(client, seeded_engine):
    from sqlalchemy import text

    signed_post(client, twilio_form("secret words about my job", sender="+12155550190"))
    with seeded_engine.connect() as conn:
        rows = conn.execute(text("SELECT c.id, c.address_encrypted, m.body_encrypted "
                                 "FROM conversation c JOIN message m "
                                 "ON m.conversation_id = c.id")).all()
    dump = repr(rows)
    assert rows and "2155550190" not in dump and "secret words" not in dump


def test_status_callbacks_are_recorded_and_forged_ones_refused(client, settings_engine_down):
    from api.services.crypto import Vault
    from api.services.store import MessageStore
    from resources_db.db import make_engine, make_session_factory

    store = MessageStore(make_session_factory(make_engine(settings_engine_down.database_url)),
                         Vault(settings_engine_down.data_encryption_key))
    signed_post(client, twilio_form("hi", sender="+12155550191"))
    conversation = client.app.state.gateway.conversation_id("sms", "+12155550191")
    store.record_outbound(conversation, "a reply sent by REST", status="queued",
                          provider_sid="SMout0001")
    url = "https://navigator.example.org/sms/status"
    form = {"MessageSid": "SMout0001", "MessageStatus": "delivered"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    ok = client.post("/sms/status", data=form, headers={"X-Twilio-Signature": signature})
    assert ok.status_code == 200
    from sqlalchemy import select

    from resources_db.conversations import Message

    with make_session_factory(make_engine(settings_engine_down.database_url))() as session:
        assert session.scalar(select(Message.status).where(
            Message.provider_sid == "SMout0001")) == "delivered"
    forged = client.post("/sms/status", data=form, headers={"X-Twilio-Signature": "nope"})
    assert forged.status_code == 403
    unknown = {"MessageSid": "SMnotours", "MessageStatus": "failed"}
    sig = RequestValidator(TWILIO_TOKEN).compute_signature(url, unknown)
    assert client.post("/sms/status", data=unknown,
                       headers={"X-Twilio-Signature": sig}).status_code == 202
