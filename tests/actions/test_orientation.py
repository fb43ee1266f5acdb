"""Every need a person can ask for has its orientation (or is named as needing none), each short
enough for SMS and each with its sources' URLs and dates; the record-mention helper."""

from __future__ import annotations

import pytest

from actions.needs import INTENT_NEEDS
from actions.orientation import (
    NO_ORIENTATION_NEEDED,
    ORIENTATIONS,
    RECORD_HELP_OFFER,
    STATEWIDE_HELP,
    nothing_local,
    orientation,
)
from actions.record_mention import mentions_record
from resources_db.taxonomy import NEEDS, PERSON_NEEDS

NEW_NEEDS = ("benefits", "record", "recovery_support", "training")
SMS_CHARS = 300


@pytest.mark.parametrize("need", sorted({*PERSON_NEEDS, *NEW_NEEDS, *INTENT_NEEDS.values()}))
def test_every_need_has_an_orientation_or_is_named_as_needing_none(need):
    assert need in NEEDS  # a taxonomy code the search knows
    assert need in ORIENTATIONS or need in NO_ORIENTATION_NEEDED, f"{need} has no orientation"


@pytest.mark.parametrize("need", NEW_NEEDS)
def test_the_new_needs_have_an_orientation_and_a_statewide_line(need):
    assert orientation(need) and need in STATEWIDE_HELP


@pytest.mark.parametrize("need", sorted(ORIENTATIONS))
def test_an_orientation_is_sms_length_and_names_its_sources(need):
    found = ORIENTATIONS[need]
    assert len(found.text) <= SMS_CHARS, (need, len(found.text))
    assert found.sources
    for source in found.sources:
        assert source.url.startswith("http") and source.date.strip()


def test_no_orientation_offers_a_calculation():
    for found in ORIENTATIONS.values():
        assert "%" not in found.text and "per month" not in found.text.lower()
    assert "automatically end" in orientation("benefits")
    assert "counselor" in orientation("benefits")


def test_the_record_offer_is_one_line_and_names_what_to_text():
    assert "\n" not in RECORD_HELP_OFFER and "RECORD HELP" in RECORD_HELP_OFFER
    assert len(RECORD_HELP_OFFER) <= 160  # one SMS segment


def test_nothing_local_names_the_statewide_line_and_a_coach():
    line = nothing_local("recovery_support", "Coudersport")
    assert "1-800-662-4357" in line and "COACH" in line and "Coudersport" in line
    short = nothing_local("benefits", "York", statewide_listed=True)
    assert "1-866-968-7842" in short and "COACH" in short and "York" not in short
    assert nothing_local("jobs", "York") is None


@pytest.mark.parametrize("text", [
    "i have a felony and need a job in york", "got a felany need work", "on probabtion",
    "my recrod is bad", "ex con needs work", "just got out of jail need a job", "i have a dui",
    "job with an expungment pending", "i got a RECORD", "parolee looking for work"])
def test_a_record_is_noticed_also_misspelled(text):
    assert mentions_record(text)


@pytest.mark.parametrize("text", [
    "i need a job in york", "talk to a person", "recovery housing in erie",
    "i recovered last year", "second shift jobs", "i got a recording saying not in service",
    "my original birth certificate", "need a ride to work", "", None])
def test_everyday_words_are_not_a_record(text):
    assert not mentions_record(text)
