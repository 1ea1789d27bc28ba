"""The documents part of a ``portfolio-backup/1`` archive (CONTRACTS §4, #18).

``documents/<sha256>`` holds each stored file once, copied into the zip in pieces
(never a whole file in memory) and hashed on the way: a file missing or altered
on disk is named, not hidden. A PostgreSQL archive also carries
``documents.jsonl``: one line per document with its metadata, its extracted text
and where it belongs by natural key (programme key, award funder/reference/start,
application funder/reference/deadline, deadline kind/title/date), because the
``portfolio/1`` part does not know documents; a SQLite archive has them in its
database copy. A restore writes the files into the configured documents folder,
each checked against its name before it is put in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.documents import Document, DocumentKind, DocumentText
from portfolio.domain.models import Application, Award, Funder, Obligation, Programme
from portfolio.services.document_store import HEX, DocumentStore

FOLDER = "documents/"
ROWS_PART = "documents.jsonl"
CHUNK = 1024 * 1024


@dataclass
class FilesReport:
    """What happened to the document files of a backup or a restore."""

    files: int = 0
    size: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        """How many files could not be copied unchanged."""
        return len(self.missing) + len(self.altered)


def used_hashes(session: Session) -> list[str]:
    """The hashes of all files the documents use, each once."""
    return sorted(set(session.scalars(sa.select(Document.sha256))))


def _copy(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while block := source.read(CHUNK):
        digest.update(block)
        target.write(block)
        size += len(block)
    return digest.hexdigest(), size


def write_files(
    archive: zipfile.ZipFile, store: DocumentStore, hashes: Iterable[str]
) -> FilesReport:
    """Copy each file into ``documents/<sha256>`` (stored, not compressed again)."""
    report = FilesReport()
    for sha in hashes:
        path = store.path(sha)
        try:
            source = path.open("rb")
        except OSError:
            report.missing.append(sha)
            continue
        info = zipfile.ZipInfo(FOLDER + sha, datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED
        with source, archive.open(info, "w", force_zip64=True) as target:
            digest, size = _copy(source, target)
        if digest != sha:
            report.altered.append(sha)
        report.files += 1
        report.size += size
    return report


def restore_files(archive: zipfile.ZipFile, store: DocumentStore) -> FilesReport:
    """Write the archive's files into the store, each checked against its hash."""
    report = FilesReport()
    names = [n for n in archive.namelist() if n.startswith(FOLDER)]
    if not names:
        return report
    store.root.mkdir(parents=True, exist_ok=True)
    for name in names:
        sha = name[len(FOLDER) :]
        if len(sha) != 64 or not set(sha) <= HEX:
            continue
        if store.state(sha) == "ok":
            report.files += 1
            report.size += store.path(sha).stat().st_size
            continue
        temporary = store.root / f".{sha}.{secrets.token_hex(4)}.tmp"
        try:
            with archive.open(name) as source, temporary.open("wb") as target:
                digest, size = _copy(source, target)
                target.flush()
                os.fsync(target.fileno())
            if digest != sha:
                report.altered.append(sha)
                continue
            temporary.replace(store.path(sha))
        finally:
            temporary.unlink(missing_ok=True)
        report.files += 1
        report.size += size
    return report


