"""documents: the tsvector column reads at most the first 300,000 characters

Revision ID: 970ad34fc9b4
Revises: 00bca7209b81
Create Date: 2026-12-05 14:05:00.000000

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.

PostgreSQL only: a tsvector holds at most 1 MB; the text of a long document (a
workbook full of numbers, a report of some hundred pages) made the insert fail
("string is too long for tsvector"), so attaching it failed. The column is made
again from the first 300,000 characters (about a hundred pages).
"""

from __future__ import annotations

from alembic import op


revision = '970ad34fc9b4'
down_revision = '00bca7209b81'
branch_labels = None
depends_on = None

# Copies of portfolio/storage/fulltext.py as of this revision and the one before.
BOUNDED = (
    "to_tsvector('german'::regconfig, "
    "regexp_replace(left(text, 300000), '[./-]', ' ', 'g'))"
)
UNBOUNDED = "to_tsvector('german'::regconfig, regexp_replace(text, '[./-]', ' ', 'g'))"


def _column(expression: str) -> None:
    op.execute("DROP INDEX IF EXISTS document_fts_vector_gin")
    op.execute("ALTER TABLE document_texts DROP COLUMN IF EXISTS document_fts_vector")
    op.execute(
        "ALTER TABLE document_texts ADD COLUMN document_fts_vector tsvector "
        f"GENERATED ALWAYS AS ({expression}) STORED"
    )
    op.execute(
        "CREATE INDEX document_fts_vector_gin ON document_texts "
        "USING gin (document_fts_vector) WITH (fastupdate = off)"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _column(BOUNDED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _column(UNBOUNDED)
