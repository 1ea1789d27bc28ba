"""Start a test's own money scenario from a demo award without its example figures.

The demo ships example money on KoKo and Zukunftsstadt (plan, bookings,
Mittelabrufe). Tests that compute their figures by hand first take that away, so
their numbers stay their own.
"""

from __future__ import annotations

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
