from actions.formatting import MAX_RESULTS, format_details, format_results
from resources_db import geo
from resources_db.search import ResourceHit


def hit(i: int, distance: float | None = 5.0, demo: bool = False, **kw) -> ResourceHit:
    fields = dict(id=f"id-{i}", need="jobs", name=f"Office {i}", town="Town", county="Erie",
                  address=None, phone="814-555-0100", distance_mi=distance, demo=demo,
                  statewide=False, verified="2022-07-30", source_url=None)
    fields.update(kw)
    return ResourceHit(**fields)


ERIE = geo.resolve_place("erie")


def test_reply_lists_at_most_three_results_with_options_and_payload():
    hits = [hit(i, distance=float(i)) for i in range(1, 6)]
    text, custom = format_results("jobs", ERIE, hits, total=5)
    assert "1. Office 1" in text and "3. Office 3" in text and "Office 4" not in text
    assert "MORE" in text and "COACH" in text
    assert [r["id"] for r in custom["resources"]] == ["id-1", "id-2", "id-3"]
    assert len(custom["resources"]) == MAX_RESULTS
    assert custom["handoff"] is False and custom["crisis"] is False
    assert {"1", "2", "3", "MORE", "COACH"} == {q["payload"] for q in custom["quick_replies"]}
    assert set(custom["resources"][0]) >= {"id", "need", "name", "county", "distance_mi", "demo"}


def test_demo_records_are_marked_in_text_and_payload():
    text, custom = format_results("jobs", ERIE, [hit(1, demo=True)], total=1)
    assert "[DEMO]" in text and "demo listing, invented for testing" in text
    assert "call to confirm" not in text  # no real source date to confirm against
    assert custom["resources"][0]["demo"] is True


def test_far_results_say_there_is_no_local_office():
    text, _ = format_results("jobs", ERIE, [hit(1, distance=49.2)], total=1)
    assert "nothing in Erie County" in text
    assert "about 49 mi" in text


def test_source_date_is_shown_so_people_call_to_confirm():
    text, _ = format_results("jobs", ERIE, [hit(1, verified="c. 2017")], total=1)
    assert "info from c. 2017" in text


def test_no_results_points_to_a_person():
    text, custom = format_results("careerlink", ERIE, [], total=0)
    assert "COACH" in text and "211" in text
    assert custom["resources"] == []


def test_centroid_distances_are_rounded_and_said_to_be_approximate():
    text, _ = format_results("jobs", ERIE, [hit(1, distance=0.0), hit(2, distance=12.3),
                                            hit(3, distance=4.25, distance_approximate=False)],
                             total=3)
    assert "0 mi" not in text  # a town centroid compared with itself says nothing useful
    assert "about 12 mi" in text and "4.25 mi" in text


def test_more_page_restarts_numbering_and_knows_the_end():
    text, custom = format_results("jobs", ERIE, [hit(4), hit(5)], total=5, offset=3)
    assert text.startswith("More") and "1. Office 4" in text and "2. Office 5" in text
    assert "MORE" not in text  # nothing after these
    done, _ = format_results("jobs", ERIE, [], total=5, offset=6)
    assert "That's all" in done


def test_details_give_contact_and_provenance():
    from actions.formatting import format_details

    text, custom = format_details(hit(1, address="1 Main St, Erie, PA 16501",
                                      description="Free job search help."))
    assert "1 Main St, Erie, PA 16501" in text and "Phone: 814-555-0100" in text
    assert "Info from 2022-07-30" in text
    assert [r["id"] for r in custom["resources"]] == ["id-1"]
    no_phone, _ = format_details(hit(2, phone=None))
    assert "Phone: not in my directory" in no_phone


def test_coverage_is_said_instead_of_a_distance():
    text, custom = format_results("childcare", ERIE, [
        hit(1, need="childcare", distance=None, coverage="serves Erie County"),
        hit(2, need="childcare", distance=None, coverage="statewide", statewide=True)], total=2)
    assert "serves Erie County" in text and "statewide" in text
    assert custom["resources"][1]["statewide"] is True


def test_only_statewide_answers_are_introduced_as_statewide():
    text, _ = format_results("housing", ERIE, [
        hit(1, need="housing", distance=None, coverage="statewide", statewide=True)], total=1)
    assert text.startswith("I have nothing local near Erie yet. Statewide recovery housing help:")


def test_a_job_opening_says_pay_hours_and_second_chance():
    opening = hit(1, kind="job_posting", demo=True, name="Line Cook - Kitchen (demo)",
                  description="$15-17/hr; evenings; part time; second chance employer\nPrep.")
    text, custom = format_results("jobs", ERIE, [opening], total=1)
    assert "$15-17/hr; evenings; part time; second chance employer" in text
    assert "[DEMO]" in text and custom["resources"][0]["kind"] == "job_posting"


def test_a_listing_without_a_phone_says_how_to_reach_it():
    text, _ = format_results("careerlink", ERIE, [
        hit(1, phone=None, url="https://www.pacareerlink.pa.gov"), hit(2, phone=None)], total=2)
    assert "no phone listed: https://www.pacareerlink.pa.gov" in text
    assert "no phone listed: dial 211" in text
    details, _ = format_details(hit(2, phone=None))
    assert "Dial 211" in details and "ask for their number" in details


def test_a_recovery_residence_shows_town_and_phone_but_not_its_street():
    house = hit(1, need="housing", name="Serenity House", town="Reading", county="Berks",
                address="12 Elm St, Reading, PA 19601", phone="610-555-0100",
                address_private=True)
    details, custom = format_details(house)
    assert "Elm St" not in details and "Reading, PA (Berks County)" in details
    assert "610-555-0100" in details
    assert custom["resources"][0]["address"] is None
    text, custom = format_results("housing", geo.resolve_place("reading"), [house], total=1)
    assert "Elm St" not in text and custom["resources"][0]["address"] is None
    office = hit(2, address="1920 Kutztown Road, Reading, PA 19604")
    assert "1920 Kutztown Road" in format_details(office)[0]  # an office keeps its street


def test_the_county_sca_is_listed_as_a_referral_for_housing_and_says_it_serves_the_county():
    sca = hit(1, need="housing", name="Berks County SCA", referral=True,
              coverage="serves Berks County", distance_mi=None)
    text, custom = format_results("housing", geo.resolve_place("reading"), [sca], total=1)
    assert "refers to licensed recovery houses" in text and "serves Berks County" in text
    assert custom["resources"][0]["referral"] is True


def test_a_residence_named_by_its_street_is_shown_without_the_street():
    house = hit(1, need="housing", name="TNH Sober Living 921 E King Street House",
                town="Lancaster", address="921 E King Street, Lancaster, PA 17602",
                address_private=True)
    text, custom = format_results("housing", geo.resolve_place("lancaster"), [house], total=1)
    assert "921" not in text and "1. TNH Sober Living House" in text
    assert custom["resources"][0]["name"] == "TNH Sober Living House"
    assert "King Street" not in format_details(house)[0]
