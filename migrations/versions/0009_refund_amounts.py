"""refunds compared with what each order amount means

A conversion kept one amount (the subtotal that counts toward the program's minimum) and
every refund was compared with it, so a full refund (shipping and tax included) was refused
and nothing reversed. It now keeps the total paid and the buyer's presentment currency and
total too, and what was given back in each.

Revision ID: 0005_refund_amounts
Revises: 0004_scale_indexes
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_refund_amounts'
down_revision = '0004_scale_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversions') as batch:
        batch.add_column(sa.Column('total_amount', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('presentment_currency', sa.String(length=3), nullable=True))
        batch.add_column(sa.Column('presentment_total', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('refunded_presentment', sa.BigInteger(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('refunded_subtotal', sa.BigInteger(), nullable=False,
                                   server_default='0'))
    # Refunds recorded before: the money given back was counted against the subtotal.
    op.execute("UPDATE conversions SET refunded_subtotal = refunded_amount")


def downgrade() -> None:
    with op.batch_alter_table('conversions') as batch:
        batch.drop_column('refunded_subtotal')
        batch.drop_column('refunded_presentment')
        batch.drop_column('presentment_total')
        batch.drop_column('presentment_currency')
        batch.drop_column('total_amount')
