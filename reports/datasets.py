"""The funder and programme report as plain data, built from the database.

``funder_report`` and ``programme_report`` gather, for one Haushaltsjahr, the
programmes funded, their periods and awards, the zahlenmäßiger Nachweis (plan vs
actual by cost category for the year and cumulated, disbursements received), the
obligations met in the year and those coming, and the Sachbericht sections. Every
renderer (html, pdf, docx, xlsx) draws the same dataset, so the formats cannot
disagree about a number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.domain.enums import ObligationKind, ObligationStatus, label
from portfolio.domain.errors import NotFound
from portfolio.domain.models import Award, Funder, Funding, Obligation, Programme
from portfolio.domain.periods import Period, format_date
from portfolio.services.narratives import SECTIONS, find_programme, narratives_for

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class AwardLine:
    """One award as the report shows it."""

    id: int
    funder: str
    funder_name: str
    reference: str
    kind: str
    start: date | None
    end: date | None
    amount: Decimal | None
    own_contribution: Decimal | None
    funding_rate: Decimal | None
    staff_posts: Decimal | None
    regime: str

    @property
    def term(self) -> str:
        """The Bewilligungszeitraum as text."""
        if self.start and self.end:
            return f"{format_date(self.start)} – {format_date(self.end)}"
        if self.start:
            return f"seit {format_date(self.start)}"
        return "nicht erfasst"


@dataclass(slots=True)
class BudgetRow:
    """Plan and actual of one cost category: in the year and cumulated."""

    category: str
    planned_year: Decimal = ZERO
    actual_year: Decimal = ZERO
    planned_total: Decimal = ZERO
    actual_total: Decimal = ZERO

    @property
    def diff_year(self) -> Decimal:
        """Actual minus plan in the year (negative: less spent than planned)."""
        return self.actual_year - self.planned_year

    @property
    def diff_total(self) -> Decimal:
        """Actual minus plan, cumulated."""
        return self.actual_total - self.planned_total

    def add(self, other: BudgetRow) -> None:
        """Add another row's figures (for totals)."""
        self.planned_year += other.planned_year
        self.actual_year += other.actual_year
        self.planned_total += other.planned_total
        self.actual_total += other.actual_total


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """One disbursement (Mittelabruf) and when it arrived."""

    requested_on: date | None
    amount: Decimal
    received_on: date | None


@dataclass(slots=True)
class AwardFinance:
    """The zahlenmäßiger Nachweis of one award for the year."""

    award: AwardLine
    rows: list[BudgetRow] = field(default_factory=list)
    total: BudgetRow = field(default_factory=lambda: BudgetRow("Summe"))
    payments: list[PaymentLine] = field(default_factory=list)
    received_year: Decimal = ZERO
    received_total: Decimal = ZERO

    @property
    def has_figures(self) -> bool:
        """Whether any plan or expense is recorded up to the year."""
        return bool(self.rows)


@dataclass(frozen=True, slots=True)
class ObligationLine:
    """One deadline as the report lists it."""

    title: str
    kind: str
    due_on: date
    effective: date
    status: str
    done_on: date | None
    responsible: str
    source: str
    overdue: bool

    @property
    def shifted(self) -> bool:
        """Whether the working-day rule moved the date."""
        return self.effective != self.due_on


@dataclass(frozen=True, slots=True)
class NarrativeSection:
    """One Sachbericht section: heading and text (empty when not written yet)."""

    key: str
    title: str
    text: str


@dataclass(slots=True)
class ProgrammeSection:
    """Everything the report says about one programme."""

    key: str
    name: str
    label: str
    period: str
    status: str
    field_of_action: str
    awards: list[AwardLine]
    finance: list[AwardFinance]
    met: list[ObligationLine]
    coming: list[ObligationLine]
    narratives: list[NarrativeSection]

    @property
    def awarded(self) -> Decimal:
        """The sum of the awards shown."""
        return sum((a.amount for a in self.awards if a.amount is not None), ZERO)


@dataclass(slots=True)
class FunderReport:
    """A yearly report to one funder (or about one programme)."""

    scope: str  # "funder" or "programme"
    subject: str  # funder short name or programme key
    title: str
    recipient: str
    year: int
    today: date
    programmes: list[ProgrammeSection]
    contact_email: str | None = None

    @property
    def awarded(self) -> Decimal:
        """All awards shown, summed."""
        return sum((p.awarded for p in self.programmes), ZERO)

    @property
    def own_contribution(self) -> Decimal:
        """All own contributions of the awards shown."""
        return sum(
            (
                a.own_contribution
                for p in self.programmes
                for a in p.awards
                if a.own_contribution is not None
            ),
            ZERO,
        )

    @property
    def totals(self) -> BudgetRow:
        """Plan and actual of every award shown, summed."""
        total = BudgetRow("Summe")
        for programme in self.programmes:
            for finance in programme.finance:
                total.add(finance.total)
        return total

    @property
    def received_year(self) -> Decimal:
        """Money received in the year, all awards."""
        return sum((f.received_year for p in self.programmes for f in p.finance), ZERO)

    @property
    def received_total(self) -> Decimal:
        """Money received up to the end of the year, all awards."""
        return sum((f.received_total for p in self.programmes for f in p.finance), ZERO)


