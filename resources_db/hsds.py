"""Our directory rows <-> Open Referral HSDS 3.0 nested JSON (compiled service / organization).

Field names follow HSDS; FIELDS lists, per table, the columns that are HSDS fields one to one.

What HSDS has no field for travels as HSDS **attributes** on a taxonomy of our own, the
"Recovery-to-Work record notes" taxonomy (PROVENANCE_TAXONOMY_ID), one attribute per value,
linked to the record it describes (link_id = the record's id, link_entity = its table):

| record       | term code               | our column              | value                      |
| ------------ | ----------------------- | ----------------------- | -------------------------- |
| organization | demo                    | is_demo                 | "true" / "false"           |
| service      | demo                    | is_demo                 | "true" / "false"           |
| service      | statewide               | is_statewide            | "true" / "false"           |
| service      | source_url              | source_url              | text (omitted when null)   |
| service      | source_date             | source_date             | text, as the source states |
| service      | source_title            | source_title            | text                       |
| service      | coach_notes             | coach_notes             | text                       |
| location     | coordinates_approximate | coordinates_approximate | "true" / "false"           |
| schedule     | timezone                | timezone                | "America/New_York" (HSDS's |
|              |                         |                         | timezone is a UTC offset)  |
| phone        | extension               | extension               | only when not a plain      |
|              |                         |                         | number (HSDS: a number)    |

Their ids are stable (stable_id("note", record id, code)), every one carries its full
taxonomy_term (with taxonomy_detail), and import turns them back into the columns: they are
never stored as attribute rows. Our need and filter attributes (taxonomy.py) are ordinary
attribute rows and travel as they are. The JSON stays valid against the official schemas.

Nesting: a service nests its organization (its own fields, attributes and metadata only), phones,
schedules, service areas, languages, cost options, and service_at_locations -> location ->
addresses (+ the location's own phones and schedules). An organization nests its phones (those
of no service or location) and its locations. Attributes and metadata rows attach to whichever
nested record they describe. Nested lists are sorted by id, so exports are deterministic.

Reading back (rows_from_hsds) keeps every id, fills the parent ids nesting implies, and skips
HSDS parts we have no table for (contacts, funding, programs, accessibility, ...).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    Time,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, selectinload

from resources_db.db import Base
from resources_db.models import (
    Address,
    Attribute,
    CostOption,
    JobPosting,
    Language,
    Location,
    Metadata,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from resources_db.taxonomy import stable_id

SCHEMA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "hsds-3.0"

# Columns that are HSDS fields, one to one, per table (JobPosting: ours, for the CSV package).
FIELDS: dict[type[Base], tuple[str, ...]] = {
    Organization: ("id", "name", "alternate_name", "description", "email", "website"),
    Service: ("id", "organization_id", "name", "alternate_name", "description", "url", "email",
              "status", "application_process", "fees_description", "eligibility_description",
              "assured_date", "last_modified"),
    Location: ("id", "location_type", "organization_id", "name", "description", "transportation",
               "latitude", "longitude"),
    Address: ("id", "location_id", "address_1", "city", "region", "state_province",
              "postal_code", "country", "address_type"),
    Phone: ("id", "service_id", "location_id", "organization_id", "number", "type",
            "description"),
    Schedule: ("id", "service_id", "location_id", "freq", "byday", "opens_at", "closes_at",
               "description"),
    Language: ("id", "service_id", "name", "code", "note"),
    CostOption: ("id", "service_id", "option", "currency", "amount", "amount_description"),
    ServiceArea: ("id", "service_id", "name", "description", "extent_type"),
    ServiceAtLocation: ("id", "service_id", "location_id"),
    Taxonomy: ("id", "name", "description"),
    TaxonomyTerm: ("id", "taxonomy_id", "code", "name", "description"),
    Attribute: ("id", "link_id", "link_type", "link_entity", "taxonomy_term_id", "value"),
    Metadata: ("id", "resource_id", "resource_type", "last_action_date", "last_action_type",
               "field_name", "previous_value", "replacement_value", "updated_by"),
    JobPosting: tuple(c.key for c in JobPosting.__table__.columns if c.key != "grid_cell"),
}

# HSDS fields we write that are not one-to-one columns (CSV columns, with their types).
EXTRA_FIELDS: dict[type[Base], dict[str, str]] = {
    Phone: {"extension": "number"},
    TaxonomyTerm: {"taxonomy": "string"},
}

_ATTACHED = {"attributes": Attribute, "metadata": Metadata}
# What HSDS nests in what, for the tables we have (the key in the parent -> the child's table).
CHILDREN: dict[type[Base], dict[str, type[Base]]] = {
    Organization: {"phones": Phone, "locations": Location, "services": Service, **_ATTACHED},
    Service: {"organization": Organization, "phones": Phone, "schedules": Schedule,
              "service_areas": ServiceArea, "service_at_locations": ServiceAtLocation,
              "languages": Language, "cost_options": CostOption, **_ATTACHED},
    ServiceAtLocation: {"location": Location, **_ATTACHED},
    Location: {"addresses": Address, "phones": Phone, "schedules": Schedule, **_ATTACHED},
    Attribute: {"taxonomy_term": TaxonomyTerm, "metadata": Metadata},
    TaxonomyTerm: {"taxonomy_detail": Taxonomy, "metadata": Metadata},
    Taxonomy: {"metadata": Metadata},
    Metadata: {},
} | {model: dict(_ATTACHED) for model in (Address, Phone, Schedule, Language, CostOption,
                                           ServiceArea)}

MODEL_OF_TABLE: dict[str, type[Base]] = {m.__tablename__: m for m in FIELDS}


class HsdsValueError(ValueError):
    """A value in an HSDS object that our columns cannot hold."""


# --- what HSDS has no field for: attributes on our own taxonomy ------------------------------

PROVENANCE_TAXONOMY_ID = stable_id("taxonomy", "record notes")
PROVENANCE_TAXONOMY = {
    "id": PROVENANCE_TAXONOMY_ID,
    "name": "Recovery-to-Work record notes",
    "description": "Provenance, demo and precision notes of the Recovery-to-Work Navigator "
                   "directory that HSDS has no field for (one attribute per value).",
}


@dataclass(frozen=True)
class Carried:
    """One column carried as an attribute on the record-notes taxonomy."""

    code: str
    column: str
    description: str
    plain_number_in_hsds: bool = False  # phone extension: only when HSDS's number can't hold it

    @property
    def term_id(self) -> str:
        return stable_id("note-term", self.code)

    def term(self) -> dict[str, Any]:
        return {"id": self.term_id, "taxonomy_id": PROVENANCE_TAXONOMY_ID, "code": self.code,
                "name": self.code.replace("_", " ").capitalize(), "description": self.description,
                "taxonomy": PROVENANCE_TAXONOMY["name"], "taxonomy_detail": PROVENANCE_TAXONOMY}


_DEMO = Carried("demo", "is_demo", "true when the record is invented demo data, not a real one")
CARRIED: dict[type[Base], tuple[Carried, ...]] = {
    Organization: (_DEMO,),
    Service: (
        _DEMO,
        Carried("statewide", "is_statewide", "true when the service serves all of Pennsylvania"),
        Carried("source_url", "source_url", "the page the facts were read from"),
        Carried("source_date", "source_date", "the source's date, as the source states it"),
        Carried("source_title", "source_title", "the title of the source"),
        Carried("coach_notes", "coach_notes", "caveats for recovery coaches"),
    ),
    Location: (Carried("coordinates_approximate", "coordinates_approximate",
                       "true when the coordinates are a zip/town/county centroid"),),
    Schedule: (Carried("timezone", "timezone", "IANA time zone of opens_at / closes_at"),),
    Phone: (Carried("extension", "extension", "the extension, when it is not a plain number",
                    plain_number_in_hsds=True),),
}
CARRIED_BY_TERM: dict[str, Carried] = {c.term_id: c for cs in CARRIED.values() for c in cs}


def carried_terms() -> list[dict[str, Any]]:
    """The record-notes taxonomy terms (for taxonomy term listings and the CSV package)."""
    return sorted({c.term_id: c.term() for c in CARRIED_BY_TERM.values()}.values(),
                  key=lambda t: t["id"])


def _is_plain_number(text: str) -> bool:
    return text.isdigit() and str(int(text)) == text


def _carried_attributes(row: Base) -> list[dict[str, Any]]:
    out = []
    for c in CARRIED.get(type(row), ()):
        value = getattr(row, c.column)
        if value is None or (c.plain_number_in_hsds and _is_plain_number(value)):
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        table = type(row).__tablename__
        out.append({"id": stable_id("note", row.id, c.code), "link_id": row.id,
                    "link_type": table, "link_entity": table, "taxonomy_term_id": c.term_id,
                    "value": text, "taxonomy_term": c.term(), "metadata": []})
    return out


# --- values -----------------------------------------------------------------------------------

def to_json_value(value: Any) -> Any:
    """A column value as HSDS writes it (dates ISO 8601, times HH:MM, datetimes in UTC)."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        exact = value.second or value.microsecond
        return value.isoformat() if exact else value.isoformat(timespec="minutes")
    return value


