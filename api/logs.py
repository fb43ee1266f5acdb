"""Structured JSON logs, one object per line. What goes in them is decided where they are
written: pseudonymous ids and kinds of events, never a phone number or message text.

No secret either: every line has the configured secrets (Rasa's token, the Twilio auth token,
the pseudonym and data keys, database and Redis passwords), any `token=` query parameter and
any URL password replaced by [redacted]. Rasa 3.6 accepts its API token only as a `?token=`
query parameter, so it is in the URL httpx logs for every engine call (and in an HTTP error's
message); redacting here covers every logger of the api process, ours and the libraries'.
(The engine does the same for its own lines: bot/serve.py.)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

if TYPE_CHECKING:
    from api.settings import Settings

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 6  # shorter values would redact ordinary words
_QUERY_SECRET = re.compile(r"([?&](?:token|auth_token|access_token|password)=)[^&\s\"'#]+",
                           re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s\"']*:)[^@/\s\"']+@", re.IGNORECASE)


def secret_values(settings: Settings) -> list[str]:
    """The settings' secret values (and their URL-quoted forms), longest first."""
    values = {settings.rasa_token, settings.twilio_auth_token, settings.pseudonym_key,
              settings.data_encryption_key}
    for url in (settings.database_url, settings.rasa_tracker_db, settings.redis_url):
        try:
            password = urlsplit(url).password
        except ValueError:
            password = None
        if password:
            values.add(unquote(password))
    values |= {quote(v, safe="") for v in values}
    return sorted((v for v in values if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for value in secrets:
        text = text.replace(value, REDACTED)
    text = _QUERY_SECRET.sub(rf"\1{REDACTED}", text)
    return _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage(), self.secrets),
        }
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info).splitlines()[-1],
                                    self.secrets)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
