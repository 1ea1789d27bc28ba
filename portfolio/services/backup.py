"""Backups while the server runs: one zip file, ``portfolio-backup/1`` (CONTRACTS §4).

Parts of the archive, each written by one function so more can be added:

* ``manifest.json`` – format, time, database kind, schema revision, counts;
* SQLite: ``database.sqlite``, a consistent copy made with SQLite's online backup
  API (writers keep working meanwhile);
* PostgreSQL: ``portfolio.json`` (the ``portfolio/1`` export) and
  ``operations.json`` – what that export does not carry: the users (with their
  password hashes, so everyone can sign in after a restore), the reminders already
  sent (so none goes out twice) and the audit log. For a full copy of a PostgreSQL
  server use ``pg_dump`` beside it;
* ``documents/<sha256>``: the stored documents' files, and for PostgreSQL
  ``documents.jsonl`` with their metadata and text (``services.backup_documents``).

``restore_archive`` loads such a file into an empty database; a bare
``portfolio/1`` JSON is still accepted by the door (``portfolio restore``).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portfolio.domain.base import utcnow
from portfolio.domain.documents import Document
from portfolio.domain.enums import ReminderStatus, UserRole
from portfolio.domain.errors import Conflict, InputError
from portfolio.domain.models import AuditEvent, Obligation, Programme, Reminder, User
from portfolio.services import audit
from portfolio.services import backup_documents as files
from portfolio.services.document_store import DocumentStore
from portfolio.services.export_json import export_json
from portfolio.services.restore_json import is_empty, restore

FORMAT = "portfolio-backup/1"
MANIFEST, SQLITE_PART = "manifest.json", "database.sqlite"
PORTFOLIO_PART, OPERATIONS_PART = "portfolio.json", "operations.json"
DOCUMENTS_FOLDER = files.FOLDER  # documents/<sha256>


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds (from its manifest)."""

    kind: str
    revision: str | None
    counts: dict[str, int]
    files: files.FilesReport = field(default_factory=files.FilesReport)


def _revision(connection: sa.Connection) -> str | None:
    try:
        found = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
        return str(found) if found is not None else None
    except sa.exc.DBAPIError:
        return None


def _counts(session: Session) -> dict[str, int]:
    counted = {
        "programmes": Programme, "obligations": Obligation, "users": User,
        "documents": Document,
    }  # fmt: skip
    return {
        name: int(session.scalar(sa.select(sa.func.count()).select_from(m)) or 0)
        for name, m in counted.items()
    }


def _sqlite_copy(engine: Engine, target: Path) -> None:
    """A consistent copy of the live SQLite file (online backup API)."""
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=1024)
        finally:
            copy.close()
    finally:
        raw.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def _rows(session: Session, model: Any, columns: list[str]) -> list[dict[str, Any]]:
    return [
        {c: _jsonable(getattr(row, c)) for c in columns}
        for row in session.scalars(sa.select(model).order_by(model.id))
    ]


USER_COLUMNS = [
    "username", "password_hash", "role", "email", "api_token_hash", "ics_token",
    "active", "created_at",
]  # fmt: skip
AUDIT_COLUMNS = ["at", "actor", "action", "target", "address", "detail"]


def operations(session: Session) -> dict[str, Any]:
    """Users, reminders already sent and the audit log (not in portfolio/1)."""
    sent = session.execute(
        sa.select(Reminder, Programme.key, Obligation.kind, Obligation.title)
        .join(Obligation, Reminder.obligation_id == Obligation.id, isouter=True)
        .join(Programme, Obligation.programme_id == Programme.id, isouter=True)
        .where(Reminder.status == ReminderStatus.SENT)
        .order_by(Reminder.id)
    ).all()
    return {
        "users": _rows(session, User, USER_COLUMNS),
        "reminders_sent": [
            {
                "programme": key,
                "kind": _jsonable(kind),
                "title": title,
                "recipient": r.recipient,
                "stage": r.stage,
                "due_on": r.due_on.isoformat(),
                "planned_for": r.planned_for.isoformat(),
                "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                "message_id": r.message_id,
            }
            for r, key, kind, title in sent
        ],
        "audit": _rows(session, AuditEvent, AUDIT_COLUMNS),
    }


