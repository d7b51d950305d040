"""voice sessions: the dialog state between turns of an assistant that carries none (Sber
Salute), in the database so any web worker can take the next turn

Revision ID: 0013_voice_sessions
Revises: 0012_staff_language
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.models.base

revision = '0013_voice_sessions'
down_revision = '0012_staff_language'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'voice_sessions',
        sa.Column('shop_id', ID, nullable=False),
        sa.Column('assistant', sa.String(length=16), nullable=False),
        sa.Column('caller', sa.String(length=64), nullable=False),
        sa.Column('session_id', sa.String(length=128), nullable=False),
        sa.Column('state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                  'postgresql'), nullable=False),
        sa.Column('updated_at', core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_voice_sessions_shop_id_shops'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('shop_id', 'assistant', 'caller',
                                name=op.f('pk_voice_sessions')),
    )
    op.create_index(op.f('ix_voice_sessions_updated_at'), 'voice_sessions', ['updated_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_voice_sessions_updated_at'), table_name='voice_sessions')
    op.drop_table('voice_sessions')
