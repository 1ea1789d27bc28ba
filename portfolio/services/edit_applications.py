"""Create, change and delete applications (Anträge): the pipeline and its deadline.

The pipeline runs Idee → in Vorbereitung → eingereicht → bewilligt / teilweise
bewilligt / abgelehnt / zurückgezogen. The call's deadline is a deadline like any
other (kind „Antrag“, reminded like the rest): it is added with the application,
moves with it (its planned reminders for the old date are cancelled), is marked
submitted once the application is, and goes with it. An approved application becomes
an award in one step (``edit_awards.from_application``). Services never commit.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from portfolio.domain.enums import ApplicationStatus, ObligationKind, ObligationStatus
from portfolio.domain.errors import NotFound
from portfolio.domain.models import Application, Award, Funder, Obligation, Phase
from portfolio.domain.periods import format_date
from portfolio.services import clock
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    GermanDate,
    Max,
    Money,
    OptText,
    Ref,
    check,
    raise_if,
)
from portfolio.services.edit_programmes import get as get_programme
from portfolio.services.edit_undo import delete_row
from portfolio.services.obligations import cancel_pending

DONE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.APPROVED,
    ApplicationStatus.PARTLY_APPROVED,
    ApplicationStatus.REJECTED,
)
DECIDED = (
    ApplicationStatus.APPROVED,
    ApplicationStatus.PARTLY_APPROVED,
    ApplicationStatus.REJECTED,
)


class ApplicationIn(EditModel):
    """An application as typed: status, funder, call deadline, sums."""

    status: Annotated[ApplicationStatus, Field(ApplicationStatus.DRAFT, title="Stand")]
    funder_id: Annotated[Ref, Field(None, title="Fördergeber")]
    phase_id: Annotated[Ref, Field(None, title="Phase")]
    reference: Annotated[OptText, Field(None, title="Aufruf / Aktenzeichen"), Max(120)]
    deadline: Annotated[GermanDate, Field(None, title="Einreichungsfrist")]
    submitted_on: Annotated[GermanDate, Field(None, title="Eingereicht am")]
    requested: Annotated[Money, Field(None, title="Beantragter Betrag")]
    own_contribution: Annotated[Money, Field(None, title="Eigenanteil")]
    decided_on: Annotated[GermanDate, Field(None, title="Entschieden am")]


def get(session: Session, application_id: int) -> Application:
    """One application by id, with a German error if there is none."""
    found = (
        session.get(Application, application_id) if 0 < application_id < 2**31 else None
    )
    if found is None:
        raise NotFound(f"Einen Antrag mit der Nummer {application_id} gibt es nicht.")
    return found


def as_input(application: Application) -> ApplicationIn:
    """The stored application as input (to fill the edit form)."""
    return ApplicationIn.model_validate(
        {name: getattr(application, name) for name in ApplicationIn.model_fields}
    )


def _check(session: Session, data: ApplicationIn, programme_id: int) -> None:
    errors: dict[str, str] = {}
    if data.funder_id is not None:
        check(
            errors,
            "funder_id",
            session.get(Funder, data.funder_id) is not None,
            "Diesen Fördergeber gibt es nicht.",
        )
    if data.phase_id is not None:
        phase = session.get(Phase, data.phase_id)
        check(
            errors,
            "phase_id",
            phase is not None and phase.programme_id == programme_id,
            "Diese Phase gehört nicht zu diesem Programm.",
        )
    if data.status in DONE:
        check(
            errors,
            "submitted_on",
            data.submitted_on is not None,
            "Ein eingereichter Antrag braucht das Datum der Einreichung.",
        )
    if data.status in DECIDED:
        check(
            errors,
            "decided_on",
            data.decided_on is not None,
            "Bitte das Datum der Entscheidung angeben.",
        )
    if data.submitted_on and data.decided_on:
        check(
            errors,
            "decided_on",
            data.decided_on >= data.submitted_on,
            "Die Entscheidung liegt vor der Einreichung "
            f"({format_date(data.submitted_on)}).",
        )
    raise_if(errors, ApplicationIn)


def _key(application: Application) -> str:
    return f"antrag:{application.id}"


def deadline_of(session: Session, application: Application) -> Obligation | None:
    """The deadline that reminds of the application's call."""
    return session.scalar(
        sa.select(Obligation).where(
            Obligation.programme_id == application.programme_id,
            Obligation.award_id.is_(None),
            Obligation.rule_key == _key(application),
        )
    )


def _sync_deadline(session: Session, application: Application) -> None:
    """Keep the call's deadline in line with the application."""
    obligation = deadline_of(session, application)
    if application.deadline is None:
        if obligation is not None and obligation.is_open:
            session.delete(obligation)
        return
    title = f"Antrag einreichen: {application.reference or application.programme.label}"
    if obligation is None:
        obligation = Obligation(
            programme_id=application.programme_id,
            kind=ObligationKind.APPLICATION,
            title=title[:300],
            due_on=application.deadline,
            origin="manual",
            rule_key=_key(application),
            checklist=[],
        )
        session.add(obligation)
    elif obligation.is_open and obligation.due_on != application.deadline:
        obligation.due_on = application.deadline
        obligation.due_effective = None
        session.flush()
        cancel_pending(session, obligation.id, except_due=application.deadline)
    if application.status in DONE and obligation.is_open:
        obligation.status = ObligationStatus.SUBMITTED
        obligation.done_on = application.submitted_on or clock.today(session)
        session.flush()
        cancel_pending(session, obligation.id)
    elif application.status is ApplicationStatus.WITHDRAWN and obligation.is_open:
        obligation.status = ObligationStatus.WAIVED
        obligation.done_on = clock.today(session)
        session.flush()
        cancel_pending(session, obligation.id)
    session.flush()


def _apply(application: Application, data: ApplicationIn) -> None:
    for name in ApplicationIn.model_fields:
        setattr(application, name, getattr(data, name))


def create(session: Session, programme_key: str, data: ApplicationIn) -> Application:
    """Add an application; its call deadline becomes a deadline that reminds."""
    programme = get_programme(session, programme_key)
    _check(session, data, programme.id)
    application = Application(programme_id=programme.id)
    _apply(application, data)
    session.add(application)
    session.flush()
    _sync_deadline(session, application)
    session.refresh(programme, ["applications", "obligations"])
    return application


def update(session: Session, application_id: int, data: ApplicationIn) -> Application:
    """Change an application; its deadline follows."""
    application = get(session, application_id)
    _check(session, data, application.programme_id)
    _apply(application, data)
    session.flush()
    _sync_deadline(session, application)
    return application


def delete_preview(session: Session, application_id: int) -> list[str]:
    """What goes with the application when it is deleted."""
    application = get(session, application_id)
    consequences = []
    obligation = deadline_of(session, application)
    if obligation is not None:
        consequences.append(
            f"Die Frist „{obligation.title}“ ({format_date(obligation.due_on)}) wird "
            "mit gelöscht."
        )
    awards = session.scalar(
        sa.select(sa.func.count())
        .select_from(Award)
        .where(Award.application_id == application.id)
    )
    if awards:
        consequences.append("Die Bewilligung aus diesem Antrag bleibt erhalten.")
    return consequences


def delete(session: Session, application_id: int) -> Deleted:
    """Delete an application with its call deadline."""
    consequences = delete_preview(session, application_id)
    application = get(session, application_id)
    obligation = deadline_of(session, application)
    summary = f"Antrag „{application.reference or application.id}“ gelöscht."
    if obligation is not None:
        session.delete(obligation)
    return Deleted(summary, consequences, delete_row(session, application))
