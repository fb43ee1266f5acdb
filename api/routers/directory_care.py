"""Directory care in the console: a coach flags a wrong entry; admins work the review queue,
edit and verify services, list the stale ones, see the coverage and read the audit log."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import AdminUser, AdminUserPost, CoachUserPost, SessionDep
from api.routers.coach import back_to, page, safe_next
from api.services import directory_care as care
from resources_db import coverage
from resources_db.schedules import PA_TZ

log = logging.getLogger(__name__)

router = APIRouter(prefix="/coach", tags=["coach console"])


def _back_to_page(path: str, notice: str | None = None, problem: str | None = None,
                  ) -> Response:
    """back_to for a page that has a query of its own (the lookup's search): keep it."""
    parts = urlsplit(safe_next(path))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("notice", "problem")]
    query += [(k, v) for k, v in (("notice", notice), ("problem", problem)) if v]
    return RedirectResponse(parts.path + (f"?{urlencode(query)}" if query else ""),
                            status_code=303)


@router.post("/resources/{service_id}/flag", include_in_schema=False)
async def flag(service_id: str, coach: CoachUserPost, session: SessionDep,
               comment: Annotated[str, Form(max_length=2000)] = "",
               back: Annotated[str, Form(max_length=2000)] = "/coach/lookup") -> Response:
    try:
        care.flag_resource(session, service_id, coach.id, comment)
    except care.CareError as error:
        return _back_to_page(back, problem=f"Not flagged: {error}.")
    session.commit()
    return _back_to_page(back, notice="Thanks: the entry is flagged for an admin to check.")


@router.get("/admin/review", include_in_schema=False)
async def review_page(request: Request, coach: AdminUser, session: SessionDep,
                      notice: str | None = None, problem: str | None = None) -> HTMLResponse:
    return page(request, "coach/review.html", coach, items=care.open_reviews(session), tz=PA_TZ,
                notice=notice, problem=problem)


@router.post("/admin/review/{item_id}/resolve", include_in_schema=False)
async def resolve(item_id: int, coach: AdminUserPost, session: SessionDep) -> Response:
    try:
        care.resolve_review(session, item_id, coach.id)
    except care.CareError as error:
        return back_to("/coach/admin/review", problem=f"{error}.")
    session.commit()
    return back_to("/coach/admin/review", notice="Resolved.")


def _service_or_404(session: SessionDep, service_id: str):  # noqa: ANN202
    try:
        return care.get_service(session, service_id)
    except care.CareError as error:
        raise HTTPException(404, str(error)) from None


def _edit_page(request: Request, coach: AdminUser, session: SessionDep, service,  # noqa: ANN001
               values: dict[str, str], errors: dict[str, str], notice: str | None = None,
               problem: str | None = None, status_code: int = 200) -> HTMLResponse:
    response = page(request, "coach/service_edit.html", coach, service=service, values=values,
                    errors=errors, limits=care.LIMITS, notice=notice, problem=problem,
                    stale_after_days=care.STALE_AFTER_DAYS)
    response.status_code = status_code
    return response


@router.get("/admin/services/{service_id}", include_in_schema=False)
async def edit_page(request: Request, service_id: str, coach: AdminUser, session: SessionDep,
                    notice: str | None = None, problem: str | None = None) -> HTMLResponse:
    service = _service_or_404(session, service_id)
    return _edit_page(request, coach, session, service, care.service_form(session, service), {},
                      notice, problem)


@router.post("/admin/services/{service_id}", include_in_schema=False)
async def save(request: Request, service_id: str, coach: AdminUserPost, session: SessionDep,
               ) -> Response:
    service = _service_or_404(session, service_id)
    form = await request.form()
    values, errors = care.clean_edit({k: form.get(k) for k in care.EDITABLE})
    mark_verified = form.get("mark_verified") == "yes"
    if errors:
        return _edit_page(request, coach, session, service, values, errors,
                          problem="Nothing was saved: fix the fields marked below.",
                          status_code=422)
    try:
        changed = care.save_service(session, service, values, coach.id, mark_verified,
                                    care.today_pa())
    except care.CareError as error:
        session.rollback()
        return _edit_page(request, coach, session, service, values, {},
                          problem=f"Nothing was saved: {error}.", status_code=422)
    session.commit()
    said = [f"changed {', '.join(changed)}" if changed else "no changes",
            "marked verified today" if mark_verified else ""]
    return back_to(f"/coach/admin/services/{service_id}",
                   notice="Saved: " + "; ".join(s for s in said if s) + ".")


