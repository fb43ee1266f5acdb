"""Encryption at rest on the engine side: the tracker store's events, under DATA_ENCRYPTION_KEY.

The key is stretched exactly as the gateway's `api/services/crypto.py` stretches it (SHA-256
of the setting, as a Fernet key) and tokens are Fernet tokens (AES-128-CBC + HMAC-SHA256), so
one key and one format cover every message at rest: the gateway's Vault can read what the
engine wrote and the other way round (tests/bot/test_tracker_crypto.py checks both). bot/ runs
in the engine venv and cannot import api/; this is the small copy of it.

Standard library and `cryptography` only (no rasa), so bot.launch can check the key before it
starts the engine.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken

# api/settings.py DEV_SECRETS["data_encryption_key"]: what the gateway uses when nothing is set.
DEV_DATA_ENCRYPTION_KEY = "dev-data-encryption-key"


class DataKeyError(RuntimeError):
    """The data key is missing, a default in production, or not the key the data was sealed
    with. A RuntimeError on purpose: Rasa replaces a custom tracker store whose constructor
    raises AttributeError or ImportError with an in-memory one, silently."""


def is_production(env: Mapping[str, str]) -> bool:
    return env.get("ENVIRONMENT", "development").strip().lower() == "production"


def data_key(env: Mapping[str, str] | None = None) -> str:
    """DATA_ENCRYPTION_KEY as the gateway reads it (the development default when unset);
    in production a missing, empty or default key is refused, as api/settings.py refuses it."""
    env = os.environ if env is None else env
    key = env.get("DATA_ENCRYPTION_KEY")
    if is_production(env) and (not key or key == DEV_DATA_ENCRYPTION_KEY):
        raise DataKeyError(
            "refusing to start in production without DATA_ENCRYPTION_KEY (unset, empty or the "
            "development default): the engine encrypts every conversation it stores with it; "
            "set it in the environment, the same value the api uses")
    return DEV_DATA_ENCRYPTION_KEY if key is None else key


def fernet_for(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


class EventCipher:
    """Seals one stored event's JSON text; opens sealed text, and plaintext JSON written before
    the tracker store encrypted (a JSON object starts with "{", a Fernet token with "gAAAAA").

    Every turn reads the whole session back, so opening is remembered: a token this process
    sealed or opened before is not decrypted again (a token always opens to the same text, so
    nothing can go stale; rows deleted by a purge are simply never asked for again). Decrypting
    costs about 15 us an event, which a session of 100 events paid on every turn. The memory is
    two generations of at most `remember` tokens each (the older one is dropped when the newer
    fills up), plaintext only in this process's memory, which holds the trackers anyway.
    """

    def __init__(self, key: str, remember: int = 5000):
        self._fernet = fernet_for(key)
        self._remember = remember
        self._new: dict[str, str] = {}
        self._old: dict[str, str] = {}

    def _keep(self, token: str, text: str) -> None:
        if len(self._new) >= self._remember:  # worker threads race here at worst into a miss
            self._old, self._new = self._new, {}
        self._new[token] = text

    def seal(self, text: str) -> str:
        token = self._fernet.encrypt(text.encode()).decode("ascii")
        self._keep(token, text)
        return token

    def open(self, stored: str) -> str:
        text = self._new.get(stored)
        if text is not None:
            return text
        if stored[:1] in ("{", "["):  # an older database's plaintext row: still readable
            return stored
        text = self._old.get(stored)
        if text is None:
            try:
                text = self._fernet.decrypt(stored.encode("ascii")).decode()
            except (InvalidToken, UnicodeEncodeError) as exc:
                raise DataKeyError(
                    "a stored tracker event cannot be decrypted with DATA_ENCRYPTION_KEY: the "
                    "key is not the one it was written with (changed?) or the row is "
                    "damaged") from exc
        self._keep(stored, text)
        return text
