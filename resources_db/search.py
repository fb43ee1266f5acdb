"""One search over the directory, used by the actions and the api.

A search by place reads two indexes: the search keys (models.refresh_search_keys) copied onto
service_at_location, with the location's grid cell and coordinates, by grid cell (a partial
index per need), and those copied onto service_area, by county. Need and attribute filters are
tokens of the key; languages and full text are subqueries. Statewide services, and searches
without a place, read the service table. Only the candidates near the place are ranked, in
Python: by distance (serving the person's county counts as here), then by how recently the
record was verified, then name and id so every database gives the same order; past the first
page they are only counted. Statewide services come after local ones, labelled.
Without a radius the search widens (15, 40, 100 miles, then everywhere) until the page fills,
but does not go past 100 miles once something has been found.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import (
    Integer,
    Result,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased, selectinload

from resources_db.geo import GRID_STEP, Place, cells_within, haversine_miles
from resources_db.models import (
    KEY_AREA,
    KEY_LOCAL,
    KEY_REFERS,
    Address,
    Attribute,
    JobPosting,
    Language,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    search_key_token,
)
from resources_db.schedules import WeeklyHours, is_open
from resources_db.taxonomy import NEEDS, term_id

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
    # True when it is located in the person's county or its service area names that county.
    serves_county: bool = False
    # It refers to the need rather than providing it (the county SCA for recovery housing).
    referral: bool = False
    # The street address is for coaches only (recovery residences: residents' privacy).
    address_private: bool = False


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


def _with_attribute(term, value):  # noqa: ANN001, ANN202 (SQL expressions)
    return select(Attribute.link_id).where(Attribute.taxonomy_term_id == term,
                                           Attribute.value == value,
                                           Attribute.link_type == "service")


def fts_query(words: str) -> str | None:
    """Free text -> an FTS5 query: every word must match, as a prefix; no operators pass."""
    tokens = re.findall(r"\w+", words.lower())
    return " ".join(f'"{t}"*' for t in tokens[:12]) or None


def _text_clause(sqlite: bool):  # noqa: ANN202
    """The free text (:q) matches the service: SQLite's FTS5 table, or on PostgreSQL the very
    expression of the GIN index ix_service_fts (constants inline, or the index is not used)."""
    if sqlite:
        return text("service.rowid IN (SELECT rowid FROM service_fts WHERE service_fts MATCH :q)")
    document = literal_column("to_tsvector('english', coalesce(service.name, '') || ' ' || "
                              "coalesce(service.description, ''))")
    return document.op("@@")(func.plainto_tsquery(literal_column("'english'"), bindparam("q")))


def _rows(session: Session, query: Select, params: Mapping[str, object]) -> Result:
    """Plain rows on the session's connection: the ORM's per-row work is wasted on thousands
    of id and coordinate rows."""
    return session.connection().execute(query, dict(params))


class _Criteria:
    """What a service must be to answer: the need and attribute filters (search-key tokens,
    see models.refresh_search_keys), languages and free text. The statements take them as
    parameters, so each shape of search is built once (building costs more than running)."""

    def __init__(self, session: Session, need: str | None, filters: Mapping[str, str],
                 words: str | None) -> None:
        sqlite = session.get_bind().dialect.name == "sqlite"
        attributes = [(need, "true")] if need else []
        languages = []
        for code, value in filters.items():
            if code == "language":
                languages.append(value.lower())
            else:
                attributes.append((code, str(value).lower()))
        # A need of the taxonomy is written into the statement, not passed: each has its own
        # partial index (models._need_indexes), which the database picks only so. A value
        # with "|" in it cannot be told apart in a key: it is looked up in attribute instead.
        literal_need = need if need in NEEDS else None
        keyed = [search_key_token(c, v) for c, v in attributes
                 if "|" not in v and not (c == literal_need and v == "true")]
        if not keyed and literal_need is None:
            keyed = [KEY_LOCAL]
        odd = [(term_id(c), v) for c, v in attributes if "|" in v]
        query = (fts_query(words) if sqlite else words) if words else None
        self.params: dict[str, object] = {f"t{i}": token for i, token in enumerate(keyed)}
        for i, (term, value) in enumerate(odd):
            self.params |= {f"o{i}": term, f"ov{i}": value}
        for i, (code, value) in enumerate(attributes):
            self.params |= {f"a{i}": term_id(code), f"av{i}": value}
        self.params |= {f"l{i}": language for i, language in enumerate(languages)}
        if query is not None:
            self.params["q"] = query
        self.bound_moves = need not in OPEN_TO_ALL_NEEDS  # see _for_this_person
        self.shape = _Shape(sqlite, literal_need, len(keyed), len(odd), len(attributes),
                            len(languages), query is not None)


@dataclass(frozen=True)
class _Shape:
    sqlite: bool
    need: str | None  # a need of the taxonomy, written into the statement
    tokens: int
    odd: int
    attributes: int
    languages: int
    text: bool

    def _spoken(self, service_id) -> list:  # noqa: ANN001
        return [service_id.in_(select(Language.service_id)
                               .where(func.lower(Language.name) == bindparam(f"l{i}")))
                for i in range(self.languages)]

    def on_key(self, key, service_id) -> list:  # noqa: ANN001
        """For a row carrying a search key (service_at_location, service_area): the service is
        local and active (else its key is NULL) and has every attribute asked for."""
        found = func.instr if self.sqlite else func.strpos
        out = [found(key, bindparam(f"t{i}")) > 0 for i in range(self.tokens)]
        if self.need is not None:  # as the partial index states it (a code of NEEDS: no quote)
            token = search_key_token(self.need, "true")
            out.insert(0, found(key, literal_column(f"'{token}'")) > literal_column("0"))
        out += [service_id.in_(_with_attribute(bindparam(f"o{i}"), bindparam(f"ov{i}")))
                for i in range(self.odd)]
        out += self._spoken(service_id)
        if self.text:
            out.append(service_id.in_(select(Service.id).where(_text_clause(self.sqlite))))
        return out

    def on_service(self, few: bool = False) -> list:
        """For the service table itself. When other conditions narrow the rows to a few (`few`:
        statewide services; or the free text), attributes are checked row by row (EXISTS)
        rather than listed: SQLite then reads those few rows first."""
        out = [Service.status == "active"]
        attributes = [_with_attribute(bindparam(f"a{i}"), bindparam(f"av{i}"))
                      for i in range(self.attributes)]
        if few or self.text:
            out += [a.where(Attribute.link_id == Service.id).exists() for a in attributes]
        else:
            out += [Service.id.in_(a) for a in attributes]
        out += self._spoken(Service.id)
        if self.text:
            out.append(_text_clause(self.sqlite))
        return out


def _moves_mark(key):  # noqa: ANN001, ANN202 (an SQL expression)
    """From the marks of a key (models: "|local|area|refers|..."): 1 when the service's area
    names a county, + 2 when it refers to some need; see _nearest."""
    def mark_at(position: int, mark: str):  # noqa: ANN202
        return func.substr(key, position, len(mark)) == literal_column(f"'{mark}'")

    first = len(KEY_LOCAL) + 1
    return case((mark_at(first, KEY_AREA),
                 1 + 2 * cast(mark_at(first + len(KEY_AREA), KEY_REFERS), Integer)),
                (mark_at(first, KEY_REFERS), 2), else_=0)


def _in_point_order(value, separator: str, sqlite: bool):  # noqa: ANN001, ANN202
    """The values of a point's rows joined, every list of a point in the same order (see
    "located"): SQLite builds them from the same rows in the same order; PostgreSQL is told."""
    if sqlite:
        return func.group_concat(value, separator)
    from sqlalchemy.dialects.postgresql import aggregate_order_by

    return func.string_agg(cast(value, String), aggregate_order_by(
        literal(separator), ServiceAtLocation.service_id))


@functools.lru_cache(maxsize=512)
def _statement(kind: str, shape: _Shape | None = None, variant: bool = False) -> Select:
    """The search's statements, built once per kind and shape (see _Criteria)."""
    sal, area = ServiceAtLocation, ServiceArea
    if kind in ("located", "located_everywhere"):
        # "located": in :cells, ids only unless `variant` (see _located); "located_everywhere":
        # everywhere, with all that ranks them.
        date = cast(sal.assured_date, String) if shape.sqlite \
            else func.to_char(sal.assured_date, "YYYY-MM-DD")
        ids = _in_point_order(sal.service_id, _SEP, shape.sqlite)
        everywhere = kind == "located_everywhere"
        ranks = (_in_point_order(func.coalesce(date, ""), _SEP, shape.sqlite),
                 _in_point_order(_moves_mark(sal.search_key), "", shape.sqlite)) \
            if variant or everywhere else (null(), null())
        query = (select(sal.latitude, sal.longitude, ids, *ranks)
                 .where(*shape.on_key(sal.search_key, sal.service_id))
                 .group_by(sal.grid_cell, sal.latitude, sal.longitude))  # index order
        return query if everywhere else query.where(
            sal.grid_cell.in_(bindparam("cells", expanding=True)))
    if kind == "ranked":  # see _nearest: what ranks a candidate found by place
        return (select(sal.service_id, sal.assured_date, _moves_mark(sal.search_key))
                .where(sal.service_id.in_(bindparam("ids", expanding=True)))
                .distinct())
    if kind == "serving":
        return select(area.service_id, area.assured_date, _moves_mark(area.search_key)).where(
            area.name == bindparam("county"), *shape.on_key(area.search_key, area.service_id))
    if kind == "unplaced":  # variant: only the first :top in rank order, and how many in all
        query = select(Service.id, Service.name, Service.assured_date).where(
            *shape.on_service(), Service.is_statewide.is_not(True))
        if not variant:
            return query
        # _Candidate.rank for answers without a distance: newest first, then name, then id;
        # names compare as code points, as Python does (PostgreSQL's "C" collation).
        name = Service.name if shape.sqlite else Service.name.collate("C")
        return (query.add_columns(func.count().over())
                .order_by(Service.assured_date.desc().nulls_last(), name, Service.id)
                .limit(bindparam("top")))
    if kind == "statewide":
        return select(Service.id, Service.name, Service.assured_date).where(
            Service.is_statewide.is_(True), *shape.on_service(few=True))
    if kind == "marks":  # see _marks(): every attribute of the few services, filtered there
        # (with the terms in the statement, SQLite reads every service's rows of those terms)
        return select(Attribute.link_id, Attribute.taxonomy_term_id, Attribute.value).where(
            Attribute.link_id.in_(bindparam("ids", expanding=True)))
    if kind == "names":
        return select(Service.id, Service.name).where(
            Service.id.in_(bindparam("ids", expanding=True)))
    if kind == "facts":  # variant: with the person's county
        def first(column, owner):  # noqa: ANN001, ANN202
            return select(column).where(owner == Service.id).limit(1).scalar_subquery()

        name = func.nullif(area.name, "")
        areas = select(area.id).where(area.service_id == Service.id)
        return select(
            Service.id, Service.name, Service.description, Service.url, Service.is_demo,
            Service.is_statewide, Service.source_date, Service.source_url,
            first(Phone.number, Phone.service_id),
            first(sal.location_id, sal.service_id),
            areas.with_only_columns(func.count(name)).scalar_subquery(),
            areas.with_only_columns(func.max(name)).scalar_subquery(),
            areas.where(area.name == bindparam("county")).exists() if variant
            else literal(False),
        ).where(Service.id.in_(bindparam("ids", expanding=True)))
    if kind == "places":
        other = aliased(Address)
        first_address = select(other.id).where(other.location_id == Location.id).limit(1) \
            .correlate(Location).scalar_subquery()
        return (select(Location.id, Location.latitude, Location.longitude,
                       Location.coordinates_approximate, Address.id, Address.address_1,
                       Address.city, Address.region, Address.postal_code)
                .outerjoin(Address, Address.id == first_address)
                .where(Location.id.in_(bindparam("ids", expanding=True))))
    raise ValueError(kind)


