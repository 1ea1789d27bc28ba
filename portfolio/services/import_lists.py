"""Rows of deadline lists, contact lists and budget plans.

A deadline names its programme as people do (``KAoA``, ``Lebenswelten``); it is
matched to one existing programme or rejected with suggestions, never creating one.
An obligation is identified by its ``_id`` or by programme and title (and due date
when a title repeats), so a changed due date shows as a change, not a new deadline.
A budget row is one cost category with an amount per year of the programme's award.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from portfolio.domain.enums import IncomeKind, ObligationKind, ObligationStatus, label
from portfolio.domain.models import (
    Award,
    BudgetLine,
    Contact,
    IncomeLine,
    Obligation,
    Programme,
)
from portfolio.domain.money import (
    COST_HEADINGS,
    INCOME_HEADINGS,
    income_kind_of,
    income_row_kind,
)
from portfolio.domain.periods import format_date
from portfolio.domain.records import Record, SheetResult
from portfolio.services.import_bulk import PendingObligation, StoredObligation
from portfolio.services.import_done import DONE, DoneConflict
from portfolio.services.import_match import (
    fold,
)
from portfolio.services.import_planner import PlannerBase, row_result
from portfolio.services.import_result import (
    EntityChange,
    Later,
    RowResult,
    RowStatus,
    display,
)
from portfolio.storage.queries import obligation_stamp


def _stamp(found: StoredObligation) -> int:
    """The stored deadline's ``_stand`` digest, as the export computes it."""
    return obligation_stamp(
        found.programme_id,
        found.award_id,
        found.kind,
        found.title,
        found.due_on,
        found.due_effective,
        found.responsible_id,
        found.status,
        found.done_on,
    )


def _details(target: Obligation | PendingObligation) -> Later:
    """What a new deadline will be (its date, kind and person), written when shown.

    The values are taken now; a list of 100 000 new deadlines shows a few.
    """
    due, kind, person = target.due_on, target.kind, target.responsible

    def text() -> str:
        who = f", zuständig {person.name}" if person is not None else ""
        return f"fällig am {format_date(due)}, {label(kind)}{who}"

    return text


def _fill_new(
    record: Record,
    sheet: SheetResult,
    target: Obligation | PendingObligation,
    responsible: Contact | None,
    award: Award | None,
) -> None:
    """A new deadline's values from its row: what ``set`` would write, uncompared.

    A new row has no old values to compare or to show (its title, date and kind
    came with it); a big list creates 100 000 of them.
    """
    values = record.values
    status = values.get("status")
    if status is None and "done" in sheet.columns:
        status = ObligationStatus.OPEN  # an empty done cell: open
    if status is not None:
        target.status = status
        target.done_on = values.get("done_on")
    if responsible is not None:
        target.responsible = responsible
    if (notes := values.get("notes")) is not None:
        target.notes = notes
    if award is not None:
        target.award = award


# What a row may change on a stored deadline (kept to put back on a stale row).
OBLIGATION_SLOTS = tuple(
    a for a in PendingObligation.__slots__ if a not in ("where", "claimed_in")
)


class PlanSeen:
    """The plan lines of one award a sheet lists: (cost|income, name, year)."""

    def __init__(self, award: Award) -> None:
        """Nothing seen yet."""
        self.award = award
        self.lines: set[tuple[str, str, int]] = set()
        self.years: set[int] = set()

    def add(self, row: tuple[str, str, dict[int, Decimal]]) -> None:
        """A row of the sheet: its position (or Einnahme) and its years."""
        side, name, amounts = row
        years = {y for y, amount in amounts.items() if amount is not None}
        self.years |= years
        self.lines |= {(side, name, year) for year in years}


