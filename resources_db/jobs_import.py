"""Import job openings from schema.org JobPosting JSON-LD (all or nothing).

A file holds one JobPosting object, a list of them, or an object with "@graph" (nodes of other
types in a graph are skipped). Mapping to job_posting:

| schema.org                                      | job_posting                              |
| ----------------------------------------------- | ---------------------------------------- |
| title, description, workHours                   | title, description, work_hours           |
| hiringOrganization (text, or Organization name) | hiring_organization (+ organization_id)  |
| jobLocation Place -> address PostalAddress      | street_address, city, postal_code        |
|   streetAddress, addressLocality, postalCode    |   county from the zip (or the town)      |
| jobLocation Place -> geo latitude / longitude   | latitude, longitude (exact)              |
|   (no geo)                                      |   zip / town centroid, approximate       |
| baseSalary MonetaryAmount: currency, value      | salary_currency, base_salary_min / _max, |
|   (QuantitativeValue minValue/maxValue/value,   |   salary_unit (HOUR, DAY, WEEK, MONTH,   |
|   unitText) or a plain number                   |   YEAR)                                  |
| employmentType (text or list)                   | employment_type ("FULL_TIME,PART_TIME")  |
| datePosted, validThrough (date or date-time)    | date_posted (also source_date),          |
|                                                 | valid_through                            |
| url (+ directApply)                             | apply_url, source_url                    |
| applicationContact telephone                    | phone                                    |
| identifier (text or PropertyValue)              | identifier                               |

Our extensions are properties with the `navigator:` prefix (declare it in "@context" if you
like, e.g. "navigator": "https://recovery-to-work.example/ns#"; only the prefix is read):
`navigator:secondChance` and `navigator:recoveryFriendly` (booleans), `navigator:demo` (true
marks invented demo data; everything else imports as real), `navigator:howToApply` (text).

Postings must be in Pennsylvania: addressRegion other than PA, a zip or town outside PA, or
coordinates outside the state are rejected. Ids are stable: stable_id("job", employer,
identifier), else ("job", url), else ("job", employer, title); importing the same file again
updates. The hiring organization is linked to the directory organization of that name
(stable_id("org", name), as the seed does) and added when missing, with sameAs as its website.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from resources_db import geo
from resources_db.exchange import ImportFailed, Rows, read_json, write_rows
from resources_db.models import JobPosting, Organization
from resources_db.taxonomy import stable_id

NS = "navigator:"
SALARY_UNITS = ("HOUR", "DAY", "WEEK", "MONTH", "YEAR")
PA_STATE_NAMES = ("pa", "pennsylvania", "penna", "penn")
# Pennsylvania's bounding box (a little generous): coordinates outside it are not in PA.
PA_BOUNDS = ((39.7, 42.3), (-80.55, -74.65))


class PostingError(ValueError):
    """A posting that can't be imported; the message says which field and why."""


def import_jobs(session: Session, path: Path) -> dict[str, int]:
    """Import a JSON-LD file; returns rows written per table. ImportFailed: nothing was."""
    rows = Rows()
    first_seen: dict[str, str] = {}
    for where, obj in job_objects(read_json(path), path.name):
        try:
            posting, employer = posting_rows(obj, session)
        except PostingError as exc:
            rows.problems.append(f"{where}: {exc}")
            continue
        if posting.id in first_seen:
            rows.problems.append(f"{where}: duplicate posting (same id as {first_seen[posting.id]})")
            continue
        first_seen[posting.id] = where
        rows.add(posting, where)
        if employer is not None:
            rows.add_first(employer, where)
    rows.check(session)
    return write_rows(session, rows)


