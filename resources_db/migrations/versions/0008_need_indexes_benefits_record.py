"""needs benefits and record: their partial search indexes, as 0005 made for the others

resources_db/taxonomy.py gained two needs (benefits: working while on SSI/SSDI/Medicaid;
record: clearing a criminal record, fair-chance hiring, bonding). models._need_indexes makes one
partial index per need on service_at_location and service_area; this adds the two new ones.
Index only: the search keys already carry any "|benefits=true|" or "|record=true|" token.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# The needs added to resources_db/taxonomy.py since 0005: one partial index each.
NEEDS = ('benefits', 'record')
LOCATED = ['grid_cell', 'latitude', 'longitude', 'search_key', 'assured_date', 'service_id']
SERVING = ['name', 'search_key', 'assured_date', 'service_id']


def _has(code: str, function: str) -> sa.TextClause:
    return sa.text(f"{function}(search_key, '|{code}=true|') > 0")


def upgrade() -> None:
    for table, columns in (('service_at_location', LOCATED), ('service_area', SERVING)):
        for code in NEEDS:
            op.create_index(f'ix_{table}_need_{code}', table, columns, unique=False,
                            sqlite_where=_has(code, 'instr'), postgresql_where=_has(code, 'strpos'))


def downgrade() -> None:
    for table in ('service_at_location', 'service_area'):
        for code in NEEDS:
            op.drop_index(f'ix_{table}_need_{code}', table_name=table)
