"""The money of an award: plan, spending, payments, Bestand, spending deadlines.

``award_money`` gathers everything the money views, checks and reports need in a
fixed number of queries (sums grouped in the database, never a row per booking).
Payments are used first-in first-out by the grant-funded part of the spending
(the expense times the funding share), which tells for each payment when it was
spent. ``sync_spending_deadlines`` turns each payment received into an obligation
of kind ``mittelverwendung`` (origin ``rule:<regime>``, rule ``MITTELVERWENDUNG``)
due when the regime's spending period ends, done once it was spent, so reminders,
digest and ICS carry it; a person's edit of such a deadline is kept.
``propose_call`` proposes the next Mittelabruf from the plan and what is spent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.award_versions import version_in_force
from portfolio.domain.deadlines import WorkingDays, effective
from portfolio.domain.enums import (
    DisbursementKind,
    FinancingType,
    IncomeKind,
    ObligationKind,
    ObligationStatus,
)
from portfolio.domain.models import (
    Award,
    AwardVersion,
    BudgetLine,
    Disbursement,
    Expense,
    IncomeLine,
    Obligation,
)
from portfolio.domain.money import format_money
from portfolio.domain.money_rules import (
    SPEND_ID,
    MoneyRules,
    SpendPeriod,
    load_money_rules,
)
from portfolio.domain.periods import format_date

CENT = Decimal("0.01")
ZERO = Decimal(0)
RULE_PREFIX = "rule:"


@dataclass(slots=True)
class PaymentUse:
    """One payment received and when the grant-funded spending used it up."""

    disbursement_id: int
    received_on: date
    amount: Decimal
    used_on: date | None
    unused: Decimal


@dataclass(slots=True)
class AwardMoney:
    """The money of one award, as sums."""

    award_id: int
    planned: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    spent: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    income: dict[tuple[IncomeKind, int], Decimal] = field(default_factory=dict)
    spent_by_day: list[tuple[date, Decimal]] = field(default_factory=list)
    payments: list[PaymentUse] = field(default_factory=list)
    requested_open: Decimal = ZERO
    received: Decimal = ZERO
    repaid: Decimal = ZERO
    share: Decimal = Decimal(1)
    bookings: int = 0

    @property
    def planned_total(self) -> Decimal:
        """All planned expenses."""
        return sum(self.planned.values(), ZERO)

    @property
    def spent_total(self) -> Decimal:
        """All expenses booked (negative bookings net out)."""
        return sum(self.spent.values(), ZERO)

    @property
    def grant_spent(self) -> Decimal:
        """The part of the spending the grant pays (expenses times the share)."""
        return (self.spent_total * self.share).quantize(CENT, ROUND_HALF_UP)

    @property
    def balance(self) -> Decimal:
        """Bestand: received, less paid back, less the grant-funded spending."""
        return self.received - self.repaid - self.grant_spent

    def categories(self) -> list[str]:
        """Plan positions in plan order, then positions only spent on."""
        names = list(dict.fromkeys(c for c, _ in sorted(self.planned)))
        return names + sorted({c for c, _ in self.spent} - set(names))

    def years(self) -> list[int]:
        """Every year with a plan or a booking."""
        return sorted({y for _, y in self.planned} | {y for _, y in self.spent})

    def planned_in(self, year: int) -> Decimal:
        """The expenses planned for a year."""
        return sum((v for (_, y), v in self.planned.items() if y == year), ZERO)

    def spent_in(self, year: int, until: date | None = None) -> Decimal:
        """The expenses booked in a year (up to a day, if given)."""
        if until is None:
            return sum((v for (_, y), v in self.spent.items() if y == year), ZERO)
        return sum(
            (v for d, v in self.spent_by_day if d.year == year and d <= until), ZERO
        )

    def grant_planned_in(self, year: int) -> Decimal:
        """The Zuwendung planned for a year (income line, else plan times share)."""
        own = self.income.get((IncomeKind.ZUWENDUNG, year))
        if own is not None:
            return own
        return (self.planned_in(year) * self.share).quantize(CENT, ROUND_HALF_UP)


def funding_share(award: Award, money: AwardMoney) -> Decimal:
    """Which part of an expense the grant pays.

    Vollfinanzierung: all of it; else the funding rate of the Bescheid; else the
    planned Zuwendung over the planned expenses of the years it is planned for.
    """
    if award.financing_type is FinancingType.VOLL:
        return Decimal(1)
    if award.funding_rate is not None:
        return award.funding_rate
    years = {y for (k, y) in money.income if k is IncomeKind.ZUWENDUNG}
    grant = sum(
        (v for (k, _), v in money.income.items() if k is IncomeKind.ZUWENDUNG), ZERO
    )
    planned = sum((money.planned_in(y) for y in years), ZERO)
    if grant and planned:
        return min(Decimal(1), grant / planned)
    return Decimal(1)


def award_money(
    session: Session,
    award: Award,
    until: date | None = None,
    plan_on: date | None = None,
) -> AwardMoney:
    """The sums of one award in six queries, whatever the number of bookings.

    ``until``: as known on that day (bookings up to it; money received later
    counts as requested). ``plan_on``: the Finanzierungsplan of the Bescheid in
    force that day (an Änderungsbescheid issued later does not count yet); without
    it the latest.
    """
    money = AwardMoney(award.id)
    booked = [Expense.award_id == award.id]
    if until is not None:
        booked.append(Expense.spent_on <= until)
    _plan(session, award, plan_on, money)
    totals = sa.select(
        Expense.category, Expense.year, sa.func.sum(Expense.amount), sa.func.count()
    ).where(*booked)
    for category, year, total, count in session.execute(
        totals.group_by(Expense.category, Expense.year)
    ):
        money.spent[(category, year)] = Decimal(total or 0).quantize(CENT)
        money.bookings += int(count)
    daily = (
        sa.select(Expense.spent_on, sa.func.sum(Expense.amount))
        .where(*booked, Expense.spent_on.is_not(None))
        .group_by(Expense.spent_on)
        .order_by(Expense.spent_on)
    )
    money.spent_by_day = [
        (day, Decimal(total or 0).quantize(CENT))
        for day, total in session.execute(daily)
        if day is not None
    ]
    money.share = funding_share(award, money)
    payments = session.scalars(
        sa.select(Disbursement)
        .where(Disbursement.award_id == award.id)
        .order_by(Disbursement.received_on, Disbursement.requested_on, Disbursement.id)
    ).all()
    if until is not None:
        payments = [
            p for p in payments if (p.requested_on or p.received_on or until) <= until
        ]
        arrived = [p for p in payments if p.received_on and p.received_on <= until]
        late = [p for p in payments if p not in arrived]
        for payment in late:
            if payment.kind is DisbursementKind.ABRUF:
                money.requested_open += payment.amount
        payments = arrived
    for payment in payments:
        if payment.kind is DisbursementKind.RUECKZAHLUNG:
            if payment.received_on is not None:
                money.repaid += payment.amount
        elif payment.received_on is None:
            money.requested_open += payment.amount
        else:
            money.received += payment.amount
    money.payments = _use_payments(money, payments)
    return money


def _plan(session: Session, award: Award, day: date | None, money: AwardMoney) -> None:
    """The plan and Einnahmen (of an earlier Bescheid if that is in force on day)."""
    for category, year, planned in session.execute(
        sa.select(BudgetLine.category, BudgetLine.year, BudgetLine.planned).where(
            BudgetLine.award_id == award.id
        )
    ):
        money.planned[(category, year)] = planned
    for kind, year, planned in session.execute(
        sa.select(IncomeLine.kind, IncomeLine.year, IncomeLine.planned).where(
            IncomeLine.award_id == award.id
        )
    ):
        money.income[(kind, year)] = planned
    if day is None:
        return
    versions = session.scalars(
        sa.select(AwardVersion).where(AwardVersion.award_id == award.id)
    ).all()
    version = version_in_force(versions, day)
    if version is None:
        return
    money.planned = {
        (str(line["category"]), int(line["year"])): Decimal(str(line["planned"]))
        for line in version.budget
    }
    money.income = {
        (IncomeKind(line["kind"]), int(line["year"])): Decimal(str(line["planned"]))
        for line in version.income
    }


def _use_payments(
    money: AwardMoney, payments: Sequence[Disbursement]
) -> list[PaymentUse]:
    """Use payments first in, first out by the grant-funded spending.

    Spending before a payment arrived (pre-financed by the office) counts against
    it on the day it arrives.
    """
    points: list[tuple[date, Decimal]] = []  # cumulative grant spending per day
    cumulative = ZERO
    for day, amount in money.spent_by_day:
        cumulative += (amount * money.share).quantize(CENT, ROUND_HALF_UP)
        points.append((day, cumulative))
    total = cumulative
    uses: list[PaymentUse] = []
    paid, index = ZERO, 0
    for p in payments:
        if p.kind is not DisbursementKind.ABRUF or p.received_on is None:
            continue
        paid += p.amount
        while index < len(points) and points[index][1] < paid:
            index += 1
        used = max(points[index][0], p.received_on) if index < len(points) else None
        unused = max(ZERO, min(p.amount, paid - total))
        uses.append(PaymentUse(p.id, p.received_on, p.amount, used, unused))
    return uses


def spending_key(received: date, number: int) -> str:
    """The rule key of a payment's spending deadline (stable across a restore)."""
    return f"{SPEND_ID}:{received.isoformat()}:{number}"


