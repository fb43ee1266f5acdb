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

# OVR: vocational rehabilitation, job placement and training; for benefits it refers (to
# benefits counseling, WIPA) rather than counsels, so it is listed after the counselors.
OVR_NEEDS = ["vocational_rehab", "jobs", "training", "benefits"]
OVR_FILTERS = {"cost": "free", "refers_for": "benefits"}

# statewide_lines.csv category -> our needs. PA Get Help Now and the other treatment lines
# are the statewide answer for treatment and recovery support; PA 211 names job training.
CATEGORY_NEEDS = {
    "crisis_line": ["crisis"],
    "substance_use_treatment_referral": ["treatment_referral", "crisis", "recovery_support"],
    "information_and_referral": ["information", "housing", "childcare", "transit", "training"],
    "transportation_medical": ["transit"],
    "childcare_subsidy": ["childcare"],
    "recovery_housing": ["housing"],
    "recovery_community_organization": ["recovery_support"],
    "employment": ["unemployment"],
    "employment_disability": OVR_NEEDS,
}
# ... and the attributes a category brings (beyond the hours and cost read from the row).
CATEGORY_FILTERS = {"employment_disability": {"refers_for": "benefits"}}


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
    point: tuple[float, float] | None = None  # coordinates the source gives, if any


@dataclass
class SeedReport:
    file: str
    rows: int
    skipped: bool = False  # unknown header: not imported


def parse_source_date(text: str) -> dt.date | None:
    """The most specific date a source states: '2022-07-30', '2021-11', '2020'; None if unsure.

    Approximate dates ('c. 2017') and 'undated' give None: we do not invent precision.
    """
    if text.strip().lower().startswith("c."):
        return None
    try:
        if m := re.search(r"(\d{4})-(\d{2})-(\d{2})", text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.search(r"(?<![\d.])(\d{4})-(\d{2})(?!\d)", text):
            return dt.date(int(m[1]), int(m[2]), 1)
    except ValueError:  # '2018-19' is a range of years, not a month
        return None
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
        point = r.point or approximate_point(r.zip, r.city, r.county or (
            r.counties_served[0] if r.counties_served else ""))
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
        # A county cell naming several counties ("Wayne; Pike"): the office serves them all.
        counties = split_counties(row["county"])
        yield SeedRecord(
            key=f"careerlink|{row['name']}", organization="PA CareerLink", name=row["name"],
            description=CAREERLINK_DESCRIPTION, needs=["careerlink", "jobs", "training"],
            source_url=row["source_url"] or None, source_date=row["source_date"],
            source_title=row["retrieved_from"] or None,
            notes=_notes(row["notes"], row["hours"] and f"Hours: {row['hours']}"),
            street=row["street_address"], city=row["city_or_municipality"],
            county=counties[0] if counties else "", zip=row["zip"], phones=row["phone"],
            hours=row["hours"], website="https://www.pacareerlink.pa.gov",
            counties_served=counties if len(counties) > 1 else [], filters={"cost": "free"})


def statewide_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        counties = split_counties(row["coverage"])
        statewide = not counties
        always_open = "24/7" in row["hours"]
        filters = {"evening_hours": "true", "weekend_hours": "true"} if always_open else {}
        filters |= CATEGORY_FILTERS.get(row["category"], {})
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
            name=row["office_name"], description=OVR_DESCRIPTION, needs=ovr_needs(row["office_type"]),
            source_url=row["source_url"] or None, source_date=row["source_date"],
            source_title=row["retrieved_from"] or None,
            notes=_notes(row["office_type"], row["tty"] and f"TTY {row['tty']}", row["notes"]),
            street=row["street_address"], city=row["city"], county=counties[0] if counties else "",
            zip=row["zip"][:5], phones=row["phone"], counties_served=counties,
            statewide=statewide and not row["city"], filters=ovr_filters(row["office_type"]))


