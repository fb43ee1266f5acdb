"""Places as people type them, through the three real processes: a misspelled town over a
signed SMS, and a choice between two places answered with a number on the web chat."""

from __future__ import annotations

import pytest

from tests.integration.test_coach_journey import sms
from tests.integration.test_vertical_slice import chat, texts

pytestmark = pytest.mark.integration


def test_sms_jobs_in_a_misspelled_town_lists_the_corrected_town(system):
    reply = sms(system, "+16105550177", "jobs in allentwon")  # signed, TwiML text
    assert "to Allentown:" in reply
    assert "What town" not in reply


def test_a_misspelled_town_alone_answers_where(system):
    chat(system, "client-typo-alone-1", "i need a sober house")
    assert "to Harrisburg:" in texts(chat(system, "client-typo-alone-1", "harrisbug"))


def test_two_equally_close_places_are_asked_and_a_number_goes_on(system):
    asked = texts(chat(system, "client-typo-choice", "jobs in eston"))
    assert "1. Easton (Northampton County)" in asked and "2. Exton (Chester County)" in asked
    assert "What town" not in asked  # asked once, not twice
    assert "to Exton:" in texts(chat(system, "client-typo-choice", "2"))
