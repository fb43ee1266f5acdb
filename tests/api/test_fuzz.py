"""Fuzzing the two doors people (and attackers) reach: 10,000 random and hostile bodies in all —
unicode, control characters, huge texts, SQL and HTML injection, broken form encoding — to
/sms/inbound and to the chat socket. Never a 5xx or a dropped socket, and every message that
was properly delivered to us is stored exactly once (nothing lost)."""

from __future__ import annotations

import itertools
import json
import uuid

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from api.main import create_app
from api.settings import Settings
from resources_db.conversations import Message
from resources_db.db import make_engine, make_session_factory
from resources_db.migrate import upgrade
from tests.api.conftest import TWILIO_TOKEN, free_port

HOSTILE = [
    "'; DROP TABLE message; --", "\" OR 1=1 --", "1); DELETE FROM conversation;--",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "{{7*7}}", "${jndi:ldap://x}",
    "%00%0d%0aSet-Cookie: x=1", "\x00\x01\x02\x7f", "\u202egnp.exe", "\ud7ff\ufeff\ufffd",
    "🤷🏽‍♀️" * 300, "A" * 1599, "A" * 1601, "B" * 20_000, "\n" * 500, "STOP", "stop\x00",
    "HELP ME", "coach", "i took too much", "jobs in 00000", "jobs in Ohio", "",
]
ALL_UNICODE = st.text(st.characters(codec="utf-8"), max_size=400)
BODIES = st.one_of(ALL_UNICODE, st.sampled_from(HOSTILE),
                   st.builds(lambda a, b: a + b, st.sampled_from(HOSTILE), ALL_UNICODE))
SENDERS = (f"+1412555{n:04d}" for n in itertools.count())  # fresh senders: no rate limit
URL = "https://navigator.example.org/sms/inbound"
# 4,000 + 3,000 + 3,000 = 10,000 bodies.
FUZZ = settings(max_examples=3000, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, settings_engine_down_module):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    upgrade(url)
    settings_ = settings_engine_down_module.model_copy(update={"database_url": url,
                                                               "rasa_timeout_s": 0.5})
    engine = make_engine(url)
    with TestClient(create_app(settings_)) as client:
        yield client, settings_, make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def settings_engine_down_module(seeded_db_url):
    return Settings(environment="test", database_url=seeded_db_url, rasa_port=free_port(),
                    action_port=free_port(), twilio_auth_token=TWILIO_TOKEN,
                    public_base_url="https://navigator.example.org")


def stored(sessions, sid: str) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Message)
                              .where(Message.provider_sid == sid))


@settings(FUZZ, max_examples=4000)
@given(body=BODIES)
def test_signed_webhooks_with_any_body_are_answered_and_stored_once(fuzz_app, body):
    client, settings_, sessions = fuzz_app
    sid = f"SM{uuid.uuid4().hex}"
    form = {"MessageSid": sid, "From": next(SENDERS), "Body": body}
    signature = RequestValidator(settings_.twilio_auth_token).compute_signature(URL, form)
    response = client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    if response.status_code == 413:  # larger than any SMS: refused as a whole, said so
        assert len(body.encode()) > 30_000
        return
    assert response.status_code == 200, (response.status_code, body[:80])
    assert response.headers["content-type"].startswith("application/xml")
    assert stored(sessions, sid) == 1


@FUZZ
@given(raw=st.one_of(st.binary(max_size=2000),
                     st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.sampled_from([b"Body=%", b"Body=%zz&From=%E0%A4%A", b"&&&==&",
                                      b"From=" + b"%FF" * 500, b"\x00" * 100])),
       signature=st.one_of(st.just(""), st.text(max_size=60)))
def test_broken_or_forged_webhooks_are_refused_never_a_server_error(fuzz_app, raw, signature):
    client, _settings, _sessions = fuzz_app
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature.isascii():  # HTTP headers are latin-1 at most; httpx refuses others itself
        headers["X-Twilio-Signature"] = signature
    response = client.post("/sms/inbound", content=raw, headers=headers)
    assert response.status_code in (400, 403, 413, 422), response.status_code


FRAMES = st.one_of(
    st.text(max_size=300),  # not JSON, or JSON of the wrong shape
    st.builds(lambda t: {"id": "1", "client_id": "fuzz-client-0001", "text": t}, BODIES),
    st.dictionaries(st.text(max_size=10), st.one_of(st.none(), st.integers(), st.text(max_size=20)),
                    max_size=4),
    st.sampled_from(['{"type": "hello"}', '{"type": "hello", "client_id": "../../etc"}',
                     '[]', 'null', '{"id": {"x": 1}, "client_id": "abcdefgh", "text": 5}']),
)


def test_the_chat_socket_answers_every_frame_and_stays_open(fuzz_app):
    client, _settings, sessions = fuzz_app

    @FUZZ
    @given(frame=FRAMES)
    def one_frame(frame):
        raw = frame if isinstance(frame, str) else json.dumps(frame)
        socket.send_text(raw)  # (none of these is a valid hello, which gets no answer)
        answer = socket.receive_json()
        assert "messages" in answer or "error" in answer

    with sessions() as session:
        before = session.scalar(select(func.count()).select_from(Message)
                                .where(Message.direction == "inbound"))
    with client.websocket_connect("/chat/ws") as socket:
        one_frame()
        socket.send_json({"id": "last", "client_id": "fuzz-client-0002", "text": "jobs in erie"})
        assert socket.receive_json()["id"] == "last"  # still open and answering
    with sessions() as session:
        after = session.scalar(select(func.count()).select_from(Message)
                               .where(Message.direction == "inbound"))
    assert after > before  # the valid frames were stored
