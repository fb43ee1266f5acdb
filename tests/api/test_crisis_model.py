"""The crisis net's learned layer, and the figures that say whether the net generalises.

The frozen test portion (tests/data/crisis_frozen/) was written by someone who never saw the
patterns or the training data; nothing here or in the training data may be fitted to it.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from api.services import crisis_model
from api.services.crisis import detect_crisis, match_rules, normalise
from api.services.crisis_eval import frozen_report
from api.services.crisis_model import CrisisClassifier, load_classifier, training_sets, windows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def classifier() -> CrisisClassifier:
    return load_classifier()


def test_the_frozen_test_portion_meets_the_targets():
    """What `navigator crisis eval` reports for the net as deployed, on messages it never saw:
    recall >= 0.98 on crisis messages, false positives <= 0.10 on near-misses."""
    report = frozen_report()
    figures = report.figures
    assert figures["frozen_n_crisis"] >= 150 and figures["frozen_n_near_miss"] >= 150
    assert figures["frozen_recall"] >= 0.98, report.missed
    assert figures["frozen_near_miss_false_positive_rate"] <= 0.10, report.false_alarms


def test_the_nlu_examples_are_not_crisis():
    """The bot's ordinary training examples through the net as deployed: at most 1% read as a
    crisis. Out of fold (each scored by a classifier trained without it) the figure is higher
    (README, "Crisis net"); it must not grow past 3%, and cross-validated recall stays 0.98."""
    from api.services.crisis_eval import cross_validated_report

    nlu = training_sets().nlu
    assert sum(detect_crisis(t) is not None for t in nlu) / len(nlu) <= 0.01
    figures = cross_validated_report(5).figures
    assert figures["cv_nlu_false_positive_rate_net"] <= 0.03
    assert figures["cv_crisis_recall_net"] >= 0.98


def test_the_training_data_is_large_and_apart_from_the_frozen_portion():
    sets = training_sets()
    assert len(sets.crisis) >= 600 and len(sets.near_miss) >= 600
    frozen = {normalise(t) for name in ("crisis.txt", "near_miss.txt")
              for t in crisis_model.read_lines(ROOT / "tests/data/crisis_frozen" / name)}
    assert not frozen & {normalise(t) for t in sets.crisis + sets.near_miss}


@pytest.mark.parametrize("text", [
    "my roommate is making this snoring gurgle sound and i cant get him up",
    "i cant do this anymore, i have a plan for tonight",
    "been saving up my pills for a while now. tonight feels like the night",
    "just wanted to say thanks for everything. tell my daughter i love her",
])
def test_the_learned_layer_answers_what_no_rule_foresaw(text):
    """Phrasings the rules do not match (checked) are still a crisis: the learned layer."""
    assert match_rules(normalise(text)) is None  # else this would test the rules
    assert detect_crisis(text) is not None


@pytest.mark.parametrize("text", [
    "this job search is killing me lol", "my phone died, can you resend the careerlink number",
    "hiring for overdose prevention outreach in erie?", "2 years clean today, need a job",
    "i am done with drinking, need a sober house in reading", "my hours got cut",
])
def test_the_learned_layer_lets_ordinary_messages_through(text):
    assert detect_crisis(text) is None


@pytest.mark.parametrize("phrase", ["im suicidal", "he is overdosing right now", "my friend ODd",
                                    "i think i overdosed", "been self harming again"])
def test_a_keyword_rule_counts_on_its_own_inside_a_long_message(phrase):
    """In a long message the learned layer does not get to overrule a keyword rule: the
    phrase shares its window with ordinary words."""
    padding = ("i need a job " * 1_600)[:19_900]
    run_on = " ".join(["looking for warehouse work near erie, i have two kids"] * 40)
    assert detect_crisis(f"{padding} {phrase}") is not None
    assert detect_crisis(f"{run_on} {phrase} {run_on}") is not None


def test_a_crisis_buried_in_a_long_ordinary_message_is_found():
    ordinary = " ".join(training_sets().nlu[:300])
    text = f"{ordinary} and honestly i swallowed every pill i had an hour ago {ordinary}"
    assert detect_crisis(ordinary) is None
    assert detect_crisis(text) is not None


def test_the_fast_scorer_gives_the_pipelines_own_probabilities(classifier):
    """The hand-written scorer is only speed: per window, the same numbers as scikit-learn's
    predict_proba on the window's text."""
    sets = training_sets()
    texts = sets.crisis[::3] + sets.near_miss[::3] + sets.nlu[::7]
    texts += [" ".join(sets.nlu[i : i + 9]) for i in range(0, 900, 9)]  # many windows
    texts += ["", "!!!", "🤷🏽‍♀️", "a " * 25, "x" * 5000]
    for text in texts:
        t = normalise(text)
        fast = classifier._scorer.window_probabilities(t.split())
        if not t:
            assert len(fast) == 0
            continue
        reference = classifier.pipeline.predict_proba(windows(t))[:, 1]
        assert fast == pytest.approx(reference, abs=1e-9), text


def test_windows_cover_every_word_pair():
    words = [f"w{i}" for i in range(100)]
    spans = windows(" ".join(words))
    assert spans[0].split()[0] == "w0" and spans[-1].split()[-1] == "w99"
    for a, b in zip(words, words[1:], strict=False):
        assert any(f"{a} {b}" in s for s in spans)


def test_the_model_is_cached_and_a_torn_cache_is_trained_again(tmp_path, monkeypatch):
    monkeypatch.setenv("CRISIS_MODEL_DIR", str(tmp_path))
    monkeypatch.setattr(crisis_model, "_loaded", None)
    first = load_classifier()
    [cached] = tmp_path.glob("crisis-model-*.joblib")
    monkeypatch.setattr(crisis_model, "_loaded", None)
    cached.write_bytes(b"not a model")
    again = load_classifier()
    text = "hes on the bathroom floor gurgling"
    assert again.score(text) == pytest.approx(first.score(text))
    monkeypatch.setattr(crisis_model, "_loaded", None)
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    (tmp_path / "blocker").write_text("")
    monkeypatch.setenv("CRISIS_MODEL_DIR", str(tmp_path / "blocker"))  # not a directory
    assert load_classifier().score(text) == pytest.approx(first.score(text))


def test_no_private_interpreter_module_is_imported():
    """Our code does not reach into the interpreter's private modules (re._parser, sre_*)."""
    offenders = []
    for package in ("api", "actions", "resources_db", "bot"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                for name in names:
                    parts = name.split(".")
                    if parts[0] in ("re", "sre_parse", "sre_compile", "sre_constants") and (
                            parts[0].startswith("sre") or any(p.startswith("_") for p in parts)):
                        offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders


def test_while_the_model_loads_elsewhere_the_rules_answer_at_once(monkeypatch):
    """The api loads the model in a thread at start-up; a message meanwhile does not wait on
    the event loop for it, and every rule counts."""
    import time

    monkeypatch.setattr(crisis_model, "_loaded", None)
    with crisis_model._lock:  # another thread is loading
        started = time.monotonic()
        assert detect_crisis("i think my friend odd") is not None  # a `confirm` rule
        assert detect_crisis("i need a job in erie") is None
        assert time.monotonic() - started < 1
