"""action_refine_results through the real rasa-sdk action server, with tracker JSON as Rasa
sends it after a list ("do any take suboxone", "closer?", "only for women"): on the directory as
`navigator db seed` makes it (real records only) and, where only demo records carry a filter
(MAT-friendly houses), on the --demo directory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.actions.test_action_server import run_action, serving

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def action_server(seeded_db_url: str) -> Iterator[str]:
    with serving(seeded_db_url) as url:
        yield url


@pytest.fixture(scope="module")
def demo_action_server(demo_db_url: str) -> Iterator[str]:
    with serving(demo_db_url) as url:
        yield url


def refine_body(text: str, **slots) -> dict:
    """The tracker after a housing list in Pittsburgh, the person's latest message `text`."""
    body = json.loads((FIXTURES / "refine_housing_pittsburgh.json").read_text())
    tracker = body["tracker"]
    tracker["slots"].update(slots)
    tracker["latest_message"]["text"] = tracker["events"][-1]["text"] = text
    return body


def slot_events(result: dict) -> dict:
    return {e["name"]: e["value"] for e in result["events"] if e.get("event") == "slot"}


def test_do_any_take_suboxone_narrows_the_same_housing_search(demo_action_server):
    result = run_action(demo_action_server, refine_body("do any take suboxone"))
    [reply] = result["responses"]
    assert reply["text"].startswith("Closest recovery housing help (MAT-friendly) to Pittsburgh")
    names = [r["name"] for r in reply["custom"]["resources"]]
    assert names and all(r["need"] == "housing" for r in reply["custom"]["resources"])
    assert "Pittsburgh Women's Recovery Residence (demo)" in names
    assert "Pittsburgh Men's Recovery Residence (demo)" not in names  # not MAT-friendly
    slots = slot_events(result)
    assert slots["search_filters"] == {"mat_friendly": "true"}
    assert slots["result_ids"] == [r["id"] for r in reply["custom"]["resources"]]
    assert slots["result_offset"] == 0.0


def test_the_new_filter_is_combined_with_the_kept_ones(demo_action_server):
    body = refine_body("only for women", search_filters={"mat_friendly": "true"})
    result = run_action(demo_action_server, body)
    [reply] = result["responses"]
    assert "(MAT-friendly, for women)" in reply["text"].splitlines()[0]
    assert all("Women" in r["name"] for r in reply["custom"]["resources"])
    assert slot_events(result)["search_filters"] == {"mat_friendly": "true",
                                                     "gender_served": "women"}


def test_when_nothing_matches_the_previous_list_is_kept(action_server):
    result = run_action(action_server, refine_body("any free ones",
                                                   search_filters={"gender_served": "women"}))
    [reply] = result["responses"]
    assert reply["text"].startswith("None of the recovery housing help (for women) I know of "
                                    "near Pittsburgh say they're free.")
    assert "reply 1-3 for details" in reply["text"] and "COACH" in reply["text"]
    assert reply["custom"]["resources"] == []
    assert result["events"] == []  # "2" and MORE still mean the list shown before


def test_none_in_the_real_directory_say_they_take_suboxone_and_the_list_stays(action_server):
    result = run_action(action_server, refine_body("do any take suboxone"))
    [reply] = result["responses"]
    text = reply["text"]
    assert text.startswith("None of the recovery housing help I know of near Pittsburgh say "
                           "they take people on Suboxone.")
    # Allegheny County's drug and alcohol office (the SCA), with its number, to ask instead.
    assert "Drug and Alcohol" in text and "412-350-3328" in text
    assert "serves Allegheny County" in text and "ask them which take people on Suboxone" in text
    assert text.endswith("The list above still stands: reply 1-3 for details, or COACH for a "
                         "person who can call around.")
    assert [q["payload"] for q in reply["custom"]["quick_replies"]] == ["1", "2", "3", "COACH"]
    assert result["events"] == []


