"""The coverage page of the coach console in a real browser (Debian's Chromium via Playwright)
against the real processes: an admin sees the county x need matrix in colour, with words and
counts; a coach who is not an admin is refused."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from resources_db.coverage import STATES
from resources_db.geo import PA_COUNTIES
from resources_db.taxonomy import PERSON_NEEDS as NEEDS

pytestmark = [pytest.mark.integration, pytest.mark.browser]

MEASURING_TIMEOUT_MS = 240_000  # the first measurement runs in the api's background


def console(browser: Browser, system, role: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{system['base']}/coach")
    page.get_by_label("Email").fill(system["coaches"][role])
    page.get_by_label("Password").fill(system["coach_password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    return page


def background(locator) -> str:  # noqa: ANN001
    return locator.evaluate("el => getComputedStyle(el).backgroundColor")


def test_an_admin_sees_the_matrix_in_colour_with_its_counts(browser, system):
    page = console(browser, system, "admin")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Coverage").click()
    expect(page.get_by_role("heading", name="Coverage", level=1)).to_be_visible()
    matrix = page.locator("#coverage-matrix")
    expect(matrix).to_be_visible(timeout=MEASURING_TIMEOUT_MS)  # the page reloads itself

    # 67 counties down, every need of the taxonomy across, a word in every cell.
    expect(matrix.locator("tbody tr")).to_have_count(len(PA_COUNTIES))
    expect(matrix.locator("thead th")).to_have_count(1 + len(NEEDS))
    cells = matrix.locator("tbody td")
    expect(cells).to_have_count(len(PA_COUNTIES) * len(NEEDS))
    words = cells.all_inner_texts()
    assert set(words) <= set(STATES)
    erie = matrix.locator("tr[data-county='Erie']")
    expect(erie.locator("th")).to_have_text("Erie")
    expect(erie.locator("td[data-need='careerlink']")).to_have_text("serves")  # its own office

    # Each state has its own colour, the legend's, and none is the page's plain white.
    colours = {}
    for state in STATES:
        swatch = page.locator(f".cov-legend .cov-{state}")
        expect(swatch).to_have_count(1)
        colours[state] = background(swatch)
        if state in words:
            assert background(matrix.locator(f"td.cov-{state}").first) == colours[state]
    assert len(set(colours.values())) == len(STATES)
    assert not {"rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"} & set(colours.values())
    legend = page.get_by_role("list", name="Legend")
    for state in STATES:
        expect(legend).to_contain_text(state)

    # The counts at the top are the matrix's own.
    counts = page.locator("ul.cov-counts li")
    expect(counts).to_have_count(len(STATES))
    total = len(PA_COUNTIES) * len(NEEDS)
    said = {}
    for item in counts.all():
        match = re.fullmatch(rf"(\w+): (\d+) of {total} cells", item.inner_text().strip())
        assert match, item.inner_text()
        said[match.group(1)] = int(match.group(2))
    assert said == {state: words.count(state) for state in STATES}
    assert page.get_by_role("table", name="Cells per need").locator("tbody tr").count() == \
        len(NEEDS)
    expect(page.get_by_text(re.compile(r"real listings? with no phone"))).to_be_visible()

    results = Axe().run(page)
    serious = [v for v in results.response["violations"]
               if v.get("impact") in ("serious", "critical")]
    assert serious == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in serious]
    page.context.close()


def test_a_coach_who_is_not_an_admin_is_refused(browser, system):
    page = console(browser, system, "coach")
    expect(page.get_by_role("navigation", name="Console").get_by_role(
        "link", name="Coverage")).to_have_count(0)
    response = page.goto(f"{system['base']}/coach/admin/coverage")
    assert response.status == 403
    expect(page.locator("#coverage-matrix")).to_have_count(0)
    assert page.request.get(f"{system['base']}/coach/admin/coverage.csv").status == 403
    page.context.close()
