"""The JSON API of an award's money: read it, write the plan and Mittelabrufe.

``GET /api/awards/{id}/money`` returns plan, Einnahmen, spending per position and
year, payments with their spending deadline, Bestand and the proposed next
Mittelabruf; editors write the plan (``PUT /api/awards/{id}/plan``) and the
Mittelabrufe (``POST /api/awards/{id}/disbursements``, ``PUT``/``DELETE
/api/disbursements/{id}``) and the Bescheide (``GET``/``POST
/api/awards/{id}/bescheide``: an Änderungsbescheid; ``DELETE /api/bescheide/{id}``)
through the same services as the forms, so the validation is the same. Money is a
decimal string, dates ISO.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from portfolio.domain.models import User
from portfolio.domain.money_rules import load_money_rules
from portfolio.services import clock, edit_disbursements, edit_plan, edit_versions
from portfolio.services.edit_awards import get as get_award
from portfolio.services.money import award_money, propose_call
from portfolio.web.context import rule_settings
from portfolio.web.security import api_editor, api_user, db

router = APIRouter(prefix="/api", tags=["API: Geld"])
DB = Annotated[Session, Depends(db, scope="function")]


class PaymentOut(BaseModel):
    """A Mittelabruf or Rückzahlung."""

    id: int
    kind: str
    requested_on: date | None
    amount: str
    received_on: date | None
    note: str | None


class MoneyOut(BaseModel):
    """The money of one award."""

    award: int
    reference: str | None
    financing_type: str | None
    amount: str | None
    accounting_codes: list[str]
    account_categories: dict[str, str]
    budget_lines: list[dict[str, Any]]
    income: list[dict[str, Any]]
    spent: list[dict[str, Any]]
    payments: list[PaymentOut]
    planned_total: str
    spent_total: str
    received: str
    repaid: str
    requested_open: str
    balance: str
    bookings: int
    proposal: dict[str, str]


def _options(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "state": str(settings.get("office.state")),
        "regimes_dir": settings.get("paths.regimes"),
    }


def _money_out(session: Session, award_id: int, request: Request) -> MoneyOut:
    award = get_award(session, award_id)
    money = award_money(session, award)
    rules = load_money_rules(_options(request)["regimes_dir"]).get(award.regime or "")
    spend = rules.effective(award.money_overrides).spend if rules else None
    proposal = propose_call(award, money, clock.today(session), spend)
    return MoneyOut(
        award=award.id,
        reference=award.reference,
        financing_type=award.financing_type.value if award.financing_type else None,
        amount=None if award.amount is None else str(award.amount),
        accounting_codes=list(award.accounting_codes),
        account_categories={k: str(v) for k, v in award.account_categories.items()},
        budget_lines=[
            {"category": c, "year": y, "planned": str(v)}
            for (c, y), v in sorted(money.planned.items())
        ],
        income=[
            {"kind": k.value, "year": y, "planned": str(v)}
            for (k, y), v in sorted(money.income.items())
        ],
        spent=[
            {"category": c, "year": y, "spent": str(v)}
            for (c, y), v in sorted(money.spent.items())
        ],
        payments=[_payment(p) for p in sorted(award.disbursements, key=_order)],
        planned_total=str(money.planned_total),
        spent_total=str(money.spent_total),
        received=str(money.received),
        repaid=str(money.repaid),
        requested_open=str(money.requested_open),
        balance=str(money.balance),
        bookings=money.bookings,
        proposal={"amount": str(proposal.amount), "reason": proposal.reason},
    )


def _order(item: Any) -> tuple[date, int]:
    return (item.received_on or item.requested_on or date.min, item.id)


def _payment(item: Any) -> PaymentOut:
    return PaymentOut(
        id=item.id,
        kind=item.kind.value,
        requested_on=item.requested_on,
        amount=str(item.amount),
        received_on=item.received_on,
        note=item.note,
    )


@router.get("/awards/{award_id}/money", response_model=MoneyOut, summary="Geld")
def read_money(
    award_id: int, request: Request, _: Annotated[User, Depends(api_user)], session: DB
) -> MoneyOut:
    """Plan, Ist, Mittelabrufe, Bestand und Vorschlag des nächsten Abrufs."""
    return _money_out(session, award_id, request)


@router.put("/awards/{award_id}/plan", response_model=MoneyOut, summary="Plan")
def write_plan(
    award_id: int,
    body: dict[str, Any],
    request: Request,
    _: Annotated[User, Depends(api_editor)],
    session: DB,
) -> MoneyOut:
    """Finanzierungsplan, Finanzierungsart und Buchungsschlüssel ersetzen."""
    edit_plan.save(session, award_id, edit_plan.PlanIn.parse(body), **_options(request))
    return _money_out(session, award_id, request)


@router.post(
    "/awards/{award_id}/disbursements",
    response_model=PaymentOut,
    status_code=201,
    summary="Mittelabruf anlegen",
)
def create_disbursement(
    award_id: int,
    body: dict[str, Any],
    request: Request,
    _: Annotated[User, Depends(api_editor)],
    session: DB,
) -> PaymentOut:
    """Einen Mittelabruf oder eine Rückzahlung erfassen."""
    data = edit_disbursements.DisbursementIn.parse(body)
    item = edit_disbursements.create(session, award_id, data, **_options(request))
    return _payment(item)


@router.put(
    "/disbursements/{item_id}", response_model=PaymentOut, summary="Mittelabruf ändern"
)
def update_disbursement(
    item_id: int,
    body: dict[str, Any],
    request: Request,
    _: Annotated[User, Depends(api_editor)],
    session: DB,
) -> PaymentOut:
    """Einen Mittelabruf ändern (z. B. den Eingang eintragen)."""
    data = edit_disbursements.DisbursementIn.parse(body)
    item = edit_disbursements.update(session, item_id, data, **_options(request))
    return _payment(item)


@router.delete("/disbursements/{item_id}", summary="Mittelabruf löschen")
def delete_disbursement(
    item_id: int,
    request: Request,
    _: Annotated[User, Depends(api_editor)],
    session: DB,
) -> dict[str, str]:
    """Einen Mittelabruf löschen; seine Verwendungsfrist entfällt mit."""
    return {
        "summary": edit_disbursements.delete(
            session, item_id, **_options(request)
        ).summary
    }


class BescheidOut(BaseModel):
    """One Bescheid of an award (Erstbescheid or Änderungsbescheid)."""

    id: int
    title: str
    issued_on: date
    reference: str
    amount: str | None
    start: date | None
    end: date | None
    note: str | None
    in_force: bool


class BescheidDeletedOut(BaseModel):
    """What a delete did, and the change-log entry that undoes it."""

    summary: str
    change_id: int | None


def _bescheide(session: Session, award_id: int) -> list[BescheidOut]:
    return [
        BescheidOut(
            id=b.id,
            title=b.title,
            issued_on=b.issued_on,
            reference=b.reference,
            amount=None if b.amount is None else str(b.amount),
            start=b.start,
            end=b.end,
            note=b.note,
            in_force=b.in_force,
        )
        for b in edit_versions.bescheide(get_award(session, award_id))
    ]


@router.get(
    "/awards/{award_id}/bescheide",
    response_model=list[BescheidOut],
    summary="Bescheide",
)
def read_bescheide(
    award_id: int, _: Annotated[User, Depends(api_user)], session: DB
) -> list[BescheidOut]:
    """Erstbescheid und Änderungsbescheide mit Datum, Aktenzeichen, Betrag, Zeitraum."""
    return _bescheide(session, award_id)


@router.post(
    "/awards/{award_id}/bescheide",
    response_model=list[BescheidOut],
    status_code=201,
    summary="Änderungsbescheid erfassen",
)
def create_bescheid(
    award_id: int,
    body: dict[str, Any],
    request: Request,
    _: Annotated[User, Depends(api_editor)],
    session: DB,
) -> list[BescheidOut]:
    """Den bisherigen Stand als Bescheid behalten und den neuen in Kraft setzen."""
    data = edit_versions.AmendmentIn.parse(body)
    edit_versions.record(session, award_id, data, rule_settings(request))
    return _bescheide(session, award_id)


@router.delete(
    "/bescheide/{version_id}",
    response_model=BescheidDeletedOut,
    summary="Bescheid löschen",
)
def delete_bescheid(
    version_id: int, _: Annotated[User, Depends(api_editor)], session: DB
) -> BescheidDeletedOut:
    """Einen Bescheid löschen (über POST /api/changes/{change_id}/undo umkehrbar)."""
    deleted = edit_versions.delete(session, version_id)
    return BescheidDeletedOut(summary=deleted.summary, change_id=deleted.change_id)
