"""Our own need taxonomy (HSDS has no column for "what need does this meet")."""

from __future__ import annotations

import uuid

TAXONOMY_ID = "5b0e6f52-6a3b-4f36-9a44-6f4a1c0d0001"
TAXONOMY_NAME = "Recovery-to-Work needs"

NEEDS: dict[str, str] = {
    "jobs": "Job openings and job search help",
    "careerlink": "PA CareerLink one-stop career centers and their services",
    "housing": "Recovery housing",
    "childcare": "Child care and the Child Care Works subsidy",
    "transit": "Public transit, shared ride and medical transportation",
    "crisis": "Crisis and overdose help lines",
    "vocational_rehab": "Office of Vocational Rehabilitation (OVR) services",
    "training": "Job training and education funding",
    "treatment_referral": "Drug and alcohol treatment referral lines",
    "recovery_support": "Recovery community organizations and recovery hubs",
    "unemployment": "Unemployment compensation help",
    "information": "General information and referral (PA 211)",
    "benefits": "Benefits and work: free counseling on working while on SSI, SSDI or Medicaid "
                "(work incentives, Ticket to Work)",
    "record": "A criminal record: clearing and sealing (Clean Slate, expungement, pardons), "
              "legal aid, fair-chance hiring, the Federal Bonding Program and WOTC",
}

# The needs a person asks the Navigator for (the others tag services that answer them: OVR
# answers jobs, an SCA housing): the columns of the coverage matrix.
PERSON_NEEDS: tuple[str, ...] = ("jobs", "careerlink", "housing", "childcare", "transit",
                                 "benefits", "record", "recovery_support", "training")

# Filters HSDS has no column for, as attributes (code -> description). Values are strings:
# "true"/"false", a gender ("women", "men", "any"), or a cost ("free", "sliding_scale", "paid").
FILTERS: dict[str, str] = {
    "mat_friendly": "Accepts people on medication for opioid use disorder (MAT/MOUD)",
    "gender_served": "Who the service is for: women, men or any",
    "accepts_people_with_records": "Accepts people with a criminal record",
    "cost": "free, sliding_scale or paid",
    "evening_hours": "Open or answering on weekday evenings",
    "weekend_hours": "Open or answering on weekends",
    # The value is a need: the service helps people reach it rather than providing it (the
    # county SCA funds and refers to licensed recovery houses): listed after the providers.
    "refers_for": "Refers to this need rather than providing it (e.g. an SCA for housing)",
    # Recovery residences: the street address is for coaches; people get the town and phone.
    "address_private": "The street address is shown to coaches only (residents' privacy)",
    "lead_needs_intake": "A lead without a phone (e.g. SAMHSA 2021 extract): show only with the "
                         "intake line that confirms it (PA Get Help Now or the county SCA)",
}

_NAMESPACE = uuid.UUID(TAXONOMY_ID)


def stable_id(*parts: str) -> str:
    """Deterministic UUID for a record, so that seeding twice updates instead of duplicating."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def term_id(code: str) -> str:
    return stable_id("need", code) if code in NEEDS else stable_id("filter", code)
