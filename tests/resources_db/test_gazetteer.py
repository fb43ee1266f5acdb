from resources_db import geo
from resources_db.gazetteer import EVERYDAY_WORDS, LOOKUP_PATH, render_location_lookup
from tests.conftest import ROOT


def test_committed_location_lookup_is_generated_from_the_gazetteer():
    committed = (ROOT / LOOKUP_PATH).read_text(encoding="utf-8")
    assert committed == render_location_lookup(), "run `navigator nlu lookups` and commit"


def test_every_lookup_name_resolves_to_a_pennsylvania_place():
    names = [line.removeprefix("      - ") for line in render_location_lookup().splitlines()
             if line.startswith("      - ")]
    assert len(names) > 2000
    for name in names:
        try:
            geo.resolve_place(name)
        except geo.OutsidePennsylvania:
            assert name in geo.US_STATES


def test_everyday_words_are_not_places_for_the_nlu():
    text = render_location_lookup()
    for word in ("home", "library", "force"):
        assert word in EVERYDAY_WORDS
        assert f"      - {word}\n" not in text
