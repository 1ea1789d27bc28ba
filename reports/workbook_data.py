"""The rows of the portfolio workbook, read with a fixed number of queries.

Each function returns plain tuples/dataclasses for one sheet, so the writer in
``reports.workbook`` only lays them out. Money per year (sheet Förderer, portfolio
report) comes from the Finanzierungsplan where one is recorded, else the award's
amount spread over its Bewilligungszeitraum by days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import (
    DisbursementKind,
    FunderKind,
    IncomeKind,
    ObligationKind,
    ObligationStatus,
    Precision,
    label,
)
from portfolio.domain.models import (
    Award,
    BudgetLine,
    Contact,
    Disbursement,
    Expense,
    Funder,
    Funding,
    IncomeLine,
    Obligation,
    Phase,
    Programme,
)
from portfolio.domain.money import income_row_label
from portfolio.domain.periods import Period, add_months
from portfolio.storage.queries import ProgrammeRow, next_obligations, obligation_stamp

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """One open obligation for the sheet Fristen."""

    id: int
    programme_key: str
    programme: str
    title: str
    kind: ObligationKind
    due_on: date
    effective: date
    responsible: str | None
    source: str | None
    reference: str | None
    award_id: int | None
    stamp: int  # what the row can change, as a digest: the import spots stale rows


PhaseTuple = tuple[date, date | None, Precision]


def _span(phases: list[PhaseTuple]) -> Period:
    """All phases as one period, as ``Programme.period`` computes it."""
    first = min(phases, key=lambda p: p[0])
    ends = [p[1] for p in phases]
    end = None if any(e is None for e in ends) else max(e for e in ends if e)
    last = max(phases, key=lambda p: (p[1] is None, p[1] or p[0]))
    return Period(first[0], end, first[2], last[2])


def _current(phases: list[PhaseTuple], today: date) -> Period:
    """The phase running today, else the one that started last.

    The overview's Laufzeit is one phase, so that re-importing the workbook finds
    that phase again by its start (the import's rule), not a span of several.
    """
    held = phases[0]
    for phase in phases[1:]:
        if not Period(held[0], held[1], held[2]).contains(today):
            held = phase
    return Period(held[0], held[1], held[2])


def overview_rows(
    session: Session, today: date
) -> tuple[list[ProgrammeRow], dict[int, Period]]:
    """The programme overview in a fixed number of Core queries (no ORM objects).

    Same rows as ``storage.queries.programme_overview``, which loads whole
    programmes; the workbook needs only these columns and must stay fast for
    10,000 programmes. Also returns each programme's current phase.
    """
    phases: dict[int, list[PhaseTuple]] = defaultdict(list)
    for pid, start, end, precision in session.execute(
        sa.select(Phase.programme_id, Phase.start, Phase.end, Phase.precision).order_by(
            Phase.start, Phase.id
        )
    ):
        phases[pid].append((start, end, precision))
    funders: dict[int, dict[str, FunderKind]] = defaultdict(dict)
    for model in (Funding, Award):
        links = (
            sa.select(model.programme_id, Funder.short_name, Funder.kind)
            .join(Funder, Funder.id == model.funder_id)
            .order_by(model.id)
        )
        for pid, short, kind in session.execute(links):
            funders[pid].setdefault(short, kind)
    sums = {
        pid: (amount, own)
        for pid, amount, own in session.execute(
            sa.select(Award.programme_id, sa.func.sum(Award.amount),
                      sa.func.sum(Award.own_contribution)).group_by(Award.programme_id)
        )
    }  # fmt: skip
    planned: dict[int, Decimal] = {}
    for pid, amount in session.execute(
        sa.select(Funding.programme_id, sa.func.sum(Funding.amount))
        .where(Funding.amount.is_not(None)).group_by(Funding.programme_id)
    ):  # fmt: skip
        planned[pid] = amount or ZERO
    due = next_obligations(session)
    query = sa.select(
        Programme.id, Programme.key, Programme.name, Programme.short_name,
        Programme.status, Contact.email,
    ).outerjoin(Contact, Contact.id == Programme.lead_id)  # fmt: skip
    rows = []
    for pid, key, name, short_name, status, lead in session.execute(query):
        amount, own = sums.get(pid, (None, None))
        next_due, next_title = due.get(pid, (None, None))
        named = funders.get(pid, {})
        rows.append(
            ProgrammeRow(
                id=pid, key=key, name=name, label=short_name or name,
                funders=tuple(named), funder_kinds=tuple(dict.fromkeys(named.values())),
                period=_span(phases[pid]) if pid in phases else None,
                amount=amount if amount is not None else planned.get(pid),
                own_share=own, status=status, next_due=next_due,
                next_title=next_title, lead=lead,
            )
        )  # fmt: skip
    rows.sort(key=lambda row: row.label.casefold())
    current = {pid: _current(ph, today) for pid, ph in phases.items()}
    return rows, current


def single_awards(session: Session) -> dict[int, tuple[int, date | None, date | None]]:
    """Programme id → (award id, start, end) for programmes with exactly one award."""
    query = (
        sa.select(
            Award.programme_id,
            sa.func.min(Award.id),
            sa.func.min(Award.start),
            sa.func.min(Award.end),
        )
        .group_by(Award.programme_id)
        .having(sa.func.count(Award.id) == 1)
    )
    return {
        int(pid): (int(aid), start, end)
        for pid, aid, start, end in session.execute(query)
    }


def open_deadlines(session: Session) -> Iterator[DeadlineRow]:
    """Every open obligation, by effective date, streamed."""
    effective = sa.func.coalesce(Obligation.due_effective, Obligation.due_on)
    query = (
        sa.select(
            Obligation.id,
            Programme.key,
            sa.func.coalesce(Programme.short_name, Programme.name),
            Obligation.title,
            Obligation.kind,
            Obligation.due_on,
            effective,
            Contact.email,
            Obligation.source,
            Award.reference,
            Obligation.award_id,
            # What the stamp (``_stand``) covers besides the columns above.
            Obligation.programme_id,
            Obligation.due_effective,
            Obligation.responsible_id,
            Obligation.status,
            Obligation.done_on,
        )
        .join(Programme, Programme.id == Obligation.programme_id)
        .outerjoin(Contact, Contact.id == Obligation.responsible_id)
        .outerjoin(Award, Award.id == Obligation.award_id)
        .where(Obligation.status == ObligationStatus.OPEN)
        .order_by(effective, Obligation.id)
        .execution_options(yield_per=2000)
    )
    for row in session.execute(query):
        values: tuple[Any, ...] = tuple(row)  # 16 columns: beyond select()'s typing
        programme_id, due_effective, responsible_id, status, done_on = values[11:]
        stamp = obligation_stamp(
            programme_id,
            row.award_id,
            row.kind,
            row.title,
            row.due_on,
            due_effective,
            responsible_id,
            status,
            done_on,
        )
        yield DeadlineRow(
            row.id,
            row.key,
            values[2],
            row.title,
            row.kind,
            row.due_on,
            values[6],
            row.email,
            row.source,
            row.reference,
            row.award_id,
            stamp,
        )


@dataclass(slots=True)
class FinanceRow:
    """Plan vs actual of one award, cost category and Haushaltsjahr."""

    award_id: int
    programme_key: str
    label: str
    category: str
    year: int
    planned: Decimal = ZERO
    actual: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """One Mittelabruf or Rückzahlung as the sheet "Mittelabrufe" shows it."""

    id: int
    award_id: int
    programme_key: str
    programme: str
    reference: str
    requested_on: date | None
    amount: Decimal
    received_on: date | None
    repayment: bool
    note: str | None


def payment_rows(session: Session) -> list[PaymentRow]:
    """Every payment by programme, award and date (one query)."""
    query = (
        sa.select(
            Disbursement.id, Award.id, Programme.key, Programme.name,
            Award.reference, Disbursement.requested_on, Disbursement.amount,
            Disbursement.received_on, Disbursement.kind, Disbursement.note,
        )
        .join(Award, Award.id == Disbursement.award_id)
        .join(Programme, Programme.id == Award.programme_id)
    )  # fmt: skip
    rows = [
        PaymentRow(
            pid,
            aid,
            key,
            name,
            ref or "",
            asked,
            amount,
            got,
            kind is DisbursementKind.RUECKZAHLUNG,
            note,
        )
        for pid, aid, key, name, ref, asked, amount, got, kind, note in session.execute(
            query
        )
    ]
    return sorted(
        rows,
        key=lambda r: (
            r.programme.casefold(), r.reference, r.requested_on or r.received_on
            or date.min, r.id,
        ),
    )  # fmt: skip


def finance_rows(
    session: Session, year: int | None = None, *, income: bool = False
) -> list[FinanceRow]:
    """Plan and actual grouped by award, category and year (one year if given).

    ``income``: the plan's Einnahmen instead (Kostenart "Einnahme: Zuwendung" …,
    no actual).
    """
    award_label = (
        sa.select(
            Award.id,
            Programme.key,
            sa.func.coalesce(Programme.short_name, Programme.name),
            Funder.short_name,
            Award.reference,
        )
        .join(Programme, Programme.id == Award.programme_id)
        .join(Funder, Funder.id == Award.funder_id)
    )
    labels = {
        aid: (key, f"{name} – {funder}" + (f" ({ref})" if ref else ""))
        for aid, key, name, funder, ref in session.execute(award_label)
    }
    rows: dict[tuple[int, str, int], FinanceRow] = {}

    def row(aid: int, category: str, y: int) -> FinanceRow:
        found = rows.get((aid, category, y))
        if found is None:
            key, text = labels[aid]
            found = rows[(aid, category, y)] = FinanceRow(aid, key, text, category, y)
        return found

    if income:
        lines = sa.select(
            IncomeLine.award_id, IncomeLine.kind, IncomeLine.year, IncomeLine.planned
        )
        if year is not None:
            lines = lines.where(IncomeLine.year == year)
        for aid, kind, y, amount in session.execute(lines):
            row(aid, income_row_label(label(kind)), y).planned += amount or ZERO
        return sorted(
            rows.values(), key=lambda r: (r.label.casefold(), r.year, r.category)
        )
    plans = sa.select(
        BudgetLine.award_id,
        BudgetLine.category,
        BudgetLine.year,
        sa.func.sum(BudgetLine.planned),
    ).group_by(BudgetLine.award_id, BudgetLine.category, BudgetLine.year)
    spent = sa.select(
        Expense.award_id, Expense.category, Expense.year, sa.func.sum(Expense.amount)
    ).group_by(Expense.award_id, Expense.category, Expense.year)
    if year is not None:
        plans = plans.where(BudgetLine.year == year)
        spent = spent.where(Expense.year == year)
    for aid, category, y, amount in session.execute(plans):
        row(aid, category, y).planned += amount or ZERO
    for aid, category, y, amount in session.execute(spent):
        row(aid, category, y).actual += amount or ZERO
    return sorted(
        rows.values(), key=lambda r: (r.label.casefold(), r.year, r.category.casefold())
    )


@dataclass(slots=True)
class TimelineRow:
    """One programme on the Zeitstrahl: its phases and when it ends."""

    programme_id: int
    key: str
    label: str
    phases: list[tuple[date, date | None]]

    @property
    def end(self) -> date | None:
        """The last phase's end (None if a phase is open)."""
        ends = [e for _, e in self.phases]
        if not ends or any(e is None for e in ends):
            return None
        return max(e for e in ends if e is not None)

    def ends_soon(self, today: date, months: int = 6) -> bool:
        """Whether it ends within the next months: follow-up funding to settle."""
        end = self.end
        return end is not None and today <= end <= add_months(today, months)


