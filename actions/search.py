"""action_search_resources: search the directory for the current need near the location."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import directory
from actions.formatting import MAX_RESULTS, format_results
from actions.location import pick_location, place_problem_reply
from resources_db import geo
from resources_db.search import search_services

DEFAULT_NEED = "jobs"


class ActionSearchResources(Action):
    def name(self) -> str:
        return "action_search_resources"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        need = tracker.get_slot("need") or DEFAULT_NEED
        text = pick_location(tracker.get_slot("location"))
        if text is None:
            dispatcher.utter_message(response="utter_ask_location")
            return []
        try:
            place = geo.resolve_place(text)
        except geo.PlaceError as error:
            dispatcher.utter_message(text=place_problem_reply(error))
            return []
        with directory.session() as session:
            result = search_services(session, need, place, limit=MAX_RESULTS)
        reply, custom = format_results(need, place, result.hits, result.total)
        dispatcher.utter_message(text=reply, json_message=custom)
        return []