def _cells_near(place: Place, radius: float) -> list[int]:
    return _cells_around(place.latitude, place.longitude, radius)


@functools.lru_cache(maxsize=4096)  # people ask from the same towns and zips, at few radii
def _cells_around(latitude: float, longitude: float, radius: float) -> list[int]:
    """cells_within()'s box less the cells no point of which is within the radius (with a
    mile to spare): a quarter fewer rows to read for the same answer. Callers do not change
    the list (it is cached)."""
    out = []
    for cell in cells_within(latitude, longitude, radius):
        row, column = divmod(cell, 10000)
        south, west = (row - 900) * GRID_STEP, (column - 1800) * GRID_STEP
        lat = min(max(latitude, south), south + GRID_STEP)
        lon = min(max(longitude, west), west + GRID_STEP)
        if haversine_miles(latitude, longitude, lat, lon) <= radius + 1:
            out.append(cell)
    return out


# A local service found so far: (distance or None, serves the person's county, verified,
# name); the name is None until _rank() needs it.
_Found = tuple[float | None, bool, dt.date | None, str | None]
# The local answers located at one point (usually a zip centroid: many share one): latitude,
# longitude, and their ids and verified dates, each list joined by _SEP in the same order, and
# what may move each down the list (_moves_mark: one digit per id, same order).
_Point = tuple[float | None, float | None, str, str, str]
# A point found near: (distance, ids, dates, moves).
_Near = tuple[float | None, str, str, str]
_SEP = "\x1f"


