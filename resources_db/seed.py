"""Import the real Pennsylvania seed data (../shared/data/pa_seed/) as directory records.

Idempotent: every record gets a deterministic id from its source row, and rows are merged.
Each service keeps its source URL, the source's own date (as HSDS assured_date when it is a
date) and the caveats for coaches, because these sources are old and must be re-checked.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from resources_db import geo
from resources_db.models import (
    Address,
    Attribute,
    Location,
    Organization,
    Phone,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from resources_db.taxonomy import NEEDS, TAXONOMY_ID, TAXONOMY_NAME, stable_id, term_id

DEFAULT_SEED_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pa_seed"

CAREERLINK_ORG_ID = stable_id("org", "PA CareerLink")
CAREERLINK_DESCRIPTION = (
    "Free job search help, resume and interview workshops, training funding (WIOA), "
    "computer access, and in-person help with unemployment claims by appointment."
)


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


def split_phone(text: str) -> tuple[str, str | None] | None:
    """'844-333-5248 (toll-free, NW PA CareerLink)' -> ('844-333-5248', 'toll-free, NW PA ...')."""
    text = text.strip()
    m = re.search(r"(1[-. ]?)?\(?\d{3}\)?[-. ]?\d{3}[-. ]?\d{4}", text)
    if not m:
        return None
    rest = (text[: m.start()] + text[m.end() :]).strip(" ;,()")
    return m.group(0), rest or None


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
    for code, description in NEEDS.items():
        session.merge(TaxonomyTerm(id=term_id(code), taxonomy_id=TAXONOMY_ID, code=code,
                                   name=code.replace("_", " ").title(), description=description))


def tag_service(session: Session, service_id: str, *needs: str) -> None:
    for need in needs:
        session.merge(Attribute(id=stable_id("attr", service_id, need), link_id=service_id,
                                link_type="service", link_entity="service",
                                taxonomy_term_id=term_id(need), value="true"))


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            yield {k: (v or "").strip() for k, v in row.items()}


def seed_careerlink(session: Session, path: Path) -> int:
    session.merge(Organization(
        id=CAREERLINK_ORG_ID, name="PA CareerLink",
        description="Pennsylvania's one-stop career centers (American Job Centers), run with the "
                    "PA Department of Labor & Industry.",
        website="https://www.pacareerlink.pa.gov"))
    count = 0
    for row in _rows(path):
        sid = stable_id("careerlink", row["name"])
        service = Service(
            id=sid, organization_id=CAREERLINK_ORG_ID, name=row["name"],
            description=CAREERLINK_DESCRIPTION, url="https://www.pacareerlink.pa.gov",
            assured_date=parse_source_date(row["source_date"]),
            source_url=row["source_url"] or None, source_date=row["source_date"] or "undated",
            source_title=row["retrieved_from"] or None,
            coach_notes="; ".join(filter(None, [row["notes"], row["hours"] and f"Hours: {row['hours']}"])) or None,
            is_demo=False, is_statewide=False)
        session.merge(service)
        point = approximate_point(row["zip"], row["city_or_municipality"], row["county"])
        lid = stable_id("location", sid)
        session.merge(Location(id=lid, organization_id=CAREERLINK_ORG_ID, name=row["name"],
                               latitude=point[0] if point else None,
                               longitude=point[1] if point else None,
                               coordinates_approximate=True))
        session.merge(Address(id=stable_id("address", lid), location_id=lid,
                              address_1=row["street_address"],
                              city=row["city_or_municipality"], region=row["county"] or None,
                              state_province="PA", postal_code=row["zip"]))
        session.merge(ServiceAtLocation(id=stable_id("sal", sid, lid), service_id=sid, location_id=lid))
        if row["phone"] and (phone := split_phone(row["phone"])):
            session.merge(Phone(id=stable_id("phone", sid), service_id=sid, number=phone[0],
                                description=phone[1]))
        tag_service(session, sid, "careerlink", "jobs", "training")
        count += 1
    return count


# One importer per seed file; issue #3 adds the others.
SEED_FILES: dict[str, Callable[[Session, Path], int]] = {
    "careerlink_offices.csv": seed_careerlink,
}


def seed_all(session: Session, seed_dir: Path = DEFAULT_SEED_DIR,
             progress: Callable[[str], None] = lambda _m: None) -> list[SeedReport]:
    ensure_taxonomy(session)
    reports = []
    for name, importer in SEED_FILES.items():
        path = seed_dir / name
        if not path.exists():
            raise FileNotFoundError(f"seed file missing: {path}")
        n = importer(session, path)
        progress(f"{name}: {n} rows")
        reports.append(SeedReport(name, n))
    session.commit()
    return reports
