"""Coverage, measured: for every county of Pennsylvania and every need of the taxonomy, what a
person asking in that county gets from the one search (search.search_services), as one of

- "serves": a real (not demo) listing located in the county or whose service area names it,
- "nearby": only real listings near it (within the search's widening, NEAR_ENOUGH_MI at most),
  none serving the county,
- "statewide": only statewide lines,
- "nothing": none of these (demo listings never count).

A hit that refers to the need (ResourceHit.referral: the county SCA for recovery housing: it
funds and refers to licensed houses) is a real answer for its counties: it serves the county
like a provider, and is also counted apart so the matrix says where only the SCA answers.

Each county is searched as the place "<County> County" (geo.resolve_place), with the search's
own widening, page after page until the answer is known: the first real hit that serves the
county decides, else every local hit is read (statewide lines come after all local ones).

Also the real listings without a phone (what a hit shows: the service's first phone). The rule
for "not verified in 12 months" lives in api/services/directory_care.stale_services; callers
pass its rows in where they are shown. SAMHSA leads (lead_needs_intake) have no phone and are
never shown without an intake line: they are counted apart, not listed one by one.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from resources_db.geo import PA_COUNTIES, resolve_place
from resources_db.models import Attribute, Phone, Service
from resources_db.search import NEAR_ENOUGH_MI, ResourceHit, search_services
from resources_db.taxonomy import PERSON_NEEDS, term_id

SERVES, NEARBY, STATEWIDE, NOTHING = "serves", "nearby", "statewide", "nothing"
STATES = (SERVES, NEARBY, STATEWIDE, NOTHING)  # best first
STATE_MEANINGS = {
    SERVES: "a real listing in the county or serving it",
    NEARBY: f"only real listings nearby (within {NEAR_ENOUGH_MI} miles), none serving it",
    STATEWIDE: "only statewide lines",
    NOTHING: "nothing real (demo listings do not count)",
}
# Hits read per search call while a cell is undecided: what serves the county by its service
# area ranks first, so a short first page decides most cells; then bigger pages.
PAGE_SIZES = (5, 50)


@dataclass(frozen=True)
class Cell:
    county: str  # bare name, "Erie"
    need: str
    state: str  # one of STATES
    listing: str | None = None  # the real listing that decided "serves" / the nearest "nearby"
    distance_mi: float | None = None  # of that listing ("nearby")
    statewide_lines: int = 0  # real statewide lines the search lists after the local ones
    demo_ignored: int = 0  # demo hits read and not counted
    referrals: int = 0  # real hits that refer to the need rather than provide it

    @property
    def why(self) -> str:
        """One line saying what decided the cell."""
        if self.state == SERVES:
            said = f"serves: {self.listing}"
        elif self.state == NEARBY:
            said = f"nearest: {self.listing}, {self.distance_mi:g} mi"
        elif self.state == STATEWIDE:
            said = f"{self.statewide_lines} statewide line{'s' * (self.statewide_lines != 1)}"
        else:
            said = "nothing real"
        extra = [f"{n} {what}" for n, what in ((self.referrals, "by referral (the SCA)"),
                                              (self.demo_ignored, "demo ignored")) if n]
        return said + (f" ({'; '.join(extra)})" if extra else "")


@dataclass(frozen=True)
class Coverage:
    counties: tuple[str, ...]
    needs: tuple[str, ...]
    cells: dict[tuple[str, str], Cell]

    def cell(self, county: str, need: str) -> Cell:
        return self.cells[county, need]

    def row(self, county: str) -> list[Cell]:
        return [self.cells[county, need] for need in self.needs]

    def totals(self, need: str | None = None) -> Counter[str]:
        """How many cells are in each state, for one need or (None) overall; every state is
        a key, zero included."""
        counts = Counter({state: 0 for state in STATES})
        counts.update(c.state for c in self.cells.values() if need is None or c.need == need)
        return counts

    @property
    def size(self) -> int:
        return len(self.cells)

    def summary(self, need: str | None = None) -> str:
        """ "serves: 212 of 335 cells, nearby: ..." (one need, or overall)."""
        counts = self.totals(need)
        cells = sum(counts.values())
        return ", ".join(f"{state}: {counts[state]}" for state in STATES) + \
            f" (of {cells} cells)"


def classify(county: str, need: str, hits: Iterable[ResourceHit]) -> Cell:
    """The state of a cell from the hits of its search, in rank order: the first real hit
    serving the county decides; else the nearest real local hit within NEAR_ENOUGH_MI; else
    a real statewide line; else nothing. Demo hits decide nothing; a referral serving the
    county decides as a provider does (counted apart too)."""
    nearest = None
    statewide = demo = referrals = 0
    for hit in hits:
        if hit.demo:
            demo += 1
        elif hit.statewide:
            statewide += 1
        elif hit.serves_county:
            referrals += hit.referral
            return Cell(county, need, SERVES, hit.name, hit.distance_mi, demo_ignored=demo,
                        referrals=referrals)
        elif hit.distance_mi is not None and hit.distance_mi <= NEAR_ENOUGH_MI and (
                nearest is None or hit.distance_mi < nearest.distance_mi):
            nearest = hit
    if nearest is not None:
        return Cell(county, need, NEARBY, nearest.name, nearest.distance_mi, statewide, demo,
                    referrals)
    return Cell(county, need, STATEWIDE if statewide else NOTHING, statewide_lines=statewide,
                demo_ignored=demo, referrals=referrals)


def search_pages(session: Session, need: str, county: str) -> Iterator[list[ResourceHit]]:
    """The search's hits for the need in "<county> County", a page at a time, until the
    statewide lines (which come after every local hit) or the end."""
    place = resolve_place(f"{county} County")
    offset, size = 0, PAGE_SIZES[0]
    while True:
        result = search_services(session, need, place, limit=size, offset=offset)
        yield result.hits
        offset += size
        if offset >= result.total or len(result.hits) < size or \
                any(h.statewide for h in result.hits):
            return
        size = PAGE_SIZES[-1]


def measure_cell(session: Session, county: str, need: str) -> Cell:
    """One cell: the search's pages are read only until a real hit serves the county."""
    seen: list[ResourceHit] = []
    for hits in search_pages(session, need, county):
        seen += hits
        if classify(county, need, hits).state == SERVES:
            break
    return classify(county, need, seen)


