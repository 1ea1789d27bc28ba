"""Create, change and delete Mittelabrufe and Rückzahlungen of an award.

One pydantic input model holds the validation (CONTRACTS §5); web form, API and
CLI only parse, call and render. After every change the award's spending deadlines
(kind ``mittelverwendung``) follow the payments (``services.money``). Services
never commit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field
from sqlalchemy.orm import Session

from portfolio.domain.enums import DisbursementKind
from portfolio.domain.errors import NotFound
from portfolio.domain.models import Disbursement
from portfolio.domain.money import format_money
from portfolio.domain.periods import format_date
from portfolio.services.edit_awards import get as get_award
from portfolio.services.edit_base import (
    Deleted,
    EditModel,
    GermanDate,
    LongText,
    Money,
    check,
    raise_if,
)
from portfolio.services.edit_undo import delete_row
from portfolio.services.money import sync_award


class DisbursementIn(EditModel):
    """A Mittelabruf (or Rückzahlung): requested on, amount, received on."""

    kind: Annotated[DisbursementKind, Field(DisbursementKind.ABRUF, title="Art")]
    requested_on: Annotated[GermanDate, Field(None, title="angefordert am")]
    amount: Annotated[Money, Field(None, title="Betrag")]
    received_on: Annotated[GermanDate, Field(None, title="eingegangen am")]
    note: Annotated[LongText, Field(None, title="Bemerkung")]


def get(session: Session, disbursement_id: int) -> Disbursement:
    """One payment by id, with a German error if there is none."""
    found = (
        session.get(Disbursement, disbursement_id)
        if 0 < disbursement_id < 2**31
        else None
    )
    if found is None:
        raise NotFound(
            f"Einen Mittelabruf mit der Nummer {disbursement_id} gibt es nicht."
        )
    return found


def as_input(item: Disbursement) -> DisbursementIn:
    """The stored payment as input (to fill the edit form)."""
    return DisbursementIn(
        kind=item.kind,
        requested_on=item.requested_on,
        amount=item.amount,
        received_on=item.received_on,
        note=item.note,
    )


def _check(data: DisbursementIn) -> None:
    errors: dict[str, str] = {}
    check(errors, "amount", bool(data.amount), "Bitte einen Betrag über 0 angeben.")
    check(
        errors,
        "requested_on",
        data.requested_on is not None or data.received_on is not None,
        "Bitte angeben, wann angefordert oder wann eingegangen.",
    )
    if data.requested_on and data.received_on:
        check(
            errors,
            "received_on",
            data.received_on >= data.requested_on,
            f"Eingang ({format_date(data.received_on)}) vor der Anforderung "
            f"({format_date(data.requested_on)})?",
        )
    raise_if(errors, DisbursementIn)


def create(
    session: Session,
    award_id: int,
    data: DisbursementIn,
    *,
    state: str = "NW",
    regimes_dir: str | Path | None = None,
) -> Disbursement:
    """Record a Mittelabruf or Rückzahlung of an award."""
    award = get_award(session, award_id)
    _check(data)
    assert data.amount is not None
    item = Disbursement(
        award_id=award.id,
        kind=data.kind,
        requested_on=data.requested_on,
        amount=data.amount,
        received_on=data.received_on,
        note=data.note,
    )
    session.add(item)
    session.flush()
    sync_award(session, award, state, regimes_dir)
    return item


def update(
    session: Session,
    disbursement_id: int,
    data: DisbursementIn,
    *,
    state: str = "NW",
    regimes_dir: str | Path | None = None,
) -> Disbursement:
    """Change a payment (e.g. enter the day the money arrived)."""
    item = get(session, disbursement_id)
    _check(data)
    assert data.amount is not None
    item.kind, item.requested_on, item.amount = (
        data.kind,
        data.requested_on,
        data.amount,
    )
    item.received_on, item.note = data.received_on, data.note
    session.flush()
    sync_award(session, item.award, state, regimes_dir)
    return item


def delete(
    session: Session,
    disbursement_id: int,
    *,
    state: str = "NW",
    regimes_dir: str | Path | None = None,
) -> Deleted:
    """Delete a payment; its spending deadline goes with it."""
    item = get(session, disbursement_id)
    award = item.award
    when = item.received_on or item.requested_on
    summary = (
        f"Mittelabruf über {format_money(item.amount)}"
        f"{f' vom {format_date(when)}' if when else ''} gelöscht."
    )
    change = delete_row(session, item)
    sync_award(session, award, state, regimes_dir)
    return Deleted(summary, [], change)