def test_closer_when_the_list_is_already_the_closest_says_so(action_server):
    # A jobs list in Erie already kept to 40 miles: within 15 are the same two offices.
    body = refine_body("anything closer?", location="Erie", need="jobs", search_radius=40.0)
    result = run_action(action_server, body)
    [reply] = result["responses"]
    assert reply["text"].startswith("Those are the closest job openings and job help I have to "
                                    "Erie.")
    assert result["events"] == []


def test_closer_after_a_list_that_had_to_widen_keeps_the_nearer_ones(action_server):
    # Pittsburgh's housing list widened to 40 miles (a house in Monessen, 21 miles away).
    result = run_action(action_server, refine_body("those r too far"))
    [reply] = result["responses"]
    assert reply["text"].startswith("Closest recovery housing help to Pittsburgh")
    local = [r for r in reply["custom"]["resources"] if not r["statewide"]]
    assert local and all(r["distance_mi"] is None or r["distance_mi"] <= 15 for r in local)
    assert slot_events(result)["search_radius"] == 15  # MORE keeps to it


def test_closer_after_a_jobs_list(action_server):
    result = run_action(action_server, refine_body("closer?", location="Erie", need="jobs"))
    [reply] = result["responses"]
    assert reply["text"].startswith("Closest job openings and job help to Erie")
    assert "PA CareerLink Warren" not in {r["name"] for r in reply["custom"]["resources"]}
    assert slot_events(result)["search_radius"] == 40


def test_more_after_closer_stays_within_that_radius(action_server):
    body = refine_body("more", location="Erie", need="jobs", search_radius=40.0)
    body["next_action"] = "action_more_results"
    result = run_action(action_server, body)
    assert slot_events(result)["search_radius"] == 40.0
    names = {r["name"] for r in result["responses"][0]["custom"]["resources"]}
    assert "PA CareerLink Warren" not in names


def test_record_after_a_jobs_list_narrows_to_second_chance(action_server):
    body = refine_body("any that take people with a record", location="Erie", need="jobs")
    result = run_action(action_server, body)
    [reply] = result["responses"]
    assert reply["text"].startswith("Closest job openings and job help (record-friendly) to Erie")
    assert slot_events(result)["search_filters"] == {"accepts_people_with_records": "true"}


def test_a_filter_that_means_nothing_for_the_need_is_said_briefly(action_server):
    body = refine_body("only for women", location="Erie", need="transit")
    result = run_action(action_server, body)
    first, second = result["responses"]
    assert first["text"] == ("Bus and ride listings in my directory don't say who they're for, "
                             "so I can't narrow them that way.")
    assert "reply 1-3 for details" in second["text"]
    assert result["events"] == []


def test_a_filter_that_applies_is_kept_and_the_other_named(action_server):
    result = run_action(action_server, refine_body("any for women open evenings"))
    note, listing = result["responses"]
    assert note["text"] == ("Recovery housing listings in my directory don't say evening hours, "
                            "so I can't narrow them that way.")
    assert listing["text"].startswith("Closest recovery housing help (for women) to Pittsburgh")
    assert slot_events(result)["search_filters"] == {"gender_served": "women"}


def test_a_refinement_with_no_list_yet_says_what_to_ask_first(action_server):
    body = refine_body("do any take suboxone", result_ids=None, result_offset=None)
    result = run_action(action_server, body)
    [reply] = result["responses"]
    assert reply["text"].startswith("I don't have a list to narrow yet.")
    assert "(MAT-friendly)" in reply["text"]
    assert result["events"] == []


def test_a_refinement_while_the_place_is_asked_for_is_noted(action_server):
    body = refine_body("one that takes suboxone", location=None, result_ids=None,
                       result_offset=None)
    body["tracker"]["active_loop"] = {"name": "resource_search_form"}
    [reply] = run_action(action_server, body)["responses"]
    assert reply["text"] == "OK: MAT-friendly."


def test_a_refinement_without_a_filter_says_what_can_narrow(action_server):
    [reply] = run_action(action_server, refine_body("can u narrow it down"))["responses"]
    assert reply["text"] == ("I can narrow this list: for women or men, takes MAT, free, takes "
                             "people with a record, closer.")
