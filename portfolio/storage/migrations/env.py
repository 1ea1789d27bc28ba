"""Alembic environment: the models' metadata, batch mode for SQLite, nothing else.

It imports only the domain models, never the web or the CLI, so migrations run in
any door. A connection passed in ``config.attributes["connection"]`` is used as is
(``portfolio db upgrade`` and the tests do that); otherwise the URL of the ini file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from portfolio.domain.base import Base
from portfolio.storage import fulltext
from portfolio.storage.db import make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations on a live connection (SQLite needs batch ALTER)."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        # The full-text table/index are not models (storage/fulltext.py).
        include_name=fulltext.include_name,
        include_object=fulltext.include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline-Migrationen werden nicht unterstützt.")
run_migrations_online()
