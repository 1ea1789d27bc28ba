"""Import in the browser: upload → preview → confirm → result, and undo.

The upload is checked (size, file type by name and by its first bytes), stored in a
private folder under a random name and read by the import package; the preview
(new / changed field by field / unchanged / skipped / rejected with the cell) is
computed without writing. Confirming reads the same file again and applies it in one
transaction; if the plan differs from the preview shown, nothing is applied.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from imports.mapping import save_profile
from imports.readers import file_sha256
from imports.reading import ReadOptions, read_file
from portfolio.domain.errors import InputError
from portfolio.domain.models import ImportBatch, Programme
from portfolio.domain.periods import format_date
from portfolio.domain.records import SheetKind
from portfolio.services.import_apply import RuleSettings
from portfolio.services.import_preview import letter
from portfolio.services.import_result import ImportPreview
from portfolio.services.import_undo import undo_batch
from portfolio.services.import_workflow import ImportWorkflow, fingerprint
from portfolio.web.context import Ctx, editing, page
from portfolio.web.uploads import remove_expired

router = APIRouter(include_in_schema=False)
ALLOWED = {".xlsx", ".xlsm", ".xls", ".ods", ".csv"}
ZIP, OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
SESSION_KEY = "import_upload"


class UnsupportedType(InputError):
    """The upload is not a spreadsheet."""

    http_status = 415


def check_type(name: str, head: bytes) -> None:
    """Accept spreadsheets only: by extension and by their first bytes."""
    suffix = Path(name).suffix.lower()
    ok = suffix in ALLOWED and (
        (suffix in {".xlsx", ".xlsm", ".ods"} and head.startswith(ZIP))
        or (suffix == ".xls" and head.startswith(OLE))
        or (suffix == ".csv" and b"\x00" not in head[:8192])
    )
    if not ok:
        raise UnsupportedType(
            f"„{name}“ ist keine Tabelle, die portfolio lesen kann: erlaubt sind "
            "Excel (.xlsx, .xlsm, .xls), LibreOffice (.ods) und CSV (.csv)."
        )


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name
    cleaned = "".join(c if c.isalnum() or c in " ._-()äöüÄÖÜß" else "_" for c in base)
    return cleaned.strip(" .")[:120] or "upload.xlsx"


def _max_bytes(ctx: Ctx) -> int:
    return int(ctx.request.app.state.settings.get("imports.max_file_mb")) * 1024 * 1024


async def _store(upload: UploadFile, folder: Path, limit: int) -> Path:
    name = _safe_name(upload.filename or "")
    head = await upload.read(8192)
    check_type(name, head)
    target = folder / name
    folder.mkdir(parents=True)
    size = len(head)
    with target.open("wb") as out:
        out.write(head)
        while chunk := await upload.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise InputError(
                    f"Die Datei ist zu groß: höchstens {limit // 2**20} MB."
                )
            out.write(chunk)
    return target


def _options(ctx: Ctx, info: dict[str, str]) -> ReadOptions:
    kind = info.get("kind") or None
    folder = ctx.request.app.state.settings.get("paths.profiles")
    mapping = tuple(tuple(entry) for entry in json.loads(info.get("map") or "[]"))
    return ReadOptions(
        kind=SheetKind(kind) if kind else None,
        max_bytes=_max_bytes(ctx),
        mapping=mapping,
        profiles=Path(folder) if folder else None,
    )


def _flow(ctx: Ctx, info: dict[str, str], options: ReadOptions) -> ImportWorkflow:
    """The shared import workflow with what this upload was asked for."""
    settings = ctx.request.app.state.settings
    return ImportWorkflow(
        # The same key as the command line's: either recognises the other's import.
        read_with=options.describe(),
        programme=info.get("programme") or None,
        rules=RuleSettings(settings.get("office.state"), settings.get("paths.regimes")),
        reopen=info.get("reopen") == "1",
        remove_missing=info.get("remove") == "1",
    )


def _plan(ctx: Ctx, info: dict[str, str], *, apply: bool) -> ImportPreview:
    """The preview (``apply=False``) or the write the user confirmed."""
    options = _options(ctx, info)
    files = [read_file(Path(info["path"]), options)]
    flow = _flow(ctx, info, options)
    if not apply:
        return flow.preview(ctx.session, files)
    return flow.apply(
        ctx.session,
        files,
        shown=info["fingerprint"],
        again="die Datei erneut hochladen",
    )


@router.get("/import", response_class=HTMLResponse)
def import_page(ctx: Ctx = Depends(page)) -> HTMLResponse:
    """The upload form and the import history."""
    batches = list(
        ctx.session.scalars(
            sa.select(ImportBatch).order_by(ImportBatch.id.desc()).limit(50)
        )
    )
    keys = ctx.session.execute(
        sa.select(Programme.key, sa.func.coalesce(Programme.short_name, Programme.name))
        .order_by(Programme.key)
        .limit(2000)
    ).all()
    return ctx.render(
        "import.html",
        nav="import",
        available=True,
        batches=batches,
        programmes=keys,
        kinds=list(SheetKind),
        max_mb=_max_bytes(ctx) // 2**20,
    )


@router.post("/import", response_model=None)
async def upload(
    ctx: Ctx = Depends(editing),
    datei: UploadFile = File(...),
    programm: str = Form(""),
    art: str = Form(""),
) -> Response:
    """Store the upload and show what importing it would do."""
    keep = float(ctx.request.app.state.settings.get("imports.upload_keep_minutes"))
    remove_expired(ctx.request.app.state.upload_dir, keep)
    folder = ctx.request.app.state.upload_dir / secrets.token_hex(16)
    path = await _store(datei, folder, _max_bytes(ctx))
    info = {"path": str(path), "programme": programm.strip(), "kind": art.strip()}
    flow = _flow(ctx, info, _options(ctx, info))
    repeats = flow.repeats(
        ctx.session, [(datei.filename or path.name, file_sha256(path))]
    )
    if repeats:  # the same file into an unchanged database: nothing to read
        shutil.rmtree(folder, ignore_errors=True)
        for repeat in repeats:
            ctx.flash(
                f"„{repeat.file}“ ist unverändert seit Import {repeat.batch_id} vom "
                f"{format_date(repeat.imported_on)}, und seitdem wurde nichts "
                "geändert – es gibt nichts zu übernehmen."
            )
        return ctx.redirect("/import")
    try:
        # Reading a workbook takes a while: keep the event loop free meanwhile.
        preview = await run_in_threadpool(_plan, ctx, info, apply=False)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        ctx.session.rollback()  # a preview never writes
    info["fingerprint"] = fingerprint(preview)
    ctx.request.session[SESSION_KEY] = info
    return _show_preview(ctx, preview, info)


def _show_preview(
    ctx: Ctx, preview: ImportPreview, info: dict[str, str]
) -> HTMLResponse:
    return ctx.render(
        "import_preview.html",
        nav="import",
        preview=preview,
        file_name=Path(info["path"]).name,
        file_stem=Path(info["path"]).stem,
        reopen=info.get("reopen") == "1",
        remove=info.get("remove") == "1",
        column_letter=letter,
    )


def _current(ctx: Ctx) -> dict[str, str]:
    info = ctx.request.session.get(SESSION_KEY)
    if not isinstance(info, dict) or not Path(info.get("path", "")).is_file():
        raise InputError(
            "Es liegt keine Vorschau vor: Bitte laden Sie die Datei erneut hoch."
        )
    return dict(info)


@router.post("/import/neu-planen", response_class=HTMLResponse)
async def replan(ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """Show the preview again with the user's choices.

    The column selects of a sheet (``map:FELD`` = letter, empty: not read) and
    whether to reopen deadlines done since the list was saved, whether to delete
    the stored rows an exported workbook no longer lists.
    """
    info = _current(ctx)
    form = await ctx.request.form()
    if "reopen" in form:
        info["reopen"] = "1" if form.get("reopen") == "1" else ""
    if "remove" in form:
        info["remove"] = "1" if form.get("remove") == "1" else ""
    chosen = [
        (str(form.get("sheet", "")), key[4:], str(value) or "-")
        for key, value in form.multi_items()
        if key.startswith("map:")
    ]
    if chosen:
        sheet = chosen[0][0]
        kept = [e for e in json.loads(info.get("map") or "[]") if e[0] != sheet]
        info["map"] = json.dumps([*kept, *chosen])
    try:
        preview = await run_in_threadpool(_plan, ctx, info, apply=False)
    finally:
        ctx.session.rollback()  # a preview never writes
    info["fingerprint"] = fingerprint(preview)
    ctx.request.session[SESSION_KEY] = info
    return _show_preview(ctx, preview, info)


def _take(ctx: Ctx) -> dict[str, str]:
    info = ctx.request.session.pop(SESSION_KEY, None)
    if not isinstance(info, dict) or not Path(info.get("path", "")).is_file():
        raise InputError(
            "Es liegt keine Vorschau vor: Bitte laden Sie die Datei erneut hoch."
        )
    return info


@router.post("/import/profil-speichern", response_class=HTMLResponse)
async def save_as_profile(
    ctx: Ctx = Depends(editing), sheet: str = Form(""), name: str = Form("")
) -> HTMLResponse:
    """Keep the sheet's mapping as an import profile for sheets with its headers."""
    info = _current(ctx)
    folder = ctx.request.app.state.settings.get("paths.profiles")
    if not folder:
        raise InputError(
            "Profile lassen sich nur speichern, wenn ein Ordner dafür eingestellt "
            "ist (Einstellung paths.profiles bzw. PORTFOLIO_PROFILES)."
        )
    read = await run_in_threadpool(read_file, Path(info["path"]), _options(ctx, info))
    found = next((s for s in read.sheets if s.sheet == sheet), None)
    if found is None:
        raise InputError(f"Das Blatt „{sheet}“ gibt es in der Datei nicht.")
    fields = {i: f for f, i in found.positions.items()}
    columns = {
        label: fields.get(index, "-")
        for index, label in enumerate(found.header_cells)
        if label
    }
    path = save_profile(
        Path(folder),
        name.strip() or Path(info["path"]).stem,
        found.kind,
        found.header_row,
        columns,
        found.header_cells,
    )
    ctx.flash(
        f"Importprofil „{path.stem}“ gespeichert: es gilt für jede Tabelle mit "
        "denselben Spaltenüberschriften."
    )
    try:
        preview = await run_in_threadpool(_plan, ctx, info, apply=False)
    finally:
        ctx.session.rollback()
    info["fingerprint"] = fingerprint(preview)
    ctx.request.session[SESSION_KEY] = info
    return _show_preview(ctx, preview, info)


