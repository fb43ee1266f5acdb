"""The barrier needs on a frozen test set (tests/data/barriers_frozen.tsv, label<TAB>message),
written from situation descriptions by someone who never saw the training data; never read for
tuning, never edited. Parsed by the real trained model (as the engine parses, in the engine
venv); only aggregate accuracy per label is printed (`make barriers-eval`), never a message.

A line is right when the model reads it as its need (benefits -> find_benefits, record ->
find_record_help, recovery_support -> find_recovery_support, training -> find_training); an
`other` line when it is none of the four; a `mixed_record_jobs` line when it is read as a job
search and the record-help line is offered (actions/record_mention.py, what the search action
uses). The aim (issue 15): at least 0.90 on the need, over the four needs' lines together.

Read for the first time once the training data was final (commit after 2a8cd96): 0.792
(156/197) on the four needs (benefits 0.735, record 0.837, recovery_support 0.694, training
0.900), other 1.000, mixed_record_jobs 0.760: below the aim. BOUND is a floor under that first
figure, so a regression fails; it is not tuned on: improve the NLU where cross-validation
measures it (make nlu-eval), then read this figure again.
"""

from __future__ import annotations

from collections import Counter

from actions.record_mention import mentions_record
from tests.actions.test_refine_frozen import parse_all, read_frozen
from tests.conftest import ROOT

FROZEN = ROOT / "tests" / "data" / "barriers_frozen.tsv"
NEED_INTENTS = {"benefits": "find_benefits", "record": "find_record_help",
                "recovery_support": "find_recovery_support", "training": "find_training"}
LABELS = (*NEED_INTENTS, "other", "mixed_record_jobs")
AIM = 0.90
BOUND = 0.77  # the first reading was 0.792; see above


def right(label: str, intent: str, text: str) -> bool:
    if label in NEED_INTENTS:
        return intent == NEED_INTENTS[label]
    if label == "other":
        return intent not in NEED_INTENTS.values()
    return intent == "find_jobs" and mentions_record(text)  # mixed_record_jobs


def accuracy_by_label() -> tuple[Counter[str], Counter[str]]:
    lines = read_frozen(FROZEN, LABELS)
    parses = parse_all([text for _, text in lines])
    total: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    for (label, text), parse in zip(lines, parses, strict=True):
        total[label] += 1
        correct[label] += right(label, parse["intent"], text)
    return total, correct


def test_the_barrier_needs_on_the_frozen_set():
    total, correct = accuracy_by_label()
    needs = sum(total[n] for n in NEED_INTENTS)
    need_share = sum(correct[n] for n in NEED_INTENTS) / needs
    print(f"\nbarriers frozen set (aim {AIM} on the need, floor {BOUND}):")
    for label in LABELS:
        if total[label]:
            print(f"  {label:18} {correct[label]:3}/{total[label]:<3} = "
                  f"{correct[label] / total[label]:.3f}")
    print(f"  {'the four needs':18} {sum(correct[n] for n in NEED_INTENTS):3}/{needs:<3} = "
          f"{need_share:.3f}")
    assert all(total[n] >= 40 for n in NEED_INTENTS), "fewer than 40 lines for a need"
    assert need_share >= BOUND