def job_objects(data: Any, file: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, object) for each JobPosting in a JSON-LD document."""
    if isinstance(data, dict) and "@graph" in data:
        nodes = data["@graph"] if isinstance(data["@graph"], list) else [data["@graph"]]
        found = [(f"{file} @graph node {i}", n) for i, n in enumerate(nodes) if _is_posting(n)]
        if not found:
            raise ImportFailed([f"{file}: the @graph has no JobPosting"])
        return found
    items = data if isinstance(data, list) else [data]
    problems = [f"{file} record {i}: not a schema.org JobPosting (@type {_type(o)!r})"
                for i, o in enumerate(items) if not _is_posting(o)]
    if problems:
        raise ImportFailed(problems)
    return [(f"{file} record {i}", o) for i, o in enumerate(items)]


def _type(obj: Any) -> Any:
    return obj.get("@type") if isinstance(obj, dict) else type(obj).__name__


def _is_posting(obj: Any) -> bool:
    types = _type(obj)
    types = types if isinstance(types, list) else [types]
    return isinstance(obj, dict) and any(str(t).rsplit("/", 1)[-1].rsplit(":", 1)[-1]
                                         == "JobPosting" for t in types)


def posting_rows(obj: dict[str, Any], session: Session) -> tuple[JobPosting, Organization | None]:
    """The job_posting row of one JobPosting, and its employer's organization when it is new."""
    title = _text(obj, "title")
    employer_name, employer_site = _employer(obj.get("hiringOrganization"))
    if not title:
        raise PostingError("title is required")
    identifier, url = _identifier(obj.get("identifier")), _text(obj, "url")
    demo = _flag(obj, "demo")
    salary_min, salary_max, currency, unit = _salary(obj.get("baseSalary"))
    posted = _date(obj, "datePosted")
    posting = JobPosting(
        id=_posting_id(employer_name, title, identifier, url), identifier=identifier,
        title=title, description=_text(obj, "description"),
        hiring_organization=employer_name, organization_id=stable_id("org", employer_name),
        **_location(obj.get("jobLocation")),
        base_salary_min=salary_min, base_salary_max=salary_max, salary_currency=currency,
        salary_unit=unit, work_hours=_text(obj, "workHours"),
        employment_type=_employment_type(obj.get("employmentType")),
        date_posted=posted, valid_through=_date(obj, "validThrough"),
        how_to_apply=_text(obj, NS + "howToApply") or _direct_apply(obj, url),
        apply_url=url, phone=_contact_phone(obj.get("applicationContact")),
        recovery_friendly=_flag(obj, "recoveryFriendly"), second_chance=_flag(obj, "secondChance"),
        is_demo=demo, source_url=url, source_date=posted.isoformat() if posted else "undated")
    employer = None
    if session.get(Organization, posting.organization_id) is None:
        employer = Organization(id=posting.organization_id, name=employer_name, description="",
                                website=employer_site, is_demo=demo)
    return posting, employer


def _posting_id(employer: str, title: str, identifier: str | None, url: str | None) -> str:
    if identifier:
        return stable_id("job", employer, identifier)
    if url:
        return stable_id("job", url)
    return stable_id("job", employer, title)


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise PostingError(f"{key} must be text, not {type(value).__name__}")
    return str(value).strip() or None


def _employer(value: Any) -> tuple[str, str | None]:
    if isinstance(value, str) and value.strip():
        return value.strip(), None
    if isinstance(value, dict) and (name := _text(value, "name")):
        same_as = value.get("sameAs")
        return name, (same_as[0] if isinstance(same_as, list) and same_as else
                      same_as if isinstance(same_as, str) else None)
    raise PostingError("hiringOrganization is required (a name or an Organization with a name)")


def _identifier(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value")
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _flag(obj: dict[str, Any], name: str) -> bool:
    value = obj.get(NS + name, False)
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "false"):
        return str(value).strip().lower() == "true"
    raise PostingError(f"{NS}{name} must be true or false, not {value!r}")


def _date(obj: dict[str, Any], key: str) -> dt.date | None:
    value = obj.get(key)
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise PostingError(f"{key} {value!r} is not an ISO 8601 date") from exc


def _employment_type(value: Any) -> str | None:
    values = value if isinstance(value, list) else [value] if value else []
    if not all(isinstance(v, str) for v in values):
        raise PostingError("employmentType must be text or a list of text")
    return ",".join(v.strip().upper().replace(" ", "_") for v in values) or None


