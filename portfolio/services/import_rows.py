"""Turn one imported record into changes of ORM objects, field by field.

The ``RowPlanner`` first resolves everything a row needs (its programme, funders,
award, contact) and rejects the row with a reason and a hint if something does not
fit; only then does it create or change objects, recording every field it changes
(old → new) so the preview shows exactly what the flush will write. It never flushes
or queries per row: all stored rows were loaded once into indexes.

Identification: a hidden ``_id`` column (the row's own database id) or ``_key``
(the programme key) written by the portfolio workbook export identifies a row
exactly; then an empty cell clears the field (the user deleted it). Without them,
rows are matched by name and reference, and empty cells leave stored values alone.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from imports.records import Record, SheetResult
from imports.words import FunderRef
from portfolio.domain.enums import FunderKind, ObligationKind, ObligationStatus
from portfolio.domain.errors import Problem
from portfolio.domain.models import (
    Award,
    BudgetLine,
    Contact,
    Funder,
    Funding,
    Obligation,
    Phase,
    Programme,
)
from portfolio.domain.periods import Period, format_period
from portfolio.services.import_match import (
    ContactIndex,
    FunderIndex,
    ProgrammeIndex,
    fold,
)
from portfolio.services.import_result import (
    EntityChange,
    FieldDiff,
    RowResult,
    RowStatus,
    display,
)

PROGRAMME_FIELDS = {"short_name": "Kurzname", "status": "Status",
                    "notes": "Bemerkungen", "field_of_action": "Handlungsfeld",
                    "description": "Beschreibung"}  # fmt: skip
CLEARABLE = {"short_name", "notes", "field_of_action", "description"}


class Rejected(Exception):  # noqa: N818 - a signal, not an error for users
    """A row cannot be imported; carries the problem."""

    def __init__(self, problem: Problem) -> None:
        """Keep the problem."""
        super().__init__(problem.message)
        self.problem = problem


class RowPlanner:
    """Plans the changes of every row of one import run (all files)."""

    def __init__(self, session: Session, default_programme: str | None = None) -> None:
        """Load every stored row the import can touch, once."""
        self.session = session
        self.programmes = ProgrammeIndex(session)
        self.funders = FunderIndex(session)
        self.contacts = ContactIndex(session)
        self.default_programme = default_programme
        self.touched: dict[int, tuple[Any, str]] = {}
        self.claimed: set[int] = set()
        # Programme fields come from a programme's first row; later rows of the
        # same programme (one per award) must not overwrite them back and forth.
        self.seen: set[int] = set()
        self.obligations: dict[int, Obligation] = {
            o.id: o for p in self.programmes.all() for o in p.obligations
        }
        self.by_title: dict[tuple[int, str], list[Obligation]] = defaultdict(list)
        for programme in self.programmes.all():
            for obligation in programme.obligations:
                self.by_title[(id(programme), fold(obligation.title))].append(
                    obligation
                )

    # --- helpers -------------------------------------------------------------

    def problem(self, record: Record, field: str, message: str, hint: str) -> Rejected:
        """A rejection of a row at the column of one field."""
        value = record.values.get(field, "")
        return Rejected(
            Problem(
                message,
                record.source.file,
                record.source.sheet,
                record.source.row,
                record.columns.get(field, ""),
                display(value) if value != "" else "",
                hint,
            )  # fmt: skip
        )

    def set(self, obj: Any, attr: str, value: Any, label: str,
            change: EntityChange, ref: str) -> None:  # fmt: skip
        """Set one field if it differs; remember the diff and the touched object."""
        old = getattr(obj, attr)
        if old == value and type(old) is type(value):
            return
        if isinstance(old, Decimal) and isinstance(value, Decimal) and old == value:
            return
        setattr(obj, attr, value)
        if not change.created:
            change.diffs.append(FieldDiff(label, display(old), display(value)))
        self.touched[id(obj)] = (obj, ref)

    def created(self, obj: Any, ref: str) -> None:
        """Remember a new object for provenance."""
        self.touched[id(obj)] = (obj, ref)

    # --- programmes ----------------------------------------------------------

    def programme_row(self, record: Record, sheet: SheetResult) -> RowResult:
        """A row of a programme overview: programme, funders, phase, award."""
        values = record.values
        ref = str(record.source)
        exact = "id" in values or "key" in values
        programme = self._find_programme(record)
        funders = values.get("funders") or []
        for name in ("amount", "own_contribution"):
            if values.get(name) is not None and values[name] < 0:
                raise self.problem(record, name, "Der Betrag ist negativ.",
                                   "Tragen Sie einen Betrag ab 0 ein.")  # fmt: skip
        wants_award = any(values.get(f) is not None for f in ("amount", "own_contribution", "reference"))  # fmt: skip
        if wants_award and not funders and not (programme and programme.awards):
            raise self.problem(record, "funders", "Für die Bewilligung fehlt der Fördergeber.",
                               "Tragen Sie in der Spalte Fördergeber ein, wer fördert.")  # fmt: skip
        label = values.get("short_name") or values["name"]
        created = programme is None
        if programme is None:
            key = values.get("key") or self.programmes.unique_key(label)
            programme = Programme(key=key, name=values["name"], tags=[])
            if "status" in values:
                programme.status = values["status"]
            self.session.add(programme)
            self.programmes.add(programme)
            self.created(programme, ref)
        change = EntityChange(
            "Programm", programme.label if not created else label, created
        )
        changes = [change]
        first = id(programme) not in self.seen
        self.seen.add(id(programme))
        if exact and first:
            self.set(programme, "name", values["name"], "Name", change, ref)
        for name, german in PROGRAMME_FIELDS.items() if first else ():
            if name in values:
                self.set(programme, name, values[name], german, change, ref)
            elif exact and name in sheet.columns and name in CLEARABLE:
                self.set(programme, name, None, german, change, ref)
        lead = self._contact(values.get("contact"), values.get("email"), ref, changes)
        if lead is not None and first:
            self.set(programme, "lead", lead, "Ansprechperson", change, ref)
        funder_rows = [self._funder(f, ref, changes) for f in funders]
        for funder in funder_rows:
            self._funding(programme, funder, ref, changes)
        phase = self._phase(
            programme, values.get("period"), values.get("phase"), ref, changes
        )
        if wants_award:
            self._award(record, programme, funder_rows, phase, ref, changes)
        return _row(record, label, changes)

    def _find_programme(self, record: Record) -> Programme | None:
        values = record.values
        if "id" in values:
            found = self.programmes.by_id.get(values["id"])
            if found is None:
                raise self.problem(record, "id", "Diese Kennung (_id) gibt es nicht.",
                                   "Lassen Sie die Spalte _id unverändert oder leer.")  # fmt: skip
            return found
        if "key" in values:
            return self.programmes.by_key.get(values["key"])
        found = self.programmes.exact(values["name"])
        if found is None and values.get("short_name"):
            found = self.programmes.exact(values["short_name"])
        return found

    def _contact(self, name: str | None, email: str | None, ref: str,
                 changes: list[EntityChange]) -> Contact | None:  # fmt: skip
        if not name and not email:
            return None
        contact = self.contacts.find(name, email)
        if contact is None and email:
            contact = Contact(email=email, name=name or email)
            self.session.add(contact)
            self.contacts.add(contact)
            self.created(contact, ref)
            changes.append(EntityChange("Kontakt", f"{contact.name} <{email}>", True))
        return contact

    def _funder(self, ref_: FunderRef, ref: str, changes: list[EntityChange]) -> Funder:
        funder = self.funders.find(ref_.name)
        if funder is None:
            funder = Funder(short_name=ref_.name[:120], name=ref_.name,
                            kind=ref_.kind or FunderKind.OTHER)  # fmt: skip
            self.session.add(funder)
            self.funders.add(funder)
            self.created(funder, ref)
            changes.append(EntityChange("Fördergeber", funder.short_name, True))
        return funder

    def _funding(self, programme: Programme, funder: Funder, ref: str,
                 changes: list[EntityChange]) -> None:  # fmt: skip
        if any(f.funder is funder for f in programme.fundings):
            return
        funding = Funding(funder=funder)
        programme.fundings.append(funding)
        self.created(funding, ref)
        changes.append(EntityChange("Finanzierung", f"{programme.label} ← {funder.short_name}", True))  # fmt: skip

    def _phase(self, programme: Programme, period: Period | None, name: str | None,
               ref: str, changes: list[EntityChange]) -> Phase | None:  # fmt: skip
        if period is None:
            return None
        phases = list(programme.phases)
        same = [p for p in phases if p.start == period.start and (name is None or p.name == name)]  # fmt: skip
        phase = same[0] if same else (phases[0] if len(phases) == 1 and name is None else None)  # fmt: skip
        if phase is None:
            phase = Phase(name=name or "", start=period.start, end=period.end,
                          precision=period.precision)  # fmt: skip
            programme.phases.append(phase)
            self.created(phase, ref)
            changes.append(EntityChange("Phase", f"{programme.label}: {format_period(period)}", True))  # fmt: skip
            return phase
        old = format_period(phase.period)
        changed = False
        for attr, value in (("start", period.start), ("end", period.end),
                            ("precision", period.precision)):  # fmt: skip
            if getattr(phase, attr) != value:
                setattr(phase, attr, value)
                changed = True
        if changed:
            self.touched[id(phase)] = (phase, ref)
            change = EntityChange("Phase", f"{programme.label}: {old}", False)
            change.diffs.append(FieldDiff("Laufzeit", old, format_period(period)))
            changes.append(change)
        return phase

    def _award(self, record: Record, programme: Programme, funders: list[Funder],
               phase: Phase | None, ref: str, changes: list[EntityChange]) -> None:  # fmt: skip
        values = record.values
        reference = values.get("reference")
        award = self._find_award(programme, funders, reference, values.get("award_id"))
        created = award is None
        if award is None:
            award = Award(funder=funders[0], reference=reference)
            programme.awards.append(award)
            self.created(award, ref)
        self.claimed.add(id(award))
        name = f"{programme.label} {reference or ''}".strip()
        change = EntityChange("Bewilligung", name, created)
        period: Period | None = values.get("period")
        fields: list[tuple[str, Any, str]] = [
            ("reference", reference, "Förderkennzeichen"),
            ("amount", values.get("amount"), "Fördersumme"),
            ("own_contribution", values.get("own_contribution"), "Eigenanteil"),
        ]
        if period is not None:
            fields += [("start", period.start, "Beginn"), ("end", period.end, "Ende")]
        for attr, value, german in fields:
            if value is not None or (attr in record.columns and "id" in values):
                self.set(award, attr, value, german, change, ref)
        if phase is not None and award.phase is None:
            award.phase = phase
        if created or change.diffs:
            changes.append(change)

    def _find_award(self, programme: Programme, funders: list[Funder],
                    reference: str | None, award_id: int | None) -> Award | None:  # fmt: skip
        awards = list(programme.awards)
        if award_id is not None:
            return next((a for a in awards if a.id == award_id), None)
        if reference:
            return next(
                (a for a in awards if fold(a.reference) == fold(reference)), None
            )
        funder = funders[0] if funders else None
        for award in awards:
            if id(award) in self.claimed or award.reference:
                continue
            if funder is None or award.funder is funder:
                return award
        return None

    # --- obligations ---------------------------------------------------------

    def obligation_row(self, record: Record, sheet: SheetResult) -> RowResult:
        """A row of a deadline list: one obligation of a programme."""
        values = record.values
        ref = str(record.source)
        obligation = self._find_obligation(record)
        programme = obligation.programme if obligation is not None and "programme" not in values else self._programme_of(record)  # fmt: skip
        award = None
        if values.get("reference"):
            award = next((a for a in programme.awards if fold(a.reference) == fold(values["reference"])), None)  # fmt: skip
            if award is None:
                raise self.problem(record, "reference", "Diese Bewilligung (Förderkennzeichen) ist unbekannt.",
                                   "Prüfen Sie das Förderkennzeichen oder lassen Sie es leer.")  # fmt: skip
        kind: ObligationKind = values.get("obligation_kind", ObligationKind.OTHER)
        title = values.get("title") or f"{kind.value.capitalize()} {programme.label}"
        changes: list[EntityChange] = []
        if obligation is None:
            obligation = self._claim_obligation(programme, title, values["due"])
        created = obligation is None
        if obligation is None:
            obligation = Obligation(title=title, due_on=values["due"], kind=kind,
                                    origin="import", checklist=[])  # fmt: skip
            programme.obligations.append(obligation)
            self.by_title[(id(programme), fold(title))].append(obligation)
            self.created(obligation, ref)
        self.claimed.add(id(obligation))
        change = EntityChange("Frist", f"{programme.label}: {title}", created)
        changes.append(change)
        responsible = self._contact(values.get("responsible"), values.get("email"), ref, changes)  # fmt: skip
        self.set(obligation, "title", title, "Was", change, ref)
        self.set(obligation, "due_on", values["due"], "fällig am", change, ref)
        if "obligation_kind" in sheet.columns or created:
            self.set(obligation, "kind", kind, "Art", change, ref)
        if "status" in values:
            self.set(obligation, "status", values["status"], "Status", change, ref)
            self.set(obligation, "done_on", values.get("done_on"), "erledigt am", change, ref)  # fmt: skip
        elif "done" in sheet.columns:
            self.set(obligation, "status", ObligationStatus.OPEN, "Status", change, ref)
            self.set(obligation, "done_on", None, "erledigt am", change, ref)
        if responsible is not None:
            self.set(obligation, "responsible", responsible, "zuständig", change, ref)
        if "notes" in values or ("notes" in sheet.columns and "id" in values):
            self.set(
                obligation, "notes", values.get("notes"), "Bemerkungen", change, ref
            )
        if award is not None:
            self.set(obligation, "award", award, "Bewilligung", change, ref)
        if change.diffs and obligation.origin.startswith("rule:"):
            obligation.edited = True
        return _row(record, change.name, changes)

    def _find_obligation(self, record: Record) -> Obligation | None:
        if "id" not in record.values:
            return None
        found = self.obligations.get(record.values["id"])
        if found is None:
            raise self.problem(record, "id", "Diese Kennung (_id) gibt es nicht.",
                               "Lassen Sie die Spalte _id unverändert oder leer.")  # fmt: skip
        return found

    def _programme_of(self, record: Record) -> Programme:
        values = record.values
        if "key" in values:
            found = self.programmes.by_key.get(values["key"])
            if found is None:
                raise self.problem(record, "key", "Diesen Programmschlüssel gibt es nicht.",
                                   "Lassen Sie die Spalte _key unverändert.")  # fmt: skip
            return found
        if "programme" in values:
            found, suggestions = self.programmes.find(values["programme"])
            if found is None:
                hint = ("meinten Sie " + " oder ".join(f"„{s}“" for s in suggestions) + "?"
                        if suggestions else "Legen Sie das Programm zuerst an (Übersicht importieren) oder schreiben Sie seinen Namen wie in portfolio.")  # fmt: skip
                raise self.problem(record, "programme", "Dieses Programm ist nicht eindeutig bekannt.", hint)  # fmt: skip
            return found
        if self.default_programme:
            found = self.programmes.by_key.get(self.default_programme)
            if found is not None:
                return found
        raise self.problem(record, "programme", "Das Programm fehlt.",
                           "Fügen Sie eine Spalte Programm hinzu oder geben Sie --programme an.")  # fmt: skip

    def _claim_obligation(self, programme: Programme, title: str, due: Any) -> Obligation | None:  # fmt: skip
        candidates = [o for o in self.by_title.get((id(programme), fold(title)), [])
                      if id(o) not in self.claimed]  # fmt: skip
        same_day = [o for o in candidates if o.due_on == due]
        if same_day:
            return same_day[0]
        return candidates[0] if len(candidates) == 1 else None

    # --- contacts ------------------------------------------------------------

    def contact_row(self, record: Record, sheet: SheetResult) -> RowResult:  # noqa: ARG002
        """A row of a contact list."""
        values = record.values
        ref = str(record.source)
        contact = None
        if "id" in values:
            contact = next((c for c in self.contacts.by_email.values() if c.id == values["id"]), None)  # fmt: skip
        contact = contact or self.contacts.find(values.get("name"), values.get("email"))
        created = contact is None
        if contact is None:
            if not values.get("email"):
                raise self.problem(record, "email", "Ohne E-Mail-Adresse kann der Kontakt nicht angelegt werden.",
                                   "Tragen Sie die E-Mail-Adresse ein.")  # fmt: skip
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
        return _row(record, values["name"], [change])

    # --- budget --------------------------------------------------------------

    def budget_row(self, record: Record, sheet: SheetResult) -> RowResult:  # noqa: ARG002
        """A row of a budget plan: one cost category, an amount per year."""
        values = record.values
        ref = str(record.source)
        programme = self._programme_of(record)
        awards = list(programme.awards)
        if values.get("reference"):
            awards = [
                a for a in awards if fold(a.reference) == fold(values["reference"])
            ]
        if len(awards) != 1:
            why = "hat keine Bewilligung" if not awards else "hat mehrere Bewilligungen"
            raise self.problem(record, "category", f"Das Programm {programme.label} {why}.",
                               "Importieren Sie zuerst die Übersicht mit Fördersumme, oder ergänzen Sie eine Spalte Förderkennzeichen.")  # fmt: skip
        award = awards[0]
        amounts: dict[int, Decimal] = values.get("amounts", {})
        if any(a < 0 for a in amounts.values()):
            raise self.problem(record, "category", "Ein Planbetrag ist negativ.", "Tragen Sie Beträge ab 0 ein.")  # fmt: skip
        category = values["category"]
        existing = {(fold(b.category), b.year): b for b in award.budget_lines}
        changes: list[EntityChange] = []
        for year, amount in sorted(amounts.items()):
            line = existing.get((fold(category), year))
            name = f"{programme.label}: {category} {year}"
            if line is None:
                line = BudgetLine(category=category, year=year, planned=amount)
                award.budget_lines.append(line)
                self.created(line, ref)
                changes.append(EntityChange("Finanzierungsplan", name, True))
                continue
            change = EntityChange("Finanzierungsplan", name, False)
            self.set(line, "planned", amount, f"Plan {year}", change, ref)
            if change.diffs:
                changes.append(change)
        return _row(record, f"{programme.label}: {category}", changes)


def _row(record: Record, label: str, changes: list[EntityChange]) -> RowResult:
    """The row's status from its changes: new, changed or unchanged."""
    real = [c for c in changes if c.created or c.diffs]
    if any(c.created for c in real[:1]):
        status = RowStatus.NEW
    elif real:
        status = RowStatus.CHANGED
    else:
        status = RowStatus.UNCHANGED
    return RowResult(record.source, status, label, real)
