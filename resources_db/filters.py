"""Filters people say in words ("for women", "that take suboxone", "free", "felony friendly",
"evenings", "weekends") -> the attribute filters search_services understands.

Pure and shared: the actions use it on the latest message, the api's /interpret returns it.
"""

from __future__ import annotations

import re

# "free" that is not about cost: "drug free house", "smoke-free", "feel free".
_NOT_COST = r"(?<!drug )(?<!drug-)(?<!alcohol )(?<!alcohol-)(?<!smoke )(?<!smoke-)(?<!feel )" \
    r"(?<!substance )(?<!tobacco )(?<!hands )"

_HER = r"daughter|sister|girlfriend|wife|mom|mother|aunt|niece|grandma|grandmother"
_HIM = r"son|brother|boyfriend|husband|dad|father|uncle|nephew|grandpa|grandfather"

_PATTERNS: list[tuple[str, str, re.Pattern[str]]] = [
    # Also who it is for: "it's for my daughter", "im a guy", "im pregnant".
    ("gender_served", "women", re.compile(
        r"\b(for|only|just)\s+(a\s+)?(women|woman|females?|ladies|lady|girls|moms?|mothers)\b"
        r"|\bwom[ae]n'?s?\b|\bfemales?\b|\bladies\b|\bgirls?\s+only\b|\bpregnant\b"
        rf"|\bfor my ({_HER})\b|\bi'?m a (girl|lady|gal)\b", re.I)),
    ("gender_served", "men", re.compile(
        r"\b(for|only|just)\s+(a\s+)?(men|man|males?|guys?|dudes?|dads?|fathers)\b"
        r"|\bmen'?s?\b|\bmales?\b|\bguys\s+only\b"
        rf"|\bfor my ({_HIM})\b|\bi'?m a (guy|man|dude)\b", re.I)),
    # Texted spellings too: "subs", "soboxone", "methodone", "vivatrol"; "the shot", "dosing".
    ("mat_friendly", "true", re.compile(
        r"\b(s[ou]b[ao]?x\w*|subs|subutex|sublocade|zubsolv|bupe|buprenorphine"
        r"|meth[aeo]?d[oa]ne?|viv[ai]tr[oa]l|naltrexone|mat|m\.a\.t|moud|on meds"
        r"|meds|medications?|medication[- ]assisted|(the|my|monthly) shot|dos(e|es|ing))\b",
        re.I)),
    ("cost", "free", re.compile(
        _NOT_COST + r"\bfree\b|\b(no cost|no charge|no fee|cost nothing|costs nothing"
        r"|(don'?t|doesn'?t) cost(?! (much|a lot|too much|that much|more))|no money"
        r"|don'?t have (any )?money|can'?t afford|cant afford|can'?t pay|without paying"
        r"|don'?t have to pay|(i'?m|im|so|flat|dead|kinda|pretty|real|really|totally) broke"
        r"|don'?t charge|doesn'?t charge|pay nothing|no rent|no income)\b"
        r"|(?<!\w)\$0(?![\d.,])", re.I)),
    ("accepts_people_with_records", "true", re.compile(
        r"\b(felon(y|ies|s)?|record|records|convictions?|convicted|background( checks?)?"
        r"|criminal|(drug|pending|felony|dui|old|past|open) charges?|misdemeanors?|duis?"
        r"|charges|offen[cs]es?|probation|parole(es?)?|second chance|2nd chance|with a past"
        r"|ex[- ]?offenders?|ex[- ]?cons?|re-?entry|returning citizens?|jail|prison"
        r"|locked up|incarcerat\w*|just got out|got out of (jail|prison))\b",
        re.I)),
    ("evening_hours", "true", re.compile(
        r"\b(evenings?|nights?|nites?|night ?shifts?|after work|after hours|overnight"
        r"|after ([4-9]|four|five|six|seven)( ?pm)?|(2nd|second|3rd|third) shift)\b"
        r"|\b(open|opened|stay|stays|til|till|until|up)\s+later?\b"
        r"|\b(til|till|until)\s+([6-9]|1[0-2]|six|seven|eight|nine|ten)( ?pm)?\b"
        r"|\blater?\s+(hours|ones|nights?|shifts?|pick ?ups?)\b", re.I)),
    ("weekend_hours", "true", re.compile(
        r"\b(weekends?|week-ends?|wkends?|wknds?|saturdays?|sundays?)\b"
        r"|\bsat\s*(/|or|and|&|-)\s*sun\b|\b(on|open)\s+(sats?|suns?)\b", re.I)),
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
    # No listing of these needs carries the filters: "record" in "help sealing my record" is
    # the need itself, not a filter that would leave nothing.
    "benefits": set(),
    "record": set(),
    "recovery_support": set(),
    "training": set(),
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
