"""Directory tables, aligned with Open Referral HSDS 3.0 (names and columns follow the spec).

Columns HSDS has no field for (provenance notes for coaches, the demo flag, approximate
coordinates) are prefixed or documented here; need categories are HSDS attribute rows that
link a service to a taxonomy_term of our own taxonomy (see taxonomy.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from resources_db.db import Base


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(255))

    services: Mapped[list[Service]] = relationship(back_populates="organization")


class Service(Base):
    __tablename__ = "service"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="active")
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
    is_statewide: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[Organization] = relationship(back_populates="services")
    phones: Mapped[list[Phone]] = relationship(back_populates="service")
    service_at_locations: Mapped[list[ServiceAtLocation]] = relationship(back_populates="service")


class Location(Base):
    __tablename__ = "location"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    name: Mapped[str | None] = mapped_column(String(255))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # True when the coordinates are a zip/town/county centroid, not the building.
    coordinates_approximate: Mapped[bool] = mapped_column(Boolean, default=True)

    addresses: Mapped[list[Address]] = relationship(back_populates="location")


class ServiceAtLocation(Base):
    __tablename__ = "service_at_location"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)

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
    number: Mapped[str] = mapped_column(String(100))
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

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    link_id: Mapped[str] = mapped_column(String(36), index=True)
    link_type: Mapped[str] = mapped_column(String(50))  # "service", "location", ...
    link_entity: Mapped[str] = mapped_column(String(50))
    taxonomy_term_id: Mapped[str] = mapped_column(ForeignKey("taxonomy_term.id"), index=True)
    value: Mapped[str | None] = mapped_column(String(255))

    taxonomy_term: Mapped[TaxonomyTerm] = relationship()