def _number(value: Any, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise PostingError(f"baseSalary {what} {value!r} is not a number") from exc


def _salary(value: Any) -> tuple[float | None, float | None, str | None, str | None]:
    """baseSalary -> (min, max, currency, unit)."""
    if value is None:
        return None, None, None, None
    if not isinstance(value, dict):
        amount = _number(value, "value")
        return amount, amount, None, None
    currency, quantity = value.get("currency"), value.get("value")
    if not isinstance(quantity, dict):
        amount = _number(quantity, "value")
        return amount, amount, currency, _unit(value.get("unitText"))
    exact = _number(quantity.get("value"), "value")
    low = _number(quantity.get("minValue"), "minValue")
    high = _number(quantity.get("maxValue"), "maxValue")
    unit = _unit(quantity.get("unitText") or value.get("unitText"))
    return (low if low is not None else exact, high if high is not None else exact, currency,
            unit)


def _unit(value: Any) -> str | None:
    if value in (None, ""):
        return None
    unit = str(value).strip().upper()
    if unit not in SALARY_UNITS:
        raise PostingError(f"baseSalary unitText {value!r} is not one of {', '.join(SALARY_UNITS)}")
    return unit


def _direct_apply(obj: dict[str, Any], url: str | None) -> str | None:
    return f"Apply online: {url}" if obj.get("directApply") is True and url else None


def _contact_phone(value: Any) -> str | None:
    contacts = value if isinstance(value, list) else [value]
    phones = [c.get("telephone") for c in contacts if isinstance(c, dict) and c.get("telephone")]
    return str(phones[0]) if phones else None


# --- where the job is -----------------------------------------------------------------------

def _location(value: Any) -> dict[str, Any]:
    """jobLocation -> street_address, city, county, postal_code, coordinates (PA only)."""
    places = value if isinstance(value, list) else [value] if value else []
    if not places or not isinstance(places[0], dict):
        raise PostingError("jobLocation is required (a Place in Pennsylvania)")
    address = places[0].get("address") or {}
    if isinstance(address, str):
        address = {"streetAddress": address}
    _check_region(address)
    zip_code = str(address.get("postalCode") or "").strip()[:10] or None
    town = str(address.get("addressLocality") or "").strip() or None
    point = _geo(places[0].get("geo"))
    place = _resolve(zip_code, town, required=point is None)
    latitude, longitude = point or ((place.latitude, place.longitude) if place else (None, None))
    return {"street_address": str(address.get("streetAddress") or "").strip() or None,
            "city": town or (geo.town_of_zip(zip_code) if zip_code else None),
            "county": place.county if place else None, "postal_code": zip_code,
            "latitude": latitude, "longitude": longitude,
            "coordinates_approximate": point is None}


def _check_region(address: dict[str, Any]) -> None:
    region = str(address.get("addressRegion") or "").strip()
    if region and region.lower().rstrip(".") not in PA_STATE_NAMES:
        raise PostingError(f"addressRegion {region!r} is not Pennsylvania: only Pennsylvania "
                           "postings are imported")
    country = str(address.get("addressCountry") or "").strip().upper()
    if country and country not in ("US", "USA", "UNITED STATES"):
        raise PostingError(f"addressCountry {country!r} is not the United States")


def _geo(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, dict) or value.get("latitude") is None:
        return None
    try:
        lat, lon = float(value["latitude"]), float(value.get("longitude"))
    except (TypeError, ValueError) as exc:
        raise PostingError("geo latitude/longitude must be numbers") from exc
    (south, north), (west, east) = PA_BOUNDS
    if not (south <= lat <= north and west <= lon <= east):
        raise PostingError(f"geo {lat},{lon} is outside Pennsylvania")
    return lat, lon


def _resolve(zip_code: str | None, town: str | None, *, required: bool) -> geo.Place | None:
    """The zip's place, else the town's. Outside PA is an error; unknown, only if `required`."""
    unknown = "jobLocation needs a postalCode, an addressLocality or geo coordinates in PA"
    for text in filter(None, (zip_code, town)):
        try:
            return geo.resolve_place(text)
        except geo.OutsidePennsylvania as exc:
            raise PostingError(f"{exc} Only Pennsylvania postings are imported.") from exc
        except geo.PlaceError as exc:
            unknown = str(exc)
    if required:
        raise PostingError(unknown)
    return None
