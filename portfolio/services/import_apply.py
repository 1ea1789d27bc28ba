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

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import ImportStatus
from portfolio.domain.errors import NotFound
from portfolio.domain.models import Award, BudgetLine, Change, Disbursement, ImportBatch
from portfolio.domain.periods import format_date
from portfolio.domain.records import FileResult, Record, SheetKind, SheetResult
from portfolio.domain.regimes import load_regimes
from portfolio.services import audit, clock
from portfolio.services.import_bulk import (
    StoredObligation,
    insert_pending,
    replace_kept,
    write_changed,
)
from portfolio.services.import_done import list_times
from portfolio.services.import_lists import ListRows
from portfolio.services.import_match import fold
from portfolio.services.import_money import MoneyRows
from portfolio.services.import_new import NewRows, insert_new
from portfolio.services.import_planner import Rejected
from portfolio.services.import_remove import MissingRow, missing_rows, remove, settle
from portfolio.services.import_repeat import log_state, mark_matched, run_key
from portfolio.services.import_result import (
    FilePreview,
    ImportPreview,
    RowResult,
    RowStatus,
    SheetPreview,
)
from portfolio.services.import_rows import ProgrammeRows
from portfolio.services.money import sync_awards
from portfolio.services.obligations import award_notes, regenerate_award
from portfolio.storage.ids import number_new_rows

Progress = Callable[[int], None]
MAX_NAMED = 30  # short forms named per sheet


def rows_of(count: int) -> str:
    """``1 Zeile``, ``3 Zeilen``."""
    return "1 Zeile" if count == 1 else f"{count} Zeilen"


class RowPlanner(ProgrammeRows, ListRows, MoneyRows):
    """Plans every row of one import run, whatever kind of sheet it comes from."""


Handler = Callable[[RowPlanner, Record, SheetResult], RowResult]
ROW_HANDLERS: dict[SheetKind, Handler] = {
    SheetKind.PROGRAMMES: RowPlanner.programme_row,
    SheetKind.OBLIGATIONS: RowPlanner.obligation_row,
    SheetKind.CONTACTS: RowPlanner.contact_row,
    SheetKind.BUDGET: RowPlanner.budget_row,
    SheetKind.DISBURSEMENTS: RowPlanner.disbursement_row,
}
# Sheets that --programme applies to (when they have no programme column).
PER_PROGRAMME = (SheetKind.OBLIGATIONS, SheetKind.BUDGET, SheetKind.DISBURSEMENTS)
# Programmes first, so that deadlines and budgets of the same run find them.
KIND_ORDER = [
    SheetKind.CONTACTS,
    SheetKind.PROGRAMMES,
    SheetKind.OBLIGATIONS,
    SheetKind.BUDGET,
    SheetKind.DISBURSEMENTS,
]


def import_files(
    session: Session,
    files: list[FileResult],
    *,
    apply: bool,
    programme: str | None = None,
    profile: str | None = None,
    progress: Progress | None = None,
    rules: RuleSettings | None = None,
    read_with: Mapping[str, object] | None = None,
    reopen: bool = False,
    remove_missing: bool = False,
) -> ImportPreview:
    """Plan (and with ``apply`` write) the import of read files.

    ``rules`` (state and regimes folder) regenerate the deadlines implied by the
    funding rules of every award whose term the files change. ``read_with`` (the
    read options) and ``programme`` make each file's run key (``import_repeat``).
    ``reopen``: rows may reopen deadlines marked done since the list was saved
    (otherwise they stay done and the preview names them, ``import_done``).
    ``remove_missing``: stored rows an exported workbook no longer lists are
    deleted with the import (otherwise they stay, ``import_remove``).
    """
    planner = RowPlanner(session, programme)
    planner.reopen = reopen
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
    preview = ImportPreview(applied=apply, log_state=log_state(session))
    noted: set[int] = set()
    for result in files:
        file_preview = FilePreview(
            result, run_key=run_key(result.sha256, read_with, programme)
        )
        file_preview.notes += _earlier_imports(session, result)
        planner.since = list_times(session, result, file_preview.run_key)
        planner.plain_new = _plain_new(result, last=result is files[-1])
        batch = _open_batch(session, file_preview, profile) if apply else None
        missing: list[MissingRow] = []
        with session.no_autoflush:
            for sheet in sorted(result.sheets, key=lambda s: KIND_ORDER.index(s.kind)):
                file_preview.sheets.append(
                    _plan_sheet(planner, sheet, progress, missing)
                )
        planner.removals = settle(planner, missing, remove=remove_missing)
        file_preview.sheets.sort(key=lambda s: result.sheets.index(s.sheet))
        file_preview.notes += _rule_notes(session, planner, rules, noted)
        if programme and not any(s.kind in PER_PROGRAMME for s in result.sheets):
            file_preview.notes.append(
                f"--programme {programme} wird hier nicht verwendet: es gilt nur "
                "für Fristenlisten und Finanzierungspläne ohne Programmspalte."
            )
        preview.files.append(file_preview)
        if batch is not None:
            more = result is not files[-1]
            file_preview.batch_id = _close_batch(
                session, planner, batch, file_preview, keep=more, rules=rules
            )
    planner.fresh.release()  # planned, not written: freed without the collector
    if not apply:
        # The plan changed objects in memory only; drop them so that no later
        # flush or commit of this session can write a preview.
        session.rollback()
    if log_state(session) != preview.log_state:
        preview.log_state = None  # others wrote meanwhile: nothing to vouch for
    elif (
        apply
        and preview.exit_code == 0
        and not preview.has_changes
        and (
            not preview.conflicts  # a kept done mark: the file does not match
        )
    ):
        mark_matched(session, [f.run_key for f in preview.files])
    return preview