def _located(session: Session, criteria: _Criteria, cells: list[int] | None,
             ranked_here: bool) -> list[_Point]:
    """The local answers in these cells (None: everywhere), by point, from one index. Their
    dates and marks come too when they are all ranked here (`ranked_here`), else _nearest
    reads them for the few it ranks: a third of the statement's cost at 100k services."""
    if cells is None:
        return _rows(session, _statement("located_everywhere", criteria.shape),
                     criteria.params).all()
    return _rows(session, _statement("located", criteria.shape, ranked_here),
                 {**criteria.params, "cells": cells}).all()


def _serving(session: Session, criteria: _Criteria,
             place: Place) -> tuple[dict[str, dt.date | None], set[str]]:
    """The local answers that serve the person's county (id -> verified), and which of them
    refer to some need (see _nearest)."""
    serving, referring = {}, set()
    for sid, verified, moves in _rows(session, _statement("serving", criteria.shape),
                                      {**criteria.params, "county": place.county}):
        serving[sid] = verified
        if moves & 2:
            referring.add(sid)
    return serving, referring


def _points_near(points: list[_Point], place: Place, radius: float | None,
                 distances: dict[tuple[float, float], float]) -> list[_Near]:
    """The points within the radius (None: all), nearest first."""
    out = []
    for lat, lon, ids, dates, moves in points:
        distance = None
        if lat is not None and lon is not None:
            distance = distances.get((lat, lon))
            if distance is None:
                distance = distances[lat, lon] = round(
                    haversine_miles(place.latitude, place.longitude, lat, lon), 1)
            if radius is not None and distance > radius:
                continue
        elif radius is not None:
            continue  # no coordinates: within no radius
        out.append((distance, ids, dates, moves))
    out.sort(key=lambda p: math.inf if p[0] is None else p[0])
    return out