@router.post("/import/uebernehmen", response_class=HTMLResponse)
def confirm(ctx: Ctx = Depends(editing)) -> HTMLResponse:
    """Apply the previewed file in one transaction."""
    info = _take(ctx)
    try:
        applied = _plan(ctx, info, apply=True)
    finally:
        shutil.rmtree(Path(info["path"]).parent, ignore_errors=True)
    return ctx.render("import_result.html", nav="import", preview=applied)


@router.post("/import/verwerfen")
def discard(ctx: Ctx = Depends(editing)) -> Response:
    """Throw the previewed upload away."""
    info = ctx.request.session.pop(SESSION_KEY, None)
    if isinstance(info, dict) and info.get("path"):
        shutil.rmtree(Path(info["path"]).parent, ignore_errors=True)
    ctx.flash("Import verworfen – es wurde nichts geändert.")
    return ctx.redirect("/import")


@router.post("/import/{batch_id}/rueckgaengig")
def undo(batch_id: int, ctx: Ctx = Depends(editing)) -> Response:
    """Undo an applied import."""
    result = undo_batch(ctx.session, batch_id)
    ctx.flash(
        f"Import {result.batch_id} ({result.file_name}) rückgängig gemacht: "
        f"{result.deleted} Einträge entfernt, {result.restored} wiederhergestellt."
    )
    return ctx.redirect("/import")
