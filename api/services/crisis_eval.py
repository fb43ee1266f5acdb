"""How well the crisis net does, measured where it means something (`navigator crisis eval`).

Two figures, never mixed:

- **Cross-validated** on the training data (`api/crisis_data/` and the NLU examples): each
  message is scored by a classifier trained without it (5 folds), the rules run as they are.
  The rules were written with the older part of these sets in view, so the net's figure here
  is flattering; the learned layer's own out-of-fold figure is not.
- **Frozen**: `tests/data/crisis_frozen/`, written from situations by someone who never saw
  the patterns or the training data, never tuned on, never edited to fit. The net as
  deployed (rules + classifier trained on all the training data) is scored on it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from api.services.crisis import decide, detect_crisis, normalise
from api.services.crisis_model import (
    CONFIRM_THRESHOLD,
    ROOT,
    TARGET_RECALL,
    cross_validated,
    load_classifier,
    read_lines,
    threshold_for_recall,
    training_sets,
)

FROZEN_DIR = ROOT / "tests" / "data" / "crisis_frozen"


def frozen_sets(frozen_dir: Path = FROZEN_DIR) -> tuple[list[str], list[str]]:
    """The frozen test portion: crisis messages and near-misses."""
    return read_lines(frozen_dir / "crisis.txt"), read_lines(frozen_dir / "near_miss.txt")


def rate(flags: list[bool]) -> float:
    return round(sum(flags) / max(len(flags), 1), 4)


@dataclass
class Report:
    figures: dict[str, float | int] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    false_alarms: list[tuple[str, str]] = field(default_factory=list)


def frozen_report(frozen_dir: Path = FROZEN_DIR) -> Report:
    crisis, near_miss = frozen_sets(frozen_dir)
    caught = [detect_crisis(t) for t in crisis]
    alarms = [detect_crisis(t) for t in near_miss]
    report = Report({"frozen_recall": rate([m is not None for m in caught]),
                     "frozen_near_miss_false_positive_rate": rate([m is not None for m in alarms]),
                     "frozen_n_crisis": len(crisis), "frozen_n_near_miss": len(near_miss)})
    report.missed = [t for t, m in zip(crisis, caught, strict=True) if m is None]
    report.false_alarms = [(t, f"{m.kind}: {m.phrase!r}")
                           for t, m in zip(near_miss, alarms, strict=True) if m is not None]
    return report


def cross_validated_report(folds: int = 5) -> Report:
    sets = training_sets()
    threshold = load_classifier().threshold
    oof = cross_validated(sets, folds)
    report = Report()
    for name, texts in (("crisis", sets.crisis), ("near_miss", sets.near_miss),
                        ("nlu", sets.nlu)):
        model = [w.best >= threshold for w in oof[name]]
        net = [decide(normalise(t), lambda _t, w=w: (w, threshold, CONFIRM_THRESHOLD))
               is not None for t, w in zip(texts, oof[name], strict=True)]
        key = "recall" if name == "crisis" else "false_positive_rate"
        report.figures[f"cv_{name}_{key}_learned"] = rate(model)
        report.figures[f"cv_{name}_{key}_net"] = rate(net)
        report.figures[f"cv_n_{name}"] = len(texts)
        if name == "crisis":
            report.missed = [t for t, hit in zip(texts, net, strict=True) if not hit]
    report.figures["threshold"] = threshold
    # The threshold choice (crisis_model.THRESHOLD): the highest at which the net's
    # cross-validated recall reaches the target. Messages the rules catch whatever the learned
    # layer says need no threshold; the rest must reach it.
    rules_alone = [decide(normalise(t), lambda _t, w=w: (w, 2.0, CONFIRM_THRESHOLD))
                   is not None for t, w in zip(sets.crisis, oof["crisis"], strict=True)]
    needed = TARGET_RECALL - sum(rules_alone) / max(len(sets.crisis), 1)
    rest = [w.best for w, caught in zip(oof["crisis"], rules_alone, strict=True) if not caught]
    report.figures[f"cv_threshold_for_net_recall_{TARGET_RECALL}"] = round(
        threshold_for_recall(rest, needed * len(sets.crisis) / max(len(rest), 1)), 4) \
        if needed > 0 else 1.0
    report.figures["folds"] = folds
    return report


def speed_ms(text: str, repeats: int = 3) -> float:
    """CPU milliseconds of the whole net on one text (best of `repeats`)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        detect_crisis(text)
        best = min(best, time.process_time() - start)
    return best * 1000
