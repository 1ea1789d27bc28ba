"""Money per programme and Haushaltsjahr: bewilligt, geplant, ausgegeben, abgerufen.

Sums are grouped in the database (one query per kind of figure, whatever the
number of awards or bookings). The Bestand of a programme is what its awards
received, less paid back, less the grant-funded spending (expenses times the
award's funding rate, else the planned Zuwendung's share of the plan as on the
award's money page; without either the whole expense counts, so the figure is
labelled an estimate there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import DisbursementKind, FinancingType, IncomeKind
from portfolio.domain.models import (
    Award,
    BudgetLine,
    Disbursement,
    Expense,
    IncomeLine,
    Programme,
)

ZERO = Decimal(0)


@dataclass(slots=True)
class ProgrammeMoney:
    """The money of one programme in one year (Bestand: to the year's end)."""

    key: str
    label: str
    awarded: Decimal = ZERO
    planned: Decimal = ZERO
    spent: Decimal = ZERO
    called: Decimal = ZERO
    balance: Decimal = ZERO
    estimated: bool = False

    @property
    def gap(self) -> Decimal:
        """Planned but not spent in the year."""
        return self.planned - self.spent


def _by_award(session: Session, query: sa.Select[int, Any]) -> dict[int, Decimal]:
    return {award: Decimal(total or 0) for award, total in session.execute(query)}


def _plan_share_columns() -> tuple[Any, Any]:
    """Per award: its planned Zuwendung and the planned expenses of those years.

    Columns of the award query (no extra round trip); their quotient is the share
    ``services.money.funding_share`` reckons for one award.
    """
    grant_years = sa.select(IncomeLine.year).where(
        IncomeLine.award_id == Award.id, IncomeLine.kind == IncomeKind.ZUWENDUNG
    )
    grant = (
        sa.select(sa.func.sum(IncomeLine.planned))
        .where(IncomeLine.award_id == Award.id, IncomeLine.kind == IncomeKind.ZUWENDUNG)
        .scalar_subquery()
    )
    plan = (
        sa.select(sa.func.sum(BudgetLine.planned))
        .where(BudgetLine.award_id == Award.id, BudgetLine.year.in_(grant_years))
        .scalar_subquery()
    )
    return grant, plan


def money_by_programme(
    session: Session, year: int, *, with_records_only: bool = False
) -> list[ProgrammeMoney]:
    """Every programme with money in the year, by key.

    ``with_records_only`` leaves out programmes with no plan line, booking or payment
    at all: their rows hold only the awarded amount, so the sums of planned, spent,
    called and Bestand (the dashboard's) stay the same without reading every award.
    """
    year_end = date(year, 12, 31)
    planned = _by_award(
        session,
        sa.select(BudgetLine.award_id, sa.func.sum(BudgetLine.planned))
        .where(BudgetLine.year == year)
        .group_by(BudgetLine.award_id),
    )
    in_year = Expense.year == year
    spent: dict[int, Decimal] = {}
    spent_to_date: dict[int, Decimal] = {}
    for award_id, this_year, to_date in session.execute(
        sa.select(
            Expense.award_id,
            sa.func.sum(sa.case((in_year, Expense.amount), else_=0)),
            sa.func.sum(Expense.amount),
        )
        .where(Expense.year <= year)
        .group_by(Expense.award_id)
    ):
        spent_to_date[award_id] = Decimal(to_date or 0)
        if Decimal(this_year or 0):
            spent[award_id] = Decimal(this_year or 0)
    received = Disbursement.received_on.is_not(None)
    arrived_in_year = sa.and_(
        Disbursement.kind == DisbursementKind.ABRUF,
        Disbursement.received_on >= date(year, 1, 1),
    )
    signed = sa.case(
        (Disbursement.kind == DisbursementKind.RUECKZAHLUNG, -Disbursement.amount),
        else_=Disbursement.amount,
    )
    called: dict[int, Decimal] = {}
    net: dict[int, Decimal] = {}
    for award_id, in_year_total, net_total in session.execute(
        sa.select(
            Disbursement.award_id,
            sa.func.sum(sa.case((arrived_in_year, Disbursement.amount), else_=0)),
            sa.func.sum(signed),
        )
        .where(received, Disbursement.received_on <= year_end)
        .group_by(Disbursement.award_id)
    ):
        net[award_id] = Decimal(net_total or 0)
        if Decimal(in_year_total or 0):
            called[award_id] = Decimal(in_year_total or 0)
    rows: dict[str, ProgrammeMoney] = {}
    grant_column, plan_column = _plan_share_columns()
    query = sa.select(
        Award.id, Award.amount, Award.funding_rate, Award.financing_type,
        Award.start, Award.end, Programme.key, Programme.name, Programme.short_name,
        grant_column, plan_column,
    ).join(Award.programme)  # fmt: skip
    if with_records_only:
        records = sa.union(
            sa.select(BudgetLine.award_id), sa.select(Expense.award_id),
            sa.select(Disbursement.award_id),
        ).subquery()  # fmt: skip
        with_records = sa.select(Award.programme_id).where(
            Award.id.in_(sa.select(records.c.award_id))
        )
        query = query.where(Award.programme_id.in_(with_records))
    for (
        award_id,
        amount,
        rate,
        financing,
        start,
        end,
        key,
        name,
        short,
        grant_total,
        plan_total,
    ) in session.execute(query):
        touches = (start is None or start.year <= year) and (
            end is None or end.year >= year
        )
        figures = (planned.get(award_id), spent.get(award_id), called.get(award_id))
        if not touches and not any(figures):
            continue
        row = rows.setdefault(key, ProgrammeMoney(key, short or name))
        row.awarded += amount or ZERO
        row.planned += planned.get(award_id, ZERO)
        row.spent += spent.get(award_id, ZERO)
        row.called += called.get(award_id, ZERO)
        share = Decimal(1) if financing is FinancingType.VOLL else rate
        if share is None:
            grant, plan = Decimal(grant_total or 0), Decimal(plan_total or 0)
            share = min(Decimal(1), grant / plan) if grant and plan else None
        if share is None:
            share = Decimal(1)
            row.estimated = row.estimated or award_id in spent_to_date
        used = (spent_to_date.get(award_id, ZERO) * share).quantize(Decimal("0.01"))
        if award_id in net or award_id in spent_to_date:
            row.balance += net.get(award_id, ZERO) - used
    return [
        rows[k]
        for k in sorted(rows)
        if any((rows[k].awarded, rows[k].planned, rows[k].spent, rows[k].called))
    ]


def totals(rows: list[ProgrammeMoney]) -> ProgrammeMoney:
    """The sum of the rows."""
    total = ProgrammeMoney("", "Summe")
    for row in rows:
        total.awarded += row.awarded
        total.planned += row.planned
        total.spent += row.spent
        total.called += row.called
        total.balance += row.balance
        total.estimated = total.estimated or row.estimated
    return total
