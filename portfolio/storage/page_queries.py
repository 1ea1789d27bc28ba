"""Named read queries for the web pages: dashboard, lists, timeline, calendar.

Every function runs a fixed number of SQL statements whatever the size of the
portfolio: lists are paginated and load their relations with ``selectinload`` for
the ids of one page only; figures are aggregated with ``GROUP BY``; lists on the
dashboard are capped with ``LIMIT``. A test counts the statements for 10 and for
1,000 programmes (tests/test_web_queries.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import (
    ChangeAction,
    FunderKind,
    IncomeKind,
    ObligationStatus,
    ProgrammeStatus,
)
from portfolio.domain.models import (
    Award,
    BudgetLine,
    Change,
    Contact,
    Funder,
    Funding,
    IncomeLine,
    Narrative,
    Obligation,
    Programme,
    Reminder,
)
from portfolio.storage.queries import (
    ACTIONABLE,
    EFFECTIVE,
    OVERVIEW_OPTIONS,
    ProgrammeRow,
    award_sums,
    programme_rows,
)

DASHBOARD_LIMIT = 25


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a longer list."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        """The index of the first item on this page."""
        return (self.number - 1) * self.size


def make_page(number: int, size: int, total: int) -> Page:
    """A page clamped into the range that exists."""
    pages = max(1, -(-total // size))
    return Page(min(max(1, number), pages), size, total)


@dataclass(frozen=True, slots=True)
class ProgrammeFilter:
    """What the programme list and the timeline are filtered by."""

    search: str = ""
    status: ProgrammeStatus | None = None
    kind: FunderKind | None = None


def _filtered_ids(flt: ProgrammeFilter) -> sa.Select[Any]:
    query = sa.select(Programme.id)
    if flt.search:
        needle = flt.search.lower()  # % and _ are letters here, not wildcards
        query = query.where(
            sa.or_(
                sa.func.lower(Programme.name).contains(needle, autoescape=True),
                sa.func.lower(Programme.short_name).contains(needle, autoescape=True),
                sa.func.lower(Programme.key).contains(needle, autoescape=True),
                sa.func.lower(Programme.field_of_action).contains(
                    needle, autoescape=True
                ),
            )
        )
    if flt.status is not None:
        query = query.where(Programme.status == flt.status)
    if flt.kind is not None:
        by_funding = (
            sa.select(Funding.id)
            .join(Funder, Funding.funder_id == Funder.id)
            .where(Funding.programme_id == Programme.id, Funder.kind == flt.kind)
        )
        by_award = (
            sa.select(Award.id)
            .join(Funder, Award.funder_id == Funder.id)
            .where(Award.programme_id == Programme.id, Funder.kind == flt.kind)
        )
        query = query.where(sa.or_(by_funding.exists(), by_award.exists()))
    return query


def _page_of_programmes(
    session: Session, flt: ProgrammeFilter, number: int, size: int
) -> tuple[list[Programme], Page]:
    ids = _filtered_ids(flt).subquery()
    total = session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0
    page = make_page(number, size, total)
    sort = sa.func.lower(sa.func.coalesce(Programme.short_name, Programme.name))
    query = (
        sa.select(Programme)
        .where(Programme.id.in_(sa.select(ids.c.id)))
        .order_by(sort, Programme.id)
        .limit(page.size)
        .offset(page.offset)
        .options(*OVERVIEW_OPTIONS)
    )
    return list(session.scalars(query)), page


def programme_page(
    session: Session, flt: ProgrammeFilter, number: int = 1, size: int = 50
) -> tuple[list[ProgrammeRow], Page]:
    """One page of the filtered programme list (five statements)."""
    programmes, page = _page_of_programmes(session, flt, number, size)
    return programme_rows(session, programmes), page


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One programme on the timeline: its phases, funder kinds, money and deadlines."""

    programme: Programme
    kinds: tuple[FunderKind, ...]
    amount: Decimal | None
    deadlines: tuple[tuple[date, str, ObligationStatus], ...]


