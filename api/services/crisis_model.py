"""The crisis net's learned layer: a classifier over word and character n-grams.

The rules in `api.services.crisis` catch the unmistakable phrasings fast, but every new way of
saying it needs a new pattern. This layer generalises from examples: tf-idf weighted word
uni/bigrams and character 2-5-grams (within words, so misspellings and slang share most of
their features) of the rules' normalised text, and a logistic regression (scikit-learn).

Training data (`api/crisis_data/`): crisis messages (`crisis*.txt`), hard near-misses
(`near_miss*.txt`), and every NLU training example of the bot (`data/nlu/`, none a crisis).
The frozen test portion (`tests/data/crisis_frozen/`) is never read here.

Long messages are scored by windows of words and the highest window counts: a crisis in the
middle of an ordinary request ("need a ride tmrw ... took all my pills ... and a job") is not
averaged away by the rest of it.

The threshold (`THRESHOLD`) was chosen on out-of-fold probabilities (`navigator crisis eval`
prints it as cv_threshold_for_net_recall): the highest one at which the whole net's (rules and
this layer) cross-validated recall is at least `TARGET_RECALL`; the false-positive rates it
costs are measured there too.

The model is trained from the data on first use (about 20 seconds here) and kept in
`var/crisis-model-<hash>.joblib`, the hash covering the data, this file and the library
versions: a change to any of them trains again, like the engine's model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.services.crisis import normalise

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "api" / "crisis_data"
NLU_DIR = ROOT / "data" / "nlu"

# The probability above which a window counts as a crisis (see the module doc; measured by
# `navigator crisis eval` on out-of-fold predictions: cv_threshold_for_net_recall_0.98 was
# 0.216 with the data of 2026-12-01).
THRESHOLD = 0.21
TARGET_RECALL = 0.98
# What a `confirm` rule of api.services.crisis needs from this layer to count.
CONFIRM_THRESHOLD = 0.10

# Windows: messages longer than WINDOW words are scored by windows of WINDOW words, STRIDE
# apart (each word in two windows), so a phrase at a window's edge is whole in the next one.
WINDOW, STRIDE = 24, 12


def read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def nlu_examples(nlu_dir: Path = NLU_DIR) -> list[str]:
    """Every NLU training example's text (entity markup removed)."""
    import yaml

    examples = []
    for path in sorted(nlu_dir.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in block:
                for line in block["examples"].splitlines():
                    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.lstrip("- ").strip())
                    if text:
                        examples.append(text)
    return examples


@dataclass(frozen=True)
class TrainingSets:
    crisis: list[str]
    near_miss: list[str]
    nlu: list[str]

    def texts_and_labels(self) -> tuple[list[str], list[int]]:
        texts = self.crisis + self.near_miss + self.nlu
        return texts, [1] * len(self.crisis) + [0] * (len(self.near_miss) + len(self.nlu))


def training_sets(data_dir: Path = DATA_DIR, nlu_dir: Path = NLU_DIR) -> TrainingSets:
    def read(prefix: str) -> list[str]:
        seen: dict[str, None] = {}
        for path in sorted(data_dir.glob(f"{prefix}*.txt")):
            seen.update(dict.fromkeys(read_lines(path)))
        return list(seen)

    return TrainingSets(read("crisis"), read("near_miss"), nlu_examples(nlu_dir))


