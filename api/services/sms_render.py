"""Renders the bot's channel-neutral replies as plain SMS text.

Carriers bill and split by segment: 160 GSM-7 characters (153 per part once split), or only
70 (67 per part) as soon as one character is outside GSM-7 (an emoji, a curly quote). Replies
are kept to 3 segments where possible: a resource list is rebuilt compactly from the custom
payload when the full text would be longer. No markdown, numbered options instead of buttons.
"""

from __future__ import annotations

import math
from typing import Any

from actions.formatting import contact_for
from api.services.rasa_client import BotMessage

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")  # each takes two septets
MAX_SEGMENTS = 3
# Characters people paste that have a plain GSM-7 twin: replacing them keeps 153/segment.
_PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...",
                        "\u00a0": " "})


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def segments(text: str) -> int:
    """How many SMS segments a carrier will bill for this text."""
    if not text:
        return 0
    if is_gsm7(text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)  # UTF-16 code units
    return 1 if units <= 70 else math.ceil(units / 67)


def plain(text: str) -> str:
    return text.translate(_PLAIN).replace("**", "").replace("__", "")


def _compact_listing(text: str, custom: dict[str, Any]) -> str:
    head = text.splitlines()[0] if text else ""
    lines = [head]
    for i, r in enumerate(custom.get("resources") or [], start=1):
        parts = [f"{i}. {r.get('name', '')}"]
        parts.append(contact_for(str(r.get("phone") or ""), str(r.get("url") or ""),
                                 compact=True))
        if r.get("coverage"):  # "serves Erie County", "statewide": says more than a distance
            parts.append(str(r["coverage"]))
        elif r.get("distance_mi") is not None and r["distance_mi"] >= 1:
            parts.append(f"~{round(r['distance_mi'])} mi")
        elif r.get("town"):
            parts.append(str(r["town"]))
        lines.append(", ".join(parts))
    options = [q["payload"] for q in custom.get("quick_replies") or []]
    numbers = [o for o in options if o.isdigit()]
    words = [o for o in options if not o.isdigit()]
    choice = f"Reply 1-{numbers[-1]} for details" if numbers else "Reply"
    lines.append(", ".join([choice, *words]) + ". Info may be old: call first.")
    return "\n".join(lines)


def render_message(message: BotMessage) -> str:
    text = plain((message.text or "").strip())
    custom = message.custom or {}
    if custom.get("resources") and segments(text) > MAX_SEGMENTS:
        compact = plain(_compact_listing(text, custom))
        if segments(compact) < segments(text):
            return compact
    return text


def render_sms(messages: list[BotMessage]) -> str:
    return "\n\n".join(t for t in (render_message(m) for m in messages) if t)
