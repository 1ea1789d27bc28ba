"""an import batch's kinds may name all five sheet kinds (Mittelabrufe added)

Revision ID: b7e3f1a2c9d4
Revises: 970ad34fc9b4
Create Date: 2026-12-05 19:00:00

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'b7e3f1a2c9d4'
down_revision = '970ad34fc9b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # "budget,contacts,disbursements,obligations,programmes" is 52 characters.
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.alter_column(
            'kind', existing_type=sa.String(length=40), type_=sa.String(length=120),
            existing_nullable=True,
        )


def downgrade() -> None:
    # Longer values are cut to fit the old width.
    op.execute(
        "UPDATE import_batches SET kind = substr(kind, 1, 40) WHERE length(kind) > 40"
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.alter_column(
            'kind', existing_type=sa.String(length=120), type_=sa.String(length=40),
            existing_nullable=True,
        )