def _ovr_office(office_type: str) -> bool:
    """An OVR office or program where a counselor takes a case (and refers for benefits
    counseling), not a school or rehabilitation center it runs nor its administration."""
    return not re.search(r"school|center|administrative", office_type, re.I)


def ovr_needs(office_type: str) -> list[str]:
    return OVR_NEEDS if _ovr_office(office_type) else [n for n in OVR_NEEDS if n != "benefits"]


def ovr_filters(office_type: str) -> dict[str, str]:
    return OVR_FILTERS if _ovr_office(office_type) else {"cost": "free"}


def _src(row: dict[str, str]) -> dict:
    return {"source_url": row["source_url"] or None, "source_date": row["source_date"],
            "source_title": row["retrieved_from"] or None}


def _address_parts(address: str) -> tuple[str, str, str]:
    """'123 Main St, Reading, PA 19601' -> (street, town, zip) as far as the cell says."""
    zip_match = re.search(r"\b(1[5-9]\d{3})\b", address)
    town = re.search(r",\s*([A-Za-z .'-]+),\s*PA", address)
    return (address.split(",")[0].strip() if town else "", town.group(1).strip() if town else "",
            zip_match.group(1) if zip_match else "")


SCA_DESCRIPTION = (
    "Single County Authority (county drug and alcohol office): assessment and funding of "
    "treatment for uninsured or underinsured residents; refers to licensed recovery houses."
)
# The county SCA is the county's door to treatment and recovery support; for housing it refers.
SCA_NEEDS = ["treatment_referral", "recovery_support", "housing"]
MATP_DESCRIPTION = (
    "Medical Assistance Transportation Program: free rides to medical appointments (including "
    "treatment) for people with Medical Assistance."
)
LEAD_NOTE = ("Treatment lead from a SAMHSA extract (c. 2021) without phone or services: "
             "confirm through PA Get Help Now 1-800-662-4357 or the county SCA before relying on it.")
# employment_barriers.csv category -> our needs. WOTC and the Federal Bonding Program are what
# a record means for an employer (a tax credit, a free bond): job help and record help both.
BARRIER_NEEDS = {"wotc": ["jobs", "record"], "federal_bonding": ["jobs", "record"],
                 "recovery_friendly_workplace": ["jobs"], "recovery_to_work": ["jobs", "training"],
                 "ticket_to_work": ["vocational_rehab", "jobs", "benefits"]}
# A category not listed, by the words in it: legal aid and record clearing (legal_aid,
# legal_aid_record_clearing, legal_aid_network, record_clearing_info, and any new one) answer
# "record", not "jobs" (a "jobs in erie" list naming a legal aid office second misleads);
# benefits counseling (wipa, work_incentives...) answers "benefits". Else general information.
BARRIER_CATEGORY_WORDS = ((re.compile(r"legal|record|expunge|pardon|clean_slate"), ["record"]),
                          (re.compile(r"benefit|wipa|work_incentive"), ["benefits"]))
BARRIER_DEFAULT_NEEDS = ["information"]


def barrier_needs(category: str) -> list[str]:
    if category in BARRIER_NEEDS:
        return BARRIER_NEEDS[category]
    return next((needs for words, needs in BARRIER_CATEGORY_WORDS if words.search(category)),
                BARRIER_DEFAULT_NEEDS)


def sca_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        counties = split_counties(row["counties_served"])
        yield SeedRecord(
            key=f"sca|{row['sca_name']}", organization=row["sca_name"], name=row["sca_name"],
            description=SCA_DESCRIPTION, needs=SCA_NEEDS, **_src(row),
            filters={"refers_for": "housing"},
            notes=_notes(row["notes"], row["hours"] and f"Hours: {row['hours']}"),
            street=row["address"], city=row["city"],
            county=counties[0] if len(counties) == 1 else "", zip=row["zip"][:5],
            phones=row["phone"], hours=row["hours"], website=row["website"] or None,
            counties_served=counties)


