"""awards keep the Bescheid's own money rules (money_overrides)

Revision ID: 8b4f2d6e1c37
Revises: 9d17e2b4c6a1
Create Date: 2026-12-05 09:20:00

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent. ``awards`` is never recreated on SQLite
(the DROP of a batch copy would cascade to its obligations): plain ADD COLUMN.
"""

from __future__ import annotations

from alembic import op


revision = '8b4f2d6e1c37'
down_revision = '9d17e2b4c6a1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE awards ADD COLUMN money_overrides JSON DEFAULT '{}' NOT NULL")
    if op.get_bind().dialect.name != 'sqlite':
        op.execute("ALTER TABLE awards ALTER COLUMN money_overrides DROP DEFAULT")


def downgrade() -> None:
    op.execute("ALTER TABLE awards DROP COLUMN money_overrides")
