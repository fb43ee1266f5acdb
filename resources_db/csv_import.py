"""Add or update services from one CSV file (all or nothing, errors by line number).

One row is one service, described in full. Columns (a header row names them; order is free):

| column          | meaning                                                                    |
| --------------- | -------------------------------------------------------------------------- |
| id              | an existing service's id, to update it; blank adds a service (its id is   |
|                 | stable: the same organization + name updates it on the next import)        |
| name *          | the service's name                                                         |
| organization *  | the organization's name (a new one is added when there is none by it)     |
| needs *         | need codes, separated by ";" (jobs; careerlink; housing; ...: taxonomy.py) |
| description     | what it offers                                                             |
| street, city,   | where it is, in Pennsylvania (coordinates: the zip, town or county         |
| zip, county     | centroid, flagged approximate)                                             |
| counties_served | PA counties it serves, ";" between them                                    |
| statewide       | true when it serves all of Pennsylvania                                    |
| phone           | one or more numbers, ";" between them; text around a number is its note    |
| website, email  | the service's website (http/https) and email                               |
| hours           | opening hours as text ("Mon-Fri 8:00 AM - 4:30 PM")                         |
| languages       | ";" between them                                                           |
| source_url,     | provenance: the page the facts come from, its date as it states it,        |
| source_date,    | its title, caveats for coaches                                             |
| source_title,   |                                                                            |
| coach_notes     |                                                                            |
| demo            | true for invented demo data                                                |
| mat_friendly, accepts_people_with_records, evening_hours, weekend_hours (true/false),     |
| gender_served (women/men/any), cost (free/sliding_scale/paid)                              |

(* required.) Yes/no columns take true/false (or yes/no, 1/0; blank is false).

Child rows get the seed's ids (seed.py), so a row can update a seeded service in place; the
service's phones, schedules, languages, service areas, locations and need/filter attributes
are replaced by the row's (cost options and other columns of the service are kept).
Every row is checked before anything is written; the errors name their line ("line 7: zip
44101 is not in Pennsylvania") and on any error nothing is written.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from resources_db import geo
from resources_db.db import Base
from resources_db.exchange import ImportFailed, Rows, read_text, write_rows
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
    TaxonomyTerm,
)
from resources_db.schedules import parse_hours
from resources_db.seed import approximate_point, parse_source_date, split_phones
from resources_db.taxonomy import FILTERS, NEEDS, stable_id, term_id

REQUIRED = ("name", "organization", "needs")
TEXT_COLUMNS = ("description", "street", "hours", "source_date", "source_title", "coach_notes")
BOOLEAN_FILTERS = ("mat_friendly", "accepts_people_with_records", "evening_hours",
                   "weekend_hours", "address_private", "lead_needs_intake")
CHOICE_FILTERS = {"gender_served": ("women", "men", "any"),
                  "cost": ("free", "sliding_scale", "paid"),
                  "refers_for": tuple(NEEDS)}
COLUMNS = ("id", "name", "organization", "needs", "description", "street", "city", "zip",
           "county", "counties_served", "statewide", "phone", "website", "email", "hours",
           "languages", "source_url", "source_date", "source_title", "coach_notes", "demo",
           *FILTERS)
# What a row describes in full, by (table, the column that points at the service).
REPLACED = ((Phone, "service_id"), (Schedule, "service_id"), (Language, "service_id"),
            (ServiceArea, "service_id"), (ServiceAtLocation, "service_id"), (Attribute, "link_id"))
_TRUE, _FALSE = ("true", "yes", "y", "1"), ("false", "no", "n", "0", "")


@dataclass
class ServiceRow:
    """One CSV row, checked and normalised."""

    line: int
    id: str
    name: str
    organization: str
    needs: list[str]
    text: dict[str, str | None]  # TEXT_COLUMNS
    city: str | None = None
    zip: str | None = None
    county: str | None = None
    counties_served: list[str] = field(default_factory=list)
    statewide: bool = False
    demo: bool = False
    phones: list[tuple[str, str | None]] = field(default_factory=list)
    website: str | None = None
    email: str | None = None
    source_url: str | None = None
    languages: list[str] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def has_place(self) -> bool:
        return bool(self.text["street"] or self.city or self.zip or self.county)


def import_csv(session: Session, path: Path) -> dict[str, int]:
    """Import a services CSV; returns rows written per table. ImportFailed: nothing was."""
    if session.get(TaxonomyTerm, term_id(next(iter(NEEDS)))) is None:
        raise ImportFailed([f"{path.name}: the need taxonomy is not in the database: run "
                            "`navigator db seed` (or import an HSDS export) first"])
    records, problems = read_rows(path)
    if problems:
        raise ImportFailed([f"{path.name} {p}" for p in problems])
    parsed: dict[str, ServiceRow] = {}
    for line, values in records:
        if (row := parse_row(line, values, session, problems)) is None:
            continue
        if row.id in parsed:
            problems.append(f"line {line}: duplicate id {row.id} (also line "
                            f"{parsed[row.id].line}; without an id, rows with the same "
                            "organization and name are the same service)")
        parsed.setdefault(row.id, row)
    if problems:
        raise ImportFailed([f"{path.name} {p}" for p in problems])
    rows = Rows()
    for row in parsed.values():
        for model, column in REPLACED:
            rows.replace_children(model, column, row.id)
        for record in service_records(row, session):
            add = rows.add_first if isinstance(record, Organization) else rows.add
            add(record, f"{path.name} line {row.line}")
    rows.check(session)
    return write_rows(session, rows)


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """(line number, values) per data row, and the header's problems."""
    reader = csv.DictReader(read_text(path).splitlines(keepends=True))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    problems = [f"line 1: unknown column {c!r} (known: {', '.join(COLUMNS)})"
                for c in header if c not in COLUMNS]
    problems += [f"line 1: the required column {c!r} is missing" for c in REQUIRED
                 if c not in header]
    records = []
    for values in reader:
        if any((v or "").strip() for k, v in values.items() if k is not None):
            records.append((reader.line_num, {k: (v or "").strip() for k, v in values.items()
                                              if isinstance(k, str)}))
    return records, problems


