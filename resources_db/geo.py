"""Offline Pennsylvania geography: zip codes, towns and the 67 counties.

All data comes from the `zipcodes` package (it ships its own data file): nothing downloads at
run time. Coordinates of towns and counties are centroids of their zip codes.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import zipcodes

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


def normalize(text: str) -> str:
    text = text.lower().strip()
    text = re.sub(r"[-–./,'’]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(in|near|around|by|at|from|the) ", "", text)
    text = re.sub(r"\s*(pennsylvania|penna|pa)$", "", text).strip()
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
    if n in US_STATES or n in _other_state_places():
        where = n.title() if n in US_STATES else f"{n.title()}, {_other_state_places()[n]}"
        raise OutsidePennsylvania(raw, f"{where} is outside Pennsylvania.")
    raise UnknownPlace(raw, f"I don't know a place called '{raw}' in Pennsylvania.",
                       suggest_places(n))


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
    g = _gazetteer()
    n = re.sub(r" (county|cnty|co)$", "", normalize(text))
    names = {k: p.name for k, p in g.towns.items()} | {k: p.name for k, p in g.counties.items()}
    return [names[k] for k in difflib.get_close_matches(n, list(names), n=limit, cutoff=0.75)]


def place_names() -> list[str]:
    """Every name the gazetteer resolves (towns, counties with and without 'County', variants)."""
    g = _gazetteer()
    names = set(g.town_display.values())
    names.update(c for c in PA_COUNTIES)
    names.update(f"{c} County" for c in PA_COUNTIES)
    names.update(f"{c} Co" for c in PA_COUNTIES)
    names.update(PLACE_VARIANTS)
    return sorted(names)