def _members(ids: str, dates: str) -> Iterator[tuple[str, dt.date | None]]:
    for sid, date in zip(ids.split(_SEP), dates.split(_SEP), strict=True):
        yield sid, dt.date.fromisoformat(date) if date else None


def _everything_near(points: list[_Near], serving: dict[str, dt.date | None],
                     referring: set[str]) -> tuple[dict[str, _Found], dict[str, int]]:
    """Every local answer: at its nearest location (where a location without coordinates
    counts as nearest), or serving the person's county; and the marks of those that have
    one (see _moves_mark: id -> 1 bound to counties by its area, + 2 refers to a need)."""
    found: dict[str, _Found] = {}
    marked = dict.fromkeys(referring, 2)
    for distance, ids, dates, moves in points:
        for (sid, verified), mark in zip(_members(ids, dates), moves, strict=True):
            if sid not in found or (distance or 0) < (found[sid][0] or 0):
                found[sid] = (distance, False, verified, None)
            if mark != "0":
                marked[sid] = int(mark)
    for sid, verified in serving.items():
        found[sid] = (found[sid][0] if sid in found else None, True, verified, None)
    return found, marked


def _nearest(session: Session, points: list[_Near], serving: dict[str, dt.date | None],
             referring: set[str], top: int,
             bound_moves: bool) -> tuple[dict[str, _Found], int, dict[str, int]]:
    """The local answers that can rank in the first `top` (those serving the county that can,
    then points nearest first until `top` are in, ties included), how many answers there are
    (each of the others is only counted), and the marks of those found (see
    _everything_near). What _for_this_person may move down does not count towards `top`, so
    one pass finds enough for the page: a service that refers to some need, and, when
    `bound_moves`, an agency bound to other counties (see _moving). The points carry ids
    only; dates and marks are read for the few found."""
    located: set[str] = set()
    for _, ids, _, _ in points:
        located.update(ids.split(_SEP))
    count = len(located | serving.keys())
    marked = dict.fromkeys(referring, 2)
    can_rank = _serving_that_can_rank(serving, referring, top)
    found: dict[str, _Found] = {sid: (None, True, verified, None)
                                for sid, verified in can_rank.items()}
    moving = len(referring)
    pending: list[str] = []

    def read_pending() -> int:  # dates and marks of the candidates found since the last read
        movers = 0
        for i in range(0, len(pending), 500):
            for sid, verified, mark in _rows(session, _statement("ranked"),
                                             {"ids": pending[i:i + 500]}):
                found[sid] = (found[sid][0], False, verified, None)
                if mark:
                    marked[sid] = mark
                    movers += mark != 1 or bound_moves
        pending.clear()
        return movers

    filled_at = None
    for distance, ids, _, _ in points:
        if filled_at is not None and distance > filled_at:
            if not can_rank:
                break
            for sid in ids.split(_SEP):  # what serves the county still shows how far it is
                if sid in can_rank and found[sid][0] is None:
                    found[sid] = (distance, *found[sid][1:])
            continue
        for sid in ids.split(_SEP):
            if sid in can_rank:
                if found[sid][0] is None:
                    found[sid] = (distance, *found[sid][1:])
            elif sid not in found and sid not in serving:
                found[sid] = (distance, False, None, None)
                pending.append(sid)
        if filled_at is None and len(found) - moving >= top:
            moving += read_pending()
            if len(found) - moving >= top:
                filled_at = distance
    read_pending()
    return found, count, marked


