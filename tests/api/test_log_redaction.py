"""No secret in the api's log lines (api/logs.py): the configured values, any `token=` query
parameter (Rasa's token is one, in the URL httpx logs for every engine call) and URL passwords
are redacted, in the message and in an exception's line. The real processes are checked in
tests/integration/test_run_supervised.py."""

from __future__ import annotations

import io
import json
import logging

import httpx

from api.logs import REDACTED, JsonFormatter, configure_logging, redact, secret_values
from api.settings import Settings


def settings(**overrides: str) -> Settings:
    values = {"rasa_token": "rasa-token-value-1", "pseudonym_key": "pseudonym-value-2",
              "twilio_auth_token": "twilio-token-value-3", "data_encryption_key": "data-key-4",
              "database_url": "postgresql+psycopg://nav:db%2Fpass-5@127.0.0.1:5432/nav",
              "rasa_tracker_db": "postgresql://nav:tracker-pass-6@127.0.0.1/rasa",
              "redis_url": "redis://:redis-pass-7@127.0.0.1:6379/0"}
    return Settings(**{**values, **overrides})


def test_every_configured_secret_and_url_password_is_known():
    found = secret_values(settings())
    for value in ("rasa-token-value-1", "pseudonym-value-2", "twilio-token-value-3",
                  "data-key-4", "db/pass-5", "db%2Fpass-5", "tracker-pass-6", "redis-pass-7"):
        assert value in found
    assert found == sorted(found, key=len, reverse=True)  # a longer one is replaced first
    assert "x" not in secret_values(settings(data_encryption_key="x"))  # too short to redact


def test_tokens_in_urls_and_url_passwords_are_redacted_without_knowing_them():
    assert redact("GET http://127.0.0.1:5005/status?token=abc123&x=1 200") == \
        f"GET http://127.0.0.1:5005/status?token={REDACTED}&x=1 200"
    assert redact("connect redis://:hunter22@host:6379/0 failed") == \
        f"connect redis://:{REDACTED}@host:6379/0 failed"
    assert redact("nothing to see at http://example.org/a?b=c") == \
        "nothing to see at http://example.org/a?b=c"


def test_the_json_lines_carry_no_secret(monkeypatch):
    s = settings()
    stream = io.StringIO()
    configure_logging(secrets=secret_values(s))
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler.formatter, JsonFormatter)
    monkeypatch.setattr(handler, "stream", stream)
    log = logging.getLogger("httpx")
    log.info("HTTP Request: GET %s \"HTTP/1.1 200 OK\"",
             f"http://127.0.0.1:5005/status?token={s.rasa_token}")
    log.warning("key %s, twilio %s", s.pseudonym_key, s.twilio_auth_token)
    try:
        raise httpx.HTTPError(f"failed for url 'http://e/x?token={s.rasa_token}' "
                              f"with {s.data_encryption_key}")
    except httpx.HTTPError:
        log.exception("engine call failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3 and REDACTED in lines[0]["msg"] and REDACTED in lines[2]["error"]
    text = stream.getvalue()
    for value in secret_values(s):
        assert value not in text
