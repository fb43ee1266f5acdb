"""HSDS 3.0 export/import: valid against the official schemas, lossless, all or nothing."""

from __future__ import annotations

import copy
import csv
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from resources_db import geo, hsds
from resources_db.db import make_engine, make_session_factory
from resources_db.exchange import ImportFailed, export_hsds, import_hsds
from resources_db.migrate import upgrade
from resources_db.models import JobPosting, Location, Organization, Service
from resources_db.search import search_services
from resources_db.seed import seed_all
from tests.postgres import create_database, postgres_url  # noqa: F401  (the fixture)

SEARCHES = [("careerlink", "reading"), ("housing", "philadelphia"), ("jobs", "pittsburgh"),
            ("childcare", "erie"), ("transit", "15213"), ("crisis", None)]


def table_counts(session: Session) -> dict[str, int]:
    """Rows per directory table, as the session sees them."""
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m))
            for m in hsds.FIELDS}


def table_contents(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every directory table, by id (to compare two databases)."""
    with make_session_factory(engine)() as session:
        return {m.__tablename__: [{c.key: getattr(r, c.key) for c in m.__table__.columns}
                                  for r in session.scalars(select(m).order_by(m.id))]
                for m in hsds.FIELDS}


def export_files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def search_ids(engine: Engine) -> list[list[tuple[str, float | None]]]:
    with make_session_factory(engine)() as session:
        return [[(h.id, h.distance_mi) for h in search_services(
            session, need, geo.resolve_place(place) if place else None, limit=20).hits]
            for need, place in SEARCHES]


def export_of(engine: Engine, directory: Path) -> Path:
    with make_session_factory(engine)() as session:
        export_hsds(session, directory)
    return directory


def import_into_fresh(url: str, directory: Path) -> Engine:
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        import_hsds(session, directory)
    return engine


@pytest.fixture(scope="module")
def seeded(demo_db_url: str):
    """Seeded with --demo: demo records must stay flagged through every format."""
    engine = make_engine(demo_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def exported(seeded: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_of(seeded, tmp_path_factory.mktemp("export"))


@pytest.fixture
def bad_dir(exported: Path, tmp_path: Path) -> Path:
    """A copy of the export to spoil."""
    return Path(shutil.copytree(exported, tmp_path / "bad"))


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# --- export ----------------------------------------------------------------------------------

def test_every_exported_service_is_valid_against_the_official_schema(exported: Path):
    services = load(exported / "services.json")
    assert len(services) > 100
    assert {i: hsds.schema_errors("service", s) for i, s in enumerate(services)
            if hsds.schema_errors("service", s)} == {}


def test_every_exported_organization_is_valid_against_the_official_schema(exported: Path):
    organizations = load(exported / "organizations.json")
    assert len(organizations) > 50
    assert {i: hsds.schema_errors("organization", o) for i, o in enumerate(organizations)
            if hsds.schema_errors("organization", o)} == {}


def test_the_validator_does_reject_what_the_schema_forbids(exported: Path):
    service = copy.deepcopy(load(exported / "services.json")[0])
    service["status"] = "open"
    service["phones"] = [{"id": "not-a-uuid"}]
    problems = hsds.schema_errors("service", service)
    assert any(p.startswith("status:") for p in problems)
    assert any("phones/0" in p and "number" in p for p in problems)


def test_the_data_package_describes_every_csv(exported: Path):
    package = load(exported / "datapackage.json")
    assert package["profile"] == "tabular-data-package"
    names = {r["name"] for r in package["resources"]}
    assert {"organization", "service", "location", "address", "phone", "schedule",
            "service_at_location", "taxonomy", "taxonomy_term", "attribute", "language",
            "cost_option", "service_area", "job_posting"} <= names
    for resource in package["resources"]:
        with (exported / resource["path"]).open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f))
        assert header == [fd["name"] for fd in resource["schema"]["fields"]], resource["name"]
    with (exported / "service.csv").open(newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == len(load(exported / "services.json"))


def test_provenance_travels_as_attributes_on_our_record_notes_taxonomy(exported: Path,
                                                                        seeded: Engine):
    with make_session_factory(seeded)() as session:
        service = session.scalars(select(Service).where(Service.source_url.is_not(None))
                                  .order_by(Service.id)).first()
    exported_service = next(s for s in load(exported / "services.json") if s["id"] == service.id)
    notes = {a["taxonomy_term"]["code"]: a["value"] for a in exported_service["attributes"]
             if a["taxonomy_term"]["taxonomy_id"] == hsds.PROVENANCE_TAXONOMY_ID}
    assert notes["source_url"] == service.source_url
    assert notes["source_date"] == service.source_date
    assert notes["demo"] == "false"
    assert notes["statewide"] == ("true" if service.is_statewide else "false")


def test_demo_records_stay_flagged_in_every_format(exported: Path, seeded: Engine):
    with make_session_factory(seeded)() as session:
        demo_services = set(session.scalars(select(Service.id).where(Service.is_demo)))
        demo_orgs = set(session.scalars(select(Organization.id).where(Organization.is_demo)))
        demo_jobs = set(session.scalars(select(JobPosting.id).where(JobPosting.is_demo)))
    assert demo_services and demo_orgs and demo_jobs

    def flagged(objects: list[dict]) -> set[str]:
        return {o["id"] for o in objects for a in o["attributes"]
                if a["taxonomy_term"]["code"] == "demo" and a["value"] == "true"}

    assert flagged(load(exported / "services.json")) == demo_services
    assert flagged(load(exported / "organizations.json")) == demo_orgs
    demo_term = next(c.term_id for c in hsds.CARRIED[Service] if c.code == "demo")
    with (exported / "attribute.csv").open(newline="", encoding="utf-8") as f:
        flagged_rows = {r["link_id"] for r in csv.DictReader(f)
                        if r["taxonomy_term_id"] == demo_term and r["value"] == "true"}
    assert flagged_rows == demo_services | demo_orgs
    with (exported / "job_posting.csv").open(newline="", encoding="utf-8") as f:
        assert {r["id"] for r in csv.DictReader(f) if r["is_demo"] == "true"} == demo_jobs


# --- round trip --------------------------------------------------------------------------------

def test_round_trip_is_lossless(seeded: Engine, exported: Path, tmp_path: Path):
    fresh = import_into_fresh(f"sqlite:///{tmp_path / 'fresh.db'}", exported)
    try:
        again = export_of(fresh, tmp_path / "again")
        assert export_files(again) == export_files(exported)
        assert table_contents(fresh) == table_contents(seeded)
        assert search_ids(fresh) == search_ids(seeded)
    finally:
        fresh.dispose()


def test_a_new_demo_service_survives_export_and_import(db_session: Session, tmp_path: Path):
    organization = Organization(id="00000000-0000-4000-8000-00000000d001", name="Demo Org",
                                description="", is_demo=True)
    db_session.add_all([organization, Service(
        id="00000000-0000-4000-8000-00000000d002", organization_id=organization.id,
        name="Invented service (demo)", is_demo=True, source_date="demo data",
        coach_notes="not real")])
    db_session.flush()
    export_hsds(db_session, tmp_path / "out")
    target = f"sqlite:///{tmp_path / 'target.db'}"
    engine = import_into_fresh(target, tmp_path / "out")
    try:
        with make_session_factory(engine)() as session:
            service = session.get(Service, "00000000-0000-4000-8000-00000000d002")
            assert (service.is_demo, service.organization.is_demo) == (True, True)
            assert (service.source_date, service.coach_notes) == ("demo data", "not real")
    finally:
        engine.dispose()


def test_importing_an_export_into_its_own_database_changes_nothing(demo_session: Session,
                                                                   exported: Path):
    before = table_counts(demo_session)
    import_hsds(demo_session, exported)
    assert table_counts(demo_session) == before


# --- bad input: a clear message, nothing written -----------------------------------------------

def _spoil(directory: Path, name: str, change) -> None:
    data = load(directory / name)
    change(data)
    (directory / name).write_text(json.dumps(data), encoding="utf-8")


def _assert_refused(session: Session, directory: Path, *expected: str) -> str:
    before = table_counts(session)
    with pytest.raises(ImportFailed) as failure:
        import_hsds(session, directory)
    message = str(failure.value)
    assert "nothing was written" in message
    for text in expected:
        assert text in message
    session.rollback()
    assert table_counts(session) == before
    return message


def test_malformed_json_is_refused(db_session: Session, bad_dir: Path):
    (bad_dir / "services.json").write_text('[{"id": "x",', encoding="utf-8")
    _assert_refused(db_session, bad_dir, "services.json: not valid JSON (line 1")


def test_a_service_that_fails_the_schema_is_refused_with_its_index_and_id(db_session: Session,
                                                                        bad_dir: Path):
    services = load(bad_dir / "services.json")

    def change(data):
        data[3]["status"] = "open"
        del data[5]["name"]
        data[7]["id"] = "a1b2c3d4-0000-4000-8000-000000000001"  # a new one, written if we failed

    _spoil(bad_dir, "services.json", change)
    _assert_refused(db_session, bad_dir,
                    f"services.json record 3 (id {services[3]['id']}): status: 'open' is not one",
                    f"services.json record 5 (id {services[5]['id']}): (record): 'name' is a "
                    "required property")


def test_a_duplicate_id_within_the_file_is_refused(db_session: Session, bad_dir: Path):
    services = load(bad_dir / "services.json")
    _spoil(bad_dir, "services.json", lambda data: data.append(data[2]))
    _assert_refused(db_session, bad_dir,
                    f"services.json record {len(services)} (id {services[2]['id']}): duplicate "
                    "id (also record 2)")


def test_a_service_without_an_organization_is_refused(db_session: Session, bad_dir: Path):
    def change(data):
        data[0]["id"] = "a1b2c3d4-0000-4000-8000-000000000002"
        for key in ("organization", "organization_id", "phones", "schedules", "languages",
                    "cost_options", "service_areas", "service_at_locations", "attributes"):
            data[0].pop(key, None)

    _spoil(bad_dir, "services.json", change)
    _assert_refused(db_session, bad_dir, "services.json record 0 (id a1b2c3d4-0000-4000-8000-"
                                         "000000000002): service a1b2c3d4-0000-4000-8000-"
                                         "000000000002: organization_id is required")


def test_an_unknown_reference_is_refused(db_session: Session, bad_dir: Path):
    missing = "a1b2c3d4-0000-4000-8000-000000000003"
    _spoil(bad_dir, "services.json", lambda data: data[1].update(
        organization_id=missing, organization={"id": missing, "name": "X"}))
    _assert_refused(db_session, bad_dir, "services.json record 1",
                    "'description' is a required property")

    def change(data):
        data[1].pop("organization")
    _spoil(bad_dir, "services.json", change)
    _assert_refused(db_session, bad_dir, f"organization_id {missing} is neither in the import "
                                         "nor in the database")


def test_a_nested_record_that_contradicts_another_is_refused(db_session: Session,
                                                             bad_dir: Path):
    def change(data):
        first = next(s for s in data if s["service_at_locations"])
        first["service_at_locations"][0]["location"]["name"] = "Somewhere else"

    _spoil(bad_dir, "services.json", change)
    _assert_refused(db_session, bad_dir, "differs from the one in organizations.json")


def test_a_bad_job_posting_table_is_refused_too(db_session: Session, bad_dir: Path):
    path = bad_dir / "job_posting.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[0]["date_posted"] = "yesterday"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _assert_refused(db_session, bad_dir, "job_posting.csv line 2: date_posted: 'yesterday' is "
                                         "not a valid date")


def test_a_folder_without_hsds_files_is_refused(db_session: Session, tmp_path: Path):
    _assert_refused(db_session, tmp_path, "neither services.json nor organizations.json")


# --- PostgreSQL ----------------------------------------------------------------------------------

_pg_numbers = itertools.count(1)


@pytest.mark.postgres
def test_round_trip_on_postgresql_matches_sqlite(postgres_url: str,  # noqa: F811
                                                 exported: Path, seeded: Engine,
                                                 tmp_path: Path):
    source_url = create_database(postgres_url, f"navigator_exchange{next(_pg_numbers)}")
    upgrade(source_url)
    source = make_engine(source_url)
    fresh = None
    try:
        with make_session_factory(source)() as session:
            seed_all(session, include_demo=True)  # as the SQLite directory it is compared with
        from_postgres = export_of(source, tmp_path / "pg")
        assert export_files(from_postgres) == export_files(exported)  # same bytes as SQLite
        fresh = import_into_fresh(create_database(postgres_url, "navigator_exchange_fresh"),
                                  from_postgres)
        assert export_files(export_of(fresh, tmp_path / "pg-again")) == \
            export_files(from_postgres)
        assert search_ids(fresh) == search_ids(seeded)
        with make_session_factory(fresh)() as session:
            assert session.scalar(select(func.count()).select_from(Location)
                                  .where(Location.grid_cell.is_not(None))) > 0
    finally:
        source.dispose()
        if fresh is not None:
            fresh.dispose()