def measure(session: Session, needs: Iterable[str] | None = None,
            counties: Iterable[str] | None = None) -> Coverage:
    """The county x need matrix: every county (PA_COUNTIES) x every need people ask for."""
    needs = tuple(PERSON_NEEDS if needs is None else needs)
    counties = tuple(PA_COUNTIES if counties is None else counties)
    cells = {(county, need): measure_cell(session, county, need)
             for county in counties for need in needs}
    return Coverage(counties, needs, cells)


# --- the CSV ------------------------------------------------------------------------------

def csv_text(coverage: Coverage) -> str:
    """One row per county: county, then the state of each need (the taxonomy's order)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["county", *coverage.needs])
    for county in coverage.counties:
        writer.writerow([county, *(c.state for c in coverage.row(county))])
    return out.getvalue()


def write_csv(coverage: Coverage, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(coverage), encoding="utf-8")
    return path


# --- listings to fix ----------------------------------------------------------------------

@dataclass(frozen=True)
class Listing:
    id: str
    name: str
    source_date: str | None


def lead_ids(session: Session) -> set[str]:
    """The SAMHSA leads (lead_needs_intake): shown only with an intake line, never alone."""
    return set(session.scalars(select(Attribute.link_id).where(
        Attribute.taxonomy_term_id == term_id("lead_needs_intake"), Attribute.value == "true",
        Attribute.link_type == "service")))


def without_phone(session: Session) -> list[Listing]:
    """Real (not demo) active services with no phone of their own, by name (what a hit shows
    is the service's first phone: these show none)."""
    rows = session.execute(
        select(Service.id, Service.name, Service.source_date)
        .where(Service.is_demo.is_(False), Service.status == "active",
               Service.id.not_in(select(Phone.service_id).where(Phone.service_id.is_not(None))))
        .order_by(Service.name, Service.id)).all()
    return [Listing(*r) for r in rows]


def split_leads(rows: Iterable, leads: set[str]) -> tuple[list, int]:
    """(the rows that are not leads, how many were leads), of anything with an .id."""
    rows = list(rows)
    kept = [r for r in rows if r.id not in leads]
    return kept, len(rows) - len(kept)


# --- as text (the CLI) ----------------------------------------------------------------------

def matrix_text(coverage: Coverage) -> str:
    """The matrix as a fixed-width table: a row per county, a column per need, then a totals
    line per state."""
    first = max(len("county"), *(len(c) for c in coverage.counties))
    widths = [max(len(need), *(len(s) for s in STATES)) for need in coverage.needs]

    def line(head: str, cells: Iterable[str]) -> str:
        return "  ".join([head.ljust(first), *(c.ljust(w) for c, w in zip(cells, widths,
                                                                           strict=True))]).rstrip()

    out = [line("county", coverage.needs)]
    out += [line(county, (c.state for c in coverage.row(county))) for county in coverage.counties]
    out.append(line("", ("-" * w for w in widths)))
    for state in STATES:
        out.append(line(state, (str(coverage.totals(need)[state]) for need in coverage.needs)))
    return "\n".join(out)


def report_text(coverage: Coverage, no_phone: list, no_phone_leads: int, stale: list,
                stale_leads: int, stale_after_days: int) -> str:
    """What `navigator db coverage` prints: the matrix, totals per need and overall, then the
    listings without a phone and those not verified in `stale_after_days` (rows with .name and
    .source_date; leads counted apart)."""
    total = coverage.size
    counts = coverage.totals()
    out = [matrix_text(coverage), "",
           f"{len(coverage.counties)} counties x {len(coverage.needs)} needs = {total} cells",
           *(f"  {state}: {counts[state]} of {total} cells ({STATE_MEANINGS[state]})"
             for state in STATES),
           "", "Per need:"]
    width = max(len(n) for n in coverage.needs)
    out += [f"  {need.ljust(width)}  {coverage.summary(need)}" for need in coverage.needs]

    def listing(title: str, rows: list, leads: int) -> list[str]:
        head = f"{title}: {len(rows)}" + (
            f" (and {leads} SAMHSA leads awaiting intake, not listed)" if leads else "")
        return ["", head, *(f"  {r.name}  [source date: {r.source_date or 'none'}]"
                            for r in rows)]

    out += listing("Real listings with no phone", no_phone, no_phone_leads)
    out += listing(f"Real listings not verified in {stale_after_days} days (or never)",
                   stale, stale_leads)
    return "\n".join(out)
