"""Issue 15's barrier needs as a person (and a coach) meets them, through the real engine, action
server and api on the directory as `navigator db seed` makes it (real records only): benefits
and work, a record, treatment and recovery support, training; a mixed felony + job question; a
need with nothing local."""

from __future__ import annotations

from html import unescape

import httpx
import pytest

from actions.orientation import RECORD_HELP_OFFER, orientation
from tests.coach_login import HIDDEN_CSRF
from tests.integration.test_coach_journey import sms
from tests.integration.test_directory_journeys import actionable, listed
from tests.integration.test_vertical_slice import chat, interpret

pytestmark = pytest.mark.integration


def test_a_benefits_question_with_a_county_gets_the_orientation_then_local_help(system):
    reply = sms(system, "+12155550301", "will getting a job mess up my ssi? im in philadelphia")
    assert reply.startswith(orientation("benefits"))
    assert "What town, county or zip" not in reply  # not read as a job search any more
    assert any(name.startswith("OVR Philadelphia") for name in listed(reply))
    actionable(reply)


def test_a_record_question_asks_where_then_names_the_countys_legal_aid(system):
    sender = "+17175550302"
    first = sms(system, sender, "can i get my record expunged so i can get hired")
    assert "What town, county or zip" in first and orientation("record") not in first
    reply = sms(system, sender, "york")
    assert reply.startswith(orientation("record"))
    assert any(name.startswith("MidPenn Legal Services") for name in listed(reply))
    assert "Clean Slate" in reply and RECORD_HELP_OFFER not in reply
    actionable(reply)


def test_a_felony_and_a_job_answers_the_job_search_and_offers_the_record_help_once(system):
    sender = "+17175550303"
    reply = sms(system, sender, "i have a felony and need a job in york")
    assert listed(reply) and "York" in reply
    assert reply.count(RECORD_HELP_OFFER) == 1 and reply.rstrip().endswith(RECORD_HELP_OFFER)
    assert orientation("record") not in reply
    # Taking the offer: the record help, for the place already given.
    record = sms(system, sender, "record help")
    assert record.startswith(orientation("record")) and "MidPenn Legal Services" in record


def test_a_need_with_nothing_local_names_the_statewide_line_and_offers_a_coach(system):
    # No benefits counseling office of its own serves York County in the directory.
    reply = sms(system, "+17175550304", "can i work on ssdi and keep my check? york county")
    assert reply.startswith(orientation("benefits"))
    assert "nothing local" in reply and "1-866-968-7842" in reply
    assert "Best first call" in reply and "COACH" in reply


def test_treatment_and_training_each_get_their_orientation_and_a_local_list(system):
    treatment = sms(system, "+18145550305", "need an iop in erie county")
    assert treatment.startswith(orientation("recovery_support")) and listed(treatment)
    assert "1-800-662-4357" in treatment
    training = sms(system, "+18145550306", "how do i get my ged in erie")
    assert training.startswith(orientation("training"))
    assert any("CareerLink" in name for name in listed(training))


def test_web_chat_gets_the_orientation_as_its_own_message_before_the_cards(system):
    messages = chat(system, "client-barrier-0001", "free cdl training in erie")
    assert messages[0]["text"] == orientation("training")
    assert messages[1]["custom"]["resources"]


def test_interpret_returns_the_new_needs(system):
    assert interpret(system, "will getting a job mess up my ssi")["need"] == "benefits"
    assert interpret(system, "can i get my record expunged so i can get hired")["need"] == \
        "record"
    body = interpret(system, "need an iop in york county")
    assert body["need"] == "recovery_support" and body["location"]["county"] == "York"
    assert interpret(system, "where can i get my ged")["need"] == "training"
    assert interpret(system, "i have a felony and need a job in york")["need"] == "jobs"


def coach_lookup(system, sentence: str) -> str:
    with httpx.Client(base_url=system["base"], timeout=30) as client:
        form = client.get("/coach/login")
        client.post("/coach/login", data={
            "email": system["coaches"]["coach"], "password": system["coach_password"],
            "next": "/coach", "csrf_token": HIDDEN_CSRF.search(form.text).group(1)})
        page = client.get("/coach/lookup", params={"say": sentence})
    assert page.status_code == 200
    return " ".join(unescape(page.text).split())


def test_the_coach_lookup_reads_a_sentence_as_a_new_need(system):
    page = coach_lookup(system, "my client needs help sealing an old record in york county")
    assert "Understood as: <strong>record</strong>" in page


def test_the_coach_lookup_lists_the_countys_legal_aid_for_a_record_sentence(system):
    page = coach_lookup(system, "my client needs help sealing an old record in york county")
    assert "MidPenn Legal Services" in page
