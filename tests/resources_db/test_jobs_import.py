"""schema.org JobPosting JSON-LD import: one object, a list or a @graph; PA only; all or nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from resources_db import geo
from resources_db.exchange import ImportFailed
from resources_db.jobs_import import import_jobs
from resources_db.models import JobPosting, Organization
from resources_db.search import search_services
from resources_db.taxonomy import stable_id
from tests.resources_db.test_exchange import table_counts

CONTEXT = {"@vocab": "https://schema.org/", "navigator": "https://recovery-to-work.example/ns#"}


def posting(**overrides: Any) -> dict[str, Any]:
    base = {
        "@type": "JobPosting", "title": "Forklift Operator",
        "identifier": {"@type": "PropertyValue", "name": "Lake Erie Logistics", "value": "FL-1"},
        "description": "Load and unload trucks. Certification provided.",
        "hiringOrganization": {"@type": "Organization", "name": "Lake Erie Logistics",
                               "sameAs": "https://lel.example.com"},
        "jobLocation": {"@type": "Place", "address": {
            "@type": "PostalAddress", "streetAddress": "1 State St", "addressLocality": "Erie",
            "addressRegion": "PA", "postalCode": "16501"}},
        "baseSalary": {"@type": "MonetaryAmount", "currency": "USD", "value": {
            "@type": "QuantitativeValue", "minValue": 18, "maxValue": 21.5, "unitText": "HOUR"}},
        "employmentType": ["FULL_TIME", "TEMPORARY"], "workHours": "2nd shift",
        "datePosted": "2026-11-01", "validThrough": "2099-01-31T23:59:00-05:00",
        "url": "https://lel.example.com/jobs/fl-1", "directApply": True,
        "navigator:secondChance": True,
    }
    return base | overrides


def write(tmp_path: Path, data: Any, name: str = "jobs.jsonld") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def imported(session: Session, title: str) -> JobPosting:
    return session.scalars(select(JobPosting).where(JobPosting.title == title)).one()


def test_one_object_maps_every_field(db_session: Session, tmp_path: Path):
    counts = import_jobs(db_session, write(tmp_path, {"@context": CONTEXT, **posting()}))
    assert counts == {"organization": 1, "job_posting": 1}
    job = imported(db_session, "Forklift Operator")
    assert job.id == stable_id("job", "Lake Erie Logistics", "FL-1")
    assert (job.identifier, job.hiring_organization) == ("FL-1", "Lake Erie Logistics")
    assert (job.street_address, job.city, job.county, job.postal_code) == \
        ("1 State St", "Erie", "Erie", "16501")
    erie = geo.lookup_zip("16501")
    assert (job.latitude, job.longitude, job.coordinates_approximate) == \
        (erie.latitude, erie.longitude, True)
    assert (job.base_salary_min, job.base_salary_max, job.salary_currency, job.salary_unit) == \
        (18, 21.5, "USD", "HOUR")
    assert (job.employment_type, job.work_hours) == ("FULL_TIME,TEMPORARY", "2nd shift")
    assert (job.date_posted, job.valid_through) == (dt.date(2026, 11, 1), dt.date(2099, 1, 31))
    assert job.apply_url == job.source_url == "https://lel.example.com/jobs/fl-1"
    assert job.how_to_apply == "Apply online: https://lel.example.com/jobs/fl-1"
    assert (job.second_chance, job.recovery_friendly, job.is_demo) == (True, False, False)
    employer = db_session.get(Organization, job.organization_id)
    assert (employer.name, employer.website, employer.is_demo) == \
        ("Lake Erie Logistics", "https://lel.example.com", False)


def test_a_list_imports_every_posting_and_geo_gives_exact_coordinates(db_session: Session,
                                                                      tmp_path: Path):
    postings = [
        posting(),
        posting(title="Short Order Cook", identifier="LC-7", hiringOrganization="PA CareerLink",
                jobLocation={"@type": "Place", "geo": {"latitude": "40.4406",
                                                       "longitude": -79.9959},
                             "address": {"addressLocality": "Pittsburgh"}},
                baseSalary={"@type": "MonetaryAmount", "currency": "USD",
                            "value": {"value": 16, "unitText": "hour"}},
                employmentType="PART_TIME", **{"navigator:recoveryFriendly": "true",
                                               "navigator:demo": True}),
    ]
    counts = import_jobs(db_session, write(tmp_path, postings))
    assert counts["job_posting"] == 2
    cook = imported(db_session, "Short Order Cook")
    assert (cook.latitude, cook.longitude, cook.coordinates_approximate) == \
        (40.4406, -79.9959, False)
    assert (cook.county, cook.base_salary_min, cook.base_salary_max, cook.salary_unit) == \
        ("Allegheny", 16, 16, "HOUR")
    assert (cook.recovery_friendly, cook.is_demo, cook.employment_type) == \
        (True, True, "PART_TIME")
    # An organization that is already in the directory is linked, not changed.
    careerlink = db_session.get(Organization, cook.organization_id)
    assert careerlink.name == "PA CareerLink" and not careerlink.is_demo


def test_a_graph_imports_its_job_postings_and_skips_other_nodes(db_session: Session,
                                                                tmp_path: Path):
    graph = {"@context": CONTEXT, "@graph": [
        {"@type": "Organization", "@id": "#lel", "name": "Lake Erie Logistics"},
        posting(), posting(title="Dock Worker", identifier="DW-2")]}
    assert import_jobs(db_session, write(tmp_path, graph))["job_posting"] == 2
    hits = search_services(db_session, "jobs", geo.resolve_place("erie"), limit=50).hits
    assert {"Forklift Operator - Lake Erie Logistics", "Dock Worker - Lake Erie Logistics"} <= \
        {h.name for h in hits}


def test_importing_the_same_file_twice_updates_in_place(db_session: Session, tmp_path: Path):
    path = write(tmp_path, [posting(), posting(identifier=None, title="Picker",
                                               url="https://lel.example.com/jobs/p")])
    import_jobs(db_session, path)
    before = table_counts(db_session)
    import_jobs(db_session, path)
    assert table_counts(db_session) == before
    assert imported(db_session, "Picker").id == stable_id("job", "https://lel.example.com/jobs/p")


def _assert_refused(session: Session, path: Path, *expected: str) -> None:
    before = table_counts(session)
    with pytest.raises(ImportFailed) as failure:
        import_jobs(session, path)
    for text in ("nothing was written", *expected):
        assert text in str(failure.value)
    session.rollback()
    assert table_counts(session) == before


def test_postings_outside_pennsylvania_are_refused_and_nothing_is_written(db_session: Session,
                                                                          tmp_path: Path):
    ohio = {"@type": "Place", "address": {"addressLocality": "Cleveland", "postalCode": "44101"}}
    postings = [
        posting(),  # fine, but not written either
        posting(identifier="x1", jobLocation=ohio),
        posting(identifier="x2", jobLocation={"address": {"addressRegion": "OH"}}),
        posting(identifier="x3", jobLocation={"geo": {"latitude": 39.96, "longitude": -83.0}}),
        posting(identifier="x4", jobLocation=None),
    ]
    _assert_refused(db_session, write(tmp_path, postings),
                    "jobs.jsonld record 1: 44101 is in OH, not Pennsylvania",
                    "jobs.jsonld record 2: addressRegion 'OH' is not Pennsylvania",
                    "jobs.jsonld record 3: geo 39.96,-83.0 is outside Pennsylvania",
                    "jobs.jsonld record 4: jobLocation is required")


def test_missing_fields_and_bad_values_are_refused(db_session: Session, tmp_path: Path):
    postings = [
        {k: v for k, v in posting().items() if k != "title"},
        posting(identifier="y1", hiringOrganization={"@type": "Organization"}),
        posting(identifier="y2", baseSalary={"value": {"minValue": "lots"}}),
        posting(identifier="y3", datePosted="last week"),
        posting(identifier="y4", **{"navigator:secondChance": "maybe"}),
    ]
    _assert_refused(db_session, write(tmp_path, postings),
                    "record 0: title is required", "record 1: hiringOrganization is required",
                    "record 2: baseSalary minValue 'lots' is not a number",
                    "record 3: datePosted 'last week' is not an ISO 8601 date",
                    "record 4: navigator:secondChance must be true or false")


def test_a_duplicate_posting_is_refused(db_session: Session, tmp_path: Path):
    _assert_refused(db_session, write(tmp_path, [posting(), posting(title="Other")]),
                    "record 1: duplicate posting (same id as jobs.jsonld record 0)")


def test_malformed_json_and_other_types_are_refused(db_session: Session, tmp_path: Path):
    bad = tmp_path / "bad.jsonld"
    bad.write_text('{"@type": "JobPosting", ', encoding="utf-8")
    _assert_refused(db_session, bad, "bad.jsonld: not valid JSON (line 1")
    _assert_refused(db_session, write(tmp_path, [posting(), {"@type": "Event"}]),
                    "jobs.jsonld record 1: not a schema.org JobPosting (@type 'Event')")
    _assert_refused(db_session, write(tmp_path, {"@graph": [{"@type": "Organization"}]}),
                    "jobs.jsonld: the @graph has no JobPosting")
    _assert_refused(db_session, tmp_path / "missing.jsonld", "cannot read it")
