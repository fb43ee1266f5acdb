"""Demo data: opt-in only, answers for every need in the largest counties when asked for, and
never mistaken for real."""

import subprocess

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from api.settings import Settings
from resources_db import geo
from resources_db.demo import LARGEST_COUNTIES
from resources_db.models import JobPosting, Organization, Service
from resources_db.search import search_services
from resources_db.seed import seed_all
from tests.conftest import ROOT


@pytest.mark.parametrize("need", ["jobs", "careerlink", "housing", "childcare", "transit"])
@pytest.mark.parametrize("county", ["Philadelphia", "Allegheny", "Lancaster"])
def test_every_need_has_an_answer_in_the_largest_counties(demo_session, need, county):
    result = search_services(demo_session, need, geo.resolve_place(f"{county} County"), limit=3)
    assert result.hits, f"no {need} answer in {county} County"


def test_demo_records_are_flagged_and_named_as_demo(demo_session):
    demo_services = demo_session.scalars(select(Service).where(Service.is_demo)).all()
    demo_jobs = demo_session.scalars(select(JobPosting).where(JobPosting.is_demo)).all()
    assert len(demo_services) == 2 * len(LARGEST_COUNTIES)
    assert len(demo_jobs) == 3 * len(LARGEST_COUNTIES)
    for record in [*demo_services, *demo_jobs]:
        name = record.name if isinstance(record, Service) else record.hiring_organization
        assert name.endswith("(demo)")
    for service in demo_services:
        assert demo_session.get(Organization, service.organization_id).is_demo
        assert all("555-01" in p.number for p in service.phones)  # fictional numbers only


def test_real_records_are_never_flagged_demo(demo_session):
    real = demo_session.scalars(select(Service).where(Service.is_demo.is_(False))).all()
    assert real and not any("(demo)" in s.name for s in real)
    assert all(s.source_url or s.is_statewide or s.source_date for s in real)


def test_housing_filters_in_words_narrow_the_demo_residences(demo_session):
    place = geo.resolve_place("pittsburgh")
    women = search_services(demo_session, "housing", place, limit=3,
                            filters={"gender_served": "women"})
    # Real residences for women (batch 2) may come too; every demo one is the women's house.
    assert women.hits and all("Women" in h.name for h in women.hits if h.demo)
    mat = search_services(demo_session, "housing", place, limit=3,
                          filters={"mat_friendly": "true"})
    assert mat.hits[0].name == "Pittsburgh Women's Recovery Residence (demo)"


def test_a_job_search_first_page_names_a_real_place_that_helps(demo_session):
    result = search_services(demo_session, "jobs", geo.resolve_place("philadelphia"), limit=3)
    kinds = [h.kind for h in result.hits]
    assert "job_posting" in kinds and "service" in kinds
    assert any(not h.demo for h in result.hits)


def test_widening_stops_at_100_miles_once_something_is_found(demo_session):
    result = search_services(demo_session, "housing", geo.resolve_place("pittsburgh"), limit=3,
                             filters={"gender_served": "women"})
    local = [h for h in result.hits if not h.statewide]
    assert local and all(h.distance_mi <= 100 for h in local)
    assert result.radius_mi <= 100


def _demo_counts(session) -> tuple[int, int]:  # noqa: ANN001
    return (session.scalar(select(func.count()).select_from(Service).where(Service.is_demo)),
            session.scalar(select(func.count()).select_from(JobPosting)
                           .where(JobPosting.is_demo)))


def test_the_directory_people_get_has_no_demo_record(db_session):
    assert _demo_counts(db_session) == (0, 0)
    assert db_session.scalar(select(func.count()).select_from(Organization)
                             .where(Organization.is_demo)) == 0
    reading = search_services(db_session, "housing", geo.resolve_place("reading"), limit=10)
    assert reading.hits and not any(h.demo or "555" in (h.phone or "") for h in reading.hits)


def test_a_seed_without_demo_removes_the_demo_rows_an_older_seed_left(demo_session):
    assert _demo_counts(demo_session) == (2 * len(LARGEST_COUNTIES), 3 * len(LARGEST_COUNTIES))
    real = demo_session.scalar(select(func.count()).select_from(Service)
                               .where(Service.is_demo.is_(False)))
    seed_all(demo_session)
    assert _demo_counts(demo_session) == (0, 0)
    assert demo_session.scalar(select(func.count()).select_from(Service)) == real
    housing = search_services(demo_session, "housing", geo.resolve_place("pittsburgh"), limit=50)
    assert not any(h.demo for h in housing.hits)
    seed_all(demo_session, include_demo=True)  # and back, for trying the bot
    assert _demo_counts(demo_session) == (2 * len(LARGEST_COUNTIES), 3 * len(LARGEST_COUNTIES))


def test_production_settings_refuse_demo_data():
    secrets = {"rasa_token": "r" * 20, "pseudonym_key": "p" * 20,
               "twilio_auth_token": "t" * 20, "data_encryption_key": "k" * 20}
    assert Settings(environment="production", **secrets).demo_data is False
    with pytest.raises(ValidationError, match="DEMO_DATA"):
        Settings(environment="production", demo_data=True, **secrets)


def test_the_seed_command_refuses_demo_in_production(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "ENVIRONMENT": "production", "RASA_TOKEN": "r" * 20,
           "PSEUDONYM_KEY": "p" * 20, "TWILIO_AUTH_TOKEN": "t" * 20,
           "DATA_ENCRYPTION_KEY": "k" * 20, "RASA_TELEMETRY_ENABLED": "false",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'directory.db'}"}
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "navigator"), "db", "seed", "--demo"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "refusing demo" in done.stdout + done.stderr
    assert not (tmp_path / "directory.db").exists() or _no_demo_in(tmp_path / "directory.db")


def _no_demo_in(path) -> bool:  # noqa: ANN001
    import sqlite3

    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT count(*) FROM service WHERE is_demo").fetchone()[0] == 0
        except sqlite3.OperationalError:  # no tables: nothing was written
            return True