def sync_spending_deadlines(
    session: Session,
    award: Award,
    rules: MoneyRules | None,
    calendar: WorkingDays | None = None,
) -> int:
    """Keep one ``mittelverwendung`` deadline per payment received; count changes."""
    existing = {
        o.rule_key: o
        for o in session.scalars(
            sa.select(Obligation).where(
                Obligation.award_id == award.id,
                Obligation.kind == ObligationKind.MITTELVERWENDUNG,
            )
        )
    }
    effective_rules = rules.effective(award.money_overrides or {}) if rules else None
    period: SpendPeriod | None = effective_rules.spend if effective_rules else None
    changes = 0
    if period is not None and effective_rules is not None:
        money = award_money(session, award)
        seen: dict[date, int] = defaultdict(int)
        for use in money.payments:
            seen[use.received_on] += 1
            key = spending_key(use.received_on, seen[use.received_on])
            due = period.due(use.received_on)
            values = {
                "kind": ObligationKind.MITTELVERWENDUNG,
                "title": f"Mittel verwenden: Abruf vom {format_date(use.received_on)} "
                f"({format_money(use.amount)})",
                "due_on": due,
                "due_effective": _shifted(due, calendar),
                "origin": f"{RULE_PREFIX}{award.regime or 'money'}",
                "template_id": SPEND_ID,
                "source": f"{effective_rules.spend_source} ({period.label})",
                "status": ObligationStatus.DONE
                if use.used_on is not None
                else ObligationStatus.OPEN,
                "done_on": use.used_on,
            }
            current = existing.pop(key, None)
            if current is None:
                session.add(
                    Obligation(
                        programme_id=award.programme_id,
                        award_id=award.id,
                        rule_key=key,
                        **values,
                    )
                )
                changes += 1
            elif not current.edited:
                for name, value in values.items():
                    if getattr(current, name) != value:
                        setattr(current, name, value)
                        changes = changes + 1
    for stale in existing.values():
        if not stale.edited:
            session.delete(stale)
            changes += 1
    session.flush()
    return changes


