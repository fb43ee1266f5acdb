"""Filters people say in words ("for women", "that take suboxone", "free", "felony friendly",
"evenings", "weekends") -> the attribute filters search_services understands.

Pure and shared: the actions use it on the latest message, the api's /interpret returns it.
"""

from __future__ import annotations

import re

_PATTERNS: list[tuple[str, str, re.Pattern[str]]] = [
    ("gender_served", "women", re.compile(
        r"\b(for|only)\s+(women|woman|females?|ladies|moms?|mothers)\b|\bwomen'?s\b|\bfemale\b"
        r"|\bladies\b", re.I)),
    ("gender_served", "men", re.compile(
        r"\b(for|only)\s+(men|man|males?|guys|dads?|fathers)\b|\bmen'?s\b|\bmale\b", re.I)),
    ("mat_friendly", "true", re.compile(
        r"\b(suboxone|subutex|sublocade|bupe|buprenorphine|methadone|vivitrol|naltrexone|mat"
        r"|moud|on meds|medication assisted)\b", re.I)),
    ("cost", "free", re.compile(r"\b(free|no cost|dont have money|don'?t have money|no money)\b",
                                re.I)),
    ("accepts_people_with_records", "true", re.compile(
        r"\b(felon(y|ies|s)?|record|records|convictions?|background check|probation|parole"
        r"|second chance|2nd chance|ex[- ]?offenders?|just got out|got out of (jail|prison))\b",
        re.I)),
    ("evening_hours", "true", re.compile(r"\b(evenings?|nights?|after work|after 5)\b", re.I)),
    ("weekend_hours", "true", re.compile(r"\b(weekends?|saturdays?|sundays?)\b", re.I)),
]


def filters_from_text(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for code, value, pattern in _PATTERNS:
        if code not in found and pattern.search(text or ""):
            found[code] = value
    return found


# Which spoken filters mean something for each need (others are ignored for that need rather
# than emptying the results: nobody records whether a bus line is "for women").
FILTERS_BY_NEED: dict[str, set[str]] = {
    "housing": {"gender_served", "mat_friendly", "cost", "accepts_people_with_records"},
    "childcare": {"cost", "evening_hours", "weekend_hours"},
    "jobs": {"accepts_people_with_records"},
    "careerlink": set(),
    "transit": set(),
}


def filters_for_need(need: str, filters: dict[str, str]) -> dict[str, str]:
    wanted = FILTERS_BY_NEED.get(need, set(filters))
    return {k: v for k, v in filters.items() if k in wanted}


_DESCRIPTIONS = {
    ("gender_served", "women"): "for women",
    ("gender_served", "men"): "for men",
    ("mat_friendly", "true"): "MAT-friendly",
    ("cost", "free"): "free",
    ("accepts_people_with_records", "true"): "record-friendly",
    ("evening_hours", "true"): "evenings",
    ("weekend_hours", "true"): "weekends",
}


def describe_filters(filters: dict[str, str]) -> str:
    """{'gender_served': 'women', 'mat_friendly': 'true'} -> 'for women, MAT-friendly'."""
    return ", ".join(_DESCRIPTIONS.get((k, v), f"{k}={v}") for k, v in filters.items())
