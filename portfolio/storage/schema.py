"""The schema's state: create a new database, check an existing one, upgrade it.

A new, empty database is created from the models and stamped with the current
Alembic head (the drift test proves the migrations give the same schema). A database
whose revision is older than the head is refused with advice; ``upgrade`` runs the
migrations. Every command checks the revision, so that check does without Alembic
(importing it costs a good part of a second): the head is read from the migration
files' ``revision``/``down_revision`` lines and the current revision from the
``alembic_version`` table. Alembic itself is imported only to create, stamp or
upgrade a database, or when the migration files are not plain enough to read.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError

from portfolio.domain.base import Base
from portfolio.domain.errors import InputError, SchemaBehind
from portfolio.storage import fulltext
from portfolio.storage.db import connection_error, describe, make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at the package's migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False)
        )
    return config


def head_revision() -> str:
    """The newest migration shipped with this version."""
    head = scanned_head()
    if head is not None:
        return head
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


@cache
def scanned_head(versions: Path = MIGRATIONS / "versions") -> str | None:
    """The head read from the migration files, or None to let Alembic decide.

    Only plain files are read: module-level ``revision = "…"`` and ``down_revision``
    (None, a string or a tuple of strings), no branch labels, no ``depends_on``.
    Anything else (and more than one head, which Alembic reports as an error) is
    left to Alembic.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        found = _revision_lines(path)
        if found is None:
            return None
        revision, down = found
        revisions.add(revision)
        parents.update(down)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _revision_lines(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """A migration's revision and its parents, if the file states them plainly."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_bytes(), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                values[target.id] = value  # not a literal: not plain
    revision, down = values.get("revision"), values.get("down_revision")
    if values.get("branch_labels") is not None or values.get("depends_on") is not None:
        return None
    if not isinstance(revision, str) or "down_revision" not in values:
        return None
    if down is None:
        return revision, ()
    if isinstance(down, str):
        return revision, (down,)
    if isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
        return revision, tuple(down)
    return None


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at (None for a database without portfolio tables).

    Reads ``alembic_version`` as Alembic's ``MigrationContext`` does; a table with
    several rows (several heads) is left to Alembic, which refuses it.
    """
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            return None
        rows = connection.execute(
            sa.text(f"SELECT version_num FROM {VERSION_TABLE}")  # noqa: S608 - a constant
        ).all()
        if len(rows) <= 1:
            return str(rows[0][0]) if rows else None
        from alembic.runtime.migration import MigrationContext

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
    from alembic.script import ScriptDirectory

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
    from alembic import command

    with engine.begin() as connection:
        Base.metadata.create_all(connection)
        fulltext.create(connection)
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.stamp(config, "head")


def upgrade(url: str) -> tuple[str | None, str]:
    """Run the migrations up to the head; return the revisions before and after."""
    from alembic import command

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
