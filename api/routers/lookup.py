"""Directory lookups for coaches: the JSON API (bearer token) and the console's quick lookup
page (form fields, or a sentence read by the engine's own parse, as /api/v1/interpret does)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ApiCoach, CoachUser, CoachUserPost, DeskDep, GatewayDep, SessionDep
from api.routers import coach as console
from api.routers.interpret import INTENT_NEEDS, location_of, places_of
from api.services import directory_care as care
from api.services.crisis import detect_crisis
from api.services.handoff import short_id
from api.services.lookup import FILTER_NAMES, Lookup, lookup
from api.services.rasa_client import EngineUnavailable
from resources_db.filters import describe_filters, filters_for_need, filters_from_text
from resources_db.geo import Place
from resources_db.search import ResourceHit
from resources_db.taxonomy import NEEDS

router = APIRouter(tags=["lookup"])

PAGE_SIZE = 10
# The form's filters: (name, label, choices); a choice of "" means "any".
FILTER_FIELDS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("gender_served", "Who it is for", [("", "anyone"), ("women", "women"), ("men", "men")]),
    ("cost", "Cost", [("", "any"), ("free", "free"), ("sliding_scale", "sliding scale"),
                      ("paid", "paid")]),
]
FILTER_CHECKS: list[tuple[str, str]] = [
    ("mat_friendly", "MAT-friendly (takes people on Suboxone, methadone, Vivitrol)"),
    ("accepts_people_with_records", "Record-friendly"),
    ("evening_hours", "Evenings"),
    ("weekend_hours", "Weekends"),
]


def tel_uri(phone: str | None) -> str | None:
    """ "(610) 723-1220" or "844-333-5248 (toll-free)" -> "tel:+16107231220"; None if unsure."""
    leading = re.match(r"[\d\s().+-]+", phone or "")
    digits = re.sub(r"\D", "", leading.group(0)) if leading else ""
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return f"tel:+1{digits}" if len(digits) == 10 else None


def _place_json(place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {"kind": place.kind, "name": place.name, "county": place.county, "zip": place.zip,
            "latitude": place.latitude, "longitude": place.longitude}


def _hit_json(hit: ResourceHit) -> dict[str, Any]:
    return {"id": hit.id, "need": hit.need, "name": hit.name, "town": hit.town,
            "county": hit.county, "address": hit.address, "phone": hit.phone,
            "distance_mi": hit.distance_mi, "demo": hit.demo, "statewide": hit.statewide,
            "verified": hit.verified, "source_url": hit.source_url, "url": hit.url,
            "serves_county": hit.serves_county, "coverage": hit.coverage}


@router.get("/api/v1/resources")
async def resources(request: Request, coach: ApiCoach, session: SessionDep,
                    need: Annotated[str, Query(max_length=40)] = "",
                    county: Annotated[str, Query(max_length=80)] = "",
                    zip_code: Annotated[str, Query(alias="zip", max_length=10)] = "",
                    radius: Annotated[float | None, Query(gt=0, le=500)] = None,
                    q: Annotated[str, Query(max_length=200)] = "",
                    limit: Annotated[int, Query(ge=1, le=50)] = PAGE_SIZE,
                    offset: Annotated[int, Query(ge=0, le=10_000)] = 0) -> dict[str, Any]:
    """Services near a place: `need` (jobs, careerlink, housing, ...), a place (`zip`, else
    `county`), an optional `radius` in miles (otherwise the search widens), free words `q`,
    and filters as parameters of their own (`mat_friendly=true`, `gender_served=women`,
    `cost=free`, `accepts_people_with_records=true`, `evening_hours=true`,
    `weekend_hours=true`). Demo records say `"demo": true`."""
    filters = {k: v[:40] for k in FILTER_NAMES if (v := request.query_params.get(k, "").strip())}
    if need and need not in NEEDS:
        raise HTTPException(422, f"unknown need {need!r}: one of {', '.join(NEEDS)}")
    found = lookup(session, need or None, county=county, zip_code=zip_code, radius_mi=radius,
                   text=q, filters=filters, limit=limit, offset=offset)
    if found.problem:
        raise HTTPException(400, found.problem)
    return {"total": found.total, "place": _place_json(found.place),
            "radius_mi": found.radius_mi, "results": [_hit_json(h) for h in found.hits]}


# --- the console page -------------------------------------------------------------------------

async def _understand(gateway: GatewayDep, text: str) -> tuple[dict[str, Any], str | None]:
    """A sentence -> form values (need, place, filters), through the engine's parse. The
    crisis net reads it first, as it reads every text, and warns even when the engine is down."""
    crisis_warning = ("That reads as a crisis: call 911 for an emergency, 988 for the suicide "
                      "and crisis line. The lookup is for jobs, CareerLink, housing, child care "
                      "and transit.")
    crisis = detect_crisis(text) is not None
    try:
        parse = await gateway.rasa.parse(text)
    except EngineUnavailable:
        if crisis:
            return {}, crisis_warning
        return {}, ("The language engine is not answering, so the sentence could not be read. "
                    "Use the fields of the lookup form instead.")
    intent = (parse.get("intent") or {}).get("name", "")
    need = "crisis" if crisis else INTENT_NEEDS.get(intent, "other")
    where = location_of(places_of(parse))
    if need not in NEEDS or need == "crisis":
        if need == "crisis":
            problem = crisis_warning
        else:
            problem = ("Could not tell which need that is (jobs, CareerLink, housing, child care "
                       "or transit): pick one in the form.")
        return {"zip": where.zip or "", "county": where.county or ""}, problem
    filters = filters_for_need(need, filters_from_text(text))
    return {"need": need, "zip": where.zip or "", "county": where.county or "",
            "place_text": where.city or "", **filters}, None


def _held(desk: DeskDep, coach_id: int) -> list[dict[str, str]]:
    return [{"id": row.conversation_id, "tag": short_id(row.conversation_id),
             "channel": console.CHANNEL_NAMES.get(row.channel, row.channel)}
            for row in desk.queue() if row.state == "claimed" and row.coach_id == coach_id]


@router.get("/coach/lookup", include_in_schema=False)
async def lookup_page(request: Request, coach: CoachUser, session: SessionDep, desk: DeskDep,
                      gateway: GatewayDep, need: str = "", county: str = "", zip: str = "",  # noqa: A002
                      place: str = "", radius: str = "", q: str = "", say: str = "",
                      offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
                      notice: str | None = None, problem: str | None = None) -> HTMLResponse:
    form: dict[str, Any] = {"need": need, "county": county, "zip": zip, "place": place,
                            "radius": radius, "q": q, "say": say[:500]}
    form |= {k: request.query_params.get(k, "") for k in FILTER_NAMES}
    understood = None
    searched = any(form[k].strip() for k in ("need", "county", "zip", "place", "q"))
    if say.strip():
        values, trouble = await _understand(gateway, say[:500])
        problem = problem or trouble
        if values:
            form |= {k: v for k, v in values.items() if k != "place_text"}
            form["place"] = values.get("place_text", "") if not values.get("zip") else ""
            understood = values
        searched = trouble is None
    found, radius_mi = Lookup(), None
    if radius.strip():
        try:
            radius_mi = float(radius)
            if not 0 < radius_mi <= 500:
                raise ValueError
        except ValueError:
            problem, searched = problem or "The radius is a number of miles, up to 500.", False
    if searched:
        filters = {k: form[k] for k in FILTER_NAMES if form.get(k)}
        found = lookup(session, form["need"] or None, county=form["county"], zip_code=form["zip"],
                       place=form["place"], radius_mi=radius_mi, text=form["q"], filters=filters,
                       limit=PAGE_SIZE, offset=offset)
        problem = problem or found.problem
    ids = [h.id for h in found.hits]
    query = {k: v for k, v in form.items() if v and k != "say"}
    here = "/coach/lookup" + (f"?{urlencode(query)}" if query else "")
    more = f"/coach/lookup?{urlencode({**query, 'offset': offset + PAGE_SIZE})}" \
        if found.total > offset + len(found.hits) and found.hits else None
    return console.page(
        request, "coach/lookup.html", coach, form=form, needs=list(NEEDS),
        filter_fields=FILTER_FIELDS, filter_checks=FILTER_CHECKS, found=found,
        searched=searched and not found.problem, understood=understood,
        understood_filters=describe_filters({k: v for k, v in (understood or {}).items()
                                             if k in FILTER_NAMES}),
        assured=care.assured_dates(session, ids), tel={h.id: tel_uri(h.phone) for h in found.hits},
        held=_held(desk, coach.id), here=here,
        offset=offset, more=more, notice=notice, problem=problem)


@router.post("/coach/lookup/send", include_in_schema=False)
async def send_to_client(coach: CoachUserPost, desk: DeskDep, session: SessionDep,
                         conversation_id: Annotated[str, Form(max_length=100)],
                         resource_id: Annotated[str, Form(max_length=100)],
                         need: Annotated[str, Form(max_length=20)] = "jobs") -> Response:
    """The lookup page's "Text this to my client": one form with a select of the conversations
    this coach holds, handed to the conversation page's own send-resource."""
    return await console.send_resource(conversation_id=conversation_id, coach=coach, desk=desk,
                                       session=session, resource_id=resource_id, need=need)
