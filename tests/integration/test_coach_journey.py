"""A person asks for a coach; a coach takes over in the console and hands back — through the
real engine, action server and api, a real browser (Debian's Chromium via Playwright) for the
coach (and for the person on web chat), and a local fake Twilio for the SMS the api sends."""

from __future__ import annotations

import time
import uuid
from xml.etree import ElementTree

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from twilio.request_validator import RequestValidator

from api.services.pseudonym import pseudonymous_id
from tests.conftest import careerlink_seed_rows
from tests.integration.test_widget_browser import ask

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def sms(system, sender: str, body: str) -> str:
    """A signed Twilio webhook; the text of the TwiML reply ("" for empty TwiML)."""
    url = f"{system['base']}/sms/inbound"
    form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "Body": body}
    signature = RequestValidator(system["env"]["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
    response = httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)
    assert response.status_code == 200, response.text
    return " ".join(m.text or "" for m in ElementTree.fromstring(response.text).iter("Message"))


def sent_to(system, number: str, after: int) -> list[str]:
    return [m["Body"] for m in system["twilio"].messages[after:] if m["To"] == number]


def wait_for_sms(system, number: str, after: int, containing: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for body in sent_to(system, number, after):
            if containing in body:
                return body
        time.sleep(0.2)
    raise AssertionError(f"no SMS to the person containing {containing!r}: "
                         f"{sent_to(system, number, after)}")


def coach_page(browser: Browser, system) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{system['base']}/coach")  # not signed in: the login page
    page.get_by_label("Email").fill(system["coaches"]["coach"])
    page.get_by_label("Password").fill(system["coach_password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    return page


def conversation_of(system, channel: str, address: str) -> str:
    return pseudonymous_id(system["env"]["PSEUDONYM_KEY"], channel, address)


def claim_row(page: Page, conversation: str, first_message: str) -> None:
    row = page.locator(f"tr[data-conversation='{conversation}']")
    expect(row).to_be_visible(timeout=20_000)  # arrives live, without a reload
    expect(row).to_contain_text(first_message)
    row.get_by_role("button", name="Claim").click()
    expect(page.get_by_text("You hold this conversation: the bot is silent.")).to_be_visible()


def test_sms_journey_from_asking_for_a_coach_to_the_bot_answering_again(browser, system):
    person = "+1814555" + str(uuid.uuid4().int)[:4]
    coach = coach_page(browser, system)
    before = len(system["twilio"].messages)

    asked = sms(system, person, "can i talk to a real person please")
    assert "asked a recovery coach to join" in asked

    claim_row(coach, conversation_of(system, "sms", person), "can i talk to a real person please")
    assert "Dana, a recovery coach" in wait_for_sms(system, person, before, "recovery coach")

    # While the coach holds it, the bot is silent and the coach sees the message live.
    assert sms(system, person, "i need help with my resume for a warehouse job") == ""
    expect(coach.locator("#transcript")).to_contain_text(
        "i need help with my resume for a warehouse job", timeout=20_000)

    coach.get_by_label("Reply to the person").fill("Sure! CareerLink does free resume help.")
    coach.get_by_role("button", name="Send", exact=True).click()
    wait_for_sms(system, person, before, "CareerLink does free resume help")

    coach.get_by_role("button", name="Hand back to the bot").click()
    expect(coach.get_by_text("is back with the bot")).to_be_visible()
    wait_for_sms(system, person, before, "back with the Navigator")

    answer = sms(system, person, "I need a job in Erie")
    assert any(row["name"] in answer for row in careerlink_seed_rows())
    coach.context.close()


def test_web_chat_journey_with_the_coach_in_the_same_widget(browser, system):
    person = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    person.goto(system["base"] + "/")
    person.get_by_role("button", name="Chat with the Navigator").click()
    log = person.locator("#rtw-navigator [role=log]")
    coach = coach_page(browser, system)

    ask(person, "i want to talk to a coach about getting my license back")
    expect(log).to_contain_text("asked a recovery coach to join", timeout=30_000)

    client_id = person.evaluate("localStorage.getItem('rtw-client-id')")
    claim_row(coach, conversation_of(system, "web", client_id), "getting my license back")
    expect(log).to_contain_text("Dana, a recovery coach", timeout=20_000)  # pushed to the widget

    ask(person, "is anyone there? <b>hello</b>")
    expect(coach.locator("#transcript")).to_contain_text("is anyone there? <b>hello</b>",
                                                         timeout=20_000)
    coach.get_by_label("Reply to the person").fill("Yes, I'm here. Let's look at PennDOT.")
    coach.get_by_role("button", name="Send", exact=True).click()
    expect(log).to_contain_text("Yes, I'm here. Let's look at PennDOT.", timeout=20_000)

    coach.get_by_role("button", name="Hand back to the bot").click()
    expect(log).to_contain_text("back with the Navigator", timeout=20_000)
    ask(person, "jobs in erie")
    expect(person.locator("#rtw-navigator [class*=card]").first).to_be_visible(timeout=30_000)
    coach.context.close()
    person.context.close()


def test_a_script_sent_by_a_person_is_text_in_the_coach_console(browser, system):
    person = "+1814555" + str(uuid.uuid4().int)[:4]
    sms(system, person, "coach")
    hostile = "<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script>"
    coach = coach_page(browser, system)
    claim_row(coach, conversation_of(system, "sms", person), "coach")
    sms(system, person, hostile)
    expect(coach.locator("#transcript")).to_contain_text(hostile, timeout=20_000)
    assert coach.evaluate("window.__pwned") is None
    coach.get_by_role("button", name="Close").click()
    coach.context.close()
