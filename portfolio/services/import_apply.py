"""Apply read spreadsheets to the database: preview, all-or-nothing apply, provenance.

``import_files`` plans every row of every file (``RowPlanner``) and returns an
``ImportPreview``. With ``apply=False`` nothing is flushed and the session is rolled
back afterwards, so not even a later commit can write the preview. With
``apply=True`` each file gets an ``ImportBatch`` first, so the change log stamps
every row it writes with the batch (``session.info["batch_id"]``); every created or
changed row points to the batch and its source cell (``import_batch_id``,
``source_ref``). A file that changes nothing leaves no batch: importing the same
file again says "keine Änderungen". The service never commits; the door owns the one
transaction of the run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, make_transient_to_detached

from imports.records import FileResult, Record, SheetKind, SheetResult
from portfolio.domain.base import to_jsonable
from portfolio.domain.enums import ChangeAction, ImportStatus
from portfolio.domain.errors import NotFound
from portfolio.domain.models import BudgetLine, ImportBatch, Obligation
from portfolio.domain.periods import format_date
from portfolio.services.import_lists import ListRows
from portfolio.services.import_planner import Rejected
from portfolio.services.import_result import (
    FilePreview,
    ImportPreview,
    RowResult,
    RowStatus,
    SheetPreview,
)
from portfolio.services.import_rows import ProgrammeRows
from portfolio.storage.changes import record_changes

Progress = Callable[[int], None]
BULK_CHUNK = 2000  # rows per insert: bounds the memory of big imports


class RowPlanner(ProgrammeRows, ListRows):
    """Plans every row of one import run, whatever kind of sheet it comes from."""


Handler = Callable[[RowPlanner, Record, SheetResult], RowResult]
ROW_HANDLERS: dict[SheetKind, Handler] = {
    SheetKind.PROGRAMMES: RowPlanner.programme_row,
    SheetKind.OBLIGATIONS: RowPlanner.obligation_row,
    SheetKind.CONTACTS: RowPlanner.contact_row,
    SheetKind.BUDGET: RowPlanner.budget_row,
}
# Programmes first, so that deadlines and budgets of the same run find them.
KIND_ORDER = [
    SheetKind.CONTACTS,
    SheetKind.PROGRAMMES,
    SheetKind.OBLIGATIONS,
    SheetKind.BUDGET,
]


def import_files(
    session: Session,
    files: list[FileResult],
    *,
    apply: bool,
    programme: str | None = None,
    profile: str | None = None,
    progress: Progress | None = None,
) -> ImportPreview:
    """Plan (and with ``apply`` write) the import of read files."""
    planner = RowPlanner(session, programme)
    creates = any(s.kind is SheetKind.PROGRAMMES for f in files for s in f.sheets)
    if programme and programme not in planner.programmes.by_key and not creates:
        close = planner.programmes.suggest(programme)
        hint = (
            f"meinten Sie {' oder '.join(close)}?"
            if close
            else "die Schlüssel zeigt portfolio programmes."
        )
        raise NotFound(
            f"Das Programm {programme!r} (--programme) gibt es nicht – {hint}"
        )
    preview = ImportPreview(applied=apply)
    for result in files:
        file_preview = FilePreview(result)
        file_preview.notes += _earlier_imports(session, result)
        batch = _open_batch(session, result, profile) if apply else None
        with session.no_autoflush:
            for sheet in sorted(result.sheets, key=lambda s: KIND_ORDER.index(s.kind)):
                file_preview.sheets.append(_plan_sheet(planner, sheet, progress))
        file_preview.sheets.sort(key=lambda s: result.sheets.index(s.sheet))
        preview.files.append(file_preview)
        if batch is not None:
            more = result is not files[-1]
            file_preview.batch_id = _close_batch(
                session, planner, batch, file_preview, keep=more
            )
    if not apply:
        # The plan changed objects in memory only; drop them so that no later
        # flush or commit of this session can write a preview.
        session.rollback()
    return preview


def _plan_sheet(
    planner: RowPlanner, sheet: SheetResult, progress: Progress | None
) -> SheetPreview:
    handler = ROW_HANDLERS[sheet.kind]
    # Claims are per sheet: the same list imported twice in one run matches itself.
    planner.claimed.clear()
    planner.seen.clear()
    planner.unlinked.clear()
    preview = SheetPreview(sheet)
    for count, record in enumerate(sheet.records, 1):
        preview.rows.append(_plan_row(planner, handler, record, sheet))
        if progress is not None and count % 1000 == 0:
            progress(1000)
    if planner.unlinked:
        names = ", ".join(f"„{n}“" for n in sorted(planner.unlinked)[:10])
        preview.notes.append(
            f"Ohne E-Mail-Adresse nicht als Kontakt zugeordnet: {names} – ergänzen "
            "Sie eine Spalte E-Mail oder importieren Sie zuerst die Kontaktliste."
        )
    return preview


def _plan_row(
    planner: RowPlanner,
    handler: Callable[[RowPlanner, Record, SheetResult], RowResult],
    record: Record,
    sheet: SheetResult,
) -> RowResult:
    try:
        return handler(planner, record, sheet)
    except Rejected as exc:
        label = str(record.values.get("name") or record.values.get("title") or "")
        return RowResult(record.source, RowStatus.REJECTED, label, [], [exc.problem])


def _earlier_imports(session: Session, result: FileResult) -> list[str]:
    query = sa.select(ImportBatch).where(
        ImportBatch.sha256 == result.sha256,
        ImportBatch.status == ImportStatus.APPLIED,
    )
    return [
        f"Diese Datei wurde schon am {format_date(b.created_at.date())} importiert "
        f"(Import {b.id})."
        for b in session.scalars(query)
    ]


def _open_batch(
    session: Session, result: FileResult, profile: str | None
) -> ImportBatch:
    batch = ImportBatch(
        file_name=result.file,
        sha256=result.sha256,
        sheets=[s.sheet for s in result.sheets],
        kind=",".join(sorted({s.kind.value for s in result.sheets})),
        profile=profile,
        who=str(session.info.get("who", "")),
        counts={},
    )
    session.add(batch)
    session.flush()
    session.info["batch_id"] = batch.id
    return batch


def _close_batch(
    session: Session,
    planner: RowPlanner,
    batch: ImportBatch,
    preview: FilePreview,
    *,
    keep: bool,
) -> int | None:
    """Stamp provenance, flush; drop the batch when the file changed nothing."""
    counts: dict[str, int] = {}
    for sheet in preview.sheets:
        for key, value in sheet.counts().items():
            counts[key] = counts.get(key, 0) + value
    touched = list(planner.touched.values())
    planner.touched.clear()
    if not touched:
        session.delete(batch)
        session.flush()
        session.info["batch_id"] = None
        return None
    for obj, ref in touched:
        if hasattr(obj, "import_batch_id"):
            obj.import_batch_id = batch.id
        if hasattr(obj, "source_ref") and not isinstance(obj, BudgetLine):
            obj.source_ref = ref[:300]
    batch.counts = counts
    session.flush()
    _insert_bulk(session, planner.bulk, keep=keep)
    planner.bulk.clear()
    session.info["batch_id"] = None
    return batch.id


def _insert_bulk(
    session: Session, obligations: list[Obligation], *, keep: bool
) -> None:
    """Insert new obligations in chunks and log them like the ORM would."""
    for start in range(0, len(obligations), BULK_CHUNK):
        chunk = obligations[start : start + BULK_CHUNK]
        _insert_chunk(session, chunk, keep=keep)


def _insert_chunk(
    session: Session, obligations: list[Obligation], *, keep: bool
) -> None:
    table = cast(sa.Table, Obligation.__table__)
    columns = [c.key for c in table.columns if c.key != "id"]
    rows = []
    for obligation in obligations:
        obligation.validate()
        row = {key: getattr(obligation, key) for key in columns}
        row["responsible_id"] = (
            obligation.responsible.id if obligation.responsible else None
        )
        row["award_id"] = obligation.award.id if obligation.award else row["award_id"]
        rows.append(row)
    ids = _insert_rows(session, table, rows)
    log = []
    for obligation, row, new_id in zip(obligations, rows, ids, strict=True):
        obligation.id = new_id
        obligation.responsible_id = row["responsible_id"]
        obligation.award_id = row["award_id"]
        after = {k: to_jsonable(v) for k, v in row.items()} | {"id": new_id}
        log.append(
            {
                "entity": table.name,
                "entity_id": str(new_id),
                "action": ChangeAction.CREATE,
                "before": None,
                "after": after,
            }
        )
        if keep:  # a later file of the same run may change it: make it persistent
            make_transient_to_detached(obligation)
            session.add(obligation)
    record_changes(session, log)


def _insert_rows(
    session: Session, table: sa.Table, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert rows, returning their new ids in order.

    SQLite cannot return ids of a multi-row insert in order, so ids are given
    explicitly: the write transaction holds the database lock (BEGIN IMMEDIATE),
    nobody else can take them. PostgreSQL returns them in parameter order.
    """
    if session.get_bind().dialect.name == "sqlite":
        start = session.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
        ids = list(range(int(start or 0) + 1, int(start or 0) + 1 + len(rows)))
        session.execute(
            sa.insert(table), [r | {"id": i} for r, i in zip(rows, ids, strict=True)]
        )
        return ids
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars().all())
