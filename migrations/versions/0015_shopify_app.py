"""the Shopify app: OAuth installs in flight, and a store connection's disconnection

Shopify apps get their tokens by OAuth (no new legacy custom apps since 2026-01-01): each
install's one-use `state` is kept until the callback brings it back. app/uninstalled marks
the connection disconnected (credentials dropped) rather than deleting it, so shop/redact,
48 hours later, still finds the shop.

Revision ID: 0011_shopify_app
Revises: 0010_staff_sessions
"""
from alembic import op
import sqlalchemy as sa
import core.models.base

revision = '0011_shopify_app'
down_revision = '0010_staff_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shopify_installs',
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('shop_domain', sa.String(length=255), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True),
    sa.Column('created_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', core.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shopify_installs_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shopify_installs')),
    sa.UniqueConstraint('state', name=op.f('uq_shopify_installs_state'))
    )
    with op.batch_alter_table('store_connections') as batch:
        batch.add_column(sa.Column('disconnected_at', core.models.base.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('store_connections') as batch:
        batch.drop_column('disconnected_at')
    op.drop_table('shopify_installs')