def _shifted(due: date, calendar: WorkingDays | None) -> date | None:
    if calendar is None:
        return None
    moved = effective(due, calendar)
    return moved if moved != due else None


@dataclass(frozen=True, slots=True)
class Proposal:
    """The next Mittelabruf portfolio proposes, with how it was reckoned."""

    amount: Decimal
    reason: str


def propose_call(
    award: Award, money: AwardMoney, today: date, period: SpendPeriod | None
) -> Proposal:
    """The grant-funded need of the next spending period, less the Bestand.

    The need is what the plan of the year has left, spread evenly over the rest of
    the year; never more than the award has left to call.
    """
    window = period or SpendPeriod(weeks=6)
    end = window.due(today)
    year_end = date(today.year, 12, 31)
    left_days = max(1, (year_end - today).days + 1)
    window_days = min(left_days, (end - today).days)
    remaining_plan = money.planned_in(today.year) - money.spent_in(today.year)
    need = max(ZERO, remaining_plan) * money.share * window_days / left_days
    need = need.quantize(CENT, ROUND_HALF_UP)
    proposal = max(ZERO, need - max(ZERO, money.balance) - money.requested_open)
    if award.amount is not None:
        left = award.amount - (money.received - money.repaid) - money.requested_open
        proposal = max(ZERO, min(proposal, left))
    reason = (
        f"Bedarf bis {format_date(end)} ({window.label}): {format_money(need)} "
        f"(Rest des Plans {today.year}: {format_money(remaining_plan)}, "
        f"Anteil der Zuwendung {money.share * 100:.0f} %), abzüglich Bestand "
        f"{format_money(max(ZERO, money.balance))} und offener Abrufe "
        f"{format_money(money.requested_open)}"
    )
    return Proposal(proposal.quantize(CENT), reason)


def sync_award(
    session: Session,
    award: Award,
    state: str = "NW",
    regimes_dir: str | Path | None = None,
) -> int:
    """Sync one award's spending deadlines with its regime's money rules."""
    rules = load_money_rules(regimes_dir).get(award.regime or "")
    return sync_spending_deadlines(session, award, rules, WorkingDays(state))


def sync_awards(
    session: Session,
    award_ids: Iterable[int],
    state: str = "NW",
    regimes_dir: str | Path | None = None,
) -> int:
    """Sync the spending deadlines of several awards (after a booking import)."""
    all_rules = load_money_rules(regimes_dir)
    calendar = WorkingDays(state)
    changes = 0
    for award_id in sorted(set(award_ids)):
        award = session.get(Award, award_id)
        if award is not None:
            rules = all_rules.get(award.regime or "")
            changes += sync_spending_deadlines(session, award, rules, calendar)
    return changes
