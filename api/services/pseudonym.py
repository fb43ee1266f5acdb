"""Pseudonymous conversation ids: Rasa never sees a phone number or a client id."""

from __future__ import annotations

import hashlib
import hmac


def pseudonymous_id(key: str, channel: str, address: str) -> str:
    digest = hmac.new(key.encode(), f"{channel}:{address}".encode(), hashlib.sha256)
    return f"{channel}-{digest.hexdigest()[:32]}"
