"""merchant: the assistant on each click, and the connect page's assistant status

Revision ID: 0003_merchant
Revises: 0002_accounts, 0002_console_login
"""
from alembic import op
import sqlalchemy as sa
import core.models.base

revision = '0003_merchant'
down_revision = '0002_accounts'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assistant', sa.String(length=16), nullable=True))
    op.create_table(
        'assistant_status',
        sa.Column('shop_id', ID, nullable=False),
        sa.Column('platform', sa.String(length=16), nullable=False),
        sa.Column('accepted_at', core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('accepted_intent', sa.String(length=100), nullable=False),
        sa.Column('accepted_locale', sa.String(length=16), nullable=False),
        sa.Column('accepted_count', sa.Integer(), nullable=False),
        sa.Column('refused_at', core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('refused_reason', sa.String(length=300), nullable=False),
        sa.Column('refused_count', sa.Integer(), nullable=False),
        sa.Column('latest', sa.String(length=8), nullable=False),
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_assistant_status_shop_id_shops'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assistant_status')),
        sa.UniqueConstraint('shop_id', 'platform',
                            name=op.f('uq_assistant_status_shop_id_platform')),
    )


def downgrade() -> None:
    op.drop_table('assistant_status')
    with op.batch_alter_table('clicks', schema=None) as batch_op:
        batch_op.drop_column('assistant')
