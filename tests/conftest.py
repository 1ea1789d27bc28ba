"""Shared fixtures: real databases (SQLite file, PostgreSQL), the CLI, golden files.

``db_url`` runs a test on SQLite and on PostgreSQL; PostgreSQL needs
``PORTFOLIO_TEST_POSTGRES_URL`` (an admin URL; each test gets a database of its own,
dropped afterwards) and is skipped with that reason where it is not set. Golden files
are compared as text and rewritten with ``pytest --update-golden``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from portfolio.storage.changes import PortfolioSession
from portfolio.storage.schema import open_database

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
POSTGRES_ENV = "PORTFOLIO_TEST_POSTGRES_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files from the current output (review the diff!)",
    )


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    url = postgres_admin_url()
    if url is None:
        pytest.skip(f"PostgreSQL-Tests übersprungen: {POSTGRES_ENV} ist nicht gesetzt")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    name = f"portfolio_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(postgres_admin_url() or "").set(database=name)
    yield url.render_as_string(hide_password=False)
    with postgres_admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new SQLite file for one test."""
    return f"sqlite:///{tmp_path / 'portfolio.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The test runs twice: on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An opened (schema-created) database engine."""
    engine = open_database(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session that validates and logs like the application's (commit yourself)."""
    session = PortfolioSession(bind=engine, expire_on_commit=False)
    session.info["who"] = "test"
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run ``portfolio`` with arguments; ``db=`` picks the database URL."""
    from portfolio.cli import main

    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("PORTFOLIO_") and name != POSTGRES_ENV:
            monkeypatch.delenv(name)

    def run(*args: str, db: str | None = None, **kwargs: Any) -> Result:
        prefix = ["--db", db] if db else []
        runner = CliRunner()
        return runner.invoke(main, [*prefix, *args], catch_exceptions=False, **kwargs)

    return run


@pytest.fixture
def demo_workbook(cli: Callable[..., Result], tmp_path: Path) -> tuple[str, Path]:
    """A demo database (SQLite file) and the portfolio workbook exported from it."""
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert cli("demo", db=db).exit_code == 0
    workbook = tmp_path / "portfolio.xlsx"
    exported = cli("export", "xlsx", "-o", str(workbook), db=db)
    assert exported.exit_code == 0, exported.output
    return db, workbook


@pytest.fixture
def corpus_dir() -> Path:
    """The shared corpus of real spreadsheets (skipped in a clone without it)."""
    corpus = SHARED / "corpus"
    if not corpus.is_dir():
        pytest.skip(f"Korpus fehlt ({corpus}): nur im Projekt-Arbeitsbereich vorhanden")
    return corpus


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[Path, str], None]:
    """Compare text with a golden file (``--update-golden`` rewrites it)."""
    update = bool(request.config.getoption("--update-golden"))

    def check(path: Path, actual: str) -> None:
        if update or not path.exists():
            if not update:
                pytest.fail(f"golden file {path} missing: run pytest --update-golden")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"output differs from {path} (--update-golden)"

    return check


class RecordingSmtp:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives."""

    def __init__(self, delay: float = 0.0) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.delay = delay
        self.messages: list[Any] = []
        self.connections = 0
        self.controller: Any = None
        # Answers to give instead of "250 OK": per recipient (RCPT TO) and for
        # every message (DATA), e.g. "550 5.1.1 unbekannt" or "451 später".
        self.refuse: dict[str, str] = {}
        self.data_answer: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio
        from email import message_from_bytes, policy

        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_answer:
            return self.data_answer
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 OK"

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: Any
    ) -> Any:
        self.connections += 1
        session.host_name = hostname
        return responses

    def start(self) -> RecordingSmtp:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


@pytest.fixture
def smtp_server() -> Iterator[RecordingSmtp]:
    """A running local SMTP server; ``.messages`` holds what arrived."""
    server = RecordingSmtp().start()
    yield server
    server.stop()
