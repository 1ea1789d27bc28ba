"""The entities of the portfolio (DESIGN §3) as typed SQLAlchemy declarative classes.

The database enforces what it can (unique natural keys, foreign keys, CHECK
constraints on enums, money and periods); each entity's ``validate`` says the same
in German before the database has to, so users read "Der Betrag darf nicht negativ
sein" rather than a constraint name. Storage calls ``validate`` on every flush.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import partial
from itertools import repeat
from operator import is_, is_not, le, lt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.domain.access import AuditEvent, LoginThrottle, WebSession
from portfolio.domain.base import Base, Rate, enum_column
from portfolio.domain.bookings import (
    ACCOUNT_LENGTH,
    CODE_LENGTH,
    REFERENCE_LENGTH,
    TEXT_LENGTH,
)
from portfolio.domain.documents import Document, DocumentText
from portfolio.domain.enums import (
    ApplicationStatus,
    AwardKind,
    DisbursementKind,
    FinancingType,
    FunderKind,
    IncomeKind,
    ObligationKind,
    ObligationStatus,
    Precision,
    ProgrammeStatus,
)
from portfolio.domain.errors import InvalidValue
from portfolio.domain.ledger import (
    Change,
    ImportBatch,
    Meta,
    Reminder,
    ReportSending,
    User,
)
from portfolio.domain.periods import Period, format_date


def _non_negative(column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{column} IS NULL OR {column} >= 0", name=f"{column}_ge0"
    )


def _ordered(start: str, end: str) -> sa.CheckConstraint:
    # Quoted: "end" is a reserved word in PostgreSQL.
    return sa.CheckConstraint(
        f'"{end}" IS NULL OR "{start}" IS NULL OR "{end}" >= "{start}"',
        name=f"{end}_after",
    )


def _check_money(owner: str, **amounts: Decimal | None) -> None:
    for name, amount in amounts.items():
        if amount is not None and amount < 0:
            raise InvalidValue(
                f"{owner}: Der Betrag {name!r} darf nicht negativ sein ({amount})."
            )


def _check_order(owner: str, start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidValue(
            f"{owner}: Das Ende ({format_date(end)}) liegt vor dem Beginn "
            f"({format_date(start)})."
        )


def _check_rate(owner: str, rate: Decimal | None) -> None:
    if rate is not None and not Decimal(0) <= rate <= Decimal(1):
        raise InvalidValue(
            f"{owner}: Ein Anteil muss zwischen 0 und 1 liegen (nicht {rate})."
        )


# Rows given column by column (a bulk insert's rows): column name -> values.
Columns = Mapping[str, Sequence[Any]]
_GIVEN = partial(is_not, None)


def surely(check: Callable[[Columns], bool], columns: Columns) -> bool:
    """Whether a column-wise check says every row passes its ``validate``.

    The checks make the very comparisons ``validate`` makes, a column at a time
    (a bulk insert validates 100 000 rows; building each row's message text
    cost more than the checks). Anything odd – a missing column, a value that
    cannot be compared – answers False: then ``validate`` runs row by row and
    raises what it always raised, for the first row that fails.
    """
    try:
        return check(columns)
    except Exception:
        return False


def _money_ok(values: Sequence[Any]) -> bool:
    """No amount that ``_check_money`` refuses."""
    return not any(map(lt, filter(_GIVEN, values), repeat(0)))


def _order_ok(starts: Sequence[Any], ends: Sequence[Any]) -> bool:
    """No pair of dates that ``_check_order`` refuses."""
    if all(map(is_, ends, repeat(None))):
        return True
    if all(map(_GIVEN, starts)) and all(map(_GIVEN, ends)):
        return not any(map(lt, ends, starts))
    return not any(
        end < start
        for start, end in zip(starts, ends, strict=True)
        if start is not None and end is not None
    )


def _rate_ok(values: Sequence[Any]) -> bool:
    """No rate that ``_check_rate`` refuses."""
    rates = list(filter(_GIVEN, values))
    return all(map(le, repeat(Decimal(0)), rates)) and all(
        map(le, rates, repeat(Decimal(1)))
    )


class Provenance:
    """Columns that tie a row to the import that created or last changed it."""

    import_batch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    source_ref: Mapped[str | None] = mapped_column(sa.String(300))


class Contact(Provenance, Base):
    """A person or role mailbox (Ansprechperson); the e-mail is the natural key."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str | None] = mapped_column(sa.String(200))
    organisation: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(60))
    is_office_lead: Mapped[bool] = mapped_column(default=False)

    def validate(self) -> None:
        """An e-mail address needs an @ and no blanks."""
        if "@" not in self.email or any(c.isspace() for c in self.email):
            raise InvalidValue(f"{self.email!r} ist keine gültige E-Mail-Adresse.")


