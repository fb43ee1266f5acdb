"""What the bot says when it does not understand: twice in a row, it asks a coach to join."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.formatting import payload

# Said with handoff=true: the gateway also puts the conversation in the coaches' queue.
OFFER_COACH = ("Sorry, I'm still not getting it, so I'm asking a person to help. Or tell me "
               "what you need and where, like: jobs in Erie.")


def misunderstood_in_a_row(events: list[dict[str, Any]]) -> int:
    """How many of the person's latest messages in a row the NLU could not understand."""
    count = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != "nlu_fallback":
            break
        count += 1
    return count


class ActionNotUnderstood(Action):
    def name(self) -> str:
        return "action_not_understood"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        if misunderstood_in_a_row(tracker.events) >= 2:
            dispatcher.utter_message(text=OFFER_COACH, json_message={**payload(
                [], [{"title": "Help", "payload": "HELP"}], handoff=True),
                "handoff_reason": "not_understood"})
        else:
            dispatcher.utter_message(response="utter_default")
        return []
