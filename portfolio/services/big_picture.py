"""The portfolio at a glance on one day: the figures Übersicht and report share.

``big_picture`` is the one function behind the dashboard's figures and the portfolio
report's (``reports.portfolio_report``): programmes running in the year, money of the
year by funder kind, the applications in progress (Idee, in Vorbereitung,
eingereicht) with their sums, the programmes ending within twelve months with the
state of their follow-up funding, and how many open deadlines fall into the coming
windows. It runs a fixed number of statements whatever the size of the portfolio
(aggregates, window functions, ``LIMIT`` on the lists), so the dashboard stays fast.

A follow-up application (Folgeantrag) of an ending programme is one of its
applications that is not for a phase already begun (no phase, or a phase starting
after the day) and that has not become an award already in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import (
    ApplicationStatus,
    FunderKind,
    ObligationStatus,
    ProgrammeStatus,
)
from portfolio.domain.models import (
    Application,
    Award,
    Funder,
    Obligation,
    Phase,
    Programme,
)
from portfolio.domain.money import format_money
from portfolio.domain.periods import add_months, format_date
from portfolio.storage.page_queries import money_by_kind
from portfolio.storage.queries import ACTIONABLE, EFFECTIVE

IN_PROGRESS = (
    ApplicationStatus.IDEA,
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
)
# Which follow-up application speaks for a programme when it has several.
_FOLLOW_UP_RANK = {
    ApplicationStatus.APPROVED: 0,
    ApplicationStatus.PARTLY_APPROVED: 1,
    ApplicationStatus.SUBMITTED: 2,
    ApplicationStatus.DRAFT: 3,
    ApplicationStatus.IDEA: 4,
    ApplicationStatus.REJECTED: 5,
    ApplicationStatus.WITHDRAWN: 6,
}
_FOLLOW_UP_WORDS = {
    ApplicationStatus.IDEA: "Folgeantrag als Idee",
    ApplicationStatus.DRAFT: "Folgeantrag in Vorbereitung",
    ApplicationStatus.SUBMITTED: "Folgeantrag eingereicht",
    ApplicationStatus.APPROVED: "Folgeantrag bewilligt",
    ApplicationStatus.PARTLY_APPROVED: "Folgeantrag teilweise bewilligt",
    ApplicationStatus.REJECTED: "Folgeantrag abgelehnt",
    ApplicationStatus.WITHDRAWN: "Folgeantrag zurückgezogen",
}
NO_FOLLOW_UP = "keine Anschlussförderung beantragt"
ENDING_MONTHS = 12
ZERO = Decimal(0)
CENT = Decimal("0.01")


def _decimal(value: Any) -> Decimal:
    """A sum from SQL as cents (SQLite answers floats for sums of numerics)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT)


@dataclass(frozen=True, slots=True)
class PipelineItem:
    """One application in progress."""

    id: int
    status: ApplicationStatus
    programme_key: str
    programme_label: str
    funder: str | None
    requested: Decimal | None
    deadline: date | None
    submitted_on: date | None


@dataclass(frozen=True, slots=True)
class PipelineStage:
    """The applications of one state: how many, their requested sum, the first few."""

    status: ApplicationStatus
    count: int
    requested: Decimal
    items: tuple[PipelineItem, ...]


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Applications in progress, by state (Idee, in Vorbereitung, eingereicht)."""

    stages: tuple[PipelineStage, ...]

    @property
    def count(self) -> int:
        """How many applications are in progress."""
        return sum(s.count for s in self.stages)

    @property
    def requested(self) -> Decimal:
        """Their requested sum (applications without an amount count zero)."""
        return sum((s.requested for s in self.stages), ZERO)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """The follow-up application of an ending programme."""

    status: ApplicationStatus
    funder: str | None
    requested: Decimal | None
    deadline: date | None
    submitted_on: date | None
    decided_on: date | None

    @property
    def secured(self) -> bool:
        """Whether the follow-up funding is approved (wholly or in part)."""
        return self.status in {
            ApplicationStatus.APPROVED,
            ApplicationStatus.PARTLY_APPROVED,
        }

    @property
    def alive(self) -> bool:
        """Whether it still counts as follow-up funding (not refused or withdrawn)."""
        return self.status not in {
            ApplicationStatus.REJECTED,
            ApplicationStatus.WITHDRAWN,
        }


def follow_up_text(follow_up: FollowUp | None) -> str:
    """The state of a programme's follow-up funding in words."""
    if follow_up is None:
        return NO_FOLLOW_UP
    text = _FOLLOW_UP_WORDS[follow_up.status]
    if follow_up.status is ApplicationStatus.SUBMITTED and follow_up.submitted_on:
        text += f" am {format_date(follow_up.submitted_on)}"
    elif follow_up.secured and follow_up.decided_on:
        text += f" am {format_date(follow_up.decided_on)}"
    elif follow_up.status in IN_PROGRESS and follow_up.deadline:
        text += f", Antragsfrist {format_date(follow_up.deadline)}"
    extra = [x for x in (follow_up.funder,) if x]
    if follow_up.requested is not None:
        extra.append(format_money(follow_up.requested))
    if extra:
        text += f" ({', '.join(extra)})"
    if not follow_up.alive:
        text += " – Anschlussförderung offen"
    return text


