"""awards remember the application they came from; applications may be an idea

Revision ID: 7c3e9a41b2d0
Revises: 15cc3286add6
Create Date: 2026-12-05 09:30:00

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.

SQLite: ``awards`` is never recreated (a batch "move and copy" drops the old table,
and with foreign keys on the DROP cascades to every obligation of it): the column is
added with a plain ``ALTER TABLE ADD COLUMN`` carrying its named foreign key.
``applications`` is referenced only by the new, still empty column and may be
recreated to widen its status CHECK.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op


revision = '7c3e9a41b2d0'
down_revision = '15cc3286add6'
branch_labels = None
depends_on = None

OLD = ('draft', 'submitted', 'approved', 'partly_approved', 'rejected', 'withdrawn')
NEW = ('idea', *OLD)


FK = (
    "CONSTRAINT fk_awards_application_id_applications FOREIGN KEY(application_id) "
    "REFERENCES applications (id) ON DELETE SET NULL"
)


# The constraint as this migration or ``create_all`` (a new database) wrote it.
FK_TEXT = re.compile(
    r",\s*CONSTRAINT fk_awards_application_id_applications FOREIGN KEY\s*"
    r"\(application_id\) REFERENCES applications \(id\)( ON DELETE SET NULL)?"
)


def _sqlite_schema(table: str, edit) -> None:  # type: ignore[no-untyped-def]
    """Rewrite SQLite's stored CREATE TABLE text (no table copy, see above)."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (edit(sql), table),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _status(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name='status', native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    # The pipeline starts with an idea: the status check constraint gains 'idea'.
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_applications_status'), type_='check')
        batch_op.create_check_constraint('status', sa.column('status').in_(NEW))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE awards ADD COLUMN application_id INTEGER")
        _sqlite_schema('awards', lambda sql: sql[: sql.rindex(')')] + f", {FK})")
    else:
        op.add_column('awards', sa.Column('application_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_awards_application_id_applications'), 'awards', 'applications', ['application_id'], ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_awards_application_id'), 'awards', ['application_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_awards_application_id'), table_name='awards')
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_schema('awards', lambda sql: FK_TEXT.sub("", sql))
        op.execute("ALTER TABLE awards DROP COLUMN application_id")
    else:
        op.drop_constraint(op.f('fk_awards_application_id_applications'), 'awards', type_='foreignkey')
        op.drop_column('awards', 'application_id')
    op.execute("UPDATE applications SET status = 'draft' WHERE status = 'idea'")
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_applications_status'), type_='check')
        batch_op.create_check_constraint('status', sa.column('status').in_(OLD))
