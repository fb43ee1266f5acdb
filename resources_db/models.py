"""Directory tables, aligned with Open Referral HSDS 3.0 (names and columns follow the spec).

Columns HSDS has no field for (provenance notes for coaches, the demo flag, approximate
coordinates) are prefixed or documented here; need categories are HSDS attribute rows that
link a service to a taxonomy_term of our own taxonomy (see taxonomy.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Result,
    String,
    Text,
    bindparam,
    case,
    event,
    func,
    inspect,
    literal,
    null,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column, relationship

from resources_db.db import Base
from resources_db.geo import grid_cell
from resources_db.taxonomy import NEEDS, term_id


def search_key_token(code: str, value: str) -> str:
    """How an attribute reads in a search key (see refresh_search_keys at the end)."""
    return f"|{code}={value}|"


def _need_indexes(table: str, *columns: str) -> tuple[Index, ...]:
    """One partial index per need: a search for a need reads only the rows that meet it (the
    query names the token literally, as here, so SQLite and PostgreSQL pick the index)."""
    def has(code: str, function: str) -> text:
        return text(f"{function}(search_key, '{search_key_token(code, 'true')}') > 0")

    return tuple(Index(f"ix_{table}_need_{code}", *columns, sqlite_where=has(code, "instr"),
                       postgresql_where=has(code, "strpos")) for code in NEEDS)


# The columns of the search indexes on service_at_location and service_area.
SEARCH_LOCATED = ("grid_cell", "latitude", "longitude", "search_key", "assured_date", "service_id")
SEARCH_SERVING = ("name", "search_key", "assured_date", "service_id")


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(255))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    services: Mapped[list[Service]] = relationship(back_populates="organization")


class Service(Base):
    __tablename__ = "service"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="active")
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # HSDS assured_date: when the facts were last confirmed. For seed rows this is the source's
    # own date (parsed when it is a date), which coaches must read as a freshness warning.
    assured_date: Mapped[dt.date | None] = mapped_column(Date)
    # Provenance (not HSDS columns): the page the facts were read from, its date as the source
    # states it ("undated", "c. 2017"), and caveats for coaches.
    source_url: Mapped[str | None] = mapped_column(String(1000))
    source_date: Mapped[str | None] = mapped_column(String(100))
    source_title: Mapped[str | None] = mapped_column(Text)
    coach_notes: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    is_statewide: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    organization: Mapped[Organization] = relationship(back_populates="services")
    phones: Mapped[list[Phone]] = relationship(back_populates="service")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(back_populates="service")
    schedules: Mapped[list[Schedule]] = relationship(back_populates="service")
    languages: Mapped[list[Language]] = relationship(back_populates="service")
    cost_options: Mapped[list[CostOption]] = relationship(back_populates="service")
    service_areas: Mapped[list[ServiceArea]] = relationship(back_populates="service")


class Location(Base):
    __tablename__ = "location"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    transportation: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # True when the coordinates are a zip/town/county centroid, not the building.
    coordinates_approximate: Mapped[bool] = mapped_column(Boolean, default=True)
    grid_cell: Mapped[int | None] = mapped_column(Integer, index=True)  # see geo.grid_cell

    addresses: Mapped[list[Address]] = relationship(back_populates="location")


class ServiceAtLocation(Base):
    __tablename__ = "service_at_location"
    # A radius search reads only this index: the cells, then key and coordinates (see search.py).
    __table_args__ = (Index("ix_service_at_location_search", *SEARCH_LOCATED),
                      *_need_indexes("service_at_location", *SEARCH_LOCATED))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)
    # Copies for search (not HSDS), kept current by refresh_search_keys(): the location's grid
    # cell and coordinates, the service's search key and assured_date (ranks ties).
    grid_cell: Mapped[int | None] = mapped_column(Integer)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    search_key: Mapped[str | None] = mapped_column(Text)
    assured_date: Mapped[dt.date | None] = mapped_column(Date)

    service: Mapped[Service] = relationship(back_populates="service_at_locations")
    location: Mapped[Location] = relationship()


class Address(Base):
    __tablename__ = "address"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)
    address_1: Mapped[str] = mapped_column(String(255), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str | None] = mapped_column(String(100))  # the county, bare name ("Erie")
    state_province: Mapped[str] = mapped_column(String(2), default="PA")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    country: Mapped[str] = mapped_column(String(2), default="US")
    address_type: Mapped[str] = mapped_column(String(20), default="physical")

    location: Mapped[Location] = relationship(back_populates="addresses")


class Phone(Base):
    __tablename__ = "phone"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"), index=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    number: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(20))  # HSDS: text, voice, fax, cell, ...
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="phones")


class Taxonomy(Base):
    __tablename__ = "taxonomy"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")


class TaxonomyTerm(Base):
    __tablename__ = "taxonomy_term"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    taxonomy_id: Mapped[str] = mapped_column(ForeignKey("taxonomy.id"), index=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")


class Attribute(Base):
    """HSDS attribute: links any record (link_type/link_id) to a taxonomy term, with a value."""

    __tablename__ = "attribute"
    # "which services have need X / filter X = v": the search's hottest lookup.
    __table_args__ = (Index("ix_attribute_term_value_link", "taxonomy_term_id", "value", "link_id"),
                      # ... as the search asks it (of services): answered from the index alone.
                      Index("ix_attribute_term_value_type_link", "taxonomy_term_id", "value",
                            "link_type", "link_id"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    link_id: Mapped[str] = mapped_column(String(36), index=True)
    link_type: Mapped[str] = mapped_column(String(50))  # "service", "location", ...
    link_entity: Mapped[str] = mapped_column(String(50))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("taxonomy_term.id"), index=True)
    value: Mapped[str | None] = mapped_column(String(255))

    taxonomy_term: Mapped[TaxonomyTerm] = relationship()


class Schedule(Base):
    """HSDS schedule, weekly opening hours (RFC 5545 style byday, local America/New_York)."""

    __tablename__ = "schedule"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("location.id"), index=True)
    freq: Mapped[str | None] = mapped_column(String(10))  # "WEEKLY"
    byday: Mapped[str | None] = mapped_column(String(50))  # "MO,TU,WE"
    opens_at: Mapped[dt.time | None] = mapped_column()
    closes_at: Mapped[dt.time | None] = mapped_column()
    timezone: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="schedules")


class Language(Base):
    __tablename__ = "language"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(20))  # ISO 639
    note: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service | None] = relationship(back_populates="languages")


class CostOption(Base):
    __tablename__ = "cost_option"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    option: Mapped[str | None] = mapped_column(String(255))
    currency: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    amount_description: Mapped[str | None] = mapped_column(Text)

    service: Mapped[Service] = relationship(back_populates="cost_options")


class ServiceArea(Base):
    """Where a service is offered; for us, usually a list of counties (name = county)."""

    __tablename__ = "service_area"
    # "who serves this county" reads only this index (see search.py).
    __table_args__ = (Index("ix_service_area_search", *SEARCH_SERVING),
                      *_need_indexes("service_area", *SEARCH_SERVING))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("service.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    extent_type: Mapped[str | None] = mapped_column(String(20))
    # Copies for search, as on ServiceAtLocation.
    search_key: Mapped[str | None] = mapped_column(Text)
    assured_date: Mapped[dt.date | None] = mapped_column(Date)

    service: Mapped[Service | None] = relationship(back_populates="service_areas")


class Metadata(Base):
    """HSDS metadata: who changed what, when (import, verification, edits)."""

    __tablename__ = "metadata"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    resource_type: Mapped[str] = mapped_column(String(50))
    last_action_date: Mapped[dt.date] = mapped_column(Date)
    last_action_type: Mapped[str] = mapped_column(String(50))
    field_name: Mapped[str] = mapped_column(String(100), default="")
    previous_value: Mapped[str] = mapped_column(Text, default="")
    replacement_value: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(255), default="")


class JobPosting(Base):
    """A job opening, following schema.org JobPosting (not part of HSDS)."""

    __tablename__ = "job_posting"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    identifier: Mapped[str | None] = mapped_column(String(255))  # the publisher's own id
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    hiring_organization: Mapped[str] = mapped_column(String(255))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    street_address: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(100))
    county: Mapped[str | None] = mapped_column(String(100), index=True)
    postal_code: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    coordinates_approximate: Mapped[bool] = mapped_column(Boolean, default=True)
    grid_cell: Mapped[int | None] = mapped_column(Integer, index=True)
    base_salary_min: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    base_salary_max: Mapped[float | None] = mapped_column(Numeric(10, 2, asdecimal=False))
    salary_currency: Mapped[str | None] = mapped_column(String(3))
    salary_unit: Mapped[str | None] = mapped_column(String(10))  # HOUR, WEEK, MONTH, YEAR
    work_hours: Mapped[str | None] = mapped_column(String(255))  # "2nd shift, 3pm-11pm"
    employment_type: Mapped[str | None] = mapped_column(String(50))  # FULL_TIME, PART_TIME...
    date_posted: Mapped[dt.date | None] = mapped_column(Date)
    valid_through: Mapped[dt.date | None] = mapped_column(Date, index=True)
    how_to_apply: Mapped[str | None] = mapped_column(Text)
    apply_url: Mapped[str | None] = mapped_column(String(1000))
    phone: Mapped[str | None] = mapped_column(String(100))
    recovery_friendly: Mapped[bool] = mapped_column(Boolean, default=False)
    second_chance: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source_url: Mapped[str | None] = mapped_column(String(1000))
    source_date: Mapped[str | None] = mapped_column(String(100))


@event.listens_for(Location, "before_insert")
@event.listens_for(Location, "before_update")
@event.listens_for(JobPosting, "before_insert")
@event.listens_for(JobPosting, "before_update")
def _keep_grid_cell(_mapper, _connection, target) -> None:  # noqa: ANN001
    """Whoever writes coordinates (seed, import, admin edit), the grid cell follows."""
    if target.latitude is not None and target.longitude is not None:
        target.grid_cell = grid_cell(target.latitude, target.longitude)
    else:
        target.grid_cell = None


# --- search keys ------------------------------------------------------------------------------
# A search key is the service's searchable facts in one string, copied onto its
# service_at_location and service_area rows so that a search by place reads one index and no
# other table: "|local|<term code>=<value>|...|" (every attribute of the service, sorted) when
# the service is active and not statewide, NULL otherwise. Two marks may follow "|local|", in
# this order: "area|" when its service area names a county (an agency bound to counties) and
# "refers|" when it refers to some need (a refers_for attribute): search moves those down the
# list, and reads the marks at fixed places (a few characters, not an instr() over the key,
# which would cost as much as the rest of the search). Writes through the ORM refresh the
# copies after each flush; whoever writes these tables with Core (bulk loads, migrations)
# calls refresh_search_keys() itself.

KEY_LOCAL = "|local|"
KEY_AREA = "area|"  # the marks have no "=" in them, so no attribute token reads the same
KEY_REFERS = "refers|"


def _search_key(service_id, dialect: str):  # noqa: ANN001, ANN202 (correlated to that column)
    token = TaxonomyTerm.code + "=" + Attribute.value
    tokens = (select(token.label("token")).select_from(Attribute)
              .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
              .where(Attribute.link_id == service_id, Attribute.link_type == "service"))
    if dialect == "postgresql":  # sorted: the same key whatever order attributes came in
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        joined = tokens.with_only_columns(func.string_agg(
            token, aggregate_order_by(literal("|"), token.collate("C"))))
    else:  # SQLite concatenates in the order of an ordered subquery
        ordered = tokens.order_by(token).correlate(service_id.table).subquery()
        joined = select(func.group_concat(ordered.c.token, "|"))
    local = (select(Service.id).where(Service.id == service_id, Service.status == "active",
                                      Service.is_statewide.is_(False)).exists())
    areas = aliased(ServiceArea)
    has_area = (select(areas.id).where(areas.service_id == service_id, areas.name != "")
                .exists())
    refers = aliased(Attribute)
    # coalesce(): SQLite would otherwise look up the term's rows (thousands) for every key
    # instead of the service's few attributes.
    has_refers = (select(refers.id).where(
        refers.link_id == service_id, refers.link_type == "service",
        func.coalesce(refers.taxonomy_term_id, "") == term_id("refers_for")).exists())
    return case((local, KEY_LOCAL + case((has_area, KEY_AREA), else_="")
                 + case((has_refers, KEY_REFERS), else_="")
                 + func.coalesce(joined.scalar_subquery(), "") + "|"), else_=null())


def refresh_search_keys(connection: Connection, service_ids: Iterable[str] | None = None,
                        location_ids: Iterable[str] | None = None) -> None:
    """Recompute the search copies of these services and locations (both None: of all)."""
    dialect = connection.dialect.name
    if service_ids is None and location_ids is None:
        connection.execute(_refresh_statement(dialect, "sal", None))
        connection.execute(_refresh_statement(dialect, "area", None))
        return
    services, locations = sorted(set(service_ids or ())), sorted(set(location_ids or ()))
    for i in range(0, len(services), 500):
        chunk = {"ids": services[i:i + 500]}
        connection.execute(_refresh_statement(dialect, "sal", "service_id"), chunk)
        connection.execute(_refresh_statement(dialect, "area", "service_id"), chunk)
    for i in range(0, len(locations), 500):
        connection.execute(_refresh_statement(dialect, "sal", "location_id"),
                           {"ids": locations[i:i + 500]})


@functools.lru_cache(maxsize=16)
def _refresh_statement(dialect: str, table: str, by: str | None):  # noqa: ANN202
    """UPDATE of the copies on service_at_location ("sal") or service_area ("area"), of the
    rows whose `by` column is in :ids (None: every row); built once, it runs after each flush."""
    target = (ServiceAtLocation if table == "sal" else ServiceArea).__table__
    service, location = Service.__table__, Location.__table__
    values = {
        "search_key": _search_key(target.c.service_id, dialect),
        "assured_date": select(service.c.assured_date)
        .where(service.c.id == target.c.service_id).scalar_subquery(),
    }
    if table == "sal":
        values |= {c: select(location.c[c]).where(location.c.id == target.c.location_id)
                   .scalar_subquery() for c in ("grid_cell", "latitude", "longitude")}
    statement = update(target).values(**values)
    if by is not None:
        statement = statement.where(target.c[by].in_(bindparam("ids", expanding=True)))
    return statement


# Rows whose changes reach search keys: the column naming the service (or location) affected.
_SEARCH_SOURCES = {Attribute: "link_id", ServiceAtLocation: "service_id",
                   ServiceArea: "service_id", Service: "id", Location: "id"}


@event.listens_for(Session, "after_flush")
def _refresh_search_keys_after_flush(session: Session, _flush_context) -> None:  # noqa: ANN001
    services: set[str] = set()
    locations: set[str] = set()
    dirty = [obj for obj in session.dirty if session.is_modified(obj)]  # merges may not change
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, TaxonomyTerm) and inspect(obj).attrs.code.history.deleted:
            refresh_search_keys(session.connection())  # a code renamed: rare, redo every key
            return
        column = _SEARCH_SOURCES.get(type(obj))
        if column is None or (isinstance(obj, Attribute) and obj.link_type != "service"):
            continue
        history = inspect(obj).attrs[column].history  # old and new values, when it changed
        ids = {v for v in (*history.added, *history.unchanged, *history.deleted) if v}
        (locations if isinstance(obj, Location) else services).update(ids)
    if services or locations:
        refresh_search_keys(session.connection(), services, locations)


@event.listens_for(Session, "do_orm_execute")
def _refresh_search_keys_after_bulk_write(state) -> Result | None:  # noqa: ANN001
    """session.execute(delete(...)/update(...)) on these tables bypasses the flush: the
    services (or locations) its WHERE picks are refreshed once it has run."""
    mapper = state.bind_mapper
    column = _SEARCH_SOURCES.get(mapper.class_) if mapper is not None else None
    if not (state.is_delete or state.is_update) or column is None:
        return None
    picked = select(getattr(mapper.class_, column))
    if state.statement.whereclause is not None:
        picked = picked.where(state.statement.whereclause)
    ids = set(state.session.execute(picked).scalars())
    result = state.invoke_statement()
    if ids:
        is_location = mapper.class_ is Location
        refresh_search_keys(state.session.connection(), None if is_location else ids,
                            ids if is_location else None)
    return result
