"""The needs of issue 15 through the API: /api/v1/resources?need=benefits|record|
recovery_support|training (coach bearer token) and the HSDS taxonomy and export, over the
real-only seeded directory."""

from __future__ import annotations

import csv

import pytest

from resources_db.exchange import export_hsds
from resources_db.taxonomy import TAXONOMY_ID, term_id
from tests.api import test_coach_lookup as lookup
from tests.conftest import seeded_copy

# The lookup tests' client and sessions fixtures, over this module's own_db_url (real only).
client, sessions = lookup.client, lookup.sessions
NEW_NEEDS = ("benefits", "record", "recovery_support", "training")


@pytest.fixture(scope="module")
def own_db_url(seeded_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Real records only: what a person would be shown, no demo record in the way."""
    return seeded_copy(seeded_db_url, tmp_path_factory.mktemp("barrier-needs"))


@pytest.fixture
def headers(sessions) -> dict[str, str]:  # noqa: ANN001
    return lookup.bearer(sessions)


def _results(client, headers, **params):  # noqa: ANN001, ANN202
    response = client.get("/api/v1/resources", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_benefits_lists_the_ticket_to_work_line_statewide(client, headers):
    results = _results(client, headers, need="benefits", county="Erie", limit=10)
    ticket = next(r for r in results if r["name"].startswith("Ticket to Work Help Line"))
    assert ticket["statewide"] and ticket["coverage"] == "statewide"
    assert ticket["phone"] == "1-866-968-7842" and not ticket["demo"]


def test_record_lists_the_legal_aid_serving_the_county_first(client, headers):
    results = _results(client, headers, need="record", zip="16501", limit=10)
    assert results[0]["name"] == "Northwestern Legal Services"
    assert results[0]["serves_county"] and results[0]["coverage"] == "serves Erie County"
    assert any(r["statewide"] and r["url"] == "https://mycleanslatepa.com" for r in results)


def test_recovery_support_lists_the_county_sca(client, headers):
    results = _results(client, headers, need="recovery_support", county="Cambria")
    assert results[0]["name"].startswith("Cambria County Drug")
    assert results[0]["serves_county"] is True and results[0]["source_url"]


def test_training_lists_careerlink(client, headers):
    results = _results(client, headers, need="training", county="Erie")
    serving = [r["name"] for r in results if r["serves_county"]]
    assert results[0]["serves_county"] and "PA CareerLink Erie County" in serving


def test_an_unknown_need_names_the_new_ones(client, headers):
    response = client.get("/api/v1/resources", headers=headers, params={"need": "expunge"})
    assert response.status_code == 422
    assert all(need in response.json()["detail"] for need in NEW_NEEDS)


def test_the_hsds_taxonomy_has_the_new_terms_and_services_filter_by_them(client):
    terms = client.get("/hsds/taxonomy_terms",
                       params={"taxonomy_id": TAXONOMY_ID, "per_page": 500}).json()["contents"]
    by_code = {t["code"]: t for t in terms}
    assert set(NEW_NEEDS) <= set(by_code)
    assert "SSI" in by_code["benefits"]["description"]
    assert "Clean Slate" in by_code["record"]["description"]
    record = client.get("/hsds/services", params={"taxonomy_term_id": term_id("record"),
                                                  "per_page": 500}).json()["contents"]
    assert "Northwestern Legal Services" in {s["name"] for s in record}


def test_the_hsds_export_carries_the_new_terms_and_attributes(sessions, tmp_path):
    with sessions() as session:
        export_hsds(session, tmp_path)
    with (tmp_path / "taxonomy_term.csv").open(newline="") as f:
        codes = {row["code"] for row in csv.DictReader(f)}
    assert set(NEW_NEEDS) <= codes
    with (tmp_path / "attribute.csv").open(newline="") as f:
        used = {row["taxonomy_term_id"] for row in csv.DictReader(f)}
    assert {term_id(need) for need in NEW_NEEDS} <= used
