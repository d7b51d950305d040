"""referral codes: the digits identify a code (unique), whatever spelling of the name

Revision ID: 0003_code_digits
Revises: 0002_console_login
Create Date: 2026-12-01 19:40:00
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0003_code_digits'
down_revision = '0002_console_login'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referral_codes') as batch:
        batch.add_column(sa.Column('digits', sa.String(length=16), nullable=True))
    conn = op.get_bind()
    seen: set[str] = set()
    rows = conn.execute(sa.text("SELECT id, code FROM referral_codes ORDER BY id")).all()
    for row_id, code in rows:
        match = re.match(r"^[A-Z]*([0-9]{6,14})$", code or "")
        if not match or match.group(1) in seen:
            continue  # an older code whose digits another code has: exact lookups only
        seen.add(match.group(1))
        conn.execute(sa.text("UPDATE referral_codes SET digits = :d WHERE id = :i"),
                     {"d": match.group(1), "i": row_id})
    op.create_index('uq_referral_codes_digits', 'referral_codes', ['digits'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_referral_codes_digits', table_name='referral_codes')
    with op.batch_alter_table('referral_codes') as batch:
        batch.drop_column('digits')
