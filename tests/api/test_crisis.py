"""The crisis net: every way of saying it that we know of is caught; ordinary messages are not.

These pin down classes of expressions. How well the net generalises is measured on the frozen
test portion (tests/data/crisis_frozen/, see test_crisis_model.py and `navigator crisis eval`).
"""

import dataclasses
import time

import pytest

import api.services.crisis as crisis
from api.services.crisis import detect_crisis, match_rules, normalise
from api.services.crisis_model import training_sets

CRISIS = [
    "my friend is overdosing",
    "i think he OD'd",
    "she took too much and wont wake up",
    "hes not breathing",
    "he isnt breathin",
    "she wont wake up",
    "his lips are blue",
    "i took to much fent",
    "need narcan now",
    "i want to die",
    "i dont want to live anymore",
    "thinking about killing myself",
    "im suicidal",
    "feel like ending it all",
    "i keep cutting myself",
    "i want to hurt myself",
    "relapsed and im alone and scared",
    "I’m gonna end my life",
    "better off dead honestly",
    "overdosed last night at my house, hes still not right",
    "im not ok i want to die",
    "never thought id say this but i want to kill myself",
]
ORDINARY = [
    "i need a job in erie",
    "sober house for women in pgh",
    "i'm not suicidal, just need a job",
    "no i didnt overdose, i need a ride",
    "do you have narcan training jobs",
    "where can i get a narcan kit to carry",
    "looking for overnight shift work",
    "my kids need daycare",
    "bus to my suboxone appointment",
    "im dying to get a job lol",
    "coach",
    "",
]

# Classes of expressions, each with examples that are not in the eval files.
CRISIS_CLASSES = {
    "overdose spellings": ["my uncle is overdossing", "she ODd in the car", "he o.d.'d",
                           "i think im od-ing rn", "ovrdosing help me"],
    "too much / too many": ["took 2 many xannies", "she did waaay to much boy",
                            "i think i took too much", "we used too much and hes out"],
    "quantities of pills": ["he swallowed a fistful of percs", "i took the whole bottle",
                            "she popped like 15 pills"],
    "mixing": ["he mixed bars with liquor and now hes passed out"],
    "not breathing": ["he aint breathin no more", "shes breathing so shallow",
                      "my dad stopped breathin"],
    "colour": ["lips goin blue", "his face is turning purple", "her skin is gray"],
    "won't wake up": ["she isnt wakin up", "cant get her to wake", "he wont come to",
                      "my son wont wake up"],
    "unresponsive": ["he is unresponsive", "my bf is not responding"],
    "suicidal spellings": ["suicidel thoughts", "i feel sucide", "im suiciddal",
                           "going to commit sucide"],
    "kill myself": ["i wanna kil my slef", "im gonna kms tbh", "imma kill myselfff"],
    "ending it": ["thinkin bout endin it", "i want to end my own life"],
    "not wanting to live": ["dont want to be around anymore", "i dont want to exist",
                            "i hope i never wake up", "i dont want to die"],
    "no reason": ["theres no point in going on", "i have no reason to keep going"],
    "third person": ["my cousin said she wants to kill herself",
                     "he keeps saying he wants to die", "my girl is hurting herself"],
    "self-harm": ["i been cuttin again", "the urges to cut r bad", "slicing my arms again",
                  "self injury again"],
    "caps and emoji": ["HES ODING 😭😭", "I WANNA DIE 💔", "🙏 pls he isnt breathing"],
    # a negation does not reach past punctuation, or past words that are not fillers
    "negation that is not one": ["no, i want to die", "im not ok. i want to die",
                                 "im not suicidal but i want to die",
                                 "no one knows i want to kill myself",
                                 "i cant stop thinking about killing myself"],
}
ORDINARY_CLASSES = {
    "negated": ["im not sucidal", "never od'd in my life lol",
                "i am not going to kill my self", "no thoughts of hurting myself",
                "i havent overdosed in years", "nobody overdosed, i just need a job"],
    "everyday senses": ["my battery is dying", "this commute is killing me",
                        "cutting hair is my trade", "i took too many sick days",
                        "dead tired from my shift", "i want to end things with my landlord",
                        "i have odd jobs experience", "that is odd", "i did odd jobs"],
    "safe contexts": ["free naloxone training", "overdose prevention center jobs",
                      "suicide prevention volunteer"],
    "things, not people": ["the app is unresponsive", "my alarm didnt wake me up",
                           "i dont want to live near my ex"],
}


@pytest.mark.parametrize("text", CRISIS)
def test_crisis_messages_are_caught(text):
    assert detect_crisis(text) is not None


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_messages_are_not_crisis(text):
    assert detect_crisis(text) is None


@pytest.mark.parametrize("text", [t for ts in CRISIS_CLASSES.values() for t in ts])
def test_crisis_expression_classes_are_caught(text):
    assert detect_crisis(text) is not None


@pytest.mark.parametrize("text", [t for ts in ORDINARY_CLASSES.values() for t in ts])
def test_the_rules_let_negations_and_everyday_senses_through(text):
    """The rules' own negation and everyday-sense handling. (The whole net's false alarms on
    near-misses are measured, not pinned: test_crisis_model.py.)"""
    assert match_rules(normalise(text)) is None


def test_speed_shortcuts_change_no_answer(monkeypatch):
    """The rules' anchors (substring checks before a regex runs) are only speed: every pattern
    on its own, always run, gives the same answers."""
    sets = training_sets()
    crisis_set, nlu, near_miss = sets.crisis, sets.nlu, sets.near_miss
    examples = (CRISIS + ORDINARY + crisis_set + near_miss + nlu[::5]
                + [t for ts in (*CRISIS_CLASSES.values(), *ORDINARY_CLASSES.values()) for t in ts])
    # and inside long texts, where a pattern only runs around its anchors
    pad = " ".join(nlu[:40])[:400] + ". "
    examples += [pad + t + ". " + pad for t in examples[::3]]
    fast = [match_rules(normalise(t)) is not None for t in examples]
    monkeypatch.setattr(crisis, "_SCANS",
                        [dataclasses.replace(p, anchors=None) for p in crisis._PATTERNS])
    assert [match_rules(normalise(t)) is not None for t in examples] == fast


def _cpu_ms(text: str) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        detect_crisis(text)
        best = min(best, time.process_time() - start)
    return best * 1000


def test_huge_messages_are_fast():
    """Every message goes through the whole net (rules and learned layer): 20,000 characters in
    < 30 ms, and a crisis at the very end of it is still found (no catastrophic backtracking,
    no truncation)."""
    sets = training_sets()
    nlu, near_miss = sets.nlu, sets.near_miss
    ordinary = (" ".join(nlu) * 3)[:20_000]  # a long message of ordinary sentences
    assert detect_crisis(ordinary) is None
    assert _cpu_ms(ordinary) < 30
    near_misses = (" ".join(near_miss) * 3)[:20_000]  # every sentence a near-miss: the worst
    assert _cpu_ms(near_misses) < 30
    for hostile in ("B" * 20_000, "took " * 4_000, "not " * 5_000, "!?" * 10_000,
                    "🤷🏽‍♀️" * 3_000, "mixed pills with " * 1_200):
        assert _cpu_ms(hostile[:20_000]) < 30
    assert detect_crisis(("i need a job " * 1_600)[:19_980] + " i wanna die") is not None
