"""The migrations build exactly the models' schema, and old databases are refused."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portfolio.domain.base import Base
from portfolio.domain.errors import SchemaBehind
from portfolio.storage import fulltext
from portfolio.storage.db import make_engine
from portfolio.storage.schema import alembic_config, head_revision, open_database


def _migrate(url: str, target: str = "head") -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, target)
    engine.dispose()


def test_migrations_match_models_no_drift(db_url: str) -> None:
    _migrate(db_url)
    engine = make_engine(db_url)
    with engine.connect() as connection:
        opts = {
            "compare_type": True,
            # The full-text table and index are made by SQL, not by the models.
            "include_name": fulltext.include_name,
            "include_object": fulltext.include_object,
        }
        context = MigrationContext.configure(connection, opts=opts)
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_new_database_is_created_at_head(db_url: str) -> None:
    engine = open_database(db_url)
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        tables = set(sa.inspect(connection).get_table_names())
    engine.dispose()
    assert revision == head_revision()
    assert {"programmes", "obligations", "reminders", "changes"} <= tables


def test_database_behind_is_refused_with_advice(sqlite_url: str, cli) -> None:
    engine = open_database(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE alembic_version SET version_num = 'ffff0000'"
        )
    engine.dispose()
    result = cli("programmes", db=sqlite_url)
    assert result.exit_code == 2
    assert "neueren portfolio-Version" in result.output

    # A known older revision: pretend the head migration has not run yet.
    script_revisions = _revisions()
    if len(script_revisions) > 1:
        engine = make_engine(sqlite_url)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f"UPDATE alembic_version SET version_num = '{script_revisions[-2]}'"
            )
        engine.dispose()
        try:
            open_database(sqlite_url)
        except SchemaBehind as exc:
            assert "portfolio db upgrade" in exc.message
            assert "Sichern" in exc.message
        else:  # pragma: no cover
            raise AssertionError("an old schema must be refused")


def _revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_db_upgrade_command_on_fresh_and_current_database(sqlite_url: str, cli) -> None:
    first = cli("db", "upgrade", db=sqlite_url)
    assert first.exit_code == 0, first.output
    second = cli("db", "upgrade", db=sqlite_url)
    assert second.exit_code == 0
    assert "neuesten Stand" in second.output


def test_old_or_newer_schema_status_and_upgrade_advice(sqlite_url: str, cli) -> None:
    open_database(sqlite_url).dispose()
    revisions = _revisions()
    if len(revisions) > 1:
        engine = make_engine(sqlite_url)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f"UPDATE alembic_version SET version_num = '{revisions[-2]}'"
            )
        engine.dispose()
        refused = cli("programmes", db=sqlite_url)
        assert refused.exit_code == 2
        # export json needs the current schema: the advice must not send users there
        assert "export json" not in refused.output
        shown = cli("db", "status", db=sqlite_url)
        assert shown.exit_code == 0, shown.output
        assert "portfolio db upgrade" in shown.output
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE alembic_version SET version_num = 'ffff0000'"
        )
    engine.dispose()
    newer = cli("db", "upgrade", db=sqlite_url)
    assert newer.exit_code == 2, newer.output
    assert "neueren portfolio-Version" in newer.output
    assert "neueren portfolio-Version" in cli("db", "status", db=sqlite_url).output
