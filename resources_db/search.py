"""One search over the directory, used by the actions and the api.

Filters run in SQL (need and filter attributes, languages, full text, a grid-cell radius); only
the few candidates near the place are ranked in Python: by distance (serving the person's
county counts as here), then by how recently the record was verified, then name and id so
every database gives the same order. Statewide services come after local ones, labelled.
Without a radius the search widens (15, 40, 100 miles, then everywhere) until the page fills,
but does not go past 100 miles once something has been found.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy import Select, func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from resources_db.geo import Place, cells_within, haversine_miles
from resources_db.models import (
    Attribute,
    JobPosting,
    Language,
    Location,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from resources_db.schedules import WeeklyHours, is_open
from resources_db.taxonomy import term_id

WIDENING_RADII_MI: tuple[float | None, ...] = (15, 40, 100, None)
NEAR_ENOUGH_MI = 100


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
    kind: str = "service"  # or "job_posting"


@dataclass(frozen=True)
class SearchResult:
    hits: list[ResourceHit]
    total: int
    radius_mi: float | None = None  # the radius the search had to widen to (None: everywhere)


@dataclass(frozen=True)
class _Candidate:
    id: str
    kind: str
    name: str
    statewide: bool
    verified: dt.date | None
    distance_mi: float | None
    area_match: bool

    def rank(self) -> tuple:
        distance = 0.0 if self.area_match else (
            self.distance_mi if self.distance_mi is not None else float("inf"))
        return (self.statewide, distance, -(self.verified or dt.date.min).toordinal(),
                self.name, self.id)


# Everything _service_hit() reads, loaded for the page only.
_LOAD_FOR_HIT = (
    selectinload(Service.phones),
    selectinload(Service.service_areas),
    selectinload(Service.service_at_locations)
    .selectinload(ServiceAtLocation.location)
    .selectinload(Location.addresses),
)


def _with_attribute(code: str, value: str):
    return select(Attribute.link_id).where(Attribute.taxonomy_term_id == term_id(code),
                                           Attribute.value == value,
                                           Attribute.link_type == "service")


def fts_query(words: str) -> str | None:
    """Free text -> an FTS5 query: every word must match, as a prefix; no operators pass."""
    tokens = re.findall(r"\w+", words.lower())
    return " ".join(f'"{t}"*' for t in tokens[:12]) or None


def _text_condition(session: Session, words: str):
    if session.get_bind().dialect.name == "sqlite":
        query = fts_query(words)
        if query is None:
            return None
        return text("service.rowid IN (SELECT rowid FROM service_fts WHERE service_fts MATCH :q)"
                    ).bindparams(q=query)
    document = func.to_tsvector("english", func.coalesce(Service.name, "") + " "
                                + func.coalesce(Service.description, ""))
    return document.op("@@")(func.plainto_tsquery("english", words))


def _service_ids(session: Session, need: str | None, filters: Mapping[str, str],
                 words: str | None) -> Select:
    query = select(Service.id).where(Service.status == "active")
    if need:
        query = query.where(Service.id.in_(_with_attribute(need, "true")))
    for code, value in filters.items():
        if code == "language":
            query = query.where(Service.id.in_(
                select(Language.service_id).where(func.lower(Language.name) == value.lower())))
        else:
            query = query.where(Service.id.in_(_with_attribute(code, str(value).lower())))
    if words and (condition := _text_condition(session, words)) is not None:
        query = query.where(condition)
    return query


def _local_candidates(session: Session, ids: Select, place: Place | None,
                      radius: float | None) -> dict[str, _Candidate]:
    located = (
        select(Service.id, Service.name, Service.assured_date, Location.latitude,
               Location.longitude)
        .join(ServiceAtLocation, ServiceAtLocation.service_id == Service.id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(Service.id.in_(ids), Service.is_statewide.is_(False))
    )
    if place and radius is not None:
        located = located.where(Location.grid_cell.in_(
            cells_within(place.latitude, place.longitude, radius)))
    found: dict[str, _Candidate] = {}
    for sid, name, verified, lat, lon in session.execute(located):
        distance = None
        if place and lat is not None and lon is not None:
            distance = round(haversine_miles(place.latitude, place.longitude, lat, lon), 1)
            if radius is not None and distance > radius:
                continue
        if sid not in found or (distance or 0) < (found[sid].distance_mi or 0):
            found[sid] = _Candidate(sid, "service", name, False, verified, distance, False)
    if place:
        serving = (select(Service.id, Service.name, Service.assured_date)
                   .join(ServiceArea, ServiceArea.service_id == Service.id)
                   .where(Service.id.in_(ids), Service.is_statewide.is_(False),
                          ServiceArea.name == place.county))
        for sid, name, verified in session.execute(serving):
            distance = found[sid].distance_mi if sid in found else None
            found[sid] = _Candidate(sid, "service", name, False, verified, distance, True)
    elif radius is None:
        unlocated = (select(Service.id, Service.name, Service.assured_date)
                     .where(Service.id.in_(ids), Service.is_statewide.is_(False)))
        for sid, name, verified in session.execute(unlocated):
            found.setdefault(sid, _Candidate(sid, "service", name, False, verified, None, False))
    return found


def _job_candidates(session: Session, place: Place | None, radius: float | None,
                    words: str | None, today: dt.date,
                    second_chance_only: bool = False) -> dict[str, _Candidate]:
    query = select(JobPosting.id, JobPosting.title, JobPosting.hiring_organization,
                   JobPosting.date_posted, JobPosting.latitude, JobPosting.longitude).where(
        or_(JobPosting.valid_through.is_(None), JobPosting.valid_through >= today))
    if second_chance_only:
        query = query.where(JobPosting.second_chance.is_(True))
    if place and radius is not None:
        query = query.where(JobPosting.grid_cell.in_(
            cells_within(place.latitude, place.longitude, radius)))
    for word in re.findall(r"\w+", (words or "").lower())[:12]:
        like = f"%{word}%"
        query = query.where(or_(func.lower(JobPosting.title).like(like),
                                func.lower(JobPosting.description).like(like),
                                func.lower(JobPosting.hiring_organization).like(like)))
    found = {}
    for jid, title, employer, posted, lat, lon in session.execute(query):
        distance = None
        if place and lat is not None and lon is not None:
            distance = round(haversine_miles(place.latitude, place.longitude, lat, lon), 1)
            if radius is not None and distance > radius:
                continue
        found[jid] = _Candidate(jid, "job_posting", f"{title} - {employer}", False, posted,
                                distance, False)
    return found


def _statewide_candidates(session: Session, ids: Select) -> dict[str, _Candidate]:
    rows = session.execute(select(Service.id, Service.name, Service.assured_date)
                           .where(Service.id.in_(ids), Service.is_statewide.is_(True)))
    return {sid: _Candidate(sid, "service", name, True, verified, None, False)
            for sid, name, verified in rows}


def _open_now(session: Session, candidates: list[_Candidate], now: dt.datetime) -> list[_Candidate]:
    """Keep only what is known to be open now; job postings have no opening hours."""
    ids = [c.id for c in candidates if c.kind == "service"]
    hours: dict[str, list[WeeklyHours]] = {}
    if ids:
        rows = session.execute(select(Schedule.service_id, Schedule.byday, Schedule.opens_at,
                                      Schedule.closes_at)
                               .where(Schedule.service_id.in_(ids), Schedule.byday.is_not(None)))
        for sid, byday, opens, closes in rows:
            hours.setdefault(sid, []).append(WeeklyHours(byday, opens, closes))
    return [c for c in candidates if c.kind == "service" and is_open(hours.get(c.id, []), now)]


def search_services(session: Session, need: str | None, place: Place | None = None,
                    limit: int = 3, offset: int = 0, *, radius_mi: float | None = None,
                    filters: Mapping[str, str] | None = None, text: str | None = None,
                    open_now: bool = False, now: dt.datetime | None = None,
                    include_jobs: bool | None = None) -> SearchResult:
    """Search by need, place (+ radius), filters, free text and opening hours; one page."""
    filters = dict(filters or {})
    now = now or dt.datetime.now(dt.UTC)
    second_chance_only = False
    if need == "jobs" and filters.get("accepts_people_with_records") == "true":
        # For jobs, "takes people with a record" selects second-chance openings; the places
        # that help people find work (CareerLink, OVR) stay in the list.
        second_chance_only = filters.pop("accepts_people_with_records") == "true"
    ids = _service_ids(session, need, filters, text)
    # Job postings answer "jobs" (they have no HSDS attributes, so not when filtering on them).
    jobs = include_jobs if include_jobs is not None else (need == "jobs" and not filters
                                                          and not open_now)
    radii = (radius_mi,) if radius_mi is not None or place is None else WIDENING_RADII_MI
    if place is None:
        radii = (None,)
    for radius in radii:
        local = _local_candidates(session, ids, place, radius)
        if jobs:
            local |= _job_candidates(session, place, radius, text, now.date(),
                                     second_chance_only)
        ranked = sorted(local.values(), key=_Candidate.rank)
        if open_now:
            ranked = _open_now(session, ranked, now)
        # Stop when the page is full, or at 100 miles if anything was found by then: a
        # residence 170 miles away is no answer for someone who has one 30 miles away.
        if len(ranked) >= offset + limit or radius is None or radius == radius_mi \
                or (radius >= NEAR_ENOUGH_MI and ranked):
            break
    statewide = sorted(_statewide_candidates(session, ids).values(), key=_Candidate.rank)
    if open_now:
        statewide = _open_now(session, statewide, now)
    ranked = ranked + statewide
    if need == "jobs":
        ranked = _help_on_first_page(ranked, limit)
    page = ranked[offset : offset + limit]
    return SearchResult(hits=_hydrate(session, page, need or "any", place), total=len(ranked),
                        radius_mi=radius)


def _help_on_first_page(ranked: list[_Candidate], limit: int) -> list[_Candidate]:
    """Openings are listed by distance, but the first page always names a place that helps
    people find work (CareerLink, OVR) when there is one: a list of postings alone is a dead
    end for someone whose record or schedule rules them out."""
    first = ranked[:limit]
    if not first or any(c.kind == "service" for c in first):
        return ranked
    helper = next((c for c in ranked[limit:] if c.kind == "service"), None)
    if helper is None:
        return ranked
    rest = [c for c in ranked if c is not helper]
    return rest[: limit - 1] + [helper] + rest[limit - 1 :]


def _hydrate(session: Session, page: list[_Candidate], need: str,
             place: Place | None) -> list[ResourceHit]:
    service_ids = [c.id for c in page if c.kind == "service"]
    job_ids = [c.id for c in page if c.kind == "job_posting"]
    services = {s.id: s for s in session.scalars(
        select(Service).where(Service.id.in_(service_ids)).options(*_LOAD_FOR_HIT))} \
        if service_ids else {}
    jobs = {j.id: j for j in session.scalars(select(JobPosting).where(JobPosting.id.in_(job_ids)))} \
        if job_ids else {}
    hits = []
    for c in page:
        hit = _service_hit(services[c.id], need, place) if c.kind == "service" \
            else _job_hit(jobs[c.id], place)
        hits.append(replace(hit, distance_mi=c.distance_mi if c.distance_mi is not None
                            else hit.distance_mi))
    return hits


def _distance(place: Place | None, lat: float | None, lon: float | None) -> float | None:
    if place is None or lat is None or lon is None:
        return None
    return round(haversine_miles(place.latitude, place.longitude, lat, lon), 1)


def _service_hit(service: Service, need: str, place: Place | None) -> ResourceHit:
    location = service.service_at_locations[0].location if service.service_at_locations else None
    address = location.addresses[0] if location and location.addresses else None
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
        distance_mi=_distance(place, location.latitude, location.longitude) if location else None,
        demo=service.is_demo, statewide=service.is_statewide,
        verified=service.source_date, source_url=service.source_url,
        description=service.description, url=service.url,
        distance_approximate=location.coordinates_approximate if location else True,
        coverage=coverage)


def _job_hit(job: JobPosting, place: Place | None) -> ResourceHit:
    pay = None
    if job.base_salary_min is not None:
        unit = {"HOUR": "/hr", "YEAR": "/yr", "WEEK": "/wk", "MONTH": "/mo"}.get(
            job.salary_unit or "", "")
        pay = f"${job.base_salary_min:g}" + (
            f"-{job.base_salary_max:g}" if job.base_salary_max not in (None, job.base_salary_min)
            else "") + unit
    flags = [f for f, on in (("second chance employer", job.second_chance),
                             ("recovery-friendly", job.recovery_friendly)) if on]
    summary = "; ".join(filter(None, [pay, job.work_hours, job.employment_type and
                                      job.employment_type.replace("_", " ").lower(), *flags]))
    street = ", ".join(filter(None, [job.street_address, job.city, "PA", job.postal_code]))
    return ResourceHit(
        id=job.id, need="jobs", name=f"{job.title} - {job.hiring_organization}",
        town=job.city, county=job.county, address=street if job.street_address else None,
        phone=job.phone, distance_mi=_distance(place, job.latitude, job.longitude),
        demo=job.is_demo, statewide=False,
        verified=job.date_posted.isoformat() if job.date_posted else job.source_date,
        source_url=job.source_url, description="\n".join(filter(None, [summary, job.description,
                                                                       job.how_to_apply])),
        url=job.apply_url, distance_approximate=job.coordinates_approximate,
        kind="job_posting")


def get_resource(session: Session, resource_id: str, need: str,
                 place: Place | None = None) -> ResourceHit | None:
    service = session.scalars(
        select(Service).where(Service.id == resource_id).options(*_LOAD_FOR_HIT)).first()
    if service is not None:
        return _service_hit(service, need, place)
    job = session.get(JobPosting, resource_id)
    return _job_hit(job, place) if job else None
