"""FuzzyPlaceExtractor: misspelled places ("jobs in allentwon", "scranon") as `location` entities.

The spaCy entity ruler matches the generated lookup exactly, so a misspelled town is no entity
at all, and a message of nothing but one ("harrisbug") has no known word, which
UnknownWordsFallback reads as not understood. This component finds a span of one to three
words that is close to an entry of the same lookup (RapidFuzz, edits counted with
transpositions as one, on the name without spaces) and marks it `location` with the text as
typed. Which place it is, or whether it is one at all, is decided in one place, the actions'
`geo.resolve_place` (resources_db/geo.py), which may still say "I don't know 'x'. Did you
mean ...?" or ask which of two places: this only finds candidates, a little more loosely.
A message that is such a span and filler words only ("im in scranon") is inform_location.

Guard against false places: only a span holding a word never seen in the NLU training
examples is considered ("work", "near", "house" are seen, so never York, Bear or Horsham),
and the first letter must be kept, as in geo.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ENTITY = "location"
_WORD = re.compile(r"[a-z]+")
_COUNTY_WORDS = {"county", "cnty", "co"}
MAX_WORDS = 3
# Words around a place that add nothing ("im in scranon"): a message of a misspelled place
# and these only is the person telling where (inform_location), which the classifier cannot
# see in a word it never met ("harrisbug" alone came out as not understood).
FILLER = {"in", "near", "im", "i", "m", "am", "around", "at", "by", "from", "the", "pa", "penna",
          "pennsylvania", "area", "live", "stay", "staying", "currently", "its", "it", "s",
          "uh", "um", "ok", "okay", "yes", "yeah", "please", "city", "town"}
INFORM_LOCATION = "inform_location"


def compact(text: str) -> str:
    return "".join(_WORD.findall(text.lower()))


# Where a place is said: after these ("jobs in allentwon", "closer to scranon"), before these
# ("lancaser pa"), or alone. A word never seen in training elsewhere in a sentence ("my math
# homework", "whats the forecast") is not taken for a place. Measured by `make nlu-eval` (5-fold
# CV, words of the held-out fold unseen in training): without this rule 20 such words were
# (location F1 0.977, precision 0.955, intent macro-F1 0.949); with it none (1.000; 0.954).
PLACE_BEFORE = {"in", "near", "around", "by", "at", "from", "to", "outside", "of", "nearby",
                "live", "stay", "staying", "moved", "move", "toward", "towards"}
PLACE_AFTER = {"pa", "penna", "pennsylvania", "area", "county", "co"}
# ... or with only words of a need around it ("allentwon jobs", "sober house harrisbug").
NEED_WORDS = {"job", "jobs", "work", "hiring", "housing", "house", "houses", "sober", "living",
              "recovery", "careerlink", "career", "bus", "buses", "ride", "rides", "transit",
              "daycare", "childcare", "child", "care", "for", "a", "need", "any", "looking"}


def budget(length: int, county: bool) -> int:
    """Edits a name of this many letters may be from a lookup entry: geo's budget without its
    place sizes (resources_db/geo.py decides; this only finds candidates)."""
    if county:
        return 1 if length >= 3 else 0
    return 0 if length <= 4 else 1 if length < 8 else 2


def _without(text: str, spans: list[dict[str, Any]]) -> str:
    for span in sorted(spans, key=lambda e: -e["start"]):
        text = text[:span["start"]] + " " + text[span["end"]:]
    return text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class FuzzyPlaceExtractor(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"lookup": ENTITY}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: set[str] | None = None, names: list[str] | None = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary or set()
        self._set_names(names or [])

    def _set_names(self, names: list[str]) -> None:
        self.names = names
        # compact form -> number of words, for "words apart keep apart" (as in geo)
        self._targets: dict[str, int] = {}
        for name in names:
            self._targets.setdefault(compact(name), len(name.split()))
        self._choices = list(self._targets)

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FuzzyPlaceExtractor:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        for example in training_data.intent_examples:
            self.vocabulary |= set(_WORD.findall((example.get(TEXT) or "").lower()))
        names = sorted({str(e).lower() for table in training_data.lookup_tables
                        if table.get("name") == self._config["lookup"]
                        for e in table.get("elements", [])})
        self._set_names(names)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "fuzzy_places.json").write_text(json.dumps(
                {"vocabulary": sorted(self.vocabulary), "names": names}))
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> FuzzyPlaceExtractor:
        try:
            with model_storage.read_from(resource) as directory:
                saved = json.loads((directory / "fuzzy_places.json").read_text())
        except (ValueError, FileNotFoundError):
            saved = {}
        return cls(config, model_storage, resource, set(saved.get("vocabulary", [])),
                   saved.get("names", []))

    def candidates(self, text: str, taken: list[tuple[int, int]]) -> list[dict[str, Any]]:
        """Non-overlapping spans close to a place name, longest first."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        words = [(m.start(), m.end(), m.group().lower())
                 for m in re.finditer(r"[A-Za-z]+(?:['’][A-Za-z]+)?", text)]
        found: list[dict[str, Any]] = []
        for size in range(MAX_WORDS, 0, -1):
            for i in range(len(words) - size + 1):
                span = words[i:i + size]
                start, end = span[0][0], span[-1][1]
                if any(start < b and a < end for a, b in taken):
                    continue
                tokens = [w for _, _, w in span]
                county = size > 1 and (tokens[-1] in _COUNTY_WORDS
                                       or OSA.distance(tokens[-1], "county") <= 1)
                name_words = tokens[:-1] if county else tokens
                # A word never seen in training makes it a candidate; a county's name may be
                # an ordinary word ("center county" is Centre County).
                if not county and all(w in self.vocabulary for w in tokens):
                    continue
                before = words[i - 1][2] if i else None
                after = words[i + size][2] if i + size < len(words) else None
                alone = all(w in FILLER or w in NEED_WORDS
                            for _, _, w in words[:i] + words[i + size:])
                if not (county or alone or before in PLACE_BEFORE or after in PLACE_AFTER):
                    continue
                query = "".join(tokens)
                limit = budget(len("".join(name_words)), county)
                if not limit or not self._choices:
                    continue
                matches = process.extract(query, self._choices, scorer=OSA.distance,
                                          score_cutoff=limit, limit=5)
                # the first letter is kept, as in geo ("parking" is not Barking)
                match = next((m for m in matches if m[1] == 0 or m[0][0] == query[0]), None)
                if match is None:
                    continue
                target, edits, _ = match
                if edits == 2 and min(len(query), len(target)) < 8:
                    continue  # "forecast" is not Forest
                if size > 1 and self._targets[target] != size:
                    continue  # "need more" is not Needmore
                found.append({"entity": ENTITY, "start": start, "end": end,
                              "value": text[start:end], "confidence_entity": 1.0 / (1 + edits),
                              "extractor": self.__class__.__name__})
                taken = [*taken, (start, end)]
        return found

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = list(message.get(ENTITIES) or [])
            taken = [(e["start"], e["end"]) for e in entities if "start" in e and "end" in e]
            found = self.candidates(text, taken)
            if not found:
                continue
            message.set(ENTITIES, entities + found, add_to_output=True)
            rest = _WORD.findall(_without(text, found).lower())
            if all(w in FILLER for w in rest):
                intent = {"name": INFORM_LOCATION, "confidence": 1.0}
                ranking = [r for r in message.get(INTENT_RANKING_KEY) or []
                           if r.get("name") != INFORM_LOCATION]
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent, *ranking], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
