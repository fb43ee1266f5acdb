"""bot/fuzzy_places.py: misspelled places found as `location` entities by the engine.

The component lives in the engine venv (Rasa, RapidFuzz there), so it runs through
`.venv-engine/bin/python` in a subprocess, over the real generated lookup and a vocabulary of
the NLU examples' words, as training gives it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE_PYTHON = ROOT / ".venv-engine" / "bin" / "python"

pytestmark = pytest.mark.skipif(not ENGINE_PYTHON.exists(), reason="no engine venv")

PROBE = """
import json, re, sys
from pathlib import Path
from rasa.shared.nlu.training_data.message import Message
from bot.fuzzy_places import FuzzyPlaceExtractor
from bot.spacy_gazetteer import lookup_entries
vocabulary = set()
for path in Path("data/nlu").glob("*.yml"):
    for line in path.read_text().splitlines():
        if re.match(r"\\s+- ", line):
            vocabulary |= set(re.findall(r"[a-z]+", line.lower()))
component = FuzzyPlaceExtractor({"lookup": "location"}, None, None, vocabulary, lookup_entries())
out = {}
for text in json.loads(sys.argv[1]):
    message = Message.build(text=text, intent="nlu_fallback")
    message.set("intent", {"name": "find_jobs" if "job" in text else "nlu_fallback",
                           "confidence": 0.4})
    component.process([message])
    out[text] = {"places": [e["value"] for e in message.get("entities") or []],
                 "intent": message.get("intent")["name"]}
print(json.dumps(out))
"""

TEXTS = {
    # typed: (what is marked as a place, the intent after)
    "jobs in allentwon": (["allentwon"], "find_jobs"),
    "harrisbug": (["harrisbug"], "inform_location"),
    "im in scranon": (["scranon"], "inform_location"),
    "lancaser county": (["lancaser county"], "inform_location"),
    "wilkes-bare pa": (["wilkes-bare"], "inform_location"),
    "need work near my house": ([], "nlu_fallback"),
    "erie": ([], "nlu_fallback"),  # spelled right: the entity ruler's, not this one's
    "asdkjh qwe": ([], "nlu_fallback"),
    "parking job": ([], "find_jobs"),
    "allentwon jobs": (["allentwon"], "find_jobs"),
    # a word never seen in training, but not where a place is said
    "can u do my math homework": ([], "nlu_fallback"),
    "whats the forecast": ([], "nlu_fallback"),
}


def test_misspelled_places_are_marked_and_a_place_alone_is_inform_location():
    result = subprocess.run([str(ENGINE_PYTHON), "-c", PROBE, json.dumps(list(TEXTS))],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert {t: (v["places"], v["intent"]) for t, v in got.items()} == TEXTS
