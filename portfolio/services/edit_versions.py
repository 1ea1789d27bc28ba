"""Record an Änderungsbescheid of an award, list its Bescheide, delete one.

The award's own amount, term and Finanzierungsplan are those of its latest Bescheid;
each ``AwardVersion`` keeps what one Bescheid said (``domain.award_versions``). To
record an Änderungsbescheid, ``record`` first keeps the current state as a version
(the Erstbescheid, dated as the award's "Datum des Bescheids" or as typed, when
there is none yet;
otherwise it refreshes the latest one, since the plan may have been corrected since),
then adds the new Bescheid with its date, Aktenzeichen, amount and term and sets
them on the award, so its rule deadlines follow the new term as the award form does.
The plan of the new Bescheid is then edited in the plan form. Web form and API call
the same functions; services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy.orm import Session

from portfolio.domain.errors import NotFound
from portfolio.domain.models import Award, AwardVersion
from portfolio.domain.money import format_money
from portfolio.domain.periods import format_date
from portfolio.services import edit_awards
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    GermanDate,
    LongText,
    Max,
    Money,
    OptText,
    check,
    raise_if,
)
from portfolio.services.edit_undo import delete_row
from portfolio.services.import_apply import RuleSettings
from portfolio.services.money import sync_award

CENT = Decimal("0.01")


class AmendmentIn(EditModel):
    """An Änderungsbescheid as typed: its date and Aktenzeichen, new amount and term."""

    issued_on: Annotated[GermanDate, Field(None, title="Datum des Änderungsbescheids")]
    reference: Annotated[OptText, Field(None, title="Aktenzeichen"), Max(120)]
    amount: Annotated[Money, Field(None, title="Bewilligter Betrag (neu)")]
    start: Annotated[GermanDate, Field(None, title="Bewilligungszeitraum von")]
    end: Annotated[GermanDate, Field(None, title="Bewilligungszeitraum bis")]
    note: Annotated[LongText, Field(None, title="Bemerkung"), Max(2000)]
    # Only while no Bescheid is recorded yet: the date the current one was issued.
    previous_on: Annotated[
        GermanDate, Field(None, title="Datum des bisherigen Bescheids")
    ]


@dataclass(frozen=True, slots=True)
class Bescheid:
    """One line of an award's list of Bescheide."""

    id: int
    title: str  # Erstbescheid / 1. Änderungsbescheid
    issued_on: date
    reference: str
    amount: Decimal | None
    start: date | None
    end: date | None
    note: str | None
    in_force: bool  # the latest: the award's own values


def get(session: Session, version_id: int) -> AwardVersion:
    """One Bescheid by id, with a German error if there is none."""
    found = session.get(AwardVersion, version_id) if 0 < version_id < 2**31 else None
    if found is None:
        raise NotFound(f"Einen Bescheid mit der Nummer {version_id} gibt es nicht.")
    return found


def proposal(award: Award) -> AmendmentIn:
    """The form's first values: the award's current amount and term."""
    return AmendmentIn.model_validate(
        {
            "amount": award.amount,
            "start": award.start,
            "end": award.end,
            "previous_on": None if award.versions else award.awarded_on,
        }
    )


def bescheide(award: Award) -> list[Bescheid]:
    """The award's Bescheide in order: Erstbescheid, 1. and 2. Änderungsbescheid."""
    ordered = sorted(award.versions, key=lambda v: (v.issued_on, v.id or 0))
    return [
        Bescheid(
            id=v.id,
            title="Erstbescheid" if n == 0 else f"{n}. Änderungsbescheid",
            issued_on=v.issued_on,
            reference=v.reference,
            amount=v.amount,
            start=v.start,
            end=v.end,
            note=v.note,
            in_force=n == len(ordered) - 1,
        )
        for n, v in enumerate(ordered)
    ]


def _plan(award: Award) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The award's current plan as a Bescheid keeps it (as the JSON export writes)."""
    budget = [
        {
            "category": b.category,
            "year": b.year,
            "planned": str(b.planned.quantize(CENT)),
        }
        for b in sorted(award.budget_lines, key=lambda b: (b.year, b.category))
    ]
    income = [
        {"kind": i.kind.value, "year": i.year, "planned": str(i.planned.quantize(CENT))}
        for i in sorted(award.income_lines, key=lambda i: (i.year, i.kind.value))
    ]
    return budget, income


def _latest(award: Award) -> AwardVersion | None:
    ordered = sorted(award.versions, key=lambda v: (v.issued_on, v.id or 0))
    return ordered[-1] if ordered else None


