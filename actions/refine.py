"""Refining the list just shown ("do any take suboxone", "only for women", "closer?"): the same
search (need and place kept) again, with the new filter added to the kept ones.

Thin: the words are read by pure helpers below (and resources_db.filters), the search and its
reply are actions.search.search_page's. When nothing matches, the previous list stays the one
that "2" and MORE refer to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import directory
from actions.formatting import (
    MAX_RESULTS,
    NEED_LABELS,
    contact_text,
    distance_text,
    payload,
    quick_replies,
)
from actions.search import DEFAULT_NEED, _place_or_ask, search_page
from resources_db.filters import FILTERS_BY_NEED, describe_filters, filters_from_text
from resources_db.search import WIDENING_RADII_MI, ResourceHit, search_services

# "closer?", "too far", "anything nearer", "in my town": a smaller radius than the list had.
_CLOSER = re.compile(
    r"\b(closer|closest|nearer|nearest|close ?by|close to (me|home|where i (am|live|stay))"
    r"|near ?by|near me|near to me|far away|far from (me|here|home)|less far|not as far"
    r"|not so far|(too|all|are|is|real|really|pretty|kinda|very|way|that|hella|mad) far"
    r"|shorter (drive|ride|walk|trip|bus ride)|walking distance|walkable"
    r"|in (my|the same) (town|neighbou?rhood|area|city)|around here"
    r"|near (my|where i) (house|home|place|apartment|live|stay)|walk to|can walk"
    r"|(anything|something|somewhere|any|one|ones|places?) close|close (ones?|places?)"
    r"|within (a few|a couple|walking))\b", re.I)
_WITHIN = re.compile(r"\b(within|under|less than|no more than)\s+(\d{1,3})\s*(mi|miles?)\b",
                     re.I)
# The medicine a person named, echoed back when nothing matches ("None ... take Suboxone").
_MEDICINES = {"sub": "Suboxone", "bup": "Suboxone", "zub": "Suboxone", "met": "methadone",
              "viv": "Vivitrol", "nal": "Vivitrol"}
_MEDICINE_WORD = re.compile(r"\b(s[ou]b\w*|bup\w*|zub\w*|meth[aeo]?d\w*|viv\w*|naltrex\w*)\b",
                            re.I)

# What each filter asks, as "None of those ___" says it.
_SAYS = {
    "gender_served": {"women": "are for women", "men": "are for men"},
    "mat_friendly": {"true": "say they take people on MAT"},
    "cost": {"free": "say they're free"},
    "accepts_people_with_records": {"true": "say they take people with a record"},
    "evening_hours": {"true": "say they're open evenings"},
    "weekend_hours": {"true": "say they're open weekends"},
}
# What each filter is about, for "X listings don't say ___".
_TOPICS = {"gender_served": "who they're for", "mat_friendly": "whether they take MAT",
           "cost": "what they cost", "accepts_people_with_records": "whether they take a record",
           "evening_hours": "evening hours", "weekend_hours": "weekend hours"}
_OFFERS = {"gender_served": "for women or men", "mat_friendly": "takes MAT", "cost": "free",
           "accepts_people_with_records": "takes people with a record",
           "evening_hours": "evenings", "weekend_hours": "weekends"}
_LISTINGS = {"jobs": "Job listings", "careerlink": "CareerLink listings",
             "housing": "Recovery housing listings", "childcare": "Child care listings",
             "transit": "Bus and ride listings"}


@dataclass(frozen=True)
class Refinement:
    filters: dict[str, str] = field(default_factory=dict)
    closer: bool = False
    within_mi: float | None = None  # "within 10 miles"

    def __bool__(self) -> bool:
        return bool(self.filters or self.closer)


def refinement_from_text(text: str) -> Refinement:
    """'any closer ones for women' -> Refinement({'gender_served': 'women'}, closer=True)."""
    within = _WITHIN.search(text or "")
    within_mi = float(within.group(2)) if within and int(within.group(2)) > 0 else None
    return Refinement(filters_from_text(text), bool(_CLOSER.search(text or "")) or
                      within_mi is not None, within_mi)


def split_for_need(need: str, filters: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(the filters that mean something for this need, the codes of those that do not)."""
    wanted = FILTERS_BY_NEED.get(need, set(filters))
    return ({k: v for k, v in filters.items() if k in wanted},
            [k for k in filters if k not in wanted])


