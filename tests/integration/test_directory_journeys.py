"""What a person texting gets from the directory (issue 14's journeys), over signed SMS through
the real engine, action server and api, with the directory as `navigator db seed` makes it
(real records only)."""

from __future__ import annotations

import re

import pytest

from tests.integration.test_coach_journey import sms

pytestmark = pytest.mark.integration

PHONE = re.compile(r"\(?\b\d{3}\)?[ .-]\d{3}-\d{4}\b|\b1-8\d\d-\d{3}-\d{4}\b|\b211\b")


def listed(reply: str) -> list[str]:
    """The numbered lines of a list reply, without the number ("Name" or, sent compact,
    "Name, phone, serves X County")."""
    return [m.group(1).strip() for m in re.finditer(r"^\d\. (.+)$", reply, re.M)]


def actionable(reply: str) -> None:
    """Every listing says how to reach it (a phone, a website or PA 211) and no demo is shown."""
    assert "DEMO" not in reply and "555-01" not in reply
    assert PHONE.search(reply) or "http" in reply or ".pa.gov" in reply or ".org" in reply
    assert "call to confirm" in reply or "Info may be old" in reply  # how old the info is


def test_careerlink_in_erie_names_erie_countys_own_office(system):
    reply = sms(system, "+18145550201", "careerlink in erie")
    # Erie County's own office among the first two (the NW PA board's line also serves Erie)
    assert any(line.startswith("PA CareerLink Erie County") for line in listed(reply)[:2])
    assert "nothing in Erie County" not in reply
    assert "pacareerlink.pa.gov" in reply  # no phone in the directory: its website instead
    assert "serves Erie County" in reply or "Erie" in reply
    actionable(reply)


def test_child_care_in_15901_offers_what_can_help_in_cambria_county(system):
    reply = sms(system, "+18145550202", "i need child care 15901")
    names = listed(reply)
    assert names and "Child Care Works" in reply
    # An ELRC of another county cannot enrol a Cambria family: none is listed as near.
    assert not re.search(r"ELRC[^\n]*\n[^\n]*about 4\d mi", reply)
    actionable(reply)


def test_jobs_in_coudersport_names_potter_countys_careerlink(system):
    reply = sms(system, "+18145550203", "any jobs in coudersport")
    assert listed(reply)[0].startswith("PA CareerLink Potter County")
    assert "Coudersport" in reply and "nothing in Potter County" not in reply
    actionable(reply)


def test_a_sober_house_in_reading_lists_real_houses_with_a_phone(system):
    reply = sms(system, "+16105550204", "sober house in reading")
    names = listed(reply)
    assert names and not any("(demo)" in n for n in names)
    assert "Reading" in reply and PHONE.search(reply)
    assert not re.search(r"\d+ [A-Z][a-z]+ (St|Ave|Street|Avenue)\b", reply)  # no street
    actionable(reply)


def test_do_any_take_suboxone_after_a_housing_list_names_who_can_say(system):
    sender = "+16105550205"
    sms(system, sender, "sober house in reading")
    reply = sms(system, sender, "do any take suboxone")
    # No house in the directory says whether it takes MAT: the reply says so, and names the
    # county's drug and alcohol office (which funds and refers to licensed houses) with a phone.
    assert "Suboxone" in reply and "Berks County" in reply and PHONE.search(reply)
    assert "didn't get that" not in reply and "DEMO" not in reply
