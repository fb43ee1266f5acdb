"""`python -m bot.serve ARGS`: the `rasa` command line with bot.engine_patches applied first.

bot.launch runs the engine server through this instead of the `rasa` script. Two guards for the
secrets the engine holds (its API token, the tracker database's and Redis's passwords):

- Never on the command line, which every local user can read (`ps`, /proc/PID/cmdline): for
  `run`, the API token comes from RASA_TOKEN and is added to Rasa's own argv inside this
  process (sys.argv), so the kernel's copy of the command line never holds it.
- Never in a log line: every line any logging handler of the engine writes (Rasa's, Sanic's
  access log when LOG_LEVEL_LIBRARIES lets it through, a traceback's URL) has those values,
  `token=` query parameters and URL passwords replaced by [redacted]. Rasa accepts its token
  only as a `?token=` query parameter (rasa/server.py, requires_auth), so it is in URLs.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote, urlsplit

# Environment variables whose values are secrets (bot.launch sets the two passwords from
# RASA_TRACKER_DB and REDIS_URL; the others are in the engine's environment too).
SECRET_VARIABLES = ("RASA_TOKEN", "TRACKER_DB_PASSWORD", "LOCK_STORE_PASSWORD",
                    "DATA_ENCRYPTION_KEY", "PSEUDONYM_KEY", "TWILIO_AUTH_TOKEN")
URL_VARIABLES = ("RASA_TRACKER_DB", "REDIS_URL", "DATABASE_URL")
REDACTED = "[redacted]"
MIN_SECRET_CHARS = 6  # shorter values would redact ordinary words; settings refuse them anyway
_QUERY_SECRET = re.compile(r"([?&](?:token|auth_token|access_token|password)=)[^&\s\"'#]+",
                           re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s\"']*:)[^@/\s\"']+@", re.IGNORECASE)


def secret_values(env: Mapping[str, str]) -> list[str]:
    """The secret values in `env` (and their URL-quoted forms), longest first."""
    values = {env.get(name, "") for name in SECRET_VARIABLES}
    for name in URL_VARIABLES:
        try:
            password = urlsplit(env.get(name, "")).password
        except ValueError:
            password = None
        if password:
            values.add(unquote(password))
    values |= {quote(v, safe="") for v in values}
    return sorted((v for v in values if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    for value in secrets:
        text = text.replace(value, REDACTED)
    text = _QUERY_SECRET.sub(rf"\1{REDACTED}", text)
    return _URL_PASSWORD.sub(rf"\1{REDACTED}@", text)


def redact_every_log_line(secrets: list[str]) -> None:
    """Every logging handler in this process writes redacted lines: Handler.format is what
    StreamHandler, FileHandler, SysLogHandler... call, whatever formatter they were given."""
    original = logging.Handler.format

    def format(self: logging.Handler, record: logging.LogRecord) -> str:
        return redact(original(self, record), secrets)

    logging.Handler.format = format  # type: ignore[method-assign]


def rasa_argv(args: list[str], env: Mapping[str, str]) -> list[str]:
    """Rasa's argv: for `run`, with `--auth-token` from RASA_TOKEN (never from our own argv)."""
    if args[:1] == ["run"] and "--auth-token" not in args:
        token = env.get("RASA_TOKEN")
        if not token:
            raise SystemExit("RASA_TOKEN is not set: the Rasa HTTP API must be protected by a "
                             "token")
        args = [*args, "--auth-token", token]
    return ["rasa", *args]


if __name__ == "__main__":
    redact_every_log_line(secret_values(os.environ))
    from bot.engine_patches import apply

    apply()
    from rasa.__main__ import main

    sys.argv = rasa_argv(sys.argv[1:], os.environ)
    main()
