"""Import the real Pennsylvania seed data (../shared/data/pa_seed/) as directory records.

Idempotent: every record gets a deterministic id from its source row, and rows are merged.
Each service keeps its source URL, the source's own date (as HSDS assured_date when it is a
date) and the caveats for coaches, because these sources are old and must be re-checked.
Blank cells stay blank: the README says they mean "not given", not "none".
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from resources_db import geo
from resources_db.models import (
    Address,
    Attribute,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from resources_db.schedules import parse_hours
from resources_db.taxonomy import FILTERS, NEEDS, TAXONOMY_ID, TAXONOMY_NAME, stable_id, term_id

DEFAULT_SEED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pa_seed"

CAREERLINK_DESCRIPTION = (
    "Free job search help, resume and interview workshops, training funding (WIOA), "
    "computer access, and in-person help with unemployment claims by appointment."
)
ELRC_DESCRIPTION = (
    "Early Learning Resource Center: runs the Child Care Works subsidy (help paying for child "
    "care while you work or train) and helps families find child care."
)
OVR_DESCRIPTION = (
    "Office of Vocational Rehabilitation: job training, placement and support for people whose "
    "disability (which can include drug or alcohol addiction and mental illness) makes work hard."
)

# statewide_lines.csv category -> our needs
CATEGORY_NEEDS = {
    "crisis_line": ["crisis"],
    "substance_use_treatment_referral": ["treatment_referral", "crisis"],
    "information_and_referral": ["information", "housing", "childcare", "transit"],
    "transportation_medical": ["transit"],
    "childcare_subsidy": ["childcare"],
    "recovery_housing": ["housing"],
    "recovery_community_organization": ["recovery_support"],
    "employment": ["unemployment"],
    "employment_disability": ["vocational_rehab", "jobs", "training"],
}


@dataclass
class SeedRecord:
    """One seed row, normalised: what every importer produces and _store() writes."""

    key: str  # unique within the seed set
    organization: str
    name: str
    description: str | None
    needs: list[str]
    source_url: str | None
    source_date: str
    source_title: str | None
    notes: str | None = None
    street: str = ""
    city: str = ""
    county: str = ""
    zip: str = ""
    phones: str = ""
    hours: str = ""
    website: str | None = None
    counties_served: list[str] = field(default_factory=list)
    statewide: bool = False
    languages: list[str] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)


@dataclass
class SeedReport:
    file: str
    rows: int


def parse_source_date(text: str) -> dt.date | None:
    """The most specific date a source states: '2022-07-30', '2021-11', '2020'; None if unsure.

    Approximate dates ('c. 2017') and 'undated' give None: we do not invent precision.
    """
    if m := re.search(r"(\d{4})-(\d{2})-(\d{2})", text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := re.search(r"(?<![\d.])(\d{4})-(\d{2})(?!\d)", text):
        return dt.date(int(m[1]), int(m[2]), 1)
    if re.fullmatch(r"\s*(\d{4})\s*", text):
        return dt.date(int(text.strip()), 1, 1)
    return None


# 610-988-1300, (610) 723-1220, 1-800-662-HELP (4357), and the short codes 988 and 211.
_PHONE = re.compile(r"(?:1[-. ]?)?\(?\d{3}\)?[-. ]?\d{3}[-. ]?(?:\d{4}|[A-Z]{4}(?: \(\d{4}\))?)"
                    r"|\b988\b|\b211\b")


def split_phone(text: str) -> tuple[str, str | None] | None:
    """'844-333-5248 (toll-free, NW PA CareerLink)' -> ('844-333-5248', 'toll-free, NW PA ...')."""
    text = text.strip()
    m = _PHONE.search(text)
    if not m:
        return None
    rest = (text[: m.start()] + text[m.end() :]).strip(" ;,()")
    return m.group(0), rest or None


def split_phones(text: str) -> list[tuple[str, str | None]]:
    """Every number in a cell ('Information 610-490-3975; Scheduling 610-490-3960')."""
    out = []
    for part in re.split(r";|\bor\b", text):
        if (found := split_phone(part)) is not None:
            out.append(found)
    return out


def split_counties(text: str) -> list[str]:
    """'Bucks; Chester' / 'Clarion and Jefferson Counties' -> known PA county names."""
    found = []
    for chunk in re.split(r"[;,()]|\band\b", text):
        if (key := geo.county_key(chunk.strip())) is not None:
            name = next(c for c in geo.PA_COUNTIES if c.lower() == key)
            if name not in found:
                found.append(name)
    return found


def approximate_point(zip_code: str, town: str, county: str) -> tuple[float, float] | None:
    """Zip centroid, else town centroid, else county centroid (all approximate)."""
    if zip_code and (p := geo.lookup_zip(zip_code)):
        return p.latitude, p.longitude
    candidates = [town, *re.findall(r"\(([^)]+)\)", town), re.sub(r"\s*\(.*\)", "", town)]
    for candidate in filter(None, candidates):
        try:
            p = geo.resolve_place(candidate)
        except geo.PlaceError:
            continue
        if not county or p.county.lower() == county.lower():
            return p.latitude, p.longitude
    if county and (key := geo.county_key(county)):
        p = geo.resolve_place(key + " county")
        return p.latitude, p.longitude
    return None


def ensure_taxonomy(session: Session) -> None:
    session.merge(Taxonomy(id=TAXONOMY_ID, name=TAXONOMY_NAME,
                           description="Needs people in recovery ask the Navigator about"))
    for code, description in (NEEDS | FILTERS).items():
        session.merge(TaxonomyTerm(id=term_id(code), taxonomy_id=TAXONOMY_ID, code=code,
                                   name=code.replace("_", " ").title(), description=description))


def tag_service(session: Session, service_id: str, *needs: str) -> None:
    for need in needs:
        set_attribute(session, service_id, need, "true")


def set_attribute(session: Session, service_id: str, code: str, value: str) -> None:
    session.merge(Attribute(id=stable_id("attr", service_id, code), link_id=service_id,
                            link_type="service", link_entity="service",
                            taxonomy_term_id=term_id(code), value=value))


def _store(session: Session, r: SeedRecord, *, demo: bool = False) -> str:
    """Write one record as HSDS rows (organization, service, location, address, phones...)."""
    org_id = stable_id("org", r.organization)
    session.merge(Organization(id=org_id, name=r.organization, description="",
                               website=r.website, is_demo=demo))
    sid = stable_id("service", r.key)
    session.merge(Service(
        id=sid, organization_id=org_id, name=r.name, description=r.description,
        url=r.website, assured_date=parse_source_date(r.source_date),
        source_url=r.source_url, source_date=r.source_date or "undated",
        source_title=r.source_title, coach_notes=r.notes or None,
        is_demo=demo, is_statewide=r.statewide))
    # An office known only by its county is still placed (at the county centroid, approximate).
    has_place = bool(r.street or r.city or r.zip or (r.county and not r.counties_served))
    if has_place:
        point = approximate_point(r.zip, r.city, r.county)
        county = r.county or _county_of(r.zip, r.city)
        lid = stable_id("location", sid)
        session.merge(Location(id=lid, organization_id=org_id, name=r.name,
                               latitude=point[0] if point else None,
                               longitude=point[1] if point else None,
                               coordinates_approximate=True))
        session.merge(Address(id=stable_id("address", lid), location_id=lid,
                              address_1=r.street, city=r.city, region=county or None,
                              state_province="PA", postal_code=r.zip[:10]))
        session.merge(ServiceAtLocation(id=stable_id("sal", sid, lid), service_id=sid,
                                        location_id=lid))
    for i, (number, note) in enumerate(split_phones(r.phones)):
        session.merge(Phone(id=stable_id("phone", sid, str(i)), service_id=sid, number=number,
                            description=note))
    for county in r.counties_served:
        session.merge(ServiceArea(id=stable_id("area", sid, county), service_id=sid,
                                  name=county, extent_type="county",
                                  description=f"{county} County"))
    if r.hours:
        # Structured weekly hours where the text states them (for "open now"); the text itself
        # is always kept as the description.
        parsed = parse_hours(r.hours) or [None]
        for i, hours in enumerate(parsed):
            session.merge(Schedule(
                id=stable_id("schedule", sid, str(i)), service_id=sid, description=r.hours,
                timezone="America/New_York", freq="WEEKLY" if hours else None,
                byday=hours.byday if hours else None,
                opens_at=hours.opens_at if hours else None,
                closes_at=hours.closes_at if hours else None))
    for language in r.languages:
        session.merge(Language(id=stable_id("language", sid, language), service_id=sid,
                               name=language))
    tag_service(session, sid, *r.needs)
    for code, value in r.filters.items():
        set_attribute(session, sid, code, value)
    return sid


def _county_of(zip_code: str, town: str) -> str:
    if zip_code and (p := geo.lookup_zip(zip_code)):
        return p.county
    try:
        return geo.resolve_place(town).county if town else ""
    except geo.PlaceError:
        return ""


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield {k: (v or "").strip() for k, v in row.items()}


def _notes(*parts: str) -> str | None:
    return "; ".join(p for p in parts if p) or None


def careerlink_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        yield SeedRecord(
            key=f"careerlink|{row['name']}", organization="PA CareerLink", name=row["name"],
            description=CAREERLINK_DESCRIPTION, needs=["careerlink", "jobs", "training"],
            source_url=row["source_url"] or None, source_date=row["source_date"],
            source_title=row["retrieved_from"] or None,
            notes=_notes(row["notes"], row["hours"] and f"Hours: {row['hours']}"),
            street=row["street_address"], city=row["city_or_municipality"],
            county=row["county"], zip=row["zip"], phones=row["phone"], hours=row["hours"],
            website="https://www.pacareerlink.pa.gov", filters={"cost": "free"})


def statewide_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        counties = split_counties(row["coverage"])
        statewide = not counties
        always_open = "24/7" in row["hours"]
        filters = {"evening_hours": "true", "weekend_hours": "true"} if always_open else {}
        if re.search(r"\bfree\b", row["description"], re.I):
            filters["cost"] = "free"
        yield SeedRecord(
            key=f"statewide|{row['name']}", organization=row["name"], name=row["name"],
            description=row["description"] or None,
            needs=CATEGORY_NEEDS.get(row["category"], ["information"]),
            source_url=row["source_url"] or None, source_date=row["source_date"],
            source_title=row["retrieved_from"] or None,
            notes=_notes(row["text_or_chat"] and f"Text/chat: {row['text_or_chat']}",
                         row["coverage"] and f"Coverage: {row['coverage']}"),
            phones=row["phone"], hours=row["hours"], website=row["website"] or None,
            counties_served=counties, statewide=statewide,
            languages=[x.strip() for x in re.split(r"[,;]", row["languages"])
                       if x.strip() in ("English", "Spanish")],
            filters=filters)


def transit_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        # The address cell mixes street, town and notes: keep the first segment as the street,
        # and place the agency in its first county (a centroid: flagged approximate).
        counties = split_counties(row["counties_served"])
        address = row["address"].split(";")[0]
        zip_match = re.search(r"\b(1[5-9]\d{3})\b", address)
        town = re.search(r",\s*([A-Za-z .'-]+),\s*PA", address)
        yield SeedRecord(
            key=f"transit|{row['agency_name']}", organization=row["agency_name"],
            name=row["agency_name"] + (f" ({row['also_known_as']})" if row["also_known_as"]
                                       and len(row["also_known_as"]) < 60 else ""),
            description=row["notes"] or None, needs=["transit"],
            source_url=row["source_url"] or None, source_date=row["source_date"],
            source_title=row["retrieved_from"] or None,
            notes=_notes(row["address"] and f"Address as given: {row['address']}"),
            street=address.split(",")[0] if town else "", city=town.group(1).strip() if town else "",
            zip=zip_match.group(1) if zip_match else "",
            phones=row["phone"], website=row["website"] or None, counties_served=counties)


def elrc_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        counties = split_counties(row["counties_served"])
        yield SeedRecord(
            key=f"elrc|{row['region']}|{row['elrc_name']}",
            organization=row["lead_agency"] or row["elrc_name"], name=row["elrc_name"],
            description=ELRC_DESCRIPTION, needs=["childcare"],
            source_url=row["source_url"] or None, source_date=row["source_date"],
            source_title=row["retrieved_from"] or None,
            notes=_notes(row["region"] and f"ELRC region {row['region']}", row["notes"]),
            street=row["office_address"] if row["city"] else "", city=row["city"],
            county=counties[0] if len(counties) == 1 else "", zip=row["zip"][:5],
            phones=row["phone"], counties_served=counties,
            filters={"cost": "sliding_scale"})


def ovr_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        counties = split_counties(row["counties_served"])
        statewide = row["office_type"] == "statewide program" or "Statewide" in row["counties_served"]
        yield SeedRecord(
            key=f"ovr|{row['office_name']}", organization="PA Office of Vocational Rehabilitation",
            name=row["office_name"], description=OVR_DESCRIPTION,
            needs=["vocational_rehab", "jobs", "training"],
            source_url=row["source_url"] or None, source_date=row["source_date"],
            source_title=row["retrieved_from"] or None,
            notes=_notes(row["office_type"], row["tty"] and f"TTY {row['tty']}", row["notes"]),
            street=row["street_address"], city=row["city"], county=counties[0] if counties else "",
            zip=row["zip"][:5], phones=row["phone"], counties_served=counties,
            statewide=statewide and not row["city"], filters={"cost": "free"})


# One importer per seed file. Every file in the folder must have one (see seed_all).
SEED_FILES: dict[str, Callable[[Path], Iterator[SeedRecord]]] = {
    "careerlink_offices.csv": careerlink_records,
    "statewide_lines.csv": statewide_records,
    "transit_agencies.csv": transit_records,
    "elrc_offices.csv": elrc_records,
    "ovr_offices.csv": ovr_records,
}


def seed_all(session: Session, seed_dir: Path = DEFAULT_SEED_DIR,
             progress: Callable[[str], None] = lambda _m: None,
             include_demo: bool = True) -> list[SeedReport]:
    unknown = sorted(p.name for p in seed_dir.glob("*.csv") if p.name not in SEED_FILES)
    if unknown:
        raise ValueError(f"no importer for seed file(s): {', '.join(unknown)}")
    ensure_taxonomy(session)
    reports = []
    for name, records in SEED_FILES.items():
        path = seed_dir / name
        if not path.exists():
            raise FileNotFoundError(f"seed file missing: {path}")
        n = sum(1 for record in records(path) if _store(session, record))
        progress(f"{name}: {n} rows")
        reports.append(SeedReport(name, n))
    if include_demo:
        from resources_db.demo import seed_demo  # demo builds on this module's _store

        n = seed_demo(session)
        progress(f"demo job postings and recovery residences (flagged demo): {n} records")
        reports.append(SeedReport("demo", n))
    session.commit()
    return reports
