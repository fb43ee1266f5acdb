"""Misspelled places through the real rasa-sdk action server: corrected in the reply, and a
choice between two places answered with "1" or "2" goes on with the same search."""

from __future__ import annotations

# The action_server fixture is imported by name, then asked for as an argument.
# ruff: noqa: F811
from tests.actions.test_action_server import (  # noqa: F401
    action_server,
    run_action,
    tracker_json,
    validation_body,
)

CHOICE_QUESTION = {
    "event": "bot", "text": "Did you mean 1. Easton (Northampton County)  2. Exton (Chester "
                            "County)? Reply 1 or 2, or type the place.",
    "data": {"custom": {"resources": [], "quick_replies": [], "handoff": False, "crisis": False,
                        "place_choices": ["Easton", "Exton"]}},
}


def reply_to_choice(body: dict, text: str) -> dict:
    """The tracker as Rasa sends it after the choice question and the person's reply."""
    body["tracker"]["events"] += [
        CHOICE_QUESTION,
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text,
         "parse_data": {"intent": {"name": "result_details", "confidence": 0.99},
                        "entities": [{"entity": "result_number", "value": text}]}},
    ]
    body["tracker"]["latest_message"] = {"text": text}
    return body


def test_jobs_in_a_misspelled_town_search_the_corrected_town(action_server):
    [reply] = run_action(action_server, tracker_json(location="allentwon"))["responses"]
    assert reply["text"].startswith("Closest") and "to Allentown:" in reply["text"]


def test_the_form_takes_a_misspelled_county_as_the_county(action_server):
    result = run_action(action_server, validation_body("lancaser county"))
    slot = next(e for e in result["events"] if e.get("name") == "location")
    assert slot["value"] == "Lancaster County" and result["responses"] == []


def test_two_equally_close_places_are_asked_about_with_numbers(action_server):
    result = run_action(action_server, validation_body("eston"))
    slot = next(e for e in result["events"] if e.get("name") == "location")
    assert slot["value"] is None
    [reply] = result["responses"]
    assert "1. Easton (Northampton County)" in reply["text"]
    assert "2. Exton (Chester County)" in reply["text"]
    assert reply["custom"]["place_choices"] == ["Easton", "Exton"]
    assert [q["payload"] for q in reply["custom"]["quick_replies"]] == ["Easton", "Exton"]


def test_the_form_does_not_ask_where_again_right_after_asking_which(action_server):
    body = tracker_json(location=None)
    body["next_action"] = "action_ask_location"
    body["tracker"]["events"].append(CHOICE_QUESTION)
    assert run_action(action_server, body)["responses"] == []
    body = tracker_json(location=None)
    body["next_action"] = "action_ask_location"
    [ask] = run_action(action_server, body)["responses"]
    assert "utter_ask_location" in (ask.get("template"), ask.get("response"))


def test_a_number_after_the_question_fills_the_place_in_the_form(action_server):
    body = reply_to_choice(validation_body("Erie"), "2")
    body["tracker"]["slots"]["location"] = None
    result = run_action(action_server, body)
    slot = next(e for e in result["events"] if e.get("name") == "location")
    assert slot["value"] == "Exton"


def test_a_number_after_the_question_outside_the_form_searches_there(action_server):
    body = reply_to_choice(tracker_json(result_ids=["a", "b", "c"], result_number="1"), "1")
    body["next_action"] = "action_result_details"
    result = run_action(action_server, body)
    [reply] = result["responses"]
    assert "to Easton:" in reply["text"]  # not the details of listing 1
    assert {"event": "slot", "name": "location", "value": "Easton"}.items() <= \
        next(e for e in result["events"] if e.get("name") == "location").items()


def test_a_number_without_a_place_question_is_still_a_listing(action_server):
    first = run_action(action_server, tracker_json())
    listed = first["responses"][0]["custom"]["resources"]
    body = tracker_json(result_ids=[r["id"] for r in listed], result_number="1")
    body["next_action"] = "action_result_details"
    body["tracker"]["events"].append({"event": "user", "text": "1"})
    [reply] = run_action(action_server, body)["responses"]
    assert reply["text"].startswith(listed[0]["name"])
