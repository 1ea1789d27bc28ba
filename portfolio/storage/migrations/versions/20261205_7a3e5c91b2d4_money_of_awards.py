"""the money of every award: Finanzierungsart, codes, income, bookings, versions

Revision ID: 7a3e5c91b2d4
Revises: 7c1e5a9d3b20
Create Date: 2026-12-05 09:00:00

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.

SQLite: ``awards`` and ``obligations`` are never recreated here, because a batch
"move and copy" drops the old table and, with foreign keys on, the DROP cascades
to every obligation, reminder and expense of it. Columns are added with plain
``ALTER TABLE ADD COLUMN`` (CHECK included), and the CHECK of ``obligations.kind``
is widened in the stored schema text (the procedure SQLite documents for changing
a CHECK constraint). ``expenses`` and ``disbursements`` are referenced by nothing
and may be recreated.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op


revision = '7a3e5c91b2d4'
down_revision = '7c1e5a9d3b20'
branch_labels = None
depends_on = None

FINANCING = ('anteil', 'fehlbedarf', 'voll', 'festbetrag')
DISBURSEMENT_KINDS = ('abruf', 'rueckzahlung')
NEW_KIND = 'mittelverwendung'


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _sqlite_edit_check(table: str, name: str, edit) -> None:  # type: ignore[no-untyped-def]
    """Rewrite one named CHECK in SQLite's stored CREATE TABLE text."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    # The enum's CHECK reads "CHECK (kind IN ('a', 'b'))": group 1 is the list.
    pattern = re.compile(rf"CONSTRAINT {name} CHECK \(\w+ IN \(([^)]*)\)\)")
    match = pattern.search(sql)
    if match is None:
        return
    changed = sql[: match.start(1)] + edit(match.group(1)) + sql[match.end(1) :]
    if changed == sql:
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (changed, table),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _add_kind(values: str) -> str:
    if f"'{NEW_KIND}'" in values:
        return values
    return f"{values}, '{NEW_KIND}'"


