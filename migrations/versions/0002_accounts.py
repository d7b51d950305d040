"""accounts: staff roles and email verification, API key roles and labels

Revision ID: 0002_accounts
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import core.models.base

revision = '0002_accounts'
down_revision = '0001'
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
    with op.batch_alter_table('shop_credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('label', sa.String(length=100), server_default='',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('shop_credentials', schema=None) as batch_op:
        batch_op.drop_column('label')
        batch_op.drop_column('role')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_users_invited_by_id_staff_users'),
                                 type_='foreignkey')
        batch_op.drop_column('invited_by_id')
        batch_op.drop_column('email_verified_at')
        batch_op.drop_column('role')
