"""Validates the location a person gave, against the offline Pennsylvania gazetteer."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from resources_db import geo


def pick_location(value: Any) -> str | None:
    """The slot may hold several entity values ("erie" and "erie county"): keep the longest."""
    if isinstance(value, list):
        value = max((v for v in value if isinstance(v, str)), key=len, default=None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def names_a_house(value: str, text: str) -> bool:
    """'oxford house' is a kind of recovery residence, not Oxford, PA."""
    return bool(re.search(rf"\b{re.escape(value)}\s+(house|houses|home|homes)\b", text or "",
                          re.I))


def place_problem_reply(error: geo.PlaceError) -> str:
    if isinstance(error, geo.OutsidePennsylvania):
        return (f"{error} I only know Pennsylvania resources. "
                "What town, county or zip code in PA should I search?")
    if error.suggestions:
        return f"I don't know '{error.text}'. Did you mean {' or '.join(error.suggestions)}?"
    return f"I don't know '{error.text}'. Try a Pennsylvania town, county or 5-digit zip code."


class ValidateResourceSearchForm(FormValidationAction):
    def name(self) -> str:
        return "validate_resource_search_form"

    def validate_location(self, slot_value: Any, dispatcher: CollectingDispatcher,
                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        message = tracker.latest_message.get("text", "")
        values = slot_value if isinstance(slot_value, list) else [slot_value]
        text = pick_location([v for v in values
                              if isinstance(v, str) and not names_a_house(v, message)])
        if text is None:
            return {"location": None}
        try:
            place = geo.resolve_place(text)
        except geo.PlaceError as error:
            dispatcher.utter_message(text=place_problem_reply(error))
            return {"location": None}
        return {"location": place.name}
