"""Keeping the directory right: coaches flag entries, admins review the flags (and people's
reports), edit a service, mark it verified, find the stale ones, and read the audit log.

Plain functions over a Session so the routes stay thin; every write adds its audit line and
leaves the commit to the caller, so an edit and its audit land together or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from api.services.handoff import audit, short_id
from resources_db.coaching import AuditEntry, CoachUser, ReviewItem
from resources_db.models import JobPosting, Phone, Service
from resources_db.schedules import PA_TZ

STALE_AFTER_DAYS = 365
AUDIT_PAGE_SIZE = 50
COMMENT_MAX = 500
EDITABLE = ("name", "description", "url", "email", "phone")
LIMITS = {"name": 255, "description": 5000, "url": 500, "email": 255, "phone": 100}

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE_START = re.compile(r"[\d\s().+-]+")
_URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", re.I)


class CareError(ValueError):
    """A clear reason a directory-care action was refused."""


def today_pa() -> dt.date:
    """Today in Pennsylvania (what "I checked this today" means)."""
    return dt.datetime.now(PA_TZ).date()


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite gives naive datetimes back; they were written in UTC.
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None \
        else moment


def resource_names(session: Session, ids: list[str]) -> dict[str, tuple[str, str]]:
    """id -> (name, kind) for services and job postings ("service" / "job_posting")."""
    if not ids:
        return {}
    out = {sid: (name, "job_posting") for sid, name in session.execute(
        select(JobPosting.id, JobPosting.title + " - " + JobPosting.hiring_organization)
        .where(JobPosting.id.in_(ids)))}
    out |= {sid: (name, "service") for sid, name in session.execute(
        select(Service.id, Service.name).where(Service.id.in_(ids)))}
    return out


def assured_dates(session: Session, ids: list[str]) -> dict[str, dt.date | None]:
    if not ids:
        return {}
    rows = session.execute(select(Service.id, Service.assured_date).where(Service.id.in_(ids)))
    return {sid: assured for sid, assured in rows}


# --- flags and the review queue -----------------------------------------------------------------

def flag_resource(session: Session, resource_id: str, coach_id: int, comment: str) -> ReviewItem:
    comment = " ".join(comment.split())
    if not comment:
        raise CareError("say what is wrong with this entry")
    if len(comment) > COMMENT_MAX:
        raise CareError(f"keep the comment under {COMMENT_MAX} characters")
    names = resource_names(session, [resource_id])
    if resource_id not in names:
        raise CareError("that resource is no longer listed")
    item = ReviewItem(service_id=resource_id, source="coach", coach_id=coach_id, comment=comment,
                      state="open")
    session.add(item)
    audit(session, "flag_resource", coach_id, service_id=resource_id, detail=comment[:200])
    return item


@dataclass(frozen=True)
class ReviewRow:
    id: int
    service_id: str | None
    name: str | None  # None: the entry is gone
    editable: bool  # a service (job postings come from their own import)
    source: str
    coach_email: str | None
    comment: str
    created_at: dt.datetime


def open_reviews(session: Session) -> list[ReviewRow]:
    """Open review items, newest first."""
    rows = session.execute(
        select(ReviewItem, CoachUser.email)
        .outerjoin(CoachUser, CoachUser.id == ReviewItem.coach_id)
        .where(ReviewItem.state == "open")
        .order_by(ReviewItem.created_at.desc(), ReviewItem.id.desc())).all()
    names = resource_names(session, [i.service_id for i, _ in rows if i.service_id])
    out = []
    for item, email in rows:
        name, kind = names.get(item.service_id or "", (None, None))
        out.append(ReviewRow(item.id, item.service_id, name, kind == "service", item.source,
                             email, item.comment, _aware(item.created_at)))
    return out


def resolve_review(session: Session, item_id: int, coach_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise CareError("no such review item")
    if item.state != "open":
        raise CareError("that item was already resolved")
    item.state, item.resolved_at, item.resolved_by = "resolved", dt.datetime.now(dt.UTC), coach_id
    audit(session, "resolve_review", coach_id, service_id=item.service_id,
          detail=f"review item {item.id} ({item.source})")
    return item


# --- editing a service --------------------------------------------------------------------------

def _main_phone(session: Session, service_id: str) -> Phone | None:
    # The phone search shows: the service's first, in the order the database lists them.
    return session.scalars(select(Phone).where(Phone.service_id == service_id).limit(1)).first()


def get_service(session: Session, service_id: str) -> Service:
    service = session.get(Service, service_id)
    if service is None:
        raise CareError("no such service")
    return service


def service_form(session: Session, service: Service) -> dict[str, str]:
    phone = _main_phone(session, service.id)
    return {"name": service.name or "", "description": service.description or "",
            "url": service.url or "", "email": service.email or "",
            "phone": phone.number if phone else ""}


def clean_edit(form: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """What the admin typed -> (clean values, errors by field). Empty optional fields clear."""
    values = {k: " ".join(str(form.get(k) or "").split()) for k in EDITABLE if k != "description"}
    values["description"] = str(form.get("description") or "").strip().replace("\r\n", "\n")
    errors = {k: f"at most {n} characters" for k, n in LIMITS.items() if len(values[k]) > n}
    if not values["name"]:
        errors["name"] = "a name is required"
    if values["url"] and "url" not in errors and not _URL.fullmatch(values["url"]):
        errors["url"] = "a full web address, starting with http:// or https://"
    if values["email"] and "email" not in errors and not _EMAIL.fullmatch(values["email"]):
        errors["email"] = "that does not look like an email address"
    if values["phone"] and "phone" not in errors:
        leading = _PHONE_START.match(values["phone"])  # "(610) 723-1220 (main line)"
        digits = re.sub(r"\D", "", leading.group(0) if leading else "")
        if len(digits) not in (10, 11) or (len(digits) == 11 and not digits.startswith("1")):
            errors["phone"] = "a 10-digit phone number, like 814-555-0100"
    return values, errors


def save_service(session: Session, service: Service, values: dict[str, str], coach_id: int,
                 mark_verified: bool, today: dt.date) -> list[str]:
    """Apply clean values (see clean_edit); returns what changed. Audited; caller commits."""
    if mark_verified and service.is_demo:
        raise CareError("this is demo data (invented for testing): it cannot be marked verified")
    before = service_form(session, service)
    changed = [k for k in EDITABLE if values[k] != before[k]]
    for key in ("name", "description", "url", "email"):
        if key in changed:
            setattr(service, key, values[key] if key == "name" else values[key] or None)
    if "phone" in changed:
        phone = _main_phone(session, service.id)
        if not values["phone"]:
            session.delete(phone)
        elif phone is None:
            session.add(Phone(id=str(uuid.uuid4()), service_id=service.id,
                              number=values["phone"], type="voice"))
        else:
            phone.number = values["phone"]
    if changed:
        service.last_modified = dt.datetime.now(dt.UTC)
        audit(session, "edit_service", coach_id, service_id=service.id,
              detail="changed " + ", ".join(changed))
    if mark_verified:
        was = service.source_date
        # The seed derives assured_date from the source's date: keep the two saying the same
        # thing, so replies to people ("info from ...") show the new date too.
        service.assured_date = today
        service.source_date = today.isoformat()
        audit(session, "verify_service", coach_id, service_id=service.id,
              detail=f"verified {today.isoformat()} (source date was {was or 'none'})")
    return changed


# --- stale entries and the audit log ------------------------------------------------------------

@dataclass(frozen=True)
class StaleRow:
    id: str
    name: str
    assured_date: dt.date | None
    source_date: str | None
    source_url: str | None


def stale_services(session: Session, today: dt.date) -> list[StaleRow]:
    """Real (non-demo) active services not verified in the last 12 months, or never: oldest
    first, the never-verified before all."""
    cutoff = today - dt.timedelta(days=STALE_AFTER_DAYS)
    rows = session.execute(
        select(Service.id, Service.name, Service.assured_date, Service.source_date,
               Service.source_url)
        .where(Service.is_demo.is_(False), Service.status == "active",
               or_(Service.assured_date.is_(None), Service.assured_date < cutoff))
        .order_by(Service.assured_date.is_not(None), Service.assured_date, Service.name,
                  Service.id)).all()
    return [StaleRow(*r) for r in rows]


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    coach_email: str | None
    action: str
    conversation_tag: str | None
    service_id: str | None
    detail: str | None


def audit_page(session: Session, page: int, per_page: int = AUDIT_PAGE_SIZE,
               ) -> tuple[list[AuditRow], int]:
    """One page (1-based) of the audit log, newest first, and the number of entries."""
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    rows = session.execute(
        select(AuditEntry, CoachUser.email)
        .outerjoin(CoachUser, CoachUser.id == AuditEntry.coach_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
    return [AuditRow(_aware(e.at), email, e.action,
                     short_id(e.conversation_id) if e.conversation_id else None,
                     e.service_id, e.detail) for e, email in rows], total
