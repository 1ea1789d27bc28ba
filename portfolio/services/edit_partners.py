"""Create, change and delete partner organisations (the name is the key).

Deleting a partner removes its role in every programme and says in which. Services
never commit.
"""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from portfolio.domain.errors import NotFound
from portfolio.domain.models import Partner, Programme, ProgrammePartner
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    Max,
    OptText,
    ReqText,
    check,
    join_names,
    raise_if,
)
from portfolio.services.edit_undo import delete_row


class PartnerIn(EditModel):
    """A partner organisation as typed."""

    name: Annotated[ReqText, Field(title="Name", min_length=1, max_length=200)]
    kind: Annotated[OptText, Field(None, title="Art (z. B. Stadt, Schule)"), Max(60)]


def get(session: Session, partner_id: int) -> Partner:
    """One partner by id, with a German error if there is none."""
    partner = session.get(Partner, partner_id) if 0 < partner_id < 2**31 else None
    if partner is None:
        raise NotFound(f"Einen Partner mit der Nummer {partner_id} gibt es nicht.")
    return partner


def as_input(partner: Partner) -> PartnerIn:
    """The stored partner as input (to fill the edit form)."""
    return PartnerIn(name=partner.name, kind=partner.kind)


def _check(session: Session, data: PartnerIn, partner_id: int | None) -> None:
    errors: dict[str, str] = {}
    other = session.scalar(sa.select(Partner.id).where(Partner.name == data.name))
    check(
        errors,
        "name",
        other is None or other == partner_id,
        f"Einen Partner „{data.name}“ gibt es schon.",
    )
    raise_if(errors, PartnerIn)


def create(session: Session, data: PartnerIn) -> Partner:
    """Add a partner."""
    _check(session, data, None)
    partner = Partner(name=data.name, kind=data.kind)
    session.add(partner)
    session.flush()
    return partner


def update(session: Session, partner_id: int, data: PartnerIn) -> Partner:
    """Change a partner."""
    partner = get(session, partner_id)
    _check(session, data, partner.id)
    partner.name, partner.kind = data.name, data.kind
    session.flush()
    return partner


def delete_preview(session: Session, partner_id: int) -> list[str]:
    """What deleting the partner changes elsewhere."""
    partner = get(session, partner_id)
    names = session.scalars(
        sa.select(Programme.name)
        .join(ProgrammePartner, ProgrammePartner.programme_id == Programme.id)
        .where(ProgrammePartner.partner_id == partner.id)
        .order_by(Programme.name)
    ).all()
    if not names:
        return []
    return [f"Der Partner fällt aus {join_names(names)} heraus."]


def delete(session: Session, partner_id: int) -> Deleted:
    """Delete a partner with its programme roles."""
    consequences = delete_preview(session, partner_id)
    partner = get(session, partner_id)
    summary = f"Partner „{partner.name}“ gelöscht."
    return Deleted(summary, consequences, delete_row(session, partner))
