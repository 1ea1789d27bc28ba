"""The documents in the JSON API: list, search, attach, fetch, delete.

Any valid token reads; editors attach; admins delete (the change log keeps the
line). Files are always sent as downloads here; the browser pages decide what may be
shown inline.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from portfolio.domain.documents import DocumentKind
from portfolio.domain.enums import UserRole
from portfolio.domain.errors import InputError, NotFound
from portfolio.domain.models import User
from portfolio.services import documents as queries
from portfolio.services import edit_documents as service
from portfolio.web.security import Forbidden, api_editor, api_user, db
from portfolio.web.views.documents import (
    content_disposition,
    limits_of,
    store_of,
)

router = APIRouter(prefix="/api", tags=["API"])
DocumentId = Annotated[int, Path(ge=1, le=2**31, description="Nummer des Dokuments")]


class DocumentOut(BaseModel):
    """A stored document."""

    id: int
    programme: str
    kind: DocumentKind
    title: str
    date: dt.date | None
    file_name: str
    media_type: str = Field(description="am Inhalt erkannt, nicht am Namen")
    size: int
    sha256: str
    award: str | None = Field(description="Fördergeber und Zeichen der Bewilligung")
    deadline: str | None = Field(description="Titel der Frist")
    version_of: int | None = Field(description="erste Version der Reihe")
    keep_until: dt.date | None = Field(description="aufzubewahren bis (Regelwerk)")
    added_by: str
    added_at: dt.datetime


class HitOut(BaseModel):
    """A document found by the full-text search."""

    document: DocumentOut
    snippet: str = Field(description="Fundstelle; Treffer in »…«")


class AttachOut(BaseModel):
    """What an upload did: the documents attached and the files refused."""

    attached: list[DocumentOut]
    refused: list[str]


def _out(row: queries.DocumentRow) -> DocumentOut:
    d = row.document
    return DocumentOut(
        id=d.id,
        programme=row.programme_key,
        kind=d.kind,
        title=d.title,
        date=d.doc_date,
        file_name=d.file_name,
        media_type=d.media_type,
        size=d.size,
        sha256=d.sha256,
        award=row.award,
        deadline=row.deadline,
        version_of=d.version_of_id,
        keep_until=row.keep_until,
        added_by=d.added_by,
        added_at=d.added_at,
    )


@router.get(
    "/programmes/{key}/documents",
    response_model=list[DocumentOut],
    summary="Dokumente eines Programms",
)
def list_documents(
    key: Annotated[str, Path(max_length=80)],
    _: Annotated[User, Depends(api_user)],
    session: Annotated[Session, Depends(db, scope="function")],
) -> list[DocumentOut]:
    """Alle Dokumente eines Programms, je Reihe die neueste Version zuerst."""
    series = queries.series_of_programme(session, key)
    return [_out(row) for s in series for row in s.versions]


@router.get("/documents", response_model=list[HitOut], summary="Volltextsuche")
def search_documents(
    _: Annotated[User, Depends(api_user)],
    session: Annotated[Session, Depends(db, scope="function")],
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[HitOut]:
    """Dokumente, deren Text alle Wörter enthält, mit Programm und Fundstelle."""
    hits = queries.search(session, q, limit)
    return [
        HitOut(
            document=_out(h.row),
            snippet=h.snippet.replace("\x02", "»").replace("\x03", "«"),
        )
        for h in hits
    ]


@router.post(
    "/programmes/{key}/documents",
    response_model=AttachOut,
    summary="Dokumente anhängen",
)
async def attach_documents(
    request: Request,
    key: Annotated[str, Path(max_length=80)],
    user: Annotated[User, Depends(api_editor)],
    session: Annotated[Session, Depends(db, scope="function")],
    files: Annotated[list[UploadFile], File(description="eine oder mehrere Dateien")],
    kind: Annotated[DocumentKind | None, Form()] = None,
    title: Annotated[str | None, Form(max_length=300)] = None,
    doc_date: Annotated[dt.date | None, Form(alias="date")] = None,
    award: Annotated[int | None, Form(ge=1, le=2**31)] = None,
    application: Annotated[int | None, Form(ge=1, le=2**31)] = None,
    deadline: Annotated[int | None, Form(ge=1, le=2**31)] = None,
    version_of: Annotated[int | None, Form(ge=1, le=2**31)] = None,
) -> AttachOut:
    """Dateien an ein Programm hängen (optional an Bewilligung, Antrag oder Frist)."""
    spec = service.make_input(
        programme=key,
        kind=kind,
        title=title if len(files) == 1 else None,
        doc_date=doc_date,
        award_id=award,
        application_id=application,
        obligation_id=deadline,
        version_of=version_of,
    )
    store, limits = store_of(request), limits_of(request)
    ids: list[int] = []
    refused: list[str] = []
    for upload in files:
        data = await upload.read(limits.max_bytes + 1)
        try:
            done = await run_in_threadpool(
                service.create, session, store, data, upload.filename or "Datei",
                spec, who=f"api:{user.username}", limits=limits,
            )  # fmt: skip
        except InputError as exc:
            if isinstance(exc, NotFound):
                raise
            refused.append(exc.message)
            continue
        ids.append(done.document.id)
    if not ids and refused:
        raise InputError(" ".join(refused))
    rows = queries.rows_of(session, ids)
    return AttachOut(attached=[_out(r) for r in rows], refused=refused)


@router.get(
    "/documents/{document_id}/file",
    summary="Datei eines Dokuments",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def document_file(
    request: Request,
    document_id: DocumentId,
    _: Annotated[User, Depends(api_user)],
    session: Annotated[Session, Depends(db, scope="function")],
) -> Response:
    """Die Datei (Prüfsumme geprüft), immer als Download."""
    document = service.get(session, document_id)
    data = store_of(request).read(document.sha256, service.describe(document))
    return Response(
        data,
        media_type=document.media_type,
        headers={
            "Content-Disposition": content_disposition(
                "attachment", document.file_name
            ),
            "Content-Security-Policy": "sandbox",
        },
    )


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    response_class=Response,
    summary="Dokument löschen (Verwaltung)",
)
def delete_document(
    request: Request,
    document_id: DocumentId,
    user: Annotated[User, Depends(api_user)],
    session: Annotated[Session, Depends(db, scope="function")],
) -> Response:
    """Ein Dokument löschen; das Änderungsprotokoll verzeichnet es."""
    if user.role is not UserRole.ADMIN:
        raise Forbidden
    service.delete(session, store_of(request), document_id)
    return Response(status_code=204)