def from_json_value(model: type[Base], name: str, value: Any) -> Any:
    """An HSDS value as our column `name` holds it; HsdsValueError when it can't."""
    if value is None:
        return None
    kind = type(model.__table__.columns[name].type)
    try:
        return _PARSERS.get(kind, _text)(value)
    except (TypeError, ValueError) as exc:
        raise HsdsValueError(f"{name}: {value!r} is not a valid {kind.__name__.lower()}") from exc


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        raise TypeError("not text")
    return value if isinstance(value, str) else json.dumps(value)


def _datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "false"):
        return str(value).strip().lower() == "true"
    raise ValueError(value)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    return float(value)


_PARSERS = {
    Date: dt.date.fromisoformat, DateTime: _datetime, Time: dt.time.fromisoformat,
    Float: _number, Numeric: _number, Integer: int, Boolean: _boolean,
}


def fields_of(row: Base) -> dict[str, Any]:
    """The row's HSDS one-to-one fields that have a value (numbers as floats on every database)."""
    columns = type(row).__table__.columns
    out = {}
    for name in FIELDS[type(row)]:
        if (value := getattr(row, name)) is not None:
            is_number = isinstance(columns[name].type, Float | Numeric)
            out[name] = float(value) if is_number else to_json_value(value)
    return out


