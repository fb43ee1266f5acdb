"""Every HSDS response we serve validates, with openapi-core, against the official openapi.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx
import pytest
from fastapi.testclient import TestClient
from jsonschema_path import SchemaPath
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData

from api.main import create_app
from api.settings import Settings
from resources_db import hsds
from resources_db.taxonomy import TAXONOMY_ID, term_id

OPENAPI_FILE = hsds.SCHEMA_DIR / "openapi.json"
OFFICIAL_SCHEMA_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
LISTS = ("/services", "/organizations", "/service_at_locations", "/taxonomy_terms",
         "/taxonomies")


def official_spec(*, fix_service_at_location: bool = True) -> dict[str, Any]:
    # The file names its schemas by their GitHub URLs; the same files are beside it, so the
    # refs are made relative to it (tests never call the internet).
    text = OPENAPI_FILE.read_text(encoding="utf-8").replace(OFFICIAL_SCHEMA_URL, "")
    # Our copy has no compiled/*_list.json (one-to-one fields of a record); the compiled schema
    # of the same record has those fields with the same types, and its nested lists are optional.
    for kind in ("service", "organization", "service_at_location"):
        text = text.replace(f"compiled/{kind}_list.json", f"compiled/{kind}.json")
    spec = json.loads(text)
    # An error of the file: /service_at_locations/{id} is described as returning a service
    # (compiled/service.json); it returns a service_at_location, as its own description says.
    if fix_service_at_location:
        one = spec["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]
        one["content"]["application/json"]["schema"]["$ref"] = "compiled/service_at_location.json"
    spec["servers"] = [{"url": "/hsds"}]  # where our app mounts the API
    return spec


@cache
def schema_file(uri: str) -> Any:
    # jsonschema-path's own file handler parses with YAML and again for every item of a page
    # (minutes a page); JSON, parsed once, is the same content.
    return json.loads(Path(url2pathname(urlsplit(uri).path)).read_text(encoding="utf-8"))


def no_network(uri: str) -> Any:
    raise AssertionError(f"a schema outside {hsds.SCHEMA_DIR} was asked for: {uri}")


def openapi_of(spec: dict[str, Any]) -> OpenAPI:
    path = SchemaPath.from_dict(spec, base_uri=OPENAPI_FILE.as_uri(),
                                handlers={"file": schema_file, "http": no_network,
                                          "https": no_network})
    # The official file itself is not checked (not ours, and ~10 s of CPU).
    # Without rfc3987 installed the library skips format "uri"; the rule resources_db/hsds.py
    # checks too (an absolute URI: with a scheme) is added.
    return OpenAPI(path, config=Config(spec_validator_cls=None, extra_format_validators={
        "uri": lambda v: not isinstance(v, str) or bool(urlsplit(v).scheme)}))


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return openapi_of(official_spec())


@pytest.fixture(scope="module")
def api(seeded_db_url: str):
    with TestClient(create_app(Settings(environment="test", database_url=seeded_db_url))) as c:
        yield c


def as_openapi(response: httpx.Response) -> tuple[MockRequest, MockResponse]:
    url = response.request.url
    request = MockRequest("http://testserver", response.request.method, url.path,
                          args=dict(url.params))
    return request, MockResponse(response.content, response.status_code,
                                 content_type=response.headers["content-type"])


def valid(openapi: OpenAPI, api: TestClient, path: str, **params: Any) -> Any:
    """The body of GET /hsds<path>, after openapi-core validated the request and response."""
    response = api.get(f"/hsds{path}", params=params)
    assert response.status_code == 200, response.text
    request, answer = as_openapi(response)
    openapi.validate_request(request)
    openapi.validate_response(request, answer)
    return response.json()


def every_page(openapi: OpenAPI, api: TestClient, path: str, **params: Any) -> list[dict]:
    """The contents of every page of a listing, each page validated."""
    contents, page, last = [], 1, False
    while not last:
        body = valid(openapi, api, path, page=page, **params)
        contents += body["contents"]
        page, last = page + 1, body["last_page"]
    assert len(contents) == body["total_items"]
    return contents


@pytest.mark.parametrize("path", LISTS)
def test_every_page_of_every_listing_validates(openapi: OpenAPI, api: TestClient, path: str):
    items = every_page(openapi, api, path, per_page=200)
    assert items and len({i["id"] for i in items}) == len(items)


@pytest.mark.parametrize("path", ["/services", "/organizations", "/service_at_locations"])
def test_every_page_of_full_listings_validates(openapi: OpenAPI, api: TestClient, path: str):
    assert every_page(openapi, api, path, per_page=200, full=True)


def test_filtered_and_placed_listings_validate(openapi: OpenAPI, api: TestClient):
    assert every_page(openapi, api, "/services", taxonomy_term_id=term_id("housing"), full=True)
    assert every_page(openapi, api, "/services", taxonomy_id=TAXONOMY_ID, search="county")
    near = every_page(openapi, api, "/service_at_locations", postcode="19107",
                      proximity="16000", full=True)
    assert near and all(s["service"]["id"] == s["service_id"] for s in near)
    assert every_page(openapi, api, "/service_at_locations", postcode="16501")
    assert every_page(openapi, api, "/taxonomy_terms", taxonomy_id=hsds.PROVENANCE_TAXONOMY_ID)
    empty = valid(openapi, api, "/services", search="nosuchwordanywhere")
    assert empty["empty"] and empty["total_items"] == 0


def kinds(obj: Any, at: str = "") -> set[str]:
    """What a record holds: the paths of its filled lists and the codes of its attributes
    (with the value of flags: demo=true and demo=false are two kinds)."""
    found: set[str] = set()
    for key, value in obj.items() if isinstance(obj, dict) else ():
        if key == "attributes":
            found |= {f"{at}{a['taxonomy_term']['code']}"
                      + (f"={a['value']}" if a["value"] in ("true", "false") else "")
                      for a in value}
        elif isinstance(value, list) and value:
            found.add(f"{at}{key}")
        for child in value if isinstance(value, list) else [value]:
            found |= kinds(child, f"{at}{key}.")
    return found


def of_every_kind(records: list[dict]) -> list[dict]:
    """The first and last records and the first to hold each kind of thing (see kinds): every
    shape of record the directory has, whatever its size (all of them would take minutes)."""
    chosen, seen = {r["id"]: r for r in (records[0], records[-1])}, set()
    for record in records:
        if new := kinds(record) - seen:
            chosen[record["id"]], seen = record, seen | new
    return list(chosen.values())


def test_services_of_every_kind_validate_one_by_one(openapi: OpenAPI, api: TestClient):
    services = of_every_kind(every_page(openapi, api, "/services", per_page=500, full=True))
    assert {"demo=false", "statewide=true", "statewide=false", "phones",
            "service_at_locations.location.addresses"} <= set().union(*map(kinds, services))
    for listed in services:
        assert valid(openapi, api, f"/services/{listed['id']}") == listed
        for sal in listed["service_at_locations"]:
            one = valid(openapi, api, f"/service_at_locations/{sal['id']}")
            assert one["location"] == sal["location"] and one["service"] == listed


def test_organizations_of_every_kind_validate_with_their_services(openapi: OpenAPI,
                                                                 api: TestClient):
    listed = every_page(openapi, api, "/organizations", per_page=500, full=True)
    for organization in of_every_kind(listed):
        one = valid(openapi, api, f"/organizations/{organization['id']}")
        assert {k: v for k, v in one.items() if k != "services"} == organization
        assert all(s["organization_id"] == organization["id"] for s in one["services"])
    careerlink = next(o for o in listed if o["name"] == "PA CareerLink")
    nested = valid(openapi, api, f"/organizations/{careerlink['id']}", full_service=True)
    assert len(nested["services"]) > 10
    assert all("service_at_locations" in s for s in nested["services"])


def test_every_term_and_the_about_document_validate(openapi: OpenAPI, api: TestClient):
    for term in every_page(openapi, api, "/taxonomy_terms", per_page=500):
        assert valid(openapi, api, f"/taxonomy_terms/{term['id']}") == term
    assert valid(openapi, api, "/")["version"] == "3.0"


def test_taxonomies_list_ours_with_their_terms(openapi: OpenAPI, api: TestClient):
    taxonomies = every_page(openapi, api, "/taxonomies")
    by_id = {t["id"]: t for t in taxonomies}
    assert {TAXONOMY_ID, hsds.PROVENANCE_TAXONOMY_ID} <= set(by_id)
    assert by_id[hsds.PROVENANCE_TAXONOMY_ID]["name"] == "Recovery-to-Work record notes"
    for taxonomy in taxonomies:
        assert valid(openapi, api, f"/taxonomies/{taxonomy['id']}") == taxonomy
        terms = every_page(openapi, api, "/taxonomy_terms", taxonomy_id=taxonomy["id"])
        assert terms and all(t["taxonomy_detail"]["id"] == taxonomy["id"] for t in terms)
    needs = {t["code"] for t in every_page(openapi, api, "/taxonomy_terms",
                                           taxonomy_id=TAXONOMY_ID)}
    assert {"jobs", "housing", "childcare"} <= needs
    # every term in the directory belongs to a taxonomy that is listed
    assert {t["taxonomy_id"] for t in every_page(openapi, api, "/taxonomy_terms")} <= set(by_id)


def test_taxonomies_are_searched_and_paged(openapi: OpenAPI, api: TestClient):
    found = every_page(openapi, api, "/taxonomies", search="record NOTES")
    assert [t["id"] for t in found] == [hsds.PROVENANCE_TAXONOMY_ID]
    assert valid(openapi, api, "/taxonomies", search="nosuchwordanywhere")["empty"]
    first = valid(openapi, api, "/taxonomies", per_page=1)
    assert (first["size"], first["first_page"], first["page_number"]) == (1, True, 1)
    assert first["total_pages"] == first["total_items"] >= 2 and not first["last_page"]
    second = valid(openapi, api, "/taxonomies", per_page=1, page=2)
    assert second["contents"] != first["contents"] and not second["first_page"]


def test_an_unknown_taxonomy_is_a_json_404(api: TestClient):
    response = api.get("/hsds/taxonomies/no-such-taxonomy")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert "no-such-taxonomy" in response.json()["detail"]


@pytest.mark.parametrize(("path", "spoil"), [
    ("/services", lambda b: b["contents"][0].pop("name")),
    ("/services", lambda b: b["contents"][0].update(url="www.example.org")),
    ("/taxonomies", lambda b: b["contents"][0].pop("description")),
    ("/taxonomy_terms", lambda b: b["contents"][0].update(id="not-a-uuid")),
    ("/organizations", lambda b: b.update(total_items="many")),
])
def test_a_response_off_the_schema_is_rejected(openapi: OpenAPI, api: TestClient, path,
                                               spoil):
    """The validation above can fail: the same responses, spoiled, do not validate."""
    response = api.get(f"/hsds{path}", params={"per_page": 3})
    request, _ = as_openapi(response)
    body = response.json()
    spoil(body)
    with pytest.raises(InvalidData):
        openapi.validate_response(request, MockResponse(json.dumps(body).encode()))


def test_the_single_service_at_location_is_checked_as_one(openapi: OpenAPI, api: TestClient):
    """The file's own ref (a service) rejects our service_at_location, which is why the test
    corrects it; with the correction a spoiled service_at_location is still rejected."""
    sal = valid(openapi, api, "/service_at_locations", per_page=1)["contents"][0]
    response = api.get(f"/hsds/service_at_locations/{sal['id']}")
    request, answer = as_openapi(response)
    as_in_the_file = openapi_of(official_spec(fix_service_at_location=False))
    with pytest.raises(InvalidData):
        as_in_the_file.validate_response(request, answer)
    spoiled = response.json() | {"service_id": 7}
    with pytest.raises(InvalidData):
        openapi.validate_response(request, MockResponse(json.dumps(spoiled).encode()))