def _programme_query() -> sa.Select[Any]:
    return sa.select(Programme).options(
        selectinload(Programme.phases),
        selectinload(Programme.fundings).selectinload(Funding.funder),
        selectinload(Programme.awards).selectinload(Award.funder),
        selectinload(Programme.awards).selectinload(Award.budget_lines),
        selectinload(Programme.awards).selectinload(Award.expenses),
        selectinload(Programme.awards).selectinload(Award.disbursements),
        selectinload(Programme.obligations).selectinload(Obligation.responsible),
        selectinload(Programme.obligations).selectinload(Obligation.award),
    )


def find_funder(session: Session, name: str) -> Funder:
    """A funder by short name or full name (case-insensitive), or NotFound."""
    folded = name.strip().lower()
    funder = session.scalar(
        sa.select(Funder).where(
            sa.or_(
                sa.func.lower(Funder.short_name) == folded,
                sa.func.lower(Funder.name) == folded,
            )
        )
    )
    if funder is None:
        names = sorted(session.scalars(sa.select(Funder.short_name)))
        import difflib

        close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
        hint = f" Meinten Sie {', '.join(close)}?" if close else ""
        raise NotFound(
            f"Kein Fördergeber {name!r}.{hint} Bekannt sind: {', '.join(names)}."
        )
    return funder


def _funder_scope(session: Session, funder: Funder) -> set[int]:
    """The funder and the funders below it (Land NRW includes MAIS NRW)."""
    scope = {funder.id}
    while True:
        more = set(
            session.scalars(sa.select(Funder.id).where(Funder.parent_id.in_(scope)))
        )
        if more <= scope:
            return scope
        scope |= more


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def award_touches_year(award: Award, programme: Programme, year: int) -> bool:
    """Whether an award runs in the year (unknown terms: the programme's period)."""
    first, last = _year_bounds(year)
    if award.start is not None:
        return award.start <= last and (award.end is None or award.end >= first)
    period = programme.period()
    return period is None or period.overlaps(first, last)


def award_line(award: Award) -> AwardLine:
    """The report's view of an award."""
    return AwardLine(
        id=award.id,
        funder=award.funder.short_name,
        funder_name=award.funder.name,
        reference=award.reference or "–",
        kind=label(award.kind),
        start=award.start,
        end=award.end,
        amount=award.amount,
        own_contribution=award.own_contribution,
        funding_rate=award.funding_rate,
        staff_posts=award.staff_posts,
        regime=award.regime or "",
    )


def award_finance(award: Award, year: int) -> AwardFinance:
    """Plan vs actual by category for the year and cumulated, plus payments."""
    rows: dict[str, BudgetRow] = {}
    for line in award.budget_lines:
        if line.year > year:
            continue
        row = rows.setdefault(line.category, BudgetRow(line.category))
        row.planned_total += line.planned
        if line.year == year:
            row.planned_year += line.planned
    for expense in award.expenses:
        if expense.year > year:
            continue
        row = rows.setdefault(expense.category, BudgetRow(expense.category))
        row.actual_total += expense.amount
        if expense.year == year:
            row.actual_year += expense.amount
    finance = AwardFinance(award_line(award), sorted(rows.values(), key=_by_category))
    for row in finance.rows:
        finance.total.add(row)
    last = date(year, 12, 31)
    for payment in sorted(
        award.disbursements, key=lambda d: d.received_on or d.requested_on or last
    ):
        arrived = payment.received_on
        if arrived is not None and arrived <= last:
            finance.received_total += payment.amount
            if arrived.year == year:
                finance.received_year += payment.amount
        if (arrived or payment.requested_on or last).year == year:
            finance.payments.append(
                PaymentLine(payment.requested_on, payment.amount, payment.received_on)
            )
    return finance


CATEGORY_ORDER = (
    "personal",
    "sachausgaben",
    "honorare",
    "reisen",
    "investitionen",
    "verwaltung",
)


def _by_category(row: BudgetRow) -> tuple[int, str]:
    folded = row.category.lower()
    for index, name in enumerate(CATEGORY_ORDER):
        if folded.startswith(name):
            return index, folded
    return len(CATEGORY_ORDER), folded


