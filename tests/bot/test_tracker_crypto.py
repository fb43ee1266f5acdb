"""bot/tracker_store.py keeps no message text in plaintext: every event's JSON is encrypted with
DATA_ENCRYPTION_KEY (bot/crypto.py), on SQLite and PostgreSQL, and read back unchanged.

Rasa lives in the engine venv only: the checks run tests/bot/tracker_crypto_check.py through
`.venv-engine/bin/python`; this side (the app venv) checks the rows with the gateway's own
Vault, so the two sides are also checked to read each other's tokens.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest

from api.services.crypto import Vault
from api.settings import DEV_SECRETS
from tests.bot.test_engine_patches import ENGINE_PYTHON, ROOT
from tests.postgres import create_database, postgres_url  # noqa: F401  (the fixture)

CHECK = ROOT / "tests" / "bot" / "tracker_crypto_check.py"
WORD = "zebracrisisword"
KEY = secrets.token_hex(16)
_databases = itertools.count(1)


def engine_check(*args: str, **env: str) -> object:
    if not ENGINE_PYTHON.exists():
        pytest.fail("the engine venv is missing: make setup", pytrace=False)
    run_env = {k: v for k, v in os.environ.items()
               if k not in ("ENVIRONMENT", "DATA_ENCRYPTION_KEY")}
    run_env.update({"RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                    "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                    "DATA_ENCRYPTION_KEY": KEY, **env})
    proc = subprocess.run([str(ENGINE_PYTHON), str(CHECK), *args], cwd=ROOT, env=run_env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the tracker store writes: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "tracker.db")
    server = request.getfixturevalue("postgres_url")
    url = create_database(server, f"tracker_t{next(_databases)}")
    return url.replace("postgresql+psycopg://", "postgresql://")


def assert_no_plaintext(rows: list[dict], word: str = WORD) -> None:
    for row in rows:
        for column, value in row.items():
            assert word not in str(value).lower(), (column, row)


def test_no_message_text_in_any_row_and_the_conversation_reads_back_unchanged(target):
    result = engine_check("conversation", target)
    assert result["read"] == result["saved"] == result["full"]
    assert result["keys"] == ["p1"]
    rows = result["rows"]
    assert len(rows) == len(result["saved"]) and {r["sender_id"] for r in rows} == {"p1"}
    assert_no_plaintext(rows)
    # The columns Rasa, `navigator purge` and `person delete` select by are still plaintext.
    assert {r["type_name"] for r in rows} >= {"user", "bot", "slot", "action"}
    assert {r["intent_name"] for r in rows} == {None, "find_job"}
    assert {"action_listen", "action_search", "location"} <= {r["action_name"] for r in rows}
    assert all(r["timestamp"] for r in rows)
    # Each row is the gateway's format under the same key: its Vault reads the event back.
    vault = Vault(KEY)
    opened = [json.loads(vault.decrypt(r["data"])) for r in rows]
    assert opened == result["saved"]
    assert WORD in opened[[e["event"] for e in opened].index("user")]["parse_data"]["text"]
    assert Vault("another key").decrypt(rows[0]["data"]) is None
    if target.endswith(".db"):  # SQLite: the files' bytes, write-ahead log included
        files = result["files"]
        assert {"tracker.db", "tracker.db-wal"} <= files.keys(), files
        assert not any(files.values()), files


def test_rows_written_in_plaintext_before_are_still_read_and_continued(target):
    result = engine_check("legacy", target)
    assert [e["event"] for e in result["read_old"]][-5:] == ["user", "slot", "action", "bot",
                                                             "action"]
    assert result["read"] == result["saved"]  # old rows, then the new turn: no duplicates
    old, new = result["rows"][:len(result["read_old"])], result["rows"][len(result["read_old"]):]
    assert all(r["data"].startswith("{") for r in old)  # Rasa's own plaintext, as it was
    assert len(new) == 5
    assert_no_plaintext(new)


def test_rows_written_with_another_key_fail_loudly(target):
    error = engine_check("wrong-key", target)["error"]
    assert error and "DATA_ENCRYPTION_KEY" in error and "changed" in error


def test_production_refuses_a_missing_or_default_key(tmp_path):
    result = engine_check("keys", str(tmp_path / "tracker.db"))
    assert result["dev_unset"] == "key " + DEV_SECRETS["data_encryption_key"]  # as the api
    assert result["dev_set"] == "key k1"
    for case in ("prod_unset", "prod_empty", "prod_default"):
        assert result[case].startswith("refused: refusing to start in production"), case
    assert result["prod_set"] == "key k2"
    # Through Rasa's own tracker store factory (what `rasa run` calls): refused, not replaced
    # by an in-memory store.
    assert result["rasa_factory"].startswith("refused:"), result["rasa_factory"]
    assert not (tmp_path / "tracker.db").exists()  # refused before connecting


def test_with_an_event_broker_events_are_streamed_and_stored_encrypted(tmp_path):
    result = engine_check("broker", str(tmp_path / "tracker.db"))
    assert result["published"] == [e["event"] for e in result["saved"]]
    assert result["read"] == result["saved"]
    assert_no_plaintext(result["rows"])


def test_the_engine_and_the_gateway_read_each_others_tokens():
    said = f"I took all my pills {WORD} é 🚌"
    assert engine_check("open", Vault(KEY).encrypt(said)) == said
    assert Vault(KEY).decrypt(engine_check("seal", said)) == said


def test_opened_tokens_are_remembered_in_two_bounded_generations():
    result = engine_check("cache", "-")
    assert result["sizes"] == [1, 2]
    expected = [f'{{"n": {n}}}' for n in range(5)]
    assert result["opened"] == result["fresh"] == result["again"] == expected
    assert result["remembered"] == 5
