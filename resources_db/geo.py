"""Offline Pennsylvania geography: zip codes, towns and the 67 counties.

All data comes from the `zipcodes` package (it ships its own data file): nothing downloads at
run time. Coordinates of towns and counties are centroids of their zip codes.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import zipcodes
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

# The 67 counties of Pennsylvania (bare names, as in "Erie" for Erie County).
PA_COUNTIES = (
    "Adams Allegheny Armstrong Beaver Bedford Berks Blair Bradford Bucks Butler Cambria Cameron "
    "Carbon Centre Chester Clarion Clearfield Clinton Columbia Crawford Cumberland Dauphin "
    "Delaware Elk Erie Fayette Forest Franklin Fulton Greene Huntingdon Indiana Jefferson Juniata "
    "Lackawanna Lancaster Lawrence Lebanon Lehigh Luzerne Lycoming McKean Mercer Mifflin Monroe "
    "Montgomery Montour Northampton Northumberland Perry Philadelphia Pike Potter Schuylkill "
    "Snyder Somerset Sullivan Susquehanna Tioga Union Venango Warren Washington Wayne "
    "Westmoreland Wyoming York"
).split()

# How people write places: nickname -> the name in the gazetteer (normalized form).
PLACE_VARIANTS = {
    "philly": "philadelphia",
    "phila": "philadelphia",
    "pgh": "pittsburgh",
    "pitt": "pittsburgh",
    "pittsburg": "pittsburgh",
    "the burgh": "pittsburgh",
    "burgh": "pittsburgh",
    "wilkes barre": "wilkes barre",
    "wilkesbarre": "wilkes barre",
    "wb": "wilkes barre",
    "allentown pa": "allentown",
    "harrisburgh": "harrisburg",
    "hburg": "harrisburg",
    "state college": "state college",
    "lancaster city": "lancaster",
    "scranton wilkes barre": "scranton",
}

# Town names that are everyday words ("Home", "Force", "Library" are all PA towns): the NLU
# lookup leaves them out (gazetteer.py) and no misspelling is corrected to one ("homes" is not
# Home, PA); typed exactly, as the answer to "what town?", they still resolve.
EVERYDAY_WORDS = {
    "bath", "brave", "climax", "coral", "coupon", "crown", "cyclone", "delta", "distant", "drums",
    "eagle", "effort", "elm", "emerald", "export", "fairchance", "falls", "force", "freedom",
    "gap", "harmony", "hickory", "home", "industry", "large", "lawn", "liberty", "library",
    "mammoth", "manor", "marble", "mars", "midway", "mills", "oaks", "palm", "paradise", "park",
    "pillow", "plains", "plum", "presto", "queen", "ravine", "springs", "temple", "trainer",
    "union", "united", "venus", "wall", "white", "wood", "ono", "rew", "rea", "penn", "center",
    "wb", "pitt", "good spring", "new park", "transfer",
}

US_STATES = {
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut",
    "delaware", "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas",
    "kentucky", "louisiana", "maine", "maryland", "massachusetts", "michigan", "minnesota",
    "mississippi", "missouri", "montana", "nebraska", "nevada", "new hampshire", "new jersey",
    "new mexico", "new york", "north carolina", "north dakota", "ohio", "oklahoma", "oregon",
    "rhode island", "south carolina", "south dakota", "tennessee", "texas", "utah", "vermont",
    "virginia", "washington state", "west virginia", "wisconsin", "wyoming", "nyc", "dc",
}


@dataclass(frozen=True)
class Place:
    """A resolved place in Pennsylvania."""

    kind: str  # "zip", "town" or "county"
    name: str  # display name: "15213", "Erie", "Erie County"
    county: str  # bare county name: "Erie"
    latitude: float
    longitude: float
    zip: str | None = None


class PlaceError(ValueError):
    """The text could not be resolved to a place in Pennsylvania."""

    def __init__(self, text: str, message: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.text = text
        self.suggestions = suggestions or []


class UnknownPlace(PlaceError):
    pass


class OutsidePennsylvania(PlaceError):
    pass


class AmbiguousPlace(PlaceError):
    """A misspelling equally close to genuinely different places: the person picks one."""

    def __init__(self, text: str, message: str, choices: list[Place]):
        super().__init__(text, message, [p.name for p in choices])
        self.choices = choices


def normalize(text: str) -> str:
    text = text.lower().strip()
    text = re.sub(r"[-–./,'’]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(in|near|around|by|at|from|the) ", "", text)
    # A word of its own: "aliquippa" ends in "pa" and is not "aliquip, PA".
    text = re.sub(r"(^|\s)(pennsylvania|penna|pa)$", "", text).strip()
    return text


def county_key(text: str) -> str | None:
    """'erie county', 'erie co', 'Erie' -> 'erie' when it names a PA county."""
    n = normalize(text)
    n = re.sub(r" (county|cnty|co)$", "", n)
    return n if n in _gazetteer().counties else None


# A coarse grid (0.1 degree, about 7 by 5 miles in PA) stored on every located row, so a radius
# search is an indexed IN over a few dozen cells on SQLite and PostgreSQL alike.
GRID_STEP = 0.1


def grid_cell(latitude: float, longitude: float) -> int:
    return (math.floor(latitude / GRID_STEP) + 900) * 10000 + math.floor(longitude / GRID_STEP) + 1800


def cells_within(latitude: float, longitude: float, radius_mi: float) -> list[int]:
    """Every grid cell that intersects the box around a point (a superset of the circle)."""
    dlat = radius_mi / 69.0
    dlon = radius_mi / (69.0 * max(math.cos(math.radians(latitude)), 0.01))
    lat_cells = range(math.floor((latitude - dlat) / GRID_STEP), math.floor((latitude + dlat) / GRID_STEP) + 1)
    lon_cells = range(math.floor((longitude - dlon) / GRID_STEP), math.floor((longitude + dlon) / GRID_STEP) + 1)
    return [(a + 900) * 10000 + b + 1800 for a in lat_cells for b in lon_cells]


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 3958.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@dataclass
class _Gazetteer:
    zips: dict[str, Place]
    towns: dict[str, Place]  # normalized town name -> centroid
    counties: dict[str, Place]  # normalized bare county name -> centroid
    town_display: dict[str, str]
    zip_towns: dict[str, str]


def _centroid(kind: str, name: str, county: str, points: list[tuple[float, float]]) -> Place:
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)
    return Place(kind, name, county, round(lat, 5), round(lon, 5))


@lru_cache(maxsize=1)
def _gazetteer() -> _Gazetteer:
    zips: dict[str, Place] = {}
    town_points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    county_points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    town_display: dict[str, str] = {}
    zip_towns: dict[str, str] = {}
    for row in zipcodes.filter_by(state="PA"):
        zip_towns[row["zip_code"]] = row["city"]
        county = row["county"].removesuffix(" County")
        lat, lon = float(row["lat"]), float(row["long"])
        zips[row["zip_code"]] = Place("zip", row["zip_code"], county, lat, lon, row["zip_code"])
        county_points[county].append((lat, lon))
        for name in [row["city"], *row.get("acceptable_cities", [])]:
            key = normalize(name)
            town_points[(key, county)].append((lat, lon))
            town_display.setdefault(key, name)
    # A town name used in several counties resolves to the county where it has most zip codes.
    towns: dict[str, Place] = {}
    for (key, county), pts in sorted(town_points.items(), key=lambda kv: -len(kv[1])):
        if key not in towns:
            towns[key] = _centroid("town", town_display[key], county, pts)
    counties = {
        c.lower(): _centroid("county", f"{c} County", c, county_points[c]) for c in PA_COUNTIES
    }
    return _Gazetteer(zips, towns, counties, town_display, zip_towns)


@lru_cache(maxsize=1)
def _other_state_places() -> dict[str, str]:
    """Normalized city name -> state, for US places outside Pennsylvania."""
    out: dict[str, str] = {}
    for row in zipcodes.list_all():
        if row["state"] != "PA":
            out.setdefault(normalize(row["city"]), row["state"])
    return out


@lru_cache(maxsize=1)
def _other_state_zips() -> dict[str, int]:
    """Normalized city name -> zip codes of its biggest namesake outside Pennsylvania."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in zipcodes.list_all():
        if row["state"] != "PA":
            counts[(normalize(row["city"]), row["state"])] += 1
    out: dict[str, int] = defaultdict(int)
    for (name, _), n in counts.items():
        out[name] = max(out[name], n)
    return dict(out)


