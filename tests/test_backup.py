"""Backups (CONTRACTS §4): taken while others write, restorable, complete.

SQLite: four threads keep writing while ``portfolio backup`` runs; the archive's
database passes ``PRAGMA integrity_check`` and restores into a new file where the
users sign in. PostgreSQL: the archive carries portfolio/1 plus users, sent
reminders and the audit log, so after a restore everyone signs in and no reminder
goes out twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from web_support import client, login, prepare_db

from portfolio.domain.enums import ReminderStatus
from portfolio.domain.models import AuditEvent, Obligation, Programme, Reminder
from portfolio.services import audit
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
