"""The schema's state: create a new database, check an existing one, upgrade it.

A new, empty database is created from the models and stamped with the current
Alembic head (the drift test proves the migrations give the same schema). A database
whose revision is older than the head is refused with advice; ``upgrade`` runs the
migrations.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError

from portfolio.domain.base import Base
from portfolio.domain.errors import InputError, SchemaBehind
from portfolio.storage.db import connection_error, describe, make_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at the package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False)
        )
    return config


def head_revision() -> str:
    """The newest migration shipped with this version."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at (None for a database without portfolio tables)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _backup_advice(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return f"eine Kopie der Datei {engine.url.database!r} (bei gestopptem Dienst)"
    return "einen Dump mit pg_dump"


def open_database(url: str, *, create: bool = True) -> Engine:
    """Open a database: create it when empty, refuse it when its schema is behind."""
    engine = make_engine(url)
    try:
        ensure_schema(engine, create=create)
    except (OperationalError, DatabaseError) as exc:
        engine.dispose()
        raise connection_error(engine, exc) from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


def ensure_schema(engine: Engine, *, create: bool = True) -> None:
    """Check the schema revision; create an empty database at the head."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    if current is None:
        tables = set(sa.inspect(engine).get_table_names())
        if tables:
            raise InputError(
                f"{describe(engine)} enthält Tabellen, aber keine portfolio-Datenbank. "
                "Wählen Sie mit --db eine andere Datenbank."
            )
        if create:
            create_schema(engine)
        return
    _refuse_newer(engine, current)
    # Not `portfolio export json`: it needs the current schema, so it is refused too.
    raise SchemaBehind(
        f"Die Datenbank {describe(engine)} hat einen älteren Stand ({current}, "
        f"aktuell {head}). Sichern Sie sie zuerst ({_backup_advice(engine)}) "
        "und führen Sie dann `portfolio db upgrade` aus."
    )


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def _refuse_newer(engine: Engine, current: str | None) -> None:
    """A revision this version does not know was written by a newer portfolio."""
    if current is not None and current not in _known_revisions():
        raise InputError(
            f"Die Datenbank {describe(engine)} wurde von einer neueren "
            "portfolio-Version "
            f"geschrieben (Stand {current}). Bitte portfolio aktualisieren."
        )


def create_schema(engine: Engine) -> None:
    """Create all tables of an empty database and stamp the head revision."""
    with engine.begin() as connection:
        Base.metadata.create_all(connection)
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.stamp(config, "head")


def upgrade(url: str) -> tuple[str | None, str]:
    """Run the migrations up to the head; return the revisions before and after."""
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        _refuse_newer(engine, before)
        with engine.begin() as connection:
            config = alembic_config(engine)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return before, head_revision()
    except (OperationalError, DatabaseError) as exc:
        raise connection_error(engine, exc) from exc
    finally:
        engine.dispose()


def status(url: str) -> tuple[str, str]:
    """The database as shown and its schema state in words, without refusing it."""
    engine = make_engine(url)
    try:
        current, head = current_revision(engine), head_revision()
    except (OperationalError, DatabaseError) as exc:
        raise connection_error(engine, exc) from exc
    finally:
        engine.dispose()
    if current is None:
        state = "leer – wird beim ersten Befehl angelegt"
    elif current == head:
        state = f"{current}, aktuell"
    elif current in _known_revisions():
        state = f"{current}, älter als {head}: `portfolio db upgrade` (vorher sichern)"
    else:
        state = (
            f"{current}, von einer neueren portfolio-Version: portfolio aktualisieren"
        )
    return describe(engine), state