def lookup_zip(zip_code: str) -> Place | None:
    return _gazetteer().zips.get(zip_code[:5])


def town_of_zip(zip_code: str) -> str | None:
    """The post office town name of a PA zip ('16501' -> 'Erie')."""
    return _gazetteer().zip_towns.get(zip_code[:5])


def resolve_place(text: str) -> Place:
    """Resolve what a person typed ("erie", "Erie County", "15213", "philly") to a Place.

    Raises OutsidePennsylvania or UnknownPlace (with suggestions) when it cannot.
    """
    g = _gazetteer()
    raw = text.strip()
    n = normalize(raw)
    if not n:
        raise UnknownPlace(raw, "No place given.")
    zip_match = re.fullmatch(r"(\d{5})(?: ?\d{4})?", n.replace(" ", "")) if n[0].isdigit() else None
    if zip_match:
        zip_code = zip_match.group(1)
        if zip_code in g.zips:
            return g.zips[zip_code]
        other = zipcodes.matching(zip_code) if zipcodes.is_real(zip_code) else []
        if other:
            raise OutsidePennsylvania(raw, f"{zip_code} is in {other[0]['state']}, not Pennsylvania.")
        raise UnknownPlace(raw, f"{zip_code} is not a zip code I know.")

    wants_county = bool(re.search(r" (county|cnty|co)$", n))
    key = county_key(n)
    if wants_county and key:
        return g.counties[key]
    for name in _spellings(PLACE_VARIANTS.get(n, n)):
        if name in g.towns:
            return g.towns[name]
    if key:
        return g.counties[key]
    if n in US_STATES:
        raise OutsidePennsylvania(raw, f"{n.title()} is outside Pennsylvania.")
    other_state = _other_state_places().get(n)
    try:
        corrected = correct_spelling(n)  # AmbiguousPlace: different places equally close
    except AmbiguousPlace:
        if not other_state:
            raise
        corrected = None
    # A real city elsewhere ("Huntington, WV") is not taken for a PA typo unless the PA place
    # is one edit away and at least as big ("hazelton" is Hazleton, "redding" Reading).
    if corrected is not None and (other_state is None or (
            corrected.edits == 1 and corrected.weight >= _other_state_zips()[n])):
        return resolve_place(corrected.name)
    if other_state:
        raise OutsidePennsylvania(raw, f"{n.title()}, {other_state} is outside Pennsylvania.")
    raise UnknownPlace(raw, f"I don't know a place called '{raw}' in Pennsylvania.",
                       suggest_places(n))


