"""Obligations of awards: generate them from regimes, mark them done, move them.

``regenerate`` applies an award's regime (DESIGN §4): it adds the obligations the
rules imply (origin ``rule:<regime>``, ``rule_key`` = template id plus period),
updates those whose dates changed, and removes those the rules no longer imply —
but never touches one a person edited, submitted, finished or waived. Obligations
whose effective date lies well before the day they are first generated (history
entered after the fact) are created as done, so nobody is reminded of 2013 in 2017.
Marking an obligation done or waived cancels its pending reminders; moving its due
date cancels the reminders planned for the old date, so the next planning run plans
for the new one. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.domain.deadlines import Anchors, WorkingDays, effective, shift_note
from portfolio.domain.enums import ObligationKind, ObligationStatus, ReminderStatus
from portfolio.domain.errors import InvalidValue, NotFound
from portfolio.domain.models import Award, Obligation, Programme, Reminder
from portfolio.domain.overrides import OverrideError, validate_overrides
from portfolio.domain.periods import format_date
from portfolio.domain.regimes import (
    PlannedObligation,
    Regime,
    load_regimes,
    plan,
    unplanned,
)
from portfolio.services import clock
from portfolio.services.retention import (
    anchor_of,
    follow_verwendungsnachweis,
    planned_retention,
)

HISTORY_GRACE = timedelta(days=90)
RULE_PREFIX = "rule:"


@dataclass
class RegenerateResult:
    """What a regeneration did, for the door to report."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    kept: int = 0

    def add(self, other: RegenerateResult) -> None:
        """Sum up the results of several awards."""
        self.created += other.created
        self.updated += other.updated
        self.removed += other.removed
        self.kept += other.kept


def anchors_of(award: Award, today: date) -> Anchors:
    """The anchor dates of an award; open terms run to the end of next year."""
    return Anchors(
        bewilligung_start=award.start,
        bewilligung_end=award.end,
        zweck_erfuellt=award.zweck_erfuellt_on,
        horizon=date(today.year + 1, 12, 31),
    )


def regenerate(
    session: Session,
    award: Award,
    regimes: dict[str, Regime],
    calendar: WorkingDays,
    today: date,
) -> RegenerateResult:
    """Bring the generated obligations of one award in line with its regime."""
    result = RegenerateResult()
    existing = {
        o.rule_key: o
        for o in session.scalars(
            sa.select(Obligation).where(
                Obligation.award_id == award.id,
                Obligation.origin.like(f"{RULE_PREFIX}%"),
                # One per payment, kept by services.money, not by the templates.
                Obligation.kind != ObligationKind.MITTELVERWENDUNG,
            )
        )
    }
    planned: list[PlannedObligation] = []
    if award.regime:
        if award.regime not in regimes:
            known = ", ".join(sorted(regimes))
            raise NotFound(
                f"Bewilligung {award.reference or award.id}: Das Regelwerk "
                f"{award.regime!r} ist unbekannt; bekannt sind: {known}."
            )
        regime = regimes[award.regime]
        planned = plan(
            regime, anchors_of(award, today), calendar, checked_overrides(award, regime)
        )
        retention = planned_retention(regime, planned, existing)
        if retention is not None:
            planned.append(retention)
    for item in planned:
        current = existing.pop(item.template_id, None)
        if current is None:
            session.add(_new_obligation(award, item, today))
            result.created += 1
        elif _untouched(current):
            result.updated += _update(current, award, item)
        else:
            result.kept += 1
    for stale in existing.values():
        if _untouched(stale):
            session.delete(stale)
            result.removed += 1
        else:
            result.kept += 1
    return result


def checked_overrides(award: Award, regime: Regime | None) -> dict[str, object]:
    """The award's overrides, validated; an error names the award (never silent)."""
    try:
        return dict(validate_overrides(regime, award.overrides))
    except OverrideError as exc:
        raise OverrideError(
            f"Bewilligung {award.reference or award.id}: {exc.message}", exc.rule
        ) from exc