# --- rows -> HSDS -------------------------------------------------------------------------------

@dataclass
class Links:
    """Rows that point at records by id, loaded once for the records being written."""

    attributes: dict[str, list[Attribute]] = field(default_factory=lambda: defaultdict(list))
    metadata: dict[str, list[Metadata]] = field(default_factory=lambda: defaultdict(list))
    taxonomies: dict[str, Taxonomy] = field(default_factory=dict)
    location_phones: dict[str, list[Phone]] = field(default_factory=lambda: defaultdict(list))
    location_schedules: dict[str, list[Schedule]] = field(
        default_factory=lambda: defaultdict(list))
    organization_phones: dict[str, list[Phone]] = field(
        default_factory=lambda: defaultdict(list))


def _in(column, ids: Collection[str] | None):
    return true() if ids is None else column.in_(ids)


def load_links(session: Session, ids: Collection[str] | None) -> Links:
    """Attributes, metadata and loose phones/schedules of the records `ids` (None: all)."""
    links = Links(taxonomies={t.id: t for t in session.scalars(select(Taxonomy))})
    loose_phones = session.scalars(select(Phone).where(
        Phone.service_id.is_(None),
        or_(_in(Phone.location_id, ids), _in(Phone.organization_id, ids))))
    for phone in loose_phones:
        if phone.location_id:
            links.location_phones[phone.location_id].append(phone)
        else:
            links.organization_phones[phone.organization_id].append(phone)
    loose_schedules = session.scalars(select(Schedule).where(
        Schedule.service_id.is_(None), _in(Schedule.location_id, ids)))
    for schedule in loose_schedules:
        links.location_schedules[schedule.location_id].append(schedule)
    loose_ids = [r.id for rows in (*links.location_phones.values(),
                                   *links.organization_phones.values(),
                                   *links.location_schedules.values()) for r in rows]
    every = None if ids is None else {*ids, *loose_ids}
    attributes = session.scalars(select(Attribute).where(_in(Attribute.link_id, every))
                                 .options(selectinload(Attribute.taxonomy_term)))
    for attribute in attributes:
        links.attributes[attribute.link_id].append(attribute)
    for meta in session.scalars(select(Metadata).where(_in(Metadata.resource_id, every))):
        links.metadata[meta.resource_id].append(meta)
    return links