def _drop_kind(check: str) -> str:
    return check.replace(f", '{NEW_KIND}'", "")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # Awards: plain ADD COLUMN on both databases (see the module docstring).
    op.execute(
        "ALTER TABLE awards ADD COLUMN financing_type VARCHAR(24) "
        f"CONSTRAINT ck_awards_financing_type CHECK ({_in('financing_type', FINANCING)})"
    )
    op.execute("ALTER TABLE awards ADD COLUMN accounting_codes JSON DEFAULT '[]' NOT NULL")
    op.execute("ALTER TABLE awards ADD COLUMN account_categories JSON DEFAULT '{}' NOT NULL")
    if not sqlite:  # the models have no server default; SQLite cannot drop one
        op.execute("ALTER TABLE awards ALTER COLUMN accounting_codes DROP DEFAULT")
        op.execute("ALTER TABLE awards ALTER COLUMN account_categories DROP DEFAULT")

    op.create_table('award_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('budget', sa.JSON(), nullable=False),
    sa.Column('income', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint('"end" IS NULL OR "start" IS NULL OR "end" >= "start"', name=op.f('ck_award_versions_end_after')),
    sa.CheckConstraint('amount IS NULL OR amount >= 0', name=op.f('ck_award_versions_amount_ge0')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_award_versions_award_id_awards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_versions')),
    sa.UniqueConstraint('award_id', 'issued_on', 'reference', name=op.f('uq_award_versions_award_id_issued_on_reference'))
    )
    with op.batch_alter_table('award_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_versions_award_id'), ['award_id'], unique=False)

    op.create_table('income_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('zuwendung', 'eigenanteil', 'dritte', name='kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('planned', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('planned IS NULL OR planned >= 0', name=op.f('ck_income_lines_planned_ge0')),
    sa.ForeignKeyConstraint(['award_id'], ['awards.id'], name=op.f('fk_income_lines_award_id_awards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_income_lines')),
    sa.UniqueConstraint('award_id', 'kind', 'year', name=op.f('uq_income_lines_award_id_kind_year'))
    )
    with op.batch_alter_table('income_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_income_lines_award_id'), ['award_id'], unique=False)

    # Expenses: bookings are signed (Storno), and keep what the Belegliste needs.
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_expenses_amount_ge0'), type_='check')
        batch_op.add_column(sa.Column('reference', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('text', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('account', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('code', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('occurrence', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_expenses_import_batch_id_import_batches'), 'import_batches', ['import_batch_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_expenses_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index('ix_expenses_identity', ['award_id', 'reference', 'spent_on'], unique=False)
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.alter_column('occurrence', server_default=None)

    with op.batch_alter_table('disbursements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum(*DISBURSEMENT_KINDS, name='kind', native_enum=False, create_constraint=True, length=24), server_default='abruf', nullable=False))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
    with op.batch_alter_table('disbursements', schema=None) as batch_op:
        batch_op.alter_column('kind', server_default=None)

    # Obligations: the new kind "mittelverwendung" (by when a payment is spent).
    if sqlite:
        _sqlite_edit_check('obligations', 'ck_obligations_kind', _add_kind)
    else:
        check = op.get_bind().exec_driver_sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname = 'ck_obligations_kind'"
        ).scalar_one()
        values = re.findall(r"'([^']+)'", check)
        if NEW_KIND not in values:
            values.append(NEW_KIND)
        op.execute("ALTER TABLE obligations DROP CONSTRAINT ck_obligations_kind")
        op.execute(
            "ALTER TABLE obligations ADD CONSTRAINT ck_obligations_kind "
            f"CHECK ({_in('kind', tuple(values))})"
        )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute(f"DELETE FROM obligations WHERE kind = '{NEW_KIND}'")
    if sqlite:
        _sqlite_edit_check('obligations', 'ck_obligations_kind', _drop_kind)
    else:
        check = op.get_bind().exec_driver_sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname = 'ck_obligations_kind'"
        ).scalar_one()
        values = tuple(v for v in re.findall(r"'([^']+)'", check) if v != NEW_KIND)
        op.execute("ALTER TABLE obligations DROP CONSTRAINT ck_obligations_kind")
        op.execute(
            "ALTER TABLE obligations ADD CONSTRAINT ck_obligations_kind "
            f"CHECK ({_in('kind', values)})"
        )
    with op.batch_alter_table('disbursements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_disbursements_kind'), type_='check')
        batch_op.drop_column('note')
        batch_op.drop_column('kind')
    op.execute("DELETE FROM expenses WHERE amount < 0")
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index('ix_expenses_identity')
        batch_op.drop_index(batch_op.f('ix_expenses_import_batch_id'))
        batch_op.drop_constraint(batch_op.f('fk_expenses_import_batch_id_import_batches'), type_='foreignkey')
        batch_op.drop_column('import_batch_id')
        batch_op.drop_column('occurrence')
        batch_op.drop_column('code')
        batch_op.drop_column('account')
        batch_op.drop_column('text')
        batch_op.drop_column('reference')
        batch_op.create_check_constraint(op.f('ck_expenses_amount_ge0'), 'amount IS NULL OR amount >= 0')
    op.drop_table('income_lines')
    op.drop_table('award_versions')
    if sqlite:
        # SQLite ≥ 3.35 drops a column that no index or constraint names; the
        # CHECK of financing_type is a column constraint and goes with it.
        op.execute("ALTER TABLE awards DROP COLUMN account_categories")
        op.execute("ALTER TABLE awards DROP COLUMN accounting_codes")
        op.execute("ALTER TABLE awards DROP COLUMN financing_type")
    else:
        op.execute("ALTER TABLE awards DROP CONSTRAINT ck_awards_financing_type")
        op.drop_column('awards', 'account_categories')
        op.drop_column('awards', 'accounting_codes')
        op.drop_column('awards', 'financing_type')
