"""back office: a message's purpose class, a referral's channel/assistant and review reason

Messages: `purpose` is transactional (one-time codes, what the customer just asked for and is
waiting on: sent at once, any hour) or marketing (friend invites, digests, reminders: quiet
hours, consent, caps). Existing rows are classed by their kind.

Referrals: `channel` / `assistant` where the friend came from (for signups and orders split
by channel and assistant) and `review_reason`, the words a reviewer gave for a decision.

Revision ID: 0008_backoffice
Revises: 0007_mcp_oauth
"""
from alembic import op
import sqlalchemy as sa

revision = '0008_backoffice'
down_revision = '0007_mcp_oauth'
branch_labels = None
depends_on = None

TRANSACTIONAL_KINDS = ("pairing_code", "staff_verify", "staff_reset", "staff_invite",
                       "invite_self", "reward_notice")


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), nullable=False,
                                      server_default='marketing'))
    messages = sa.table('messages', sa.column('kind', sa.String), sa.column('purpose', sa.String))
    op.execute(messages.update().where(messages.c.kind.in_(TRANSACTIONAL_KINDS))
               .values(purpose='transactional'))
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('assistant', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('review_reason', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('review_reason')
        batch_op.drop_column('assistant')
        batch_op.drop_column('channel')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('purpose')
