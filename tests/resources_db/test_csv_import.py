"""Services from a CSV: added or updated in full; every error by line; nothing written on any."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from resources_db import geo
from resources_db.csv_import import import_csv
from resources_db.exchange import ImportFailed
from resources_db.models import Attribute, Phone, Service
from resources_db.search import search_services
from tests.resources_db.test_exchange import table_counts

HEADER = ["id", "name", "organization", "needs", "street", "city", "zip", "county", "phone",
          "website", "source_url", "source_date", "hours", "mat_friendly", "gender_served",
          "demo"]
HOPE = {"name": "Hope House", "organization": "Hope Recovery Inc", "needs": "housing",
        "street": "12 Main St", "city": "Erie", "zip": "16501",
        "phone": "814-555-0100 (office); 814-555-0101 (after hours)",
        "website": "https://hope.example.org", "source_url": "https://hope.example.org/about",
        "source_date": "2025-05-01", "hours": "Mon-Fri 9:00 AM - 5:00 PM",
        "mat_friendly": "true", "gender_served": "women"}


def write(tmp_path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    path = tmp_path / "services.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def refused(session: Session, path: Path) -> list[str]:
    before = table_counts(session)
    with pytest.raises(ImportFailed) as failure:
        import_csv(session, path)
    session.rollback()
    assert table_counts(session) == before
    return failure.value.problems


def test_a_new_service_is_added_and_found_by_search(db_session: Session, tmp_path: Path):
    import_csv(db_session, write(tmp_path, [HOPE]))
    service = db_session.scalars(select(Service).where(Service.name == "Hope House")).one()
    assert (service.source_url, service.source_date, service.is_demo) == \
        ("https://hope.example.org/about", "2025-05-01", False)
    assert service.assured_date.isoformat() == "2025-05-01"
    assert sorted(p.number for p in service.phones) == ["814-555-0100", "814-555-0101"]
    address = service.service_at_locations[0].location.addresses[0]
    assert (address.address_1, address.city, address.region, address.postal_code) == \
        ("12 Main St", "Erie", "Erie", "16501")
    assert service.schedules[0].byday == "MO,TU,WE,TH,FR"
    hits = search_services(db_session, "housing", geo.resolve_place("16501"),
                           filters={"mat_friendly": "true", "gender_served": "women"}).hits
    assert service.id in {h.id for h in hits}


def test_importing_the_same_file_again_changes_nothing(db_session: Session, tmp_path: Path):
    path = write(tmp_path, [HOPE, HOPE | {"name": "Hope Outreach", "needs": "recovery_support",
                                          "street": "", "city": "", "zip": "",
                                          "county": "Erie", "demo": "yes"}])
    import_csv(db_session, path)
    before = table_counts(db_session)
    import_csv(db_session, path)
    assert table_counts(db_session) == before
    outreach = db_session.scalars(select(Service).where(Service.name == "Hope Outreach")).one()
    assert outreach.is_demo


def test_an_id_updates_a_seeded_service_and_replaces_what_the_row_describes(
        db_session: Session, tmp_path: Path):
    service = db_session.scalars(select(Service).join(Phone).where(Service.name.like(
        "PA CareerLink%")).order_by(Service.id)).first()
    kept_notes = service.coach_notes
    import_csv(db_session, write(tmp_path, [{
        "id": service.id, "name": "PA CareerLink (renamed)", "organization": "PA CareerLink",
        "needs": "careerlink;jobs", "county": "Erie", "phone": "814-555-0199"}]))
    db_session.expire_all()
    updated = db_session.get(Service, service.id)
    assert updated.name == "PA CareerLink (renamed)"
    assert [p.number for p in updated.phones] == ["814-555-0199"]
    codes = {a.taxonomy_term.code for a in db_session.scalars(
        select(Attribute).where(Attribute.link_id == service.id))}
    assert codes == {"careerlink", "jobs"}
    assert updated.coach_notes is None and kept_notes is not None  # the row gives it in full


def test_every_bad_row_is_reported_by_line_and_nothing_is_written(db_session: Session,
                                                                  tmp_path: Path):
    rows = [
        HOPE,                                                         # line 2: fine
        HOPE | {"name": "Bad Zip", "zip": "44101", "city": ""},       # line 3
        HOPE | {"name": ""},                                          # line 4
        HOPE | {"name": "Wrong County", "county": "Crawford"},        # line 5
        HOPE,                                                         # line 6
        HOPE | {"name": "Many", "id": "nope", "needs": "food", "phone": "call us",
                "website": "ftp://x", "mat_friendly": "maybe", "gender_served": "all"},  # 7
        HOPE | {"name": "Stranger", "id": "5d45dbac-9056-5eda-a177-000000000000"},  # line 8
        HOPE | {"name": "Ohio", "zip": "", "city": "Ohio"},           # line 9
    ]
    problems = refused(db_session, write(tmp_path, rows))
    assert problems == [
        "services.csv line 3: zip 44101 is in OH, not Pennsylvania.",
        "services.csv line 4: name is required",
        "services.csv line 5: zip 16501 is in Erie County, not Crawford",
        f"services.csv line 6: duplicate id {problems[3].split()[5]} (also line 2; without an "
        "id, rows with the same organization and name are the same service)",
        "services.csv line 7: id 'nope' is not a UUID",
        "services.csv line 7: unknown need(s) food (known: jobs, careerlink, housing, childcare, "
        "transit, crisis, vocational_rehab, training, treatment_referral, recovery_support, "
        "unemployment, information, benefits, record)",
        "services.csv line 7: phone 'call us' has no phone number in it",
        "services.csv line 7: website 'ftp://x' is not a web address (http:// or https://)",
        "services.csv line 7: mat_friendly must be true or false, not 'maybe'",
        "services.csv line 7: gender_served must be one of women, men, any, not 'all'",
        "services.csv line 8: no service has id 5d45dbac-9056-5eda-a177-000000000000 (leave id "
        "blank to add a service)",
        "services.csv line 9: city 'Ohio': Ohio is outside Pennsylvania.",
    ]


def test_header_problems_are_reported_on_line_1(db_session: Session, tmp_path: Path):
    path = write(tmp_path, [{"name": "X", "organization": "Y", "colour": "red"}],
                 header=["name", "organization", "colour"])
    assert refused(db_session, path) == [
        "services.csv line 1: unknown column 'colour' (known: id, name, organization, needs, "
        "description, street, city, zip, county, counties_served, statewide, phone, website, "
        "email, hours, languages, source_url, source_date, source_title, coach_notes, demo, "
        "mat_friendly, gender_served, accepts_people_with_records, cost, evening_hours, "
        "weekend_hours, refers_for, address_private, lead_needs_intake)",
        "services.csv line 1: the required column 'needs' is missing",
    ]


def test_a_line_number_counts_physical_lines(db_session: Session, tmp_path: Path):
    """A quoted cell with a line break moves every later row down."""
    rows = [HOPE | {"name": "Two-line", "street": "12 Main St\nRear entrance"},
            HOPE | {"name": "Later", "county": "Nowhere"}]
    assert refused(db_session, write(tmp_path, rows)) == [
        "services.csv line 4: county 'Nowhere' is not a Pennsylvania county"]


def test_every_filter_column_is_read_or_refused_clearly(db_session: Session, tmp_path: Path):
    from resources_db.csv_import import BOOLEAN_FILTERS, CHOICE_FILTERS
    from resources_db.taxonomy import FILTERS

    assert set(FILTERS) == set(BOOLEAN_FILTERS) | set(CHOICE_FILTERS)
    path = write(tmp_path, [HOPE | {"refers_for": "nonsense"}], header=[*HEADER, "refers_for"])
    assert any("refers_for must be one of" in p for p in refused(db_session, path))
