"""scale: the referrals of a referrer and the ledger entries of a conversion by index

A referrer's stats (the voice "how am I doing" answer, the digest, the privacy export) and a
refund's reversal looked these rows up by columns no index led with: a sequential scan of
every referral / ledger entry (EXPLAIN at 500k referrals and 1M entries in the README).

Revision ID: 0004_scale_indexes
Revises: 0003_merchant
"""
from alembic import op

revision = '0004_scale_indexes'
down_revision = '0003_merchant'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_referrals_referrer_created', 'referrals',
                    ['referrer_id', 'created_at'], unique=False)
    op.create_index('ix_ledger_conversion', 'ledger_entries', ['conversion_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ledger_conversion', table_name='ledger_entries')
    op.drop_index('ix_referrals_referrer_created', table_name='referrals')
