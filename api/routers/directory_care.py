"""Directory care in the console: a coach flags a wrong entry; admins work the review queue,
edit and verify services, list the stale ones and read the audit log."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import AdminUser, AdminUserPost, CoachUserPost, SessionDep
from api.routers.coach import back_to, page, safe_next
from api.services import directory_care as care
from resources_db.schedules import PA_TZ

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