def build_pipeline() -> Any:
    """The untrained classifier (inputs: normalised text)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), token_pattern=r"[^ ]+", min_df=1,
                                  sublinear_tf=True, lowercase=False)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                  sublinear_tf=True, lowercase=False)),
    ])
    # Balanced classes: crisis messages are a third of the data; a miss costs far more than
    # a false alarm, and the threshold below 0.5 leans further that way.
    classifier = LogisticRegression(C=30.0, class_weight="balanced", max_iter=3000)
    return Pipeline([("features", features), ("classifier", classifier)])


def fit_pipeline(normalised: Sequence[str], labels: Sequence[int]) -> Any:
    """Trained on what it will score: windows. A long ordinary message gives all its windows
    as ordinary; a long crisis message gives only its most crisis-like window (by a first
    model trained on whole messages) as crisis, since the rest of a run-on ("need a ride to my
    interview tmrw and ...") is ordinary words that would otherwise be learned as crisis
    (multiple-instance learning, one round; measured by `navigator crisis eval`: long
    near-misses flagged 33% -> 17% at the same recall)."""
    first = build_pipeline()
    first.fit(list(normalised), list(labels))
    docs: list[str] = []
    doc_labels: list[int] = []
    for text, label in zip(normalised, labels, strict=True):
        spans = windows(text)
        if len(spans) == 1:
            docs.append(text)
            doc_labels.append(label)
        elif label == 0:
            docs += spans
            doc_labels += [0] * len(spans)
        else:
            docs.append(spans[int(first.predict_proba(spans)[:, 1].argmax())])
            doc_labels.append(1)
    pipeline = build_pipeline()
    pipeline.fit(docs, doc_labels)
    return pipeline


def windows(normalised: str) -> list[str]:
    """The message itself when short, else overlapping windows of its words."""
    words = normalised.split()
    if len(words) <= WINDOW:
        return [normalised]
    return [" ".join(words[i : i + WINDOW])
            for i in range(0, max(len(words) - STRIDE, 1), STRIDE)]


def _fingerprint(data_dir: Path, nlu_dir: Path) -> str:
    import sklearn

    digest = hashlib.sha256(sklearn.__version__.encode())
    files = [Path(__file__), Path(__file__).with_name("crisis.py"),
             *sorted(data_dir.glob("*.txt")), *sorted(nlu_dir.glob("*.yml"))]
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


class CrisisClassifier:
    """A fitted pipeline, scored by `_FastScorer` (same numbers, see there)."""

    def __init__(self, pipeline: Any, threshold: float = THRESHOLD) -> None:
        self.pipeline = pipeline
        self.threshold = threshold
        self._scorer = _FastScorer(pipeline)

    @classmethod
    def train(cls, sets: TrainingSets, threshold: float = THRESHOLD) -> CrisisClassifier:
        texts, labels = sets.texts_and_labels()
        return cls(fit_pipeline([normalise(t) for t in texts], labels), threshold)

    def window_scores(self, normalised: str) -> WindowScores:
        words = normalised.split()
        return WindowScores(words, [float(p) for p in self._scorer.window_probabilities(words)])

    def probabilities(self, normalised_texts: Sequence[str]) -> list[float]:
        """Per already-normalised text, the highest crisis probability of its windows."""
        return [self.window_scores(t).best for t in normalised_texts]

    def score(self, text: str) -> float:
        return self.probabilities([normalise(text)])[0]


@dataclass(frozen=True)
class WindowScores:
    """A message's crisis probability per window (see `windows`)."""

    words: list[str]
    probabilities: list[float]

    @property
    def best(self) -> float:
        return max(self.probabilities, default=0.0)

    def best_window(self) -> str:
        if not self.probabilities:
            return ""
        i = max(range(len(self.probabilities)), key=self.probabilities.__getitem__)
        start = i * STRIDE if len(self.words) > WINDOW else 0
        return " ".join(self.words[start : start + WINDOW])

    def confirms(self, threshold: float) -> bool:
        """Whether a `confirm` rule's match counts. Only a short message (one window) is judged
        by the learned layer: in a long one the match shares its window, or any small context,
        with ordinary words ("i need a job ... my friend odd"), which measured too low to
        trust (buried overdoses and "im suicidal" were missed). There the rule counts alone."""
        return len(self.words) > WINDOW or self.best >= threshold


class _FastScorer:
    """The fitted pipeline's predict_proba on every window of a message, without building the
    windows' text. Written by hand because scikit-learn's analyzers make a Python string per
    n-gram: 20,000 characters cost about 70 ms there, and the net runs on every message. Here
    each distinct word's character n-grams are looked up once (and kept), windows are sums of
    their words' counts (a sparse matrix product), then the same sublinear tf, idf, l2
    normalisation per vectorizer and logistic function. tests/api/test_crisis_model.py checks
    it against predict_proba."""

    def __init__(self, pipeline: Any) -> None:
        import numpy as np

        (_, words), (_, chars) = pipeline.named_steps["features"].transformer_list
        classifier = pipeline.named_steps["classifier"]
        self.word_vocab: dict[str, int] = words.vocabulary_
        self.char_vocab: dict[str, int] = chars.vocabulary_
        self.char_ngrams = chars.build_analyzer()  # char_wb: n-grams of one word at a time
        self.word_idf = words.idf_
        self.char_idf = chars.idf_
        coef = classifier.coef_[0]
        self.word_coef, self.char_coef = coef[: len(words.idf_)], coef[len(words.idf_) :]
        self.intercept = float(classifier.intercept_[0])
        self._char_cache: dict[str, Any] = {}
        self._np = np

    def _char_features(self, word: str) -> Any:
        found = self._char_cache.get(word)
        if found is None:
            vocab = self.char_vocab
            found = self._np.array([vocab[g] for g in self.char_ngrams(word) if g in vocab],
                                   dtype=self._np.int64)
            if len(self._char_cache) < 200_000:  # bounded: hostile texts invent words
                self._char_cache[word] = found
        return found

    def _block(self, counts: Any, idf: Any, coef: Any) -> Any:
        """Per window (a row of feature counts without duplicates), coef . x where x is the
        l2-normalised sublinear-tf-idf vector."""
        np = self._np
        n_windows = counts.shape[0]
        values = (np.log(counts.data) + 1.0) * idf[counts.indices]
        row_of = np.repeat(np.arange(n_windows), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(row_of, weights=values**2, minlength=n_windows))
        dots = np.bincount(row_of, weights=values * coef[counts.indices], minlength=n_windows)
        return np.divide(dots, norms, out=np.zeros(n_windows), where=norms > 0)

    def _membership(self, first: Any, last: Any, n: int, n_windows: int) -> tuple[Any, Any]:
        """(window, item) pairs for items spanning words first..last: window k holds words
        k*STRIDE .. k*STRIDE+WINDOW-1 (WINDOW = 2*STRIDE), so an item is in at most two."""
        np = self._np
        items = np.arange(len(first))
        if n <= WINDOW:
            return np.zeros(len(first), dtype=np.int64), items
        rows, kept = [], []
        for k in (last // STRIDE - 1, last // STRIDE):
            ok = (k >= 0) & (k < n_windows) & (k * STRIDE <= first)
            rows.append(k[ok])
            kept.append(items[ok])
        return np.concatenate(rows), np.concatenate(kept)

    def window_probabilities(self, words: list[str]) -> Any:
        from scipy.sparse import csr_matrix

        np = self._np
        n = len(words)
        if n == 0:
            return np.zeros(0)
        n_windows = 1 if n <= WINDOW else len(range(0, max(n - STRIDE, 1), STRIDE))
        positions = np.arange(n)
        # distinct words once: a long text repeats most of its words
        distinct: dict[str, int] = {}
        word_ids = np.array([distinct.setdefault(w, len(distinct)) for w in words])
        unique = list(distinct)
        # word uni- and bigrams: (window, feature) pairs, counted
        vocab = self.word_vocab
        unigram_ids = np.array([vocab.get(w, -1) for w in unique], dtype=np.int64)[word_ids]
        pair_keys = word_ids[:-1] * len(unique) + word_ids[1:]
        pairs, pair_of = np.unique(pair_keys, return_inverse=True)
        bigram_ids = np.array([vocab.get(f"{unique[k // len(unique)]} {unique[k % len(unique)]}",
                                         -1) for k in pairs.tolist()], dtype=np.int64)
        ids = np.concatenate([unigram_ids, bigram_ids[pair_of] if len(pairs) else pair_keys])
        first = np.concatenate([positions, positions[:-1]])
        last = np.concatenate([positions, positions[1:]])
        found = ids >= 0
        rows, items = self._membership(first[found], last[found], n, n_windows)
        word_counts = csr_matrix((np.ones(len(rows)), (rows, ids[found][items])),
                                 shape=(n_windows, len(self.word_idf)))
        word_counts.sum_duplicates()
        # character n-grams: (windows x distinct words) @ (distinct words x n-grams); the
        # product's rows have no duplicates, so nothing needs sorting
        rows, items = self._membership(positions, positions, n, n_windows)
        in_window = csr_matrix((np.ones(len(rows)), (rows, word_ids[items])),
                               shape=(n_windows, len(distinct)))
        features = [self._char_features(w) for w in distinct]
        ngrams = csr_matrix((np.ones(sum(map(len, features))), np.concatenate(features),
                             np.concatenate([[0], np.cumsum([len(f) for f in features])])),
                            shape=(len(distinct), len(self.char_idf)))
        char_counts = in_window @ ngrams
        logits = (self.intercept + self._block(word_counts, self.word_idf, self.word_coef)
                  + self._block(char_counts, self.char_idf, self.char_coef))
        return 1.0 / (1.0 + np.exp(-logits))


_lock = threading.Lock()
_loaded: CrisisClassifier | None = None


def _cache_dir() -> Path:
    return Path(os.environ.get("CRISIS_MODEL_DIR", ROOT / "var"))


def classifier_if_ready() -> CrisisClassifier | None:
    """The classifier, loading it now if nobody is; None while another thread loads it (the
    api's start-up does), so that a message meanwhile is not held on the event loop: the rules
    answer it alone."""
    if _loaded is None and _lock.locked():
        return None
    return load_classifier()


def load_classifier(data_dir: Path = DATA_DIR, nlu_dir: Path = NLU_DIR) -> CrisisClassifier:
    """The trained classifier: from the cache when its data and code are unchanged, else
    trained now and cached (written to a temporary file first, then renamed: several
    processes may start at once)."""
    global _loaded
    with _lock:
        if _loaded is not None:
            return _loaded
        import joblib

        path = _cache_dir() / f"crisis-model-{_fingerprint(data_dir, nlu_dir)}.joblib"
        classifier = None
        if path.exists():
            try:
                classifier = CrisisClassifier(joblib.load(path))
            except Exception:  # a torn or foreign file: train again
                log.warning("crisis model cache unreadable, training again")
        if classifier is None:
            classifier = CrisisClassifier.train(training_sets(data_dir, nlu_dir))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                joblib.dump(classifier.pipeline, tmp)
                tmp.replace(path)
            except OSError:  # a read-only checkout still gets the net, trained in memory
                log.warning("crisis model cache not writable")
        _loaded = classifier
        return classifier


def cross_validated(sets: TrainingSets, folds: int = 5, seed: int = 13
                    ) -> dict[str, list[WindowScores]]:
    """Out-of-fold window scores per set (stratified folds over all three sets together)."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels = sets.texts_and_labels()
    normalised = [normalise(t) for t in texts]
    # The stratification keeps each set's share in every fold.
    strata = [0] * len(sets.crisis) + [1] * len(sets.near_miss) + [2] * len(sets.nlu)
    out: list[WindowScores] = [WindowScores([], [])] * len(texts)
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, strata):
        classifier = CrisisClassifier(
            fit_pipeline([normalised[i] for i in train], [labels[i] for i in train]))
        for i in test:
            out[i] = classifier.window_scores(normalised[i])
    a, b = len(sets.crisis), len(sets.crisis) + len(sets.near_miss)
    return {"crisis": list(out[:a]), "near_miss": list(out[a:b]), "nlu": list(out[b:])}


def threshold_for_recall(crisis_probs: Iterable[float], target: float) -> float:
    """The highest threshold at which at least `target` of the crisis probabilities reach it."""
    ranked = sorted(crisis_probs, reverse=True)
    if not ranked:
        return 0.5
    k = max(1, int(-(-target * len(ranked) // 1)))  # ceil(target * n) messages must be caught
    return ranked[min(k, len(ranked)) - 1]