@dataclass(frozen=True, slots=True)
class EndingProgramme:
    """A programme whose phases all end within the window, with its follow-up."""

    id: int
    key: str
    label: str
    end: date
    follow_up: FollowUp | None

    @property
    def follow_up_text(self) -> str:
        """The follow-up funding's state in words."""
        return follow_up_text(self.follow_up)

    @property
    def open_question(self) -> bool:
        """Whether follow-up funding is neither applied for nor secured."""
        return self.follow_up is None or not self.follow_up.alive


@dataclass(frozen=True, slots=True)
class DeadlineCounts:
    """Open deadlines someone must act on, by window from the day."""

    overdue: int
    within_30: int
    within_90: int
    until_horizon: int  # overdue ones included: what is open up to the horizon


@dataclass(frozen=True, slots=True)
class BigPicture:
    """The portfolio at a glance on one day."""

    today: date
    year: int
    horizon: date
    programmes: int
    running: int
    money_by_kind: dict[FunderKind, Decimal]
    pipeline: Pipeline
    ending: list[EndingProgramme]
    ending_count: int
    deadlines: DeadlineCounts

    @property
    def money_total(self) -> Decimal:
        """Money of the year over all funder kinds."""
        return sum(self.money_by_kind.values(), ZERO)


def programme_counts(session: Session, year: int) -> tuple[int, int]:
    """All programmes, and those running (status) with a period touching the year.

    The period is the span of all phases (``Programme.period``): it touches the year
    when a phase starts by the year's end and a phase is open or ends in or after
    it; a programme without phases counts by its status alone.
    """
    first, last = date(year, 1, 1), date(year, 12, 31)

    def phase(*conditions: Any) -> Any:
        return (
            sa.select(Phase.id)
            .where(Phase.programme_id == Programme.id, *conditions)
            .exists()
        )

    touches = sa.or_(
        ~phase(),
        sa.and_(
            phase(Phase.start <= last),
            phase(sa.or_(Phase.end.is_(None), Phase.end >= first)),
        ),
    )
    running = sa.and_(Programme.status == ProgrammeStatus.RUNNING, touches)
    total, count = session.execute(
        sa.select(
            sa.func.count(Programme.id),
            sa.func.sum(sa.case((running, 1), else_=0)),
        )
    ).one()
    return int(total or 0), int(count or 0)


def pipeline(session: Session, per_stage: int = 10) -> Pipeline:
    """Applications in progress by state: sums and the first few of each (one query).

    One ``UNION ALL``: per state the first applications by Antragsfrist (a top-n
    scan, no window over every application), and one row per state with its count
    and requested sum (``place`` 0).
    """
    undated = sa.case((Application.deadline.is_(None), 1), else_=0)
    parts: list[Any] = []
    for status in IN_PROGRESS:
        first = (
            sa.select(Application.id)
            .where(Application.status == status)
            .order_by(undated, Application.deadline, Application.id)
            .limit(per_stage)
            .subquery()
        )
        parts.append(
            sa.select(
                Application.id,
                Application.status,
                sa.literal(1).label("place"),
                sa.literal(0).label("n"),
                Application.requested.label("total"),
            ).where(Application.id.in_(sa.select(first.c.id)))
        )
    parts.append(
        sa.select(
            sa.literal(0).label("id"),
            Application.status,
            sa.literal(0).label("place"),
            sa.func.count(Application.id).label("n"),
            sa.func.sum(Application.requested).label("total"),
        )
        .where(Application.status.in_(IN_PROGRESS))
        .group_by(Application.status)
    )
    found = sa.union_all(*parts).subquery()
    query = (
        sa.select(
            found.c.id,
            found.c.status,
            found.c.place,
            found.c.n,
            found.c.total,
            Programme.key,
            sa.func.coalesce(Programme.short_name, Programme.name).label("label"),
            Funder.short_name.label("funder"),
            Application.deadline,
            Application.submitted_on,
        )
        .outerjoin(Application, Application.id == found.c.id)
        .outerjoin(Programme, Programme.id == Application.programme_id)
        .outerjoin(Funder, Funder.id == Application.funder_id)
        .order_by(
            found.c.place,
            sa.case((Application.deadline.is_(None), 1), else_=0),
            Application.deadline,
            found.c.id,
        )
    )
    counts: dict[ApplicationStatus, tuple[int, Decimal]] = {}
    items: dict[ApplicationStatus, list[PipelineItem]] = {s: [] for s in IN_PROGRESS}
    for row in session.execute(query):
        status = ApplicationStatus(row.status)
        if row.place == 0:
            counts[status] = (int(row.n), _decimal(row.total))
            continue
        items[status].append(
            PipelineItem(
                row.id, status, row.key, row.label, row.funder,
                None if row.total is None else _decimal(row.total),
                row.deadline, row.submitted_on,
            )
        )  # fmt: skip
    return Pipeline(
        tuple(
            PipelineStage(s, *counts.get(s, (0, ZERO)), tuple(items[s]))
            for s in IN_PROGRESS
        )
    )