def timeline_rows(session: Session) -> list[TimelineRow]:
    """Every programme with its phases, by label."""
    programmes = {
        pid: TimelineRow(pid, key, label, [])
        for pid, key, label in session.execute(
            sa.select(
                Programme.id,
                Programme.key,
                sa.func.coalesce(Programme.short_name, Programme.name),
            )
        )
    }
    for pid, start, end in session.execute(
        sa.select(Phase.programme_id, Phase.start, Phase.end).order_by(Phase.start)
    ):
        programmes[pid].phases.append((start, end))
    return sorted(programmes.values(), key=lambda r: r.label.casefold())


def spread_by_year(start: date, end: date, amount: Decimal) -> dict[int, Decimal]:
    """Spread an amount over the calendar years of a term, by days (cent-exact)."""
    days = (end - start).days + 1
    shares: dict[int, Decimal] = {}
    left = amount
    years = list(range(start.year, end.year + 1))
    for y in years:
        first, last = max(start, date(y, 1, 1)), min(end, date(y, 12, 31))
        if y == years[-1]:
            shares[y] = left
            break
        part = (amount * ((last - first).days + 1) / days).quantize(Decimal("0.01"))
        shares[y] = part
        left -= part
    return shares


@dataclass(slots=True)
class FunderMoney:
    """Money of one funder per year."""

    short_name: str
    name: str
    kind: FunderKind
    by_year: dict[int, Decimal]
    unplaced: Decimal = ZERO  # amounts without a term or plan


