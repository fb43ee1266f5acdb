"""Export the directory as HSDS 3.0 files, and import them back (all or nothing).

`export_hsds(session, DIR)` writes
- services.json: an array of fully nested services (each valid against compiled/service.json),
- organizations.json: an array of nested organizations (valid against compiled/organization.json),
- a Frictionless tabular data package: datapackage.json + one CSV per table (HSDS tables, and
  job_posting.csv for our schema.org job postings), flattened from the same nested objects.
Provenance and demo flags travel as attributes on our record-notes taxonomy (see hsds.py) in
the JSON and in attribute.csv; job_posting.csv has its own is_demo column.

`import_hsds(session, DIR)` reads services.json and organizations.json, plus the tables the
nested files cannot carry when the package has them: taxonomy.csv and taxonomy_term.csv (terms
no record uses yet) and job_posting.csv. Records keep their ids and are merged by id (added or
updated; nothing is deleted). Every record is checked first (JSON syntax, the official schema,
duplicate ids, required columns, references); on any problem nothing is written and
ImportFailed lists each one with its file and record. The write is one transaction.

Rows, check and write_rows are shared with the job posting and service CSV importers.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Time,
    delete,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from resources_db import hsds
from resources_db.db import Base, make_engine, make_session_factory
from resources_db.models import JobPosting, Organization, Service, Taxonomy, TaxonomyTerm

SERVICES_FILE = "services.json"
ORGANIZATIONS_FILE = "organizations.json"
# Package tables import_hsds reads back, because the nested JSON can't carry all of them.
TABLES_READ_BACK = (Taxonomy, TaxonomyTerm, JobPosting)
MAX_PROBLEMS_SHOWN = 25


class ImportFailed(Exception):
    """Nothing was written; `problems` says why, each naming its file and record."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        super().__init__("import failed, nothing was written:\n  - " + "\n  - ".join(shown)
                         + (f"\n  ... and {more} more" if more else ""))


# --- collecting, checking and writing rows ---------------------------------------------------

class Rows:
    """Rows to write, by table and id, each with where it came from (for messages)."""

    def __init__(self) -> None:
        self.by_model: dict[type[Base], dict[str, Base]] = defaultdict(dict)
        self.where: dict[tuple[type[Base], str], str] = {}
        self.problems: list[str] = []
        # (table, parent column) -> parents whose rows of that table the import gives in full
        self.replaced: dict[tuple[type[Base], str], set[str]] = defaultdict(set)

    def add(self, row: Base, where: str) -> None:
        model, table = type(row), type(row).__tablename__
        if not row.id:
            self.problems.append(f"{where}: a {table} has no id")
            return
        key = (model, row.id)
        if key not in self.where:
            self.by_model[model][row.id] = row
            self.where[key] = where
        elif _values(self.by_model[model][row.id]) != _values(row):
            self.problems.append(f"{where}: {table} {row.id} differs from the one in "
                                 f"{self.where[key]}")

    def add_first(self, row: Base, where: str) -> None:
        """Add unless the table already has that id (a shared record: the first one wins)."""
        if row.id not in self.by_model[type(row)]:
            self.add(row, where)

    def replace_children(self, model: type[Base], column: str, parent_id: str) -> None:
        """The import holds all of `parent_id`'s rows in `model`: the others are deleted."""
        self.replaced[(model, column)].add(parent_id)

    def __iter__(self) -> Iterator[Base]:
        for rows in self.by_model.values():
            yield from rows.values()

    def counts(self) -> dict[str, int]:
        return {m.__tablename__: len(rows) for m, rows in self.by_model.items() if rows}

    def check(self, session: Session) -> None:
        """Required columns, text lengths and references (in these rows or the database)."""
        for row in self:
            self.problems.extend(self._column_problems(row))
        self.problems.extend(self._reference_problems(session))
        if self.problems:
            raise ImportFailed(self.problems)

    def _column_problems(self, row: Base) -> Iterator[str]:
        where = f"{self.where[(type(row), row.id)]}: {type(row).__tablename__} {row.id}"
        for column in type(row).__table__.columns:
            value = getattr(row, column.key)
            required = not (column.nullable or column.default or column.server_default)
            if value is None and required:
                yield f"{where}: {column.key} is required"
            length = getattr(column.type, "length", None)
            if isinstance(column.type, String) and isinstance(value, str) and length \
                    and len(value) > length:
                yield f"{where}: {column.key} is longer than {length} characters"

    def _reference_problems(self, session: Session) -> Iterator[str]:
        for model, rows in list(self.by_model.items()):
            for column in model.__table__.columns:
                for fk in column.foreign_keys:
                    target = hsds.MODEL_OF_TABLE[fk.column.table.name]
                    wanted = {getattr(r, column.key) for r in rows.values()} - {None}
                    missing = wanted - set(self.by_model[target]) - _existing(session, target,
                                                                               wanted)
                    for row in rows.values():
                        if getattr(row, column.key) in missing:
                            yield (f"{self.where[(model, row.id)]}: {model.__tablename__} "
                                   f"{row.id}: {column.key} {getattr(row, column.key)} is "
                                   f"neither in the import nor in the database")