def combine(kept: dict[str, str] | None, new: dict[str, str]) -> dict[str, str]:
    """The kept filters with the new ones; a new value replaces a kept one ("men" after
    "women")."""
    return {**(kept or {}), **new}


def smaller_radius(list_radius: float | None, within_mi: float | None = None) -> float | None:
    """The radius "closer" searches: a number said ("within 10 miles") if it is smaller than the
    list's, else the next step of the search's widening below it; None when nothing is smaller
    (the list already is the closest)."""
    if within_mi is not None:
        return within_mi if list_radius is None or within_mi < list_radius else None
    steps = [r for r in WIDENING_RADII_MI if r is not None]
    smaller = [r for r in steps if list_radius is None or r < list_radius]
    return max(smaller) if smaller else None


def not_applicable_note(need: str, codes: list[str]) -> str | None:
    """'Bus and ride listings in my directory don't say who they're for, ...'"""
    topics = list(dict.fromkeys(_TOPICS.get(c, c) for c in codes))
    if not topics:
        return None
    said = topics[0] if len(topics) == 1 else ", ".join(topics[:-1]) + " or " + topics[-1]
    return (f"{_LISTINGS.get(need, 'These listings')} in my directory don't say {said}, "
            "so I can't narrow them that way.")


def options_text(need: str) -> str:
    """What a list of this need can be narrowed by, as a person would say it."""
    offers = [_OFFERS[c] for c in _OFFERS if c in FILTERS_BY_NEED.get(need, set())]
    return ", ".join([*offers, "closer"])


def medicine_said(text: str) -> str | None:
    match = _MEDICINE_WORD.search(text or "")
    return _MEDICINES.get(match.group(1)[:3].lower()) if match else None


def what_none_say(new: dict[str, str], text: str = "") -> str:
    """'take Suboxone', 'are for women and say they're free'."""
    parts = []
    for code, value in new.items():
        part = _SAYS.get(code, {}).get(value, f"match {code}={value}")
        if code == "mat_friendly" and (medicine := medicine_said(text)):
            part = f"say they take people on {medicine}"
        parts.append(part)
    return " and ".join(parts)


def keep_list_line(n_listed: int) -> str:
    if n_listed:
        return (f"The list above still stands: reply 1-{n_listed} for details, or COACH for a "
                "person who can call around.")
    return "Reply COACH for a person who can call around."


def nothing_matches_reply(need: str, place_name: str, kept: dict[str, str],
                          new: dict[str, str], text: str, n_listed: int,
                          referral: ResourceHit | None = None) -> str:
    label = NEED_LABELS.get(need, need) + (f" ({describe_filters(kept)})" if kept else "")
    ask = ""
    if referral is not None:
        # The directory does not say, but the county's SCA knows the licensed houses it funds:
        # a name and a number to call beats "none".
        ask = (f"{referral.name} ({contact_text(referral)}) {referral.coverage or 'is near'} "
               f"and knows the licensed houses: ask them which "
               f"{what_none_say(new, text).removeprefix('say they ')}. ")
    return (f"None of the {label} I know of near {place_name} {what_none_say(new, text)}. "
            + ask + keep_list_line(n_listed))


def referral_for(hits: list[ResourceHit]) -> ResourceHit | None:
    """The first listing that refers to the need and serves the person's county (the SCA)."""
    return next((h for h in hits if h.referral and h.serves_county and not h.demo), None)