def _first_date(award: Award, data: AmendmentIn) -> date | None:
    """The date of the Bescheid in force before any version is recorded."""
    return data.previous_on or award.awarded_on


def _check(award: Award, data: AmendmentIn) -> None:
    errors: dict[str, str] = {}
    latest = _latest(award)
    before = latest.issued_on if latest else _first_date(award, data)
    check(errors, "issued_on", data.issued_on is not None, "Bitte das Datum angeben.")
    check(
        errors,
        "previous_on",
        before is not None,
        "Bitte das Datum des bisherigen Bescheids angeben (er bleibt als "
        "Erstbescheid erhalten).",
    )
    if data.issued_on and before:
        check(
            errors,
            "issued_on",
            data.issued_on >= before,
            f"Der Änderungsbescheid kann nicht vor dem bisherigen Bescheid vom "
            f"{format_date(before)} ergangen sein.",
        )
    if data.issued_on and latest:
        check(
            errors,
            "reference",
            (data.issued_on, data.reference or "")
            != (latest.issued_on, latest.reference),
            "Diesen Bescheid (gleiches Datum, gleiches Aktenzeichen) gibt es schon.",
        )
    start, end = data.start or award.start, data.end or award.end
    if start and end:
        check(
            errors,
            "end",
            end >= start,
            f"Das Ende liegt vor dem Beginn ({format_date(start)}).",
        )
    raise_if(errors, AmendmentIn)


def _keep(version: AwardVersion, award: Award) -> None:
    """Let a version hold the award's current amount, term and plan."""
    version.amount, version.start, version.end = award.amount, award.start, award.end
    version.budget, version.income = _plan(award)


def record(
    session: Session,
    award_id: int,
    data: AmendmentIn,
    rules: RuleSettings | None = None,
) -> AwardVersion:
    """Keep the current Bescheid as a version and put the Änderungsbescheid in force."""
    award = edit_awards.get(session, award_id)
    _check(award, data)
    # The award form's checks run last (edit_awards.update): should they refuse,
    # the savepoint takes back the versions too, so a form shown again with the
    # messages has written nothing.
    with session.begin_nested():
        return _amend(session, award, data, rules)


def _amend(
    session: Session,
    award: Award,
    data: AmendmentIn,
    rules: RuleSettings | None,
) -> AwardVersion:
    """Keep the current state, add the new Bescheid, set it on the award."""
    assert data.issued_on is not None
    budget, income = _plan(award)  # loads the lines before anything is added
    latest = _latest(award)
    if latest is None:
        first = _first_date(award, data)
        assert first is not None
        latest = AwardVersion(issued_on=first, reference=award.reference or "")
        _keep(latest, award)
        award.versions.append(latest)
    else:
        _keep(latest, award)
    version = AwardVersion(
        issued_on=data.issued_on,
        reference=data.reference or "",
        # A Bescheid always has an amount and a term: left empty, they stay.
        amount=award.amount if data.amount is None else data.amount,
        start=data.start or award.start,
        end=data.end or award.end,
        budget=budget,
        income=income,
        note=data.note,
    )
    award.versions.append(version)
    session.flush()
    # The award form's path: checks the term, regenerates the rule deadlines.
    changed = edit_awards.as_input(award)
    changed.amount, changed.start, changed.end = (
        version.amount,
        version.start,
        version.end,
    )
    edit_awards.update(session, award.id, changed, rules)
    rules = rules or RuleSettings()
    sync_award(session, award, rules.state, rules.regimes_dir)
    return version


def delete_preview(session: Session, version_id: int) -> list[str]:
    """What deleting a Bescheid means (the award's own values stay)."""
    version = get(session, version_id)
    lines = [
        f"Bescheid vom {format_date(version.issued_on)}"
        f"{f' ({version.reference})' if version.reference else ''} über "
        f"{format_money(version.amount) if version.amount is not None else '–'}."
    ]
    if version is _latest(version.award):
        lines.append(
            "Betrag, Bewilligungszeitraum und Finanzierungsplan der Bewilligung "
            "bleiben, wie sie sind."
        )
    return lines


def delete(session: Session, version_id: int) -> Deleted:
    """Delete one Bescheid of an award (undoable from the change log)."""
    version = get(session, version_id)
    summary = (
        f"Bescheid vom {format_date(version.issued_on)}"
        f"{f' ({version.reference})' if version.reference else ''} gelöscht."
    )
    award = version.award
    change = delete_row(session, version)
    session.refresh(award, ["versions"])
    return Deleted(summary, [], change)
