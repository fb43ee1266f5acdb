import pytest

from resources_db import geo


@pytest.mark.parametrize(
    ("text", "kind", "county"),
    [
        ("16501", "zip", "Erie"),
        ("erie", "town", "Erie"),
        ("Erie County", "county", "Erie"),
        ("allegheny co", "county", "Allegheny"),
        ("philly", "town", "Philadelphia"),
        ("pgh", "town", "Allegheny"),
        ("wilkes barre", "town", "Luzerne"),
        ("Wilkes-Barre, PA", "town", "Luzerne"),
        ("in lancaster pa", "town", "Lancaster"),
        ("State College", "town", "Centre"),
    ],
)
def test_places_people_type_resolve_to_the_right_county(text, kind, county):
    place = geo.resolve_place(text)
    assert (place.kind, place.county) == (kind, county)
    # Pennsylvania's bounding box
    assert 39.7 < place.latitude < 42.3 and -80.6 < place.longitude < -74.6


def test_all_67_counties_resolve():
    assert len(geo.PA_COUNTIES) == 67
    for county in geo.PA_COUNTIES:
        assert geo.resolve_place(f"{county} County").county == county


@pytest.mark.parametrize("text", ["Ohio", "44101", "new jersey"])
def test_places_outside_pennsylvania_are_recognised(text):
    with pytest.raises(geo.OutsidePennsylvania):
        geo.resolve_place(text)


def test_unknown_place_suggests_the_close_county():
    with pytest.raises(geo.UnknownPlace) as error:
        geo.resolve_place("Eire")
    assert "Erie County" in error.value.suggestions


def test_empty_place_is_an_error_not_a_crash():
    with pytest.raises(geo.UnknownPlace):
        geo.resolve_place("   ")


def test_distance_pittsburgh_to_philadelphia_is_about_260_miles():
    a, b = geo.resolve_place("pittsburgh"), geo.resolve_place("philadelphia")
    assert 250 < geo.haversine_miles(a.latitude, a.longitude, b.latitude, b.longitude) < 275


@pytest.mark.parametrize(("text", "county"), [
    ("mount lebanon", "Allegheny"), ("saint marys", "Elk"), ("bensalem township", "Bucks"),
    ("upper darby twp", "Delaware"), ("king of prussia", "Montgomery"),
])
def test_municipal_spellings_people_use(text, county):
    assert geo.resolve_place(text).county == county