def award_notes(award: Award, regimes: dict[str, Regime], today: date) -> list[str]:
    """Why the award's rules yield no date ("Keine Fristen: …"), for the doors.

    Never raises: a stored override that no longer fits is itself the note.
    """
    if not award.regime or award.regime not in regimes:
        return []
    regime = regimes[award.regime]
    try:
        overrides = checked_overrides(award, regime)
    except OverrideError as exc:
        return [exc.message]
    return unplanned(regime, anchors_of(award, today), overrides)


@dataclass(frozen=True, slots=True)
class AwardNote:
    """Why one award's rules yield no date: where, and the German lines."""

    programme: str
    programme_label: str
    award: str
    lines: tuple[str, ...]


def awards_without_dates(
    session: Session,
    regimes: dict[str, Regime],
    today: date,
    programme_key: str | None = None,
) -> list[AwardNote]:
    """Every award whose rules cannot all be computed, with ``award_notes``' lines."""
    query = (
        sa.select(Award)
        .join(Award.programme)
        .where(Award.regime.is_not(None))
        .options(selectinload(Award.programme), selectinload(Award.funder))
        .order_by(Programme.key, Award.reference, Award.id)
    )
    if programme_key is not None:
        query = query.where(Programme.key == programme_key)
    notes = []
    for award in session.scalars(query):
        lines = award_notes(award, regimes, today)
        if lines:
            name = award.reference or award.funder.short_name
            notes.append(
                AwardNote(
                    award.programme.key, award.programme.label, name, tuple(lines)
                )
            )
    return notes


def _untouched(obligation: Obligation) -> bool:
    """Whether regeneration may still change a generated obligation."""
    return not obligation.edited and obligation.status is ObligationStatus.OPEN


def _fields(award: Award, item: PlannedObligation) -> dict[str, object]:
    """The column values a planned obligation implies."""
    return {
        "kind": item.kind,
        "title": item.title,
        "due_on": item.due_on,
        "due_effective": item.due_effective if item.shifted else None,
        "due_latest": item.latest,
        "basis": item.basis or None,
        "origin": f"{RULE_PREFIX}{award.regime}",
        "template_id": item.template_id.split(":", 1)[0],
        "source": item.source,
        "checklist": list(item.checklist),
    }


def _new_obligation(award: Award, item: PlannedObligation, today: date) -> Obligation:
    """A new generated obligation; history before the grace period counts as done."""
    # Old history counts as done; a retention date is never "done" by passing.
    history = (
        item.due_effective < today - HISTORY_GRACE
        and item.kind is not ObligationKind.AUFBEWAHRUNG
    )
    return Obligation(
        programme_id=award.programme_id,
        award_id=award.id,
        rule_key=item.template_id,
        status=ObligationStatus.DONE if history else ObligationStatus.OPEN,
        **_fields(award, item),
    )


def _update(obligation: Obligation, award: Award, item: PlannedObligation) -> int:
    """Update changed fields; returns 1 if anything changed."""
    changed = 0
    for name, value in _fields(award, item).items():
        if getattr(obligation, name) != value:
            setattr(obligation, name, value)
            changed = 1
    return changed


def regenerate_award(
    session: Session,
    award: Award,
    state: str = "NW",
    regimes_dir: str | Path | None = None,
) -> RegenerateResult:
    """Regenerate one award's obligations after its dates or regime changed.

    Doors and imports call this whenever they change an award's term, regime,
    overrides or Zweckerfüllung; people's edits stay as they are.
    """
    session.flush()
    day = clock.today(session)
    return regenerate(
        session, award, load_regimes(regimes_dir), WorkingDays(state), day
    )


def regenerate_all(
    session: Session,
    state: str = "NW",
    regimes_dir: str | Path | None = None,
    today: date | None = None,
) -> int:
    """Regenerate the obligations of every award; return how many were created."""
    return regenerate_awards(session, state, regimes_dir, today).created


