"""import batches remember their run key and when the database last matched them

Revision ID: 5b0c7e1d2a9f
Revises: d42c83a69a56
Create Date: 2026-11-27 13:05:00

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '5b0c7e1d2a9f'
down_revision = 'd42c83a69a56'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing batches get no key: their files are compared row by row once more.
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('matched_at', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_import_batches_run_key'), ['run_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batches_run_key'))
        batch_op.drop_column('matched_at')
        batch_op.drop_column('run_key')
