"""`navigator bench search`: how fast search_services answers on a large directory.

A measurement, not a test. It builds a THROWAWAY directory (a temp SQLite file, or a fresh
temporary database on the PostgreSQL server DATABASE_URL points at), migrated like the real
one, fills it with synthetic services spread over real Pennsylvania zip codes, and times a
reproducible mix of queries through search.search_services:

- ~50 %: a need near a zip code within a radius (5-50 miles), with 0-2 filters;
- ~30 %: a need in a county (no radius: the search widens as it does for people);
- ~20 %: free text, with or without a need.

The same queries are answered by a BASELINE that uses neither grid cells, search keys nor the
full-text index: per query it reads every service, location, service_at_location and
service_area row, and the attribute rows of the terms the query asks about, with plain SELECTs,
and filters, measures and ranks in Python, following search.py's documented semantics (the
person's county counts as distance 0, statewide after local, a service that refers to the
need after the providers near, agencies bound to other counties after the statewide lines
(except jobs and CareerLink), widening 15/40/100 miles/everywhere
but not past 100 miles once something is found, jobs with second-chance openings only). Free
text is matched as whole words: the query words are chosen so that this equals FTS5 prefix and
PostgreSQL stemmed matching (tests/resources_db/test_bench.py). The page's ids and the total
must be the same for every query (reported as mismatches; expected 0).

The last line printed is one JSON object with the headline numbers.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import json
import math
import os
import random
import re
import secrets
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, create_engine, event, insert, literal, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from resources_db import geo
from resources_db.db import make_engine, make_session_factory
from resources_db.filters import filters_for_need
from resources_db.migrate import upgrade
from resources_db.models import (
    Address,
    Attribute,
    Location,
    Organization,
    Phone,
    Service,
    ServiceArea,
    ServiceAtLocation,
    refresh_search_keys,
)
from resources_db.search import (
    NEAR_ENOUGH_MI,
    OPEN_TO_ALL_NEEDS,
    REFERRAL_AFTER_MI,
    WIDENING_RADII_MI,
    search_services,
)
from resources_db.seed import ensure_taxonomy
from resources_db.taxonomy import FILTERS, NEEDS, term_id

PAGE = 3  # limit: what the bot shows at once
CHUNK = 5_000  # services per bulk-insert round
STATEWIDE_SERVICES = 36
JSON_KEYS = ("backend", "services", "queries", "p50_ms", "p95_ms", "qps", "baseline_p95_ms")

# How many services meet each need (an invented but plausible mix) ...
SERVICE_NEED_WEIGHTS = {
    "jobs": 16, "housing": 14, "recovery_support": 13, "treatment_referral": 12, "childcare": 12,
    "training": 9, "transit": 6, "information": 6, "crisis": 4, "vocational_rehab": 3,
    "unemployment": 3, "careerlink": 2, "record": 2, "benefits": 1,
}
# ... and how often people ask for each.
QUERY_NEED_WEIGHTS = {
    "jobs": 22, "housing": 16, "treatment_referral": 10, "recovery_support": 10, "childcare": 9,
    "training": 8, "transit": 8, "careerlink": 4, "crisis": 4, "unemployment": 4,
    "vocational_rehab": 3, "information": 2, "record": 4, "benefits": 3,
}
assert set(SERVICE_NEED_WEIGHTS) == set(QUERY_NEED_WEIGHTS) == set(NEEDS)


def _table(weights: dict[str, float]) -> tuple[list[str], list[float]]:
    """(population, cumulative weights): random.choices is much faster given the latter."""
    return list(weights), list(itertools.accumulate(weights.values()))


def _pick(rng: random.Random, table: tuple[list, list[float]]):
    return rng.choices(table[0], cum_weights=table[1])[0]


_SERVICE_NEEDS, _QUERY_NEEDS = _table(SERVICE_NEED_WEIGHTS), _table(QUERY_NEED_WEIGHTS)
_TERM_IDS = {code: term_id(code) for code in NEEDS | FILTERS}

# Names are "<town or word> <kind>"; descriptions are a need phrase, maybe an extra phrase
# (where the searchable words live) and a generic closing sentence.
NAME_WORDS = ("Keystone", "Gateway", "Harbor", "Summit", "Bridgeway", "Lighthouse", "Cornerstone",
              "Pathways", "Serenity", "Horizon", "Riverside", "Liberty", "Unity", "Compass",
              "Anchor", "Crossroads", "Journey", "Beacon")
NEED_TEXT: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # need: (name kinds, main phrases, extra phrases)
    "jobs": (("Employment Center", "Job Connection", "Staffing Partners", "Workforce Hub"),
             ("Job search help and openings with local employers",
              "Connects job seekers with employers who are hiring now"),
             ("Second chance employers welcome people with records", "Forklift and warehouse jobs",
              "Apprenticeship openings in the building trades", "Free resume and interview help")),
    "careerlink": (("CareerLink Office", "Career Center"),
                   ("One stop career center with job search help and workshops",),
                   ("Free resume workshops every week", "Veterans get priority service",
                    "Computer lab open to the public")),
    "housing": (("Recovery House", "Recovery Residence", "Housing Program"),
                ("Recovery housing for people in early recovery",
                 "Safe and structured living for people leaving treatment"),
                ("Sober living with house meetings", "Bilingual staff on site",
                 "Beds for mothers with children", "Close to bus lines and jobs")),
    "childcare": (("Child Care Center", "Early Learning Center", "Family Center"),
                  ("Child care for working parents", "Licensed child care and early learning"),
                  ("Daycare with evening slots", "Preschool and after school programs",
                   "Accepts the Child Care Works subsidy")),
    "transit": (("Transit", "Ride Program", "Transportation"),
                ("Rides to work, treatment and appointments",
                 "Public transportation and shared ride service"),
                ("Shuttle to the county recovery center", "Paratransit for riders with a disability",
                 "Medical rides at no cost")),
    "crisis": (("Crisis Line", "Crisis Center"),
               ("Help in a crisis, day or night", "Talk to a trained counselor right away"),
               ("Hotline answered by counselors", "Peer warmline for someone to talk with",
                "Naloxone kits and overdose help")),
    "vocational_rehab": (("Vocational Services", "Rehabilitation Office"),
                         ("Job training and placement for people with a disability",),
                         ("Counseling and job coaching", "Supported employment with a coach")),
    "record": (("Legal Aid", "Record Clearing Clinic", "Reentry Center"),
               ("Free help sealing or clearing a criminal record",
                "Reentry services for people coming home"),
               ("Clean Slate and pardon clinics", "Fair chance employers welcome people with records",
                "Federal bonding for new hires")),
    "benefits": (("Benefits Counseling", "Work Incentives Office"),
                 ("Free counseling on working while on SSI or SSDI",),
                 ("Ticket to Work help", "Medicaid and work questions answered")),
    "training": (("Training Institute", "Skills Academy", "Learning Center"),
                 ("Job training and education for adults", "Short courses that lead to jobs"),
                 ("Welding and machining classes", "Forklift certification in two weeks",
                  "Nursing assistant training", "GED classes and tutoring",
                  "Commercial driver license course")),
    "treatment_referral": (("Treatment Referral", "Assessment Center", "Intake Office"),
                           ("Drug and alcohol assessment and referral to treatment",
                            "Finds a treatment program that fits you"),
                           ("Detox referrals the same day", "Medication for opioid use disorder",
                            "Outpatient and inpatient options")),
    "recovery_support": (("Recovery Community", "Recovery Hub", "Recovery Center"),
                         ("Recovery support for people and families",
                          "A place to meet others in recovery"),
                         ("Peer coaches who have been there", "Mentoring and recovery meetings",
                          "Family support groups", "Reentry help after prison")),
    "unemployment": (("Unemployment Help", "Benefits Office"),
                     ("Help with unemployment compensation claims",),
                     ("Appeals and claim questions answered", "Bilingual claim help")),
    "information": (("Resource Line", "Information Center"),
                    ("Information and referral to local services",),
                    ("Expungement clinics and legal referrals", "Food and utility help")),
}
CLOSINGS = ("Call ahead for an appointment.", "Walk in during office hours.",
            "Ask about eligibility when you call.", "Services are confidential.", "")
# Free-text queries use these words: each appears in a fraction of the descriptions, none is a
# prefix or stem sibling of another word the directory uses (tests/resources_db/test_bench.py
# checks that against SQLite's own full-text index), so whole-word matching in the baseline
# agrees with FTS5 prefix matching and PostgreSQL's stemmed matching.
QUERY_WORDS = ("sober", "peer", "detox", "welding", "forklift", "daycare", "shuttle", "hotline",
               "apprenticeship", "veterans", "bilingual", "resume", "warmline", "paratransit",
               "preschool", "mentoring", "naloxone", "expungement", "reentry", "nursing")
STREETS = ("Main St", "Market St", "State St", "Penn Ave", "Liberty Ave", "Broad St", "High St",
           "Church St", "Union St", "Water St", "Walnut St", "Chestnut St")
AREA_CODES = ("215", "267", "412", "484", "570", "610", "717", "724", "814", "878")
BIG_COUNTIES = {"Philadelphia": 3.0, "Allegheny": 3.0, "Montgomery": 1.5, "Bucks": 1.5,
                "Delaware": 1.5, "Lancaster": 1.5, "Chester": 1.5, "York": 1.5, "Berks": 1.5,
                "Lehigh": 1.5, "Westmoreland": 1.5, "Luzerne": 1.5}
# Filter values a person asks for (the ones filters.py produces).
QUERY_FILTERS = (("mat_friendly", "true"), ("gender_served", "women"), ("gender_served", "men"),
                 ("accepts_people_with_records", "true"), ("cost", "free"),
                 ("evening_hours", "true"), ("weekend_hours", "true"))


# --- the throwaway database -------------------------------------------------------------------

@contextmanager
def throwaway_database(database_url: str | None = None) -> Iterator[str]:
    """A URL to an empty database deleted afterwards: a temp SQLite file, or, when
    `database_url` is a PostgreSQL URL, a uniquely named database created on that server."""
    if database_url and make_url(database_url).get_backend_name() == "postgresql":
        server = make_url(database_url)
        name = f"navigator_bench_{os.getpid()}_{secrets.token_hex(4)}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                yield server.set(database=name).render_as_string(hide_password=False)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()
        return
    with tempfile.TemporaryDirectory(prefix="navigator-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


# --- synthetic directory ----------------------------------------------------------------------

def _zips() -> tuple[list[geo.Place], list[float]]:
    """The gazetteer's zip codes in a Pennsylvania county (a few have none, or no coordinates),
    with cumulative weights towards the big counties (more people, more services)."""
    zips = sorted((p for p in geo._gazetteer().zips.values()
                   if p.county in geo.PA_COUNTIES and p.latitude), key=lambda p: p.zip or "")
    return zips, list(itertools.accumulate(BIG_COUNTIES.get(p.county, 1.0) for p in zips))


def _neighbour_counties() -> dict[str, list[str]]:
    """Each county -> the other counties by distance between centroids (nearest first)."""
    centres = {c: geo.resolve_place(f"{c} County") for c in geo.PA_COUNTIES}
    return {c: sorted((o for o in centres if o != c), key=lambda o: geo.haversine_miles(
        p.latitude, p.longitude, centres[o].latitude, centres[o].longitude))
        for c, p in centres.items()}


def _rand_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _filters(rng: random.Random, need: str) -> dict[str, str]:
    """Filter attributes where the (imaginary) source states them; blank means unknown."""
    out = {}
    clinical = need in ("housing", "treatment_referral", "recovery_support")
    if need == "treatment_referral" and rng.random() < 0.3:  # an SCA: refers to housing
        out |= {"housing": "true", "refers_for": "housing"}
    if rng.random() < (0.7 if clinical else 0.1):
        out["mat_friendly"] = "true" if rng.random() < 0.65 else "false"
    if need == "housing" and rng.random() < 0.85:
        out["gender_served"] = rng.choices(("women", "men", "any"), (3, 3, 4))[0]
    elif rng.random() < 0.2:
        out["gender_served"] = "any" if rng.random() < 0.9 else "women"
    if rng.random() < (0.6 if need in ("jobs", "housing", "training") else 0.3):
        out["accepts_people_with_records"] = "true" if rng.random() < 0.7 else "false"
    if rng.random() < 0.7:
        out["cost"] = rng.choices(("free", "sliding_scale", "paid"), (55, 25, 20))[0]
    for code, share in (("evening_hours", 0.35), ("weekend_hours", 0.25)):
        if rng.random() < 0.4:
            out[code] = "true" if rng.random() < share * 2 else "false"
    return out


def _text(rng: random.Random, need: str, prefix: str) -> tuple[str, str]:
    kinds, mains, extras = NEED_TEXT[need]
    name = f"{prefix} {rng.choice(kinds)}"
    parts = [rng.choice(mains) + "."]
    if rng.random() < 0.5:
        parts.append(rng.choice(extras) + ".")
    parts.append(rng.choice(CLOSINGS))
    return name, " ".join(p for p in parts if p)


@dataclass
class _Rows:
    tables: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, **row) -> None:
        self.tables[table].append(row)


_TABLES = {"organization": Organization, "service": Service, "location": Location,
           "address": Address, "service_at_location": ServiceAtLocation, "phone": Phone,
           "attribute": Attribute, "service_area": ServiceArea}


def _service_rows(rows: _Rows, rng: random.Random, org_id: str, place: geo.Place | None,
                  need: str, counties: list[str], statewide: bool) -> None:
    needs = [need]
    if rng.random() < 0.2:  # some services meet a second need
        needs.append(_pick(rng, _SERVICE_NEEDS))
    town = geo.town_of_zip(place.zip) if place and place.zip else None
    prefix = town if town and rng.random() < 0.6 else rng.choice(NAME_WORDS)
    if statewide:
        prefix = f"Pennsylvania {rng.choice(NAME_WORDS)}"
    name, description = _text(rng, need, prefix)
    if counties and rng.random() < 0.5:
        description += f" Serving {' and '.join(counties)} County."
    sid = _rand_id(rng)
    assured = None if rng.random() < 0.2 else dt.date(2015, 1, 1) + dt.timedelta(
        days=rng.randrange(4000))
    rows.add("service", id=sid, organization_id=org_id, name=name, description=description,
             url=None, status="active", assured_date=assured,
             source_url="https://example.org/bench", source_date=str(assured or "undated"),
             is_demo=False, is_statewide=statewide)
    rows.add("phone", id=_rand_id(rng), service_id=sid,
             number=f"({rng.choice(AREA_CODES)}) {rng.randint(200, 999)}-{rng.randrange(10000):04d}")
    if place is not None:
        lid = _rand_id(rng)
        rows.add("location", id=lid, organization_id=org_id, location_type="physical", name=name,
                 latitude=place.latitude, longitude=place.longitude, coordinates_approximate=True,
                 grid_cell=geo.grid_cell(place.latitude, place.longitude))  # as models.py does
        rows.add("address", id=_rand_id(rng), location_id=lid,
                 address_1=f"{rng.randint(1, 2999)} {rng.choice(STREETS)}", city=town or "",
                 region=place.county, state_province="PA", postal_code=place.zip or "",
                 country="US", address_type="physical")
        rows.add("service_at_location", id=_rand_id(rng), service_id=sid, location_id=lid)
    for county in counties:
        rows.add("service_area", id=_rand_id(rng), service_id=sid, name=county,
                 description=f"{county} County", extent_type="county")
    attributes = {n: "true" for n in needs} | _filters(rng, need)
    for code, value in attributes.items():
        rows.add("attribute", id=_rand_id(rng), link_id=sid, link_type="service",
                 link_entity="service", taxonomy_term_id=_TERM_IDS[code], value=value)


def build_directory(url: str, services: int, seed: int,
                    progress: Callable[[str], None] = print) -> float:
    """Migrate `url`, add the taxonomy and `services` synthetic services; returns seconds."""
    started = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _bulk_load(dbapi_conn, _record):  # noqa: ANN001
            # A throwaway file: no fsync, and a cache that holds the indexes being filled.
            dbapi_conn.execute("PRAGMA synchronous=OFF")
            dbapi_conn.execute("PRAGMA cache_size=-262144")
    try:
        with make_session_factory(engine)() as session:
            ensure_taxonomy(session)
            session.commit()
        rng = random.Random(seed)
        zips, weights = _zips()
        neighbours = _neighbour_counties()
        statewide = min(STATEWIDE_SERVICES, max(1, services // 100))
        org_id = None
        done = 0
        while done < services:
            rows = _Rows()
            for i in range(done, min(services, done + CHUNK)):
                if org_id is None or rng.random() < 0.35:  # about three services per provider
                    org_id = _rand_id(rng)
                    rows.add("organization", id=org_id, name=f"{rng.choice(NAME_WORDS)} "
                             f"{rng.choice(('Services', 'Alliance', 'Partners', 'Network'))} {i}",
                             description="", is_demo=False)
                need = _pick(rng, _SERVICE_NEEDS)
                if i < statewide:
                    _service_rows(rows, rng, org_id, None, need, [], True)
                    continue
                place = _pick(rng, (zips, weights))
                counties: list[str] = []
                if rng.random() < 0.25:  # serves its county and maybe its neighbours
                    counties = [place.county, *neighbours[place.county][:rng.randrange(3)]]
                if rng.random() < 0.03:  # known only by the counties it serves
                    _service_rows(rows, rng, org_id, None, need, counties or [place.county],
                                  False)
                else:
                    _service_rows(rows, rng, org_id, place, need, counties, False)
            with engine.begin() as conn:
                for table, model in _TABLES.items():
                    if rows.tables[table]:
                        conn.execute(insert(model), rows.tables[table])
            done = min(services, done + CHUNK)
            progress(f"  inserted {done:,}/{services:,} services "
                     f"({time.perf_counter() - started:.1f} s)")
        with engine.begin() as conn:  # Core bypasses the ORM event that keeps these current
            refresh_search_keys(conn)
        progress(f"  search keys filled ({time.perf_counter() - started:.1f} s)")
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))  # what autovacuum would soon do
    finally:
        engine.dispose()
    return time.perf_counter() - started


# --- queries ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BenchQuery:
    kind: str  # "radius", "county" or "text"
    need: str | None
    place: geo.Place | None = None
    radius_mi: float | None = None
    filters: tuple[tuple[str, str], ...] = ()
    text: str | None = None
    offset: int = 0

    def describe(self) -> str:
        return (f"{self.kind}: need={self.need} place={self.place.name if self.place else None} "
                f"radius={self.radius_mi} filters={dict(self.filters)} text={self.text!r} "
                f"offset={self.offset}")


def make_queries(count: int, seed: int) -> list[BenchQuery]:
    rng = random.Random(f"queries-{seed}")
    zips, weights = _zips()
    out = []
    for _ in range(count):
        roll = rng.random()
        offset = rng.choices((0, 3, 6), (80, 15, 5))[0]
        need = _pick(rng, _QUERY_NEEDS)
        if roll < 0.5:
            wanted = dict(rng.sample(QUERY_FILTERS, rng.choices((0, 1, 2), (50, 35, 15))[0]))
            # The actions drop filters that mean nothing for a need; so do we.
            filters = tuple(sorted(filters_for_need(need, wanted).items()))
            out.append(BenchQuery("radius", need, _pick(rng, (zips, weights)),
                                  float(rng.choice((5, 10, 15, 20, 25, 30, 40, 50))),
                                  filters, offset=offset))
        elif roll < 0.8:
            county = rng.choice(geo.PA_COUNTIES)
            out.append(BenchQuery("county", need, geo.resolve_place(f"{county} County"),
                                  offset=offset))
        else:
            words = " ".join(rng.sample(QUERY_WORDS, rng.choices((1, 2), (80, 20))[0]))
            out.append(BenchQuery("text", need if rng.random() < 0.5 else None, text=words,
                                  offset=offset))
    return out


def search_answer(session: Session, q: BenchQuery) -> tuple[list[str], int]:
    result = search_services(session, q.need, q.place, limit=PAGE, offset=q.offset,
                             radius_mi=q.radius_mi, filters=dict(q.filters), text=q.text)
    return [h.id for h in result.hits], result.total


# --- the baseline: a full scan, ranked in Python ----------------------------------------------

def _words(text_: str | None) -> set[str]:
    return set(re.findall(r"\w+", (text_ or "").lower()))


def baseline_answer(conn: Connection, q: BenchQuery) -> tuple[list[str], int]:
    """What search_services should answer, from every row of the directory (no index used)."""
    filters = dict(q.filters)
    if q.need == "jobs" and filters.get("accepts_people_with_records") == "true":
        filters.pop("accepts_people_with_records")  # jobs: selects second-chance postings
    wanted = {(term_id(code), str(value).lower()) for code, value in filters.items()}
    if q.need:
        wanted.add((term_id(q.need), "true"))
    have: dict[str, set[tuple[str, str]]] = defaultdict(set)
    if wanted:  # every attribute row of the terms asked about
        for link_id, term, value in conn.execute(
                select(Attribute.link_id, Attribute.taxonomy_term_id, Attribute.value)
                .where(Attribute.link_type == "service",
                       Attribute.taxonomy_term_id.in_({t for t, _ in wanted}))).all():
            if (term, value) in wanted:
                have[link_id].add((term, value))
    words = set(re.findall(r"\w+", (q.text or "").lower())[:12])
    candidates: dict[str, tuple[str, dt.date | None, bool]] = {}
    columns = [Service.id, Service.name, Service.status, Service.assured_date,
               Service.is_statewide, Service.description if words else literal(None)]
    for sid, name, status, verified, statewide, description in conn.execute(
            select(*columns)).all():
        if status != "active" or (wanted and len(have.get(sid, ())) < len(wanted)):
            continue
        if words and not words <= _words(name) | _words(description):
            continue
        candidates[sid] = (name, verified, bool(statewide))
    # Two plain scans joined here (an SQL join would read location through its index).
    points = {lid: (lat, lon) for lid, lat, lon in conn.execute(
        select(Location.id, Location.latitude, Location.longitude)).all()}
    located = [(sid, *points[lid]) for sid, lid in conn.execute(
        select(ServiceAtLocation.service_id, ServiceAtLocation.location_id)).all()
        if sid in candidates]
    areas = conn.execute(select(ServiceArea.service_id, ServiceArea.name)).all()
    place = q.place

    def rank(sid: str, distance: float | None, area_match: bool) -> tuple:
        name, verified, statewide = candidates[sid]
        d = 0.0 if area_match else (distance if distance is not None else math.inf)
        return (statewide, d, -(verified or dt.date.min).toordinal(), name, sid)

    def local(radius: float | None) -> list[tuple]:
        found: dict[str, tuple[float | None, bool]] = {}
        for sid, lat, lon in located:
            if sid not in candidates or candidates[sid][2]:
                continue
            distance = None
            if place and lat is not None and lon is not None:
                distance = round(geo.haversine_miles(place.latitude, place.longitude, lat, lon), 1)
                if radius is not None and distance > radius:
                    continue
            elif place and radius is not None:
                continue  # no coordinates: not within any radius
            if sid not in found or (distance or 0) < (found[sid][0] or 0):
                found[sid] = (distance, False)
        if place:
            for sid, county in areas:
                if sid in candidates and not candidates[sid][2] and county == place.county:
                    found[sid] = (found[sid][0] if sid in found else None, True)
        elif radius is None:
            for sid in candidates:
                if not candidates[sid][2]:
                    found.setdefault(sid, (None, False))
        return sorted(rank(sid, d, a) for sid, (d, a) in found.items())

    radii = (None,) if place is None else (
        (q.radius_mi,) if q.radius_mi is not None else WIDENING_RADII_MI)
    for radius in radii:
        ranked = local(radius)
        if len(ranked) >= q.offset + PAGE or radius is None or radius == q.radius_mi:
            break
        if radius >= NEAR_ENOUGH_MI and ranked:
            break  # something within 100 miles: the search stops widening
    serving = {sid for sid, county in areas if place and county == place.county}
    if q.need:  # a service that refers to the need: after the providers near (search.py)
        refers = set(conn.execute(select(Attribute.link_id).where(
            Attribute.taxonomy_term_id == term_id("refers_for"),
            Attribute.value == q.need)).scalars())
        near = [r for r in ranked if r[-1] not in refers
                and (r[-1] in serving or r[1] <= REFERRAL_AFTER_MI)]
        ranked = near + [r for r in ranked if r not in near]
    elsewhere = []
    if place is not None and q.need not in OPEN_TO_ALL_NEEDS:  # bound to other counties
        bound = {sid for sid, county in areas if county} - serving
        elsewhere = [r for r in ranked if r[-1] in bound]
        ranked = [r for r in ranked if r[-1] not in bound]
    ranked += sorted(rank(sid, None, False) for sid, c in candidates.items() if c[2])
    ranked += elsewhere
    return [r[-1] for r in ranked[q.offset:q.offset + PAGE]], len(ranked)


# --- running and reporting --------------------------------------------------------------------

@dataclass
class BenchReport:
    backend: str
    services: int
    queries: int
    build_s: float
    search_ms: list[float]
    baseline_ms: list[float]
    mismatches: list[str]

    def summary(self) -> dict:
        p50, p95, _ = _percentiles(self.search_ms)
        return {"backend": self.backend, "services": self.services, "queries": self.queries,
                "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
                "qps": round(_qps(self.search_ms), 1),
                "baseline_p95_ms": round(_percentiles(self.baseline_ms)[1], 2)}


def _percentiles(ms: list[float]) -> tuple[float, float, float]:
    if len(ms) < 2:
        v = ms[0] if ms else 0.0
        return v, v, v
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return q[49], q[94], q[98]


def _qps(ms: list[float]) -> float:
    return len(ms) / (sum(ms) / 1000) if ms and sum(ms) else 0.0


def run_bench(url: str, services: int, queries: int, seed: int,
              out: Callable[[str], None] = print, warmup: int = 20,
              baseline_queries: int | None = None) -> BenchReport:
    """Build the directory at `url` (empty), time the queries and the baseline (on the first
    `baseline_queries` of them, default all: the full scans take most of the run)."""
    backend = make_url(url).get_backend_name()
    out(f"building a throwaway {backend} directory with {services:,} services (seed {seed})")
    build_s = build_directory(url, services, seed, out)
    out(f"built in {build_s:.1f} s")
    plan = make_queries(queries, seed)
    engine = make_engine(url)
    # What is alive now (gazetteer, plan, SQLAlchemy) is kept out of the garbage collector's
    # full passes, which otherwise cost tens of ms whenever a pass falls inside a query.
    gc.collect()
    gc.freeze()
    try:
        factory = make_session_factory(engine)
        for q in plan[:warmup]:  # warm the page cache and the connection pool, not measured
            with factory() as session:
                search_answer(session, q)
        search_ms, answers = [], []
        out(f"running {queries:,} queries through search_services")
        for q in plan:
            start = time.perf_counter()
            with factory() as session:
                answers.append(search_answer(session, q))
            search_ms.append((time.perf_counter() - start) * 1000)
        scanned = queries if baseline_queries is None else min(baseline_queries, queries)
        out(f"running the same {scanned:,} queries as full scans (baseline)")
        baseline_ms, mismatches = [], []
        with engine.connect() as conn:
            for i, (q, answer) in enumerate(zip(plan[:scanned], answers[:scanned],
                                                strict=True)):
                start = time.perf_counter()
                expected = baseline_answer(conn, q)
                baseline_ms.append((time.perf_counter() - start) * 1000)
                conn.rollback()
                if expected != answer:
                    mismatches.append(f"{q.describe()}: search {answer} != baseline {expected}")
                if (i + 1) % 100 == 0:
                    out(f"  baseline {i + 1:,}/{scanned:,}")
    finally:
        gc.unfreeze()
        engine.dispose()
    return BenchReport(backend, services, queries, build_s, search_ms, baseline_ms, mismatches)


def render_table(report: BenchReport) -> str:
    s50, s95, s99 = _percentiles(report.search_ms)
    b50, b95, b99 = _percentiles(report.baseline_ms)
    sq, bq = _qps(report.search_ms), _qps(report.baseline_ms)
    lines = [
        f"backend {report.backend}, {report.services:,} services, {report.queries:,} queries, "
        f"built in {report.build_s:.1f} s",
        f"{'':<16}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'qps':>10}",
        f"{'search':<16}{s50:>10.2f}{s95:>10.2f}{s99:>10.2f}{sq:>10.1f}",
        f"{'baseline (scan)':<16}{b50:>10.2f}{b95:>10.2f}{b99:>10.2f}{bq:>10.1f}"
        f"   ({len(report.baseline_ms):,} scans)",
        f"speed-up: {b50 / s50 if s50 else 0:.1f}x at p50, {b95 / s95 if s95 else 0:.1f}x at p95, "
        f"{sq / bq if bq else 0:.1f}x in qps",
        f"mismatches between search and baseline: {len(report.mismatches)}",
    ]
    lines += [f"  {m}" for m in report.mismatches[:10]]
    return "\n".join(lines)


def bench_search(services: int = 100_000, queries: int = 1_000, seed: int = 42,
                 database_url: str | None = None,
                 out: Callable[[str], None] = print,
                 baseline_queries: int | None = None) -> BenchReport:
    """The whole command: throwaway database, build, measure, table, then the JSON line."""
    with throwaway_database(database_url) as url:
        report = run_bench(url, services, queries, seed, out,
                           baseline_queries=baseline_queries)
    out(render_table(report))
    out(json.dumps(report.summary()))
    return report