def _serving_that_can_rank(serving: dict[str, dt.date | None], referring: set[str],
                           top: int) -> dict[str, dt.date | None]:
    """Of what serves the county (all of it ranks as here), what can be in the first `top`:
    the most recently verified, ties included, and those that may move (referrals)."""
    staying = [(-(verified or dt.date.min).toordinal(), sid) for sid, verified in serving.items()
               if sid not in referring]
    if len(staying) <= top:
        return serving
    cut = heapq.nsmallest(top, staying)[-1][0]
    return {sid: serving[sid] for key, sid in staying if key <= cut} | \
        {sid: serving[sid] for sid in referring}


def _moving(marked: dict[str, int], found: dict[str, _Found], bound_moves: bool) -> set[str]:
    """What _for_this_person may move down: referrals, and agencies bound to other counties
    (when `bound_moves`: not for the needs open to all)."""
    return {sid for sid, mark in marked.items()
            if mark & 2 or (bound_moves and sid in found and not found[sid][1])}


def _unplaced(session: Session, criteria: _Criteria,
              top: int | None) -> tuple[dict[str, _Found], int | None]:
    """Without a place every local answer counts, located or not. With `top`, only the first
    `top` are read (the database ranks them) and the rest is counted."""
    if top is None:
        rows = _rows(session, _statement("unplaced", criteria.shape), criteria.params).all()
        return {sid: (None, False, verified, name) for sid, name, verified in rows}, None
    rows = _rows(session, _statement("unplaced", criteria.shape, True),
                 {**criteria.params, "top": top}).all()
    return ({sid: (None, False, verified, name) for sid, name, verified, _ in rows},
            rows[0][3] if rows else 0)


def _rank(session: Session, found: dict[str, _Found], postings: dict[str, _Candidate],
          top: int | None, count: int | None = None,
          moving: frozenset[str] | set[str] = frozenset()) -> tuple[list[_Candidate], int]:
    """Local services and job postings in rank order, and how many there are. With `top`, the
    list may stop after the first `top`: the rest is counted, not ranked (`count`: how many
    local services there are, when `found` holds only those that can rank first), and names
    (the last tie-break) are read only for what ties with the top-th on distance and date."""
    def known(f: _Found) -> tuple[float, int]:  # the rank, less name and id
        near = 0.0 if f[1] else (f[0] if f[0] is not None else math.inf)
        return near, -(f[2] or dt.date.min).toordinal()

    items = list(found.items())
    if top is not None and len(items) - len(moving) > top:  # `moving`: see _nearest
        staying = (f for sid, f in items if sid not in moving) if moving else found.values()
        cut = heapq.nsmallest(top, map(known, staying))[-1]
        items = [(sid, f) for sid, f in items if known(f) <= cut]
    missing = [sid for sid, f in items if f[3] is None]
    names: dict[str, str] = {}
    for i in range(0, len(missing), 500):
        names.update(_rows(session, _statement("names"), {"ids": missing[i:i + 500]}).all())
    ranked = [_Candidate(sid, "service", names[sid] if name is None else name, False, verified,
                         distance, area_match)
              for sid, (distance, area_match, verified, name) in items]
    ranked.extend(postings.values())
    ranked.sort(key=_Candidate.rank)
    return ranked, (len(found) if count is None else count) + len(postings)


