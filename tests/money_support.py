"""Start a test's own money scenario from a demo award without its example figures.

The demo ships example money on KoKo and Zukunftsstadt (plan, bookings,
Mittelabrufe). Tests that compute their figures by hand first take that away, so
their numbers stay their own.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import ObligationKind
from portfolio.domain.models import (
    Award,
    AwardVersion,
    BudgetLine,
    Disbursement,
    Expense,
    IncomeLine,
    Obligation,
)
from portfolio.services import edit_disbursements, edit_plan
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database


def without_money(session: Session, reference: str) -> Award:
    """The demo award ``reference`` with no money recorded (and no money fields)."""
    award = session.scalars(sa.select(Award).where(Award.reference == reference)).one()
    for model in (BudgetLine, IncomeLine, Expense, Disbursement, AwardVersion):
        session.execute(sa.delete(model).where(model.award_id == award.id))
    session.execute(
        sa.delete(Obligation).where(
            Obligation.award_id == award.id,
            Obligation.kind == ObligationKind.MITTELVERWENDUNG,
        )
    )
    session.expire(award)
    award.financing_type = None
    award.accounting_codes = []
    award.account_categories = {}
    award.money_overrides = {}
    session.flush()
    return award


def demo_without_money(session: Session) -> None:
    """Both demo awards with money, emptied."""
    for reference in ("DEMO-KOKO-2016", "DEMO-ZUKUNFTSSTADT-II"):
        without_money(session, reference)


def strip_demo_money(url: str) -> None:
    """In the database at ``url``: both demo awards without their example money."""
    engine = open_database(url)
    with session_scope(engine, "test") as session:
        demo_without_money(session)
    engine.dispose()


def zukunftsstadt_small_money(session: Session) -> Award:
    """Zukunftsstadt II with only: plan Honorare 2017 10.000 €, a payment of
    4.000 € on 02.01.2017 and a booking of 1.000 € on 20.01.2017."""
    demo_without_money(session)  # the figures below are the only money
    award = session.scalars(
        sa.select(Award).where(Award.reference == "DEMO-ZUKUNFTSSTADT-II")
    ).one()
    edit_plan.save(
        session,
        award.id,
        edit_plan.PlanIn.parse(
            {
                "financing_type": "voll",
                "budget_lines": [
                    {"category": "Honorare", "year": 2017, "planned": "10000"}
                ],
            }
        ),
    )
    edit_disbursements.create(
        session,
        award.id,
        edit_disbursements.DisbursementIn.parse(
            {"amount": "4000", "received_on": "02.01.2017"}
        ),
    )
    session.add(
        Expense(award_id=award.id, category="Honorare", year=2017,
                spent_on=date(2017, 1, 20), amount=Decimal("1000"))
    )  # fmt: skip
    return award