def parse_row(line: int, values: dict[str, str], session: Session,
              problems: list[str]) -> ServiceRow | None:
    """A checked ServiceRow, or None with the row's problems added to `problems`."""
    found: list[str] = []

    def get(column: str, parse: Callable[[str], Any]) -> Any:
        try:
            return parse(values.get(column, ""))
        except ValueError as exc:
            found.append(f"line {line}: {exc}")
            return None

    row = ServiceRow(
        line=line, id=get("id", lambda v: _service_id(v, values, session)),
        name=get("name", _required("name")), organization=get("organization",
                                                               _required("organization")),
        needs=get("needs", _needs), text={c: values.get(c) or None for c in TEXT_COLUMNS},
        city=get("city", _town), zip=get("zip", _zip), county=get("county", _county),
        counties_served=get("counties_served", lambda v: [_county(c) for c in _split(v)]),
        statewide=get("statewide", _yes_no("statewide")), demo=get("demo", _yes_no("demo")),
        phones=get("phone", _phones), website=get("website", _url("website")),
        email=get("email", _email), source_url=get("source_url", _url("source_url")),
        languages=_split(values.get("languages", "")),
        filters={c: v for c in FILTERS if (v := get(c, _filter(c)))})
    if not found:
        found += [f"line {line}: {p}" for p in _place_problems(row)]
    problems.extend(found)
    return None if found else row


# --- one column each ------------------------------------------------------------------------

def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r";", text) if part.strip()]


