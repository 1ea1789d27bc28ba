"""Rows an exported workbook no longer lists: kept, or removed when the user asks.

A re-imported portfolio workbook (hidden ``_id`` column) names every stored
programme, deadline and payment (sheet Mittelabrufe) it was written with; its
Finanzen sheet every plan line of the awards and years it shows. Rows missing
from it stay stored unless the user opts in (``--remove-missing``, the browser's
"Fehlende Zeilen löschen"): then the preview names what goes (a programme with
its phases, awards and deadlines), and the apply deletes exactly that in the
import's one transaction, all or nothing. The deletes are written to the change
log with the import batch, so ``portfolio imports undo`` brings the rows back like
any other change of the import. A programme that another sheet of the same file
still uses (a deadline row of it) is kept and the preview says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import DisbursementKind, ObligationStatus, label
from portfolio.domain.models import (
    Award,
    BudgetLine,
    Disbursement,
    IncomeLine,
    Obligation,
    Programme,
)
from portfolio.domain.money import format_money
from portfolio.domain.periods import format_date
from portfolio.domain.records import SheetKind, SheetResult
from portfolio.services.import_lists import ListRows
from portfolio.services.import_match import fold
from portfolio.services.import_planner import PlannerBase
from portfolio.services.import_result import SheetPreview


@dataclass(frozen=True, slots=True)
class MissingRow:
    """A stored row the sheet no longer lists."""

    sheet: SheetPreview
    label: str
    entity: (
        type[Programme]
        | type[Obligation]
        | type[BudgetLine]
        | type[IncomeLine]
        | type[Disbursement]
    )
    id: int
    goes: str = ""  # what goes with it when it is deleted
    owner: int | None = None  # a payment's award (its spending deadlines follow)


def plural(count: int, one: str, many: str) -> str:
    """``1 Frist``, ``3 Fristen``."""
    return f"{count} {one if count == 1 else many}"


def missing_rows(
    planner: PlannerBase, sheet: SheetResult, preview: SheetPreview
) -> list[MissingRow]:
    """Stored rows an exported workbook (with ``_id``) no longer lists.

    Of a plan sheet (Finanzen, Finanzierungsplan): the plan lines of each award the
    sheet names, in the years the sheet has, that it no longer lists.
    """
    if sheet.kind is SheetKind.BUDGET:
        return _missing_plan_lines(planner, sheet, preview)
    if "id" not in sheet.columns:
        return []
    if sheet.kind is SheetKind.DISBURSEMENTS:
        return _missing_payments(planner, preview)
    if sheet.kind is SheetKind.OBLIGATIONS:
        return [
            MissingRow(
                preview, f"{planner.label_of(o.programme)}: {o.title}", Obligation, o.id
            )
            for o in planner.obligations.values()
            if o.claimed_in != planner.sheet_serial
            and o.status is ObligationStatus.OPEN  # the workbook lists open ones
            and o.programme is not None
            and o.id is not None
        ]
    if sheet.kind is SheetKind.PROGRAMMES:
        deadlines: dict[int, int] = {}
        for item in planner.obligations.values():
            deadlines[item.programme_id] = deadlines.get(item.programme_id, 0) + 1
        return [
            MissingRow(preview, p.label, Programme, p.id, _goes(p, deadlines))
            for p in planner.programmes.by_id.values()
            if id(p) not in planner.seen and p.id is not None
        ]
    return []


def _missing_plan_lines(
    planner: PlannerBase, sheet: SheetResult, preview: SheetPreview
) -> list[MissingRow]:
    if not isinstance(planner, ListRows):
        return []
    seen = planner.plan_sheet_seen(sheet)
    years = set().union(*(s.years for s in seen))
    rows: list[MissingRow] = []
    for listed in seen:
        award = listed.award
        if award.id is None:
            continue
        name = planner.label_of(award.programme)
        for line in sorted(award.budget_lines, key=lambda b: (b.category, b.year)):
            key = ("cost", fold(line.category), line.year)
            if line.year in years and key not in listed.lines and line.id:
                text = f"{name}: {line.category} {line.year}"
                rows.append(MissingRow(preview, text, BudgetLine, line.id))
        for item in sorted(award.income_lines, key=lambda i: (i.kind, i.year)):
            key = ("income", item.kind.value, item.year)
            if item.year in years and key not in listed.lines and item.id:
                text = f"{name}: Einnahme {label(item.kind)} {item.year}"
                rows.append(MissingRow(preview, text, IncomeLine, item.id))
    return rows


def _missing_payments(planner: PlannerBase, preview: SheetPreview) -> list[MissingRow]:
    """Payments a Mittelabrufe sheet with ``_id`` (it lists all) no longer lists."""
    claimed: set[int] = planner.__dict__.get("_claimed_payments", set())
    query = sa.select(
        Disbursement.id, Disbursement.award_id, Award.programme_id, Award.reference,
        Disbursement.kind, Disbursement.requested_on, Disbursement.received_on,
        Disbursement.amount,
    ).join(Award, Award.id == Disbursement.award_id)  # fmt: skip
    rows = []
    for pid, aid, prog, ref, kind, asked, got, amount in planner.session.execute(
        query.order_by(Disbursement.id)
    ):
        if pid in claimed:
            continue
        programme = planner.programmes.by_id.get(prog)
        name = planner.label_of(programme) if programme is not None else ""
        what = "Rückzahlung" if kind is DisbursementKind.RUECKZAHLUNG else "Mittelabruf"
        when = asked or got
        on = f" vom {format_date(when)}" if when else ""
        text = f"{name} · {ref or ''}: {what}{on} über {format_money(amount)}"
        rows.append(MissingRow(preview, text, Disbursement, pid, owner=aid))
    return rows


def _goes(programme: Programme, deadlines: dict[int, int]) -> str:
    counts = (
        (len(programme.phases), "Phase", "Phasen"),
        (len(programme.fundings), "Finanzierung", "Finanzierungen"),
        (len(programme.awards), "Bewilligung", "Bewilligungen"),
        (deadlines.get(programme.id, 0), "Frist", "Fristen"),
    )
    parts = [plural(n, one, many) for n, one, many in counts if n]
    return "mit " + ", ".join(parts) if parts else ""


def settle(
    planner: PlannerBase, rows: list[MissingRow], *, remove: bool
) -> list[MissingRow]:
    """Name the missing rows in their sheet's preview; return those to delete.

    Without ``remove`` every one stays ("bleibt gespeichert"). With it, all go but
    a programme whose deadlines another sheet of this file lists or adds.
    """
    used = {o.programme_id for o in planner.obligations.values() if o.claimed_in} | {
        p.programme_id for p in planner.bulk
    }
    going = []
    for row in rows:
        if not remove:
            row.sheet.missing.append(row.label)
        elif row.entity is Programme and row.id in used:
            row.sheet.missing.append(row.label)
            row.sheet.notes.append(
                f"„{row.label}“ fehlt, bleibt aber gespeichert: die Fristenliste der "
                "Datei nennt Fristen des Programms."
            )
        else:
            row.sheet.removed.append(
                f"{row.label} ({row.goes})" if row.goes else row.label
            )
            going.append(row)
    return going


def remove(session: Session, rows: list[MissingRow]) -> None:
    """Delete the rows (with their cascade) in the open batch; the log keeps them."""
    for entity in (Disbursement, BudgetLine, IncomeLine, Obligation, Programme):
        ids = [r.id for r in rows if r.entity is entity]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = sa.select(entity).where(entity.id.in_(chunk))
            for obj in session.scalars(query):
                session.delete(obj)
        session.flush()
