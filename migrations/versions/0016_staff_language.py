"""staff language: the language the merchant pages speak to each staff member

Revision ID: 0012_staff_language
Revises: 0011_shopify_app
"""
from alembic import op
import sqlalchemy as sa

revision = '0012_staff_language'
down_revision = '0011_shopify_app'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('language')
