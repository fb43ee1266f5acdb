from sqlalchemy import func, select

from resources_db import geo
from resources_db.models import Location, Phone, Service
from resources_db.search import search_services
from resources_db.seed import parse_source_date, seed_all, split_phone
from tests.conftest import careerlink_seed_rows


def test_every_careerlink_office_is_imported_with_its_source(db_session):
    rows = careerlink_seed_rows()
    services = db_session.scalars(select(Service)).all()
    by_name = {s.name: s for s in services}
    assert {r["name"] for r in rows} <= set(by_name)
    for row in rows:
        service = by_name[row["name"]]
        assert service.source_url == row["source_url"]
        assert service.source_date == (row["source_date"] or "undated")
        assert service.is_demo is False


def test_seeding_twice_changes_nothing(db_session):
    before = db_session.scalar(select(func.count()).select_from(Service))
    phones = db_session.scalar(select(func.count()).select_from(Phone))
    seed_all(db_session)
    assert db_session.scalar(select(func.count()).select_from(Service)) == before
    assert db_session.scalar(select(func.count()).select_from(Phone)) == phones


def test_every_office_has_approximate_coordinates_in_pennsylvania(db_session):
    for location in db_session.scalars(select(Location)):
        assert location.coordinates_approximate is True
        assert 39.7 < location.latitude < 42.3 and -80.6 < location.longitude < -74.6


def test_job_search_near_erie_lists_nearest_offices_first(db_session):
    result = search_services(db_session, "jobs", geo.resolve_place("erie"), limit=3)
    # Nothing within 15 or 40 miles of Erie: the search widened until the page filled.
    assert result.radius_mi == 100 and result.total >= 3
    distances = [h.distance_mi for h in result.hits]
    assert distances == sorted(distances)
    # No Erie County office is in the seed: the nearest are Warren, then Mercer (Sharon).
    assert result.hits[0].name == "PA CareerLink Warren"
    assert result.hits[0].phone == "844-333-5248"
    assert 40 < result.hits[0].distance_mi < 60


def test_search_in_philadelphia_finds_philadelphia_offices(db_session):
    result = search_services(db_session, "careerlink", geo.resolve_place("19140"), limit=3)
    assert all(h.county in ("Philadelphia", "Delaware", "Montgomery") for h in result.hits)
    assert result.hits[0].name.startswith("PA CareerLink North Philadelphia")


def test_pagination_does_not_repeat_results(db_session):
    place = geo.resolve_place("harrisburg")
    first = search_services(db_session, "jobs", place, limit=3)
    second = search_services(db_session, "jobs", place, limit=3, offset=3)
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


def test_source_dates_parse_only_as_precisely_as_stated():
    assert str(parse_source_date("2022-07-30")) == "2022-07-30"
    assert str(parse_source_date("undated county page; confirmed 2022-05-28")) == "2022-05-28"
    assert str(parse_source_date("2021-11")) == "2021-11-01"
    assert parse_source_date("c. 2017") is None
    assert parse_source_date("undated") is None


def test_phone_text_splits_number_and_note():
    assert split_phone("844-333-5248 (toll-free, NW PA CareerLink)") == (
        "844-333-5248", "toll-free, NW PA CareerLink")
    assert split_phone("(610) 723-1220") == ("(610) 723-1220", None)
    assert split_phone("see website") is None


def test_every_seed_file_is_imported(db_session):
    import csv

    from resources_db.seed import DEFAULT_SEED_DIR, SEED_FILES

    names = set(db_session.scalars(select(Service.name)))
    for path in DEFAULT_SEED_DIR.glob("*.csv"):
        assert path.name in SEED_FILES
        with path.open(newline="") as f:
            first = next(csv.DictReader(f))
        name_column = next(c for c in ("name", "agency_name", "elrc_name", "office_name")
                           if c in first)
        assert any(n.startswith(first[name_column]) for n in names), path.name


def test_a_seed_folder_with_an_unknown_file_is_refused(tmp_path, db_session):
    import pytest

    (tmp_path / "mystery.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="mystery.csv"):
        seed_all(db_session, tmp_path)


def test_childcare_near_erie_starts_with_the_elrc_serving_erie_county(db_session):
    result = search_services(db_session, "childcare", geo.resolve_place("erie"), limit=3)
    first = result.hits[0]
    assert first.name == "ELRC Region 1" and first.coverage == "serves Erie County"
    assert first.phone == "1-800-860-2281"


def test_statewide_services_come_after_local_ones_and_say_so(db_session):
    result = search_services(db_session, "childcare", geo.resolve_place("erie"), limit=100)
    flags = [h.statewide for h in result.hits]
    assert flags == sorted(flags) and flags[-1] is True
    assert all(h.coverage == "statewide" for h in result.hits if h.statewide)


def test_housing_has_only_statewide_real_answers(db_session):
    result = search_services(db_session, "housing", geo.resolve_place("pgh"), limit=10)
    assert result.hits and all(h.statewide for h in result.hits if not h.demo)


def test_transit_agency_in_its_own_county(db_session):
    result = search_services(db_session, "transit", geo.resolve_place("harrisburg"), limit=3)
    rabbit = next(h for h in result.hits if h.name.startswith("rabbittransit"))
    assert rabbit.coverage == "serves Dauphin County" and rabbit.county == "York"


def test_a_radius_keeps_only_what_is_inside_it(db_session):
    place = geo.resolve_place("harrisburg")
    result = search_services(db_session, "careerlink", place, limit=50, radius_mi=60)
    assert result.hits and all(h.distance_mi is not None and h.distance_mi <= 60
                               for h in result.hits)
    everywhere = search_services(db_session, "careerlink", None, limit=100)
    assert everywhere.total == len(careerlink_seed_rows()) > result.total


def test_every_careerlink_office_is_placed_even_with_only_a_county(db_session):
    everywhere = search_services(db_session, "careerlink", geo.resolve_place("uniontown"),
                                 limit=100)
    fayette = next(h for h in everywhere.hits if h.name == "PA CareerLink Fayette County")
    assert fayette.distance_mi is not None and fayette.distance_mi < 15


def test_free_text_finds_services_by_words_in_their_description(db_session):
    result = search_services(db_session, None, geo.resolve_place("allentown"), limit=10,
                             text="vocational rehab")
    assert result.hits and all("Vocational" in (h.description or "") + h.name
                               for h in result.hits)
    assert search_services(db_session, None, None, text="zzzznotaword").total == 0
    # Operators and quotes people type are words, not FTS syntax errors.
    assert search_services(db_session, None, None, text='"resume" OR -(').total >= 0


def test_open_now_keeps_only_services_known_to_be_open(db_session):
    import datetime as dt

    saturday_3am = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)
    result = search_services(db_session, "crisis", geo.resolve_place("erie"), limit=10,
                             open_now=True, now=saturday_3am)
    names = {h.name for h in result.hits}
    assert "988 Suicide & Crisis Lifeline (Pennsylvania)" in names
    everything = search_services(db_session, "crisis", geo.resolve_place("erie"), limit=50)
    assert result.total < everything.total  # lines without stated hours are not claimed open
