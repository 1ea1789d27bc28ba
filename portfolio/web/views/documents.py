"""Dokumente in the browser: search page, upload, view/download, thumbnail, delete.

Any signed-in user reads and downloads; editors attach (several files at once; the
page's script sends each file on its own and shows its progress, a plain form post
works without script); admins delete. A file is served inline only when it is a PDF
or a raster image, everything else as a download, and always with a sandboxing CSP
and ``nosniff``: an uploaded file never runs as a page of the portfolio. Every read
checks the file's hash first.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from portfolio.domain.documents import DOCUMENT_KIND_LABELS, DocumentKind
from portfolio.domain.errors import InputError, NotFound
from portfolio.services import document_preview
from portfolio.services import documents as queries
from portfolio.services import edit_documents as service
from portfolio.services.document_store import DocumentStore, default_dir
from portfolio.services.document_types import INLINE, PDF
from portfolio.storage.fulltext import MARK_END, MARK_START
from portfolio.web.context import Ctx, admin, editing, page
from portfolio.web.forms import parse_date

router = APIRouter(include_in_schema=False)
SANDBOX = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def store_of(request: Request) -> DocumentStore:
    """The documents folder of the app's settings."""
    settings = request.app.state.settings
    return DocumentStore(
        default_dir(settings.database_url, settings.get("documents.dir"))
    )


def limits_of(request: Request) -> service.Limits:
    """The upload limits of the app's settings."""
    megabytes = int(request.app.state.settings.get("documents.max_file_mb"))
    return service.Limits(megabytes * 2**20)


def highlight(snippet: str) -> Markup:
    """A search snippet as HTML: escaped, the matched words in <mark>."""
    text = str(escape(snippet))
    return Markup(  # noqa: S704 - escaped above; only our own marks become tags
        text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    )


