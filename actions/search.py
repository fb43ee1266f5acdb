"""Directory search actions: the first page of results, MORE, and details on result N."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import directory
from actions.formatting import MAX_RESULTS, format_details, format_results
from actions.location import pending_place_choice, pick_location, utter_place_problem
from actions.needs import INTENT_NEEDS
from actions.orientation import RECORD_HELP_OFFER, nothing_local, orientation
from actions.record_mention import mentions_record
from resources_db import geo
from resources_db.filters import FILTERS_BY_NEED, filters_for_need, filters_from_text
from resources_db.search import get_resource, search_services

DEFAULT_NEED = "jobs"
ORDINALS = {"first": 1, "second": 2, "third": 3}


def _place_or_ask(dispatcher: CollectingDispatcher, tracker: Tracker) -> geo.Place | None:
    text = pick_location(tracker.get_slot("location"))
    if text is None:
        dispatcher.utter_message(response="utter_ask_location")
        return None
    try:
        return geo.resolve_place(text)  # misspellings too: "allentwon" is Allentown
    except geo.PlaceError as error:  # unknown, outside PA, or which of two places
        utter_place_problem(dispatcher, error)
        return None


def request_texts(events: list[dict[str, Any]]) -> list[str]:
    """The person's messages that make up the current request: back to the last one that
    named a need ("sober house for women" then "pittsburgh"), or just the latest."""
    texts = []
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        texts.append(event.get("text") or "")
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        if intent.startswith("find_"):
            break
    return texts or [""]


def search_page(dispatcher: CollectingDispatcher, tracker: Tracker, offset: int,
                filters: dict[str, str] | None = None,
                radius_mi: float | None = None, first: bool = False) -> list[dict[str, Any]]:
    """List one page of results for the current need and place; remember what was shown.
    `radius_mi`: a radius asked for ("closer", actions/refine.py); None widens as usual.
    `first`: a new request (not MORE or a refinement): the need's orientation comes before
    the list, and another need's request that mentions a record ends with the record offer."""
    place = _place_or_ask(dispatcher, tracker)
    if place is None:
        return []
    need = tracker.get_slot("need") or DEFAULT_NEED
    texts = request_texts(tracker.events)
    if filters is None:
        # A need the filters know nothing about (benefits, a record, ...) is not narrowed: "my
        # record" is the question there, not a filter on who answers it.
        spoken = filters_from_text(" ".join(texts)) if need in FILTERS_BY_NEED else {}
        filters = filters_for_need(need, spoken)
    with directory.session() as session:
        result = search_services(session, need, place, limit=MAX_RESULTS, offset=offset,
                                 filters=filters, radius_mi=radius_mi)
    reply, custom = format_results(need, place, result.hits, result.total, offset=offset,
                                   filters=filters)
    if first and (text := orientation(need)):
        dispatcher.utter_message(text=text)
    local = any(not h.statewide for h in result.hits)
    nothing_near = None if offset or local else nothing_local(need, place.name,
                                                              statewide_listed=bool(result.hits))
    # Nothing at all: the statewide line and a coach instead of the list (and of "dial 211").
    dispatcher.utter_message(text=nothing_near if nothing_near and not result.hits else reply,
                             json_message=custom)
    if nothing_near and result.hits:
        dispatcher.utter_message(text=nothing_near)
    if first and need != "record" and any(mentions_record(t) for t in texts):
        dispatcher.utter_message(text=RECORD_HELP_OFFER)
    return [SlotSet("result_ids", [h.id for h in result.hits] or None), SlotSet("detail_id", None),
            SlotSet("result_offset", float(offset)),
            SlotSet("search_filters", filters or None), SlotSet("search_radius", radius_mi)]


class ActionSearchResources(Action):
    def name(self) -> str:
        return "action_search_resources"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        return search_page(dispatcher, tracker, offset=0, first=True)


class ActionMoreResults(Action):
    def name(self) -> str:
        return "action_more_results"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        if tracker.get_slot("result_offset") is None:
            dispatcher.utter_message(text="Tell me what you're looking for first, like: "
                                          "jobs in Erie.")
            return []
        return search_page(dispatcher, tracker,
                           offset=int(tracker.get_slot("result_offset")) + MAX_RESULTS,
                           filters=tracker.get_slot("search_filters") or {},
                           radius_mi=tracker.get_slot("search_radius"))


def result_index(value: Any) -> int | None:
    """'2', '#2', 'second' -> 1 (a 0-based index); None when it is not a choice."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    value = value.strip().lower().lstrip("#")
    number = ORDINALS.get(value) or (int(value) if value.isdigit() else None)
    return number - 1 if number else None


class ActionResultDetails(Action):
    def name(self) -> str:
        return "action_result_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        if (choice := pending_place_choice(tracker)) is not None:
            # "2" answered "Did you mean 1. ... 2. ...?": the search goes on there.
            tracker.slots["location"] = choice
            return [SlotSet("location", choice), SlotSet("result_number", None),
                    *search_page(dispatcher, tracker, offset=0, first=True)]
        ids = tracker.get_slot("result_ids") or []
        index = result_index(tracker.get_slot("result_number"))
        if not ids:
            dispatcher.utter_message(text="I haven't listed anything yet. Tell me what you're "
                                          "looking for, like: jobs in Erie.")
            return []
        if index is None or not 0 <= index < len(ids):
            dispatcher.utter_message(text=f"Reply with a number from 1 to {len(ids)}, "
                                          "MORE for more, or COACH for a person.")
            return [SlotSet("result_number", None)]
        place = None
        if (text := pick_location(tracker.get_slot("location"))) is not None:
            try:
                place = geo.resolve_place(text)
            except geo.PlaceError:
                place = None
        need = tracker.get_slot("need") or DEFAULT_NEED
        with directory.session() as session:
            hit = get_resource(session, ids[index], need, place)
        if hit is None:  # removed from the directory since it was listed
            dispatcher.utter_message(text="Sorry, that listing is no longer in my directory. "
                                          "Reply MORE for other places.")
            return [SlotSet("result_number", None)]
        text, custom = format_details(hit)
        dispatcher.utter_message(text=text, json_message=custom)
        # What "that number didn't work" refers to next (actions/feedback.py).
        return [SlotSet("result_number", None), SlotSet("detail_id", hit.id)]


class ActionSwitchNeed(Action):
    """A change of mind in the middle of a search ("actually i need a bus"): the search
    goes on for the new need, still asking only for what is missing."""

    def name(self) -> str:
        return "action_switch_need"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        need = INTENT_NEEDS.get((tracker.latest_message.get("intent") or {}).get("name", ""))
        return [SlotSet("need", need)] if need else []
