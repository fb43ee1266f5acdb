"""Coverage, measured (resources_db/coverage.py) on the seeded directory: what an admin reading
the matrix would notice. The directory's data and the search's ordering change under other
work, so these assert relations (every county, an office's own county, demo never counting),
not counts."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import cli
from resources_db import coverage
from resources_db.coverage import NEARBY, NOTHING, SERVES, STATES, STATEWIDE, classify
from resources_db.demo import LARGEST_COUNTIES
from resources_db.geo import PA_COUNTIES
from resources_db.models import JobPosting, Phone, Service
from resources_db.search import NEAR_ENOUGH_MI, ResourceHit
from resources_db.seed import split_counties
from resources_db.taxonomy import PERSON_NEEDS as NEEDS
from tests.conftest import careerlink_seed_rows


@pytest.fixture(scope="module")
def matrix(seeded_engine) -> coverage.Coverage:  # noqa: ANN001
    """The whole matrix, measured once (it only reads)."""
    with Session(seeded_engine) as session:
        return coverage.measure(session)


def test_every_county_and_every_need_of_the_taxonomy_is_a_cell(matrix):
    assert matrix.counties == tuple(PA_COUNTIES) and len(set(matrix.counties)) == 67
    assert matrix.needs == tuple(NEEDS)  # a need people can ask for appears by itself
    assert {"jobs", "careerlink", "housing", "childcare", "transit"} <= set(matrix.needs)
    assert matrix.size == 67 * len(NEEDS)
    for county in PA_COUNTIES:
        assert [c.need for c in matrix.row(county)] == list(NEEDS)
        assert all(c.state in STATES and c.county == county for c in matrix.row(county))


def test_a_county_with_its_own_careerlink_office_is_served_for_careerlink(matrix):
    # The seed's offices, each in its county (some placed by town only, like Erie's).
    # An office row may name several counties ("Bradford; Sullivan"): it serves each of them.
    own_office = {county for row in careerlink_seed_rows() for county in split_counties(row["county"])}
    assert "Erie" in own_office
    for county in own_office:
        cell = matrix.cell(county, "careerlink")
        assert cell.state == SERVES, (county, cell.why)
        assert "CareerLink" in cell.listing
    # ... and what serves is counted: at least those counties.
    assert matrix.totals("careerlink")[SERVES] >= len(own_office)


def test_the_totals_add_up_and_say_so(matrix):
    overall = matrix.totals()
    assert sum(overall.values()) == matrix.size
    assert sum(matrix.totals(n)[s] for n in matrix.needs for s in STATES) == matrix.size
    for need in matrix.needs:
        assert sum(matrix.totals(need).values()) == 67
    assert f"serves: {overall[SERVES]}" in matrix.summary()
    assert f"(of {matrix.size} cells)" in matrix.summary()
    # Every county has a real answer for the five first needs (serving or nearby); for every
    # need, at least a statewide line (benefits and record are often statewide-only).
    first_five = ("jobs", "careerlink", "housing", "childcare", "transit")
    assert all(c.state in (SERVES, NEARBY) for c in matrix.cells.values() if c.need in first_five)
    assert matrix.totals()[NOTHING] == 0


def test_the_csv_has_a_row_per_county_and_a_column_per_need(matrix, tmp_path):
    path = coverage.write_csv(matrix, tmp_path / "out" / "coverage.csv")
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == ["county", *NEEDS]
    assert len(rows) - 1 == 67
    assert [r[0] for r in rows[1:]] == list(PA_COUNTIES)
    erie = dict(zip(rows[0], rows[1 + PA_COUNTIES.index("Erie")], strict=True))
    assert erie["careerlink"] == SERVES
    assert all(v in STATES for r in rows[1:] for v in r[1:])


def test_the_printed_report_has_the_matrix_and_the_totals(matrix):
    text = coverage.report_text(matrix, [], 0, [], 3, 365)
    lines = text.splitlines()
    assert lines[0].split() == ["county", *NEEDS]
    assert sum(1 for line in lines if line.split()[:1] and line.split()[0] in PA_COUNTIES) >= 67
    assert f"serves: {matrix.totals()[SERVES]} of {matrix.size} cells" in text
    assert "not verified in 365 days" in text and "3 SAMHSA leads" in text


def _hit(name: str, **kw) -> ResourceHit:  # noqa: ANN003
    base = {"id": name, "need": "housing", "name": name, "town": None, "county": None,
            "address": None, "phone": None, "distance_mi": 5.0, "demo": False,
            "statewide": False, "verified": None, "source_url": None}
    return ResourceHit(**(base | kw))


def test_demo_listings_never_count_and_far_is_not_nearby():
    demo_here = _hit("Demo House (demo)", demo=True, serves_county=True, distance_mi=0.0)
    demo_near = _hit("Demo Two (demo)", demo=True, distance_mi=3.0)
    line = _hit("PA Get Help Now", statewide=True, distance_mi=None)
    assert classify("Erie", "housing", [demo_here, demo_near]).state == NOTHING
    assert classify("Erie", "housing", [demo_here, demo_near]).demo_ignored == 2
    assert classify("Erie", "housing", [demo_here, line]).state == STATEWIDE
    near = _hit("Real House", distance_mi=30.0)
    cell = classify("Erie", "housing", [demo_here, near, line])
    assert (cell.state, cell.listing, cell.distance_mi) == (NEARBY, "Real House", 30.0)
    far = _hit("Far House", distance_mi=NEAR_ENOUGH_MI + 20)
    assert classify("Erie", "housing", [far, line]).state == STATEWIDE
    here = _hit("Real Here", serves_county=True, distance_mi=12.0)
    assert classify("Erie", "housing", [demo_here, near, here]).state == SERVES
    # The county SCA funds and refers to licensed recovery houses: a real answer for its
    # counties, and the cell says it is one by referral.
    sca = _hit("County SCA", serves_county=True, referral=True, distance_mi=None)
    cell = classify("Erie", "housing", [near, sca, line])
    assert (cell.state, cell.listing, cell.referrals) == (SERVES, "County SCA", 1)
    assert "by referral" in cell.why
    other_sca = _hit("Other County SCA", referral=True, distance_mi=20.0)
    assert classify("Erie", "housing", [other_sca, line]).state == NEARBY
    # A statewide line never "serves" a county, whatever its flags say.
    assert classify("Erie", "housing", [replace(line, serves_county=True)]).state == STATEWIDE


def test_a_cell_served_only_by_demo_listings_is_not_served(demo_session):
    county = next(iter(LARGEST_COUNTIES))  # `db seed --demo` puts demo residences there
    hits = [h for page in coverage.search_pages(demo_session, "housing", county) for h in page]
    serving = [h for h in hits if h.serves_county and not h.statewide]
    assert any(h.demo for h in serving), "the demo seed puts residences in the largest counties"
    real = [h for h in serving if not h.demo]
    before = coverage.measure_cell(demo_session, county, "housing")
    assert before.state == SERVES if real else before.state != SERVES
    for hit in real:  # only demo listings serve the county now
        record = demo_session.get(Service, hit.id) or demo_session.get(JobPosting, hit.id)
        record.is_demo = True
    demo_session.flush()
    after = coverage.measure_cell(demo_session, county, "housing")
    assert after.state != SERVES, after.why
    assert after.demo_ignored >= len(serving)
    assert after.listing not in {h.name for h in serving}


def test_demo_records_change_no_cell(demo_session, db_session):
    """The same directory with and without `--demo`: the same matrix where demo records are."""
    counties = list(LARGEST_COUNTIES)
    with_demo = coverage.measure(demo_session, ("jobs", "housing"), counties)
    real_only = coverage.measure(db_session, ("jobs", "housing"), counties)
    assert sum(c.demo_ignored for c in with_demo.cells.values()) > 0
    assert sum(c.demo_ignored for c in real_only.cells.values()) == 0
    assert {k: c.state for k, c in with_demo.cells.items()} == \
        {k: c.state for k, c in real_only.cells.items()}


def test_listings_without_a_phone_are_real_ones_with_none(db_session):
    listed = coverage.without_phone(db_session)
    assert listed, "the seed has offices without a phone"
    ids = {r.id for r in listed}
    with_phone = set(db_session.scalars(select(Phone.service_id).where(Phone.service_id.in_(ids))))
    assert with_phone == set()
    demo = set(db_session.scalars(select(Service.id).where(Service.id.in_(ids),
                                                           Service.is_demo.is_(True))))
    assert demo == set()
    leads = coverage.lead_ids(db_session)
    kept, counted = coverage.split_leads(listed, leads)
    assert len(kept) + counted == len(listed) and not {r.id for r in kept} & leads


def test_the_cli_prints_the_matrix_and_writes_the_csv(seeded_db_url, monkeypatch, capsys,
                                                       tmp_path):
    monkeypatch.setattr(cli, "runtime_env", lambda: {"DATABASE_URL": seeded_db_url})
    monkeypatch.setattr(coverage, "PA_COUNTIES", ("Erie", "Forest"))  # two counties: quick
    out = tmp_path / "c.csv"
    assert cli.main(["db", "coverage", "--csv", str(out)]) == 0
    printed = capsys.readouterr().out
    erie = printed.splitlines()[1].split()
    assert erie[0] == "Erie" and len(erie) == 1 + len(NEEDS) and set(erie[1:]) <= set(STATES)
    assert f"of {2 * len(NEEDS)} cells" in printed
    assert "Real listings with no phone:" in printed
    assert "Real listings not verified in 365 days" in printed
    assert f"wrote {out}" in printed and "measured in" in printed
    assert len(out.read_text().splitlines()) == 1 + 2


def test_the_new_needs_are_columns_and_say_where_only_a_statewide_line_helps(matrix):
    for need in ("benefits", "record", "recovery_support", "training"):
        assert need in matrix.needs and matrix.totals(need)[NOTHING] == 0
    # Every county has its SCA or a DDAP hub for recovery support; Erie's legal aid serves it.
    assert matrix.totals("recovery_support")[SERVES] == 67
    assert matrix.cell("Erie", "record").listing == "Northwestern Legal Services"
    assert matrix.cell("Cambria", "recovery_support").state == SERVES
    # Where nothing local answers benefits, the Ticket to Work line (statewide) does.
    statewide = [c for c in matrix.cells.values() if c.need == "benefits" and c.state == STATEWIDE]
    assert all(c.statewide_lines >= 1 for c in statewide)
