"""A person's report that a listing is wrong ("that number didn't work"): it goes to the
directory review queue for admins, about the listing the person last looked at."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select

from actions import directory
from resources_db.coaching import ReviewItem
from resources_db.models import Service

# Fixed wording: the person's own message is not copied into the review queue (least data).
PERSON_REPORT = "A person said this listing's information did not work for them (via the bot)."


def reported_ids(tracker: Tracker) -> list[str]:
    """The listing opened last ("2" for details), else the ones just listed."""
    detail = tracker.get_slot("detail_id")
    return [detail] if detail else list(tracker.get_slot("result_ids") or [])


class ActionReportProblem(Action):
    def name(self) -> str:
        return "action_report_problem"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        ids = reported_ids(tracker)
        with directory.session() as session:
            # Job postings are not directory services: only services go to the review queue.
            names = dict(session.execute(select(Service.id, Service.name)
                                         .where(Service.id.in_(ids))).tuples().all())
            known = [sid for sid in ids if sid in names]
            for service_id in known:
                session.add(ReviewItem(service_id=service_id, source="person",
                                       comment=PERSON_REPORT, state="open"))
            session.commit()
        if not known:
            dispatcher.utter_message(text="Sorry that didn't work. Which place was it? Reply "
                                          "with its number from my list, or COACH for a person.")
            return []
        what = names[known[0]] if len(known) == 1 else "those listings"
        dispatcher.utter_message(text=f"Thank you for telling me. I've asked our team to check "
                                      f"{what}. Reply MORE for other places, or COACH for a "
                                      "person who can help right now.")
        return []
