"""Pure formatting of search results into a channel-neutral reply (text + custom payload).

Channels render the custom payload: numbered options on SMS, cards and buttons on web chat.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from resources_db.filters import describe_filters
from resources_db.geo import Place
from resources_db.search import ResourceHit

NEED_LABELS = {
    "jobs": "job openings and job help",
    "careerlink": "PA CareerLink offices",
    "housing": "recovery housing help",
    "childcare": "child care help",
    "transit": "transit and ride services",
    "benefits": "help with working on SSI/SSDI",
    "record": "help with a record",
    "recovery_support": "treatment and recovery support",
    "training": "job training and education",
}

WHY_IT_FITS = {
    "jobs": "free job search help, resumes, training",
    "careerlink": "free career center: job search, resumes, training (WIOA)",
    "housing": "recovery housing",
    "childcare": "Child Care Works: help paying for child care",
    "transit": "buses, shared ride or medical rides",
    "benefits": "free help: work and your SSI, SSDI or Medicaid",
    "record": "record clearing, legal aid or fair-chance hiring",
    "recovery_support": "treatment, recovery support or peer support",
    "training": "job training, WIOA funding, adult education",
}

# What a service that refers to the need does for it (resources_db.search, "refers_for").
REFERRAL_FITS = {
    "housing": "county drug & alcohol office: funds and refers to licensed recovery houses",
}
# A listing without a phone still says how to reach it: its website, or PA 211.
NO_PHONE_ASK_211 = "no phone listed: dial 211 for it"

MAX_RESULTS = 3


def quick_replies(n_results: int, has_more: bool) -> list[dict[str, str]]:
    replies = [{"title": f"Details on {i}", "payload": str(i)} for i in range(1, n_results + 1)]
    if has_more:
        replies.append({"title": "More", "payload": "MORE"})
    replies.append({"title": "Talk to a coach", "payload": "COACH"})
    return replies


def why_it_fits(hit: ResourceHit) -> str:
    """One line: pay, hours and second-chance for an opening; what the service does otherwise."""
    if hit.kind == "job_posting" and hit.description:
        return hit.description.splitlines()[0]
    if hit.referral:
        return REFERRAL_FITS.get(hit.need, "refers you to this help")
    return WHY_IT_FITS.get(hit.need, "")


def shown_name(hit: ResourceHit) -> str:
    """The name people see. Some recovery houses are named by their street address ("TNH Sober
    Living 921 E King Street House"): for a residence the street is left out of the name, as it
    is left out of the listing (residents' privacy; coaches see both)."""
    if not (hit.address_private and hit.address):
        return hit.name
    street = hit.address.split(",")[0].strip()
    name = re.sub(re.escape(street), "", hit.name, flags=re.I) if street else hit.name
    name = re.sub(r"\s{2,}", " ", name).strip(" -,")
    return name or "Recovery residence"


# A website longer than this is not worth a compact SMS line: PA 211 is said instead.
SHORT_URL_CHARS = 40


def contact_for(phone: str | None, url: str | None, *, compact: bool = False) -> str:
    """The phone; without one, the website, or how to get the number from PA 211: every
    listing can be acted on. `compact`: the bare short website, for the shortest SMS lines."""
    if phone:
        return phone
    if compact:
        short = re.sub(r"^https?://(www\.)?", "", url or "").rstrip("/")
        return short if short and len(short) <= SHORT_URL_CHARS else "no phone: dial 211"
    if url:
        return f"no phone listed: {url}"
    return NO_PHONE_ASK_211


def contact_text(hit: ResourceHit) -> str:
    return contact_for(hit.phone, hit.url)


def distance_text(hit: ResourceHit) -> str | None:
    """'12.3 mi', or 'about 12 mi' from a centroid; nothing when a centroid says ~0 mi."""
    if hit.distance_mi is None:
        return None
    if not hit.distance_approximate:
        return f"{hit.distance_mi:g} mi"
    return f"about {round(hit.distance_mi)} mi" if hit.distance_mi >= 1 else None


def _line(index: int, hit: ResourceHit) -> str:
    parts = [f"{index}. {shown_name(hit)}"]
    if hit.demo:
        parts[0] += " [DEMO]"
    where = hit.town or (f"{hit.county} County" if hit.county else None)
    details = [d for d in (where, contact_text(hit), hit.coverage or distance_text(hit)) if d]
    if details:
        parts.append(" - ".join(details))
    parts.append(why_it_fits(hit))
    if hit.demo:
        parts.append("(demo listing, invented for testing)")
    elif hit.verified:
        parts.append(f"(info from {hit.verified}: call to confirm)")
    return "\n".join(p for p in parts if p)


def format_results(need: str, place: Place, hits: list[ResourceHit], total: int,
                   offset: int = 0, filters: dict[str, str] | None = None,
                   ) -> tuple[str, dict[str, Any]]:
    """Text listing at most 3 results compactly, then the options; and the custom payload.

    `offset` > 0 is a "MORE" page: numbering restarts at 1 so "2" always means the 2nd shown.
    """
    hits = hits[:MAX_RESULTS]
    label = NEED_LABELS.get(need, need)
    if filters:
        label += f" ({describe_filters(filters)})"
    if not hits:
        if offset:
            text = (f"That's all the {label} I have near {place.name}. "
                    "Text COACH to reach a person, or call PA 211 (dial 211).")
        else:
            text = (f"I couldn't find {label} near {place.name} yet. "
                    "Text COACH to reach a person, or call PA 211 (dial 211).")
        return text, payload([], quick_replies(0, False))
    nearest_is_far = (hits[0].coverage is None and hits[0].distance_mi is not None
                      and hits[0].distance_mi > 25)
    if offset:
        head = f"More {label} near {place.name}:"
    elif hits[0].statewide:
        head = f"I have nothing local near {place.name} yet. Statewide {label}:"
    elif nearest_is_far:
        head = (f"I have nothing in {place.county} County yet. "
                f"Nearest {label} to {place.name}:")
    else:
        head = f"Closest {label} to {place.name}:"
    blocks = [_line(i, h) for i, h in enumerate(hits, start=1)]
    has_more = total > offset + len(hits)
    options = f"Reply 1-{len(hits)} for details" + (", MORE for more" if has_more else "") \
        + ", COACH for a person."
    # Single newlines: Rasa's REST channel splits a text into separate messages at blank lines.
    text = "\n".join([head, *blocks, options])
    return text, payload(hits, quick_replies(len(hits), has_more))


def format_details(hit: ResourceHit) -> tuple[str, dict[str, Any]]:
    """Everything a person needs to contact one resource, and where the facts came from."""
    lines = [shown_name(hit) + (" [DEMO]" if hit.demo else "")]
    if hit.address and not hit.address_private:
        lines.append(hit.address)
    elif hit.town:  # a recovery residence: the town, and the operator's phone (privacy)
        lines.append(f"{hit.town}, PA" + (f" ({hit.county} County)" if hit.county else ""))
    if hit.phone:
        lines.append(f"Phone: {hit.phone}")
    elif hit.url:
        lines.append("Phone: not in my directory. Try their website below, or dial 211.")
    else:
        lines.append("Phone: not in my directory. Dial 211 (PA 211) and ask for their number.")
    if hit.description:
        lines.append(hit.description)
    if hit.url:
        lines.append(hit.url)
    if hit.demo:
        lines.append("This is a DEMO listing, invented for testing: it is not real.")
    elif hit.verified:
        lines.append(f"Info from {hit.verified}: please call to confirm before you go.")
    lines.append("Reply MORE for other places, COACH for a person.")
    return "\n".join(lines), payload([hit], [{"title": "More", "payload": "MORE"},
                                             {"title": "Talk to a coach", "payload": "COACH"}])


def payload(hits: list[ResourceHit], replies: list[dict[str, str]], *, handoff: bool = False,
            crisis: bool = False) -> dict[str, Any]:
    resources = []
    for h in hits:
        d = asdict(h)
        if h.address_private:  # people see a residence's town and phone, not its street
            d["address"], d["name"] = None, shown_name(h)
        resources.append({k: d[k] for k in ("id", "need", "name", "county", "distance_mi", "demo",
                                            "town", "address", "phone", "verified", "url",
                                            "coverage", "statewide", "kind", "serves_county",
                                            "referral")})
    return {"resources": resources, "quick_replies": replies, "handoff": handoff, "crisis": crisis}