def _required(column: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text:
            raise ValueError(f"{column} is required")
        return text
    return parse


def _service_id(text: str, values: dict[str, str], session: Session) -> str:
    if not text:
        return stable_id("service", f"csv|{values.get('organization', '')}|"
                                    f"{values.get('name', '')}")
    try:
        service_id = str(uuid.UUID(text))
    except ValueError as exc:
        raise ValueError(f"id {text!r} is not a UUID") from exc
    if session.get(Service, service_id) is None:
        raise ValueError(f"no service has id {service_id} (leave id blank to add a service)")
    return service_id


def _needs(text: str) -> list[str]:
    needs = [n.lower() for n in _split(text.replace(",", ";"))]
    if not needs:
        raise ValueError(f"needs is required (one or more of: {', '.join(NEEDS)})")
    if unknown := [n for n in needs if n not in NEEDS]:
        raise ValueError(f"unknown need(s) {', '.join(unknown)} (known: {', '.join(NEEDS)})")
    return needs


def _zip(text: str) -> str | None:
    if not text:
        return None
    if not re.fullmatch(r"\d{5}(-\d{4})?", text):
        raise ValueError(f"zip {text!r} is not a zip code")
    if geo.lookup_zip(text) is None:
        try:
            geo.resolve_place(text[:5])
        except geo.OutsidePennsylvania as exc:
            raise ValueError(f"zip {exc}") from exc
        except geo.PlaceError as exc:
            raise ValueError(f"zip {text[:5]} is not a Pennsylvania zip code") from exc
    return text[:5]


def _town(text: str) -> str | None:
    if text:
        try:
            geo.resolve_place(text)
        except geo.OutsidePennsylvania as exc:
            raise ValueError(f"city {text!r}: {exc}") from exc
        except geo.PlaceError:
            pass  # a municipality the gazetteer does not know: the zip or county places it
    return text or None


def _county(text: str) -> str | None:
    if not text:
        return None
    if (key := geo.county_key(text)) is None:
        raise ValueError(f"county {text!r} is not a Pennsylvania county")
    return next(c for c in geo.PA_COUNTIES if c.lower() == key)


def _yes_no(column: str) -> Callable[[str], bool]:
    def parse(text: str) -> bool:
        if text.lower() not in _TRUE + _FALSE:
            raise ValueError(f"{column} must be true or false, not {text!r}")
        return text.lower() in _TRUE
    return parse


def _filter(column: str) -> Callable[[str], str | None]:
    def parse(text: str) -> str | None:
        if not text:
            return None
        if column in BOOLEAN_FILTERS:
            return "true" if _yes_no(column)(text) else "false"
        if text.lower() not in CHOICE_FILTERS[column]:
            raise ValueError(f"{column} must be one of {', '.join(CHOICE_FILTERS[column])}, "
                             f"not {text!r}")
        return text.lower()
    return parse


def _phones(text: str) -> list[tuple[str, str | None]]:
    phones = split_phones(text) if text else []
    if text and not phones:
        raise ValueError(f"phone {text!r} has no phone number in it")
    return phones


def _url(column: str) -> Callable[[str], str | None]:
    def parse(text: str) -> str | None:
        if text and not re.fullmatch(r"https?://[^\s/]+\S*", text):
            raise ValueError(f"{column} {text!r} is not a web address (http:// or https://)")
        return text or None
    return parse


def _email(text: str) -> str | None:
    if text and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise ValueError(f"email {text!r} is not an email address")
    return text or None


def _place_problems(row: ServiceRow) -> Iterator[str]:
    zip_place = geo.lookup_zip(row.zip) if row.zip else None
    if zip_place and row.county and zip_place.county != row.county:
        yield f"zip {row.zip} is in {zip_place.county} County, not {row.county}"
    if row.has_place and approximate_point(row.zip or "", row.city or "", row.county or "") \
            is None:
        yield f"cannot place {row.city!r} in Pennsylvania: give its zip or county"


# --- rows -------------------------------------------------------------------------------------

def service_records(row: ServiceRow, session: Session) -> Iterator[Base]:
    """The directory rows of one CSV row (ids as seed.py makes them)."""
    org_id = stable_id("org", row.organization)
    if session.get(Organization, org_id) is None:
        yield Organization(id=org_id, name=row.organization, description="",
                           website=row.website, is_demo=row.demo)
    source_date = row.text["source_date"]
    yield Service(id=row.id, organization_id=org_id, name=row.name,
                  description=row.text["description"], url=row.website, email=row.email,
                  status="active", assured_date=parse_source_date(source_date or ""),
                  source_url=row.source_url, source_date=source_date or "undated",
                  source_title=row.text["source_title"], coach_notes=row.text["coach_notes"],
                  is_demo=row.demo, is_statewide=row.statewide)
    if row.has_place:
        yield from _place_records(row, org_id)
    for i, (number, note) in enumerate(row.phones):
        yield Phone(id=stable_id("phone", row.id, str(i)), service_id=row.id, number=number,
                    description=note)
    for county in row.counties_served:
        yield ServiceArea(id=stable_id("area", row.id, county), service_id=row.id, name=county,
                          extent_type="county", description=f"{county} County")
    yield from _schedule_records(row)
    for language in row.languages:
        yield Language(id=stable_id("language", row.id, language), service_id=row.id,
                       name=language)
    for code, value in [(n, "true") for n in row.needs] + list(row.filters.items()):
        yield Attribute(id=stable_id("attr", row.id, code), link_id=row.id, link_type="service",
                        link_entity="service", taxonomy_term_id=term_id(code), value=value)


def _place_records(row: ServiceRow, org_id: str) -> Iterator[Base]:
    point = approximate_point(row.zip or "", row.city or "", row.county or "")
    location_id = stable_id("location", row.id)
    yield Location(id=location_id, organization_id=org_id, name=row.name,
                   latitude=point[0], longitude=point[1], coordinates_approximate=True)
    yield Address(id=stable_id("address", location_id), location_id=location_id,
                  address_1=row.text["street"] or "", city=row.city or "",
                  region=_county_of(row),
                  state_province="PA", postal_code=row.zip or "")
    yield ServiceAtLocation(id=stable_id("sal", row.id, location_id), service_id=row.id,
                            location_id=location_id)


def _county_of(row: ServiceRow) -> str | None:
    """The county column, else the zip's county, else the town's."""
    for text in (row.zip, row.city):
        try:
            place = geo.resolve_place(text) if text and not row.county else None
        except geo.PlaceError:
            continue
        if place:
            return place.county
    return row.county


def _schedule_records(row: ServiceRow) -> Iterator[Schedule]:
    """Weekly hours where the text states them; the text itself is always the description."""
    hours = row.text["hours"]
    if not hours:
        return
    for i, weekly in enumerate(parse_hours(hours) or [None]):
        yield Schedule(id=stable_id("schedule", row.id, str(i)), service_id=row.id,
                       description=hours, timezone="America/New_York",
                       freq="WEEKLY" if weekly else None,
                       byday=weekly.byday if weekly else None,
                       opens_at=weekly.opens_at if weekly else None,
                       closes_at=weekly.closes_at if weekly else None)
