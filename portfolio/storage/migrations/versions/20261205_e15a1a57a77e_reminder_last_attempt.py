"""reminders remember when they were last tried (for `portfolio reminders retry --since`)

Revision ID: e15a1a57a77e
Revises: 7c3e9a41b2d0
Create Date: 2026-12-05 09:00:00

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'e15a1a57a77e'
down_revision = '7c3e9a41b2d0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows tried before this column existed have no time: `retry` without
    # --since still takes them.
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_column('last_attempt_at')
