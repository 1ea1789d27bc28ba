"""The dataset of a Zwischen- or Verwendungsnachweis for one award.

Structured like the Bund forms (research/domain.md §2.2): I. Einnahmen lt.
Finanzierungsplan / lt. Abrechnung; II. Ausgaben per plan position lt. Plan / lt.
Abrechnung / Abweichung with the 20 % check (ANBest-P Nr. 1.2); Mittelabrufe,
received and Bestand; the Belegliste (Verwendungsnachweis only; not for a
Zwischennachweis, domain.md B9); Bestätigung; Sachbericht headings. Figures come
from ``portfolio.services.money`` (sums in the database: the number of queries
does not grow with the bookings); the Belegliste is streamed in one query. An
amount nobody recorded is ``None`` and reads "nicht erfasst", never 0,00 €.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import DisbursementKind, IncomeKind
from portfolio.domain.errors import InputError, NotFound
from portfolio.domain.models import Award, Expense, Programme
from portfolio.domain.money_rules import load_money_rules
from portfolio.domain.plan_limit import LIMIT, Overrun, overruns
from portfolio.services.money import ZERO, award_money
from portfolio.services.money_checks import over_plan_limit

ZN_HEADINGS = (
    "Stand der Arbeiten und bisherige Ergebnisse",
    "Erläuterung der wesentlichen Ausgabenpositionen",
    "Abweichungen vom Finanzierungsplan",
)
VN_HEADINGS = (
    "Verwendung der Zuwendung und durchgeführte Maßnahme (Beginn, Dauer, Abschluss)",
    "Erzielte Ergebnisse im Vergleich zu den vorgegebenen Zielen",
    "Nachweis des geförderten Personals",
    "Notwendigkeit und Angemessenheit der geleisteten Arbeit",
    "Abweichungen von der Planung und vom Finanzierungsplan (mit Begründung)",
    "Erläuterung der wichtigsten Positionen des zahlenmäßigen Nachweises",
)
CONFIRMATION = (
    "Es wird bestätigt, dass die Ausgaben notwendig waren, wirtschaftlich und "
    "sparsam verfahren worden ist und die Angaben mit den Büchern und Belegen "
    "übereinstimmen."
)
INCOME_LABELS = {
    IncomeKind.EIGENANTEIL: "Eigenanteil",
    IncomeKind.DRITTE: "Leistungen Dritter (ohne öffentliche Förderung)",
    IncomeKind.ZUWENDUNG: "Zuwendung",
}
# Articles of funder names, for "an das Bundesministerium …" (accusative).
ARTICLES = (
    ("ministerium", "das"), ("amt", "das"), ("land ", "das"), ("bundesamt", "das"),
    ("stiftung", "die"), ("bezirksregierung", "die"), ("agentur", "die"),
    ("kommission", "die"), ("bank", "die"), ("gesellschaft", "die"),
    ("verband", "den"), ("projektträger", "den"), ("fonds", "den"),
)  # fmt: skip


def with_article(name: str) -> str:
    """A funder's name as an address: "das Bundesministerium für Bildung …"."""
    words = name.split()
    first = words[0].casefold() + " " if words else ""
    for ending, article in ARTICLES:
        if ending.endswith(" "):
            if first == ending:
                return f"{article} {name}"
        elif first.strip().endswith(ending):
            return f"{article} {name}"
    return name


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the zahlenmäßiger Nachweis: plan, actual, deviation."""

    label: str
    planned: Decimal | None
    actual: Decimal | None

    @property
    def deviation(self) -> Decimal | None:
        """Actual minus plan (None where either is not recorded)."""
        if self.planned is None or self.actual is None:
            return None
        return self.actual - self.planned

    @property
    def ratio(self) -> Decimal | None:
        """The deviation as a share of the plan."""
        if self.deviation is None or not self.planned:
            return None
        return self.deviation / self.planned

    # ANBest-P Nr. 1.2, judged on the whole plan (``domain.plan_limit``): "" or
    # what is wrong ("mehr als 20 % über Plan", "nicht im Finanzierungsplan").
    flag: str = ""

    @property
    def over_limit(self) -> bool:
        """Over its Ansatz by more than the limit, or not in the plan at all."""
        return bool(self.flag)


@dataclass(frozen=True, slots=True)
class Payment:
    """A Mittelabruf or Rückzahlung."""

    kind: str
    requested_on: date | None
    amount: Decimal
    received_on: date | None


@dataclass(slots=True)
class Nachweis:
    """Everything the Nachweis shows."""

    final: bool
    year: int | None
    today: date
    office: str
    address: list[str]
    funder: str
    funder_address: str
    programme: str
    reference: str
    purpose: str
    start: date | None
    end: date | None
    amount: Decimal | None
    financing: str | None
    versions: list[tuple[date, str, Decimal | None]]
    income: list[Row]
    expenses: list[Row]
    payments: list[Payment]
    received: Decimal
    repaid: Decimal
    spent_grant: Decimal
    bookings: int
    award_id: int = 0
    headings: tuple[str, ...] = field(default=())
    # The limit of ANBest-P Nr. 1.2 applied (None: the check does not apply).
    limit: Decimal | None = LIMIT

    @property
    def title(self) -> str:
        """Zwischennachweis 2017 / Verwendungsnachweis."""
        return "Verwendungsnachweis" if self.final else f"Zwischennachweis {self.year}"

    @property
    def balance(self) -> Decimal:
        """Bestand: received, less paid back, less spent from the grant."""
        return self.received - self.repaid - self.spent_grant

    @property
    def expense_total(self) -> Row:
        """The sum of the Ausgaben."""
        return _sum("Summe der Ausgaben", self.expenses)

    @property
    def income_total(self) -> Row:
        """The sum of the Einnahmen."""
        return _sum("Summe der Einnahmen", self.income)


def _sum(label: str, rows: list[Row]) -> Row:
    planned = [r.planned for r in rows if r.planned is not None]
    actual = [r.actual for r in rows if r.actual is not None]
    return Row(
        label,
        sum(planned, ZERO) if planned else None,
        sum(actual, ZERO) if actual else None,
    )


def _flag(found: Overrun | None, limit: Decimal | None) -> str:
    if found is None or limit is None:
        return ""
    if found.unplanned:
        return "nicht im Finanzierungsplan"
    share = f"{(limit * 100).normalize():f}".replace(".", ",")
    return f"mehr als {share} % über Plan"


def find_award(session: Session, key: str, reference: str) -> Award:
    """The award of a programme by its reference (Förderkennzeichen)."""
    programme = session.scalar(sa.select(Programme).where(Programme.key == key))
    if programme is None:
        raise NotFound(
            f"Ein Programm {key!r} gibt es nicht (Liste: portfolio programmes)."
        )
    for award in programme.awards:
        if award.reference == reference or str(award.id) == reference:
            return award
    known = ", ".join(a.reference or f"#{a.id}" for a in programme.awards) or "keine"
    raise NotFound(
        f"Das Programm {key!r} hat keine Bewilligung {reference!r}; vorhanden: {known}."
    )


def build_nachweis(
    session: Session,
    award: Award,
    *,
    year: int | None,
    today: date,
    office: str,
    address: list[str],
    regimes_dir: str | Path | None = None,
) -> Nachweis:
    """The Nachweis of one award: for a year (Zwischennachweis) or final.

    The 20 % column asks what ``portfolio check`` asks (``domain.plan_limit``):
    each position's Ist so far (through the year of a Zwischennachweis) against
    its Ansatz in the whole plan, with the limit of the award's regime and
    Bescheid (none where the check does not apply; 20 % without a regime).
    """
    final = year is None
    if (
        not final
        and award.start
        and award.end
        and not award.start.year <= (year or 0) <= award.end.year
    ):
        raise InputError(
            f"Das Jahr {year} liegt außerhalb des Bewilligungszeitraums "
            f"({award.start.year}–{award.end.year})."
        )
    # A Zwischennachweis compares with the plan in force at the year's end (or
    # today); the Verwendungsnachweis with the latest Bescheid.
    plan_on = None if final else min(today, date(year or today.year, 12, 31))
    money = award_money(session, award, plan_on=plan_on)

    def in_scope(value_year: int) -> bool:
        return final or value_year == year

    limit = (
        over_plan_limit(award, load_money_rules(regimes_dir).get(award.regime))
        if award.regime
        else LIMIT
    )
    over = (
        overruns(money.planned, money.spent, limit=limit, until_year=year)
        if limit is not None
        else {}
    )
    categories = money.categories()
    expenses = []
    for category in categories:
        planned = [
            v for (c, y), v in money.planned.items() if c == category and in_scope(y)
        ]
        spent = [
            v for (c, y), v in money.spent.items() if c == category and in_scope(y)
        ]
        expenses.append(
            Row(
                category,
                sum(planned, ZERO) if planned else None,
                sum(spent, ZERO) if spent else (ZERO if money.bookings else None),
                _flag(over.get(category), limit),
            )
        )
    payments = [
        Payment(d.kind.value, d.requested_on, d.amount, d.received_on)
        for d in sorted(
            award.disbursements,
            key=lambda d: (d.requested_on or d.received_on or date.min, d.id),
        )
        if final or (d.received_on or d.requested_on or date.min).year == year
    ]
    received = sum(
        (p.amount for p in payments if p.kind == "abruf" and p.received_on), ZERO
    )
    repaid = sum(
        (p.amount for p in payments if p.kind == DisbursementKind.RUECKZAHLUNG.value),
        ZERO,
    )
    spent_total = sum((r.actual or ZERO for r in expenses), ZERO)
    grant_spent = (spent_total * money.share).quantize(Decimal("0.01"))
    income = []
    for kind in (IncomeKind.EIGENANTEIL, IncomeKind.DRITTE, IncomeKind.ZUWENDUNG):
        planned = [v for (k, y), v in money.income.items() if k is kind and in_scope(y)]
        actual: Decimal | None = None
        if kind is IncomeKind.ZUWENDUNG:
            actual = received - repaid if payments else None
        elif kind is IncomeKind.EIGENANTEIL and money.bookings:
            actual = spent_total - grant_spent
        income.append(
            Row(INCOME_LABELS[kind], sum(planned, ZERO) if planned else None, actual)
        )
    programme = award.programme
    return Nachweis(
        final=final,
        year=year,
        today=today,
        office=office,
        address=address,
        funder=award.funder.name,
        funder_address=with_article(award.funder.name),
        programme=programme.name,
        reference=award.reference or "",
        purpose=programme.description or programme.name,
        start=award.start,
        end=award.end,
        amount=award.amount,
        financing=award.financing_type.value if award.financing_type else None,
        versions=[(v.issued_on, v.reference, v.amount) for v in award.versions],
        income=income,
        expenses=expenses,
        payments=payments,
        received=received,
        repaid=repaid,
        spent_grant=grant_spent,
        bookings=money.bookings,
        award_id=award.id,
        headings=VN_HEADINGS if final else ZN_HEADINGS,
        limit=limit,
    )


def belegliste(
    session: Session, award_id: int, year: int | None = None
) -> Iterator[tuple[str, date | None, str | None, str | None, str | None, Decimal]]:
    """The bookings by position and date (one query, streamed)."""
    query = (
        sa.select(
            Expense.category, Expense.spent_on, Expense.reference, Expense.text,
            Expense.account, Expense.amount,
        )
        .where(Expense.award_id == award_id)
        .order_by(Expense.category, Expense.spent_on, Expense.reference, Expense.id)
    )  # fmt: skip
    if year is not None:
        query = query.where(Expense.year == year)
    for row in session.execute(query.execution_options(yield_per=2000)):
        yield (row[0], row[1], row[2], row[3], row[4], row[5])
