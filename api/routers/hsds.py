"""Read-only Open Referral HSDS 3.0 API (../shared/hsds-3.0/openapi.json) under /hsds.

Lists are paged with the openapi Page envelope (total_items, total_pages, page_number, size,
first_page, last_page, empty, contents); `page` starts at 1. List items carry their one-to-one
fields plus attributes and metadata (so demo and provenance notes are always visible: see
resources_db/hsds.py); `full=true` nests everything. `search` matches every word in the name
or description. service_at_locations takes `postcode` (a PA zip: services at that zip or
serving its county) and `proximity` (meters from the postcode's centroid, as openapi says).
Taxonomies (ours and the record-notes one) list no terms: those are at /taxonomy_terms.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from api.deps import SessionDep
from resources_db import geo, hsds
from resources_db.models import (
    Address,
    Attribute,
    Location,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    TaxonomyTerm,
)

router = APIRouter(prefix="/hsds", tags=["hsds"])

METERS_PER_MILE = 1609.344
Page = Annotated[int, Query(ge=1, description="Page number, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=500, description="Results per page.")]
Search = Annotated[str | None, Query(description="Words that must all be in the name or "
                                                 "description.")]


def page_of(contents: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    """The openapi Page envelope around one page of contents."""
    total_pages = math.ceil(total / per_page)
    return {"total_items": total, "total_pages": total_pages, "page_number": page,
            "size": len(contents), "first_page": page == 1, "last_page": page >= total_pages,
            "empty": not contents, "contents": contents}


def _words_condition(words: str | None, *columns) -> list[ColumnElement[bool]]:
    return [or_(*(func.lower(c).like(f"%{w}%") for c in columns))
            for w in re.findall(r"\w+", (words or "").lower())[:12]]


def service_conditions(
    search: Search = None,
    taxonomy_term_id: Annotated[str | None, Query()] = None,
    taxonomy_id: Annotated[str | None, Query()] = None,
    organization_id: Annotated[str | None, Query()] = None,
    modified_after: Annotated[dt.datetime | None, Query()] = None,
) -> list[ColumnElement[bool]]:
    """The openapi service filters as WHERE conditions on Service."""
    conditions = _words_condition(search, Service.name, Service.description)
    tagged = select(Attribute.link_id).where(Attribute.link_type == "service")
    if taxonomy_term_id:
        conditions.append(Service.id.in_(tagged.where(Attribute.taxonomy_term_id
                                                      == taxonomy_term_id)))
    if taxonomy_id:
        terms = select(TaxonomyTerm.id).where(TaxonomyTerm.taxonomy_id == taxonomy_id)
        conditions.append(Service.id.in_(tagged.where(Attribute.taxonomy_term_id.in_(terms))))
    if organization_id:
        conditions.append(Service.organization_id == organization_id)
    if modified_after:
        since = modified_after if modified_after.tzinfo else modified_after.replace(tzinfo=dt.UTC)
        conditions.append(Service.last_modified >= since)
    return conditions


ServiceFilter = Annotated[list[ColumnElement[bool]], Depends(service_conditions)]


def _paged_ids(session: Session, query, page: int, per_page: int) -> tuple[list[str], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    ids = list(session.scalars(query.offset((page - 1) * per_page).limit(per_page)))
    return ids, total or 0


def _services_by_id(session: Session, ids: Sequence[str], full: bool) -> dict[str, dict]:
    services = hsds.load_services(session, ids)
    objects = (hsds.services_to_hsds(session, services) if full
               else hsds.service_summaries(session, services))
    return {o["id"]: o for o in objects}


@router.get("/")
def about() -> dict[str, str]:
    return {"version": "3.0", "profile": "https://docs.openreferral.org/en/3.0/",
            "openapi_url": "https://raw.githubusercontent.com/openreferral/specification/3.0/"
                           "schema/openapi.json"}


@router.get("/services")
def list_services(session: SessionDep, conditions: ServiceFilter, page: Page = 1,
                  per_page: PerPage = 50, full: bool = False) -> dict[str, Any]:
    query = select(Service.id).where(*conditions).order_by(Service.name, Service.id)
    ids, total = _paged_ids(session, query, page, per_page)
    by_id = _services_by_id(session, ids, full)
    return page_of([by_id[i] for i in ids], total, page, per_page)


@router.get("/services/{service_id}")
def get_service(service_id: str, session: SessionDep) -> dict[str, Any]:
    found = _services_by_id(session, [service_id], full=True)
    if service_id not in found:
        raise HTTPException(404, detail=f"no service with id {service_id}")
    return found[service_id]


@router.get("/organizations")
def list_organizations(session: SessionDep, search: Search = None, page: Page = 1,
                       per_page: PerPage = 50, full: bool = False) -> dict[str, Any]:
    conditions = _words_condition(search, Organization.name, Organization.description)
    query = select(Organization.id).where(*conditions).order_by(Organization.name,
                                                                 Organization.id)
    ids, total = _paged_ids(session, query, page, per_page)
    organizations = _organizations(session, ids)
    objects = (hsds.organizations_to_hsds(session, organizations) if full
               else hsds.organization_summaries(session, organizations))
    return page_of(objects, total, page, per_page)


def _organizations(session: Session, ids: Sequence[str]) -> list[Organization]:
    by_id = {o.id: o for o in session.scalars(select(Organization)
                                              .where(Organization.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


@router.get("/organizations/{organization_id}")
def get_organization(organization_id: str, session: SessionDep,
                     full_service: bool = False) -> dict[str, Any]:
    organizations = _organizations(session, [organization_id])
    if not organizations:
        raise HTTPException(404, detail=f"no organization with id {organization_id}")
    service_ids = list(session.scalars(select(Service.id).where(
        Service.organization_id == organization_id).order_by(Service.name, Service.id)))
    services = _services_by_id(session, service_ids, full_service)
    return hsds.organizations_to_hsds(
        session, organizations, services={organization_id: [services[i] for i in service_ids]})[0]


def _near(place: geo.Place, proximity: str) -> tuple[list[ColumnElement[bool]], float]:
    try:
        meters = float(proximity)
    except ValueError as exc:
        raise HTTPException(400, detail="proximity is a distance in meters from the postcode's "
                                        "centroid, e.g. 16000") from exc
    miles = meters / METERS_PER_MILE
    return [Location.grid_cell.in_(geo.cells_within(place.latitude, place.longitude, miles))], \
        miles


def _postcode_place(postcode: str) -> geo.Place:
    place = geo.lookup_zip(postcode.strip())
    if place is None:
        raise HTTPException(400, detail=f"postcode {postcode!r} is not a Pennsylvania zip code")
    return place


@router.get("/service_at_locations")
def list_service_at_locations(
    session: SessionDep, conditions: ServiceFilter, page: Page = 1, per_page: PerPage = 50,
    postcode: Annotated[str | None, Query(description="A PA zip code.")] = None,
    proximity: Annotated[str | None, Query(description="Meters from the postcode's "
                                                       "centroid.")] = None,
    full: bool = False,
) -> dict[str, Any]:
    query = (select(ServiceAtLocation.id, ServiceAtLocation.service_id, Location.latitude,
                    Location.longitude)
             .join(Service, Service.id == ServiceAtLocation.service_id)
             .join(Location, Location.id == ServiceAtLocation.location_id)
             .where(*conditions).order_by(Service.name, ServiceAtLocation.id))
    if proximity and not postcode:
        raise HTTPException(400, detail="proximity needs a postcode (meters from its centroid)")
    place = _postcode_place(postcode) if postcode else None
    radius = None
    if place and proximity:
        near, radius = _near(place, proximity)
        query = query.where(*near)
    elif place:
        at_zip = select(Address.location_id).where(Address.postal_code == place.zip)
        serving = select(ServiceArea.service_id).where(ServiceArea.name == place.county)
        query = query.where(or_(Location.id.in_(at_zip), Service.id.in_(serving)))
    rows = session.execute(query).all()
    if radius is not None:
        rows = _within(rows, place, radius)
    chosen = rows[(page - 1) * per_page: page * per_page]
    services = _services_by_id(session, [r.service_id for r in chosen], full=True)
    return page_of([_service_at_location(services[r.service_id], r.id, full) for r in chosen],
                   len(rows), page, per_page)


def _within(rows: list, place: geo.Place, miles: float) -> list:
    """Rows within `miles` of the place, nearest first."""
    distance = {r.id: geo.haversine_miles(place.latitude, place.longitude, r.latitude,
                                          r.longitude) for r in rows if r.latitude is not None}
    return sorted((r for r in rows if distance.get(r.id, math.inf) <= miles),
                  key=lambda r: (distance[r.id], r.id))


def _service_at_location(service: dict[str, Any], sal_id: str, full: bool) -> dict[str, Any]:
    sal = next(s for s in service["service_at_locations"] if s["id"] == sal_id)
    return sal | {"service": service} if full else sal


@router.get("/service_at_locations/{sal_id}")
def get_service_at_location(sal_id: str, session: SessionDep) -> dict[str, Any]:
    sal = session.get(ServiceAtLocation, sal_id)
    if sal is None:
        raise HTTPException(404, detail=f"no service_at_location with id {sal_id}")
    services = _services_by_id(session, [sal.service_id], full=True)
    return _service_at_location(services[sal.service_id], sal_id, full=True)


def _all_terms(session: Session) -> list[dict[str, Any]]:
    terms = session.scalars(select(TaxonomyTerm)).all()
    every = hsds.taxonomy_terms_to_hsds(session, terms) + hsds.carried_terms()
    return sorted(every, key=lambda t: (t.get("taxonomy", ""), t["code"], t["id"]))


@router.get("/taxonomy_terms")
def list_taxonomy_terms(
    session: SessionDep, search: Search = None, page: Page = 1, per_page: PerPage = 50,
    taxonomy_id: Annotated[str | None, Query()] = None,
    parent_id: Annotated[str | None, Query()] = None, top_only: bool = False,
) -> dict[str, Any]:
    """Our need/filter terms and the record-notes terms (flat: no term has a parent)."""
    words = re.findall(r"\w+", (search or "").lower())
    terms = [t for t in _all_terms(session)
             if (not taxonomy_id or t.get("taxonomy_id") == taxonomy_id)
             and parent_id is None
             and all(w in f"{t['code']} {t['name']} {t['description']}".lower() for w in words)]
    chosen = terms[(page - 1) * per_page: page * per_page]
    return page_of(chosen, len(terms), page, per_page)


@router.get("/taxonomy_terms/{term_id}")
def get_taxonomy_term(term_id: str, session: SessionDep) -> dict[str, Any]:
    for term in _all_terms(session):
        if term["id"] == term_id:
            return term
    raise HTTPException(404, detail=f"no taxonomy_term with id {term_id}")


@router.get("/taxonomies")
def list_taxonomies(session: SessionDep, search: Search = None, page: Page = 1,
                    per_page: PerPage = 50) -> dict[str, Any]:
    """Our needs taxonomy and the record-notes one; their terms are at /taxonomy_terms."""
    words = re.findall(r"\w+", (search or "").lower())
    taxonomies = [t for t in hsds.taxonomies_to_hsds(session)
                  if all(w in f"{t['name']} {t['description']}".lower() for w in words)]
    chosen = taxonomies[(page - 1) * per_page: page * per_page]
    return page_of(chosen, len(taxonomies), page, per_page)


@router.get("/taxonomies/{taxonomy_id}")
def get_taxonomy(taxonomy_id: str, session: SessionDep) -> dict[str, Any]:
    for taxonomy in hsds.taxonomies_to_hsds(session):
        if taxonomy["id"] == taxonomy_id:
            return taxonomy
    raise HTTPException(404, detail=f"no taxonomy with id {taxonomy_id}")