def _pairs(session: Session, query: sa.Select[Any, Any]) -> dict[Any, Any]:
    return {row[0]: row[1] for row in session.execute(query)}


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def document_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Every document with its text and its places by natural key, oldest first."""
    keys = _pairs(session, sa.select(Programme.id, Programme.key))
    funders = _pairs(session, sa.select(Funder.id, Funder.short_name))
    awards = {
        a.id: {"funder": funders.get(a.funder_id), "reference": a.reference,
               "start": _iso(a.start)}
        for a in session.scalars(sa.select(Award))
    }  # fmt: skip
    applications = {
        a.id: {"funder": funders.get(a.funder_id) if a.funder_id else None,
               "reference": a.reference, "deadline": _iso(a.deadline)}
        for a in session.scalars(sa.select(Application))
    }  # fmt: skip
    deadlines = {
        o.id: {"kind": o.kind.value, "title": o.title, "due": _iso(o.due_on)}
        for o in session.scalars(sa.select(Obligation))
    }
    query = (
        sa.select(Document, DocumentText.text)
        .join(DocumentText, DocumentText.document_id == Document.id, isouter=True)
        .order_by(Document.id)
        .execution_options(yield_per=200)
    )
    for document, text in session.execute(query).all():
        yield {
            "id": document.id,
            "programme": keys[document.programme_id],
            "kind": document.kind.value,
            "title": document.title,
            "doc_date": _iso(document.doc_date),
            "file_name": document.file_name,
            "media_type": document.media_type,
            "size": document.size,
            "sha256": document.sha256,
            "award": awards.get(document.award_id) if document.award_id else None,
            "application": applications.get(document.application_id)
            if document.application_id
            else None,
            "deadline": deadlines.get(document.obligation_id)
            if document.obligation_id
            else None,
            "version_of": document.version_of_id,
            "added_by": document.added_by,
            "added_at": _iso(document.added_at),
            "text": text or "",
        }


def write_rows(archive: zipfile.ZipFile, session: Session) -> int:
    """Write ``documents.jsonl`` line by line; return how many documents."""
    count = 0
    with archive.open(ROWS_PART, "w", force_zip64=True) as target:
        for row in document_rows(session):
            target.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
            count += 1
    return count


class _Places:
    """Ids of the restored awards, applications and deadlines by natural key."""

    def __init__(self, session: Session) -> None:
        funders = _pairs(session, sa.select(Funder.id, Funder.short_name))
        self.programmes = _pairs(session, sa.select(Programme.key, Programme.id))
        self.awards: dict[tuple[Any, ...], int] = {}
        for a in session.scalars(sa.select(Award).order_by(Award.id.desc())):
            key = (a.programme_id, funders.get(a.funder_id), a.reference, _iso(a.start))
            self.awards[key] = a.id
        self.applications: dict[tuple[Any, ...], int] = {}
        for p in session.scalars(
            sa.select(Application).order_by(Application.id.desc())
        ):
            funder = funders.get(p.funder_id) if p.funder_id else None
            key = (p.programme_id, funder, p.reference, _iso(p.deadline))
            self.applications[key] = p.id
        self.deadlines: dict[tuple[Any, ...], int] = {}
        for o in session.scalars(sa.select(Obligation).order_by(Obligation.id.desc())):
            key = (o.programme_id, o.kind.value, o.title, _iso(o.due_on))
            self.deadlines[key] = o.id

    def award(self, programme: int, item: dict[str, Any] | None) -> int | None:
        if not item:
            return None
        key = (programme, item["funder"], item["reference"], item["start"])
        return self.awards.get(key)

    def application(self, programme: int, item: dict[str, Any] | None) -> int | None:
        if not item:
            return None
        key = (programme, item["funder"], item["reference"], item["deadline"])
        return self.applications.get(key)

    def deadline(self, programme: int, item: dict[str, Any] | None) -> int | None:
        if not item:
            return None
        key = (programme, item["kind"], item["title"], item["due"])
        return self.deadlines.get(key)


def restore_rows(session: Session, archive: zipfile.ZipFile) -> int:
    """Load ``documents.jsonl`` (if the archive has it) after the portfolio part."""
    if ROWS_PART not in archive.namelist():
        return 0
    places = _Places(session)
    new_ids: dict[int, int] = {}
    count = 0
    with archive.open(ROWS_PART) as source:
        for line in source:
            if not line.strip():
                continue
            row = json.loads(line)
            programme = places.programmes.get(row["programme"])
            if programme is None:
                continue  # its programme is not in the portfolio part
            document = Document(
                kind=DocumentKind(row["kind"]),
                title=row["title"],
                doc_date=date.fromisoformat(row["doc_date"])
                if row["doc_date"]
                else None,
                file_name=row["file_name"],
                media_type=row["media_type"],
                size=row["size"],
                sha256=row["sha256"],
                programme_id=programme,
                award_id=places.award(programme, row["award"]),
                application_id=places.application(programme, row["application"]),
                obligation_id=places.deadline(programme, row["deadline"]),
                version_of_id=new_ids.get(row["version_of"])
                if row["version_of"]
                else None,
                added_by=row["added_by"],
                added_at=datetime.fromisoformat(row["added_at"]),
            )
            document.text = DocumentText(text=row["text"])
            session.add(document)
            session.flush()
            new_ids[int(row["id"])] = document.id
            count += 1
    return count
