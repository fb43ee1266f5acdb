"""/api/v1/interpret and the coach lookup resolve places as the bot does (geo.resolve_place),
misspellings included."""

from __future__ import annotations

import pytest

from api.routers.interpret import location_of
from api.services.lookup import place_from
from resources_db import geo


def test_interpret_fills_the_corrected_town_and_county():
    assert location_of(["allentwon"]).model_dump() == {"zip": None, "city": "Allentown",
                                                       "county": "Lehigh"}
    assert location_of(["lancaser county"]).model_dump() == {"zip": None, "city": None,
                                                             "county": "Lancaster"}


def test_interpret_leaves_a_place_it_would_have_to_ask_about_empty():
    # "eston": Easton (Northampton) or Exton (Chester): no county is honest.
    assert location_of(["eston"]).model_dump() == {"zip": None, "city": None, "county": None}


def test_the_coach_lookup_place_box_takes_misspellings_and_says_which_when_unsure():
    assert place_from(place="harrisbug").name == "Harrisburg"
    assert place_from(county="lackawana").name == "Lackawanna County"
    with pytest.raises(geo.AmbiguousPlace, match="Easton or Exton"):
        place_from(place="eston")
