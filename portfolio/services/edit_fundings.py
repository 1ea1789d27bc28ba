"""Create, change and delete a programme's fundings (co-funding with shares).

Each funder appears once per programme, with an amount and/or a share; the shares
of all funders of a programme add up to at most 100 %. Services never commit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.orm import Session

from portfolio.domain.errors import NotFound
from portfolio.domain.models import Funder, Funding
from portfolio.domain.money import format_percent
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    Money,
    Ref,
    Share,
    check,
    raise_if,
)
from portfolio.services.edit_programmes import get as get_programme
from portfolio.services.edit_undo import delete_row


class FundingIn(EditModel):
    """A funder's part in a programme: the funder, an amount and/or a share."""

    funder_id: Annotated[Ref, Field(title="Fördergeber")]
    amount: Annotated[Money, Field(None, title="Betrag")]
    share: Annotated[Share, Field(None, title="Anteil (z. B. 80 %)")]


def get(session: Session, funding_id: int) -> Funding:
    """One funding by id, with a German error if there is none."""
    funding = session.get(Funding, funding_id) if 0 < funding_id < 2**31 else None
    if funding is None:
        raise NotFound(f"Eine Finanzierung mit der Nummer {funding_id} gibt es nicht.")
    return funding


def as_input(funding: Funding) -> FundingIn:
    """The stored funding as input (to fill the edit form)."""
    return FundingIn(
        funder_id=funding.funder_id, amount=funding.amount, share=funding.share
    )


def _check(
    session: Session, data: FundingIn, programme_id: int, funding_id: int | None
) -> None:
    errors: dict[str, str] = {}
    check(
        errors,
        "funder_id",
        data.funder_id is not None,
        "Bitte einen Fördergeber wählen.",
    )
    if data.funder_id is not None:
        check(
            errors,
            "funder_id",
            session.get(Funder, data.funder_id) is not None,
            "Diesen Fördergeber gibt es nicht.",
        )
        other = session.scalar(
            sa.select(Funding.id).where(
                Funding.programme_id == programme_id,
                Funding.funder_id == data.funder_id,
            )
        )
        check(
            errors,
            "funder_id",
            other is None or other == funding_id,
            "Dieser Fördergeber ist beim Programm schon eingetragen – "
            "bitte dort ändern.",
        )
    if data.share is not None:
        others = session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Funding.share), 0)).where(
                Funding.programme_id == programme_id,
                Funding.id != (funding_id or 0),
            )
        )
        total = Decimal(str(others or 0)) + data.share
        check(
            errors,
            "share",
            total <= 1,
            f"Zusammen mit den anderen Fördergebern wären es {format_percent(total)}"
            " – höchstens 100 %.",
        )
    raise_if(errors, FundingIn)


def create(session: Session, programme_key: str, data: FundingIn) -> Funding:
    """Add a funder's part to a programme."""
    programme = get_programme(session, programme_key)
    _check(session, data, programme.id, None)
    assert data.funder_id is not None
    funding = Funding(
        programme_id=programme.id,
        funder_id=data.funder_id,
        amount=data.amount,
        share=data.share,
    )
    session.add(funding)
    session.flush()
    session.refresh(programme, ["fundings"])
    return funding


def update(session: Session, funding_id: int, data: FundingIn) -> Funding:
    """Change a funding."""
    funding = get(session, funding_id)
    _check(session, data, funding.programme_id, funding.id)
    assert data.funder_id is not None
    funding.funder_id, funding.amount, funding.share = (
        data.funder_id,
        data.amount,
        data.share,
    )
    session.flush()
    session.refresh(funding, ["funder"])
    return funding


def delete_preview(session: Session, funding_id: int) -> list[str]:
    """Deleting a funding touches nothing else."""
    get(session, funding_id)
    return []


def delete(session: Session, funding_id: int) -> Deleted:
    """Delete a funding."""
    funding = get(session, funding_id)
    summary = f"Finanzierung durch „{funding.funder.short_name}“ gelöscht."
    return Deleted(summary, [], delete_row(session, funding))
