"""A person's own data and retention, through the CLI, against the real engine's tracker store.

Runs last among the integration tests (file name): the purge empties the shared system.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess

import httpx
import pytest
from twilio.request_validator import RequestValidator

from api.services.pseudonym import pseudonymous_id
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
NAVIGATOR = str(ROOT / ".venv" / "bin" / "navigator")


def sms(system, phone: str, body: str, sid: str) -> None:
    url = f"{system['base']}/sms/inbound"
    form = {"MessageSid": sid, "From": phone, "Body": body}
    signature = RequestValidator(system["env"]["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
    assert httpx.post(url, data=form, headers={"X-Twilio-Signature": signature},
                      timeout=30).status_code == 200


def navigator(system, *args: str) -> str:
    done = subprocess.run([NAVIGATOR, *args], env=system["env"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout


def tracker_events(system, sender: str) -> int:
    with sqlite3.connect(system["env"]["RASA_TRACKER_DB"]) as db:
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def test_a_person_can_have_their_data_exported_then_deleted(system):
    phone = "+14845550177"
    sms(system, phone, "I need a job in Erie", "SMprivacy-export-1")
    sender = pseudonymous_id(system["env"]["PSEUDONYM_KEY"], "sms", phone)
    assert tracker_events(system, sender) > 0
    exported = json.loads(navigator(system, "person", "export", phone))
    texts = [m["text"] for c in exported["conversations"] for m in c["messages"]]
    assert "I need a job in Erie" in texts and any("CareerLink" in (t or "") for t in texts)
    navigator(system, "person", "delete", phone)
    assert tracker_events(system, sender) == 0
    assert json.loads(navigator(system, "person", "export", phone))["conversations"] == []


def test_purge_removes_what_is_past_retention(system):
    sms(system, "+14845550178", "hi", "SMprivacy-purge-1")
    out = navigator(system, "purge", "--days", "0")
    assert "purged data older than 0 days" in out
    with sqlite3.connect(system["env"]["RASA_TRACKER_DB"]) as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    with sqlite3.connect(system["env"]["DATABASE_URL"].removeprefix("sqlite:///")) as db:
        assert db.execute("SELECT COUNT(*) FROM message").fetchone()[0] == 0
