"""Deadlines people type in: add one to a programme (origin ``manual``).

An explicit Termin does not move to the next working day (§ 31 Abs. 5 VwVfG), so a
manual obligation keeps its date as given; reminders are planned for it by the next
scheduler run. Services never commit.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portfolio.domain.enums import ObligationKind
from portfolio.domain.models import Obligation, Programme


def add_obligation(
    session: Session,
    programme: Programme,
    *,
    title: str,
    kind: ObligationKind,
    due_on: date,
    notes: str | None = None,
) -> Obligation:
    """Add a manual deadline to a programme."""
    obligation = Obligation(
        programme_id=programme.id,
        kind=kind,
        title=title,
        due_on=due_on,
        origin="manual",
        notes=notes,
        checklist=[],
    )
    session.add(obligation)
    session.flush()
    return obligation
