"""The real rasa-sdk action server, driven over HTTP with tracker JSON as Rasa sends it."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import free_port
from tests.conftest import ROOT, careerlink_seed_rows

FIXTURES = Path(__file__).parent / "fixtures"


@contextmanager
def serving(db_url: str) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ, DATABASE_URL=db_url, ACTION_PORT=str(port))
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "navigator"), "serve", "actions"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(proc.stdout.read().decode(errors="replace")[-3000:])
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def action_server(seeded_db_url: str) -> Iterator[str]:
    with serving(seeded_db_url) as url:
        yield url


def tracker_json(**slots) -> dict:
    body = json.loads((FIXTURES / "search_jobs_erie.json").read_text())
    body["tracker"]["slots"].update(slots)
    for event in body["tracker"]["events"]:
        if event["event"] == "slot" and event["name"] in slots:
            event["value"] = slots[event["name"]]
    return body


def run_action(url: str, body: dict) -> dict:
    response = httpx.post(f"{url}/webhook", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_job_search_in_erie_lists_the_nearest_real_offices(action_server):
    result = run_action(action_server, tracker_json())
    [reply] = result["responses"]
    resources = reply["custom"]["resources"]
    # Erie County's own office first, then what else serves the county or is nearest.
    names = [r["name"] for r in resources]
    # (the NW PA board's toll-free line serves Erie County too and may come first)
    assert "PA CareerLink Erie County" in names[:2] and "PA CareerLink Warren" in names
    assert {r["name"] for r in resources} <= {row["name"] for row in careerlink_seed_rows()}
    assert ". PA CareerLink Erie County" in reply["text"] and "COACH" in reply["text"]
    assert "\n\n" not in reply["text"]  # Rasa's REST channel would split the reply there


def test_careerlink_search_by_zip_in_north_philadelphia(action_server):
    result = run_action(action_server, tracker_json(location="19140", need="careerlink"))
    [reply] = result["responses"]
    assert reply["custom"]["resources"][0]["name"].startswith("PA CareerLink North Philadelphia")


def validation_body(location: str) -> dict:
    body = tracker_json(location=location)
    body["next_action"] = "validate_resource_search_form"
    body["tracker"]["active_loop"] = {"name": "resource_search_form"}
    return body


def test_a_misspelled_place_is_refused_with_a_suggestion(action_server):
    result = run_action(action_server, validation_body("Eire"))
    slot = next(e for e in result["events"] if e.get("name") == "location")
    assert slot["value"] is None  # the form asks again instead of searching a wrong place
    assert "Erie County" in result["responses"][0]["text"]


def test_a_zip_outside_pennsylvania_is_explained(action_server):
    result = run_action(action_server, validation_body("44101"))
    assert "not Pennsylvania" in result["responses"][0]["text"]


def test_a_valid_place_is_normalised(action_server):
    result = run_action(action_server, validation_body("philly"))
    slot = next(e for e in result["events"] if e.get("name") == "location")
    assert slot["value"] == "Philadelphia"
    assert result["responses"] == []


def test_more_lists_the_next_three(action_server):
    first = run_action(action_server, tracker_json())
    shown = [r["id"] for r in first["responses"][0]["custom"]["resources"]]
    body = tracker_json(result_offset=0.0, result_ids=shown)
    body["next_action"] = "action_more_results"
    more = run_action(action_server, body)
    [reply] = more["responses"]
    assert reply["text"].startswith("More")
    next_ids = [r["id"] for r in reply["custom"]["resources"]]
    assert len(next_ids) == 3 and not set(next_ids) & set(shown)
    offset = next(e for e in more["events"] if e["name"] == "result_offset")
    assert offset["value"] == 3.0


def test_details_on_result_two_names_that_office(action_server):
    first = run_action(action_server, tracker_json())
    listed = first["responses"][0]["custom"]["resources"]
    body = tracker_json(result_ids=[r["id"] for r in listed], result_number="2",
                        result_offset=0.0)
    body["next_action"] = "action_result_details"
    [reply] = run_action(action_server, body)["responses"]
    assert reply["text"].startswith(listed[1]["name"])
    assert reply["custom"]["resources"][0]["id"] == listed[1]["id"]


def test_details_on_a_number_not_listed_says_which_numbers_work(action_server):
    body = tracker_json(result_ids=["a", "b", "c"], result_number="7")
    body["next_action"] = "action_result_details"
    [reply] = run_action(action_server, body)["responses"]
    assert "1 to 3" in reply["text"]


def test_filters_said_in_the_request_narrow_the_search(action_server, seeded_db_url):
    body = tracker_json(location="Lancaster", need="housing")
    body["tracker"]["events"] = [
        {"event": "user", "text": "sober house for women",
         "parse_data": {"intent": {"name": "find_housing", "confidence": 0.9}, "entities": []}},
        {"event": "bot", "text": "What town, county or zip code in Pennsylvania?"},
        {"event": "user", "text": "lancaster",
         "parse_data": {"intent": {"name": "inform_location", "confidence": 0.9},
                        "entities": [{"entity": "location", "value": "lancaster"}]}},
    ]
    result = run_action(action_server, body)
    [reply] = result["responses"]
    assert "(for women)" in reply["text"]
    listed = reply["custom"]["resources"]
    assert listed and not any(r["demo"] for r in listed)
    from sqlalchemy import select

    from resources_db.db import make_engine, make_session_factory
    from resources_db.models import Attribute
    from resources_db.taxonomy import term_id

    engine = make_engine(seeded_db_url)
    with make_session_factory(engine)() as session:
        for r in listed:  # every house listed says it is for women
            values = set(session.scalars(select(Attribute.value).where(
                Attribute.link_id == r["id"],
                Attribute.taxonomy_term_id == term_id("gender_served"))))
            assert values == {"women"}, r["name"]
    engine.dispose()
    saved = next(e for e in result["events"] if e["name"] == "search_filters")
    assert saved["value"] == {"gender_served": "women"}


def test_details_remember_which_listing_was_opened(action_server):
    first = run_action(action_server, tracker_json())
    listed = first["responses"][0]["custom"]["resources"]
    body = tracker_json(result_ids=[r["id"] for r in listed], result_number="1")
    body["next_action"] = "action_result_details"
    events = run_action(action_server, body)["events"]
    assert next(e for e in events if e.get("name") == "detail_id")["value"] == listed[0]["id"]


def test_a_listing_that_did_not_work_goes_to_the_review_queue(action_server, seeded_db_url):
    from sqlalchemy import select

    from resources_db.coaching import ReviewItem
    from resources_db.db import make_engine, make_session_factory

    first = run_action(action_server, tracker_json())
    warren = next(r for r in first["responses"][0]["custom"]["resources"]
                  if r["name"] == "PA CareerLink Warren")
    body = tracker_json(detail_id=warren["id"])
    body["next_action"] = "action_report_problem"
    [reply] = run_action(action_server, body)["responses"]
    assert "PA CareerLink Warren" in reply["text"] and "check" in reply["text"]
    engine = make_engine(seeded_db_url)
    with make_session_factory(engine)() as session:
        items = session.scalars(select(ReviewItem).where(
            ReviewItem.service_id == warren["id"], ReviewItem.source == "person")).all()
    engine.dispose()
    assert len(items) == 1 and items[0].state == "open"


def test_reporting_a_problem_before_anything_was_listed_asks_which(action_server):
    body = tracker_json(result_ids=None, detail_id=None)
    body["next_action"] = "action_report_problem"
    [reply] = run_action(action_server, body)["responses"]
    assert "Which place" in reply["text"]