def _job_candidates(session: Session, place: Place | None, radius: float | None,
                    words: str | None, today: dt.date,
                    second_chance_only: bool = False) -> dict[str, _Candidate]:
    near = bool(place and radius is not None)
    terms = re.findall(r"\w+", (words or "").lower())[:12]
    params: dict[str, object] = {"today": today}
    if near:
        params["cells"] = cells_within(place.latitude, place.longitude, radius)
    params |= {f"w{i}": f"%{word}%" for i, word in enumerate(terms)}
    found = {}
    for jid, title, employer, posted, lat, lon in _rows(
            session, _jobs_statement(second_chance_only, near, len(terms)), params):
        distance = None
        if place and lat is not None and lon is not None:
            distance = round(haversine_miles(place.latitude, place.longitude, lat, lon), 1)
            if radius is not None and distance > radius:
                continue
        found[jid] = _Candidate(jid, "job_posting", f"{title} - {employer}", False, posted,
                                distance, False)
    return found


@functools.lru_cache(maxsize=64)
def _jobs_statement(second_chance_only: bool, near: bool, words: int) -> Select:
    query = select(JobPosting.id, JobPosting.title, JobPosting.hiring_organization,
                   JobPosting.date_posted, JobPosting.latitude, JobPosting.longitude).where(
        or_(JobPosting.valid_through.is_(None), JobPosting.valid_through >= bindparam("today")))
    if second_chance_only:
        query = query.where(JobPosting.second_chance.is_(True))
    if near:
        query = query.where(JobPosting.grid_cell.in_(bindparam("cells", expanding=True)))
    for i in range(words):
        like = bindparam(f"w{i}")
        query = query.where(or_(func.lower(JobPosting.title).like(like),
                                func.lower(JobPosting.description).like(like),
                                func.lower(JobPosting.hiring_organization).like(like)))
    return query


def _statewide_candidates(session: Session, criteria: _Criteria) -> list[_Candidate]:
    rows = _rows(session, _statement("statewide", criteria.shape), criteria.params)
    return sorted((_Candidate(sid, "service", name, True, verified, None, False)
                   for sid, name, verified in rows), key=_Candidate.rank)


def _open_now(session: Session, candidates: list[_Candidate], now: dt.datetime) -> list[_Candidate]:
    """Keep only what is known to be open now; job postings have no opening hours."""
    ids = [c.id for c in candidates if c.kind == "service"]
    hours: dict[str, list[WeeklyHours]] = {}
    if ids:
        rows = _rows(session, select(Schedule.service_id, Schedule.byday, Schedule.opens_at,
                                     Schedule.closes_at)
                     .where(Schedule.service_id.in_(ids), Schedule.byday.is_not(None)), {})
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
    criteria = _Criteria(session, need, filters, text)
    # Job postings answer "jobs" (they have no HSDS attributes, so not when filtering on them).
    jobs = include_jobs if include_jobs is not None else (need == "jobs" and not filters
                                                          and not open_now)
    radii = (radius_mi,) if radius_mi is not None or place is None else WIDENING_RADII_MI
    if place is None:
        radii = (None,)
    # Open-now filtering needs every candidate ranked; otherwise the first offset + limit (one
    # more for the jobs helper below) are enough, the rest is only counted.
    top = None if open_now else offset + limit + 1
    serving, referring = _serving(session, criteria, place) if place else ({}, set())
    points: list[_Point] = []
    read_cells: set[int] = set()
    distances: dict[tuple[float, float], float] = {}
    for radius in radii:
        count, marked = None, {}
        if place is None:
            local, count = _unplaced(session, criteria, top)
        else:
            if radius is None:
                points = _located(session, criteria, None, True)
            else:  # widening reads only the cells it has not read yet
                cells = [c for c in _cells_near(place, radius) if c not in read_cells]
                read_cells.update(cells)
                if cells:
                    points += _located(session, criteria, cells, top is None)
            near = _points_near(points, place, radius, distances)
            if top is None or radius is None:
                local, marked = _everything_near(near, serving, referring)
            else:
                local, count, marked = _nearest(session, near, serving, referring, top,
                                                criteria.bound_moves)
        postings = _job_candidates(session, place, radius, text, now.date(),
                                   second_chance_only) if jobs else {}
        ranked, total = _rank(session, local, postings, top, count,
                              _moving(marked, local, criteria.bound_moves))
        if open_now:
            ranked = _open_now(session, ranked, now)
            total = len(ranked)
        if total >= offset + limit or radius is None or radius == radius_mi:
            break
        if radius >= NEAR_ENOUGH_MI and total:
            break  # something within 100 miles: farther away helps nobody
    statewide = _statewide_candidates(session, criteria)
    if open_now:
        statewide = _open_now(session, statewide, now)
    ranked, elsewhere = _for_this_person(session, ranked, need, place is not None
                                         and criteria.bound_moves, marked)
    # When the local list stops early, it holds at least the first offset + limit + 1.
    ranked = ranked + statewide + elsewhere
    total += len(statewide)
    if need == "jobs":
        ranked = _help_on_first_page(ranked, limit)
    page = ranked[offset : offset + limit]
    return SearchResult(hits=_hydrate(session, page, need or "any", place), total=total,
                        radius_mi=radius)


