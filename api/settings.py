"""One settings object, from environment variables (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from resources_db.db import DEFAULT_DATABASE_URL, REPO_ROOT

# Development defaults; production refuses to start with any of them.
DEV_SECRETS = {
    "rasa_token": "dev-rasa-token",
    "pseudonym_key": "dev-pseudonym-key",
    "twilio_auth_token": "dev-twilio-auth-token",
    "data_encryption_key": "dev-data-encryption-key",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # dev: SQLite files, one engine. prod: PostgreSQL (directory, conversations, Rasa's tracker
    # store), Redis (Rasa's lock store), ENGINE_INSTANCES engines (endpoints.prod.yml).
    navigator_profile: Literal["dev", "prod"] = "dev"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    public_base_url: str = "http://localhost:8000"

    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    rasa_token: str = DEV_SECRETS["rasa_token"]
    rasa_timeout_s: float = 10.0  # a turn that reached the engine; also bounds a hung engine
    rasa_connect_timeout_s: float = 1.0  # an engine that does not accept: try the next one
    # Engine instances on consecutive ports from RASA_PORT; or RASA_URLS (comma-separated).
    engine_instances: int = 1
    rasa_urls: str = ""
    redis_url: str = ""  # Rasa's lock store in the prod profile: redis://host:port/db
    action_port: int = 5055

    database_url: str = DEFAULT_DATABASE_URL

    # Keyed HMAC of a channel address -> the pseudonymous id Rasa sees.
    pseudonym_key: str = DEV_SECRETS["pseudonym_key"]
    twilio_auth_token: str = DEV_SECRETS["twilio_auth_token"]
    # Encrypts phone numbers and message bodies at rest.
    data_encryption_key: str = DEV_SECRETS["data_encryption_key"]

    # Twilio REST (out-of-band replies for slow turns). Twilio waits 15 s for a webhook answer.
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_from_number: str = "+15555550100"
    twilio_api_base: str = "https://api.twilio.com"
    sms_inline_timeout_s: float = 10.0

    max_message_chars: int = 1600
    retention_days: int = 30  # messages and engine events older than this are purged
    rasa_tracker_db: str = str(REPO_ROOT / "var" / "rasa_tracker.db")  # path or database URL
    max_body_bytes: int = 64 * 1024  # larger requests get 413
    messages_per_minute: int = 20  # per sender
    # When coaches answer (America/New_York), as people are told: "Mon-Fri 9am-5pm", "24/7".
    coach_hours: str = "Mon-Fri 9am-5pm"
    login_attempts_per_minute: int = 10  # per client address, on top of account lockout
    # Host sites allowed to embed the web chat widget (comma-separated origins).
    widget_allowed_origins: str = ""
    # Invented job postings and residences (flagged DEMO in every reply) for trying the bot;
    # off unless asked for, refused in production.
    demo_data: bool = False

    @property
    def widget_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.widget_allowed_origins.split(",") if o.strip()]

    @property
    def secure_cookies(self) -> bool:
        return self.public_base_url.startswith("https://")

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def rasa_endpoints(self) -> list[str]:
        """Every engine instance the gateway spreads conversations over."""
        given = [u.strip().rstrip("/") for u in self.rasa_urls.split(",") if u.strip()]
        return given or [f"http://{self.rasa_host}:{self.rasa_port + i}"
                         for i in range(max(1, self.engine_instances))]

    @property
    def action_server_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @model_validator(mode="after")
    def _coach_hours_understood(self) -> Settings:
        from resources_db.schedules import parse_hours

        if not parse_hours(self.coach_hours):  # people are told these hours: they must be right
            raise ValueError(f"COACH_HOURS {self.coach_hours!r} is not understood: write it "
                             "like 'Mon-Fri 9am-5pm', 'Mon-Fri 9am-5pm, Sat 10am-2pm' or '24/7'")
        return self

    @model_validator(mode="after")
    def _prod_profile_servers(self) -> Settings:
        if self.navigator_profile == "prod":
            missing = [name for name, ok in (
                ("DATABASE_URL=postgresql+psycopg://...", self.database_url.startswith("postgresql")),
                ("RASA_TRACKER_DB=postgresql://...", self.rasa_tracker_db.startswith("postgres")),
                ("REDIS_URL=redis://...", self.redis_url.startswith("redis://"))) if not ok]
            if missing:
                raise ValueError("the prod profile runs on PostgreSQL and Redis: set "
                                 + ", ".join(missing))
        return self

    @model_validator(mode="after")
    def _refuse_demo_in_production(self) -> Settings:
        if self.environment == "production" and self.demo_data:
            raise ValueError("refusing to start in production with DEMO_DATA=true: demo "
                             "listings are invented and must not reach real people")
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production":
            defaults = [name.upper() for name, value in DEV_SECRETS.items()
                        if getattr(self, name) == value]
            if defaults:
                raise ValueError(f"refusing to start in production with default secrets: "
                                 f"{', '.join(defaults)}; set them in the environment")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
