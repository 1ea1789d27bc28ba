"""server-side sessions, login throttle, hashed calendar tokens

Revision ID: 7c1e5a9d3b20
Revises: 5b0c7e1d2a9f
Create Date: 2026-12-05 09:00:00.000000

House rules: every migration runs on SQLite (batch mode) and PostgreSQL; name every
constraint (the naming convention does it when you use the models' helpers); write a
downgrade; keep data migrations idempotent.

The calendar tokens are replaced by their SHA-256, so existing subscriptions keep
working. Idempotent: a value that already is a 64-digit hex digest stays.
"""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from alembic import op


revision = '7c1e5a9d3b20'
down_revision = '5b0c7e1d2a9f'
branch_labels = None
depends_on = None

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def upgrade() -> None:
    op.create_table('sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_sessions'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessions_last_seen_at'), ['last_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('login_throttle',
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_login_throttle'))
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_last_at'), ['last_at'], unique=False)

    users = sa.table('users', sa.column('id', sa.Integer), sa.column('ics_token', sa.String))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.ics_token).where(users.c.ics_token.is_not(None))
    ).all()
    for user_id, token in rows:
        if _DIGEST.match(token):
            continue
        digest = hashlib.sha256(token.encode()).hexdigest()
        connection.execute(
            users.update().where(users.c.id == user_id).values(ics_token=digest)
        )


def downgrade() -> None:
    # Hashed calendar tokens cannot be turned back: the feeds must be re-created.
    users = sa.table('users', sa.column('ics_token', sa.String))
    op.get_bind().execute(users.update().values(ics_token=None))
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_last_at'))

    op.drop_table('login_throttle')
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_sessions_last_seen_at'))

    op.drop_table('sessions')
