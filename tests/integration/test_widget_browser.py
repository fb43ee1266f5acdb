"""The web chat in a real browser: Debian's Chromium driven by Playwright (its own browser
download does not work here), against the three real processes."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.conftest import careerlink_seed_rows

pytestmark = [pytest.mark.integration, pytest.mark.browser]
@pytest.fixture
def page(browser, system) -> Page:
    context = browser.new_context(viewport={"width": 390, "height": 800})  # a phone
    page = context.new_page()
    page.goto(system["base"] + "/")
    yield page
    context.close()


def ask(page: Page, text: str) -> None:
    box = page.get_by_label("Type your message")
    box.fill(text)
    box.press("Enter")


def test_a_person_finds_an_office_and_can_call_it(page: Page):
    page.get_by_role("button", name="Chat with the Navigator").click()
    ask(page, "I need a job in Erie")
    card = page.locator("#rtw-navigator [class*=card]").first
    expect(card).to_be_visible(timeout=30_000)
    names = {row["name"] for row in careerlink_seed_rows()}
    assert card.locator("h3, h4, [class*=name]").first.inner_text().strip() in names
    # Erie County's own office: no phone in the directory, so its website is offered.
    erie = page.locator("#rtw-navigator [class*=card]").filter(has_text="PA CareerLink Erie County")
    expect(erie.get_by_role("link", name="Website")).to_have_attribute(
        "href", "https://www.pacareerlink.pa.gov")
    # The other offices listed can be called: their seed phone numbers, as tel: links.
    seed_phones = {re.sub(r"\D", "", row["phone"])[:10] for row in careerlink_seed_rows()
                   if row["phone"]}
    calls = page.locator("#rtw-navigator a[href^='tel:']")
    expect(calls.first).to_be_visible()
    hrefs = [calls.nth(i).get_attribute("href") for i in range(calls.count())]
    assert any(h.removeprefix("tel:")[-10:] in seed_phones for h in hrefs), hrefs
    assert page.locator("#rtw-navigator a[href*='openstreetmap.org']").count() >= 1


def test_a_person_can_ask_for_a_coach_with_a_button(page: Page):
    page.get_by_role("button", name="Chat with the Navigator").click()
    ask(page, "jobs in lancaster")
    page.get_by_role("button", name="Talk to a coach").last.click()
    expect(page.locator("#rtw-navigator [role=log]")).to_contain_text(
        "asked a recovery coach to join", timeout=30_000)


def test_a_script_in_a_message_is_shown_as_text_never_run(page: Page):
    page.get_by_role("button", name="Chat with the Navigator").click()
    ask(page, "<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script>")
    expect(page.locator("#rtw-navigator [role=log]")).to_contain_text("<script>",
                                                                      timeout=30_000)
    assert page.evaluate("window.__pwned") is None


def test_no_serious_accessibility_violations_with_the_chat_open(page: Page):
    page.get_by_role("button", name="Chat with the Navigator").click()
    ask(page, "sober house in pittsburgh")
    expect(page.locator("#rtw-navigator [class*=card]").first).to_be_visible(timeout=30_000)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v.get("impact") in ("serious", "critical")]
    assert serious == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in serious]


def test_keyboard_only_a_person_can_open_chat_and_close_it(page: Page):
    page.keyboard.press("Tab")
    toggle = page.get_by_role("button", name="Chat with the Navigator")
    for _ in range(10):
        if toggle.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Type your message")).to_be_focused()
    page.keyboard.press("Escape")
    expect(toggle).to_be_focused()
    assert toggle.get_attribute("aria-expanded") == "false"
