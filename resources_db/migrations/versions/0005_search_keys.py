"""search keys: what a search by place needs, copied onto service_at_location and service_area

service_at_location gets the location's grid cell and coordinates and the service's search key
("|local|<term code>=<value>|...|" for an active, non-statewide service, else NULL); service_area
gets the search key; both get the service's assured_date (it breaks ties in the ranking).
Covering indexes let a radius or county search read one index and no other table, and partial
ones (one per need) only the rows that meet the need; service.is_statewide gets an index for
the statewide list, and attribute one that answers "which services have term = value" alone.
Only columns and indexes are added (no table is recreated, so SQLite's full-text triggers on
service stay). The copies are filled here and kept current by
resources_db.models.refresh_search_keys.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('service_at_location', sa.Column('grid_cell', sa.Integer(), nullable=True))
    op.add_column('service_at_location', sa.Column('latitude', sa.Float(), nullable=True))
    op.add_column('service_at_location', sa.Column('longitude', sa.Float(), nullable=True))
    op.add_column('service_at_location', sa.Column('search_key', sa.Text(), nullable=True))
    op.add_column('service_at_location', sa.Column('assured_date', sa.Date(), nullable=True))
    op.add_column('service_area', sa.Column('search_key', sa.Text(), nullable=True))
    op.add_column('service_area', sa.Column('assured_date', sa.Date(), nullable=True))
    _backfill()
    op.create_index('ix_service_at_location_search', 'service_at_location', LOCATED, unique=False)
    op.create_index('ix_service_area_search', 'service_area', SERVING, unique=False)
    for table, columns in (('service_at_location', LOCATED), ('service_area', SERVING)):
        for code in NEEDS:
            op.create_index(f'ix_{table}_need_{code}', table, columns, unique=False,
                            sqlite_where=_has(code, 'instr'), postgresql_where=_has(code, 'strpos'))
    op.create_index(op.f('ix_service_is_statewide'), 'service', ['is_statewide'], unique=False)
    op.create_index('ix_attribute_term_value_type_link', 'attribute',
                    ['taxonomy_term_id', 'value', 'link_type', 'link_id'], unique=False)


# The needs of resources_db/taxonomy.py when this was written: one partial index each.
NEEDS = ('jobs', 'careerlink', 'housing', 'childcare', 'transit', 'crisis', 'vocational_rehab',
         'training', 'treatment_referral', 'recovery_support', 'unemployment', 'information')
LOCATED = ['grid_cell', 'latitude', 'longitude', 'search_key', 'assured_date', 'service_id']
SERVING = ['name', 'search_key', 'assured_date', 'service_id']


def _has(code: str, function: str) -> sa.TextClause:
    return sa.text(f"{function}(search_key, '|{code}=true|') > 0")


def _backfill() -> None:
    """The same values as models.refresh_search_keys(), written out so this file stands alone."""
    text = sa.String
    attribute = sa.table('attribute', sa.column('link_id', text), sa.column('link_type', text),
                         sa.column('taxonomy_term_id', text), sa.column('value', text))
    term = sa.table('taxonomy_term', sa.column('id', text), sa.column('code', text))
    service = sa.table('service', sa.column('id', text), sa.column('status', text),
                       sa.column('is_statewide', sa.Boolean), sa.column('assured_date'))
    location = sa.table('location', sa.column('id', text), sa.column('grid_cell'),
                        sa.column('latitude'), sa.column('longitude'))
    sal = sa.table('service_at_location', sa.column('service_id', text),
                   sa.column('location_id', text), sa.column('grid_cell'), sa.column('latitude'),
                   sa.column('longitude'), sa.column('search_key', text),
                   sa.column('assured_date'))
    area = sa.table('service_area', sa.column('service_id', text), sa.column('search_key', text),
                    sa.column('assured_date'))
    dialect = op.get_bind().dialect.name

    def key(service_id):  # noqa: ANN001, ANN202
        token = term.c.code + sa.literal("=") + attribute.c.value
        tokens = (sa.select(token.label("token")).select_from(attribute)
                  .join(term, term.c.id == attribute.c.taxonomy_term_id)
                  .where(attribute.c.link_id == service_id, attribute.c.link_type == "service"))
        if dialect == "postgresql":  # tokens sorted, whatever order they were written in
            from sqlalchemy.dialects.postgresql import aggregate_order_by

            joined = tokens.with_only_columns(sa.func.string_agg(
                token, aggregate_order_by(sa.literal("|"), token.collate("C"))))
        else:
            ordered = tokens.order_by(token).correlate(service_id.table).subquery()
            joined = sa.select(sa.func.group_concat(ordered.c.token, "|"))
        local = (sa.select(service.c.id).where(service.c.id == service_id,
                                                service.c.status == "active",
                                                service.c.is_statewide.is_(False)).exists())
        return sa.case((local, sa.literal("|local|")
                        + sa.func.coalesce(joined.scalar_subquery(), "")
                        + sa.literal("|")), else_=sa.null())

    of_location = {c: sa.select(location.c[c]).where(location.c.id == sal.c.location_id)
                   .scalar_subquery() for c in ("grid_cell", "latitude", "longitude")}

    def assured(service_id):  # noqa: ANN001, ANN202
        return (sa.select(service.c.assured_date).where(service.c.id == service_id)
                .scalar_subquery())

    op.get_bind().execute(sa.update(sal).values(search_key=key(sal.c.service_id),
                                                assured_date=assured(sal.c.service_id),
                                                **of_location))
    op.get_bind().execute(sa.update(area).values(search_key=key(area.c.service_id),
                                                 assured_date=assured(area.c.service_id)))


def downgrade() -> None:
    op.drop_index('ix_attribute_term_value_type_link', table_name='attribute')
    op.drop_index(op.f('ix_service_is_statewide'), table_name='service')
    for table in ('service_at_location', 'service_area'):
        for code in NEEDS:
            op.drop_index(f'ix_{table}_need_{code}', table_name=table)
    op.drop_index('ix_service_area_search', table_name='service_area')
    op.drop_index('ix_service_at_location_search', table_name='service_at_location')
    with op.batch_alter_table('service_area', schema=None) as batch_op:
        batch_op.drop_column('assured_date')
        batch_op.drop_column('search_key')
    with op.batch_alter_table('service_at_location', schema=None) as batch_op:
        batch_op.drop_column('assured_date')
        batch_op.drop_column('search_key')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('grid_cell')