class Funder(Provenance, Base):
    """A Fördergeber / Mittelgeber, possibly part of a larger one (MAIS → Land NRW)."""

    __tablename__ = "funders"

    id: Mapped[int] = mapped_column(primary_key=True)
    short_name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[FunderKind] = mapped_column(enum_column(FunderKind, "kind"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("funders.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    notes: Mapped[str | None] = mapped_column(sa.Text)

    parent: Mapped[Funder | None] = relationship(remote_side=[id])
    contact: Mapped[Contact | None] = relationship()

    def validate(self) -> None:
        """A funder is not its own parent."""
        if self.parent is self:
            raise InvalidValue(f"{self.short_name}: kann nicht sich selbst angehören.")


class Partner(Provenance, Base):
    """A partner organisation (the ten cities, schools, chambers …)."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str | None] = mapped_column(sa.String(60))

    def validate(self) -> None:
        """A partner needs a name."""
        if not self.name.strip():
            raise InvalidValue("Ein Partner braucht einen Namen.")


class ProgrammePartner(Base):
    """A partner's role in a programme."""

    __tablename__ = "programme_partners"

    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str | None] = mapped_column(sa.String(200))

    partner: Mapped[Partner] = relationship()

    def validate(self) -> None:
        """Nothing to check beyond the keys."""


class Programme(Provenance, Base):
    """A funding programme or project of the office (Programm / Projekt)."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    short_name: Mapped[str | None] = mapped_column(sa.String(120))
    description: Mapped[str | None] = mapped_column(sa.Text)
    field_of_action: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[ProgrammeStatus] = mapped_column(
        enum_column(ProgrammeStatus, "status"), default=ProgrammeStatus.RUNNING
    )
    lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="SET NULL")
    )
    tags: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    lead: Mapped[Contact | None] = relationship()
    parent: Mapped[Programme | None] = relationship(remote_side=[id])
    phases: Mapped[list[Phase]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="Phase.start"
    )
    fundings: Mapped[list[Funding]] = relationship(
        back_populates="programme", cascade="all, delete-orphan"
    )
    applications: Mapped[list[Application]] = relationship(
        back_populates="programme", cascade="all, delete-orphan"
    )
    awards: Mapped[list[Award]] = relationship(
        back_populates="programme", cascade="all, delete-orphan"
    )
    obligations: Mapped[list[Obligation]] = relationship(
        back_populates="programme", cascade="all, delete-orphan"
    )
    partner_links: Mapped[list[ProgrammePartner]] = relationship(
        cascade="all, delete-orphan"
    )

    def validate(self) -> None:
        """A key is a slug: lower-case letters, digits and hyphens."""
        if not self.key or not all(c.isalnum() or c in "-_" for c in self.key):
            raise InvalidValue(
                f"Der Schlüssel {self.key!r} darf nur Buchstaben, Ziffern und "
                "Bindestriche enthalten."
            )

    @staticmethod
    def surely_valid(columns: Columns) -> bool:
        """Whether every row's key passes ``validate`` (see ``surely``)."""
        keys = columns["key"]
        if set(map(type, keys)) != {str} or not all(keys):
            return False
        # str.isalnum asks each character what ``validate`` asks it.
        rest = "".join(keys).replace("-", "").replace("_", "")
        return not rest or rest.isalnum()

    @property
    def label(self) -> str:
        """The name people use: the short name if there is one."""
        return self.short_name or self.name

    def period(self) -> Period | None:
        """The span of all phases (open if the last phase is open)."""
        if not self.phases:
            return None
        first = min(self.phases, key=lambda p: p.start)
        ends = [p.end for p in self.phases]
        end = None if any(e is None for e in ends) else max(e for e in ends if e)
        last = max(self.phases, key=lambda p: (p.end is None, p.end or p.start))
        return Period(first.start, end, first.precision, last.precision)


class Phase(Base):
    """A Förderphase / Laufzeit of a programme; the end may be open."""

    __tablename__ = "phases"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "start", "name"),
        _ordered("start", "end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    start: Mapped[date]
    end: Mapped[date | None]
    precision: Mapped[Precision] = mapped_column(
        enum_column(Precision, "precision"), default=Precision.DAY
    )

    programme: Mapped[Programme] = relationship(back_populates="phases")

    @property
    def period(self) -> Period:
        """The phase as a period value."""
        return Period(self.start, self.end, self.precision)

    def validate(self) -> None:
        """The end is not before the start."""
        _check_order(f"Phase {self.name!r}".strip(), self.start, self.end)

    @staticmethod
    def surely_valid(columns: Columns) -> bool:
        """Whether every row passes ``validate`` (see ``surely``)."""
        return _order_ok(columns["start"], columns["end"])


class Funding(Base):
    """A funder's part in a programme: an amount and/or a share."""

    __tablename__ = "fundings"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "funder_id"),
        _non_negative("amount"),
        sa.CheckConstraint("share IS NULL OR (share >= 0 AND share <= 1)", "share"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    funder_id: Mapped[int] = mapped_column(
        sa.ForeignKey("funders.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[Decimal | None]
    share: Mapped[Decimal | None] = mapped_column(Rate)

    programme: Mapped[Programme] = relationship(back_populates="fundings")
    funder: Mapped[Funder] = relationship()

    def validate(self) -> None:
        """Money is not negative; a share lies in [0, 1]."""
        _check_money("Finanzierung", amount=self.amount)
        _check_rate("Finanzierung", self.share)

    @staticmethod
    def surely_valid(columns: Columns) -> bool:
        """Whether every row passes ``validate`` (see ``surely``)."""
        return _money_ok(columns["amount"]) and _rate_ok(columns["share"])


class Application(Base):
    """An application (Antrag) for a phase of a programme."""

    __tablename__ = "applications"
    __table_args__ = (
        _non_negative("requested"),
        _non_negative("own_contribution"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    phase_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("phases.id", ondelete="SET NULL")
    )
    funder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("funders.id", ondelete="RESTRICT"), index=True
    )
    reference: Mapped[str | None] = mapped_column(sa.String(120))
    deadline: Mapped[date | None]
    submitted_on: Mapped[date | None]
    requested: Mapped[Decimal | None]
    own_contribution: Mapped[Decimal | None]
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "status"), default=ApplicationStatus.DRAFT
    )
    decided_on: Mapped[date | None]

    programme: Mapped[Programme] = relationship(back_populates="applications")
    phase: Mapped[Phase | None] = relationship()
    funder: Mapped[Funder | None] = relationship()

    def validate(self) -> None:
        """Money is not negative."""
        _check_money(
            "Antrag", requested=self.requested, own_contribution=self.own_contribution
        )

    @staticmethod
    def surely_valid(columns: Columns) -> bool:
        """Whether every row passes ``validate`` (see ``surely``)."""
        return _money_ok(columns["requested"]) and _money_ok(
            columns["own_contribution"]
        )


class Award(Provenance, Base):
    """A Zuwendungsbescheid or contract: the money, its term and its rules (regime)."""

    __tablename__ = "awards"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "funder_id", "reference"),
        _ordered("start", "end"),
        _non_negative("amount"),
        _non_negative("own_contribution"),
        _non_negative("staff_posts"),
        sa.CheckConstraint(
            "funding_rate IS NULL OR (funding_rate >= 0 AND funding_rate <= 1)",
            "funding_rate",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    phase_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("phases.id", ondelete="SET NULL")
    )
    funder_id: Mapped[int] = mapped_column(
        sa.ForeignKey("funders.id", ondelete="RESTRICT"), index=True
    )
    # The application the award came from, when it was made from one.
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[AwardKind] = mapped_column(
        enum_column(AwardKind, "kind"), default=AwardKind.BESCHEID
    )
    reference: Mapped[str | None] = mapped_column(sa.String(120))
    awarded_on: Mapped[date | None]
    start: Mapped[date | None]
    end: Mapped[date | None]
    amount: Mapped[Decimal | None]
    own_contribution: Mapped[Decimal | None]
    funding_rate: Mapped[Decimal | None] = mapped_column(Rate)
    staff_posts: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    regime: Mapped[str | None] = mapped_column(sa.String(60))
    conditions: Mapped[str | None] = mapped_column(sa.Text)
    # Per-award overrides of regime rules (CONTRACTS §1), checked and normalised by
    # portfolio.domain.overrides.validate_overrides in every door.
    overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    zweck_erfuellt_on: Mapped[date | None]
    # Anteil-, Fehlbedarfs-, Voll- or Festbetragsfinanzierung: picks the checks.
    financing_type: Mapped[FinancingType | None] = mapped_column(
        enum_column(FinancingType, "financing_type")
    )
    # Where the finance system books the award (Kostenträger, Auftrag, HH-Stelle);
    # a booking is matched by these codes only, never guessed.
    accounting_codes: Mapped[list[str]] = mapped_column(default=list)
    # Sachkonto or Sachkonto prefix -> plan position; the longest prefix wins.
    account_categories: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The Bescheid's own money rules: rule id -> "off", "2m", "30 %" (money_rules).
    money_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)

    programme: Mapped[Programme] = relationship(back_populates="awards")
    phase: Mapped[Phase | None] = relationship()
    funder: Mapped[Funder] = relationship()
    application: Mapped[Application | None] = relationship()
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="award", cascade="all, delete-orphan"
    )
    expenses: Mapped[list[Expense]] = relationship(
        back_populates="award", cascade="all, delete-orphan"
    )
    disbursements: Mapped[list[Disbursement]] = relationship(
        back_populates="award", cascade="all, delete-orphan"
    )
    income_lines: Mapped[list[IncomeLine]] = relationship(
        back_populates="award", cascade="all, delete-orphan"
    )
    versions: Mapped[list[AwardVersion]] = relationship(
        back_populates="award",
        cascade="all, delete-orphan",
        order_by="AwardVersion.issued_on",
    )

    def validate(self) -> None:
        """Money is not negative, the term is ordered, the rate lies in [0, 1]."""
        owner = f"Bewilligung {self.reference or ''}".strip()
        _check_money(
            owner,
            amount=self.amount,
            own_contribution=self.own_contribution,
            staff_posts=self.staff_posts,
        )
        _check_order(owner, self.start, self.end)
        _check_rate(owner, self.funding_rate)
        codes = self.accounting_codes or []
        if any(not isinstance(c, str) or not c.strip() for c in codes):
            raise InvalidValue(f"{owner}: Ein Buchungsschlüssel darf nicht leer sein.")
        for account, category in (self.account_categories or {}).items():
            if (
                not str(account).strip()
                or not isinstance(category, str)
                or not (category.strip())
            ):
                raise InvalidValue(
                    f"{owner}: Die Zuordnung Sachkonto {account!r} → Position "
                    f"{category!r} braucht beides."
                )

    @staticmethod
    def surely_valid(columns: Columns) -> bool:
        """Whether every row passes ``validate`` (see ``surely``).

        Codes and account categories only where every row has none (``or``
        takes an empty value as none, as ``validate`` does).
        """
        return (
            all(map(_money_ok, map(columns.__getitem__, _AWARD_MONEY)))
            and _order_ok(columns["start"], columns["end"])
            and _rate_ok(columns["funding_rate"])
            and not any(columns["accounting_codes"])
            and not any(columns["account_categories"])
        )


