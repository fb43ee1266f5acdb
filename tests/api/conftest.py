from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings

TWILIO_TOKEN = "test-twilio-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def settings_engine_down(seeded_db_url: str) -> Settings:
    """Real settings whose engine and action server ports have nothing listening."""
    return Settings(environment="test", database_url=seeded_db_url, rasa_port=free_port(),
                    action_port=free_port(), twilio_auth_token=TWILIO_TOKEN,
                    public_base_url="https://navigator.example.org", rasa_timeout_s=2)


@pytest.fixture
def client(settings_engine_down: Settings):
    with TestClient(create_app(settings_engine_down)) as c:
        yield c