def write_backup(
    engine: Engine, target: Path, store: DocumentStore | None = None
) -> BackupInfo:
    """Write the archive to ``target`` (via a temporary file, never half a backup).

    With a ``store`` the documents' files go in too (``documents/<sha256>``).
    """
    kind = engine.dialect.name
    with engine.connect() as connection:
        revision = _revision(connection)
    partial = target.with_name(target.name + ".teil")
    with (
        tempfile.TemporaryDirectory(prefix="portfolio-backup-") as work,
        zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        if kind == "sqlite":
            copy = Path(work) / SQLITE_PART
            _sqlite_copy(engine, copy)
            archive.write(copy, SQLITE_PART)
            counts_engine = sa.create_engine(f"sqlite:///{copy}")
            with Session(counts_engine) as session:
                counts = _counts(session)
                hashes = files.used_hashes(session)
            counts_engine.dispose()
        else:
            with Session(engine) as session, session.begin():
                if kind == "postgresql":  # one snapshot for both parts
                    session.execute(
                        sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    )
                archive.writestr(PORTFOLIO_PART, export_json(session))
                archive.writestr(
                    OPERATIONS_PART,
                    json.dumps(operations(session), ensure_ascii=False, indent=1),
                )
                counts = _counts(session)
                files.write_rows(archive, session)
                hashes = files.used_hashes(session)
        report = files.FilesReport()
        if store is not None:
            report = files.write_files(archive, store, hashes)
        info = BackupInfo(kind, revision, counts, report)
        archive.writestr(
            MANIFEST,
            json.dumps(
                {
                    "format": FORMAT,
                    "created_at": utcnow().isoformat(),
                    "database": kind,
                    "schema_revision": revision,
                    "counts": counts,
                    "documents": {
                        "files": report.files,
                        "bytes": report.size,
                        "missing": report.missing,
                        "altered": report.altered,
                    },
                },
                indent=1,
            ),
        )
    partial.replace(target)
    return info


def is_archive(path: Path) -> bool:
    """Whether a file is a backup archive (else: maybe a bare portfolio/1 JSON)."""
    return zipfile.is_zipfile(path)


def read_manifest(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    """The manifest, checked; German message when the file is no backup."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError) as exc:
        raise InputError(
            f"{name} ist keine portfolio-Sicherung (manifest.json fehlt) – eine "
            "Sicherung erzeugt `portfolio backup`."
        ) from exc
    if manifest.get("format") != FORMAT:
        raise InputError(
            f"{name}: unbekanntes Sicherungsformat {manifest.get('format')!r} "
            f"(erwartet {FORMAT})."
        )
    return dict(manifest)


def sqlite_database(archive: zipfile.ZipFile, target: Path) -> None:
    """Extract the SQLite copy of an archive to ``target`` (a new file)."""
    if target.exists() and target.stat().st_size > 0:
        raise Conflict(
            f"{target} gibt es schon. Eine SQLite-Sicherung wird als neue Datei "
            "eingespielt: nennen Sie mit --db eine neue Datei."
        )
    with archive.open(SQLITE_PART) as source:
        target.write_bytes(source.read())


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def restore_operations(session: Session, data: dict[str, Any]) -> dict[str, int]:
    """Users, sent reminders and the audit log from an archive's operations part."""
    for user in data.get("users", []):
        session.add(
            User(
                **{
                    **user,
                    "role": UserRole(user["role"]),
                    "created_at": _time(user.get("created_at")),
                }
            )
        )
    session.flush()
    obligations = {
        (key, kind.value if hasattr(kind, "value") else kind, title, due): oid
        for oid, key, kind, title, due in session.execute(
            sa.select(
                Obligation.id, Programme.key, Obligation.kind, Obligation.title,
                Obligation.due_on,
            ).join(Programme, Obligation.programme_id == Programme.id)
        )
    }  # fmt: skip
    reminders = 0
    for item in data.get("reminders_sent", []):
        due = date.fromisoformat(item["due_on"])
        oid = obligations.get((item["programme"], item["kind"], item["title"], due))
        if item["programme"] is not None and oid is None:
            continue  # its deadline is gone: nothing could remind of it again
        session.add(
            Reminder(
                obligation_id=oid,
                recipient=item["recipient"],
                stage=item["stage"],
                due_on=due,
                planned_for=_time(item["planned_for"]),
                status=ReminderStatus.SENT,
                sent_at=_time(item.get("sent_at")),
                message_id=item.get("message_id"),
                attempts=1,
            )
        )
        reminders += 1
    for event in data.get("audit", []):
        session.add(AuditEvent(**{**event, "at": _time(event["at"])}))
    session.flush()
    return {"users": len(data.get("users", [])), "reminders": reminders}


def restore_archive(
    session: Session, path: Path, regimes_dir: str | Path | None = None
) -> dict[str, int]:
    """Load an archive's portfolio.json and operations part into ``session``."""
    with zipfile.ZipFile(path) as archive:
        read_manifest(archive, path.name)
        if SQLITE_PART in archive.namelist():
            raise InputError(
                f"{path.name} ist die Sicherung einer SQLite-Datenbank: sie wird als "
                "Datei eingespielt (portfolio --db sqlite:///NEU.db restore …)."
            )
        if not is_empty(session):
            raise Conflict("Die Datenbank ist nicht leer; eine Sicherung wird nur in "
                           "eine leere Datenbank geladen.")  # fmt: skip
        text = archive.read(PORTFOLIO_PART).decode("utf-8")
        ops = json.loads(archive.read(OPERATIONS_PART))
        existing = list(session.scalars(sa.select(User.username)))
        if existing:
            raise Conflict(
                "In der Datenbank gibt es schon Benutzer ("
                + ", ".join(existing)
                + "); "
                "die Sicherung bringt ihre eigenen mit – nehmen Sie eine leere "
                "Datenbank."
            )
        counts = restore(session, text, path.name, regimes_dir)
        counts.update(restore_operations(session, ops))
        counts["documents"] = files.restore_rows(session, archive)
    audit.record(session, "restored", target=path.name)
    return counts


def restore_document_files(path: Path, store: DocumentStore) -> files.FilesReport:
    """Put an archive's document files into ``store`` (each checked by its hash)."""
    with zipfile.ZipFile(path) as archive:
        return files.restore_files(archive, store)