def regenerate_awards(
    session: Session,
    state: str = "NW",
    regimes_dir: str | Path | None = None,
    today: date | None = None,
) -> RegenerateResult:
    """Regenerate the obligations of every award, with the full counts."""
    regimes = load_regimes(regimes_dir)
    calendar = WorkingDays(state)
    day = today or clock.today(session)
    total = RegenerateResult()
    for award in session.scalars(sa.select(Award).order_by(Award.id)):
        total.add(regenerate(session, award, regimes, calendar, day))
    session.flush()
    return total


def get_obligation(session: Session, obligation_id: int) -> Obligation:
    """One obligation by id, with a German error if there is none."""
    obligation = session.get(Obligation, obligation_id)
    if obligation is None:
        raise NotFound(
            f"Eine Frist mit der Nummer {obligation_id} gibt es nicht; "
            "`portfolio deadlines` zeigt die Nummern."
        )
    return obligation


def rowcount(result: sa.Result[Any]) -> int:
    """The number of rows an UPDATE/INSERT/DELETE touched."""
    return int(getattr(result, "rowcount", 0) or 0)


def cancel_pending(
    session: Session, obligation_id: int, *, except_due: date | None = None
) -> int:
    """Cancel the pending reminders of an obligation (those for another date only)."""
    query = (
        sa.update(Reminder)
        .where(
            Reminder.obligation_id == obligation_id,
            Reminder.status == ReminderStatus.PENDING,
        )
        .values(status=ReminderStatus.CANCELLED)
    )
    if except_due is not None:
        query = query.where(Reminder.due_on != except_due)
    return rowcount(session.execute(query))


def mark(
    session: Session,
    obligation_id: int,
    status: ObligationStatus = ObligationStatus.DONE,
    on: date | None = None,
) -> Obligation:
    """Mark an obligation done, submitted or waived; cancel its pending reminders."""
    if status is ObligationStatus.OPEN:
        return reopen(session, obligation_id)
    obligation = get_obligation(session, obligation_id)
    anchor = anchor_of(obligation)
    obligation.status = status
    obligation.done_on = on or clock.today(session)
    obligation.edited = True
    session.flush()
    cancel_pending(session, obligation.id)
    follow_verwendungsnachweis(session, obligation, anchor)
    return obligation


def reopen(session: Session, obligation_id: int) -> Obligation:
    """Open an obligation again (it keeps its ``edited`` mark)."""
    obligation = get_obligation(session, obligation_id)
    anchor = anchor_of(obligation)
    obligation.status = ObligationStatus.OPEN
    obligation.done_on = None
    obligation.edited = True
    session.flush()
    follow_verwendungsnachweis(session, obligation, anchor)
    return obligation


def move_due(
    session: Session,
    obligation_id: int,
    due_on: date,
    *,
    calendar: WorkingDays | None = None,
    shift: bool = False,
) -> Obligation:
    """Set a new due date (a Termin by default: not shifted) and re-plan reminders."""
    obligation = get_obligation(session, obligation_id)
    if obligation.status is not ObligationStatus.OPEN:
        raise InvalidValue(
            f"Die Frist {obligation.title!r} ist nicht mehr offen; "
            "zuerst wieder öffnen, dann verschieben."
        )
    shifted = effective(due_on, calendar, shift=shift)
    anchor = anchor_of(obligation)
    obligation.due_on = due_on
    obligation.due_effective = shifted if shifted != due_on else None
    obligation.basis = "Von Hand verschoben." + (
        f" {shift_note(due_on, shifted, calendar)}"
        if calendar is not None and shifted != due_on
        else ""
    )
    obligation.edited = True
    session.flush()
    cancel_pending(session, obligation.id, except_due=due_on)
    follow_verwendungsnachweis(session, obligation, anchor)
    return obligation


def describe_due(obligation: Obligation) -> str:
    """Both dates when they differ: "02.05.2017 (berechnet 30.04.2017)"."""
    if obligation.due_effective and obligation.due_effective != obligation.due_on:
        return (
            f"{format_date(obligation.due_effective)} "
            f"(berechnet {format_date(obligation.due_on)})"
        )
    return format_date(obligation.due_on)