def _plain_new(result: FileResult, *, last: bool) -> bool:
    """Whether new programmes of this file are planned as plain rows.

    Only for an overview (every sheet a programme list) that is the run's last
    file: no later sheet or file of the run needs them as ORM objects (a budget
    sheet's lines, a second file changing them after they were inserted).
    """
    return last and all(s.kind is SheetKind.PROGRAMMES for s in result.sheets)


def remember_match(session: Session, preview: ImportPreview) -> bool:
    """After a preview that changes nothing: the database matches its files.

    Stamped only when the database is still as the preview saw it, so that the
    next import of the same files can say so without reading them.
    """
    if (
        preview.has_changes
        or preview.conflicts
        or preview.exit_code != 0
        or preview.log_state is None
        or log_state(session) != preview.log_state
    ):
        return False
    mark_matched(session, [f.run_key for f in preview.files])
    return True


def _plan_sheet(
    planner: RowPlanner,
    sheet: SheetResult,
    progress: Progress | None,
    missing: list[MissingRow],
) -> SheetPreview:
    handler = ROW_HANDLERS[sheet.kind]
    # Claims are per sheet: the same list imported twice in one run matches itself.
    planner.new_sheet(sheet.records if sheet.kind is SheetKind.PROGRAMMES else ())
    preview = SheetPreview(sheet)
    for count, record in enumerate(sheet.records, 1):
        preview.rows.append(_plan_row(planner, handler, record, sheet))
        if progress is not None and count % 1000 == 0:
            progress(1000)
    if planner.similar:
        pairs = "; ".join(
            f"Zeile {row} „{name}“ ~ „{stored}“"
            for row, name, stored in planner.similar[:10]
        )
        preview.notes.append(
            f"Neue Programme, die vorhandenen ähneln: {pairs} – ist es dasselbe "
            "Programm, schreiben Sie den Namen wie in portfolio (sonst entsteht ein "
            "zweites)."
        )
    missing += missing_rows(planner, sheet, preview)
    preview.conflicts = [c.text() for c in planner.conflicts]
    if planner.conflicts and not planner.reopen:
        preview.notes.append(
            f"{rows_of(len(planner.conflicts))} würden Fristen wieder öffnen, die "
            "nach dem Stand der Liste erledigt wurden: sie bleiben erledigt (unten "
            "als Konflikt aufgeführt)."
        )
    for (written, full), count in sorted(planner.recognised.items())[:MAX_NAMED]:
        rows = "1 Zeile" if count == 1 else f"{count} Zeilen"
        preview.notes.append(f"„{written}“ als „{full}“ erkannt ({rows}).")
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
        if sheet.kind is SheetKind.PROGRAMMES and label:
            planner.rejected_programmes.setdefault(fold(label), record.source)
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
    session: Session, preview: FilePreview, profile: str | None
) -> ImportBatch:
    result = preview.result
    batch = ImportBatch(
        file_name=result.file,
        sha256=result.sha256,
        sheets=[s.sheet for s in result.sheets],
        kind=",".join(sorted({s.kind.value for s in result.sheets})),
        profile=profile,
        who=str(session.info.get("who", "")),
        counts={},
        run_key=preview.run_key,
    )
    session.add(batch)
    session.flush()
    session.info["batch_id"] = batch.id
    preview.log_before = log_state(session)
    return batch


