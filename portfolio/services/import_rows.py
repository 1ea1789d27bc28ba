"""Turn one imported record into changes of ORM objects, field by field.

The ``RowPlanner`` first resolves everything a row needs (its programme, funders,
award, contact) and rejects the row with a reason and a hint if something does not
fit; only then does it create or change objects, recording every field it changes
(old → new) so the preview shows exactly what the flush will write. It never flushes
or queries per row: all stored rows were loaded once into indexes.

Identification: a hidden ``_id`` column (the row's own database id) or ``_key``
(the programme key) written by the portfolio workbook export identifies a row
exactly; then an empty cell clears a field that may be empty (texts, the person;
see ``CLEARABLE``). Without them, rows are matched by name and reference, and empty
cells leave stored values alone.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any, cast

from portfolio.domain.enums import (
    ApplicationStatus,
    FunderKind,
    ObligationKind,
    ObligationStatus,
    ProgrammeStatus,
)
from portfolio.domain.models import (
    Application,
    Award,
    Funder,
    Funding,
    Phase,
    Programme,
)
from portfolio.domain.money import format_money
from portfolio.domain.periods import (
    Period,
    add_months,
    format_date,
    format_period,
    month_end,
)
from portfolio.domain.records import FunderRef, Record, SheetResult
from portfolio.services.import_match import (
    fold,
)
from portfolio.services.import_new import (
    NewApplication,
    NewAward,
    NewFunding,
    NewPhase,
    NewProgramme,
)
from portfolio.services.import_planner import PlannerBase, row_result
from portfolio.services.import_result import (
    EntityChange,
    FieldDiff,
    RowResult,
)

PROGRAMME_FIELDS = {
    "short_name": "Kurzname",
    "status": "Status",
    "notes": "Bemerkungen",
    "field_of_action": "Handlungsfeld",
    "description": "Beschreibung",
}
CLEARABLE = {"short_name", "notes", "field_of_action", "description"}
AWARD = "Bewilligung"
REPORT_TITLE = "Verwendungsnachweis"
APPLICATION = "Antrag"
# A row whose status says the money is not (yet) granted records an application
# (the reader sets ``application_status``; these are for records made elsewhere).
APPLICATION_STATUS = {
    ProgrammeStatus.IDEA: ApplicationStatus.DRAFT,
    ProgrammeStatus.APPLYING: ApplicationStatus.SUBMITTED,
    ProgrammeStatus.REJECTED: ApplicationStatus.REJECTED,
}


def _award_details(amount: Decimal | None, start: date | None, end: date | None) -> str:
    """What a new award will be: its amount and term."""
    parts = []
    if amount is not None:
        parts.append(format_money(amount))
    if start is not None and end is not None:
        parts.append(f"{format_date(start)} – {format_date(end)}")
    return ", ".join(parts)


def _phase_name(label: str, period: Period) -> str:
    """A new phase as the preview names it: its programme and term."""
    return f"{label}: {format_period(period)}"


def _application_status(values: dict[str, Any]) -> ApplicationStatus | None:
    """The Antrag status a row's status word gives, if it speaks of one."""
    if "application_status" in values:
        return values["application_status"]  # type: ignore[no-any-return]
    return APPLICATION_STATUS.get(values.get("status"))  # type: ignore[arg-type]


def _is_application(values: dict[str, Any]) -> bool:
    """Whether the row's money is applied for, not awarded (and names no award)."""
    return _application_status(values) is not None and not values.get("award_id")


def _new_application_fields(
    values: dict[str, Any],
    application: Application,
    status: ApplicationStatus | None,
) -> None:
    """A new Antrag's reference, sums and status: nothing to compare or show.

    As for a new award (``_new_award_fields``): what ``set`` would do, without
    its work.
    """
    if (reference := values.get("reference")) is not None:
        application.reference = reference
    if (amount := values.get("amount")) is not None:
        application.requested = amount
    if (own := values.get("own_contribution")) is not None:
        application.own_contribution = own
    if status is not None:
        application.status = status