def residence_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        gender = row["gender_served"].lower()
        who = "women" if "women" in gender or "female" in gender else (
            "men" if "men" in gender or "male" in gender else "")
        yield SeedRecord(
            key=f"residence|{row['name']}|{row['street_address']}|{row['city']}",
            organization=row["operator"] or row["name"], name=row["name"],
            description="Recovery residence (recovery house).", needs=["housing"], **_src(row),
            notes=_notes(row["ddap_licensed"] and f"DDAP licensed: {row['ddap_licensed']}",
                         row["parr_certified"] and f"PARR certified: {row['parr_certified']}",
                         row["notes"]),
            street=row["street_address"], city=row["city"].split(";")[0].strip(),
            county=(split_counties(row["county"]) or [""])[0], zip=row["zip"][:5],
            phones=row["phone"], website=row["website"] or None,
            counties_served=counties if len(counties := split_counties(row["county"])) > 1
            else [], filters={"address_private": "true"} | ({"gender_served": who} if who else {}))


# DDAP's Regional Recovery Hubs help local recovery groups; they are not direct-service lines
# (pa_seed README): they refer, and are listed after the organizations and the county SCA.
_HUB = re.compile(r"\bhub\b", re.I)


def rco_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        counties = split_counties(row["counties_served"])
        hub = bool(_HUB.search(row["type"].replace("_", " ")))
        yield SeedRecord(
            key=f"rco|{row['name']}|{row['city']}", organization=row["organization"] or row["name"],
            name=row["name"], description=row["type"] or "Recovery community organization",
            needs=["recovery_support"], **_src(row), notes=_notes(row["notes"]),
            street=row["street_address"], city=row["city"],
            county=counties[0] if len(counties) == 1 and not row["city"] else "",
            zip=row["zip"][:5], phones=row["phone"], website=row["website"] or None,
            counties_served=counties, filters={"refers_for": "recovery_support"} if hub else {})


def matp_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        counties = split_counties(row["county"])
        street, town, zip_code = _address_parts(row["address"])
        yield SeedRecord(
            key=f"matp|{row['county']}|{row['provider']}", organization=row["provider"],
            # One county: "MATP - Erie (provider)"; many: the provider's name, the counties are
            # its service area (a name listing eleven counties reads badly in an SMS).
            name=f"MATP - {row['county']} ({row['provider']})" if len(counties) == 1
            else f"MATP - {row['provider']}", description=MATP_DESCRIPTION,
            needs=["transit"], **_src(row),
            notes=_notes(row["address"] and f"Address as given: {row['address']}", row["notes"]),
            street=street, city=town, zip=zip_code, phones=row["phone"], hours=row["hours"],
            website=row["website"] or None, counties_served=counties, filters={"cost": "free"})


def barrier_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        counties = split_counties(row["coverage"])
        street, town, zip_code = _address_parts(row["address"])
        yield SeedRecord(
            key=f"barrier|{row['name']}", organization=row["name"], name=row["name"],
            description=row["description"] or None,
            needs=barrier_needs(row["category"]), **_src(row),
            notes=_notes(row["category"] and f"Category: {row['category']}",
                         row["coverage"] and f"Coverage: {row['coverage']}", row["notes"]),
            street=street, city=town, zip=zip_code, phones=row["phone"],
            website=row["website"] or None, counties_served=counties, statewide=not counties)


def _lead(row: dict[str, str], key: str, street: str, county: str) -> SeedRecord:
    # No need tag on purpose: a lead is not an answer by itself (see lead_needs_intake).
    return SeedRecord(
        key=key, organization=row["name"], name=row["name"],
        description="Substance use treatment program (lead: no phone or services in the source).",
        needs=[], **_src(row), notes=_notes(LEAD_NOTE, row["notes"]), street=street,
        city=row["city"], county=county, zip=row["zip"][:5],
        filters={"lead_needs_intake": "true"}, point=_point(row))


def _point(row: dict[str, str]) -> tuple[float, float] | None:
    try:
        return float(row["latitude"]), float(row["longitude"])
    except (KeyError, ValueError):
        return None


