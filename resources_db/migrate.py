"""Alembic, configured in code (no alembic.ini): `navigator db upgrade` calls upgrade()."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from resources_db.db import database_url_from_env

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or database_url_from_env()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
