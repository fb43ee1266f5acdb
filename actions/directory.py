"""Lazy access to the resource directory for actions (created on first use, not at import)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from resources_db.db import make_engine, make_session_factory


@lru_cache(maxsize=1)
def _sessions() -> sessionmaker:
    return make_session_factory(make_engine())


def session() -> Session:
    return _sessions()()