@router.get("/admin/stale", include_in_schema=False)
async def stale_page(request: Request, coach: AdminUser, session: SessionDep) -> HTMLResponse:
    return page(request, "coach/stale.html", coach,
                rows=care.stale_services(session, care.today_pa()),
                stale_after_days=care.STALE_AFTER_DAYS)


@router.get("/admin/audit", include_in_schema=False)
async def audit_log(request: Request, coach: AdminUser, session: SessionDep,
                    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
                    ) -> HTMLResponse:
    rows, total = care.audit_page(session, page_number)
    pages = max(1, -(-total // care.AUDIT_PAGE_SIZE))
    return page(request, "coach/audit.html", coach, rows=rows, total=total, page_number=page_number,
                pages=pages, tz=PA_TZ)


# --- coverage: the county x need matrix (resources_db/coverage.py) ---------------------------

COVERAGE_MAX_AGE_S = 600  # measured again (in the background) when older than this
COVERAGE_RELOAD_S = 3  # while the first measurement runs, the page reloads itself this often


class CoverageMeasurement:
    """The matrix costs hundreds of searches (seconds): measured in a thread, never in a
    request, and kept for COVERAGE_MAX_AGE_S; the page shows the last one meanwhile."""

    def __init__(self, sessions) -> None:  # noqa: ANN001 (a session factory)
        self._sessions = sessions
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.result: coverage.Coverage | None = None
        self.measured_at: dt.datetime | None = None
        self.seconds: float | None = None
        self.failed: str | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def current(self, again: bool = False) -> CoverageMeasurement:
        """Starts a measurement when there is none, it is old, or `again`; returns self."""
        with self._lock:
            old = self.measured_at is None or \
                (dt.datetime.now(dt.UTC) - self.measured_at).total_seconds() > COVERAGE_MAX_AGE_S
            if (old or again) and self._thread is None:
                self._thread = threading.Thread(target=self._measure, name="coverage",
                                                daemon=True)
                self._thread.start()
        return self

    def _measure(self) -> None:
        started = time.monotonic()
        try:
            with self._sessions() as session:
                result = coverage.measure(session)
            with self._lock:
                self.result, self.failed = result, None
                self.measured_at = dt.datetime.now(dt.UTC)
                self.seconds = time.monotonic() - started
        except Exception as error:  # shown on the page; the next visit tries again
            log.exception("coverage measurement failed")
            with self._lock:
                self.failed = f"{type(error).__name__}: {error}"
        finally:
            with self._lock:
                self._thread = None


_COVERAGE_LOCK = threading.Lock()


def _coverage_of(request: Request) -> CoverageMeasurement:
    with _COVERAGE_LOCK:
        found = getattr(request.app.state, "coverage", None)
        if found is None:
            found = request.app.state.coverage = CoverageMeasurement(request.app.state.sessions)
    return found


@router.get("/admin/coverage", include_in_schema=False)
async def coverage_page(request: Request, coach: AdminUser, session: SessionDep,
                        notice: str | None = None) -> HTMLResponse:
    measured = _coverage_of(request).current()
    leads = coverage.lead_ids(session)
    no_phone, no_phone_leads = coverage.split_leads(coverage.without_phone(session), leads)
    stale, stale_leads = coverage.split_leads(care.stale_services(session, care.today_pa()),
                                              leads)
    response = page(request, "coach/coverage.html", coach, measured=measured,
                    matrix=measured.result, states=coverage.STATES,
                    meanings=coverage.STATE_MEANINGS, no_phone=no_phone,
                    no_phone_leads=no_phone_leads, stale_count=len(stale),
                    stale_leads=stale_leads, stale_after_days=care.STALE_AFTER_DAYS, tz=PA_TZ,
                    notice=notice)
    if measured.result is None and measured.failed is None:
        response.headers["Refresh"] = str(COVERAGE_RELOAD_S)  # no script: CSP-friendly
    return response


@router.post("/admin/coverage/measure", include_in_schema=False)
async def coverage_measure(request: Request, coach: AdminUserPost) -> Response:
    _coverage_of(request).current(again=True)
    return back_to("/coach/admin/coverage",
                   notice="Measuring again: reload in a few seconds for the new matrix.")


@router.get("/admin/coverage.csv", include_in_schema=False)
async def coverage_csv(request: Request, coach: AdminUser) -> Response:
    measured = _coverage_of(request).current()
    if measured.result is None:
        return Response("still measuring: try again in a few seconds\n", status_code=503,
                        media_type="text/plain", headers={"Retry-After": "5"})
    return Response(coverage.csv_text(measured.result), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="coverage.csv"'})
