"""The engine gets the data key and the environment from the one Settings object, so it
encrypts its tracker store with the api's key, and refuses defaults in production, also when
both are set in a .env file only (which the engine itself never reads)."""

from __future__ import annotations

from api import cli
from api.settings import get_settings


def test_the_engine_gets_the_data_key_and_environment_from_a_dot_env_file(tmp_path,
                                                                          monkeypatch):
    for name in ("ENVIRONMENT", "DATA_ENCRYPTION_KEY", "RASA_TOKEN", "PSEUDONYM_KEY",
                 "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(
        "ENVIRONMENT=production\nDATA_ENCRYPTION_KEY=key-from-dot-env\n"
        "RASA_TOKEN=t-from-dot-env\nPSEUDONYM_KEY=p-from-dot-env\n"
        "TWILIO_AUTH_TOKEN=w-from-dot-env\n")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        env = cli.runtime_env()
    finally:
        get_settings.cache_clear()
    assert env["DATA_ENCRYPTION_KEY"] == "key-from-dot-env"
    assert env["ENVIRONMENT"] == "production"
