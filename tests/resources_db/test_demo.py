"""Demo data: answers for every need in the largest counties, and never mistaken for real."""

import pytest
from sqlalchemy import select

from resources_db import geo
from resources_db.demo import LARGEST_COUNTIES
from resources_db.models import JobPosting, Organization, Service
from resources_db.search import search_services


@pytest.mark.parametrize("need", ["jobs", "careerlink", "housing", "childcare", "transit"])
@pytest.mark.parametrize("county", ["Philadelphia", "Allegheny", "Lancaster"])
def test_every_need_has_an_answer_in_the_largest_counties(db_session, need, county):
    result = search_services(db_session, need, geo.resolve_place(f"{county} County"), limit=3)
    assert result.hits, f"no {need} answer in {county} County"


def test_demo_records_are_flagged_and_named_as_demo(db_session):
    demo_services = db_session.scalars(select(Service).where(Service.is_demo)).all()
    demo_jobs = db_session.scalars(select(JobPosting).where(JobPosting.is_demo)).all()
    assert len(demo_services) == 2 * len(LARGEST_COUNTIES)
    assert len(demo_jobs) == 3 * len(LARGEST_COUNTIES)
    for record in [*demo_services, *demo_jobs]:
        name = record.name if isinstance(record, Service) else record.hiring_organization
        assert name.endswith("(demo)")
    for service in demo_services:
        assert db_session.get(Organization, service.organization_id).is_demo
        assert all("555-01" in p.number for p in service.phones)  # fictional numbers only


def test_real_records_are_never_flagged_demo(db_session):
    real = db_session.scalars(select(Service).where(Service.is_demo.is_(False))).all()
    assert real and not any("(demo)" in s.name for s in real)
    assert all(s.source_url or s.is_statewide or s.source_date for s in real)


def test_housing_filters_in_words_narrow_the_demo_residences(db_session):
    place = geo.resolve_place("pittsburgh")
    women = search_services(db_session, "housing", place, limit=3,
                            filters={"gender_served": "women"})
    # Real residences for women (batch 2) may come too; every demo one is the women's house.
    assert women.hits and all("Women" in h.name for h in women.hits if h.demo)
    mat = search_services(db_session, "housing", place, limit=3,
                          filters={"mat_friendly": "true"})
    assert mat.hits[0].name == "Pittsburgh Women's Recovery Residence (demo)"


def test_a_job_search_first_page_names_a_real_place_that_helps(db_session):
    result = search_services(db_session, "jobs", geo.resolve_place("philadelphia"), limit=3)
    kinds = [h.kind for h in result.hits]
    assert "job_posting" in kinds and "service" in kinds
    assert any(not h.demo for h in result.hits)


def test_widening_stops_at_100_miles_once_something_is_found(db_session):
    result = search_services(db_session, "housing", geo.resolve_place("pittsburgh"), limit=3,
                             filters={"gender_served": "women"})
    local = [h for h in result.hits if not h.statewide]
    assert local and all(h.distance_mi <= 100 for h in local)
    assert result.radius_mi <= 100