def closest_reply(need: str, place_name: str, kept: dict[str, str], hits: list[ResourceHit],
                  n_listed: int) -> str:
    label = NEED_LABELS.get(need, need) + (f" ({describe_filters(kept)})" if kept else "")
    local = [h for h in hits if not h.statewide]
    nearest = distance_text(local[0]) if local else None
    where = f": the nearest is {nearest} away" if nearest else ""
    return (f"Those are the closest {label} I have to {place_name}{where}. "
            + keep_list_line(n_listed))


def no_list_reply(filters: dict[str, str], closer: bool) -> str:
    wanted = describe_filters(filters) if filters else ("closer" if closer else "")
    then = f" Then I can narrow it ({wanted})." if wanted else ""
    return ("I don't have a list to narrow yet. Tell me what you need and where, like: "
            f"recovery housing in Erie.{then}")


def _local_ids(hits: list[ResourceHit]) -> list[str]:
    return [h.id for h in hits if not h.statewide]


class ActionRefineResults(Action):
    def name(self) -> str:
        return "action_refine_results"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        refinement = refinement_from_text(text)
        need = tracker.get_slot("need") or DEFAULT_NEED
        new, dropped = split_for_need(need, refinement.filters)
        note = not_applicable_note(need, dropped)
        if tracker.active_loop_name:
            # Still asking for the place: the search will read this message's filters from
            # the request (actions.search.request_texts); the form asks again next.
            dispatcher.utter_message(text=note or (f"OK: {describe_filters(new)}." if new
                                                   else "OK."))
            return []
        listed = tracker.get_slot("result_ids") or []
        if tracker.get_slot("result_offset") is None:
            dispatcher.utter_message(text=no_list_reply(new, refinement.closer))
            return []
        if not new and not refinement.closer:
            dispatcher.utter_message(
                text=note or f"I can narrow this list: {options_text(need)}.",
                json_message=payload([], quick_replies(len(listed), False)))
            if note:
                dispatcher.utter_message(text=keep_list_line(len(listed)))
            return []
        place = _place_or_ask(dispatcher, tracker)
        if place is None:
            return []
        kept = tracker.get_slot("search_filters") or {}
        filters = combine(kept, new)
        radius = tracker.get_slot("search_radius")
        # A place named in this message ("any closer to 16501") is a new search, not closer.
        new_place = any(e.get("entity") == "location"
                        for e in tracker.latest_message.get("entities") or [])
        shown = None
        with directory.session() as session:
            if refinement.closer and not new_place:
                # The list again, as it was searched, for the radius it reached.
                shown = search_services(session, need, place, limit=MAX_RESULTS,
                                        offset=int(tracker.get_slot("result_offset")),
                                        radius_mi=radius, filters=kept)
                radius = smaller_radius(shown.radius_mi, refinement.within_mi) or radius
            found = search_services(session, need, place, limit=MAX_RESULTS, radius_mi=radius,
                                    filters=filters)
        keep = payload([], quick_replies(len(listed), False))
        if shown is not None and not new and (
                not _local_ids(found.hits)
                or set(_local_ids(found.hits)) == set(_local_ids(shown.hits))):
            # Nothing nearer than what was listed: say so, and keep that list.
            dispatcher.utter_message(
                text=closest_reply(need, place.name, kept, shown.hits, len(listed)),
                json_message=keep)
            return []
        if not found.hits:
            with directory.session() as session:  # who refers to the need in the county
                referrals = search_services(session, need, place, limit=3,
                                            filters={"refers_for": need})
            dispatcher.utter_message(
                text=nothing_matches_reply(need, place.name, kept, new, text, len(listed),
                                           referral_for(referrals.hits)),
                json_message=keep)
            return []
        if note:
            dispatcher.utter_message(text=note)
        return search_page(dispatcher, tracker, offset=0, filters=filters, radius_mi=radius)
