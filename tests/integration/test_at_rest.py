"""No plaintext message at rest: after real conversations through the three processes, the
bytes of both database files (the gateway's and the engine's tracker store), their write-ahead
logs and shared-memory files included, hold none of the words people and coaches wrote.

Each word also shows up where it belongs once decrypted with the data key (the gateway's
Vault), so the test cannot pass because a message was simply not stored.
"""

from __future__ import annotations

import json
import secrets
import sqlite3

import httpx
import pytest
from twilio.request_validator import RequestValidator

from api.services.crypto import Vault
from api.services.pseudonym import pseudonymous_id
from api.settings import DEV_SECRETS

pytestmark = pytest.mark.integration

CRISIS = "zebracrisisword"      # in a crisis message
JOB = "quokkajobword"           # an ordinary search, by SMS
CHAT = "okapichatword"          # web chat, mid-form
HELD = "narwhalheldword"        # written while a coach holds the conversation
COACH = "axolotlcoachword"      # the coach's own reply
WORDS = (CRISIS, JOB, CHAT, HELD, COACH)


def sms(system, phone: str, body: str) -> None:
    url = f"{system['base']}/sms/inbound"
    form = {"MessageSid": f"SMrest{secrets.token_hex(8)}", "From": phone, "Body": body}
    signature = RequestValidator(system["env"]["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
    response = httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200, response.text


def chat(system, client_id: str, text: str) -> None:
    response = httpx.post(f"{system['base']}/chat/messages", timeout=30,
                          json={"client_id": client_id, "text": text})
    assert response.status_code == 200, response.text


def coach_api(system, conversation: str):
    """POST to /api/v1/conversations/{conversation}/ACTION as the coach."""
    token = httpx.post(f"{system['base']}/api/v1/auth/token", timeout=10, json={
        "email": system["coaches"]["coach"], "password": system["coach_password"]}).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}

    def post(action: str, **body: str) -> None:
        response = httpx.post(f"{system['base']}/api/v1/conversations/{conversation}/{action}",
                              headers=auth, timeout=30, json=body or None)
        assert response.status_code == 200, response.text

    return post


def test_no_message_text_in_either_database_file_wal_included(system):
    env = system["env"]
    vault = Vault(env.get("DATA_ENCRYPTION_KEY") or DEV_SECRETS["data_encryption_key"])
    person, held_person, client = "+14845550191", "+14845550192", "client-at-rest-0001"
    sms(system, person, f"I need a job in Erie {JOB}")
    sms(system, person, f"i want to kill myself tonight {CRISIS}")
    chat(system, client, "sober house for women")
    chat(system, client, f"pittsburgh {CHAT}")
    held = pseudonymous_id(env["PSEUDONYM_KEY"], "sms", held_person)
    sms(system, held_person, "COACH")
    coach = coach_api(system, held)
    coach("claim")
    sms(system, held_person, f"my ride fell through {HELD}")  # to the coach, not the engine
    coach("messages", text=f"Hi, I'm Dana. {COACH}")
    coach("hand-back")

    work = system["work"]
    tracker_db, gateway_db = env["RASA_TRACKER_DB"], env["DATABASE_URL"].removeprefix(
        "sqlite:///")
    # Stored, and readable with the key: the gateway has every message, the engine what it got.
    with sqlite3.connect(gateway_db) as db:
        bodies = " ".join(vault.decrypt(b) or "" for (b,) in db.execute(
            "SELECT body_encrypted FROM message"))
    assert all(word in bodies for word in WORDS), [w for w in WORDS if w not in bodies]
    senders = [pseudonymous_id(env["PSEUDONYM_KEY"], *address)
               for address in (("sms", person), ("web", client), ("sms", held_person))]
    with sqlite3.connect(tracker_db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id IN (?, ?, ?)",
                          senders).fetchall()
    events = [json.loads(vault.decrypt(data) or "null") for (data,) in rows]
    assert None not in events  # every row of these conversations is encrypted
    engine_text = json.dumps(events)
    assert JOB in engine_text and CHAT in engine_text
    assert HELD not in engine_text  # a coach held it: the engine never saw it

    # The files themselves, as a disk image would show them, while every process has them open.
    files = sorted(p for p in work.iterdir()
                   if p.name.startswith(("tracker.db", "navigator.db")))  # conftest's names
    names = {p.name for p in files}
    assert {"tracker.db", "tracker.db-wal", "navigator.db", "navigator.db-wal"} <= names, names
    assert tracker_db in {str(p) for p in files} and gateway_db in {str(p) for p in files}
    seen = {"tracker.db": b"", "navigator.db": b""}
    for path in files:
        content = path.read_bytes().lower()
        found = [word for word in WORDS if word.encode() in content]
        assert not found, f"{found} in plaintext in {path.name}"
        seen[path.name.split("-")[0]] += content
    # The scan does see these rows: their plaintext columns (the pseudonymous ids) are there.
    assert all(sender.encode() in seen["tracker.db"] for sender in senders)
    assert all(sender.encode() in seen["navigator.db"] for sender in senders)
