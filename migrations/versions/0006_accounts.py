"""accounts: staff roles and email verification, API key roles and labels, webhook
endpoints per event type and what each delivery got back

Revision ID: 0002_accounts
Revises: 0002_console_login
"""
from alembic import op
import sqlalchemy as sa
import core.models.base

revision = '0002_accounts'
down_revision = '0003_stores'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), server_default='support',
                                      nullable=False))
        batch_op.add_column(sa.Column('email_verified_at',
                                      core.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column(
            'invited_by_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'),
            nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_users_invited_by_id_staff_users'),
                                    'staff_users', ['invited_by_id'], ['id'],
                                    ondelete='SET NULL')
    # accounts made before verification existed were made by the operator: trusted
    op.execute("UPDATE staff_users SET email_verified_at = created_at")
    with op.batch_alter_table('shop_credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('label', sa.String(length=100), server_default='',
                                      nullable=False))
    op.create_table('webhook_endpoints',
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('secret_prefix', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', core.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('created_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_webhook_endpoints_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints')),
    sa.UniqueConstraint('shop_id', 'event_type', name=op.f('uq_webhook_endpoints_shop_id_event_type'))
    )
    with op.batch_alter_table('outbound_webhooks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endpoint_id', sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('last_status_code', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_response', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', core.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbound_webhooks_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbound_webhooks_endpoint_id_webhook_endpoints'), 'webhook_endpoints', ['endpoint_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('outbound_webhooks', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_outbound_webhooks_endpoint_id_webhook_endpoints'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbound_webhooks_endpoint_id'))
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('last_response')
        batch_op.drop_column('last_status_code')
        batch_op.drop_column('endpoint_id')
    op.drop_table('webhook_endpoints')
    with op.batch_alter_table('shop_credentials', schema=None) as batch_op:
        batch_op.drop_column('label')
        batch_op.drop_column('role')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_users_invited_by_id_staff_users'),
                                 type_='foreignkey')
        batch_op.drop_column('invited_by_id')
        batch_op.drop_column('email_verified_at')
        batch_op.drop_column('role')
