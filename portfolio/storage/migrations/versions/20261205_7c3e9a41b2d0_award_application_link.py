"""awards remember the application they came from; applications may be an idea

Revision ID: 7c3e9a41b2d0
Revises: 5b0c7e1d2a9f
Create Date: 2026-12-05 09:30:00

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '7c3e9a41b2d0'
down_revision = '5b0c7e1d2a9f'
branch_labels = None
depends_on = None

OLD = ('draft', 'submitted', 'approved', 'partly_approved', 'rejected', 'withdrawn')
NEW = ('idea', *OLD)


def _status(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name='status', native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_awards_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_awards_application_id_applications'), 'applications', ['application_id'], ['id'], ondelete='SET NULL')
    # The pipeline starts with an idea: the status check constraint gains 'idea'.
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_applications_status'), type_='check')
        batch_op.create_check_constraint('status', sa.column('status').in_(NEW))


def downgrade() -> None:
    op.execute("UPDATE applications SET status = 'draft' WHERE status = 'idea'")
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_applications_status'), type_='check')
        batch_op.create_check_constraint('status', sa.column('status').in_(OLD))
    with op.batch_alter_table('awards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_awards_application_id_applications'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_awards_application_id'))
        batch_op.drop_column('application_id')
