"""The directory on a real PostgreSQL server: migrations, seeding and search behave as on SQLite.

Written against behaviour (the schema grows): migrations are idempotent, seeding twice keeps
every table's row count, and a search ranks the same records in the same order as SQLite.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, table, text

from resources_db import geo
from resources_db.db import make_engine, make_session_factory
from resources_db.migrate import alembic_config, upgrade
from resources_db.search import ResourceHit, search_services
from resources_db.seed import seed_all
from tests.postgres import create_database, postgres_url  # noqa: F401  (the fixture)

pytestmark = pytest.mark.postgres

_db_numbers = itertools.count(1)


@pytest.fixture
def pg_url(postgres_url: str) -> str:  # noqa: F811
    """A fresh, empty database on the session's server, one per test."""
    return create_database(postgres_url, f"navigator_t{next(_db_numbers)}")


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        return {n: conn.scalar(select(func.count()).select_from(table(n))) for n in names}


def seeded(url: str) -> Engine:
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        seed_all(session)
    return engine


def test_upgrade_creates_the_schema_and_is_idempotent(pg_url: str, pg_engine: Engine):
    head = ScriptDirectory.from_config(alembic_config(pg_url)).get_current_head()
    upgrade(pg_url)
    with pg_engine.connect() as conn:
        assert pg_engine.dialect.name == "postgresql"
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head
        tables = set(inspect(conn).get_table_names())
    assert {"organization", "service", "location", "alembic_version"} <= tables

    upgrade(pg_url)  # already at head: nothing to do
    with pg_engine.connect() as conn:
        assert conn.scalars(text("SELECT version_num FROM alembic_version")).all() == [head]
        assert set(inspect(conn).get_table_names()) == tables


def test_seeding_twice_leaves_the_same_row_counts(pg_url: str):
    engine = seeded(pg_url)
    try:
        first = row_counts(engine)
        assert first["service"] > 0 and first["organization"] > 0 and first["location"] > 0
        with make_session_factory(engine)() as session:
            seed_all(session)
        assert row_counts(engine) == first
    finally:
        engine.dispose()


def _search_both(pg_url: str, tmp_path: Path, **kwargs) -> dict[str, list[ResourceHit]]:
    """search_services(..., "jobs", erie) on PostgreSQL and on SQLite seeded the same way."""
    pg = seeded(pg_url)
    lite = seeded(f"sqlite:///{tmp_path / 'directory.db'}")
    try:
        # Dialect-specific extras (e.g. SQLite's full-text tables) aside, the same rows.
        pg_counts, lite_counts = row_counts(pg), row_counts(lite)
        common = pg_counts.keys() & lite_counts.keys()
        assert {"organization", "service", "location"} <= common
        assert {n: pg_counts[n] for n in common} == {n: lite_counts[n] for n in common}
        place = geo.resolve_place("erie")
        out = {}
        for name, engine in (("postgresql", pg), ("sqlite", lite)):
            with make_session_factory(engine)() as session:
                result = search_services(session, "jobs", place, **kwargs)
            assert result.total > 0
            out[name] = result.hits
        return out
    finally:
        pg.dispose()
        lite.dispose()


@pytest.mark.parametrize("limit", [3, 1000], ids=["top3", "all"])
def test_search_ranks_like_sqlite(pg_url: str, tmp_path: Path, limit: int):
    hits = _search_both(pg_url, tmp_path, limit=limit)
    assert len(hits["postgresql"]) == len(hits["sqlite"]) > 0
    # Same records in the same order, ties included (search.py breaks them by name and id) ...
    assert [h.id for h in hits["postgresql"]] == [h.id for h in hits["sqlite"]]
    # ... and every field read back identically (distances, dates, flags, text).
    assert hits["postgresql"] == hits["sqlite"]
