"""POST /api/v1/interpret: what a message asks for, from the running engine's own parse."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from actions.needs import INTENT_NEEDS as BOT_INTENT_NEEDS
from api.deps import GatewayDep
from api.services.crisis import detect_crisis
from api.services.rasa_client import EngineUnavailable
from resources_db import geo
from resources_db.filters import filters_from_text

router = APIRouter(prefix="/api/v1", tags=["interpret"])

Need = Literal["jobs", "careerlink", "housing", "childcare", "transit", "benefits", "record",
               "recovery_support", "training", "coach", "crisis", "other"]
# The bot's intents for the needs (actions/needs.py), and the two that are not searches.
INTENT_NEEDS: dict[str, Need] = {**BOT_INTENT_NEEDS, "ask_coach": "coach",  # type: ignore[dict-item]
                                 "crisis": "crisis"}


class InterpretIn(BaseModel):
    text: str = Field(min_length=1, max_length=5000)


class LocationOut(BaseModel):
    zip: str | None = None
    city: str | None = None
    county: str | None = None  # bare county name: "Allegheny"


class InterpretOut(BaseModel):
    need: Need
    location: LocationOut
    filters: dict[str, str]
    confidence: float


def location_of(values: list[str]) -> LocationOut:
    """The longest place the engine found, resolved offline; nulls where it is not in PA."""
    for value in sorted(values, key=len, reverse=True):
        try:
            place = geo.resolve_place(value)
        except geo.PlaceError:
            continue
        if place.kind == "zip":
            return LocationOut(zip=place.zip, city=geo.town_of_zip(place.zip), county=place.county)
        if place.kind == "town":
            return LocationOut(city=place.name, county=place.county)
        return LocationOut(county=place.county)
    return LocationOut()


def places_of(parse: dict) -> list[str]:
    return [e["value"] for e in parse.get("entities", []) if e.get("entity") == "location"
            and isinstance(e.get("value"), str)]


@router.post("/interpret")
async def interpret(body: InterpretIn, gateway: GatewayDep) -> InterpretOut:
    """The gateway's crisis net decides first, as it does for a text: a crisis is "crisis"
    (confidence 1) whatever the NLU reads, and even when the engine is down."""
    crisis = detect_crisis(body.text) is not None
    try:
        parse = await gateway.rasa.parse(body.text)
    except EngineUnavailable as error:
        if crisis:
            return InterpretOut(need="crisis", location=LocationOut(),
                                filters=filters_from_text(body.text), confidence=1.0)
        raise HTTPException(503, "the language engine is not answering; try again shortly") \
            from error
    intent = parse.get("intent") or {}
    need = "crisis" if crisis else INTENT_NEEDS.get(intent.get("name", ""), "other")
    confidence = 1.0 if crisis else round(float(intent.get("confidence") or 0.0), 4)
    return InterpretOut(need=need, location=location_of(places_of(parse)),
                        filters=filters_from_text(body.text), confidence=confidence)