class ProgrammeRows(PlannerBase):
    """Rows of a programme overview: programme, funders, phase, award."""

    # --- programmes ----------------------------------------------------------

    def programme_row(self, record: Record, sheet: SheetResult) -> RowResult:
        """A row of a programme overview: programme, funders, phase, award."""
        values = record.values
        get = values.get  # a big overview asks every row for a dozen fields
        ref = str(record.source)
        exact = "id" in values or "key" in values
        programme = self._find_programme(record, exact=exact)
        funders = get("funders") or []
        # A workbook row bound to an award (hidden ``_award``) carries its term in
        # "Laufzeit", so the award is updated even when no amount is filled in.
        wants_award = (
            get("amount") is not None
            or get("own_contribution") is not None
            or get("reference") is not None
            or get("award_id") is not None
        )
        # ``_is_application``, written out
        applies = (
            wants_award
            and _application_status(values) is not None
            and not get("award_id")
        )
        self._check_programme_row(
            record, programme, wants_award=wants_award, exact=exact, applies=applies
        )
        self.check_names(record, "contact")
        label = get("short_name") or values["name"]
        created = programme is None
        if programme is None:
            programme = self._new_programme(record, label, ref, exact=exact)
        change = EntityChange(
            "Programm", programme.label if not created else label, created
        )
        # The programme's change leads the row's changes; it is put in front
        # at the end, when it is new or changed (a later row of a programme
        # mostly adds an award only).
        changes: list[EntityChange] = []
        first = self._programme_fields(
            record, sheet, programme, change, ref, exact=exact
        )
        lead = self._contact(get("contact"), get("email"), ref, changes)
        if lead is not None and first:
            self.set(programme, "lead", lead, "Ansprechperson", change, ref)
        elif lead is None and first and self._emptied(record, sheet, "contact"):
            self.set(programme, "lead", None, "Ansprechperson", change, ref)
        funder_rows = []
        for f in funders:
            funder_rows.append(self._funder(f, ref, changes))
        for funder in funder_rows:
            self._funding(programme, funder, ref, changes)
        phase = self._phase(programme, get("period"), get("phase"), ref, changes)
        award = None
        if applies:
            self._application(record, programme, funder_rows, phase, ref, changes)
        elif wants_award:
            award = self._award(record, programme, funder_rows, phase, ref, changes)
        if get("report_open"):
            self._report_open(record, programme, award, changes)
        # New when nothing of the row was stored before: its programme, or an
        # award (application) of a programme this import creates; a row that adds
        # to a stored programme changed it.
        new = created
        if not new and programme.id is None:
            for c in changes:
                if c.created and c.entity in (AWARD, APPLICATION):
                    new = True
                    break
        if created or change.diffs:
            changes.insert(0, change)
        return row_result(record, label, changes, new=new)

    def _check_programme_row(
        self,
        record: Record,
        programme: Programme | None,
        *,
        wants_award: bool,
        exact: bool,
        applies: bool,
    ) -> None:
        """Reject a repeated row, a negative amount, an amount no award can take.

        ``exact``: the row has ``_id`` or ``_key``; ``applies``: it records an
        application (``_is_application``), as the caller found.
        """
        values = record.values
        if (earlier := self.duplicate_of(record)) is not None:
            raise self.problem(
                record,
                "name",
                f"Die Zeile wiederholt Zeile {earlier} Wert für Wert.",
                "Löschen Sie die doppelte Zeile; sind es zwei Bewilligungen, "
                "unterscheiden Sie sie mit dem Förderkennzeichen.",
            )
        for name in ("amount", "own_contribution"):
            value = values.get(name)
            if value is not None and value < 0:
                raise self.problem(
                    record,
                    name,
                    "Der Betrag ist negativ.",
                    "Tragen Sie einen Betrag ab 0 ein.",
                )
        has_awards = programme is not None and bool(programme.awards)
        if wants_award and exact and values.get("award_id") is None and has_awards:
            # The workbook leaves Fördersumme empty when the row cannot stand
            # for one award; a typed amount would create another award.
            raise self.problem(
                record,
                "amount" if values.get("amount") is not None else "own_contribution",
                "Das Programm hat schon eine Bewilligung, deren Laufzeit nicht die "
                "der Zeile ist (oder mehrere): der Betrag lässt sich keiner "
                "zuordnen.",
                "Ändern Sie Beträge in portfolio auf der Programmseite, oder "
                "lassen Sie die Zelle leer.",
            )
        if wants_award and not values.get("funders") and not has_awards and not applies:
            raise self.problem(
                record,
                "funders",
                "Für die Bewilligung fehlt der Fördergeber.",
                "Tragen Sie in der Spalte Fördergeber ein, wer fördert.",
            )

    def _new_programme(
        self, record: Record, label: str, ref: str, *, exact: bool
    ) -> Programme:
        values = record.values
        if not exact and (
            similar := self.programmes.suggest(values["name"], 1, stored=True)
        ):
            self.similar.append((record.source.row or 0, values["name"], similar[0]))
        key = values.get("key") or self.programmes.unique_key(label)
        programme: Programme
        if self.plain_new:
            new = NewProgramme(key=key, name=values["name"], tags=[], where=ref)
            self.fresh.programmes.append(new)
            programme = cast(Programme, new)  # the row handlers read either alike
        else:
            programme = Programme(key=key, name=values["name"], tags=[])
            self.session.add(programme)
        if "status" in values:
            programme.status = values["status"]
        self.programmes.add(programme)
        if not self.plain_new:
            self.created(programme, ref)
        return programme

    def _programme_fields(
        self,
        record: Record,
        sheet: SheetResult,
        programme: Programme,
        change: EntityChange,
        ref: str,
        *,
        exact: bool,
    ) -> bool:
        """Programme fields from its first row; the status from its latest term.

        Returns whether this is the programme's first row in the sheet.
        ``exact``: the row has ``_id`` or ``_key``.
        """
        values = record.values
        seen = self.seen
        first = id(programme) not in seen
        if first:
            seen.add(id(programme))
        if exact and first:
            self.set(programme, "name", values["name"], "Name", change, ref)
        if not first:
            # A later row sets only the status, if it is the row of the latest term.
            if "status" not in values:
                return first
            sets_status = self.status_rows.get(fold(str(values["name"])))
            if sets_status == record.source.row:
                german = PROGRAMME_FIELDS["status"]
                self.set(programme, "status", values["status"], german, change, ref)
            return first
        sets_status = self.status_rows.get(fold(str(values["name"])))
        for name, german in PROGRAMME_FIELDS.items():
            if name == "status" and sets_status not in {None, record.source.row}:
                continue  # another row of this programme has its latest term
            if name in values:
                self.set(programme, name, values[name], german, change, ref)
            elif exact and name in sheet.columns and name in CLEARABLE:
                self.set(programme, name, None, german, change, ref)
        return first

    def _emptied(self, record: Record, sheet: SheetResult, name: str) -> bool:
        """Whether a keyed row (exported workbook) has this column, left empty."""
        values = record.values
        return (
            ("id" in values or "key" in values)
            and name in sheet.columns
            and name not in values
            and "email" not in values
        )

    def _find_programme(self, record: Record, *, exact: bool) -> Programme | None:
        values = record.values
        if not exact:  # most rows: by name
            found = self.programmes.exact(values["name"])
            if found is None and values.get("short_name"):
                found = self.programmes.exact(values["short_name"])
            return found
        if "id" in values:
            found = self.programmes.by_id.get(values["id"])
            if found is None:
                raise self.problem(
                    record,
                    "id",
                    "Diese Kennung (_id) gibt es nicht.",
                    "Lassen Sie die Spalte _id unverändert oder leer.",
                )
            return found
        return self.programmes.by_key.get(values["key"])

    def _funder(self, ref_: FunderRef, ref: str, changes: list[EntityChange]) -> Funder:
        funder = self.funders.find(ref_.name)
        if funder is not None and ref_.name in self.funders.recognised:
            self.recognise(ref_.name, funder.name)
        if funder is None:
            funder = Funder(
                short_name=ref_.name[:120],
                name=ref_.name,
                kind=ref_.kind or FunderKind.OTHER,
            )
            self.session.add(funder)
            self.funders.add(funder)
            self.created(funder, ref)
            changes.append(EntityChange("Fördergeber", funder.short_name, True))
        return funder

    def _funding(
        self,
        programme: Programme,
        funder: Funder,
        ref: str,
        changes: list[EntityChange],
    ) -> None:
        for funding_ in programme.fundings:
            if funding_.funder is funder:
                return
        funding: Funding | NewFunding
        if isinstance(programme, NewProgramme):
            # A plain new row carries its source cell (``created``) from the start.
            funding = NewFunding(programme=programme, funder=funder, where=ref)
            self.fresh.fundings.append(funding)
        else:
            funding = Funding(funder=funder)
            self.created(funding, ref)
        programme.fundings.append(funding)
        changes.append(
            EntityChange(
                "Finanzierung", f"{programme.label} ← {funder.short_name}", True
            )
        )

    def _phase(
        self,
        programme: Programme,
        period: Period | None,
        name: str | None,
        ref: str,
        changes: list[EntityChange],
    ) -> Phase | None:
        if period is None:
            return None
        # Rows with the same start share a phase (two awards of one term); the
        # only phase is moved to another term only by the first row that names
        # it: Phase I and Phase II in two rows are two phases, never one moved
        # back and forth.
        phases = programme.phases
        start = period.start
        claimed = self.claimed
        phase = None
        for p in phases:  # the first of the same start (and name)
            if p.start == start and (name is None or p.name == name):
                phase = p
                break
        else:
            if name is None and len(phases) == 1 and id(phases[0]) not in claimed:
                phase = phases[0]  # the only phase, not yet set by this sheet
        if phase is not None and id(phase) in claimed:
            return phase  # an earlier row of this sheet set its term
        if phase is None:
            if isinstance(programme, NewProgramme):
                phase = NewPhase(
                    programme=programme,
                    where=ref,
                    name=name or "",
                    start=start,
                    end=period.end,
                    precision=period.precision,
                )
                self.fresh.phases.append(phase)
            else:
                phase = Phase(
                    name=name or "",
                    start=start,
                    end=period.end,
                    precision=period.precision,
                )
                self.created(phase, ref)
            phases.append(phase)
            claimed.add(id(phase))
            # Named when shown (``Later``): the label and term as they are now.
            named = partial(_phase_name, programme.label, period)
            changes.append(EntityChange("Phase", named, True))
            return phase
        self.claimed.add(id(phase))
        old = format_period(phase.period)
        changed = False
        for attr, value in (
            ("start", period.start),
            ("end", period.end),
            ("precision", period.precision),
        ):
            if getattr(phase, attr) != value:
                setattr(phase, attr, value)
                changed = True
        if changed:
            self.touched[id(phase)] = (phase, ref)
            change = EntityChange("Phase", f"{programme.label}: {old}", False)
            change.add(FieldDiff("Laufzeit", old, format_period(period)))
            changes.append(change)
        return phase

    def _application(  # noqa: PLR0917 - the parts of one row
        self,
        record: Record,
        programme: Programme,
        funders: list[Funder],
        phase: Phase | None,
        ref: str,
        changes: list[EntityChange],
    ) -> None:
        """A row of a programme applied for (or refused): an Antrag, not an award.

        Its amount is the sum requested; counting it as awarded money would
        overstate the portfolio.
        """
        values = record.values
        reference = values.get("reference")
        funder = funders[0] if funders else None
        application = (
            self._find_application(programme, funder, reference)
            if programme.applications  # else none to find (a new programme's)
            else None
        )
        created = application is None
        if application is None:
            if isinstance(programme, NewProgramme):
                application = NewApplication(
                    programme=programme, funder=funder, reference=reference, where=ref
                )
                self.fresh.applications.append(application)
            else:
                application = Application(funder=funder, reference=reference)
                self.created(application, ref)
            programme.applications.append(application)
        self.claimed.add(id(application))
        change = EntityChange(
            APPLICATION, f"{programme.label} {reference or ''}".strip(), created
        )
        status = _application_status(values)
        if created:
            _new_application_fields(values, application, status)
        else:
            for attr, value, german in (
                ("reference", reference, "Aktenzeichen"),
                ("requested", values.get("amount"), "beantragte Summe"),
                ("own_contribution", values.get("own_contribution"), "Eigenanteil"),
                ("status", status, "Status des Antrags"),
            ):
                if value is not None:
                    self.set(application, attr, value, german, change, ref)
        if phase is not None and application.phase is None:
            application.phase = phase
        if created or change.diffs:
            changes.append(change)

    def _find_application(
        self, programme: Programme, funder: Funder | None, reference: str | None
    ) -> Application | None:
        """The application a row means: by reference, else by funder (unclaimed)."""
        if not programme.applications:
            return None
        wanted = fold(reference)
        for application in programme.applications:
            if id(application) in self.claimed:
                continue
            if reference:
                if fold(application.reference) == wanted:
                    return application
            elif funder is None or application.funder is funder:
                return application
        return None

    def _approve_application(
        self, programme: Programme, award: Award, ref: str, changes: list[EntityChange]
    ) -> None:
        """A new award of a funder settles that funder's pending application."""
        for application in programme.applications:
            if (
                application.status is ApplicationStatus.SUBMITTED
                and application.funder is award.funder
                and id(application) not in self.claimed  # not a row of this sheet
            ):
                name = f"{programme.label} {application.reference or ''}".strip()
                change = EntityChange(APPLICATION, name, False)
                self.set(
                    application,
                    "status",
                    ApplicationStatus.APPROVED,
                    "Status des Antrags",
                    change,
                    ref,
                )
                changes.append(change)

    def _award(  # noqa: PLR0917 - the parts of one row
        self,
        record: Record,
        programme: Programme,
        funders: list[Funder],
        phase: Phase | None,
        ref: str,
        changes: list[EntityChange],
    ) -> Award:
        values = record.values
        reference = values.get("reference")
        award = self._find_award(programme, funders, reference, values.get("award_id"))
        created = award is None
        if award is None:
            if isinstance(programme, NewProgramme):
                award = NewAward(
                    programme=programme,
                    funder=funders[0],
                    reference=reference,
                    where=ref,
                )
                self.fresh.awards.append(award)
            else:
                award = Award(funder=funders[0], reference=reference)
                self.created(award, ref)
            programme.awards.append(award)
            if programme.applications:  # else none to settle
                self._approve_application(programme, award, ref, changes)
        self.claimed.add(id(award))
        name = f"{programme.label} {reference or ''}".strip()
        change = EntityChange(AWARD, name, created)
        if created:
            self._new_award_fields(values, award)
        else:
            self._award_fields(record, award, change, ref)
        if phase is not None and award.phase is None:
            award.phase = phase
        if created:
            # Written when shown (``Later``), of the values the award has now.
            change.details = partial(
                _award_details, award.amount, award.start, award.end
            )
        if created or change.diffs:
            changes.append(change)
        return award

    @staticmethod
    def _new_award_fields(values: dict[str, Any], award: Award) -> None:
        """A new award's reference, amounts and term, as ``_award_fields`` sets them.

        Nothing to compare or show, and ``created`` stamped its source cell
        already: what ``set`` would do, without its work.
        """
        if (reference := values.get("reference")) is not None:
            award.reference = reference
        if (amount := values.get("amount")) is not None:
            award.amount = amount
        if (own := values.get("own_contribution")) is not None:
            award.own_contribution = own
        period: Period | None = values.get("period")
        if period is not None:
            if period.start is not None:
                award.start = period.start
            if period.end is not None:
                award.end = period.end

    def _award_fields(
        self, record: Record, award: Award, change: EntityChange, ref: str
    ) -> None:
        """The row's reference, amounts and term on a stored (or earlier) award."""
        values = record.values
        period: Period | None = values.get("period")
        fields: list[tuple[str, Any, str]] = [
            ("reference", values.get("reference"), "Förderkennzeichen"),
            ("amount", values.get("amount"), "Fördersumme"),
            ("own_contribution", values.get("own_contribution"), "Eigenanteil"),
        ]
        if period is not None:
            fields += [("start", period.start, "Beginn"), ("end", period.end, "Ende")]
        for attr, value, german in fields:
            if value is not None or (attr in record.columns and "id" in values):
                self.set(award, attr, value, german, change, ref)

    def _report_open(
        self,
        record: Record,
        programme: Programme,
        award: Award | None,
        changes: list[EntityChange],
    ) -> None:
        """An open Verwendungsnachweis deadline for "Verwendungsnachweis offen".

        Due at the end of the sixth month after the term (Nr. 6.1 ANBest-P); a
        row without an end names no date, so no deadline is made up.
        """
        period: Period | None = record.values.get("period")
        end = period.end if period is not None else (award.end if award else None)
        if end is None or self._has_open_report(programme):
            return
        due = add_months(end, 6)
        due = month_end(due.year, due.month)
        slot = (self.programme_id(programme), fold(REPORT_TITLE))
        label = self.label_of(programme)
        target = self._new_obligation(
            programme,
            slot,
            REPORT_TITLE,
            due,
            ObligationKind.VERWENDUNGSNACHWEIS,
            record.source,
        )
        if award is not None:
            target.award = award
        self.claim(target)
        self.open_reports.add(id(programme))
        change = EntityChange("Frist", f"{label}: {REPORT_TITLE}", True)
        change.add(FieldDiff("fällig am", "", format_date(due)))
        changes.append(change)

    def _has_open_report(self, programme: Programme) -> bool:
        """Whether the programme has an open Verwendungsnachweis already.

        The stored ones are gathered once per run (a list repeats programmes).
        """
        if self.open_reports_of is None:
            self.open_reports_of = {
                slot[0]
                for slot, items in self.by_title.items()
                for o in items
                if o.kind is ObligationKind.VERWENDUNGSNACHWEIS
                and o.status is ObligationStatus.OPEN
            }
        key = self.programme_id(programme)
        return key in self.open_reports_of or id(programme) in self.open_reports

    def _find_award(
        self,
        programme: Programme,
        funders: list[Funder],
        reference: str | None,
        award_id: int | None,
    ) -> Award | None:
        awards = programme.awards
        if not awards:
            return None  # a new programme's first row: nothing to fold and compare
        if award_id is not None:
            return next((a for a in awards if a.id == award_id), None)
        if reference:
            wanted = fold(reference)
            for award in awards:
                if fold(award.reference) == wanted:
                    return award
            return None
        funder = funders[0] if funders else None
        claimed = self.claimed
        for award in awards:
            if id(award) in claimed or award.reference:
                continue
            if funder is None or award.funder is funder:
                return award
        return None
