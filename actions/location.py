"""Validates the location a person gave, against the offline Pennsylvania gazetteer."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.formatting import payload
from resources_db import geo

# The key of the bot message's custom payload naming the places it asked to choose from: the
# person's next "1" or "2" is read against it (no slot needed; it holds for one reply only).
PLACE_CHOICES = "place_choices"
_CHOICE = re.compile(r"^\s*(?:#|no\.?\s*|number\s+)?([1-9])\s*[.)!]?\s*$|"
                     r"^\s*(?:the\s+)?(first|second|third|1st|2nd|3rd)(?:\s+one)?\s*$", re.I)
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3}


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
    if isinstance(error, geo.AmbiguousPlace):
        options = "  ".join(f"{i}. {_label(p)}" for i, p in enumerate(error.choices, start=1))
        numbers = " or ".join(str(i) for i in range(1, len(error.choices) + 1))
        return f"Did you mean {options}? Reply {numbers}, or type the place."
    if isinstance(error, geo.OutsidePennsylvania):
        return (f"{error} I only know Pennsylvania resources. "
                "What town, county or zip code in PA should I search?")
    if error.suggestions:
        return f"I don't know '{error.text}'. Did you mean {' or '.join(error.suggestions)}?"
    return f"I don't know '{error.text}'. Try a Pennsylvania town, county or 5-digit zip code."


def _label(place: geo.Place) -> str:
    """'Easton (Northampton County)': two towns are told apart by their counties."""
    return place.name if place.kind == "county" else f"{place.name} ({place.county} County)"


def utter_place_problem(dispatcher: CollectingDispatcher, error: geo.PlaceError) -> None:
    """Say why a place did not resolve; a choice between places carries them (buttons on the
    web chat, and what a reply "2" picks: pending_place_choice)."""
    if not isinstance(error, geo.AmbiguousPlace):
        dispatcher.utter_message(text=place_problem_reply(error))
        return
    names = [p.name for p in error.choices]
    custom = payload([], [{"title": n, "payload": n} for n in names])
    dispatcher.utter_message(text=place_problem_reply(error),
                             json_message={**custom, PLACE_CHOICES: names})


def _user_turn(events: list[dict[str, Any]]) -> int | None:
    return next((i for i in range(len(events) - 1, -1, -1) if events[i].get("event") == "user"),
                None)


def _asked_choices(events: list[dict[str, Any]]) -> list[str] | None:
    """The places the bot's last question offered (the last bot message with choices)."""
    for event in reversed(events):
        if event.get("event") == "user":
            return None
        if event.get("event") == "bot":
            choices = ((event.get("data") or {}).get("custom") or {}).get(PLACE_CHOICES)
            if choices:
                return [c for c in choices if isinstance(c, str)]
    return None


def pending_place_choice(tracker: Tracker) -> str | None:
    """The place the person's latest message picks by number ("2", "#2", "the second one")
    when the bot's question just before it asked which place; None otherwise."""
    events = tracker.events
    turn = _user_turn(events)
    if turn is None:
        return None
    choices = _asked_choices(events[:turn])
    match = _CHOICE.match(events[turn].get("text") or "")
    if not choices or not match:
        return None
    number = int(match.group(1)) if match.group(1) else _ORDINALS[match.group(2).lower()]
    return choices[number - 1] if number <= len(choices) else None


class ActionAskLocation(Action):
    """How the form asks for the place: not again when it has just asked which of two places
    (the question would be asked twice in one reply)."""

    def name(self) -> str:
        return "action_ask_location"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        if _asked_choices(tracker.events) is None:
            dispatcher.utter_message(response="utter_ask_location")
        return []


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
            place = geo.resolve_place(text)  # misspellings too: "allentwon" is Allentown
        except geo.PlaceError as error:
            utter_place_problem(dispatcher, error)
            return {"location": None}
        return {"location": place.name}

    def extract_location(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        """'2' after "Did you mean 1. ... 2. ...?" is the second place."""
        choice = pending_place_choice(tracker)
        return {"location": choice} if choice else {}