def _by_id(rows: Iterable[Base]) -> list[Base]:
    return sorted(rows, key=lambda r: r.id)


class HsdsWriter:
    """Nested HSDS objects for rows, with their attributes and metadata from `links`."""

    def __init__(self, links: Links) -> None:
        self.links = links

    def record(self, row: Base, **children: list[dict] | dict) -> dict[str, Any]:
        out = fields_of(row) | children
        attributes = [self.attribute(a) for a in self.links.attributes.get(row.id, [])]
        out["attributes"] = sorted(attributes + _carried_attributes(row), key=lambda a: a["id"])
        out["metadata"] = [fields_of(m) for m in _by_id(self.links.metadata.get(row.id, []))]
        return out

    def many(self, rows: Iterable[Base]) -> list[dict[str, Any]]:
        return [self.record(r) for r in _by_id(rows)]

    def attribute(self, attribute: Attribute) -> dict[str, Any]:
        return self.record(attribute, taxonomy_term=self.term(attribute.taxonomy_term))

    def term(self, term: TaxonomyTerm) -> dict[str, Any]:
        out = fields_of(term)
        if taxonomy := self.links.taxonomies.get(term.taxonomy_id):
            out["taxonomy"] = taxonomy.name
            out["taxonomy_detail"] = fields_of(taxonomy)
        return out

    def phone(self, phone: Phone) -> dict[str, Any]:
        out = self.record(phone)
        if phone.extension and _is_plain_number(phone.extension):
            out["extension"] = int(phone.extension)
        return out

    def location(self, location: Location) -> dict[str, Any]:
        return self.record(
            location, addresses=self.many(location.addresses),
            phones=[self.phone(p) for p in _by_id(self.links.location_phones[location.id])],
            schedules=self.many(self.links.location_schedules[location.id]))

    def service(self, service: Service) -> dict[str, Any]:
        return self.record(
            service, organization=self.record(service.organization),
            phones=[self.phone(p) for p in _by_id(service.phones)],
            schedules=self.many(service.schedules), service_areas=self.many(service.service_areas),
            languages=self.many(service.languages), cost_options=self.many(service.cost_options),
            service_at_locations=[self.record(sal, location=self.location(sal.location))
                                  for sal in _by_id(service.service_at_locations)])

    def organization(self, organization: Organization, locations: Sequence[Location],
                     services: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        phones = _by_id(self.links.organization_phones[organization.id])
        out = self.record(organization, phones=[self.phone(p) for p in phones],
                          locations=[self.location(loc) for loc in _by_id(locations)])
        if services is not None:
            out["services"] = services
        return out


SERVICE_TREE = (
    selectinload(Service.organization),
    selectinload(Service.phones), selectinload(Service.schedules),
    selectinload(Service.languages), selectinload(Service.cost_options),
    selectinload(Service.service_areas),
    selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
    .selectinload(Location.addresses),
)


def _service_tree_ids(service: Service) -> Iterator[str]:
    yield from (service.id, service.organization_id)
    for rows in (service.phones, service.schedules, service.languages, service.cost_options,
                 service.service_areas, service.service_at_locations):
        yield from (r.id for r in rows)
    for sal in service.service_at_locations:
        yield sal.location_id
        yield from (a.id for a in sal.location.addresses)


def load_services(session: Session, ids: Collection[str] | None = None) -> list[Service]:
    query = select(Service).options(*SERVICE_TREE).order_by(Service.id)
    return list(session.scalars(query if ids is None else query.where(Service.id.in_(ids))))


def services_to_hsds(session: Session, services: Sequence[Service], *,
                     everything: bool = False) -> list[dict[str, Any]]:
    """Fully nested HSDS services (`everything`: load links for the whole directory at once)."""
    ids = None if everything else {i for s in services for i in _service_tree_ids(s)}
    writer = HsdsWriter(load_links(session, ids))
    return [writer.service(s) for s in services]


def organizations_to_hsds(session: Session, organizations: Sequence[Organization], *,
                          everything: bool = False,
                          services: dict[str, list[dict[str, Any]]] | None = None
                          ) -> list[dict[str, Any]]:
    """Fully nested HSDS organizations; `services` (by organization id) is nested when given."""
    org_ids = [o.id for o in organizations]
    locations: dict[str, list[Location]] = defaultdict(list)
    query = select(Location).options(selectinload(Location.addresses))
    for location in session.scalars(query.where(_in(Location.organization_id,
                                                    None if everything else org_ids))):
        locations[location.organization_id].append(location)
    ids = None if everything else {*org_ids, *(loc.id for ls in locations.values() for loc in ls),
                                   *(a.id for ls in locations.values() for loc in ls
                                     for a in loc.addresses)}
    writer = HsdsWriter(load_links(session, ids))
    return [writer.organization(o, locations[o.id],
                                None if services is None else services.get(o.id, []))
            for o in organizations]


def service_summaries(session: Session, services: Sequence[Service]) -> list[dict[str, Any]]:
    """Services with their one-to-one fields, attributes and metadata (for listings)."""
    writer = HsdsWriter(load_links(session, [s.id for s in services]))
    return [writer.record(s) for s in services]


def organization_summaries(session: Session, organizations: Sequence[Organization]
                           ) -> list[dict[str, Any]]:
    writer = HsdsWriter(load_links(session, [o.id for o in organizations]))
    return [writer.record(o) for o in organizations]


def taxonomy_terms_to_hsds(session: Session, terms: Sequence[TaxonomyTerm]
                           ) -> list[dict[str, Any]]:
    writer = HsdsWriter(Links(taxonomies={t.id: t for t in session.scalars(select(Taxonomy))}))
    return [writer.term(t) for t in terms]


def taxonomies_to_hsds(session: Session) -> list[dict[str, Any]]:
    """Every taxonomy our terms come from (the database's and the record-notes one), with its
    metadata, by name: the terms are listed apart (/taxonomy_terms?taxonomy_id=), as HSDS does."""
    rows = {t.id: t for t in session.scalars(select(Taxonomy))}
    metadata: dict[str, list[Metadata]] = defaultdict(list)
    for meta in session.scalars(select(Metadata).where(Metadata.resource_id.in_(rows))):
        metadata[meta.resource_id].append(meta)
    out = [fields_of(t) | {"metadata": [fields_of(m) for m in _by_id(metadata[t.id])]}
           for t in rows.values()]
    if PROVENANCE_TAXONOMY_ID not in rows:  # it lives here, not in the database
        out.append(PROVENANCE_TAXONOMY | {"metadata": []})
    return sorted(out, key=lambda t: (t["name"], t["id"]))


# --- HSDS -> rows -------------------------------------------------------------------------------

def row_from_fields(model: type[Base], obj: dict[str, Any]) -> Base:
    """A transient row from an object's one-to-one fields (absent fields stay unset)."""
    values = {name: from_json_value(model, name, obj[name])
              for name in FIELDS[model] if name in obj}
    return model(**values)


def children_of(model: type[Base], obj: dict[str, Any]) -> Iterator[tuple[type[Base], Any]]:
    """(table, object) for every object nested in `obj` that we have a table for."""
    for key, child_model in CHILDREN[model].items():
        value = obj.get(key)
        for child in value if isinstance(value, list) else [] if value is None else [value]:
            yield child_model, child


def rows_from_hsds(model: type[Base], obj: dict[str, Any]) -> Iterator[Base]:
    """Every row an HSDS object holds (the record first, then what it nests, depth first)."""
    if not isinstance(obj, dict):
        raise HsdsValueError(f"a {model.__tablename__} must be an object, not {obj!r}")
    row = row_from_fields(model, obj)
    _apply_carried(row, obj)
    yield row
    for child_model, child_obj in children_of(model, obj):
        if child_model is Attribute and _carried_of(child_obj):
            continue
        child_rows = rows_from_hsds(child_model, child_obj)
        child = next(child_rows)
        _link(row, child)
        yield child
        yield from child_rows


def _carried_of(attribute: Any) -> Carried | None:
    return CARRIED_BY_TERM.get(attribute.get("taxonomy_term_id")) \
        if isinstance(attribute, dict) else None


def _apply_carried(row: Base, obj: dict[str, Any]) -> None:
    if isinstance(row, Phone) and obj.get("extension") is not None:
        row.extension = str(int(obj["extension"]))
    known = {c.code for c in CARRIED.get(type(row), ())}
    for attribute in obj.get("attributes") or []:
        if (carried := _carried_of(attribute)) is None:
            continue
        if carried.code not in known:
            raise HsdsValueError(f"attribute {attribute.get('id')}: {carried.code!r} does not "
                                 f"apply to a {type(row).__tablename__}")
        setattr(row, carried.column,
                from_json_value(type(row), carried.column, attribute.get("value")))


def _link(parent: Base, child: Base) -> None:
    """Fill the ids that nesting implies, where the object left them out."""
    parent_table, child_table = type(parent).__tablename__, type(child).__tablename__
    if isinstance(child, Attribute):
        _default(child, link_id=parent.id, link_type=parent_table, link_entity=parent_table)
    elif isinstance(child, Metadata):
        _default(child, resource_id=parent.id, resource_type=parent_table)
    elif f"{parent_table}_id" in FIELDS[type(child)]:
        _default(child, **{f"{parent_table}_id": parent.id})
    elif f"{child_table}_id" in FIELDS[type(parent)]:
        _default(parent, **{f"{child_table}_id": child.id})


def _default(row: Base, **values: Any) -> None:
    for name, value in values.items():
        if getattr(row, name) is None:
            setattr(row, name, value)


# --- the official schemas ---------------------------------------------------------------------

_FORMATS = FormatChecker()


@_FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme)


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or bool(dt.datetime.fromisoformat(value))


@cache
def validator(kind: str) -> Draft202012Validator:
    """A validator for compiled/<kind>.json ("service", "organization", "service_at_location")."""
    schema = json.loads((SCHEMA_DIR / "compiled" / f"{kind}.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=_FORMATS)


def schema_errors(kind: str, obj: Any, limit: int = 5) -> list[str]:
    """Readable schema violations of one object ("phones/0/number: ... is required")."""
    errors = sorted(validator(kind).iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}"
            for e in errors[:limit]]