# Misspellings ("allentwon", "lancaser county"). Edits are counted with transpositions as one
# (optimal string alignment), on the name without spaces ("wilkesbarre" = "wilkes barre"),
# with a budget by length: none up to 4 letters (so "work" is never York, nor "eire" Erie),
# more for longer names and bigger places. Measured on tests/data/place_typos_frozen.txt
# (written before any tuning): see tests/resources_db/test_geo_fuzzy.py.
_COUNTY_WORDS = ("county", "cnty", "co")


@dataclass(frozen=True)
class Correction:
    name: str  # a normalized name resolve_place knows exactly: "allentown", "lancaster county"
    edits: int
    weight: int  # zip codes of the place: how big it is


# Tuned on dev sets only (synthetic typos of every county and town of 3+ zip codes, the NLU
# examples' own words, the 400 biggest US cities outside PA), never on the frozen set.
ONE_EDIT_FROM = 5  # letters, to a place of 2+ zip codes
HAMLET_ONE_EDIT_FROM = 7  # to a hamlet of one zip code ("child" is not Childs, PA)
TWO_EDITS_FROM = 8  # letters, and only to a place of 2+ zip codes
FIRST_LETTER_KEPT = True


def _edit_allowed(query: str, typed_words: int, target: str, words: int, edits: int,
                  weight: int, county: bool) -> bool:
    # Words run together are one name ("wilkesbarre"), but words apart keep apart: "need more"
    # is not Needmore nor "on tour" Montour.
    if typed_words > 1 and typed_words != words:
        return False
    if edits == 0:
        return True
    if FIRST_LETTER_KEPT and target[0] != query[0]:  # "parking" is not Barking
        return False
    length = min(len(query), len(target))
    if county:  # among the 67 county names alone, a short name may take an edit ("eri co")
        return length >= 3 and (edits == 1 or length >= TWO_EDITS_FROM)
    if edits == 1:
        return length >= (ONE_EDIT_FROM if weight >= 2 else HAMLET_ONE_EDIT_FROM)
    return edits == 2 and length >= TWO_EDITS_FROM and weight >= 2


@lru_cache(maxsize=2)
def _fuzzy_targets(county: bool) -> dict[str, tuple[str, int]]:
    """Name without spaces -> (normalized name, weight); weight: how many zip codes it has,
    a stand-in for how many people live there (a tie between a city and a hamlet is no tie)."""
    g = _gazetteer()
    zips_of: dict[str, int] = defaultdict(int)
    for row in zipcodes.filter_by(state="PA"):
        zips_of[row["county"].removesuffix(" County").lower()] += 1
        for name in {normalize(n) for n in [row["city"], *row.get("acceptable_cities", [])]}:
            zips_of[name] += 1
    names = list(g.counties) if county else \
        [k for k in g.towns if k not in EVERYDAY_WORDS] + list(g.counties)
    targets: dict[str, tuple[str, int]] = {}
    for name in sorted(names, key=lambda k: -zips_of[k]):
        targets.setdefault(name.replace(" ", ""), (name, zips_of[name]))
    return targets