def money_by_funder(session: Session) -> list[FunderMoney]:
    """Per funder and year: planned Zuwendung, else plan, else award by days.

    A funder pays the Zuwendung, not the whole plan: under Anteilfinanzierung the
    expenses include the office's own share.
    """
    planned: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for aid, y, amount in session.execute(
        sa.select(
            BudgetLine.award_id, BudgetLine.year, sa.func.sum(BudgetLine.planned)
        ).group_by(BudgetLine.award_id, BudgetLine.year)
    ):
        planned[aid][y] = amount or ZERO
    granted: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for aid, y, amount in session.execute(
        sa.select(IncomeLine.award_id, IncomeLine.year, sa.func.sum(IncomeLine.planned))
        .where(IncomeLine.kind == IncomeKind.ZUWENDUNG)
        .group_by(IncomeLine.award_id, IncomeLine.year)
    ):
        granted[aid][y] = amount or ZERO
    planned.update(granted)
    result: dict[int, FunderMoney] = {
        fid: FunderMoney(short, name, kind, {})
        for fid, short, name, kind in session.execute(
            sa.select(Funder.id, Funder.short_name, Funder.name, Funder.kind)
        )
    }
    for aid, fid, start, end, awarded in session.execute(
        sa.select(Award.id, Award.funder_id, Award.start, Award.end, Award.amount)
    ):
        money = result[fid]
        if aid in planned:
            shares = planned[aid]
        elif awarded is not None and start is not None and end is not None:
            shares = spread_by_year(start, end, awarded)
        else:
            money.unplaced += awarded or ZERO
            continue
        for y, part in shares.items():
            money.by_year[y] = money.by_year.get(y, ZERO) + part
    return sorted(result.values(), key=lambda m: m.short_name.casefold())


def portfolio_years(
    timeline: list[TimelineRow], today: date, limit: int = 15
) -> list[int]:
    """The calendar years the Zeitstrahl spans (at most ``limit``, past today)."""
    starts = [s for row in timeline for s, _ in row.phases]
    ends = [e for row in timeline for _, e in row.phases if e is not None]
    first = min(starts).year if starts else today.year
    last = max([today.year + 1, *(e.year for e in ends)])
    last = min(last, today.year + 5)
    first = max(first, last - limit + 1)
    return list(range(first, last + 1))


def month_index(day: date) -> int:
    """Months since year 0, for comparing a date with a month column."""
    return day.year * 12 + day.month - 1
