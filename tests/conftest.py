"""Shared fixtures: a migrated, seeded SQLite directory; each test in a rolled-back transaction."""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from resources_db.db import make_engine, make_session_factory
from resources_db.migrate import upgrade
from resources_db.seed import DEFAULT_SEED_DIR, PROJECT_SEED_DIR, seed_all

ROOT = Path(__file__).resolve().parent.parent


def careerlink_seed_rows() -> list[dict[str, str]]:
    """The CareerLink offices of the seed: the base file, then the new offices of more/ and of
    the project's found rows (rows that update an office are merged into it, not added)."""
    with (DEFAULT_SEED_DIR / "careerlink_offices.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    for path in (DEFAULT_SEED_DIR / "more" / "careerlink_more.csv",
                 PROJECT_SEED_DIR / "careerlink_found.csv"):
        with path.open(newline="") as f:
            rows += [r for r in csv.DictReader(f) if "Updates the row" not in r["notes"]]
    return rows


def _seeded(folder: Path, demo: bool) -> str:
    url = f"sqlite:///{folder / 'directory.db'}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        seed_all(session, include_demo=demo)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def seeded_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The directory as `navigator db seed` makes it: real records only (demo is opt-in)."""
    return _seeded(tmp_path_factory.mktemp("db"), demo=False)


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The directory as `navigator db seed --demo` makes it: real plus flagged demo records."""
    return _seeded(tmp_path_factory.mktemp("demo-db"), demo=True)


def seeded_copy(seeded_db_url: str, folder: Path) -> str:
    """A copy of the seeded directory of a test's own, with no conversations, queue or
    accounts in it (other tests' people share the seeded file)."""
    target = folder / "navigator.db"
    source = sqlite3.connect(seeded_db_url.removeprefix("sqlite:///"))
    with sqlite3.connect(target) as copy:
        source.backup(copy)
        for table in ("handoff", "coach_note", "message", "conversation", "review_item",
                      "audit_log", "coach_session", "api_token", "coach_user"):
            copy.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
    source.close()
    return f"sqlite:///{target}"


def _savepoint_engine(url: str) -> Engine:
    engine = make_engine(url)

    # pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN itself.
    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):  # noqa: ANN001
        conn.exec_driver_sql("BEGIN")

    return engine


def _rolled_back(engine: Engine) -> Iterator[Session]:
    """A session whose work (commits included) is rolled back afterwards."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture(scope="session")
def seeded_engine(seeded_db_url: str) -> Iterator[Engine]:
    engine = _savepoint_engine(seeded_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_engine(demo_db_url: str) -> Iterator[Engine]:
    engine = _savepoint_engine(demo_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(seeded_engine: Engine) -> Iterator[Session]:
    """A session on the real-only directory, rolled back after the test."""
    yield from _rolled_back(seeded_engine)


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    """A session on the directory seeded with demo records, rolled back after the test."""
    yield from _rolled_back(demo_engine)


@pytest.fixture(scope="session", autouse=True)
def crisis_model_ready() -> None:
    """The crisis net's learned layer trained (or loaded from var/) before any test, as
    `navigator run` does before it starts the api: an api that starts while the model is still
    being trained answers with the rules alone until it is ready (test_crisis_model.py)."""
    from api.services.crisis_model import load_classifier

    load_classifier()
