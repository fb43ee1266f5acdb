"""The needs beyond the five (issue 15): benefits, record, recovery support, training, as the
directory answers them from the real seed rows (no demo record counts)."""

import pytest

from resources_db import geo
from resources_db.search import search_services
from resources_db.seed import barrier_needs, ovr_needs
from resources_db.taxonomy import NEEDS, PERSON_NEEDS


def _hits(session, need, place, limit=50):
    return search_services(session, need, geo.resolve_place(place), limit=limit).hits


def test_the_new_needs_are_taxonomy_terms_and_coverage_columns():
    assert {"benefits", "record", "recovery_support", "training"} <= set(NEEDS)
    assert {"benefits", "record", "recovery_support", "training"} <= set(PERSON_NEEDS)


def test_record_help_in_erie_is_the_legal_aid_serving_erie_then_statewide(db_session):
    hits = _hits(db_session, "record", "erie")
    first = hits[0]
    assert first.name == "Northwestern Legal Services" and first.serves_county
    assert first.coverage == "serves Erie County"
    statewide = {h.name for h in hits if h.statewide}
    assert any(n.startswith("PA Clean Slate") for n in statewide)
    assert any(n.startswith("Federal Bonding Program") for n in statewide)
    assert any("WOTC" in n for n in statewide)


def test_legal_aid_stays_bound_to_the_counties_it_serves(db_session):
    # LASP serves Bucks, Chester, Delaware and Montgomery: in Philadelphia it is not an answer
    # for the county (Philadelphia's own programs are), and never shown as serving it.
    hits = _hits(db_session, "record", "philadelphia")
    serving = [h.name for h in hits if h.serves_county]
    assert any(n.startswith("Community Legal Services of Philadelphia") for n in serving)
    lasp = next(h for h in hits if h.name.startswith("Legal Aid of Southeastern PA"))
    assert not lasp.serves_county and lasp.coverage != "serves Philadelphia County"
    assert next(h for h in _hits(db_session, "record", "west chester")
                if h.name.startswith("Legal Aid of Southeastern PA")).serves_county


def test_legal_aid_is_record_help_not_job_help(db_session):
    names = {h.name for h in _hits(db_session, "jobs", "erie", limit=100)}
    assert "Northwestern Legal Services" not in names


@pytest.mark.parametrize("county", ["Cambria", "Erie", "Fulton", "Philadelphia", "Pike"])
def test_benefits_in_any_county_has_the_ticket_to_work_line(db_session, county):
    ticket = next(h for h in _hits(db_session, "benefits", f"{county} county")
                  if h.name.startswith("Ticket to Work Help Line"))
    assert ticket.statewide and ticket.phone == "1-866-968-7842"


def test_ovr_refers_for_benefits_and_comes_after_the_counselors(db_session):
    hits = _hits(db_session, "benefits", "allentown")
    ovr = next(h for h in hits if h.name == "OVR Allentown District Office")
    assert ovr.referral and ovr.serves_county


def test_recovery_support_in_cambria_lists_the_cambria_sca_first(db_session):
    hits = _hits(db_session, "recovery_support", "cambria county")
    assert hits[0].name.startswith("Cambria County Drug") and hits[0].serves_county
    hub = next(h for h in hits if h.name.startswith("Regional Recovery Hub"))
    assert hub.referral  # a hub helps local groups: it refers, after the SCA
    assert any(h.statewide and h.name.startswith("PA Get Help Now") for h in hits)


def test_the_sca_still_refers_for_housing_and_answers_treatment(db_session):
    for need in ("housing", "treatment_referral"):
        names = {h.name for h in _hits(db_session, need, "cambria county")}
        assert any(n.startswith("Cambria County Drug") for n in names), need


def test_training_lists_careerlink_and_the_statewide_lines(db_session):
    hits = _hits(db_session, "training", "erie")
    assert hits[0].name.startswith("PA CareerLink Erie") and hits[0].serves_county
    statewide = {h.name for h in hits if h.statewide}
    assert any(n.startswith("PA 211") for n in statewide)
    assert any(n.startswith("PA Office of Vocational Rehabilitation") for n in statewide)


def test_every_new_need_has_a_statewide_line_where_nothing_is_local(db_session):
    # Pike: no legal aid, OVR office or recovery center of its own in the seed.
    phoned = {"benefits": "Ticket to Work Help Line", "recovery_support": "PA Get Help Now",
              "training": "PA 211"}
    for need, line in phoned.items():
        hits = _hits(db_session, need, "pike county", limit=100)
        assert any(h.statewide and h.phone and h.name.startswith(line) for h in hits), need
    # Record: the sources give no statewide phone a person can call (only the employers' WOTC
    # desk); the statewide answers are the legal aid network's finder and Clean Slate's site.
    record = [h for h in _hits(db_session, "record", "pike county", limit=100) if h.statewide]
    assert {"https://palegalaid.net", "https://mycleanslatepa.com"} <= {h.url for h in record}


def test_the_mapping_is_read_from_the_category_so_a_new_one_needs_no_code():
    assert barrier_needs("legal_aid") == ["record"]
    assert barrier_needs("expungement_clinic") == ["record"]
    assert barrier_needs("wipa_benefits_counseling") == ["benefits"]
    assert barrier_needs("something_else") == ["information"]
    assert "benefits" in ovr_needs("district office")
    assert "benefits" not in ovr_needs("OVR-operated rehabilitation center and technical school")


def test_the_project_found_record_rows_add_a_statewide_screening_and_update_nls(db_session):
    from sqlalchemy import select

    from resources_db.models import Service

    hits = _hits(db_session, "record", "pittsburgh", limit=100)
    assert any(h.statewide and h.name.startswith("My Clean Slate PA") for h in hits)
    nls = db_session.scalars(select(Service).where(
        Service.name == "Neighborhood Legal Services (NLS)")).all()
    assert len(nls) == 1 and "Clean Slate" in nls[0].description  # merged, not listed twice
    assert "wesa.fm" in nls[0].coach_notes  # the older source is kept
    first = next(h for h in hits if h.name == "Neighborhood Legal Services (NLS)")
    assert first.serves_county and first.coverage == "serves Allegheny County"
