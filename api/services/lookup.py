"""Coaches' lookups in the directory (console resource picker, quick lookup page, JSON API):
one function over resources_db's search, with the place given as coaches type it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from resources_db import geo
from resources_db.search import ResourceHit, search_services
from resources_db.taxonomy import NEEDS

FILTER_NAMES = ("mat_friendly", "gender_served", "accepts_people_with_records", "cost",
                "evening_hours", "weekend_hours", "language")


@dataclass
class Lookup:
    hits: list[ResourceHit] = field(default_factory=list)
    total: int = 0
    place: geo.Place | None = None
    radius_mi: float | None = None
    problem: str | None = None  # what to tell the coach instead of results


def place_from(county: str = "", zip_code: str = "", place: str = "") -> geo.Place | None:
    """zip first, then a town/place name, then a county; raises geo.PlaceError."""
    county = county.strip()
    if county and "county" not in county.lower():
        county += " County"
    for text in (zip_code.strip(), place.strip(), county):
        if text:
            return geo.resolve_place(text)
    return None


def lookup(session: Session, need: str | None, *, county: str = "", zip_code: str = "",
           place: str = "", radius_mi: float | None = None, text: str = "",
           filters: Mapping[str, str] | None = None, limit: int = 10, offset: int = 0) -> Lookup:
    need = need or None
    if need is not None and need not in NEEDS:
        return Lookup(problem=f"unknown need {need!r}: one of {', '.join(NEEDS)}")
    try:
        where = place_from(county, zip_code, place)
    except geo.PlaceError as error:
        return Lookup(problem=str(error))
    if need is None and where is None and not text.strip():
        return Lookup(problem="give a need, a place or some words to search for")
    wanted = {k: v for k, v in (filters or {}).items() if k in FILTER_NAMES and v}
    result = search_services(session, need, where, limit=limit, offset=offset,
                             radius_mi=radius_mi, filters=wanted, text=text.strip() or None)
    return Lookup(result.hits, result.total, where, result.radius_mi)
