"""Renders the bot's channel-neutral replies as one plain SMS text (no markdown, no buttons)."""

from __future__ import annotations

from api.services.rasa_client import BotMessage


def render_sms(messages: list[BotMessage]) -> str:
    return "\n\n".join(m.text.strip() for m in messages if m.text and m.text.strip())
