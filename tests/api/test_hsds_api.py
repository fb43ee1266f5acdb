"""The read-only HSDS 3.0 API: bodies valid against the official schemas, openapi paging."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from resources_db import geo, hsds
from resources_db.taxonomy import TAXONOMY_ID, term_id

PAGE_KEYS = {"total_items": int, "total_pages": int, "page_number": int, "size": int,
             "first_page": bool, "last_page": bool, "empty": bool, "contents": list}


@pytest.fixture(scope="module")
def api(seeded_db_url: str):
    with TestClient(create_app(Settings(environment="test", database_url=seeded_db_url))) as c:
        yield c


def get_page(api: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == set(PAGE_KEYS)
    assert all(isinstance(page[k], t) for k, t in PAGE_KEYS.items())
    assert page["size"] == len(page["contents"])
    assert page["empty"] == (not page["contents"])
    return page


def everything(api: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    return get_page(api, path, per_page=500, **params)["contents"]


def demo_flag(obj: dict[str, Any]) -> str | None:
    return next((a["value"] for a in obj["attributes"] if a["taxonomy_term"]["code"] == "demo"),
                None)


def test_services_are_paged_with_the_openapi_envelope(api: TestClient):
    first = get_page(api, "/hsds/services", per_page=10)
    total = first["total_items"]
    assert total > 100 and first["total_pages"] == -(-total // 10)
    assert (first["page_number"], first["first_page"], first["last_page"]) == (1, True, False)
    last = get_page(api, "/hsds/services", per_page=10, page=first["total_pages"])
    assert (last["last_page"], last["first_page"], last["size"]) == \
        (True, False, total - 10 * (first["total_pages"] - 1))
    beyond = get_page(api, "/hsds/services", per_page=10, page=first["total_pages"] + 1)
    assert beyond["empty"] and beyond["contents"] == []
    ids = [s["id"] for p in range(1, first["total_pages"] + 1)
           for s in get_page(api, "/hsds/services", per_page=10, page=p)["contents"]]
    assert len(ids) == len(set(ids)) == total
    assert api.get("/hsds/services", params={"per_page": 0}).status_code == 422


@pytest.fixture(scope="module")
def demo_api(demo_db_url: str):
    with TestClient(create_app(Settings(environment="test", database_url=demo_db_url))) as c:
        yield c


def test_list_items_are_valid_and_show_the_demo_flag(api: TestClient, demo_api: TestClient):
    services = everything(api, "/hsds/services")
    assert all(hsds.schema_errors("service", s) == [] for s in services)
    assert {demo_flag(s) for s in services} == {"false"}  # `db seed`: real records only
    with_demo = everything(demo_api, "/hsds/services")  # `db seed --demo`
    assert {demo_flag(s) for s in with_demo} == {"true", "false"}
    demo = [s for s in with_demo if demo_flag(s) == "true"]
    assert demo and all("(demo)" in s["name"] for s in demo)


def test_a_service_is_fully_nested_and_valid(api: TestClient):
    located = everything(api, "/hsds/services", search="careerlink")
    # (a few batch-2 offices are known by operator only, without a place: skip those)
    located = [s for s in located if s["name"].startswith("PA CareerLink")]
    checked = 0
    for summary in located:
        service = api.get(f"/hsds/services/{summary['id']}").json()
        if not service["service_at_locations"]:
            continue  # a few offices are known by operator or board only, without a place
        checked += 1
        if checked > 5:
            break
        assert hsds.schema_errors("service", service) == []
        assert service["organization"]["id"] == service["organization_id"]
        assert service["service_at_locations"][0]["location"]["addresses"]
        assert {a["taxonomy_term"]["code"] for a in service["attributes"]} >= {"careerlink",
                                                                                "source_date"}
    assert checked >= 5


def test_a_missing_record_is_a_json_404(api: TestClient):
    for path in ("/hsds/services/nope", "/hsds/organizations/nope",
                 "/hsds/service_at_locations/nope", "/hsds/taxonomy_terms/nope",
                 "/hsds/taxonomies/nope"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert "nope" in response.json()["detail"]


def test_services_filter_by_search_term_and_organization(api: TestClient):
    found = everything(api, "/hsds/services", search="careerlink county")
    text = [(s["name"] + " " + s.get("description", "")).lower() for s in found]
    assert found and all("careerlink" in t and "county" in t for t in text)
    housing = everything(api, "/hsds/services", taxonomy_term_id=term_id("housing"))
    assert housing and all(term_id("housing") in {a["taxonomy_term_id"] for a in s["attributes"]}
                           for s in housing)
    by_taxonomy = everything(api, "/hsds/services", taxonomy_id=TAXONOMY_ID)
    assert len(by_taxonomy) > len(housing)
    organization_id = housing[0]["organization_id"]
    assert {s["organization_id"] for s in everything(
        api, "/hsds/services", organization_id=organization_id)} == {organization_id}
    assert get_page(api, "/hsds/services", modified_after="2000-01-01T00:00:00Z")["empty"]


def test_full_lists_nest_everything(api: TestClient):
    page = get_page(api, "/hsds/services", per_page=5, full=True)
    assert all("service_at_locations" in s and hsds.schema_errors("service", s) == []
               for s in page["contents"])


def test_organizations_are_valid_and_nest_their_services(api: TestClient):
    organizations = everything(api, "/hsds/organizations")
    assert len(organizations) > 50
    organizations += get_page(api, "/hsds/organizations", per_page=500, page=2)["contents"]
    assert all(hsds.schema_errors("organization", o) == [] for o in organizations)
    careerlink = next(o for o in organizations if o["name"] == "PA CareerLink")
    full = api.get(f"/hsds/organizations/{careerlink['id']}").json()
    assert hsds.schema_errors("organization", full) == []
    assert len(full["services"]) > 10 and len(full["locations"]) > 10
    assert "service_at_locations" not in full["services"][0]
    nested = api.get(f"/hsds/organizations/{careerlink['id']}",
                     params={"full_service": True}).json()
    assert hsds.schema_errors("organization", nested) == []
    assert "service_at_locations" in nested["services"][0]
    page = get_page(api, "/hsds/organizations", per_page=3, full=True)
    assert all(hsds.schema_errors("organization", o) == [] for o in page["contents"])


def test_service_at_locations_by_postcode_and_proximity(api: TestClient):
    everywhere = get_page(api, "/hsds/service_at_locations", per_page=5)
    assert everywhere["total_items"] > 50
    at_zip = everything(api, "/hsds/service_at_locations", postcode="19107")
    assert at_zip
    centre = geo.lookup_zip("19107")
    near = everything(api, "/hsds/service_at_locations", postcode="19107", proximity="16000",
                      full=True)
    assert near and all(hsds.schema_errors("service_at_location", s) == [] for s in near)
    distances = [geo.haversine_miles(centre.latitude, centre.longitude,
                                     s["location"]["latitude"], s["location"]["longitude"])
                 for s in near]
    assert distances == sorted(distances) and max(distances) <= 16000 / 1609.344
    assert all(s["service"]["id"] == s["service_id"] for s in near)
    one = api.get(f"/hsds/service_at_locations/{near[0]['id']}").json()
    assert one["id"] == near[0]["id"] and hsds.schema_errors("service_at_location", one) == []


@pytest.mark.parametrize(("params", "message"), [
    ({"postcode": "44101"}, "not a Pennsylvania zip code"),
    ({"proximity": "1000"}, "proximity needs a postcode"),
    ({"postcode": "19107", "proximity": "near"}, "distance in meters"),
])
def test_bad_place_parameters_are_a_json_400(api: TestClient, params, message):
    response = api.get("/hsds/service_at_locations", params=params)
    assert response.status_code == 400 and message in response.json()["detail"]


def test_taxonomy_terms_include_our_needs_and_record_notes(api: TestClient):
    terms = everything(api, "/hsds/taxonomy_terms")
    codes = {t["code"] for t in terms}
    assert {"jobs", "housing", "mat_friendly", "demo", "source_url"} <= codes
    assert all({"id", "name", "description"} <= set(t) for t in terms)
    ours = everything(api, "/hsds/taxonomy_terms", taxonomy_id=TAXONOMY_ID)
    assert {t["taxonomy_id"] for t in ours} == {TAXONOMY_ID} and "demo" not in \
        {t["code"] for t in ours}
    assert [t["code"] for t in everything(api, "/hsds/taxonomy_terms", search="recovery housing")
            ] == ["housing"]
    second = get_page(api, "/hsds/taxonomy_terms", per_page=5, page=2)
    assert second["page_number"] == 2 and second["size"] == 5
    demo = next(t for t in terms if t["code"] == "demo")
    assert api.get(f"/hsds/taxonomy_terms/{demo['id']}").json() == demo
