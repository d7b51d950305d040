"""cache invalidations: a deleted shop or erased codes reach every process's caches

Revision ID: 0006_cache_invalidations
Revises: 0005_refund_amounts
"""
import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0006_cache_invalidations'
down_revision = '0005_refund_amounts'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'cache_invalidations',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('created_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('cache_invalidations')
