"""documents beside the portfolio: metadata, extracted text, full-text search

Revision ID: 15cc3286add6
Revises: 7a3e5c91b2d4
Create Date: 2026-12-05 08:47:58.728984

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '15cc3286add6'
down_revision = '7a3e5c91b2d4'
branch_labels = None
depends_on = None

# A copy of portfolio/storage/fulltext.py as of this revision (migrations are frozen).
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE document_fts USING fts5(text, content='document_texts', "
    "content_rowid='document_id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER document_fts_ai AFTER INSERT ON document_texts BEGIN "
    "INSERT INTO document_fts(rowid, text) VALUES (new.document_id, new.text); END",
    "CREATE TRIGGER document_fts_ad AFTER DELETE ON document_texts BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, text) "
    "VALUES ('delete', old.document_id, old.text); END",
    "CREATE TRIGGER document_fts_au AFTER UPDATE ON document_texts BEGIN "
    "INSERT INTO document_fts(document_fts, rowid, text) "
    "VALUES ('delete', old.document_id, old.text); "
    "INSERT INTO document_fts(rowid, text) VALUES (new.document_id, new.text); END",
)
POSTGRES_DDL = (
    "CREATE INDEX document_fts_german ON document_texts USING gin "
    "(to_tsvector('german'::regconfig, regexp_replace(text, '[./-]', ' ', 'g')))",
)


def upgrade() -> None:
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('bescheid', 'vertrag', 'nachweis', 'korrespondenz', 'sonstiges', name='kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('doc_date', sa.Date(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('award_id', sa.Integer(), nullable=True),
    sa.Column('obligation_id', sa.Integer(), nullable=True),
    sa.Column('version_of_id', sa.Integer(), nullable=True),
    sa.Column('added_by', sa.String(length=120), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_documents_sha256_len')),
    sa.CheckConstraint('size >= 0', name=op.f('ck_documents_size_ge0')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_documents_application_id_applications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_documents_award_id_awards'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_documents_obligation_id_obligations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_documents_programme_id_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_of_id'], ['documents.id'], name=op.f('fk_documents_version_of_id_documents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_award_id'), ['award_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_obligation_id'), ['obligation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_version_of_id'), ['version_of_id'], unique=False)

    op.create_table('document_texts',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_texts_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_document_texts'))
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DDL if sqlite else POSTGRES_DDL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("document_fts_ai", "document_fts_ad", "document_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS document_fts")
    else:
        op.execute("DROP INDEX IF EXISTS document_fts_german")
    op.drop_table('document_texts')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_version_of_id'))
        batch_op.drop_index(batch_op.f('ix_documents_sha256'))
        batch_op.drop_index(batch_op.f('ix_documents_programme_id'))
        batch_op.drop_index(batch_op.f('ix_documents_obligation_id'))
        batch_op.drop_index(batch_op.f('ix_documents_award_id'))
        batch_op.drop_index(batch_op.f('ix_documents_application_id'))

    op.drop_table('documents')
