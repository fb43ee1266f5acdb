"""What a person should know first about a need, in plain words, before the listings; and the
statewide line to call when the directory has nothing local.

One place for all of them. Each text states only what its sources say, with no calculation
offered as advice (how much someone may earn is for a benefits counselor who sees the case).
Every orientation names its sources (URL and date: the page's own date, or "undated" and the
date it was read) next to it; tests/actions/test_orientation.py fails if a need a person can
ask for (resources_db.taxonomy.PERSON_NEEDS, the bot's four new needs) has none, if a text is
longer than an SMS-length 300 characters, or if a source has no URL or date.

Pure: no I/O, no imports from the action server, so the tests and the api can read it.
"""

from __future__ import annotations

from dataclasses import dataclass

READ_ON = "2026-12-02"  # when the undated pages below were read for these texts


@dataclass(frozen=True)
class Source:
    url: str
    date: str  # the page's date ("2024-06", "c. 2024"), or "undated, read 2026-12-02"


@dataclass(frozen=True)
class Orientation:
    text: str
    sources: tuple[Source, ...]


def _undated(url: str) -> Source:
    return Source(url, f"undated, read {READ_ON}")


ORIENTATIONS: dict[str, Orientation] = {
    # Work incentives exist so that work does not simply end SSI/SSDI; SSA itself tells people
    # to see a certified benefits counselor before working (yourtickettowork.ssa.gov). The Help
    # Line and the SSA number are from the seed row and the Red Book.
    "benefits": Orientation(
        "Working does not automatically end SSI or SSDI. Social Security's work incentives can "
        "protect your check and health coverage while you try work, and a free benefits "
        "counselor (WIPA) can check your own case first: Ticket to Work Help Line "
        "1-866-968-7842.",
        (_undated("https://yourtickettowork.ssa.gov/resources/social-security-work-incentives"),
         _undated("http://ssa.gov/redbook/eng/resources-supports.htm"),
         _undated("http://socialsecuritydisabilityandyou.com/work-incentive-planning-and-"
                  "assistance-project-program-wipa/"))),
    # Clean Slate: Act 56 of 2018, automatic sealing from June 28, 2019 (Chester County's court
    # FAQ); Act 36 of 2023 expanded it (some drug felonies, shorter waits; in effect June 2024).
    # Pardons: the Board of Pardons' application is online and free to file (pa.gov, 2025;
    # PLSE). Federal Bonding: $5,000 for six months at no cost (PA L&I). WOTC: PA L&I's page.
    "record": Orientation(
        "PA's Clean Slate law (Act 56 of 2018, expanded in 2023) seals many old records "
        "automatically. Others need a court petition or a pardon (free to apply). Free legal "
        "aid can check yours. An employer who hires you can get a free $5,000 Federal Bond and "
        "may get a WOTC tax credit.",
        (Source("https://www.chesco.org/FAQ.aspx?QID=842", "2018-06-28 (Act 56), undated FAQ"),
         Source("https://www.jdp.com/blog/clean-slate-sees-third-expansion-in-pennsylvania/",
                "2024-06-27 (Act 36 of 2023)"),
         Source("https://www.pa.gov/ltgovernor/newsroom/pennsylvania-launches-online-"
                "application-for-people-seeking-clem.html", "2025"),
         _undated("http://plsephilly.org/get-help/pardons/"),
         _undated("https://www.dli.pa.gov/Businesses/Workforce-Development/Pages/"
                  "Federal-Bonding.aspx"),
         Source("https://pa.gov/en/agencies/dli/programs-services/workforce-development-home/"
                "workforce-opportunity-tax-credit--wotc--faqs.html", "c. 2024"))),
    # PA Get Help Now: DDAP's 24/7 line (MyChesCo on DDAP, c. 2024; statewide_lines.csv). SCAs
    # coordinate access to treatment and recovery support and fund treatment for the uninsured
    # and underinsured (data.pa.gov, DDAP budget measures).
    "recovery_support": Orientation(
        "PA Get Help Now, 1-800-662-4357, answers 24/7 and connects you to treatment near you. "
        "Your county's drug and alcohol office (SCA) can help pay for treatment if you have no "
        "or too little insurance. Recovery community organizations offer peer support.",
        (Source("https://mychesco.com/a/news/pennsylvania/pennsylvania-seeks-managers-for-7-"
                "million-drug-and-alcohol-helpline-grant", "c. 2024"),
         _undated("https://data.pa.gov/stories/s/cpjp-hcw5"))),
    # WIOA training funds through CareerLink for those who qualify, at approved providers
    # (PA L&I ETPL desk guide, 2017; Chester County's WIOA page); OVR: people whose
    # disability, which can include addiction, is a barrier to work (PA L&I OVR page).
    "training": Orientation(
        "PA CareerLink can help pay for job training through WIOA if you qualify, at schools "
        "on the state's approved list: ask your CareerLink about it. If a disability (which "
        "can include addiction) makes work hard, OVR can help with training too.",
        (Source("https://docsbay.net/title-of-the-guidance", "2017-06 (PA ETPL desk guide)"),
         _undated("http://www.chesco.org/1923/Education-Training"),
         _undated("https://www.dli.pa.gov/Individuals/Disability-Services/ovr/Pages/"
                  "Employment-Services-for-People-with-Disabilities.aspx"))),
}

# The older needs need no orientation: a listing of openings, offices, houses, child care
# help or rides says what it is. Named so the test can tell "none on purpose" from "forgotten".
NO_ORIENTATION_NEEDED = frozenset({"jobs", "careerlink", "housing", "childcare", "transit"})

# When nothing is local: the statewide line that helps (from statewide_lines.csv and
# more/employment_barriers.csv, same sources as above) and a coach.
STATEWIDE_HELP: dict[str, str] = {
    "benefits": "the Ticket to Work Help Line, 1-866-968-7842 (free; it finds WIPA benefits "
                "counselors)",
    "record": "the PA Legal Aid Network, palegalaid.net (finds the legal aid for your county)",
    "recovery_support": "PA Get Help Now, 1-800-662-4357 (24/7)",
    "training": "PA CareerLink, pacareerlink.pa.gov (WIOA training)",
}

# Mixed questions ("i have a felony and need a job in york"): the job search, then this line.
RECORD_HELP_OFFER = ("Have a record? Clean Slate or a pardon may clear it, and employers can "
                     "get a free bond for hiring you: text RECORD HELP.")


def orientation(need: str) -> str | None:
    found = ORIENTATIONS.get(need)
    return found.text if found else None


def nothing_local(need: str, place_name: str, statewide_listed: bool = False) -> str | None:
    """The line for a need the directory has nothing local for: who helps statewide, and a
    coach. `statewide_listed`: the list above already says there is nothing local and shows
    statewide services, so only the first call is named. None for needs without a line."""
    line = STATEWIDE_HELP.get(need)
    if line is None:
        return None
    if statewide_listed:
        return f"Best first call: {line}. Text COACH and a coach can look for local help with you."
    return (f"I have nothing local near {place_name} in my directory yet. Statewide, try "
            f"{line}. Text COACH and a coach can look for more with you.")
