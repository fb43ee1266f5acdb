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
}

_NAMESPACE = uuid.UUID(TAXONOMY_ID)


def stable_id(*parts: str) -> str:
    """Deterministic UUID for a record, so that seeding twice updates instead of duplicating."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def term_id(need: str) -> str:
    return stable_id("need", need)