# American Job Centers (CareerLink) and openings serve anyone who walks in; for the other
# needs an agency bound to other counties (an ELRC, an SCA, MATP, a county transit authority)
# cannot take the person: it is listed after the statewide lines, saying whom it serves.
OPEN_TO_ALL_NEEDS = frozenset({"jobs", "careerlink"})


@dataclass(frozen=True)
class _Marks:
    """What the attributes say that moves a candidate or changes what a hit shows."""

    refers_for: dict[str, str]  # service id -> the need it refers to
    address_private: set[str]


def _marks(session: Session, ids: list[str]) -> _Marks:
    codes = {term_id("refers_for"): "refers_for", term_id("address_private"): "address_private"}
    refers: dict[str, str] = {}
    private: set[str] = set()
    for i in range(0, len(ids), 500):
        for sid, term, value in _rows(session, _statement("marks"), {"ids": ids[i:i + 500]}):
            if codes.get(term) == "refers_for":
                refers[sid] = value
            elif codes.get(term) == "address_private" and value == "true":
                private.add(sid)
    return _Marks(refers, private)


def _for_this_person(session: Session, ranked: list[_Candidate], need: str | None,
                     bound_moves: bool,
                     marked: dict[str, int]) -> tuple[list[_Candidate], list[_Candidate]]:
    """The local list in the order that serves the person, and the agencies bound to other
    counties (listed after the statewide lines, when `bound_moves`: a search by place for a
    need not open to all). `marked`: see _everything_near."""
    referring = [c.id for c in ranked if marked.get(c.id, 0) & 2]
    if need and referring:
        refers_for = _marks(session, referring).refers_for
        referrals = {sid for sid in referring if refers_for.get(sid) == need}
        if referrals:
            ranked = _referrals_after_providers(ranked, referrals)
    elsewhere: list[_Candidate] = []
    if bound_moves:
        bound = {c.id for c in ranked if marked.get(c.id, 0) & 1 and not c.area_match}
        if bound:
            elsewhere = [c for c in ranked if c.id in bound]
            ranked = [c for c in ranked if c.id not in bound]
    return ranked, elsewhere


# A provider this near comes before a service that only refers to the need; a farther one after.
REFERRAL_AFTER_MI = 25


def _referrals_after_providers(ranked: list[_Candidate],
                               referrals: set[str]) -> list[_Candidate]:
    """The SCA serves the county for recovery housing, but a person asking for a house wants
    the houses first: a service that refers to the need moves after the providers that serve
    the county or are within REFERRAL_AFTER_MI, and stays before farther ones."""
    def near_provider(c: _Candidate) -> bool:
        return c.id not in referrals and (c.area_match or (
            c.distance_mi is not None and c.distance_mi <= REFERRAL_AFTER_MI))

    firsts = [c for c in ranked if near_provider(c)]
    return firsts + [c for c in ranked if not near_provider(c)]


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
    services = _service_facts(session, service_ids, place) if service_ids else {}
    marks = _marks(session, service_ids) if service_ids else _Marks({}, set())
    referral = {sid for sid in service_ids if marks.refers_for.get(sid) == need}
    private = marks.address_private
    jobs = {j.id: j for j in session.scalars(select(JobPosting).where(JobPosting.id.in_(job_ids)))} \
        if job_ids else {}
    hits = []
    for c in page:
        hit = replace(_service_hit(services[c.id], need, place), referral=c.id in referral,
                      address_private=c.id in private) if c.kind == "service" \
            else _job_hit(jobs[c.id], place)
        hits.append(replace(hit, distance_mi=c.distance_mi if c.distance_mi is not None
                            else hit.distance_mi))
    return hits


