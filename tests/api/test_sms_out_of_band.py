"""Slow turns: empty TwiML at once, then the answer through the Twilio REST API (official
client) to a local fake Twilio server that checks the account's credentials."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from api.main import create_app
from api.services.gateway import ENGINE_DOWN_REPLY
from resources_db.conversations import Message
from resources_db.db import make_engine, make_session_factory
from tests.fake_twilio import FakeTwilio

ACCOUNT = "AC" + "1" * 32


@pytest.fixture
def fake_twilio(settings_engine_down):
    with FakeTwilio(ACCOUNT, settings_engine_down.twilio_auth_token) as fake:
        yield fake


@pytest.fixture
def slow_client(settings_engine_down, fake_twilio):
    # An inline window of 0 s sends every answer out of band.
    settings = settings_engine_down.model_copy(update={
        "sms_inline_timeout_s": 0.0, "twilio_account_sid": ACCOUNT,
        "twilio_api_base": fake_twilio.url})
    with TestClient(create_app(settings)) as client:
        yield client, settings


def post(client, settings, body: str, sender: str) -> str:
    url = settings.public_base_url + "/sms/inbound"
    form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "Body": body}
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(url, form)
    response = client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    return response.text


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def stored_status(settings, body_sid: str) -> str | None:
    with make_session_factory(make_engine(settings.database_url))() as session:
        return session.scalar(select(Message.status).where(Message.provider_sid == body_sid))


def test_a_slow_turn_is_answered_through_the_rest_api(slow_client, fake_twilio):
    client, settings = slow_client
    inline = post(client, settings, "I need a job in Erie", "+12155550201")
    assert "<Message>" not in inline  # empty TwiML inside Twilio's window
    assert wait_for(lambda: fake_twilio.messages)
    [sent] = fake_twilio.messages
    assert sent["To"] == "+12155550201" and sent["From"] == settings.twilio_from_number
    assert sent["Body"] == ENGINE_DOWN_REPLY  # the engine is down in this test: kind fallback
    assert sent["StatusCallback"].endswith("/sms/status")
    assert fake_twilio.rejected_auth == 0
    assert wait_for(lambda: stored_status(settings, sent["sid"]) == "queued")


def test_rest_failures_are_retried_with_backoff(slow_client, fake_twilio):
    client, settings = slow_client
    fake_twilio.fail_next = 2
    post(client, settings, "hi", "+12155550202")
    assert wait_for(lambda: fake_twilio.messages, timeout=15)
    assert fake_twilio.fail_next == 0 and len(fake_twilio.messages) == 1


def test_a_send_that_keeps_failing_is_recorded_as_failed(slow_client, fake_twilio):
    client, settings = slow_client
    fake_twilio.fail_next = 99
    post(client, settings, "hello there", "+12155550203")

    def failed():
        with make_session_factory(make_engine(settings.database_url))() as session:
            return session.scalar(select(Message.id).where(Message.status == "send_failed"))

    assert wait_for(failed, timeout=15)
    assert fake_twilio.messages == []
