"""Refinements on a frozen test set (tests/data/refine_frozen.txt, label<TAB>message) written by
someone who never saw the code, and never tuned on: through the real trained model's parse (in
the engine venv, as the engine parses) and the filter words (actions/refine.py).

A line is recognised when the model says refine_results and the words give the labelled filter
(other filters may come with it: "closer ones that take mat" is about MAT too); a `none` line
when the model does not say refine_results. The figure is printed (pytest -s) and bounded.

The aim (issue 14.6) was 0.85. Read for the first time once the NLU examples and filter words
were final (commit 508a312, 089a459), it measured 0.779 (239/307): the filter words found the
labelled filter in 210 of the 221 refinement lines; most misses are the intent (30 lines said
as a whole request, "mens halfway house", came out find_*; 18 not understood). BOUND is a floor
under that first figure, so a regression fails; it is not tuned on: improve the NLU where it is
measured by cross-validation (make nlu-eval), then read this figure again.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

from actions.refine import refinement_from_text
from tests.conftest import ROOT

FROZEN = ROOT / "tests" / "data" / "refine_frozen.txt"
ENGINE_PYTHON = ROOT / ".venv-engine" / "bin" / "python"
NAVIGATOR = ROOT / ".venv" / "bin" / "navigator"
AIM = 0.85
BOUND = 0.75  # the first reading was 0.779; see above

LABELS = {"mat": ("mat_friendly", "true"), "women": ("gender_served", "women"),
          "men": ("gender_served", "men"), "free": ("cost", "free"),
          "record": ("accepts_people_with_records", "true"),
          "evenings": ("evening_hours", "true"), "weekends": ("weekend_hours", "true"),
          "closer": None, "none": None}

# Loads the model `navigator serve engine` would serve and parses each message as it does.
PARSE = r'''
import asyncio, json, sys, logging
logging.disable(logging.WARNING)
from rasa.core.agent import Agent

async def main():
    agent = Agent.load(sys.argv[1])
    out = []
    for text in json.loads(sys.stdin.read()):
        parsed = await agent.parse_message(text)
        out.append({"intent": parsed["intent"]["name"],
                    "confidence": parsed["intent"].get("confidence")})
    print(json.dumps(out))

asyncio.run(main())
'''


def read_frozen(path: Path = FROZEN, labels: Iterable[str] = LABELS) -> list[tuple[str, str]]:
    """(label, message) of each line of a frozen set; a bad line is named by its number only
    (a frozen set is not read while it is used)."""
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        label, _, message = raw.partition("\t")
        label = label.strip().lower()
        if label == "label":  # a header row
            continue
        assert label in labels and message.strip(), \
            f"{path.name} line {number} is not label<TAB>message"
        lines.append((label, message.strip()))
    return lines


def model_path() -> Path:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    path = subprocess.run([str(ENGINE_PYTHON), "-m", "bot.launch", "fingerprint"], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()
    if not Path(path).exists():  # as make test and the integration tests do
        subprocess.run([str(NAVIGATOR), "train"], cwd=ROOT, check=True, timeout=1800)
    return Path(path)


def parse_all(texts: list[str]) -> list[dict]:
    if not ENGINE_PYTHON.exists():
        pytest.fail("the engine venv is missing: make setup", pytrace=False)
    proc = subprocess.run([str(ENGINE_PYTHON), "-c", PARSE, str(model_path())], cwd=ROOT,
                          input=json.dumps(texts), capture_output=True, text=True, timeout=900,
                          env={**os.environ, "RASA_TELEMETRY_ENABLED": "false",
                               "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONPATH": str(ROOT),
                               "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def recognised(label: str, intent: str, text: str) -> bool:
    if label == "none":
        return intent != "refine_results"
    if intent != "refine_results":
        return False
    refinement = refinement_from_text(text)
    if label == "closer":
        return refinement.closer
    code, value = LABELS[label]
    return refinement.filters.get(code) == value


def test_refinements_on_the_frozen_set_are_recognised():
    lines = read_frozen()
    assert len(lines) >= 50
    parses = parse_all([text for _, text in lines])
    per_label: Counter[str] = Counter()
    right: Counter[str] = Counter()
    misses = []
    for (label, text), parse in zip(lines, parses, strict=True):
        per_label[label] += 1
        if recognised(label, parse["intent"], text):
            right[label] += 1
        else:
            misses.append(f"{label}: {text!r} -> {parse['intent']} "
                          f"{refinement_from_text(text)}")
    share = sum(right.values()) / len(lines)
    print(f"\nrefine frozen set: {sum(right.values())}/{len(lines)} = {share:.3f} recognised "
          f"(aim {AIM}, floor {BOUND})")
    for label in sorted(per_label):
        print(f"  {label:9} {right[label]}/{per_label[label]}")
    for miss in misses:
        print("  miss", miss)
    assert share >= BOUND, "\n".join(misses)
