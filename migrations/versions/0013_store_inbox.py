"""the store inbox: every verified delivery stored before it is answered

WooCommerce never sends a failed delivery again, so a delivery answered with an error was an
event lost. The table that deduplicated deliveries now keeps each one (its body until it is
processed), its status, attempts and last error: processed from here, retried, and shown to
the shop when refused or given up. Rows from before were processed at once: `done`.

Revision ID: 0009_store_inbox
Revises: 0008_backoffice
"""
from alembic import op
import sqlalchemy as sa
import core.models.base

revision = '0009_store_inbox'
down_revision = '0008_backoffice'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('store_webhooks') as batch:
        batch.add_column(sa.Column('body', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                   server_default='done'))
        batch.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('next_attempt_at', core.models.base.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch.add_column(sa.Column('processed_at', core.models.base.UTCDateTime(timezone=True),
                                   nullable=True))
    op.create_index('ix_store_webhooks_due', 'store_webhooks', ['status', 'next_attempt_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_store_webhooks_due', table_name='store_webhooks')
    with op.batch_alter_table('store_webhooks') as batch:
        for name in ('processed_at', 'last_error', 'next_attempt_at', 'attempts', 'status',
                     'body'):
            batch.drop_column(name)