def _same_answer(a: Place, b: Place) -> bool:
    """A town and its own county, or two places a few miles apart in one county, give the
    same search: asking which would only be a chore."""
    if a == b:
        return True
    if a.county != b.county:
        return False
    return "county" in (a.kind, b.kind) or \
        haversine_miles(a.latitude, a.longitude, b.latitude, b.longitude) < 10


def correct_spelling(text: str) -> Correction | None:
    """The place a misspelled name means, None when nothing is close enough.

    Raises AmbiguousPlace when genuinely different places are equally close."""
    n = normalize(text)
    words = n.split(" ")
    county = len(words) > 1 and (words[-1] in _COUNTY_WORDS or OSA.distance(words[-1], "county") <= 1)
    if county:
        words = words[:-1]
    query = "".join(words)
    if len(query) < (3 if county else 4) or not query.isalpha() or n in EVERYDAY_WORDS \
            or n.removesuffix("s") in EVERYDAY_WORDS:  # "homes" is not Holmes, PA
        return None
    targets = _fuzzy_targets(county)
    found = [(t, d) for t, d, _ in process.extract(query, list(targets), scorer=OSA.distance,
                                                   score_cutoff=2, limit=None)
             if _edit_allowed(query, len(words), t, targets[t][0].count(" ") + 1, d,
                              targets[t][1], county)]
    if not found:
        return None
    edits = min(d for _, d in found)
    closest = sorted((targets[t] for t, d in found if d == edits), key=lambda nw: -nw[1])
    suffix = " county" if county else ""
    answers: list[tuple[str, int, Place]] = []
    for name, weight in closest:
        place = resolve_place(name + suffix)
        if not any(_same_answer(place, p) for _, _, p in answers):
            answers.append((name + suffix, weight, place))
    top_name, top_weight, _ = answers[0]
    # A clearly bigger place wins a tie: "eston" is Easton before Exton, not Aston.
    rivals = [a for a in answers[1:] if a[1] * 3 > top_weight]
    if rivals:
        choices = [answers[0][2]] + [p for _, _, p in rivals][:2]
        raise AmbiguousPlace(text, f"'{text}' could be {' or '.join(p.name for p in choices)}.",
                             choices)
    return Correction(top_name, edits, top_weight)


_ABBREVIATIONS = ((r"^mount ", "mt "), (r"^mt ", "mount "), (r"^saint ", "st "), (r"^st ", "saint "),
                  (r"^fort ", "ft "), (r"^ft ", "fort "))
_MUNICIPAL_SUFFIX = re.compile(r" (township|twp|borough|boro|city|village)$")


def _spellings(name: str) -> list[str]:
    """'mount lebanon' -> also 'mt lebanon'; 'bensalem township' -> also 'bensalem'."""
    out = [name]
    bare = _MUNICIPAL_SUFFIX.sub("", name)
    for candidate in (name, bare):
        out.append(candidate)
        for pattern, replacement in _ABBREVIATIONS:
            if re.match(pattern, candidate):
                out.append(re.sub(pattern, replacement, candidate))
    if bare != name:
        out.append(bare + " township")
    return list(dict.fromkeys(out))


def suggest_places(text: str, limit: int = 3) -> list[str]:
    """Names a little like the text, for "Did you mean ...?" (looser than a correction)."""
    g = _gazetteer()
    n = re.sub(r" (county|cnty|co)$", "", normalize(text))
    names = {k: p.name for k, p in g.towns.items()} | {k: p.name for k, p in g.counties.items()}
    found = process.extract(n, list(names), scorer=fuzz.ratio, score_cutoff=75, limit=limit)
    return [names[k] for k, _, _ in found]


def place_names() -> list[str]:
    """Every name the gazetteer resolves (towns, counties with and without 'County', variants)."""
    g = _gazetteer()
    names = set(g.town_display.values())
    names.update(c for c in PA_COUNTIES)
    names.update(f"{c} County" for c in PA_COUNTIES)
    names.update(f"{c} Co" for c in PA_COUNTIES)
    names.update(PLACE_VARIANTS)
    return sorted(names)