def timeline_page(
    session: Session, flt: ProgrammeFilter, number: int = 1, size: int = 40
) -> tuple[list[TimelineItem], Page]:
    """One page of programmes for the timeline with their deadlines."""
    programmes, page = _page_of_programmes(session, flt, number, size)
    ids = [p.id for p in programmes]
    sums = award_sums(session, ids)
    marks: dict[int, list[tuple[date, str, ObligationStatus]]] = {}
    if ids:
        query = (
            sa.select(
                Obligation.programme_id, EFFECTIVE, Obligation.title, Obligation.status
            )
            .where(Obligation.programme_id.in_(ids))
            .order_by(EFFECTIVE)
        )
        for pid, due, title, status in session.execute(query):
            marks.setdefault(pid, []).append((due, title, status))
    items = []
    for programme in programmes:
        kinds = {f.funder.kind: None for f in programme.fundings}
        for award in programme.awards:
            kinds.setdefault(award.funder.kind, None)
        items.append(
            TimelineItem(
                programme=programme,
                kinds=tuple(kinds),
                amount=sums.get(programme.id, (None, None))[0],
                deadlines=tuple(marks.get(programme.id, [])),
            )
        )
    return items, page


# --- dashboard -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueRow:
    """An obligation in a list: what, when, for which programme, who."""

    id: int
    title: str
    due_on: date
    effective: date
    status: ObligationStatus
    programme_key: str
    programme_label: str
    kind: str
    source: str | None
    responsible: str | None = None
    notes: str | None = None


