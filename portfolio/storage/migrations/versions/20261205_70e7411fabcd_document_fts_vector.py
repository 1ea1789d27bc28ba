"""documents: stored German tsvector column with a GIN index (PostgreSQL)

Revision ID: 70e7411fabcd
Revises: a4d2c6e8f013
Create Date: 2026-12-05 13:20:00.000000

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.

PostgreSQL only (SQLite keeps its FTS5 table): the expression index
document_fts_german made the search recompute every candidate's tsvector (to
check phrases and to rank); a stored generated column is computed once per text.
"""

from __future__ import annotations

from alembic import op


revision = '70e7411fabcd'
down_revision = 'a4d2c6e8f013'
branch_labels = None
depends_on = None

# A copy of portfolio/storage/fulltext.py as of this revision (migrations are frozen).
PG_VECTOR = "to_tsvector('german'::regconfig, regexp_replace(text, '[./-]', ' ', 'g'))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS document_fts_german")
    op.execute(
        "ALTER TABLE document_texts ADD COLUMN IF NOT EXISTS document_fts_vector "
        f"tsvector GENERATED ALWAYS AS ({PG_VECTOR}) STORED"
    )
    op.execute(
        "CREATE INDEX IF NOT EXISTS document_fts_vector_gin ON document_texts "
        "USING gin (document_fts_vector)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS document_fts_vector_gin")
    op.execute("ALTER TABLE document_texts DROP COLUMN IF EXISTS document_fts_vector")
    op.execute(
        "CREATE INDEX IF NOT EXISTS document_fts_german ON document_texts "
        f"USING gin ({PG_VECTOR})"
    )
