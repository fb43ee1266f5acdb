"""The three real processes (Rasa engine, action server, api) over real HTTP.

Starts them exactly as `make run` does (`navigator serve ...`), on free ports, with a fresh
SQLite directory seeded from ../shared/data/pa_seed, then talks to the api like a person would.
"""

from __future__ import annotations

import secrets
import sqlite3
from xml.etree import ElementTree

import httpx
import pytest
from twilio.request_validator import RequestValidator

from api.services.sms_render import segments
from resources_db.seed import DEFAULT_SEED_DIR, collect_records
from tests.conftest import careerlink_seed_rows

pytestmark = pytest.mark.integration


def seed_office_names() -> set[str]:
    return {row["name"] for row in careerlink_seed_rows()}


def chat(system, client_id: str, text: str) -> list[dict]:
    response = httpx.post(f"{system['base']}/chat/messages",
                          json={"client_id": client_id, "text": text}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def test_healthz_reports_all_three_parts_up(system):
    body = httpx.get(f"{system['base']}/healthz", timeout=5).json()
    assert body["status"] == "ok"
    assert body["engine"] == body["action_server"] == "up"
    # Every record of the seed folders (updates merged into their office), and no demo record.
    records, _, _ = collect_records(DEFAULT_SEED_DIR)
    assert body["database"]["services"] == len(records)


def test_web_chat_job_search_in_erie_names_real_offices(system):
    messages = chat(system, "client-erie-0001", "I need a job in Erie")
    listing = next(m for m in messages if m.get("custom") and m["custom"].get("resources"))
    resources = listing["custom"]["resources"]
    assert 1 <= len(resources) <= 3
    assert {r["name"] for r in resources} <= seed_office_names()
    assert all(r["need"] == "jobs" and r["demo"] is False for r in resources)
    assert resources[0]["name"] in listing["text"]
    assert "Erie" in listing["text"]
    assert "PA CareerLink Erie County" in [r["name"] for r in resources[:2]]
    assert resources[0]["serves_county"]
    distances = [r["distance_mi"] for r in resources if not r["serves_county"]]
    assert distances == sorted(distances)


def test_sms_job_search_gets_twiml_naming_a_real_office(system):
    url = f"{system['base']}/sms/inbound"
    form = {"MessageSid": "SMintegration1", "AccountSid": "AC1", "From": "+18145550142",
            "To": "+18145550000", "Body": "I need a job in Erie", "NumMedia": "0"}
    signature = RequestValidator(system["env"]["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
    response = httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200
    assert response.text.startswith("<?xml") and "<Message>" in response.text
    assert any(name in response.text for name in seed_office_names())
    [message] = ElementTree.fromstring(response.text).iter("Message")
    assert segments(message.text) <= 3


def test_the_bot_asks_only_for_the_missing_location(system):
    first = chat(system, "client-two-turn-01", "i need a job")
    assert any("town, county or zip" in (m.get("text") or "") for m in first)
    second = chat(system, "client-two-turn-01", "16501")
    listing = next(m for m in second if m.get("custom") and m["custom"].get("resources"))
    assert {r["name"] for r in listing["custom"]["resources"]} <= seed_office_names()


def test_a_place_outside_pennsylvania_gets_a_clear_answer(system):
    messages = chat(system, "client-ohio-00001", "any jobs in 44101")
    text = " ".join(m.get("text") or "" for m in messages)
    assert "outside Pennsylvania" in text or "not Pennsylvania" in text


def test_rasa_never_sees_the_phone_number(system):
    url = f"{system['base']}/sms/inbound"
    form = {"MessageSid": "SMprivacy1", "From": "+18145550177", "Body": "hi"}
    signature = RequestValidator(system["env"]["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
    httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    chat(system, "client-privacy-01", "hello")
    with sqlite3.connect(system["env"]["RASA_TRACKER_DB"]) as db:
        senders = {row[0] for row in db.execute("SELECT DISTINCT sender_id FROM events")}
    assert senders, "the tracker store recorded no conversation"
    assert not any("8145550177" in s or "8145550142" in s or "client-" in s for s in senders)
    assert any(s.startswith("sms-") for s in senders) and any(s.startswith("web-") for s in senders)


def listing_of(messages: list[dict]) -> dict:
    return next(m for m in messages if m.get("custom") and m["custom"].get("resources"))


def test_more_then_a_number_gives_details_of_that_result(system):
    first = listing_of(chat(system, "client-more-00001", "need work near erie"))
    more = listing_of(chat(system, "client-more-00001", "MORE"))
    first_ids = {r["id"] for r in first["custom"]["resources"]}
    more_resources = more["custom"]["resources"]
    assert more_resources and not first_ids & {r["id"] for r in more_resources}
    details = listing_of(chat(system, "client-more-00001", "2"))
    assert details["custom"]["resources"][0]["id"] == more_resources[1]["id"]
    assert details["text"].startswith(more_resources[1]["name"])
    assert "call to confirm" in details["text"]


def interpret(system, text: str) -> dict:
    response = httpx.post(f"{system['base']}/api/v1/interpret", json={"text": text}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_interpret_uses_the_running_engine(system):
    body = interpret(system, "sober house for women that takes suboxone in wilkes barre")
    assert body["need"] == "housing"
    assert body["location"]["county"] == "Luzerne"
    assert body["filters"] == {"gender_served": "women", "mat_friendly": "true"}
    assert 0 < body["confidence"] <= 1
    job = interpret(system, "i need a job in 16501")
    assert job["need"] == "jobs"
    assert job["location"] == {"zip": "16501", "city": "Erie", "county": "Erie"}
    assert interpret(system, "whats the weather tomorrow")["need"] == "other"


def test_interpret_says_crisis_where_the_nlu_reads_a_need(system):
    """The crisis net decides before the engine's intent: a crisis inside a job question."""
    body = interpret(system, "any warehouse jobs in york? honestly i took all my pills an hour "
                             "ago so idk why im asking")
    assert body["need"] == "crisis"
    assert body["location"]["county"] == "York"


def texts(messages: list[dict]) -> str:
    return " ".join(m.get("text") or "" for m in messages)


def test_a_change_of_mind_in_the_middle_of_a_search(system):
    chat(system, "client-mind-00001", "sober house")
    asked_again = chat(system, "client-mind-00001", "actually i need a bus")
    assert "town, county or zip" in texts(asked_again)
    listing = listing_of(chat(system, "client-mind-00001", "york"))
    assert all(r["need"] == "transit" for r in listing["custom"]["resources"])
    first = listing["custom"]["resources"][0]
    assert "rabbittransit" in first["name"] and first["coverage"] == "serves York County"


def test_nobody_is_trapped_in_the_search_form(system):
    chat(system, "client-trap-00001", "i need a job")
    reply = chat(system, "client-trap-00001", "coach")
    assert "asked a recovery coach to join" in texts(reply)
    assert "town, county or zip" not in texts(reply)
    assert any((m.get("custom") or {}).get("handoff") for m in reply)


def test_two_misunderstandings_in_a_row_ask_a_coach_to_join(system):
    first = texts(chat(system, "client-huh-000001", "asdkjh qwe"))
    second = chat(system, "client-huh-000001", "zxcv bnm lkj")
    assert "COACH" in first and "asked a recovery coach" not in first
    assert "asking a person to help" in texts(second)
    assert "asked a recovery coach to join" in texts(second)
    handoff = next(m["custom"] for m in second if (m.get("custom") or {}).get("handoff"))
    assert handoff["handoff_reason"] == "not_understood"


def test_remembers_the_place_across_needs(system):
    listing_of(chat(system, "client-remember-1", "jobs in lancaster"))
    housing = listing_of(chat(system, "client-remember-1", "any sober living for women"))
    assert "Lancaster" in housing["text"] and "(for women)" in housing["text"]


def test_no_phone_number_or_message_text_in_any_process_log(system):
    """Privacy: after real conversations, grep every log line of the three processes."""
    phone = "+17175550166"
    secret = "my probation officer is named Zebulon"
    url = f"{system['base']}/sms/inbound"
    for body in (secret, "I need a job in Erie", "i want to die"):
        form = {"MessageSid": f"SMlog{secrets.token_hex(8)}", "From": phone, "Body": body}
        signature = RequestValidator(system["env"]["TWILIO_AUTH_TOKEN"]).compute_signature(
            url, form)
        httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    chat(system, "client-logs-00001", secret)
    for name in ("engine", "actions", "api"):
        log = (system["work"] / f"{name}.log").read_text(errors="replace")
        assert log, f"{name} wrote no log at all"
        for needle in ("7175550166", "Zebulon", "probation officer", "i want to die"):
            assert needle not in log, f"{needle!r} found in the {name} log"


@pytest.mark.parametrize(("text", "expected"), [
    ("🙂🙂🙂", "didn't get that"),
    ("necesito trabajo en filadelfia", "211"),
    ("jobs in ohio", "outside Pennsylvania"),
    ("   ", "didn't get any text"),
])
def test_bad_input_gets_a_short_kind_useful_answer(system, text, expected):
    reply = texts(chat(system, f"client-bad-{abs(hash(text)) % 10**8:08d}", text))
    assert expected in reply and len(reply) < 400


def test_a_1600_character_message_is_answered(system):
    long = ("i need a job in erie " * 80)[:1600]
    reply = chat(system, "client-long-000001", long)
    assert any("CareerLink" in (m.get("text") or "") for m in reply)