def _close_batch(
    session: Session,
    planner: RowPlanner,
    batch: ImportBatch,
    preview: FilePreview,
    *,
    keep: bool,
    rules: RuleSettings | None = None,
) -> int | None:
    """Stamp provenance, flush; drop the batch when the file changed nothing."""
    counts: dict[str, int] = {}
    for sheet in preview.sheets:
        for key, value in sheet.counts().items():
            counts[key] = counts.get(key, 0) + value
    touched = list(planner.touched.values())
    planner.touched.clear()
    if not touched and not planner.bulk and not planner.removals and not planner.fresh:
        session.delete(batch)
        session.flush()
        session.info["batch_id"] = None
        return None
    batch_id = batch.id  # an ORM attribute: read once, not once per row
    for obj, ref in touched:
        if hasattr(obj, "import_batch_id"):
            obj.import_batch_id = batch_id
        if hasattr(obj, "source_ref") and not isinstance(obj, BudgetLine):
            obj.source_ref = str(ref)[:300]
    for pending in planner.bulk:  # their source cell is written on insert
        pending.import_batch_id = batch_id
    write_changed(session, [o for o, _ in touched if isinstance(o, StoredObligation)])
    batch.counts = counts
    number_new_rows(session)  # SQLite: one executemany per table, not per row
    session.flush()
    _regenerate(session, [o for o, _ in touched if isinstance(o, Award)], rules)
    insert_new(session, planner.fresh, batch.id)  # before their deadlines
    planner.fresh.release()
    planner.fresh = NewRows()
    _sync_payments(
        session, [o for o, _ in touched if isinstance(o, Disbursement)], rules
    )
    kept = insert_pending(session, planner.bulk, keep=keep)
    remove(session, planner.removals)  # logged with the batch: undo restores them
    _payments_gone(session, planner.removals, rules)
    planner.removals = []
    replace_kept(planner.by_title.values(), kept)
    planner.bulk.clear()
    session.info["batch_id"] = None
    if counts.get("rejected", 0) == 0 and not any(s.conflicts for s in preview.sheets):
        batch.matched_at = _matched(session, batch, preview.log_before)
    audit.record(
        session, "import_applied", target=batch.file_name, batch=batch.id, counts=counts
    )
    return batch.id


def _matched(session: Session, batch: ImportBatch, before: str | None) -> str | None:
    """The log state now, if only this batch wrote since it opened.

    On PostgreSQL others may commit meanwhile; their rows would be counted as
    matching the file, so then the batch vouches for nothing.
    """
    session.flush()
    now = log_state(session)
    own = session.scalar(
        sa.select(sa.func.count(Change.id)).where(Change.batch_id == batch.id)
    )
    count_before = int((before or "-1:0").split(":")[0])
    return now if int(now.split(":")[0]) == count_before + int(own or 0) else None


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """Where the funding rules come from: the office's state and a regimes folder."""

    state: str = "NW"
    regimes_dir: str | None = None


def _rule_notes(
    session: Session,
    planner: RowPlanner,
    rules: RuleSettings | None,
    noted: set[int],
) -> list[str]:
    """Awards the file changes whose rules then give no dates, and why."""
    awards = [
        obj
        for obj, _ in planner.touched.values()
        if isinstance(obj, Award) and obj.regime and id(obj) not in noted
    ]
    if not awards:
        return []
    regimes = load_regimes((rules or RuleSettings()).regimes_dir)
    today = clock.today(session)
    notes = []
    for award in awards:
        noted.add(id(award))
        name = award.reference or award.programme.name
        notes += [
            f"Bewilligung {name}: {note}" for note in award_notes(award, regimes, today)
        ]
    return notes


def _sync_payments(
    session: Session, payments: list[Disbursement], rules: RuleSettings | None
) -> None:
    """Spending deadlines follow the imported payments (within the batch)."""
    rules = rules or RuleSettings()
    awards = {p.award.id: p.award for p in payments}
    sync_awards(session, awards, rules.state, rules.regimes_dir)
    session.flush()


def _payments_gone(
    session: Session, removed: list[MissingRow], rules: RuleSettings | None
) -> None:
    """The spending deadlines of removed payments go with them (in the batch)."""
    awards = {r.owner for r in removed if r.entity is Disbursement and r.owner}
    if awards:
        rules = rules or RuleSettings()
        sync_awards(session, awards, rules.state, rules.regimes_dir)
        session.flush()


def _regenerate(
    session: Session, awards: list[Award], rules: RuleSettings | None
) -> None:
    """Rule deadlines follow an award whose term or amount the file changed.

    The rows written here belong to the batch too, so undo takes them back.
    """
    rules = rules or RuleSettings()
    for award in awards:
        if award.regime:
            regenerate_award(session, award, rules.state, rules.regimes_dir)
    session.flush()  # while the batch is still the session's, for the change log
