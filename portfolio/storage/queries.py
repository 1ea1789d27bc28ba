"""Named read queries shared by the doors and the reports.

Each query runs a fixed number of SQL statements whatever the size of the portfolio
(no N+1): lists load their relations with ``selectinload`` and aggregate with
``GROUP BY``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portfolio.domain.enums import (
    FunderKind,
    ObligationKind,
    ObligationStatus,
    ProgrammeStatus,
)
from portfolio.domain.models import (
    Award,
    Funding,
    Obligation,
    Programme,
    ProgrammePartner,
)
from portfolio.domain.periods import Period


@dataclass(frozen=True, slots=True)
class ProgrammeRow:
    """One line of the programme overview."""

    id: int
    key: str
    name: str
    label: str
    funders: tuple[str, ...]
    funder_kinds: tuple[FunderKind, ...]
    period: Period | None
    amount: Decimal | None
    own_share: Decimal | None
    status: ProgrammeStatus
    next_due: date | None
    next_title: str | None
    lead: str | None


EFFECTIVE = sa.func.coalesce(Obligation.due_effective, Obligation.due_on)
# Obligations someone must act on: a retention date (kind "aufbewahrung") is only
# listed, never reminded of, never overdue, not counted (DESIGN §4).
ACTIONABLE = Obligation.kind != ObligationKind.AUFBEWAHRUNG


def award_sums(
    session: Session, ids: Sequence[int] | None = None
) -> dict[int, tuple[Decimal | None, Decimal | None]]:
    """Awarded amount and own contribution per programme (optionally some ids)."""
    query = sa.select(
        Award.programme_id,
        sa.func.sum(Award.amount),
        sa.func.sum(Award.own_contribution),
    ).group_by(Award.programme_id)
    if ids is not None:
        query = query.where(Award.programme_id.in_(ids))
    return {pid: (amount, own) for pid, amount, own in session.execute(query)}


def next_obligations(
    session: Session, ids: Sequence[int] | None = None
) -> dict[int, tuple[date, str]]:
    """The earliest open obligation of every programme (effective date, title)."""
    inner = sa.select(
        Obligation.programme_id,
        EFFECTIVE.label("due"),
        Obligation.title,
        sa.func.row_number()
        .over(partition_by=Obligation.programme_id, order_by=(EFFECTIVE, Obligation.id))
        .label("n"),
    ).where(Obligation.status == ObligationStatus.OPEN, ACTIONABLE)
    if ids is not None:
        inner = inner.where(Obligation.programme_id.in_(ids))
    first = inner.subquery()
    query = sa.select(first.c.programme_id, first.c.due, first.c.title).where(
        first.c.n == 1
    )
    return {pid: (due, title) for pid, due, title in session.execute(query)}


OVERVIEW_OPTIONS = (
    selectinload(Programme.phases),
    selectinload(Programme.fundings).selectinload(Funding.funder),
    selectinload(Programme.awards).selectinload(Award.funder),
    selectinload(Programme.lead),
)


def programme_rows(
    session: Session, programmes: Sequence[Programme]
) -> list[ProgrammeRow]:
    """Overview rows for loaded programmes (two more statements, whatever the count).

    The programmes must be loaded with ``OVERVIEW_OPTIONS``.
    """
    ids = [p.id for p in programmes]
    if not ids:
        return []
    sums, due = award_sums(session, ids), next_obligations(session, ids)
    return [_row(programme, sums, due) for programme in programmes]


def _row(
    programme: Programme,
    sums: dict[int, tuple[Decimal | None, Decimal | None]],
    due: dict[int, tuple[date, str]],
) -> ProgrammeRow:
    funders = {f.funder.short_name: f.funder.kind for f in programme.fundings}
    for award in programme.awards:
        funders.setdefault(award.funder.short_name, award.funder.kind)
    amount, own = sums.get(programme.id, (None, None))
    if amount is None:
        known = [f.amount for f in programme.fundings if f.amount is not None]
        amount = sum(known, Decimal(0)) if known else None
    next_due, next_title = due.get(programme.id, (None, None))
    return ProgrammeRow(
        id=programme.id,
        key=programme.key,
        name=programme.name,
        label=programme.label,
        funders=tuple(funders),
        funder_kinds=tuple(dict.fromkeys(funders.values())),
        period=programme.period(),
        amount=amount,
        own_share=own,
        status=programme.status,
        next_due=next_due,
        next_title=next_title,
        lead=programme.lead.email if programme.lead else None,
    )


def programme_overview(
    session: Session, *, search: str | None = None
) -> list[ProgrammeRow]:
    """Every programme with funders, period, money, status and next deadline."""
    query = sa.select(Programme).options(*OVERVIEW_OPTIONS)
    if search:
        needle = search.lower()  # % and _ are letters here, not wildcards
        query = query.where(
            sa.or_(
                sa.func.lower(Programme.name).contains(needle, autoescape=True),
                sa.func.lower(Programme.short_name).contains(needle, autoescape=True),
                sa.func.lower(Programme.key).contains(needle, autoescape=True),
            )
        )
    rows = programme_rows(session, list(session.scalars(query)))
    rows.sort(key=lambda row: row.label.casefold())
    return rows


def programme_by_key(session: Session, key: str) -> Programme | None:
    """One programme with everything shown on its page."""
    query = (
        sa.select(Programme)
        .where(Programme.key == key)
        .options(
            selectinload(Programme.phases),
            # Funders joined to their rows: two statements fewer than selectin.
            selectinload(Programme.fundings).joinedload(Funding.funder),
            selectinload(Programme.awards).joinedload(Award.funder),
            selectinload(Programme.awards).selectinload(Award.budget_lines),
            selectinload(Programme.awards).selectinload(Award.expenses),
            selectinload(Programme.obligations).selectinload(Obligation.responsible),
            # Partners joined to their links: the page lists name and role.
            selectinload(Programme.partner_links).joinedload(ProgrammePartner.partner),
            selectinload(Programme.lead),
        )
    )
    return session.scalars(query).first()


def suggest_keys(session: Session, text: str, limit: int = 3) -> list[str]:
    """Programme keys that look like a mistyped one ("meinten Sie …?")."""
    import difflib

    keys = list(session.scalars(sa.select(Programme.key)))
    return difflib.get_close_matches(text.lower(), keys, n=limit, cutoff=0.5)


def obligation_stamp(  # noqa: PLR0917 - the fields a deadline row can change
    programme_id: int | None,
    award_id: int | None,
    kind: object,
    title: str,
    due_on: object,
    due_effective: object,
    responsible_id: int | None,
    status: object,
    done_on: object,
) -> int:
    """A digest of what a row of the sheet Fristen can change on a deadline.

    The exported workbook carries it (``_stand``); the import compares it with the
    stored deadline to spot a row whose deadline changed since the export. By
    content, not by change-log id: after an undo the deadline is as exported again.
    """
    parts = (
        programme_id, award_id, kind, title, due_on, due_effective,
        responsible_id, status, done_on,
    )  # fmt: skip
    text = "|".join(_plain(part) for part in parts)
    # 48 bits: an integer a spreadsheet cell (a double) holds exactly.
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def retention_dates(session: Session) -> list[tuple[Obligation, str, str | None]]:
    """Open retention dates (kind "aufbewahrung") with programme and award, by date."""
    query = (
        sa.select(Obligation, Programme.name, Award.reference)
        .join(Programme, Programme.id == Obligation.programme_id)
        .outerjoin(Award, Award.id == Obligation.award_id)
        .where(
            Obligation.kind == ObligationKind.AUFBEWAHRUNG,
            Obligation.status == ObligationStatus.OPEN,
        )
        .order_by(Obligation.due_on, Obligation.id)
    )
    return [(o, name, ref) for o, name, ref in session.execute(query)]
