"""Demo records: invented job postings and recovery residences for the largest counties, so
every need has answers there while real listings are gathered.

Everything here is flagged demo (is_demo) in the database, and every reply and export shows it.
Names end in "(demo)", phone numbers are in the 555-01xx range reserved for fiction, and no
record is based on a real employer or residence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from resources_db import geo
from resources_db.models import (
    Address,
    Attribute,
    CostOption,
    JobPosting,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from resources_db.seed import SeedRecord, _store
from resources_db.taxonomy import stable_id

# The 12 most populous counties (2020 census), each with its county seat / main town.
LARGEST_COUNTIES = {
    "Philadelphia": "Philadelphia", "Allegheny": "Pittsburgh", "Montgomery": "Norristown",
    "Bucks": "Doylestown", "Delaware": "Media", "Lancaster": "Lancaster", "Chester": "West Chester",
    "York": "York", "Berks": "Reading", "Lehigh": "Allentown", "Westmoreland": "Greensburg",
    "Luzerne": "Wilkes Barre",
}
DEMO_POSTED = dt.date(2026, 11, 1)
DEMO_SOURCE = "demo data (invented for testing; not a real listing)"


@dataclass(frozen=True)
class _JobTemplate:
    title: str
    employer: str
    pay_min: float
    pay_max: float
    hours: str
    employment_type: str
    second_chance: bool
    recovery_friendly: bool
    description: str


JOB_TEMPLATES = [
    _JobTemplate("Warehouse Associate", "Keystone Freight Works (demo)", 17, 19,
                 "2nd shift, 3pm-11:30pm", "FULL_TIME", True, True,
                 "Pick, pack and load orders. No experience needed; paid training."),
    _JobTemplate("Line Cook", "Second Street Kitchen (demo)", 15, 17,
                 "evenings and weekends", "PART_TIME", True, True,
                 "Prep and line work in a busy kitchen. Schedule works around meetings."),
    _JobTemplate("Landscaping Crew Member", "Fresh Start Grounds Co. (demo)", 16, 18,
                 "Mon-Fri 7am-3:30pm", "FULL_TIME", True, False,
                 "Mowing, planting and cleanup. Must be able to lift 50 lb."),
]


def _demo_phone(county_index: int, item: int) -> str:
    return f"(555) 555-01{(county_index * 4 + item) % 100:02d}"


def _town_place(town: str) -> geo.Place:
    return geo.resolve_place(town)


def demo_job_postings() -> Iterator[JobPosting]:
    for ci, (county, town) in enumerate(LARGEST_COUNTIES.items()):
        place = _town_place(town)
        for ji, t in enumerate(JOB_TEMPLATES):
            yield JobPosting(
                id=stable_id("demo-job", county, t.title), identifier=f"demo-{county}-{ji}",
                title=t.title, description=t.description, hiring_organization=t.employer,
                city=place.name, county=county, latitude=place.latitude,
                longitude=place.longitude, coordinates_approximate=True,
                base_salary_min=t.pay_min, base_salary_max=t.pay_max, salary_currency="USD",
                salary_unit="HOUR", work_hours=t.hours, employment_type=t.employment_type,
                date_posted=DEMO_POSTED, valid_through=None,
                how_to_apply=f"Call {_demo_phone(ci, ji)} (demo number) and ask for hiring.",
                phone=_demo_phone(ci, ji), second_chance=t.second_chance,
                recovery_friendly=t.recovery_friendly, is_demo=True, source_url=None,
                source_date=DEMO_SOURCE)


def demo_residences() -> Iterator[tuple[SeedRecord, float]]:
    """Two residences per county: one for women (MAT-friendly), one for men; weekly fee."""
    for ci, (county, town) in enumerate(LARGEST_COUNTIES.items()):
        for ri, (who, mat, fee) in enumerate((("women", "true", 150.0), ("men", "false", 125.0))):
            label = "Women's" if who == "women" else "Men's"
            name = f"{town} {label} Recovery Residence (demo)"
            yield SeedRecord(
                key=f"demo-residence|{county}|{who}", organization=name, name=name,
                description=(f"Recovery residence for {who}. "
                             + ("Accepts residents on MAT (buprenorphine/methadone). "
                                if mat == "true" else "")
                             + "House meetings, curfew, help finding work. Demo listing."),
                needs=["housing"], source_url=None, source_date=DEMO_SOURCE,
                source_title=None, notes="Invented demo record: not a real residence.",
                city=_town_place(town).name, county=county, phones=_demo_phone(ci, 3 + ri),
                filters={"gender_served": who, "mat_friendly": mat, "address_private": "true",
                         "accepts_people_with_records": "true", "cost": "paid"}), fee


def seed_demo(session: Session) -> int:
    count = 0
    for job in demo_job_postings():
        session.merge(job)
        count += 1
    for record, weekly_fee in demo_residences():
        sid = _store(session, record, demo=True)
        session.merge(CostOption(id=stable_id("cost", sid), service_id=sid,
                                 option="Weekly program fee", currency="USD", amount=weekly_fee,
                                 amount_description=f"${weekly_fee:g} per week (demo)"))
        count += 1
    return count


def remove_demo(session: Session) -> int:
    """Delete every demo record (services with all their rows, organizations, job postings):
    a database seeded with demo before demo became opt-in shows real listings only after
    this. Returns how many services and postings were removed."""
    services = list(session.scalars(select(Service.id).where(Service.is_demo.is_(True))))
    organizations = list(session.scalars(select(Organization.id)
                                         .where(Organization.is_demo.is_(True))))
    locations = list(session.scalars(select(Location.id)
                                     .where(Location.organization_id.in_(organizations))))
    for start in range(0, max(len(services), len(locations)), 500):
        some = services[start:start + 500]
        places = locations[start:start + 500]
        session.execute(delete(Attribute).where(Attribute.link_id.in_(some)))
        for model in (Phone, Schedule, Language, CostOption, ServiceArea, ServiceAtLocation):
            session.execute(delete(model).where(model.service_id.in_(some)))
        for model in (Phone, Schedule, Address):
            session.execute(delete(model).where(model.location_id.in_(places)))
        session.execute(delete(ServiceAtLocation).where(ServiceAtLocation.location_id.in_(places)))
    session.execute(delete(Service).where(Service.is_demo.is_(True)))
    session.execute(delete(Location).where(Location.id.in_(locations)))
    postings = session.execute(delete(JobPosting).where(JobPosting.is_demo.is_(True))).rowcount
    session.execute(delete(Phone).where(Phone.organization_id.in_(organizations)))
    session.execute(delete(Organization).where(Organization.is_demo.is_(True)))
    return len(services) + (postings or 0)
