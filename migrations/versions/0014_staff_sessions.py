"""staff sessions: server-side, so signing out, "sign out everywhere", a password or role
change and removal from the team end a session wherever its cookie was copied to

Existing cookies carry no session token: everybody signs in once more after this upgrade.

Revision ID: 0010_staff_sessions
Revises: 0009_store_inbox
"""
import sqlalchemy as sa
from alembic import op

import core.models.base

revision = '0010_staff_sessions'
down_revision = '0009_store_inbox'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'staff_sessions',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('staff_id', ID, nullable=False),
        sa.Column('password_mark', sa.String(length=16), nullable=False),
        sa.Column('created_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index(op.f('ix_staff_sessions_staff_id'), 'staff_sessions', ['staff_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_staff_sessions_staff_id'), table_name='staff_sessions')
    op.drop_table('staff_sessions')
