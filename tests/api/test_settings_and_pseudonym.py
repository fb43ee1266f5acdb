import pytest
from pydantic import ValidationError

from api.services.pseudonym import pseudonymous_id
from api.settings import Settings


def test_production_refuses_default_secrets():
    with pytest.raises(ValidationError, match="RASA_TOKEN"):
        Settings(environment="production", pseudonym_key="k" * 32,
                 twilio_auth_token="t" * 32)


def test_production_starts_with_real_secrets():
    s = Settings(environment="production", rasa_token="r" * 32, pseudonym_key="k" * 32,
                 twilio_auth_token="t" * 32, data_encryption_key="e" * 32)
    assert s.environment == "production"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("API_PORT", "8123")
    monkeypatch.setenv("RASA_PORT", "5123")
    s = Settings()
    assert (s.api_port, s.rasa_url) == (8123, "http://127.0.0.1:5123")


def test_pseudonym_hides_the_phone_number_and_is_stable():
    a = pseudonymous_id("key", "sms", "+14125550123")
    assert a == pseudonymous_id("key", "sms", "+14125550123")
    assert "4125550123" not in a
    assert a != pseudonymous_id("other-key", "sms", "+14125550123")
    assert a != pseudonymous_id("key", "web", "+14125550123")