def ending_programmes(
    session: Session, today: date, months: int = ENDING_MONTHS, limit: int | None = 25
) -> tuple[list[EndingProgramme], int]:
    """Programmes whose phases all end within the months, with their follow-up.

    Returns the first ``limit`` by end date and how many there are (two queries).
    """
    horizon = add_months(today, months)
    # All phases closed and the last end in the window: a phase ends in the window
    # and none is open or ends after it (no GROUP BY over every phase).
    ends_inside = sa.select(Phase.programme_id).where(
        Phase.end >= today, Phase.end <= horizon
    )
    goes_on = (
        sa.select(Phase.id)
        .where(
            Phase.programme_id == Programme.id,
            sa.or_(Phase.end.is_(None), Phase.end > horizon),
        )
        .exists()
    )
    last = (
        sa.select(sa.func.max(Phase.end))
        .where(Phase.programme_id == Programme.id)
        .scalar_subquery()
    )
    query = (
        sa.select(
            Programme.id,
            Programme.key,
            sa.func.coalesce(Programme.short_name, Programme.name),
            last,
            sa.func.count().over(),
        )
        .where(
            Programme.id.in_(ends_inside),
            ~goes_on,
            Programme.status != ProgrammeStatus.REJECTED,
        )
        .order_by(last, Programme.id)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    total = int(rows[0][4]) if rows else 0
    follow_ups = _follow_ups(session, [r[0] for r in rows], today)
    ending = [
        EndingProgramme(pid, key, label, _as_date(end), follow_ups.get(pid))
        for pid, key, label, end, _ in rows
    ]
    return ending, total


def _as_date(value: Any) -> date:
    """A date from an aggregate (SQLite gives the text of a max over dates)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _follow_ups(
    session: Session, programme_ids: list[int], today: date
) -> dict[int, FollowUp]:
    """The most advanced follow-up application of each programme (one query)."""
    if not programme_ids:
        return {}
    in_force = (
        sa.select(Award.id)
        .where(Award.application_id == Application.id, Award.start <= today)
        .exists()
    )
    query = (
        sa.select(
            Application.programme_id,
            Application.id,
            Application.status,
            Funder.short_name,
            Application.requested,
            Application.deadline,
            Application.submitted_on,
            Application.decided_on,
        )
        .outerjoin(Phase, Phase.id == Application.phase_id)
        .outerjoin(Funder, Funder.id == Application.funder_id)
        .where(
            Application.programme_id.in_(programme_ids),
            sa.or_(Application.phase_id.is_(None), Phase.start > today),
            ~in_force,
        )
    )
    best: dict[int, tuple[tuple[int, int], FollowUp]] = {}
    for row in session.execute(query):
        status = ApplicationStatus(row.status)
        rank = (_FOLLOW_UP_RANK[status], -row.id)
        if row.programme_id not in best or rank < best[row.programme_id][0]:
            follow = FollowUp(
                status, row.short_name, row.requested, row.deadline,
                row.submitted_on, row.decided_on,
            )  # fmt: skip
            best[row.programme_id] = (rank, follow)
    return {pid: follow for pid, (_, follow) in best.items()}


def deadline_counts(session: Session, today: date, horizon: date) -> DeadlineCounts:
    """Open deadlines: overdue, within 30 and 90 days, and up to the horizon."""

    def within(last: date) -> Any:
        return sa.func.sum(
            sa.case((sa.and_(today <= EFFECTIVE, last >= EFFECTIVE), 1), else_=0)
        )

    overdue = sa.func.sum(sa.case((today > EFFECTIVE, 1), else_=0))
    until = sa.func.sum(sa.case((horizon >= EFFECTIVE, 1), else_=0))
    row = session.execute(
        sa.select(
            overdue,
            within(today + timedelta(days=30)),
            within(today + timedelta(days=90)),
            until,
        ).where(Obligation.status == ObligationStatus.OPEN, ACTIONABLE)
    ).one()
    return DeadlineCounts(*(int(n or 0) for n in row))


def big_picture(
    session: Session,
    today: date,
    *,
    year: int | None = None,
    ending_limit: int | None = 25,
    per_stage: int = 10,
) -> BigPicture:
    """The portfolio at a glance on a day (money and running in ``year``, else today's).

    Dashboard and portfolio report take their figures from here (seven statements).
    """
    year = today.year if year is None else year
    horizon = add_months(today, ENDING_MONTHS)
    total, running = programme_counts(session, year)
    ending, ending_count = ending_programmes(session, today, limit=ending_limit)
    return BigPicture(
        today=today,
        year=year,
        horizon=horizon,
        programmes=total,
        running=running,
        money_by_kind=money_by_kind(session, year),
        pipeline=pipeline(session, per_stage),
        ending=ending,
        ending_count=ending_count,
        deadlines=deadline_counts(session, today, horizon),
    )