def obligation_line(obligation: Obligation, today: date) -> ObligationLine:
    """The report's view of an obligation."""
    responsible = obligation.responsible
    return ObligationLine(
        title=obligation.title,
        kind=label(obligation.kind),
        due_on=obligation.due_on,
        effective=obligation.effective,
        status=label(obligation.status),
        done_on=obligation.done_on,
        responsible=responsible.name if responsible else "",
        source=obligation.source or "",
        overdue=obligation.is_open
        and obligation.kind is not ObligationKind.AUFBEWAHRUNG
        and obligation.effective < today,
    )


def split_obligations(
    obligations: Iterable[Obligation], year: int, today: date
) -> tuple[list[ObligationLine], list[ObligationLine]]:
    """Obligations met in the year, and the open ones due until the next year ends."""
    met, coming = [], []
    horizon = date(year + 1, 12, 31)
    for obligation in sorted(obligations, key=lambda o: (o.effective, o.id)):
        if obligation.status in (ObligationStatus.DONE, ObligationStatus.SUBMITTED):
            day = obligation.done_on or obligation.effective
            if day.year == year:
                met.append(obligation_line(obligation, today))
        elif obligation.is_open and obligation.effective <= horizon:
            coming.append(obligation_line(obligation, today))
    return met, coming


def programme_section(
    programme: Programme,
    awards: list[Award],
    year: int,
    today: date,
    texts: dict[str, str],
) -> ProgrammeSection:
    """One programme's part of a report."""
    awards = sorted(awards, key=lambda a: (a.start or date.min, a.id))
    award_ids = {a.id for a in awards}
    obligations = [
        o
        for o in programme.obligations
        if o.award_id is None or o.award_id in award_ids
    ]
    met, coming = split_obligations(obligations, year, today)
    period: Period | None = programme.period()
    return ProgrammeSection(
        key=programme.key,
        name=programme.name,
        label=programme.label,
        period=str(period) if period else "nicht erfasst",
        status=label(programme.status),
        field_of_action=programme.field_of_action or "",
        awards=[award_line(a) for a in awards],
        finance=[award_finance(a, year) for a in awards],
        met=met,
        coming=coming,
        narratives=[
            NarrativeSection(k, title, texts.get(k, ""))
            for k, title in SECTIONS.items()
        ],
    )


def funder_report(session: Session, name: str, year: int, today: date) -> FunderReport:
    """The yearly report to a funder: its programmes running in the year."""
    funder = find_funder(session, name)
    scope = _funder_scope(session, funder)
    linked = sa.select(Funding.programme_id).where(Funding.funder_id.in_(scope))
    awarded = sa.select(Award.programme_id).where(Award.funder_id.in_(scope))
    query = _programme_query().where(
        sa.or_(Programme.id.in_(linked), Programme.id.in_(awarded))
    )
    first, last = _year_bounds(year)
    chosen: list[tuple[Programme, list[Award]]] = []
    for programme in session.scalars(query):
        awards = [
            a
            for a in programme.awards
            if a.funder_id in scope and award_touches_year(a, programme, year)
        ]
        period = programme.period()
        runs = period is None or period.overlaps(first, last)
        if awards or (runs and not any(a.funder_id in scope for a in programme.awards)):
            chosen.append((programme, awards))
    chosen.sort(key=lambda pa: pa[0].label.casefold())
    texts = narratives_for(session, [p.id for p, _ in chosen], year)
    sections = [
        programme_section(p, awards, year, today, texts.get(p.id, {}))
        for p, awards in chosen
    ]
    contact = funder.contact.email if funder.contact else None
    return FunderReport(
        scope="funder",
        subject=funder.short_name,
        title=f"Jahresbericht {year} an {funder.name}",
        recipient=funder.name,
        year=year,
        today=today,
        programmes=sections,
        contact_email=contact,
    )


def programme_report(
    session: Session, key: str, year: int, today: date
) -> FunderReport:
    """The yearly report about one programme, all its funders."""
    find_programme(session, key)
    programme = session.scalars(_programme_query().where(Programme.key == key)).one()
    awards = [a for a in programme.awards if award_touches_year(a, programme, year)]
    texts = narratives_for(session, [programme.id], year)
    section = programme_section(
        programme, awards, year, today, texts.get(programme.id, {})
    )
    funders = sorted({a.funder.name for a in awards})
    contacts = [a.funder.contact.email for a in awards if a.funder.contact]
    return FunderReport(
        scope="programme",
        subject=programme.key,
        title=f"Jahresbericht {year}: {programme.name}",
        recipient=", ".join(funders) or "–",
        year=year,
        today=today,
        programmes=[section],
        contact_email=contacts[0] if contacts else None,
    )