def _due_rows(
    session: Session, *conditions: Any, limit: int | None, offset: int = 0
) -> list[DueRow]:
    query = (
        sa.select(
            Obligation.id,
            Obligation.title,
            Obligation.due_on,
            EFFECTIVE,
            Obligation.status,
            Programme.key,
            sa.func.coalesce(Programme.short_name, Programme.name),
            Obligation.kind,
            Obligation.source,
            Contact.name,
            Obligation.notes,
        )
        .join(Programme, Obligation.programme_id == Programme.id)
        .outerjoin(Contact, Obligation.responsible_id == Contact.id)
        .where(*conditions)
        .order_by(EFFECTIVE, Obligation.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        DueRow(i, t, d, e, s, k, lbl, str(kind), src, who, notes)
        for i, t, d, e, s, k, lbl, kind, src, who, notes in session.execute(query)
    ]


def _count(session: Session, *conditions: Any) -> int:
    query = sa.select(sa.func.count(Obligation.id)).where(*conditions)
    return session.scalar(query) or 0


AHEAD_DAYS = 90


@dataclass
class Dashboard:
    """The deadline lists of the Übersicht (its figures: services.big_picture)."""

    overdue: list[DueRow]
    ahead: list[DueRow]  # the next AHEAD_DAYS days, always listed


def _days(session: Session, first: Any, last: Any) -> Any:
    """Days from ``first`` to ``last`` in SQL (SQLite has no date subtraction)."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        return sa.func.julianday(last) - sa.func.julianday(first)
    return last - first


def money_by_kind(session: Session, year: int) -> dict[FunderKind, Decimal]:
    """Award money falling into a year by funder kind (the funder's share).

    Per award, as the workbook's ``money_by_funder``: the planned Zuwendung lines
    of the Finanzierungsplan's Einnahmen where recorded (a funder pays the
    Zuwendung, not the whole plan), else its cost plan lines, else the share of its
    amount by days of its Bewilligungszeitraum. Aggregated in SQL (two statements),
    so the dashboard does not load every award.
    """
    first, last = date(year, 1, 1), date(year, 12, 31)
    granted = IncomeLine.kind == IncomeKind.ZUWENDUNG
    granted_awards = sa.select(IncomeLine.award_id).where(granted)
    planned_awards = sa.select(BudgetLine.award_id)
    lines = sa.union_all(
        sa.select(IncomeLine.award_id, IncomeLine.planned).where(
            granted, IncomeLine.year == year
        ),
        sa.select(BudgetLine.award_id, BudgetLine.planned).where(
            BudgetLine.year == year, BudgetLine.award_id.not_in(granted_awards)
        ),
    ).subquery()
    totals: dict[FunderKind, Decimal] = {}
    by_plan = (
        sa.select(Funder.kind, sa.func.sum(lines.c.planned))
        .join(Award, lines.c.award_id == Award.id)
        .join(Funder, Award.funder_id == Funder.id)
        .group_by(Funder.kind)
    )
    inside_start = sa.case((Award.start > first, Award.start), else_=sa.literal(first))
    inside_end = sa.case((Award.end < last, Award.end), else_=sa.literal(last))
    share = (
        Award.amount
        * (_days(session, inside_start, inside_end) + 1)
        / (_days(session, Award.start, Award.end) + 1)
    )
    by_term = (
        sa.select(Funder.kind, sa.func.sum(share))
        .join(Funder, Award.funder_id == Funder.id)
        .where(
            Award.amount.is_not(None),
            Award.start.is_not(None),
            Award.end.is_not(None),
            Award.start <= last,
            Award.end >= first,
            Award.id.not_in(planned_awards),
            Award.id.not_in(granted_awards),
        )
        .group_by(Funder.kind)
    )
    for query in (by_plan, by_term):
        for kind, amount in session.execute(query):
            if amount:
                totals[kind] = totals.get(kind, Decimal(0)) + Decimal(str(amount))
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    return {k: v.quantize(Decimal("0.01")) for k, v in ordered}


def dashboard(session: Session, today: date) -> Dashboard:
    """The overdue deadlines and those of the next 90 days (two statements)."""
    open_ = sa.and_(Obligation.status == ObligationStatus.OPEN, ACTIONABLE)
    ahead = (open_, today <= EFFECTIVE, today + timedelta(days=AHEAD_DAYS) >= EFFECTIVE)
    return Dashboard(
        overdue=_due_rows(session, open_, today > EFFECTIVE, limit=DASHBOARD_LIMIT),
        ahead=_due_rows(session, *ahead, limit=DASHBOARD_LIMIT),
    )


# --- deadlines -------------------------------------------------------------


def deadline_page(
    session: Session,
    status: ObligationStatus | None,
    number: int = 1,
    size: int = 50,
    *,
    search: str = "",
    programme: str | None = None,
    responsible: int | None = None,
) -> tuple[list[DueRow], Page]:
    """One page of obligations, by effective date (optionally of one programme)."""
    conditions: list[Any] = []
    if responsible is not None:
        conditions.append(Obligation.responsible_id == responsible)
    if programme:
        conditions.append(
            Obligation.programme_id.in_(
                sa.select(Programme.id).where(Programme.key == programme)
            )
        )
    if status is not None:
        conditions.append(Obligation.status == status)
    if search:
        conditions.append(
            sa.func.lower(Obligation.title).contains(search.lower(), autoescape=True)
        )
    total = _count(session, *conditions)
    page = make_page(number, size, total)
    return _due_rows(session, *conditions, limit=page.size, offset=page.offset), page


def responsible_people(session: Session) -> list[tuple[int, str]]:
    """The contacts responsible for at least one deadline (for the filter)."""
    query = (
        sa.select(Contact.id, Contact.name)
        .where(
            Contact.id.in_(
                sa.select(Obligation.responsible_id).where(
                    Obligation.responsible_id.is_not(None)
                )
            )
        )
        .order_by(Contact.name)
    )
    return [(ident, name) for ident, name in session.execute(query)]


def deadlines_between(session: Session, first: date, last: date) -> list[DueRow]:
    """Every obligation due (effectively) within [first, last], e.g. one month."""
    return _due_rows(session, first <= EFFECTIVE, last >= EFFECTIVE, limit=500)


def next_due(session: Session, today: date) -> date | None:
    """The date of the next open deadline from today on (the calendar opens there)."""
    query = sa.select(sa.func.min(EFFECTIVE)).where(
        Obligation.status == ObligationStatus.OPEN, ACTIONABLE, today <= EFFECTIVE
    )
    found = session.scalar(query)
    if isinstance(found, str):  # SQLite without a typed expression
        return date.fromisoformat(found)
    return found if isinstance(found, date) else None


def open_deadlines(session: Session, limit: int = 2000) -> list[DueRow]:
    """Open obligations for the calendar feed."""
    return _due_rows(
        session, Obligation.status == ObligationStatus.OPEN, ACTIONABLE, limit=limit
    )


# --- programme detail --------------------------------------------------------


def programme_history(
    session: Session, programme: Programme, limit: int = 100
) -> list[Change]:
    """The change log of a programme and of the rows that belong to it."""

    def ids(rows: Sequence[Any]) -> list[str]:
        return [str(r.id) for r in rows]

    parts = [
        sa.and_(Change.entity == "programmes", Change.entity_id == str(programme.id)),
        sa.and_(Change.entity == "phases", Change.entity_id.in_(ids(programme.phases))),
        sa.and_(Change.entity == "awards", Change.entity_id.in_(ids(programme.awards))),
        sa.and_(
            Change.entity == "obligations",
            Change.entity_id.in_(ids(programme.obligations)),
        ),
        sa.and_(
            Change.entity == "fundings", Change.entity_id.in_(ids(programme.fundings))
        ),
        sa.and_(
            Change.entity == "applications",
            Change.entity_id.in_(ids(programme.applications)),
        ),
        # Deleted parts are no longer among the programme's rows: their last log
        # entry still names the programme (and offers the undo).
        sa.and_(
            Change.action == ChangeAction.DELETE,
            Change.entity.in_(("phases", "awards", "fundings", "applications")),
            Change.before["programme_id"].as_integer() == programme.id,
        ),
        # A partner joining or leaving is a row of its own (no single id to match).
        sa.and_(
            Change.entity == "programme_partners",
            sa.or_(
                Change.after["programme_id"].as_integer() == programme.id,
                Change.before["programme_id"].as_integer() == programme.id,
            ),
        ),
    ]
    query = (
        sa.select(Change)
        .where(sa.or_(*parts))
        .order_by(Change.at.desc(), Change.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def narratives_of(session: Session, programme_id: int) -> list[Narrative]:
    """The Sachbericht sections of a programme, newest year first."""
    query = (
        sa.select(Narrative)
        .where(Narrative.programme_id == programme_id)
        .order_by(Narrative.year.desc(), Narrative.section)
    )
    return list(session.scalars(query))


def reminders_of(
    session: Session, obligation_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """How many reminders of each status every obligation has."""
    if not obligation_ids:
        return {}
    query = (
        sa.select(Reminder.obligation_id, Reminder.status, sa.func.count())
        .where(Reminder.obligation_id.in_(obligation_ids))
        .group_by(Reminder.obligation_id, Reminder.status)
    )
    result: dict[int, dict[str, int]] = {}
    for oid, status, count in session.execute(query):
        if oid is not None:
            result.setdefault(oid, {})[str(status)] = count
    return result


def reminder_page(
    session: Session, status: str | None, number: int = 1, size: int = 50
) -> tuple[list[tuple[Reminder, str | None]], Page]:
    """One page of the reminder log, newest planned first, with the obligation title."""
    conditions = [Reminder.status == status] if status else []
    total = (
        session.scalar(sa.select(sa.func.count(Reminder.id)).where(*conditions)) or 0
    )
    page = make_page(number, size, total)
    query = (
        sa.select(Reminder, Obligation.title)
        .outerjoin(Obligation, Reminder.obligation_id == Obligation.id)
        .where(*conditions)
        .order_by(Reminder.planned_for.desc(), Reminder.id.desc())
        .limit(page.size)
        .offset(page.offset)
    )
    return [(r, t) for r, t in session.execute(query)], page