def _values(row: Base) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in type(row).__table__.columns}


def _existing(session: Session, model: type[Base], ids: Iterable[str]) -> set[str]:
    ids = list(ids)
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        found.update(session.scalars(select(model.id).where(model.id.in_(ids[start:start + 500]))))
    return found


@contextmanager
def open_session(url: str) -> Iterator[Session]:
    """A session on `url` whose engine is disposed afterwards (for one-off commands)."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def write_rows(session: Session, rows: Rows) -> dict[str, int]:
    """Add or update every row, parents before children, in one transaction."""
    try:
        for (model, column), parents in rows.replaced.items():
            keep = list(rows.by_model.get(model, {}))
            session.execute(delete(model).where(getattr(model, column).in_(parents),
                                                model.id.not_in(keep)))
        for table in Base.metadata.sorted_tables:
            model = hsds.MODEL_OF_TABLE.get(table.name)
            batch = rows.by_model.get(model, {}) if model else {}
            existing = _existing(session, model, batch) if batch else set()
            for row_id, row in batch.items():
                if row_id in existing:
                    session.merge(row)
                else:
                    session.add(row)
            session.flush()
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        reason = getattr(exc, "orig", None) or exc
        raise ImportFailed([f"the database refused the import: {reason}"]) from exc
    return rows.counts()


# --- export -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportReport:
    services: int
    organizations: int
    tables: dict[str, int]


def export_hsds(session: Session, directory: Path) -> ExportReport:
    directory.mkdir(parents=True, exist_ok=True)
    services = hsds.services_to_hsds(session, hsds.load_services(session), everything=True)
    organizations = hsds.organizations_to_hsds(
        session, list(session.scalars(select(Organization).order_by(Organization.id))),
        everything=True)
    write_json(directory / SERVICES_FILE, services)
    write_json(directory / ORGANIZATIONS_FILE, organizations)
    tables = flatten_to_tables([(Service, s) for s in services]
                               + [(Organization, o) for o in organizations]
                               + [(TaxonomyTerm, t) for t in _all_terms(session)])
    tables[JobPosting] = [hsds.fields_of(j) for j in
                          session.scalars(select(JobPosting).order_by(JobPosting.id))]
    write_data_package(directory, tables)
    return ExportReport(len(services), len(organizations),
                        {m.__tablename__: len(rows) for m, rows in tables.items()})


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


def _all_terms(session: Session) -> list[dict[str, Any]]:
    terms = session.scalars(select(TaxonomyTerm).order_by(TaxonomyTerm.id)).all()
    return hsds.taxonomy_terms_to_hsds(session, terms) + hsds.carried_terms()


def flatten_to_tables(objects: Iterable[tuple[type[Base], dict[str, Any]]]
                      ) -> dict[type[Base], list[dict[str, Any]]]:
    """Nested HSDS objects -> one row (its scalar fields) per record and table, by id."""
    tables: dict[type[Base], dict[str, dict[str, Any]]] = {m: {} for m in hsds.FIELDS}
    stack = list(objects)
    while stack:
        model, obj = stack.pop()
        scalars = {k: v for k, v in obj.items() if not isinstance(v, dict | list)}
        tables[model].setdefault(obj["id"], scalars)
        stack.extend(hsds.children_of(model, obj))
    return {m: [rows[i] for i in sorted(rows)] for m, rows in tables.items()}


_FRICTIONLESS_TYPES = {String: "string", Boolean: "boolean", Float: "number", Numeric: "number",
                       Integer: "integer", Date: "date", DateTime: "datetime", Time: "time"}


def table_fields(model: type[Base]) -> list[dict[str, str]]:
    """The CSV columns of a table, with their Frictionless types."""
    columns = model.__table__.columns
    fields = [{"name": name, "type": next(t for k, t in _FRICTIONLESS_TYPES.items()
                                          if isinstance(columns[name].type, k))}
              for name in hsds.FIELDS[model]]
    return fields + [{"name": n, "type": t} for n, t in hsds.EXTRA_FIELDS.get(model, {}).items()]


def _foreign_keys(model: type[Base]) -> list[dict[str, Any]]:
    return [{"fields": column.key,
             "reference": {"resource": fk.column.table.name, "fields": fk.column.name}}
            for column in model.__table__.columns if column.key in hsds.FIELDS[model]
            for fk in column.foreign_keys]


def write_data_package(directory: Path, tables: dict[type[Base], list[dict[str, Any]]]) -> None:
    resources = []
    for model, rows in tables.items():
        fields = table_fields(model)
        path = f"{model.__tablename__}.csv"
        with (directory / path).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow([fd["name"] for fd in fields])
            writer.writerows([_csv_text(row.get(fd["name"])) for fd in fields] for row in rows)
        resources.append({
            "name": model.__tablename__, "path": path, "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "schema": {"fields": fields, "primaryKey": ["id"],
                       "foreignKeys": _foreign_keys(model)}})
    write_json(directory / "datapackage.json", {
        "profile": "tabular-data-package", "name": "recovery-to-work-navigator-directory",
        "title": "Recovery-to-Work Navigator directory (Open Referral HSDS 3.0)",
        "description": "HSDS 3.0 tables of the directory, plus job_posting (schema.org "
                       "JobPosting). Provenance and demo flags are attribute rows on the "
                       "'Recovery-to-Work record notes' taxonomy.",
        "licenses": [{"name": "CC-BY-SA-4.0", "title": "HSDS schemas: CC BY-SA 4.0"}],
        "resources": resources})


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- import -------------------------------------------------------------------------------------

def import_hsds(session: Session, directory: Path) -> dict[str, int]:
    """Import an export directory; returns rows written per table. ImportFailed: nothing was."""
    rows = Rows()
    files = [(ORGANIZATIONS_FILE, Organization, "organization"), (SERVICES_FILE, Service, "service")]
    if not any((directory / name).exists() for name, _, _ in files):
        raise ImportFailed([f"{directory}: neither {SERVICES_FILE} nor {ORGANIZATIONS_FILE} "
                            "is there"])
    for name, model, kind in files:
        if (directory / name).exists():
            collect_records(rows, name, model, kind, read_json_array(directory / name))
    for model in TABLES_READ_BACK:
        if (path := directory / f"{model.__tablename__}.csv").exists():
            collect_table(rows, model, path)
    rows.check(session)
    return write_rows(session, rows)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed([f"{path.name}: not UTF-8 text ({exc.reason} at byte "
                            f"{exc.start})"]) from exc
    except OSError as exc:
        raise ImportFailed([f"{path}: cannot read it ({exc.strerror})"]) from exc


def read_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ImportFailed([f"{path.name}: not valid JSON (line {exc.lineno}, column "
                            f"{exc.colno}: {exc.msg})"]) from exc


def read_json_array(path: Path) -> list[Any]:
    data = read_json(path)
    if not isinstance(data, list):
        raise ImportFailed([f"{path.name}: expected a JSON array of records, "
                            f"found {type(data).__name__}"])
    return data


def collect_records(rows: Rows, file: str, model: type[Base], kind: str,
                    records: list[Any]) -> None:
    """Check each top-level record against the official schema and collect its rows."""
    first_seen: dict[str, int] = {}
    for index, record in enumerate(records):
        record_id = record.get("id") if isinstance(record, dict) else None
        where = f"{file} record {index} (id {record_id})"
        if problems := hsds.schema_errors(kind, record):
            rows.problems.extend(f"{where}: {p}" for p in problems)
            continue
        if record_id in first_seen:
            rows.problems.append(f"{where}: duplicate id (also record {first_seen[record_id]})")
            continue
        first_seen[record_id] = index
        try:
            for row in hsds.rows_from_hsds(model, record):
                rows.add(row, where)
        except (hsds.HsdsValueError, ValueError) as exc:
            rows.problems.append(f"{where}: {exc}")


def collect_table(rows: Rows, model: type[Base], path: Path) -> None:
    """Rows of one package CSV (our record-notes taxonomy is skipped: it lives in hsds.py)."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for record in reader:
            where = f"{path.name} line {reader.line_num}"
            if hsds.PROVENANCE_TAXONOMY_ID in (record.get("id"), record.get("taxonomy_id")):
                continue
            try:
                rows.add(hsds.row_from_fields(model, _typed(model, record)), where)
            except (hsds.HsdsValueError, ValueError) as exc:
                rows.problems.append(f"{where}: {exc}")


def _typed(model: type[Base], record: dict[str, str]) -> dict[str, Any]:
    """CSV text -> values: blank is null, except in text columns that may not be null."""
    columns = model.__table__.columns
    out: dict[str, Any] = {}
    for name in hsds.FIELDS[model]:
        text = record.get(name)
        if text is None:
            continue
        if text == "":
            is_text = isinstance(columns[name].type, String)
            out[name] = "" if is_text and not columns[name].nullable else None
        else:
            out[name] = text
    return out