def size_text(size: int) -> str:
    """A file size as people read it."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 2**20:.1f} MB".replace(".", ",")


def template_values() -> dict[str, Any]:
    """What the document templates need besides the rows."""
    return {
        "kind_labels": DOCUMENT_KIND_LABELS,
        "kinds": list(DocumentKind),
        "size_text": size_text,
        "inline_types": INLINE,
    }


HITS_PER_PAGE = 20


@router.get("/dokumente", response_class=HTMLResponse)
def documents_page(
    ctx: Ctx = Depends(page), q: str = "", seite: int = 1
) -> HTMLResponse:
    """Full-text search over all documents, and the documents due for deletion.

    The hits come a page of ``HITS_PER_PAGE`` at a time, best first (``seite``).
    """
    text = q.strip()[:200]
    number = min(max(seite, 1), 1000)
    skip = (number - 1) * HITS_PER_PAGE
    found = queries.search(ctx.session, text, HITS_PER_PAGE + 1, skip) if text else []
    due = queries.due_for_deletion(ctx.session, ctx.today)
    return ctx.render(
        "documents.html",
        nav="documents",
        q=text,
        hits=found[:HITS_PER_PAGE],
        page_number=number,
        first_hit=skip + 1,
        more=len(found) > HITS_PER_PAGE,
        due=due,
        total=queries.count(ctx.session),
        highlight=highlight,
        **template_values(),
    )


def content_disposition(kind: str, file_name: str) -> str:
    ascii_name = file_name.encode("ascii", "replace").decode().replace("?", "_")
    ascii_name = ascii_name.replace('"', "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"


@router.get("/dokumente/{document_id}/datei")
def document_file(
    document_id: int, ctx: Ctx = Depends(page), download: int = 0
) -> Response:
    """The file: PDFs and raster images inline (unless asked), the rest as download."""
    document = service.get(ctx.session, document_id)
    data = store_of(ctx.request).read(document.sha256, service.describe(document))
    inline = document.media_type in INLINE and not download
    headers = {
        "Content-Disposition": content_disposition(
            "inline" if inline else "attachment", document.file_name
        ),
        "Cache-Control": "private, no-store",
    }
    if document.media_type != PDF:
        # Whatever the bytes are, they never run script or load anything. (Not
        # for PDFs: Chromium's PDF viewer does not open in a sandboxed page.)
        headers["Content-Security-Policy"] = SANDBOX
    return Response(data, media_type=document.media_type, headers=headers)


@router.get("/dokumente/{document_id}/vorschau.png")
def document_thumbnail(document_id: int, ctx: Ctx = Depends(page)) -> Response:
    """The first page of a PDF as a small picture."""
    document = service.get(ctx.session, document_id)
    picture = document_preview.thumbnail(
        store_of(ctx.request), document.sha256, document.media_type
    )
    if picture is None:
        raise NotFound("Für dieses Dokument gibt es kein Vorschaubild.")
    return Response(
        picture, media_type="image/png", headers={"Cache-Control": "private"}
    )


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _number(value: str, label: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InputError(f"{label}: {text!r} ist keine Nummer.")
    return int(text)


@router.post("/programme/{key}/dokumente", response_model=None)
async def upload(
    key: str,
    ctx: Ctx = Depends(editing),
    dateien: list[UploadFile] = File(...),
    art: str = Form(""),
    titel: str = Form(""),
    datum: str = Form(""),
    bewilligung: str = Form(""),
    antrag: str = Form(""),
    frist: str = Form(""),
    version_von: str = Form(""),
    zurueck: str = Form(""),
) -> Response:
    """Attach one or more files to a programme (and an award or a deadline)."""
    day: date | None = None
    if datum.strip():
        day = parse_date(datum)
        if day is None:
            raise InputError(f"„{datum}“ ist kein Datum – bitte so: 15.03.2017.")
    spec = service.make_input(
        programme=key,
        kind=art,
        title=titel if len(dateien) == 1 else None,
        doc_date=day,
        award_id=_number(bewilligung, "Bewilligung"),
        application_id=_number(antrag, "Antrag"),
        obligation_id=_number(frist, "Frist"),
        version_of=_number(version_von, "Version von"),
    )
    store, limits = store_of(ctx.request), limits_of(ctx.request)
    who = str(ctx.session.info.get("who") or f"web:{ctx.user.username}")
    attached: list[dict[str, Any]] = []
    refused: list[str] = []
    for upload_file in dateien:
        name = upload_file.filename or "Datei"
        data = await upload_file.read(limits.max_bytes + 1)
        try:
            done = await run_in_threadpool(
                service.create, ctx.session, store, data, name, spec,
                who=who, limits=limits,
            )  # fmt: skip
        except InputError as exc:
            if isinstance(exc, NotFound):
                raise
            refused.append(exc.message)
            continue
        attached.append({
            "id": done.document.id,
            "title": done.document.title,
            "file_name": done.document.file_name,
            "already_there": done.same_as is not None,
        })  # fmt: skip
    if _wants_json(ctx.request):
        status = 200 if attached or not refused else 400
        return JSONResponse(
            {"attached": attached, "refused": refused}, status_code=status
        )
    for item in attached:
        ctx.flash(f"Angehängt: {item['file_name']} (Nr. {item['id']}).")
    for message in refused:
        ctx.flash(f"Nicht angehängt: {message}", "error")
    back = zurueck if zurueck.startswith("/") and not zurueck.startswith("//") else ""
    return ctx.redirect(back or f"/programme/{key}#dokumente")


@router.post("/dokumente/{document_id}/loeschen")
def delete(document_id: int, ctx: Ctx = Depends(admin)) -> Response:
    """Delete a document (admins only); the change log keeps the line."""
    document = service.get(ctx.session, document_id)
    shown = service.describe(document)
    programme_key = queries.programme_key_of(ctx.session, document)
    service.delete(ctx.session, store_of(ctx.request), document_id)
    ctx.flash(f"Gelöscht: {shown}. Das Änderungsprotokoll verzeichnet es.")
    return ctx.redirect(f"/programme/{programme_key}#dokumente")