_AWARD_MONEY = ("amount", "own_contribution", "staff_posts")


class AwardVersion(Base):
    """One Bescheid of an award (Erst- or Änderungsbescheid) as it was issued.

    The award's own columns and plan lines are the version in force; each row here
    keeps what a Bescheid said (amount, term, Finanzierungsplan) with its date and
    reference, so checks can use the plan in force on a day and the
    Verwendungsnachweis can name every Bescheid.
    """

    __tablename__ = "award_versions"
    __table_args__ = (
        sa.UniqueConstraint("award_id", "issued_on", "reference"),
        _ordered("start", "end"),
        _non_negative("amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(
        sa.ForeignKey("awards.id", ondelete="CASCADE"), index=True
    )
    issued_on: Mapped[date]
    reference: Mapped[str] = mapped_column(sa.String(120), default="")
    amount: Mapped[Decimal | None]
    start: Mapped[date | None]
    end: Mapped[date | None]
    # The Finanzierungsplan of this Bescheid: [{"category"|"kind", "year", "planned"}].
    budget: Mapped[list[Any]] = mapped_column(sa.JSON(), default=list)
    income: Mapped[list[Any]] = mapped_column(sa.JSON(), default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)

    award: Mapped[Award] = relationship(back_populates="versions")

    def validate(self) -> None:
        """Money is not negative and the term is ordered."""
        owner = f"Bescheid vom {format_date(self.issued_on)}"
        _check_money(owner, amount=self.amount)
        _check_order(owner, self.start, self.end)


class IncomeLine(Base):
    """A planned Einnahme per kind and year (Zuwendung, Eigenanteil, Dritte)."""

    __tablename__ = "income_lines"
    __table_args__ = (
        sa.UniqueConstraint("award_id", "kind", "year"),
        _non_negative("planned"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(
        sa.ForeignKey("awards.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[IncomeKind] = mapped_column(enum_column(IncomeKind, "kind"))
    year: Mapped[int]
    planned: Mapped[Decimal]

    award: Mapped[Award] = relationship(back_populates="income_lines")

    def validate(self) -> None:
        """Money is not negative."""
        _check_money(f"Einnahmen {self.kind}", planned=self.planned)


class BudgetLine(Base):
    """A planned amount per cost category and year (Finanzierungsplan)."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        sa.UniqueConstraint("award_id", "category", "year"),
        _non_negative("planned"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(
        sa.ForeignKey("awards.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(120))
    year: Mapped[int]
    planned: Mapped[Decimal]
    import_batch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("import_batches.id", ondelete="SET NULL")
    )

    award: Mapped[Award] = relationship(back_populates="budget_lines")

    def validate(self) -> None:
        """Money is not negative."""
        _check_money(f"Finanzierungsplan {self.category}", planned=self.planned)


class Expense(Base):
    """An actual expense (Ist-Ausgabe): typed in, or a booking of the finance system.

    A booking keeps its Belegnummer, text, Sachkonto and code; the amount is signed
    (a Storno or Gutschrift is negative and nets out). ``occurrence`` numbers
    identical lines of one export (split salary bookings) so a re-import of an
    overlapping export recognises each line once.
    """

    __tablename__ = "expenses"
    __table_args__ = (
        sa.Index("ix_expenses_identity", "award_id", "reference", "spent_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(
        sa.ForeignKey("awards.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(120))
    year: Mapped[int]
    spent_on: Mapped[date | None]
    amount: Mapped[Decimal]
    note: Mapped[str | None] = mapped_column(sa.Text)
    reference: Mapped[str | None] = mapped_column(sa.String(REFERENCE_LENGTH))
    text: Mapped[str | None] = mapped_column(sa.String(TEXT_LENGTH))
    account: Mapped[str | None] = mapped_column(sa.String(ACCOUNT_LENGTH))
    code: Mapped[str | None] = mapped_column(sa.String(CODE_LENGTH))
    occurrence: Mapped[int] = mapped_column(default=1)
    import_batch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )

    award: Mapped[Award] = relationship(back_populates="expenses")

    def validate(self) -> None:
        """A category is named; the occurrence counts from 1."""
        if not self.category or not self.category.strip():
            raise InvalidValue("Eine Ausgabe braucht eine Position des Plans.")
        if self.occurrence is not None and self.occurrence < 1:
            raise InvalidValue("Die laufende Nummer einer Buchung beginnt bei 1.")


class Disbursement(Base):
    """A call for funds (Mittelabruf) and the payment received, or a Rückzahlung.

    The amount is always positive; ``kind`` says the direction, so sums read
    "abgerufen" and "zurückgezahlt" without sign conventions.
    """

    __tablename__ = "disbursements"
    __table_args__ = (_non_negative("amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(
        sa.ForeignKey("awards.id", ondelete="CASCADE"), index=True
    )
    requested_on: Mapped[date | None]
    amount: Mapped[Decimal]
    received_on: Mapped[date | None]
    kind: Mapped[DisbursementKind] = mapped_column(
        enum_column(DisbursementKind, "kind"), default=DisbursementKind.ABRUF
    )
    note: Mapped[str | None] = mapped_column(sa.Text)

    award: Mapped[Award] = relationship(back_populates="disbursements")

    def validate(self) -> None:
        """Money is not negative; the money arrives after it was requested."""
        _check_money("Mittelabruf", amount=self.amount)
        _check_order("Mittelabruf", self.requested_on, self.received_on)


class Obligation(Provenance, Base):
    """A deadline or deliverable: a Nachweis, report, application or event.

    ``due_on`` is the date as the rule or the person wrote it; ``due_effective`` the
    date after the working-day shift (§ 193 BGB), when it differs. Reminders count
    from ``due_on``.
    """

    __tablename__ = "obligations"
    __table_args__ = (
        sa.UniqueConstraint("award_id", "rule_key"),
        sa.CheckConstraint(
            "origin IN ('manual', 'import') OR origin LIKE 'rule:%'", "origin"
        ),
        _ordered("due_on", "due_effective"),
        sa.Index("ix_obligations_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    award_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("awards.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ObligationKind] = mapped_column(
        enum_column(ObligationKind, "kind"), default=ObligationKind.OTHER
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    due_on: Mapped[date]
    due_effective: Mapped[date | None]
    # The outer limit when the rule gives an earlier date ("spätestens …"), and a
    # German sentence on why the date is what it is (assumption, Bescheid, shift).
    due_latest: Mapped[date | None]
    basis: Mapped[str | None] = mapped_column(sa.Text)
    responsible_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ObligationStatus] = mapped_column(
        enum_column(ObligationStatus, "status"), default=ObligationStatus.OPEN
    )
    done_on: Mapped[date | None]
    origin: Mapped[str] = mapped_column(sa.String(80), default="manual")
    template_id: Mapped[str | None] = mapped_column(sa.String(80))
    # Identifies a generated obligation within its award (template + period).
    rule_key: Mapped[str | None] = mapped_column(sa.String(120))
    source: Mapped[str | None] = mapped_column(sa.String(300))
    checklist: Mapped[list[str]] = mapped_column(default=list)
    # Set when a person changed a generated obligation: regeneration keeps it.
    edited: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    programme: Mapped[Programme] = relationship(back_populates="obligations")
    award: Mapped[Award | None] = relationship()
    responsible: Mapped[Contact | None] = relationship()

    @property
    def effective(self) -> date:
        """The date that counts after the working-day shift."""
        return self.due_effective or self.due_on

    @property
    def is_open(self) -> bool:
        """Whether the obligation still has to be met."""
        return self.status is ObligationStatus.OPEN

    def validate(self) -> None:
        """The origin is known and a done date belongs to a done obligation."""
        origin = self.origin or "manual"  # the column default applies on insert
        if origin not in ("manual", "import") and not origin.startswith("rule:"):
            raise InvalidValue(
                f"Unbekannte Herkunft {self.origin!r} (erlaubt: manual, import, "
                "rule:<Regelwerk>)."
            )
        _check_order(f"Frist {self.title!r}", self.due_on, self.due_effective)

    @staticmethod
    def surely_valid(columns: Columns) -> bool:
        """Whether every row passes ``validate`` (see ``surely``)."""
        for origin in set(columns["origin"]):
            known = origin or "manual"
            if known not in ("manual", "import") and not known.startswith("rule:"):
                return False
        return _order_ok(columns["due_on"], columns["due_effective"])


class Narrative(Base):
    """A Sachbericht section (Ziele, Maßnahmen, …) per programme and year."""

    __tablename__ = "narratives"
    __table_args__ = (sa.UniqueConstraint("programme_id", "year", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    section: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text, default="")

    programme: Mapped[Programme] = relationship()

    def validate(self) -> None:
        """Nothing to check beyond the keys."""


__all__ = [
    "ENTITIES", "Application", "AuditEvent", "Award", "AwardVersion", "BudgetLine",
    "Change", "Contact", "Disbursement", "Document", "DocumentText", "Expense",
    "Funder", "Funding", "ImportBatch", "IncomeLine", "LoginThrottle", "Meta",
    "Narrative", "Obligation", "Partner", "Phase", "Programme", "ProgrammePartner",
    "Reminder", "ReportSending", "User", "WebSession",
]  # fmt: skip

ENTITIES: tuple[type[Base], ...] = (
    Meta, Contact, Funder, Partner, Programme, ProgrammePartner, Phase, Funding,
    Application, Award, AwardVersion, BudgetLine, IncomeLine, Expense, Disbursement,
    Obligation, Narrative, ImportBatch, Change, Reminder, ReportSending, User,
    WebSession, LoginThrottle, AuditEvent, Document, DocumentText,
)  # fmt: skip