class ListRows(PlannerBase):
    """Rows of deadline lists, contact lists and budget plans."""

    # --- obligations ---------------------------------------------------------

    def obligation_row(self, record: Record, sheet: SheetResult) -> RowResult:
        """A row of a deadline list: one obligation of a programme.

        A row of an exported workbook whose deadline changed in the database since
        the export (``_stand``) must not undo that change: if the row would change
        the deadline, it is rejected and the deadline left as it is.
        """
        found = self._find_obligation(record)
        stamp = record.values.get("stamp")
        if found is None or stamp is None or stamp == _stamp(found):
            return self._obligation_row(record, sheet, found)
        before = {a: getattr(found, a) for a in OBLIGATION_SLOTS}
        touched = self.touched.get(id(found))
        result = self._obligation_row(record, sheet, found)
        if result.status is not RowStatus.CHANGED:
            return result
        for attr, value in before.items():  # leave the stored deadline untouched
            setattr(found, attr, value)
        if touched is None:
            self.touched.pop(id(found), None)
        fields = ", ".join(
            f"{d.label}: {d.old} → {d.new}" for c in result.changes for d in c.diffs
        )
        raise self.problem(
            record,
            "stamp",
            "Diese Frist wurde nach dem Export der Tabelle in der Datenbank "
            f"geändert; die Zeile würde das zurücknehmen ({fields}).",
            "Exportieren Sie die Arbeitsmappe neu (portfolio export xlsx) und "
            "tragen Sie Ihre Änderung dort ein – oder leeren Sie die Zelle _stand "
            "dieser Zeile, um sie trotzdem zu übernehmen.",
        )

    def _obligation_row(
        self, record: Record, sheet: SheetResult, found: StoredObligation | None
    ) -> RowResult:
        values = record.values
        ref = record.source
        if "responsible" in values:
            self.check_names(record, "responsible")
        owner = found.programme if found is not None else None
        programme = (
            owner
            if owner is not None and "programme" not in values
            else self._programme_of(record)
        )
        obligation: Obligation | PendingObligation | None = found
        award = self._award_of(record, programme)
        kind: ObligationKind = values.get("obligation_kind", ObligationKind.OTHER)
        label = self.label_of(programme)
        title = values.get("title") or f"{kind.value.capitalize()} {label}"
        changes: list[EntityChange] = []
        slot = (self.programme_id(programme), fold(title))  # folded once per row
        if obligation is None:
            obligation = self._claim_obligation(slot, values["due"])
        if obligation is None and (earlier := self._same_in_sheet(slot, values["due"])):
            raise self.problem(
                record,
                "title",
                f"Die Frist steht schon in {earlier} (gleiches Programm, gleiche "
                "Aufgabe, gleiches Datum).",
                "Löschen Sie die doppelte Zeile; sind es zwei Fristen, "
                "unterscheiden Sie sie im Titel.",
            )
        created = obligation is None
        target = (
            obligation
            if obligation is not None
            else self._new_obligation(programme, slot, title, values["due"], kind, ref)
        )
        self.claim(target)
        change = EntityChange("Frist", f"{label}: {title}", created)
        changes.append(change)
        responsible = self._contact(
            values.get("responsible"), values.get("email"), ref, changes
        )
        if created:
            _fill_new(record, sheet, target, responsible, award)
            change.details = _details(target)
            return row_result(record, change.name, changes)
        self.set(target, "title", title, "Was", change, ref)
        moved = len(change.diffs)
        self.set(target, "due_on", values["due"], "fällig am", change, ref)
        if len(change.diffs) > moved and target.due_effective is not None:
            # A date a person typed is an explicit Termin: it does not move to the
            # next working day (§ 31 Abs. 5 VwVfG), so the old shift is dropped.
            self.set(target, "due_effective", None, "verschoben auf", change, ref)
        if "target_kind" in sheet.columns:
            self.set(target, "kind", kind, "Art", change, ref)
        self._status(record, sheet, target, change)
        # Compare ids first: loading the relationship costs a lookup per row.
        if responsible is not None and (
            responsible.id is None or target.responsible_id != responsible.id
        ):
            self.set(target, "responsible", responsible, "zuständig", change, ref)
        elif (
            responsible is None
            and "id" in values
            and "responsible" in sheet.columns
            and "email" not in values
            and target.responsible is not None
        ):
            # The exported workbook's zuständig cell was emptied: nobody now.
            self.set(target, "responsible", None, "zuständig", change, ref)
        if "notes" in values or ("notes" in sheet.columns and "id" in values):
            self.set(target, "notes", values.get("notes"), "Bemerkungen", change, ref)
        if award is not None:
            self.set(target, "award", award, "Bewilligung", change, ref)
        if change.diffs and target.origin.startswith("rule:"):
            target.edited = True
        return row_result(record, change.name, changes)

    def _status(
        self,
        record: Record,
        sheet: SheetResult,
        target: Obligation | PendingObligation,
        change: EntityChange,
    ) -> None:
        """The done mark: from the done column (an empty cell: open)."""
        values = record.values
        status = values.get("status")
        if status is None and "done" in sheet.columns:
            status = ObligationStatus.OPEN
        # An exported workbook's ``_stand`` already guards its rows (a cleared
        # cell is the user's choice to take the row): no second guard there.
        guarded = "stamp" not in sheet.columns
        if status is None or (
            guarded and self._keeps_done(record, target, status, change)
        ):
            return
        ref = record.source
        self.set(target, "status", status, "Status", change, ref)
        self.set(target, "done_on", values.get("done_on"), "erledigt am", change, ref)

    def _keeps_done(
        self,
        record: Record,
        target: Obligation | PendingObligation,
        status: ObligationStatus,
        change: EntityChange,
    ) -> bool:
        """Whether a row must not reopen a deadline done since the list's time."""
        if (
            status is not ObligationStatus.OPEN
            or type(target) is not StoredObligation
            or target.status not in DONE
            or target.id is None
        ):
            return False
        hit = self.done_marks.conflict(target.id, target.status.value, self.since)
        if hit is None:
            return False
        self.conflicts.append(
            DoneConflict(
                record.source.row or 0,
                change.name,
                display(target.status),
                hit[0],
                hit[1],
                reopened=self.reopen,
            )
        )
        return not self.reopen

    def _award_of(self, record: Record, programme: Programme) -> Award | None:
        """The award a deadline row names by ``_award`` id or Förderkennzeichen."""
        values = record.values
        if values.get("award_id") is not None:
            wanted = values["award_id"]
            return next((a for a in programme.awards if a.id == wanted), None)
        if not values.get("reference"):
            return None
        reference = fold(values["reference"])
        award = next(
            (a for a in programme.awards if fold(a.reference) == reference), None
        )
        if award is None:
            raise self.problem(
                record,
                "reference",
                "Diese Bewilligung (Förderkennzeichen) ist unbekannt.",
                "Prüfen Sie das Förderkennzeichen oder lassen Sie es leer.",
            )
        return award

    def _find_obligation(self, record: Record) -> StoredObligation | None:
        if "id" not in record.values:
            return None
        found = self.obligations.get(record.values["id"])
        if found is None:
            raise self.problem(
                record,
                "id",
                "Diese Kennung (_id) gibt es nicht.",
                "Lassen Sie die Spalte _id unverändert oder leer.",
            )
        return found

    def _claim_obligation(
        self, slot: tuple[int, str], due: Any
    ) -> Obligation | PendingObligation | None:
        items = self.by_title.get(slot)
        if not items:
            return None
        if len(items) == 1:  # the usual case: one deadline of this title
            return None if self.is_claimed(items[0]) else items[0]
        candidates = [o for o in items if not self.is_claimed(o)]
        same_day = [o for o in candidates if o.due_on == due]
        if same_day:
            return same_day[0]
        return candidates[0] if len(candidates) == 1 else None

    def _same_in_sheet(self, slot: tuple[int, str], due: Any) -> str:
        """Where this sheet already has the deadline (``''`` if it does not)."""
        for item in self.by_title.get(slot, ()):
            if item.due_on == due and self.is_claimed(item):
                where = (
                    getattr(item, "where", None)
                    or self.touched.get(id(item), (None, None))[1]
                )
                row = getattr(where, "row", None)
                return f"Zeile {row}" if row else "dieser Tabelle"
        return ""

    # --- contacts ------------------------------------------------------------

    def contact_row(self, record: Record, sheet: SheetResult) -> RowResult:  # noqa: ARG002
        """A row of a contact list."""
        values = record.values
        ref = str(record.source)
        contact = None
        if "id" in values:
            contact = next(
                (c for c in self.contacts.by_email.values() if c.id == values["id"]),
                None,
            )
        contact = contact or self.contacts.find(values.get("name"), values.get("email"))
        created = contact is None
        if contact is None:
            if not values.get("email"):
                raise self.problem(
                    record,
                    "email",
                    "Ohne E-Mail-Adresse kann der Kontakt nicht angelegt werden.",
                    "Tragen Sie die E-Mail-Adresse ein.",
                )
            contact = Contact(email=values["email"], name=values["name"])
            self.session.add(contact)
            self.contacts.add(contact)
            self.created(contact, ref)
        change = EntityChange("Kontakt", values["name"], created)
        if "id" in values:
            self.set(contact, "name", values["name"], "Name", change, ref)
        for attr, german in (("role", "Funktion"), ("organisation", "Organisation")):
            if attr in values:
                self.set(contact, attr, values[attr], german, change, ref)
        return row_result(record, values["name"], [change])

    # --- budget --------------------------------------------------------------

    def budget_row(self, record: Record, sheet: SheetResult) -> RowResult:
        """A row of a budget plan: one cost category, an amount per year."""
        values = record.values
        ref = str(record.source)
        programme = self._programme_of(record)
        awards = list(programme.awards)
        if values.get("award_id") is not None:
            awards = [a for a in awards if a.id == values["award_id"]]
        elif values.get("reference"):
            awards = [
                a for a in awards if fold(a.reference) == fold(values["reference"])
            ]
        if len(awards) != 1:
            why = "hat keine Bewilligung" if not awards else "hat mehrere Bewilligungen"
            raise self.problem(
                record,
                "category",
                f"Das Programm {programme.label} {why}.",
                "Importieren Sie zuerst die Übersicht mit Fördersumme, oder ergänzen "
                "Sie eine Spalte Förderkennzeichen.",
            )
        award = awards[0]
        amounts: dict[int, Decimal] = values.get("amounts", {})
        if any(a < 0 for a in amounts.values()):
            raise self.problem(
                record,
                "category",
                "Ein Planbetrag ist negativ.",
                "Tragen Sie Beträge ab 0 ein.",
            )
        category = values["category"]
        # A Finanzierungsplan sheet: "Ausgaben" and "Einnahmen" headings without
        # amounts; the rows below an "Einnahmen" heading are the plan's Einnahmen.
        sections: dict[tuple[str, str], bool] = self.__dict__.setdefault(
            "_income_sections", {}
        )
        where = (sheet.file, sheet.sheet)
        heading = " ".join(category.casefold().split())
        if not any(amounts.values()) and heading in INCOME_HEADINGS + COST_HEADINGS:
            sections[where] = heading in INCOME_HEADINGS
            return row_result(record, category, [])
        in_income = sections.get(where, False)
        if (kind_label := income_row_kind(category, in_income=in_income)) is not None:
            return self._income_row(
                record, sheet, programme, award, kind_label, amounts
            )
        self.plan_seen(sheet, award).add(("cost", fold(category), amounts))
        existing = {
            b.year: b for b in award.budget_lines if fold(b.category) == fold(category)
        }

        def new_line(year: int, amount: Decimal) -> BudgetLine:
            line = BudgetLine(category=category, year=year, planned=amount)
            award.budget_lines.append(line)
            return line

        changes = self._plan_lines(
            existing, amounts, new_line, section="Finanzierungsplan",
            name=f"{programme.label}: {category}", ref=ref,
        )  # fmt: skip
        return row_result(record, f"{programme.label}: {category}", changes)

    def plan_seen(self, sheet: SheetResult, award: Award) -> PlanSeen:
        """What a plan sheet listed of an award (for the lines it no longer lists)."""
        seen: dict[tuple[str, str], dict[int, PlanSeen]] = self.__dict__.setdefault(
            "_plan_seen", {}
        )
        per_award = seen.setdefault((sheet.file, sheet.sheet), {})
        found = per_award.get(id(award))
        if found is None:
            found = per_award[id(award)] = PlanSeen(award)
        return found

    def plan_sheet_seen(self, sheet: SheetResult) -> list[PlanSeen]:
        """Every award a plan sheet named, with what it listed."""
        seen: dict[tuple[str, str], dict[int, PlanSeen]] = self.__dict__.get(
            "_plan_seen", {}
        )
        return list(seen.get((sheet.file, sheet.sheet), {}).values())

    def _plan_lines(
        self,
        existing: dict[int, BudgetLine] | dict[int, IncomeLine],
        amounts: dict[int, Decimal],
        new_line: Callable[[int, Decimal], BudgetLine | IncomeLine],
        *,
        section: str,
        name: str,
        ref: str,
    ) -> list[EntityChange]:
        """Set the planned amount per year on a plan row's lines, creating missing ones.

        The workbook lists positions that were only spent on (Ist without plan)
        with a plan of 0: that is no plan line, so a zero creates nothing.
        """
        changes: list[EntityChange] = []
        for year, amount in sorted(amounts.items()):
            line = existing.get(year)
            if line is None and not amount:
                continue
            if line is None:
                self.created(new_line(year, amount), ref)
                changes.append(EntityChange(section, f"{name} {year}", True))
                continue
            change = EntityChange(section, f"{name} {year}", False)
            self.set(line, "planned", amount, f"Plan {year}", change, ref)
            if change.diffs:
                changes.append(change)
        return changes

    def _income_row(  # noqa: PLR0917 - the row and what it belongs to
        self,
        record: Record,
        sheet: SheetResult,
        programme: Programme,
        award: Award,
        kind_label: str,
        amounts: dict[int, Decimal],
    ) -> RowResult:
        """A row "Einnahme: Zuwendung" of the Finanzen sheet: the plan's Einnahmen."""
        kinds = {fold(label(k)): k for k in IncomeKind}
        word = income_kind_of(kind_label)
        kind = kinds.get(fold(kind_label)) or (IncomeKind(word) if word else None)
        if kind is None:
            names = ", ".join(f"„Einnahme: {label(k)}“" for k in IncomeKind)
            raise self.problem(
                record,
                "category",
                f"Einnahme „{kind_label}“ ist unbekannt.",
                f"Schreiben Sie {names}.",
            )
        ref = str(record.source)
        self.plan_seen(sheet, award).add(("income", kind.value, amounts))
        existing = {line.year: line for line in award.income_lines if line.kind == kind}
        found = kind

        def new_line(year: int, amount: Decimal) -> IncomeLine:
            line = IncomeLine(kind=found, year=year, planned=amount)
            award.income_lines.append(line)
            return line

        name = f"{programme.label}: Einnahme {label(kind)}"
        changes = self._plan_lines(
            existing, amounts, new_line, section="Einnahmen", name=name, ref=ref
        )
        return row_result(record, name, changes)
