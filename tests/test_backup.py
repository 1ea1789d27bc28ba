"""Backups (CONTRACTS §4): taken while others write, restorable, complete.

SQLite: four threads keep writing while ``portfolio backup`` runs; the archive's
database passes ``PRAGMA integrity_check`` and restores into a new file where the
users sign in. PostgreSQL: the archive carries portfolio/1 plus users, sent
reminders and the audit log, so after a restore everyone signs in and no reminder
goes out twice.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from documents_support import make_docx, make_pdf, make_xlsx
from sqlalchemy.engine import make_url
from web_support import client, login, prepare_db

from portfolio.domain.enums import ReminderStatus
from portfolio.domain.models import AuditEvent, Obligation, Programme, Reminder
from portfolio.services import audit
from portfolio.services.document_store import default_dir
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

Cli = Callable[..., Any]


def _count(db_url: str, model: Any, *where: Any) -> int:
    engine = open_database(db_url)
    with session_scope(engine, read_only=True) as session:
        found = session.scalar(
            sa.select(sa.func.count()).select_from(model).where(*where)
        )
    engine.dispose()
    return int(found or 0)


def test_sqlite_backup_while_four_threads_write(
    sqlite_url: str, cli: Cli, tmp_path: Path
) -> None:
    prepare_db(sqlite_url)
    engine = open_database(sqlite_url)
    stop = threading.Event()
    written = [0] * 4

    def writer(n: int) -> None:
        while not stop.is_set():
            with session_scope(engine, f"writer{n}") as session:
                audit.record(session, "settings_changed", actor=f"writer{n}", keys="x")
            written[n] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        while min(written) < 3:
            stop.wait(0.01)
        archive = tmp_path / "sicherung.zip"
        made = cli("backup", str(archive), db=sqlite_url)
        during = list(written)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    engine.dispose()
    assert made.exit_code == 0, made.output
    assert "Sicherung geschrieben" in made.stdout
    assert all(w > 0 for w in during)

    with zipfile.ZipFile(archive) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        assert manifest["format"] == "portfolio-backup/1"
        assert manifest["database"] == "sqlite"
        assert manifest["schema_revision"]
        zipped.extract("database.sqlite", tmp_path / "entpackt")
    check = sqlite3.connect(tmp_path / "entpackt" / "database.sqlite")
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()

    restored = f"sqlite:///{tmp_path / 'neu.db'}"
    done = cli("restore", str(archive), db=restored)
    assert done.exit_code == 0, done.output
    assert _count(restored, Programme) == _count(sqlite_url, Programme) > 0
    assert login(client(restored), "editor").status_code == 303
    again = cli("restore", str(archive), db=restored)
    assert again.exit_code == 2 and "gibt es schon" in again.stderr


@pytest.mark.postgres
def test_postgres_backup_keeps_users_sent_reminders_and_audit(
    postgres_url: str, cli: Cli, tmp_path: Path
) -> None:
    prepare_db(postgres_url)
    engine = open_database(postgres_url)
    with session_scope(engine, "test") as session:
        obligation = session.scalars(
            sa.select(Obligation).order_by(Obligation.id)
        ).first()
        assert obligation is not None
        session.add(
            Reminder(
                obligation_id=obligation.id, recipient="editor@example.org",
                stage="14", due_on=obligation.due_on,
                planned_for=datetime(2017, 3, 1, 7, tzinfo=UTC),
                status=ReminderStatus.SENT,
                sent_at=datetime(2017, 3, 1, 7, 1, tzinfo=UTC),
                message_id="<r1@portfolio>", attempts=1,
            )
        )  # fmt: skip
    engine.dispose()
    login(client(postgres_url), "admin")  # an audit event
    archive = tmp_path / "pg.zip"
    assert cli("backup", str(archive), db=postgres_url).exit_code == 0
    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
        ops = json.loads(zipped.read("operations.json"))
    assert {"manifest.json", "portfolio.json", "operations.json"} <= names
    assert "password_hash" in ops["users"][0]

    restored = f"sqlite:///{tmp_path / 'aus-pg.db'}"
    done = cli("restore", str(archive), db=restored)
    assert done.exit_code == 0, done.output
    assert "1 versandte Erinnerungen" in done.stdout
    assert login(client(restored), "admin").status_code == 303
    assert _count(restored, Reminder, Reminder.status == ReminderStatus.SENT) == 1
    assert _count(restored, AuditEvent, AuditEvent.action == "login") >= 2


def test_restore_still_takes_a_bare_json(
    sqlite_url: str, cli: Cli, tmp_path: Path
) -> None:
    prepare_db(sqlite_url, demo=True)
    out = tmp_path / "p.json"
    assert cli("export", "json", "-o", str(out), db=sqlite_url).exit_code == 0
    target = f"sqlite:///{tmp_path / 'json.db'}"
    done = cli("restore", str(out), db=target)
    assert done.exit_code == 0, done.output
    assert _count(target, Programme) == _count(sqlite_url, Programme)


@pytest.fixture
def second_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """An empty second database of the same kind, for a restore."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'zurueck.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    name = f"portfolio_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(db_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_documents_come_back_with_identical_bytes_in_a_new_folder(
    db_url: str, second_url: str, cli: Cli, tmp_path: Path
) -> None:
    assert cli("demo", db=db_url).exit_code == 0
    pdf = make_pdf(tmp_path / "bescheid.pdf")
    originals = [pdf, make_docx(tmp_path / "vertrag.docx"),
                 make_xlsx(tmp_path / "plan.xlsx")]  # fmt: skip
    done = cli(
        "attach", "zukunftsstadt", str(pdf), "--kind", "bescheid",
        "--award", "DEMO-ZUKUNFTSSTADT-II", "--title", "Zuwendungsbescheid",
        db=db_url,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    more = cli("attach", "zukunftsstadt", *map(str, originals[1:]), db=db_url)
    assert more.exit_code == 0, more.output
    newer = make_pdf(tmp_path / "bescheid-2.pdf", "Änderungsbescheid: neue Frist.")
    originals.append(newer)
    again = cli("attach", "zukunftsstadt", str(newer), "--version-of", "1", db=db_url)
    assert again.exit_code == 0, again.output

    archive = tmp_path / "mit-dokumenten.zip"
    made = cli("backup", str(archive), db=db_url)
    assert made.exit_code == 0, made.output
    assert "Dokumentdateien: 4" in made.output
    hashes = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in originals}
    with zipfile.ZipFile(archive) as zipped:
        names = set(zipped.namelist())
        manifest = json.loads(zipped.read("manifest.json"))
    assert {f"documents/{sha}" for sha in hashes} <= names
    assert manifest["format"] == "portfolio-backup/1"
    assert manifest["documents"]["files"] == 4
    assert manifest["counts"]["documents"] == 4

    folder = tmp_path / "neuer-ordner"
    env = {"PORTFOLIO_DOCUMENTS_DIR": str(folder)}
    back = cli("restore", str(archive), db=second_url, env=env)
    assert back.exit_code == 0, back.output
    assert "Dokumentdateien zurückgeholt: 4" in back.output
    for sha, original in hashes.items():
        assert (folder / sha).read_bytes() == original.read_bytes()

    checked = cli("documents", "check", db=second_url, env=env)
    assert checked.exit_code == 0, checked.output
    assert "Alle 4 Dokumente sind vollständig und unverändert" in checked.output
    found = cli("documents", "search", "Zwischennachweis", db=second_url, env=env)
    assert "Zuwendungsbescheid" in found.output, found.output
    listed = cli("documents", "list", "zukunftsstadt", db=second_url, env=env)
    assert "DEMO-ZUKUNFTSSTADT-II" in listed.output  # still at its award
    fetched = cli("documents", "get", "1", "-o", str(tmp_path / "x.pdf"),
                  db=second_url, env=env)  # fmt: skip
    assert fetched.exit_code == 0, fetched.output
    assert (tmp_path / "x.pdf").read_bytes() == pdf.read_bytes()


def test_altered_document_file_is_named_by_backup_and_refused_by_restore(
    sqlite_url: str, cli: Cli, tmp_path: Path
) -> None:
    assert cli("demo", db=sqlite_url).exit_code == 0
    pdf = make_pdf(tmp_path / "bescheid.pdf")
    assert cli("attach", "zukunftsstadt", str(pdf), db=sqlite_url).exit_code == 0
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    stored = default_dir(sqlite_url, None) / sha
    stored.write_bytes(stored.read_bytes() + b"%% geaendert")

    archive = tmp_path / "s.zip"
    made = cli("backup", str(archive), db=sqlite_url)
    assert made.exit_code == 1
    assert f"Datei verändert (Prüfsumme stimmt nicht): {sha}" in made.stderr
    assert archive.is_file()  # the rest is saved all the same

    restored = f"sqlite:///{tmp_path / 'neu.db'}"
    back = cli("restore", str(archive), db=restored)
    assert back.exit_code == 1
    assert "beschädigt" in back.stderr and sha in back.stderr
    assert not (default_dir(restored, None) / sha).exists()
    assert "fehlt" in cli("documents", "check", db=restored).output