def treatment_lead_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        street = ", ".join(x for x in (row["street1"], row["street2"]) if x)
        yield _lead(row, f"lead|facility|{row['name']}|{street}|{row['city']}", street,
                    row["county"])


def otp_lead_records(path: Path) -> Iterator[SeedRecord]:
    for row in _rows(path):
        yield _lead(row, f"lead|otp|{row['name']}|{row['address']}|{row['city']}",
                    row["address"], "")


def _header(path: Path) -> frozenset[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return frozenset(h.strip() for h in next(csv.reader(f), []))


# One importer per kind of seed file, recognised by its header (a new file with a known header
# needs no code change). Files are read in this folder and its more/ folder.
_IMPORTERS: list[tuple[str, Callable[[Path], Iterator[SeedRecord]]]] = [
    ("careerlink_offices.csv", careerlink_records),
    ("statewide_lines.csv", statewide_records),
    ("transit_agencies.csv", transit_records),
    ("elrc_offices.csv", elrc_records),
    ("ovr_offices.csv", ovr_records),
]
HEADERS: dict[frozenset[str], Callable[[Path], Iterator[SeedRecord]]] = {
    frozenset("name,street_address,city_or_municipality,county,state,zip,phone,hours,notes,"
              "source_date,source_url,retrieved_from".split(",")): careerlink_records,
    frozenset("name,category,coverage,phone,text_or_chat,website,hours,languages,description,"
              "source_date,source_url,retrieved_from".split(",")): statewide_records,
    frozenset("agency_name,also_known_as,counties_served,phone,website,address,notes,"
              "source_date,source_url,retrieved_from".split(",")): transit_records,
    frozenset("region,elrc_name,lead_agency,counties_served,office_address,city,zip,phone,notes,"
              "source_date,source_url,retrieved_from".split(",")): elrc_records,
    frozenset("office_name,office_type,street_address,city,zip,counties_served,phone,tty,notes,"
              "source_date,source_url,retrieved_from".split(",")): ovr_records,
    frozenset("sca_name,counties_served,phone,address,city,zip,website,hours,notes,source_date,"
              "source_url,retrieved_from".split(",")): sca_records,
    frozenset("name,operator,county,street_address,city,zip,phone,gender_served,website,"
              "ddap_licensed,parr_certified,notes,source_date,source_url,retrieved_from"
              .split(",")): residence_records,
    frozenset("name,organization,type,counties_served,phone,street_address,city,zip,website,"
              "notes,source_date,source_url,retrieved_from".split(",")): rco_records,
    frozenset("county,provider,phone,address,website,hours,notes,source_date,source_url,"
              "retrieved_from".split(",")): matp_records,
    frozenset("name,category,coverage,phone,website,address,description,notes,source_date,"
              "source_url,retrieved_from".split(",")): barrier_records,
    frozenset("name,street1,street2,city,zip,county,latitude,longitude,notes,source_date,"
              "source_url,retrieved_from".split(",")): treatment_lead_records,
    frozenset("name,address,city,zip,latitude,longitude,notes,source_date,source_url,"
              "retrieved_from".split(",")): otp_lead_records,
}
# Kept for callers that list the base files.
SEED_FILES = dict(_IMPORTERS)

_UPDATES = re.compile(r"Updates the row of the same office", re.I)
_NAME_NOISE = {"pa", "the", "at", "of", "county", "inc", "office"}


def _name_tokens(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", name.lower())) - _NAME_NOISE


def _year(source_date: str) -> int:
    return max((int(y) for y in re.findall(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", source_date)),
               default=0)


def merge_update(base: SeedRecord, new: SeedRecord) -> SeedRecord:
    """A newer row of the same office: its non-blank facts win, both sources are kept."""
    merged = SeedRecord(**{**base.__dict__})
    for attr in ("street", "city", "county", "zip", "phones", "hours", "website",
                 "description"):
        if getattr(new, attr):
            setattr(merged, attr, getattr(new, attr))
    if new.counties_served:
        merged.counties_served = new.counties_served
    merged.filters = {**base.filters, **new.filters}
    # The newer source is the primary one (an "update" row can be older); the other is noted.
    newer, older = (new, base) if _year(new.source_date) >= _year(base.source_date) else (base, new)
    merged.source_url, merged.source_date = newer.source_url, newer.source_date
    merged.source_title = newer.source_title
    merged.notes = _notes(new.notes or "", base.notes or "",
                          older.source_url and f"Other source ({older.source_date}): "
                          f"{older.source_url}" or "")
    return merged


# Real rows this project found itself (each with its source URL and date), in the same
# formats as the shared seed: read after it, so a row here can update a shared one.
PROJECT_SEED_DIR = Path(__file__).resolve().parent / "seed_data"


def seed_paths(seed_dir: Path) -> list[Path]:
    """Every CSV of the seed folder, then of its more/ folder (base rows before updates), then
    the project's own found rows (only with the default seed folder)."""
    own = sorted(PROJECT_SEED_DIR.glob("*.csv")) if seed_dir == DEFAULT_SEED_DIR else []
    return [*sorted(seed_dir.glob("*.csv")), *sorted((seed_dir / "more").glob("*.csv")), *own]


def collect_records(seed_dir: Path, progress: Callable[[str], None] = lambda _m: None,
                    ) -> tuple[list[SeedRecord], list[SeedReport], list[str]]:
    """(records, per-file reports, unknown files): update rows merged into their base row."""
    records: dict[str, SeedRecord] = {}
    kind_of: dict[str, Callable] = {}
    reports, unknown = [], []
    for path in seed_paths(seed_dir):
        label = str(path.relative_to(seed_dir)) if path.is_relative_to(seed_dir) \
            else f"project {path.name}"
        importer = HEADERS.get(_header(path))
        if importer is None:
            unknown.append(label)
            progress(f"{label}: SKIPPED, unknown header (no importer for it)")
            continue
        n = merged = 0
        for record in importer(path):
            n += 1
            if _UPDATES.search(record.notes or "") and record.key not in records:
                tokens = _name_tokens(record.name)
                base = next((k for k, r in records.items() if kind_of[k] is importer
                             and (_name_tokens(r.name) <= tokens
                                  or tokens <= _name_tokens(r.name))), None)
                if base is not None:
                    records[base] = merge_update(records[base], record)
                    merged += 1
                    continue
            if record.key in records:
                records[record.key] = merge_update(records[record.key], record)
                merged += 1
                continue
            records[record.key] = record
            kind_of[record.key] = importer
        progress(f"{label}: {n} rows" + (f" ({merged} merged into earlier rows)" if merged else ""))
        reports.append(SeedReport(label, n))
    return list(records.values()), reports, unknown


def seed_all(session: Session, seed_dir: Path = DEFAULT_SEED_DIR,
             progress: Callable[[str], None] = lambda _m: None,
             include_demo: bool = False) -> list[SeedReport]:
    """Import every known file; a file with an unknown header is reported and skipped.
    Demo records only when asked for (`include_demo`); otherwise any left from an earlier
    seed are removed, so nobody is shown an invented listing by accident."""
    missing = [name for name in SEED_FILES if not (seed_dir / name).exists()]
    if missing:
        raise FileNotFoundError(f"seed file missing: {', '.join(missing)} in {seed_dir}")
    ensure_taxonomy(session)
    records, reports, unknown = collect_records(seed_dir, progress)
    for record in records:
        _store(session, record)
    for name in unknown:
        reports.append(SeedReport(name, 0, skipped=True))
    from resources_db.demo import remove_demo, seed_demo  # demo builds on this module's _store

    if include_demo:
        n = seed_demo(session)
        progress(f"demo job postings and recovery residences (flagged demo): {n} records")
        reports.append(SeedReport("demo", n))
    elif removed := remove_demo(session):
        progress(f"demo records removed (demo is off): {removed}")
    session.commit()
    return reports
