"""The crisis net: in front of, and independent of, the NLU.

A curated set of the ways people write about an overdose, someone not breathing or not waking
up, suicidal thoughts and self-harm, with common misspellings, and with negation handled
("i'm not suicidal" is not a crisis; "i don't want to live" is). When it matches, the gateway
answers at once with 911, 988, PA Get Help Now and where to get naloxone, whatever else is
going on in the conversation.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CRISIS_REPLY = (
    "If someone may be overdosing or isn't breathing: call 911 now. Give naloxone (Narcan) if "
    "you have it, and keep them on their side. If you're thinking about suicide or hurting "
    "yourself: call or text 988, any time. PA Get Help Now: 1-800-662-4357 (24/7). "
    "Free naloxone without a prescription: any PA pharmacy or your county drug and alcohol "
    "office."
)

# Each pattern is one way people say it. Spelling variants are part of the patterns
# ("overdos", "od'?ing", "suicid"), so typos still match.
_CRISIS_PATTERNS = {
    "overdose": [
        r"\bover ?dos(e|ed|ing)\b", r"\bod(ed|'d|ing|in)?\b(?! ?(on|at) (tv|netflix))",
        r"\b(took|taken|had|did|used|shot|snorted) (way )?(too much|to much|2 much)\b",
        r"\btoo much (fent|fentanyl|dope|heroin|pills|xanax|percs|oxy)\b",
        r"\b(fent|fentanyl|dope|heroin|xylazine|tranq)\b.*\b(bad|wrong|scared|dying)\b",
        r"\bneed (narcan|naloxone)\b", r"\b(narcan|naloxone)\b.*\b(now|asap|hurry|help)\b",
    ],
    "not_breathing": [
        r"\b(not|isn'?t|isnt|aint|ain'?t|stopped|stop|barely|can'?t|cant) breath(ing|in|e)?\b",
        r"\b(won'?t|wont|will not|cant|can'?t|cannot|not) (wake|waking) ((him|her|them|my \w+) )?up\b",
        r"\bunresponsive\b",
        r"\b(turning|turned|lips?( (are|r|is|look|looking|turning|turned|going))?) "
        r"(blue|purple|gr[ae]y)\b",
        r"\bpassed out and\b", r"\bno pulse\b", r"\bfoaming at the mouth\b",
    ],
    "suicidal": [
        r"\bsuicid(e|al)\b", r"\bkill(ing)? my ?self\b", r"\bend(ing)? (it all|my life)\b",
        r"\b(want|wanna|going|gonna) (to )?die\b", r"\b(don'?t|dont|do not) (want|wanna) (to )?(live|be alive|wake up|be here)\b",
        r"\bno reason to live\b", r"\bbetter off dead\b", r"\btake my (own )?life\b",
        r"\bnot (want|wanting) to be here anymore\b", r"\bhang(ing)? my ?self\b",
    ],
    "self_harm": [
        r"\b(cut|cutting|hurt|hurting|harm|harming|burn|burning) my ?self\b",
        r"\bself[- ]?harm(ing|ed)?\b",
    ],
    "relapse_danger": [
        r"\b(relapsed|using again|picked up again)\b.*\b(alone|scared|bad|dying|too much)\b",
    ],
}
_COMPILED = {kind: [re.compile(p) for p in patterns] for kind, patterns in _CRISIS_PATTERNS.items()}
# "i'm not suicidal", "no i didn't overdose", "not really suicidal": a negation right before
# the phrase (at most one word between). Anything looser would miss "i'm not ok i want to die":
# when unsure, the net answers as a crisis.
_NEGATION = re.compile(r"\b(not|never|no|didn'?t|didnt|don'?t|dont|isn'?t|wasn'?t|aren'?t)\W+"
                       r"(\w+\W+)?$")
# Phrases that carry their own "not" ("don't want to live"): a negation cannot cancel them.
_NEGATIVE_PHRASE = re.compile(r"(don'?t|dont|do not|not|can'?t|cant|cannot|won'?t|wont|isn'?t"
                              r"|isnt|aint|ain'?t|will not|stopped|no)\b")
_SAFE_CONTEXT = re.compile(r"\b(training|class|course|job|jobs|work at|working at|hiring|"
                           r"prevention|awareness|kit|carry)\b")


@dataclass(frozen=True)
class CrisisMatch:
    kind: str
    phrase: str


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'")
    return re.sub(r"\s+", " ", text)


def detect_crisis(text: str) -> CrisisMatch | None:
    """The first crisis expression in the text that is not negated, or None."""
    t = _normalise(text or "")
    for kind, patterns in _COMPILED.items():
        for pattern in patterns:
            for m in pattern.finditer(t):
                before = t[max(0, m.start() - 40) : m.start()]
                if _NEGATION.search(before) and not _NEGATIVE_PHRASE.match(m.group(0)):
                    continue
                if kind == "overdose" and _SAFE_CONTEXT.search(t) and "narcan" in m.group(0):
                    continue
                return CrisisMatch(kind, m.group(0))
    return None


def evaluate(crisis_messages: list[str], ordinary_messages: list[str]) -> dict[str, float | int]:
    """Recall on crisis messages and false-positive rate on ordinary ones."""
    caught = sum(detect_crisis(m) is not None for m in crisis_messages)
    false_alarms = sum(detect_crisis(m) is not None for m in ordinary_messages)
    return {"recall": round(caught / max(len(crisis_messages), 1), 4),
            "false_positive_rate": round(false_alarms / max(len(ordinary_messages), 1), 4),
            "n_crisis": len(crisis_messages), "n_ordinary": len(ordinary_messages)}