@dataclass(frozen=True)
class _ServiceFacts:
    """What a hit shows of a service: its first phone, its first location's coordinates and
    first address (in the order the database lists them, as the ORM relationships do)."""

    service: tuple  # id, name, description, url, is_demo, is_statewide, source_date, source_url
    phone: str | None
    location: tuple | None  # latitude, longitude, coordinates_approximate
    address: tuple | None  # address_1, city, region, postal_code
    only_area: str | None  # the county it serves when it names exactly one
    serves_place: bool  # it serves the person's county
    areas: int = 0  # how many counties its service area names

    @classmethod
    def of(cls, service: Service, place: Place | None) -> _ServiceFacts:
        location = service.service_at_locations[0].location \
            if service.service_at_locations else None
        address = location.addresses[0] if location and location.addresses else None
        areas = [a.name for a in service.service_areas if a.name]
        return cls((service.id, service.name, service.description, service.url, service.is_demo,
                    service.is_statewide, service.source_date, service.source_url),
                   service.phones[0].number if service.phones else None,
                   (location.latitude, location.longitude, location.coordinates_approximate)
                   if location else None,
                   (address.address_1, address.city, address.region, address.postal_code)
                   if address else None,
                   areas[0] if len(areas) == 1 else None,
                   bool(place and any(a.name == place.county for a in service.service_areas)),
                   len(areas))


def _service_facts(session: Session, ids: list[str],
                   place: Place | None) -> dict[str, _ServiceFacts]:
    """The facts of a page of services in two queries (the ORM's eager loads take six)."""
    rows = _rows(session, _statement("facts", None, place is not None),
                 {"ids": ids, "county": place.county if place else None}).all()
    location_ids = [r[9] for r in rows if r[9] is not None]
    places = {r[0]: r[1:] for r in _rows(session, _statement("places"),
                                         {"ids": location_ids}).all()} if location_ids else {}
    out = {}
    for r in rows:
        spot = places.get(r[9]) if r[9] is not None else None
        out[r[0]] = _ServiceFacts(
            tuple(r[:8]), r[8], tuple(spot[:3]) if spot else None,
            tuple(spot[4:]) if spot and spot[3] is not None else None,
            r[11] if r[10] == 1 else None, bool(r[12]), r[10] or 0)
    return out


def _distance(place: Place | None, lat: float | None, lon: float | None) -> float | None:
    if place is None or lat is None or lon is None:
        return None
    return round(haversine_miles(place.latitude, place.longitude, lat, lon), 1)


def _service_hit(facts: _ServiceFacts, need: str, place: Place | None) -> ResourceHit:
    sid, name, description, url, demo, statewide, source_date, source_url = facts.service
    location, address = facts.location, facts.address
    coverage = None
    if statewide:
        coverage = "statewide"
    elif place and facts.serves_place:
        coverage = f"serves {place.county} County"
    elif place and facts.areas and need not in OPEN_TO_ALL_NEEDS:  # not the person's county
        coverage = f"serves {facts.only_area} County only" if facts.only_area \
            else "serves other counties"
    address_1, city, region, postal_code = address or (None, None, None, None)
    street = ", ".join(filter(None, [address_1, city, "PA", postal_code])) if address else None
    return ResourceHit(
        id=sid, need=need, name=name,
        town=city if address and city else None,
        county=region if address and region else facts.only_area,
        address=street if address and address_1 else None,
        phone=facts.phone,
        distance_mi=_distance(place, location[0], location[1]) if location else None,
        demo=demo, statewide=statewide,
        verified=source_date, source_url=source_url,
        description=description, url=url,
        distance_approximate=location[2] if location else True,
        coverage=coverage,
        serves_county=bool(place and not statewide and (
            facts.serves_place or (address is not None and region == place.county))))


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
        kind="job_posting", serves_county=bool(place and job.county == place.county))


def get_resource(session: Session, resource_id: str, need: str,
                 place: Place | None = None) -> ResourceHit | None:
    service = session.scalars(
        select(Service).where(Service.id == resource_id).options(*_LOAD_FOR_HIT)).first()
    if service is not None:
        marks = _marks(session, [service.id])
        return replace(_service_hit(_ServiceFacts.of(service, place), need, place),
                       referral=marks.refers_for.get(service.id) == need,
                       address_private=service.id in marks.address_private)
    job = session.get(JobPosting, resource_id)
    return _job_hit(job, place) if job else None
