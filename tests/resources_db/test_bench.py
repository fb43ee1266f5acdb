"""`navigator bench search` is a measurement, but its machinery must be right: on a tiny
directory the search and the full-scan baseline agree on every query, and the last line is the
JSON summary. Also the fast paths the benchmark motivated: search keys follow every write made
through a session (flushes and bulk statements), and hits read with two queries equal hits read
through the ORM relationships."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from sqlalchemy import create_engine, delete, select, text

from resources_db import bench, geo
from resources_db.models import Attribute, Location, Service, ServiceAtLocation
from resources_db.search import (
    _LOAD_FOR_HIT,
    _service_facts,
    _ServiceFacts,
    fts_query,
    search_services,
)
from resources_db.seed import set_attribute
from resources_db.taxonomy import term_id
from tests.postgres import postgres_url  # noqa: F401  (the fixture)


def test_search_and_the_full_scan_agree_and_the_last_line_is_the_summary(capsys):
    report = bench.bench_search(services=300, queries=30, seed=7)
    assert report.mismatches == []
    assert len(report.search_ms) == len(report.baseline_ms) == 30
    lines = capsys.readouterr().out.splitlines()
    summary = json.loads(lines[-1])
    assert list(summary) == ["backend", "services", "queries", "p50_ms", "p95_ms", "qps",
                             "baseline_p95_ms"]
    assert summary["backend"] == "sqlite" and summary["services"] == 300
    assert any("mismatches between search and baseline: 0" in line for line in lines)


def test_queries_are_reproducible_and_mixed():
    queries = bench.make_queries(200, seed=3)
    assert queries == bench.make_queries(200, seed=3) != bench.make_queries(200, seed=4)
    kinds = [q.kind for q in queries]
    assert 0.4 < kinds.count("radius") / 200 < 0.6 and 0.1 < kinds.count("text") / 200 < 0.3
    assert all(5 <= q.radius_mi <= 50 for q in queries if q.kind == "radius")
    assert all(q.place.kind == "county" for q in queries if q.kind == "county")


def test_query_words_match_only_themselves_in_full_text():
    """The baseline matches whole words; FTS5 matches stemmed prefixes ("detox"* would also
    find "detoxing"). They agree because no word the directory uses starts like a query word."""
    words = {w.lower() for text_ in [
        *bench.NAME_WORDS, *bench.CLOSINGS, "Pennsylvania Serving and County",
        *(part for kinds, mains, extras in bench.NEED_TEXT.values()
          for part in (*kinds, *mains, *extras)),
        *geo.PA_COUNTIES, *(geo.town_of_zip(p.zip) or "" for p in bench._zips()[0])]
        for w in re.findall(r"\w+", text_)}
    assert set(bench.QUERY_WORDS) <= words
    fts = sqlite3.connect(":memory:")
    fts.execute("CREATE VIRTUAL TABLE t USING fts5(w, tokenize='porter unicode61')")
    fts.executemany("INSERT INTO t(w) VALUES (?)", [(w,) for w in sorted(words)])
    for word in bench.QUERY_WORDS:
        found = {w for (w,) in fts.execute("SELECT w FROM t WHERE t MATCH ?", (fts_query(word),))}
        assert found == {word}


def test_search_keys_follow_writes_through_the_session(db_session):
    harrisburg, erie = geo.resolve_place("harrisburg"), geo.resolve_place("erie")

    def ids(place, **kwargs) -> set[str]:
        return {h.id for h in search_services(db_session, "careerlink", place, limit=100,
                                              **kwargs).hits}

    office = search_services(db_session, "careerlink", harrisburg, limit=1).hits[0]
    assert office.id not in ids(harrisburg, filters={"weekend_hours": "true"})
    set_attribute(db_session, office.id, "weekend_hours", "true")
    db_session.flush()
    assert office.id in ids(harrisburg, filters={"weekend_hours": "true"})
    assert office.id in ids(harrisburg, filters={"cost": "free"})
    db_session.execute(delete(Attribute).where(Attribute.link_id == office.id,
                                               Attribute.taxonomy_term_id == term_id("cost")))
    assert office.id not in ids(harrisburg, filters={"cost": "free"})  # bulk writes too

    sal = db_session.scalars(select(ServiceAtLocation)
                             .where(ServiceAtLocation.service_id == office.id)).first()
    location = db_session.get(Location, sal.location_id)
    location.latitude, location.longitude = erie.latitude, erie.longitude
    db_session.flush()
    assert office.id not in ids(harrisburg, radius_mi=10)
    assert office.id in ids(erie, radius_mi=10)

    db_session.get(Service, office.id).status = "inactive"
    db_session.flush()
    assert office.id not in ids(erie, radius_mi=10)


def test_hits_read_in_two_queries_equal_hits_read_through_the_orm(db_session):
    services = db_session.scalars(select(Service).options(*_LOAD_FOR_HIT)).all()
    for place in (None, geo.resolve_place("erie"), geo.resolve_place("Philadelphia County")):
        fast = _service_facts(db_session, [s.id for s in services], place)
        assert fast == {s.id: _ServiceFacts.of(s, place) for s in services}


@pytest.mark.postgres
def test_on_postgresql_the_bench_agrees_and_drops_its_database(postgres_url, capsys):  # noqa: F811
    report = bench.bench_search(services=300, queries=30, seed=7, database_url=postgres_url)
    assert report.backend == "postgresql" and report.mismatches == []
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["backend"] == "postgresql"
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            left = conn.scalars(text("SELECT datname FROM pg_database "
                                     "WHERE datname LIKE 'navigator_bench_%'")).all()
    finally:
        engine.dispose()
    assert left == []
