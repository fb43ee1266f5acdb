"""One search over the directory, used by the actions and the api.

Ranked by distance from the place, then by how recently the record was verified.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from resources_db.geo import Place, haversine_miles
from resources_db.models import Attribute, Location, Service, ServiceAtLocation, TaxonomyTerm


@dataclass(frozen=True)
class ResourceHit:
    id: str
    need: str
    name: str
    town: str | None
    county: str | None
    address: str | None
    phone: str | None
    distance_mi: float | None
    demo: bool
    statewide: bool
    verified: str | None  # the source's date as stated ("2022-07-30", "c. 2017", "undated")
    source_url: str | None
    description: str | None = None
    url: str | None = None
    # True when the distance is measured from a zip/town/county centroid, not the building.
    distance_approximate: bool = True
    # "serves Erie County" when the service covers the person's county, "statewide", or None.
    coverage: str | None = None


@dataclass(frozen=True)
class SearchResult:
    hits: list[ResourceHit]
    total: int


# Everything _hit() reads, loaded up front (one query per relation, not per row).
_LOAD_FOR_HIT = (
    selectinload(Service.phones),
    selectinload(Service.service_areas),
    selectinload(Service.service_at_locations)
    .selectinload(ServiceAtLocation.location)
    .selectinload(Location.addresses),
)


def _services_for_need(need: str):
    tagged = (
        select(Attribute.link_id)
        .join(TaxonomyTerm, Attribute.taxonomy_term_id == TaxonomyTerm.id)
        .where(TaxonomyTerm.code == need, Attribute.link_type == "service")
    )
    return (
        select(Service)
        .where(Service.id.in_(tagged), Service.status == "active")
        .options(*_LOAD_FOR_HIT)
    )


def _hit(service: Service, need: str, place: Place | None) -> ResourceHit:
    location = service.service_at_locations[0].location if service.service_at_locations else None
    address = location.addresses[0] if location and location.addresses else None
    distance = None
    if place and location and location.latitude is not None and location.longitude is not None:
        distance = round(haversine_miles(place.latitude, place.longitude,
                                         location.latitude, location.longitude), 1)
    coverage = None
    if service.is_statewide:
        coverage = "statewide"
    elif place and any(a.name == place.county for a in service.service_areas):
        coverage = f"serves {place.county} County"
    street = ", ".join(filter(None, [address.address_1, address.city, "PA", address.postal_code])) \
        if address else None
    areas = [a.name for a in service.service_areas if a.name]
    return ResourceHit(
        id=service.id, need=need, name=service.name,
        town=address.city if address and address.city else None,
        county=(address.region if address and address.region else
                (areas[0] if len(areas) == 1 else None)),
        address=street if address and address.address_1 else None,
        phone=service.phones[0].number if service.phones else None,
        distance_mi=distance, demo=service.is_demo, statewide=service.is_statewide,
        verified=service.source_date, source_url=service.source_url,
        description=service.description, url=service.url,
        distance_approximate=location.coordinates_approximate if location else True,
        coverage=coverage)


def _rank_distance(hit: ResourceHit) -> float:
    """Serving the person's county counts as here; no location at all goes last."""
    if hit.coverage and hit.coverage.startswith("serves"):
        return 0.0
    return hit.distance_mi if hit.distance_mi is not None else float("inf")


def search_services(session: Session, need: str, place: Place | None = None,
                    limit: int = 3, offset: int = 0) -> SearchResult:
    services = session.scalars(_services_for_need(need)).all()
    hits = [_hit(s, need, place) for s in services]
    by_verified = {s.id: s.assured_date or dt.date.min for s in services}

    def rank(h: ResourceHit):
        # Local records by distance; statewide ones after them; newest verification first on
        # ties; then name and id, so every database returns the same order.
        return (h.statewide, _rank_distance(h), -by_verified[h.id].toordinal(), h.name, h.id)

    hits.sort(key=rank)
    return SearchResult(hits=hits[offset : offset + limit], total=len(hits))


def get_resource(session: Session, service_id: str, need: str,
                 place: Place | None = None) -> ResourceHit | None:
    service = session.scalars(
        select(Service).where(Service.id == service_id).options(*_LOAD_FOR_HIT)).first()
    return _hit(service, need, place) if service else None
