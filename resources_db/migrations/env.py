"""Alembic environment: runs migrations against the URL set by resources_db.migrate."""

from alembic import context

from resources_db import coaching, conversations, models  # noqa: F401  (register their tables)
from resources_db.db import Base, make_engine

config = context.config


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    """Autogenerate ignores the SQLite full-text tables (made by raw SQL in 0003)."""
    return not (type_ == "table" and name.startswith("service_fts"))


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch migrations recreate tables; SQLite would refuse to drop referenced ones.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True, include_object=include_object)  # batch mode: SQLite cannot ALTER most things
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
