"""The Twilio webhook, signed exactly as Twilio signs (the official library's validator)."""

from twilio.request_validator import RequestValidator

from api.services.gateway import EMPTY_MESSAGE_REPLY, ENGINE_DOWN_REPLY
from tests.api.conftest import TWILIO_TOKEN

URL = "https://navigator.example.org/sms/inbound"


def twilio_form(body: str, sid: str = "SM0001") -> dict[str, str]:
    return {"MessageSid": sid, "AccountSid": "AC123", "From": "+14125550123",
            "To": "+18145550000", "Body": body, "NumMedia": "0"}


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
