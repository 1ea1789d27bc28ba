"""documents: the full-text GIN index without a pending list (PostgreSQL)

Revision ID: 00bca7209b81
Revises: 70e7411fabcd
Create Date: 2026-12-05 14:00:00.000000

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.

With fastupdate on, new documents wait in the GIN index's pending list, which
every search reads in full until autovacuum merges it: after attaching many
documents the search was several times slower. Off, each insert goes into the index
itself (attaching is rare; searching is not).
"""

from __future__ import annotations

from alembic import op


revision = '00bca7209b81'
down_revision = '70e7411fabcd'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER INDEX document_fts_vector_gin SET (fastupdate = off)")
    op.execute("SELECT gin_clean_pending_list('document_fts_vector_gin'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER INDEX document_fts_vector_gin RESET (fastupdate)")
