"""Engine and session factories for SQLite (the default) and PostgreSQL.

One URL chooses the database. SQLite runs in WAL mode with foreign keys on and a busy
timeout, and write transactions start with ``BEGIN IMMEDIATE`` so two writers queue
instead of failing with "database is locked". ``open_database`` checks the schema:
an empty database is created at the current revision; one that is behind is refused
with the advice to back it up and run ``portfolio db upgrade``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.orm import Session, sessionmaker

from portfolio.domain.errors import InputError
from portfolio.storage.changes import PortfolioSession
from portfolio.storage.integrity import explain_integrity_error

BUSY_TIMEOUT_MS = 30_000
URL_EXAMPLE = "sqlite:///portfolio.db oder postgresql+psycopg://benutzer@host/datenbank"


def parse_url(url: str) -> URL:
    """Parse a database URL, defaulting PostgreSQL to the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(
            f"{url!r} ist keine Datenbank-URL (Beispiel: {URL_EXAMPLE})."
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InputError(
            f"Datenbank {parsed.get_backend_name()!r} wird nicht unterstützt: "
            f"portfolio arbeitet mit SQLite oder PostgreSQL (Beispiel: {URL_EXAMPLE})."
        )
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Build an engine for a URL with the project's connection settings."""
    parsed = parse_url(url) if isinstance(url, str) else url
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, **kwargs)
        return sa.create_engine(parsed, pool_pre_ping=True, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise InputError(
            f"Die Datenbank-URL {parsed.render_as_string(hide_password=True)!r} "
            f"lässt sich nicht verwenden: {exc}"
        ) from exc


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    if url.database and url.database != ":memory:":
        folder = Path(url.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise InputError(
                f"Der Ordner {str(folder)!r} für die Datenbank existiert nicht."
            )
        if Path(url.database).expanduser().is_dir():
            raise InputError(
                f"{url.database!r} ist ein Ordner, keine Datenbankdatei – geben Sie "
                "einen Dateinamen an, z. B. sqlite:///portfolio.db."
            )
    connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, **kwargs.pop("connect_args", {})}
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:  # noqa: ARG001
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        # SQLite's own lower() folds ASCII only: "ÜBERGÄNGE" would not find
        # "Übergänge". Python's lower() folds like PostgreSQL's (UTF-8) does.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if url.database and url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            # 64 MB page cache instead of 2 MB: the daily reminder planning and
            # the import read wide index ranges (benchmarks/bench_reminders.py).
            cursor.execute("PRAGMA cache_size = -65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # IMMEDIATE takes the write lock up front, so a writer waits (busy
        # timeout) instead of failing when it upgrades a read lock later.
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose sessions validate and log every change."""
    return sessionmaker(engine, class_=PortfolioSession, expire_on_commit=False)


@contextmanager
def session_scope(
    engine: Engine,
    who: str = "cli",
    *,
    batch_id: int | None = None,
    read_only: bool = False,
) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error.

    Integrity errors of the database are turned into a German message.
    """
    bind: Engine | sa.Connection = engine
    if read_only and engine.dialect.name == "sqlite":
        bind = engine.connect().execution_options(sqlite_begin="DEFERRED")
    session = PortfolioSession(bind=bind, expire_on_commit=False)
    session.info["who"] = who
    session.info["batch_id"] = batch_id
    try:
        yield session
        # A read-only unit is just closed: its transaction ends without a commit,
        # and the loaded objects stay readable (a rollback would expire them).
        if not read_only:
            session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise explain_integrity_error(exc) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        if isinstance(bind, sa.Connection):
            bind.close()


def describe(engine: Engine) -> str:
    """The database as users should read it (password hidden)."""
    return engine.url.render_as_string(hide_password=True)


def connection_error(
    engine: Engine, exc: OperationalError | DatabaseError
) -> InputError:
    """Explain why a database cannot be opened."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    if "file is not a database" in text:
        return InputError(
            f"{engine.url.database!r} ist keine SQLite-Datenbank. Geben Sie mit --db "
            "eine portfolio-Datenbank an oder einen neuen Dateinamen."
        )
    for pattern, template in SERVER_REASONS:
        found = re.search(pattern, text)
        if found:
            reason = template.format(*found.groups(), url=engine.url)
            return InputError(
                f"Die Datenbank {describe(engine)} ist nicht erreichbar: {reason}"
            )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return InputError(f"Die Datenbank {describe(engine)} ist nicht erreichbar: {first}")


# What PostgreSQL and SQLite say when a database cannot be opened, in German.
SERVER_REASONS = (
    (
        r'database "([^"]+)" does not exist',
        "Die Datenbank {0!r} gibt es auf dem Server nicht – legen Sie sie an "
        "(createdb {0}) oder prüfen Sie den Namen in der URL.",
    ),
    (
        r'role "([^"]+)" does not exist',
        "Den Benutzer {0!r} gibt es auf dem Datenbankserver nicht – prüfen Sie "
        "die URL.",
    ),
    (
        r"password authentication failed|no password supplied",
        "Die Anmeldung am Datenbankserver ist fehlgeschlagen – prüfen Sie Benutzer "
        "und Passwort in der URL.",
    ),
    (
        r"Connection refused",
        "Der Datenbankserver antwortet nicht – läuft er, und stimmen Rechner "
        "und Port ({url.host}:{url.port})?",
    ),
    (
        r"failed to resolve host|could not translate host name",
        "Den Rechner {url.host!r} gibt es nicht – prüfen Sie die URL.",
    ),
    (
        r"timeout expired|timed out",
        "Der Datenbankserver antwortet nicht rechtzeitig ({url.host}:{url.port}).",
    ),
    (
        r"unable to open database file",
        "Die Datei lässt sich nicht öffnen oder anlegen – prüfen Sie Pfad und "
        "Schreibrechte.",
    ),
)
