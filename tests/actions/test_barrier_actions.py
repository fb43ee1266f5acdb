"""The four barrier needs (benefits, a record, treatment and recovery support, training) and the
mixed "felony + job" question through the real rasa-sdk action server, with tracker JSON as Rasa
sends it, on the directory as `navigator db seed` makes it (real records only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from actions.orientation import RECORD_HELP_OFFER, orientation
from tests.actions.test_action_server import run_action, serving

FIXTURES = Path(__file__).parent / "fixtures"
INTENTS = {"jobs": "find_jobs", "benefits": "find_benefits", "record": "find_record_help",
           "recovery_support": "find_recovery_support", "training": "find_training"}


@pytest.fixture(scope="module")
def action_server(seeded_db_url: str) -> Iterator[str]:
    with serving(seeded_db_url) as url:
        yield url


def search_body(text: str, need: str, location: str) -> dict:
    """The tracker as the form leaves it: the person's `text` asked for `need` in `location`."""
    body = json.loads((FIXTURES / "search_jobs_erie.json").read_text())
    tracker = body["tracker"]
    tracker["slots"].update(need=need, location=location)
    user = next(e for e in tracker["events"] if e["event"] == "user")
    user["text"] = tracker["latest_message"]["text"] = text
    user["parse_data"]["intent"]["name"] = INTENTS[need]
    tracker["latest_message"]["intent"] = {"name": INTENTS[need], "confidence": 0.9}
    for event in tracker["events"]:
        if event["event"] == "slot":
            event["value"] = {"need": need, "location": location}[event["name"]]
    return body


def texts(result: dict) -> list[str]:
    return [r.get("text") or "" for r in result["responses"]]


@pytest.mark.parametrize("need,text,place", [
    ("benefits", "will getting a job mess up my ssi", "Philadelphia"),
    ("record", "can i get my record expunged so i can get hired", "York"),
    ("recovery_support", "need an iop", "Erie"),
    ("training", "free cdl training", "Erie")])
def test_the_orientation_comes_first_then_the_listings(action_server, need, text, place):
    result = run_action(action_server, search_body(text, need, place))
    replies = texts(result)
    assert replies[0] == orientation(need)
    listing = result["responses"][1]
    assert listing["custom"]["resources"] and "COACH" in listing["text"]
    assert not any(r["statewide"] for r in listing["custom"]["resources"][:1])  # local first
    assert RECORD_HELP_OFFER not in replies  # the record need is the record help itself
    assert "record-friendly" not in listing["text"]  # "my record" is not a filter here


def test_a_felony_and_a_job_answers_the_job_search_and_offers_the_record_help(action_server):
    result = run_action(action_server, search_body(
        "i have a felony and need a job in york", "jobs", "York"))
    replies = texts(result)
    assert len(replies) == 2 and replies[-1] == RECORD_HELP_OFFER
    assert result["responses"][0]["custom"]["resources"]  # the job search's own list
    assert orientation("jobs") is None


def test_a_job_search_without_a_record_gets_no_record_line(action_server):
    replies = texts(run_action(action_server, search_body("i need a job", "jobs", "York")))
    assert RECORD_HELP_OFFER not in replies and len(replies) == 1


def test_nothing_local_names_the_statewide_line_and_offers_a_coach(action_server):
    # No benefits counseling office of its own serves York County in the directory: the
    # statewide services are listed, then the first call to make and a coach.
    result = run_action(action_server, search_body("can i work on ssdi", "benefits", "York"))
    replies = texts(result)
    assert replies[0] == orientation("benefits")
    assert all(r["statewide"] for r in result["responses"][1]["custom"]["resources"])
    assert "1-866-968-7842" in replies[2] and "COACH" in replies[2]


def test_more_results_repeat_no_orientation(action_server):
    first = run_action(action_server, search_body("need treatment", "recovery_support", "York"))
    shown = [r["id"] for r in first["responses"][1]["custom"]["resources"]]
    body = search_body("need treatment", "recovery_support", "York")
    body["tracker"]["slots"].update(result_offset=0.0, result_ids=shown)
    body["next_action"] = "action_more_results"
    replies = texts(run_action(action_server, body))
    assert replies[0].startswith("More") and orientation("recovery_support") not in replies
