"""obligations say why their date is what it is; kind "aufbewahrung" (retention)

Revision ID: 9d17e2b4c6a1
Revises: e15a1a57a77e
Create Date: 2026-12-05 10:00:00

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.

SQLite: ``obligations`` is never recreated (a batch "move and copy" would drop the
table and, with foreign keys on, cascade to every reminder of it): the two columns
are added with plain ``ALTER TABLE ADD COLUMN`` and the CHECK of ``obligations.kind``
is widened in the stored schema text, as the money migration does.
"""

from __future__ import annotations

import re

from alembic import op


revision = '9d17e2b4c6a1'
down_revision = 'e15a1a57a77e'
branch_labels = None
depends_on = None

NEW_KIND = 'aufbewahrung'


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _sqlite_edit_check(table: str, name: str, edit) -> None:  # type: ignore[no-untyped-def]
    """Rewrite one named CHECK in SQLite's stored CREATE TABLE text."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
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


def _postgres_kinds(edit) -> None:  # type: ignore[no-untyped-def]
    check = op.get_bind().exec_driver_sql(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conname = 'ck_obligations_kind'"
    ).scalar_one()
    values = edit(re.findall(r"'([^']+)'", check))
    op.execute("ALTER TABLE obligations DROP CONSTRAINT ck_obligations_kind")
    op.execute(
        "ALTER TABLE obligations ADD CONSTRAINT ck_obligations_kind "
        f"CHECK ({_in('kind', tuple(values))})"
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute("ALTER TABLE obligations ADD COLUMN due_latest DATE")
    op.execute("ALTER TABLE obligations ADD COLUMN basis TEXT")
    if sqlite:
        _sqlite_edit_check(
            'obligations',
            'ck_obligations_kind',
            lambda v: v if f"'{NEW_KIND}'" in v else f"{v}, '{NEW_KIND}'",
        )
    else:
        _postgres_kinds(lambda v: v if NEW_KIND in v else [*v, NEW_KIND])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute(f"DELETE FROM obligations WHERE kind = '{NEW_KIND}'")
    if sqlite:
        _sqlite_edit_check(
            'obligations',
            'ck_obligations_kind',
            lambda v: v.replace(f", '{NEW_KIND}'", ""),
        )
    else:
        _postgres_kinds(lambda v: [k for k in v if k != NEW_KIND])
    # Plain DROP COLUMN (SQLite >= 3.35): no table copy, no cascade (see above).
    op.execute("ALTER TABLE obligations DROP COLUMN basis")
    op.execute("ALTER TABLE obligations DROP COLUMN due_latest")
