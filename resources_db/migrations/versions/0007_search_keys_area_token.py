"""search keys mark agencies bound to counties and services that refer ("|local|area|refers|...")

A search by place reads which candidates are agencies bound to counties from the key itself,
in one pass (see resources_db.search). Data only: every key is recomputed as the code now
defines it (refresh_search_keys is idempotent); downgrade recomputes nothing, since a key with
the extra token reads the same to the code before it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:50:00.000000
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from resources_db.models import refresh_search_keys

    refresh_search_keys(op.get_bind())


def downgrade() -> None:
    pass
