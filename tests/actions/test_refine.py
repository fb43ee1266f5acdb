"""The pure helpers of actions/refine.py: what a refinement asks, and what is said back."""

from __future__ import annotations

from dataclasses import replace

import pytest

from actions.refine import (
    Refinement,
    closest_reply,
    combine,
    no_list_reply,
    not_applicable_note,
    nothing_matches_reply,
    options_text,
    referral_for,
    refinement_from_text,
    smaller_radius,
    split_for_need,
    what_none_say,
)
from resources_db.search import ResourceHit


@pytest.mark.parametrize(("text", "filters", "closer"), [
    ("do any take suboxone", {"mat_friendly": "true"}, False),
    ("only for women", {"gender_served": "women"}, False),
    ("mens only", {"gender_served": "men"}, False),
    ("any free ones", {"cost": "free"}, False),
    ("closer?", {}, True),
    ("those r too far", {}, True),
    ("open on weekends?", {"weekend_hours": "true"}, False),
    ("evenings?", {"evening_hours": "true"}, False),
    ("any that take people with a record", {"accepts_people_with_records": "true"}, False),
    ("closer ones for women", {"gender_served": "women"}, True),
    ("can u narrow it down", {}, False),
])
def test_what_a_refinement_asks(text, filters, closer):
    refinement = refinement_from_text(text)
    assert refinement.filters == filters and refinement.closer is closer


def test_a_number_of_miles_is_a_radius():
    assert refinement_from_text("any within 10 miles") == Refinement({}, True, 10.0)
    assert refinement_from_text("anything under 25 mi") == Refinement({}, True, 25.0)
    assert not refinement_from_text("so far so good")  # not "too far"


def test_filters_that_mean_nothing_for_the_need_are_set_apart():
    assert split_for_need("transit", {"gender_served": "women"}) == ({}, ["gender_served"])
    assert split_for_need("housing", {"gender_served": "women", "evening_hours": "true"}) == (
        {"gender_served": "women"}, ["evening_hours"])
    assert split_for_need("jobs", {"accepts_people_with_records": "true"}) == (
        {"accepts_people_with_records": "true"}, [])


def test_the_new_filter_is_added_to_the_kept_ones_and_replaces_the_same_kind():
    assert combine({"mat_friendly": "true"}, {"gender_served": "women"}) == {
        "mat_friendly": "true", "gender_served": "women"}
    assert combine({"gender_served": "women"}, {"gender_served": "men"}) == {
        "gender_served": "men"}
    assert combine(None, {"cost": "free"}) == {"cost": "free"}


@pytest.mark.parametrize(("reached", "within", "expected"), [
    (None, None, 100), (100, None, 40), (40, None, 15), (15, None, None),
    (40, 10, 10), (15, 25, None), (None, 30, 30),
])
def test_closer_is_the_next_step_below_the_radius_the_list_reached(reached, within, expected):
    assert smaller_radius(reached, within) == expected


def test_what_does_not_apply_is_said_briefly():
    note = not_applicable_note("transit", ["gender_served"])
    assert note == ("Bus and ride listings in my directory don't say who they're for, so I "
                    "can't narrow them that way.")
    assert "evening hours or weekend hours" in not_applicable_note(
        "housing", ["evening_hours", "weekend_hours"])
    assert not_applicable_note("housing", []) is None


def test_the_options_offered_are_the_needs_own():
    assert options_text("housing") == ("for women or men, takes MAT, free, takes people with a "
                                       "record, closer")
    assert options_text("transit") == "closer"


def test_nothing_matching_echoes_the_medicine_and_keeps_the_list():
    assert what_none_say({"mat_friendly": "true"}, "do any take suboxone") == \
        "say they take people on Suboxone"
    assert what_none_say({"mat_friendly": "true"}, "mat friendly?") == \
        "say they take people on MAT"
    reply = nothing_matches_reply("housing", "Erie", {"gender_served": "women"},
                                  {"mat_friendly": "true"}, "any on methadone", 3)
    assert reply.startswith("None of the recovery housing help (for women) I know of near Erie "
                            "say they take people on methadone.")
    assert "reply 1-3 for details" in reply and "COACH" in reply
    assert "1-0" not in nothing_matches_reply("jobs", "Erie", {}, {"cost": "free"}, "", 0)


def _hit(name: str, distance: float | None, statewide: bool = False) -> ResourceHit:
    return ResourceHit(id=name, need="housing", name=name, town=None, county=None, address=None,
                       phone=None, distance_mi=distance, demo=False, statewide=statewide,
                       verified=None, source_url=None)


def test_the_closest_reply_names_the_nearest_distance():
    reply = closest_reply("housing", "Coudersport", {}, [_hit("a", 90.6), _hit("b", None, True)],
                          2)
    assert reply.startswith("Those are the closest recovery housing help I have to Coudersport: "
                            "the nearest is about 91 mi away.")
    assert closest_reply("housing", "Erie", {}, [_hit("s", None, True)], 1).startswith(
        "Those are the closest recovery housing help I have to Erie. ")


def test_with_no_list_yet_it_says_what_to_ask_first():
    reply = no_list_reply({"mat_friendly": "true"}, False)
    assert "recovery housing in Erie" in reply and "(MAT-friendly)" in reply
    assert "(closer)" in no_list_reply({}, True)


def test_when_no_house_says_it_takes_mat_the_county_sca_is_named_to_ask():
    sca = replace(_hit("Council on Chemical Abuse (COCA) - Berks County", None),
                  phone="610-376-8669", referral=True, serves_county=True,
                  coverage="serves Berks County")
    assert referral_for([_hit("Some House", 2.0), sca]) == sca
    assert referral_for([_hit("Some House", 2.0)]) is None
    reply = nothing_matches_reply("housing", "Reading", {}, {"mat_friendly": "true"},
                                  "do any take suboxone", 3, sca)
    assert "COCA) - Berks County (610-376-8669) serves Berks County" in reply
    assert "ask them which take people on Suboxone" in reply
    assert "reply 1-3 for details" in reply
