"""Create, change and delete the phases (Förderphasen) of a programme.

A phase has a start, an end that may be open, and the precision the dates are
known to. Awards and applications of a deleted phase stay, without a phase.
Services never commit.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from portfolio.domain.enums import Precision
from portfolio.domain.errors import NotFound
from portfolio.domain.models import Application, Award, Phase
from portfolio.domain.periods import format_date
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    GermanDate,
    Max,
    OptText,
    check,
    plural,
    raise_if,
)
from portfolio.services.edit_programmes import get as get_programme
from portfolio.services.edit_undo import delete_row


class PhaseIn(EditModel):
    """A phase as typed: the start is required, the end may stay open."""

    name: Annotated[OptText, Field(None, title="Name (z. B. Phase II)"), Max(120)]
    start: Annotated[GermanDate, Field(title="Beginn")]
    end: Annotated[GermanDate, Field(None, title="Ende (leer: offen)")]
    precision: Annotated[Precision, Field(Precision.DAY, title="Genauigkeit")]


def get(session: Session, phase_id: int) -> Phase:
    """One phase by id, with a German error if there is none."""
    phase = session.get(Phase, phase_id) if 0 < phase_id < 2**31 else None
    if phase is None:
        raise NotFound(f"Eine Phase mit der Nummer {phase_id} gibt es nicht.")
    return phase


def as_input(phase: Phase) -> PhaseIn:
    """The stored phase as input (to fill the edit form)."""
    return PhaseIn(
        name=phase.name or None,
        start=phase.start,
        end=phase.end,
        precision=phase.precision,
    )


def _check(
    session: Session, data: PhaseIn, programme_id: int, phase_id: int | None
) -> None:
    errors: dict[str, str] = {}
    check(errors, "start", data.start is not None, "Bitte den Beginn angeben.")
    if data.start and data.end:
        check(
            errors,
            "end",
            data.end >= data.start,
            f"Das Ende liegt vor dem Beginn ({format_date(data.start)}).",
        )
    other = session.scalar(
        sa.select(Phase.id).where(
            Phase.programme_id == programme_id,
            Phase.start == data.start,
            Phase.name == (data.name or ""),
        )
    )
    check(
        errors,
        "name",
        other is None or other == phase_id,
        "Eine Phase mit diesem Namen und Beginn gibt es in diesem Programm schon.",
    )
    raise_if(errors, PhaseIn)


def _apply(phase: Phase, data: PhaseIn) -> None:
    assert data.start is not None
    phase.name, phase.start, phase.end = data.name or "", data.start, data.end
    phase.precision = data.precision


def create(session: Session, programme_key: str, data: PhaseIn) -> Phase:
    """Add a phase to a programme."""
    programme = get_programme(session, programme_key)
    _check(session, data, programme.id, None)
    phase = Phase(programme_id=programme.id)
    _apply(phase, data)
    session.add(phase)
    session.flush()
    session.refresh(programme, ["phases"])
    return phase


def update(session: Session, phase_id: int, data: PhaseIn) -> Phase:
    """Change a phase."""
    phase = get(session, phase_id)
    _check(session, data, phase.programme_id, phase.id)
    _apply(phase, data)
    session.flush()
    return phase


def delete_preview(session: Session, phase_id: int) -> list[str]:
    """What deleting the phase changes elsewhere."""
    phase = get(session, phase_id)
    counts = [
        int(
            session.scalar(
                sa.select(sa.func.count())
                .select_from(model)
                .where(model.phase_id == phase.id)
            )
            or 0
        )
        for model in (Award, Application)
    ]
    parts = []
    if counts[0]:
        parts.append(plural(counts[0], "Bewilligung", "Bewilligungen"))
    if counts[1]:
        parts.append(plural(counts[1], "Antrag", "Anträge"))
    if not parts:
        return []
    return [f"{' und '.join(parts)} bleiben erhalten, aber ohne Phase."]


def delete(session: Session, phase_id: int) -> Deleted:
    """Delete a phase."""
    consequences = delete_preview(session, phase_id)
    phase = get(session, phase_id)
    summary = f"Phase „{phase.name or phase.period}“ gelöscht."
    return Deleted(summary, consequences, delete_row(session, phase))
