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
        # An office updated in more/careerlink_more.csv keeps the newer source first, both kept.
        assert row["source_url"] == service.source_url or \
            f"Other source ({row['source_date'] or 'undated'}): {row['source_url']}" in \
            (service.coach_notes or "")
        if service.source_url == row["source_url"]:
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


def test_job_search_near_erie_lists_what_serves_erie_then_the_nearest(db_session):
    result = search_services(db_session, "jobs", geo.resolve_place("erie"), limit=10)
    assert result.total >= 3
    # Batch 2 has an Erie County CareerLink (no street: placed at the county centroid).
    assert any(h.name.startswith("PA CareerLink Erie") for h in result.hits)
    distances = [h.distance_mi for h in result.hits if h.distance_mi is not None]
    assert distances == sorted(distances)

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


def _seed_copy(tmp_path):
    import shutil

    from resources_db.seed import DEFAULT_SEED_DIR

    folder = tmp_path / "seed"
    shutil.copytree(DEFAULT_SEED_DIR, folder)
    return folder


def test_an_unknown_file_is_reported_by_name_and_the_rest_is_imported(tmp_path, db_session):
    folder = _seed_copy(tmp_path)
    (folder / "more" / "mystery.csv").write_text("a,b\n1,2\n")
    messages = []
    reports = seed_all(db_session, folder, progress=messages.append, include_demo=False)
    skipped = [r.file for r in reports if r.skipped]
    assert skipped == ["more/mystery.csv"]
    assert any("more/mystery.csv" in m and "unknown header" in m for m in messages)
    assert {r.file for r in reports if not r.skipped} >= {"more/sca_offices.csv",
                                                           "more/recovery_residences.csv"}


def test_a_new_file_with_a_known_header_needs_no_code_change(tmp_path, db_session):
    folder = _seed_copy(tmp_path)
    rows = (folder / "more" / "sca_offices.csv").read_text().splitlines()
    (folder / "more" / "sca_offices_2027.csv").write_text(
        rows[0] + "\n" + ",Potter,814-555-0000,,,,,,Test row,2027-01,https://x.example,X\n")
    reports = seed_all(db_session, folder, include_demo=False)
    assert next(r for r in reports if r.file == "more/sca_offices_2027.csv").rows == 1


def _counts(session):
    from sqlalchemy import func, select

    from resources_db.models import Attribute, Location, Phone, Service, ServiceArea

    return [session.scalar(select(func.count()).select_from(m))
            for m in (Service, Location, Phone, ServiceArea, Attribute)]


def test_seeding_twice_changes_no_table(db_session):
    before = _counts(db_session)
    seed_all(db_session)
    assert _counts(db_session) == before


def test_every_batch_two_file_is_imported_with_its_source(db_session):
    from sqlalchemy import select

    from resources_db.models import Service

    reports = {r.file: r.rows for r in seed_all(db_session, include_demo=False)}
    assert reports["more/treatment_facilities_samhsa_2021.csv"] == 560
    assert reports["more/recovery_residences.csv"] == 219
    assert not any(r for r in reports if r.startswith("more/") and reports[r] == 0)
    sca = db_session.scalars(select(Service).where(Service.name.like("%Erie%"),
                                                   Service.description.like("Single County%")))
    sca = sca.first()
    assert sca is not None and sca.source_url and sca.source_date


def test_an_update_row_is_merged_into_its_base_office(db_session):
    from sqlalchemy import select

    from resources_db.models import Address, Location, Service, ServiceAtLocation

    elk = db_session.scalars(select(Service).where(Service.name.like("PA CareerLink Elk%"))).all()
    assert len(elk) == 1
    street = db_session.scalar(
        select(Address.address_1).join(Location, Address.location_id == Location.id)
        .join(ServiceAtLocation, ServiceAtLocation.location_id == Location.id)
        .where(ServiceAtLocation.service_id == elk[0].id))
    assert "245 Depot" in street
    assert "Other source" in elk[0].coach_notes
    lanta = db_session.scalars(select(Service).where(Service.name.like("LANta%"))).all()
    assert len(lanta) == 1 and any("253-8333" in p.number for p in lanta[0].phones)


def test_samhsa_leads_are_flagged_and_not_answers_by_themselves(db_session):
    from sqlalchemy import func, select

    from resources_db.models import Attribute
    from resources_db.taxonomy import term_id

    flagged = db_session.scalar(select(func.count()).select_from(Attribute).where(
        Attribute.taxonomy_term_id == term_id("lead_needs_intake")))
    assert flagged >= 600
    result = search_services(db_session, "treatment_referral", geo.resolve_place("altoona"),
                             limit=100)
    assert all(h.phone for h in result.hits if not h.statewide) or result.hits


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


def test_housing_lists_real_recovery_residences_near_philadelphia(db_session):
    result = search_services(db_session, "housing", geo.resolve_place("philadelphia"), limit=10)
    assert any(not h.demo and not h.statewide for h in result.hits)


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
    # The base file plus the new offices of more/careerlink_more.csv (updates merged).
    assert everywhere.total >= len(careerlink_seed_rows()) and everywhere.total > result.total


def test_every_careerlink_office_is_placed_even_with_only_a_county(db_session):
    everywhere = search_services(db_session, "careerlink", geo.resolve_place("uniontown"),
                                 limit=100)
    fayette = next(h for h in everywhere.hits if h.name == "PA CareerLink Fayette County")
    assert fayette.distance_mi is not None and fayette.distance_mi < 15


def test_free_text_finds_services_by_words_in_their_description(db_session):
    result = search_services(db_session, None, geo.resolve_place("allentown"), limit=10,
                             text="vocational rehab")
    assert result.hits and all("vocational" in ((h.description or "") + h.name).lower()
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
