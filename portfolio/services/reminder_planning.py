"""Reminder planning against the database: which outbox rows to write (DESIGN §5).

``plan`` asks the pure planner (``portfolio.domain.reminders``) which stage is due
for every open obligation and writes one row per (obligation, recipient, stage,
due_on) with ``INSERT … ON CONFLICT DO NOTHING``: a second planning is a no-op. The
database skips obligations whose current reminder already exists (``sql_stage``,
kept equal to the pure planner by a test), so a repeated run costs about one indexed
read. Planning also cancels pending rows that lost their reason (obligation done,
date moved, superseded by a later stage) and writes the weekly digest rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TypeAlias, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from portfolio.domain.enums import ObligationKind, ObligationStatus, ReminderStatus
from portfolio.domain.models import Contact, Obligation, Programme, Reminder
from portfolio.domain.reminders import (
    OVERDUE_EVERY_DAYS,
    DueItem,
    PlannedReminder,
    Stages,
    plan_digests,
    plan_reminders,
)
from portfolio.services.obligations import rowcount

DIGEST_STAGE = "digest"
SQLITE_INSERT = (
    "INSERT INTO {table} (obligation_id, recipient, cc, stage, due_on, planned_for, "
    "next_attempt_at, status, attempts, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


@lru_cache(maxsize=4096)
def local_midnight(day: date, timezone: str) -> datetime:
    """The start of a day in the office's time zone, as an aware UTC datetime."""
    return datetime.combine(day, time(0), ZoneInfo(timezone)).astimezone(UTC)


def due_items(
    session: Session, until: date, *, unplanned: Unplanned | None = None
) -> list[DueItem]:
    """The open obligations due on or before ``until``, with who should hear of them.

    With ``unplanned`` only those whose current reminder is not in the outbox yet
    (the database does the stage arithmetic; see ``sql_stage``).
    """
    params: dict[str, object] = {"until": until}
    if unplanned is None:
        query = _due_select()
    else:
        dialect = session.get_bind().dialect.name
        stages = unplanned.stages
        query = _unplanned_select(dialect, *_stages_key(stages))
        params.update(_stage_params(unplanned.today, stages))
        params["office_lead"] = unplanned.lead
    return [DueItem._make(row) for row in session.execute(query, params)]


@dataclass(frozen=True)
class Unplanned:
    """Ask ``due_items`` for rows whose current stage is not yet in the outbox."""

    today: date
    stages: Stages
    lead: str | None


# The statements below are built once, with the day, window and office lead as
# bound parameters: building them anew cost about 1 ms per planning run (a fifth
# of the query itself), and their compiled form is then reused by SQLAlchemy.
DueSelect: TypeAlias = (
    "sa.Select[int, ObligationKind, date, str, str, str, str, date | None]"
)
_StagesKey = tuple[tuple[int, ...], tuple[tuple[str, tuple[int, ...]], ...]]


def _stages_key(stages: Stages) -> _StagesKey:
    """A hashable form of ``stages`` for the statement caches."""
    return stages.default, tuple(sorted(stages.per_kind.items()))


@lru_cache(maxsize=1)
def _due_select() -> DueSelect:
    """Open obligations due by ``:until`` with recipient candidates (DueItem order)."""
    return _joined_select()[0]


def _joined_select() -> tuple[DueSelect, Any, Any]:
    """The due-items query plus the two contact aliases it joins."""
    responsible = aliased(Contact)
    lead = aliased(Contact)
    # Column order = DueItem's fields: rows become items without keyword handling.
    query = (
        sa.select(
            Obligation.id,
            Obligation.kind,
            Obligation.due_on,
            responsible.email,
            lead.email,
            sa.func.coalesce(Programme.short_name, Programme.name),
            Obligation.title,
            Obligation.due_effective,
        )
        .join(Programme, Programme.id == Obligation.programme_id)
        .outerjoin(responsible, responsible.id == Obligation.responsible_id)
        .outerjoin(lead, lead.id == Programme.lead_id)
        .where(
            Obligation.status == ObligationStatus.OPEN,
            Obligation.kind != ObligationKind.AUFBEWAHRUNG,  # listed, never reminded
            Obligation.due_on <= sa.bindparam("until", type_=sa.Date),
        )
    )
    return query, responsible, lead


@lru_cache(maxsize=16)
def _unplanned_select(
    dialect: str,
    default: tuple[int, ...],
    per_kind: tuple[tuple[str, tuple[int, ...]], ...],
) -> DueSelect:
    """``_due_select`` without the rows whose current reminder already exists."""
    query, responsible, lead = _joined_select()
    stage = _stage_expression(dialect, Stages(default, dict(per_kind)))
    office = sa.bindparam("office_lead", type_=sa.String)
    email = sa.func.coalesce(responsible.email, lead.email, office)
    if dialect == "sqlite":
        # Not lower(): on SQLite that is Python's (storage/db.py), a callback per
        # open row that cost a fifth of planning 20,000 of them. NOCASE folds
        # ASCII only: an address with a non-ASCII capital is merely looked at
        # again each run, and its insert then hits the unique constraint.
        recipient: sa.ColumnElement[str] = email.collate("NOCASE")
    else:
        recipient = sa.func.lower(email)
    known = (
        sa.select(Reminder.id)
        .where(
            Reminder.obligation_id == Obligation.id,
            Reminder.recipient == recipient,
            Reminder.stage == sa.cast(stage, sa.String),
            Reminder.due_on == Obligation.due_on,
        )
        .exists()
    )
    return query.where(~known)


def sql_stage(dialect: str, today: date, stages: Stages) -> sa.ColumnElement[int]:
    """``current_stage`` as a SQL expression (kept equal to it by a test).

    Lets the database skip obligations whose current reminder already exists,
    so a repeated planning run costs about one indexed read.
    """
    return _stage_expression(dialect, stages, _stage_params(today, stages))


def _stage_values(stages: Stages) -> set[int]:
    """Every stage (days before the due date) over all kinds."""
    return {*stages.default, *(s for v in stages.per_kind.values() for s in v)}


def _stage_params(today: date, stages: Stages) -> dict[str, object]:
    """The bound values of ``_stage_expression`` for planning at ``today``."""
    params: dict[str, object] = {
        "stage_today": today,
        "stage_overdue": today - timedelta(days=OVERDUE_EVERY_DAYS),
    }
    for value in _stage_values(stages):
        params[f"stage_by_{value}"] = today + timedelta(days=value)
    return params


def _stage_expression(
    dialect: str, stages: Stages, values: dict[str, object] | None = None
) -> sa.ColumnElement[int]:
    """``current_stage`` in SQL, with the day of planning as bound parameters.

    A stage ``s`` has come when ``due_on <= today + s``: a date comparison per
    stage (the dates are parameters), so only overdue rows need date arithmetic.
    Without ``values`` the parameters are left to bind at execution.
    """

    def day(name: str) -> sa.BindParameter[date]:
        if values is None:
            return sa.bindparam(name, type_=sa.Date)
        return sa.bindparam(name, values[name], type_=sa.Date)

    today = day("stage_today")
    if dialect == "postgresql":
        late: sa.ColumnElement[int] = sa.type_coerce(
            today - Obligation.due_on, sa.Integer
        )
    else:
        late = sa.cast(
            sa.func.julianday(today) - sa.func.julianday(Obligation.due_on),
            sa.Integer,
        )

    def reached(stage_values: tuple[int, ...]) -> sa.ColumnElement[int]:
        ascending = sorted(stage_values)
        return sa.case(
            *[(Obligation.due_on <= day(f"stage_by_{s}"), s) for s in ascending]
        )

    overdue = -OVERDUE_EVERY_DAYS * (late // OVERDUE_EVERY_DAYS)
    by_kind = reached(stages.default)
    if stages.per_kind:
        by_kind = sa.case(
            *[
                (Obligation.kind == kind, reached(kind_stages))
                for kind, kind_stages in stages.per_kind.items()
            ],
            else_=reached(stages.default),
        )
    return sa.case((Obligation.due_on <= day("stage_overdue"), overdue), else_=by_kind)


def office_lead(session: Session, configured: str | None = None) -> str | None:
    """The office lead's address: the setting, else the contact marked as lead."""
    if configured:
        return configured
    return session.scalar(
        sa.select(Contact.email).where(Contact.is_office_lead.is_(True)).limit(1)
    )


@dataclass
class PlanResult:
    """What a planning run did."""

    planned: int = 0
    cancelled: int = 0
    considered: int = 0


def plan(
    session: Session,
    today: date,
    stages: Stages,
    lead: str | None,
    timezone: str = "Europe/Berlin",
) -> PlanResult:
    """Write the reminders due by ``today`` into the outbox (idempotent)."""
    result = PlanResult(cancelled=cancel_stale(session))
    until = today + timedelta(days=stages.max_days)
    items = due_items(session, until, unplanned=Unplanned(today, stages, lead))
    result.considered = len(items)
    planned = plan_reminders(items, today, stages, lead)
    result.planned = insert_planned(session, planned, timezone)
    result.cancelled += cancel_superseded(session)
    return result


def insert_planned(
    session: Session, planned: Sequence[PlannedReminder], timezone: str
) -> int:
    """Insert planned reminders (one executemany), ignoring any already there."""
    if not planned:
        return 0
    if session.get_bind().dialect.name == "sqlite":
        return _insert_sqlite(session, planned, timezone)
    now = datetime.now(UTC)
    rows = []
    for item in planned:
        at = local_midnight(item.planned_for, timezone)
        rows.append(
            {
                "obligation_id": item.obligation_id,
                "recipient": item.recipient,
                "cc": list(item.cc),
                "stage": str(item.stage),
                "due_on": item.due_on,
                "planned_for": at,
                "next_attempt_at": at,
                "status": ReminderStatus.PENDING,
                "attempts": 0,
                "created_at": now,
            }
        )
    # Core executemany on the session's connection: the ORM bulk path cost 3x more.
    # RETURNING counts the rows this run wrote: a concurrent run that planned the
    # same reminders first makes them conflicts here (the driver's rowcount of an
    # executemany is not reliable).
    insert = postgresql.insert(Reminder).on_conflict_do_nothing().returning(Reminder.id)
    return len(session.connection().execute(insert, rows).all())


def _insert_sqlite(
    session: Session, planned: Sequence[PlannedReminder], timezone: str
) -> int:
    """The same insert as plain SQL in the session's transaction.

    SQLAlchemy's per-value processing was half the cost of planning a day
    (benchmarks/bench_reminders.py); values are written in its SQLite storage
    formats (ISO dates, ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC), so they read back
    and compare exactly like rows it wrote.
    """
    now = _sqlite_datetime(datetime.now(UTC))
    pending = ReminderStatus.PENDING.value
    # Few distinct days and copy lists per run: encode each once.
    moments: dict[date, str] = {}
    copies: dict[tuple[str, ...], str] = {}
    rows = []
    for item in planned:
        at = moments.get(item.planned_for)
        if at is None:
            at = _sqlite_datetime(local_midnight(item.planned_for, timezone))
            moments[item.planned_for] = at
        cc = copies.get(item.cc)
        if cc is None:
            cc = copies[item.cc] = json.dumps(list(item.cc))
        rows.append(
            (
                item.obligation_id,
                item.recipient,
                cc,
                str(item.stage),
                item.due_on.isoformat(),
                at,
                at,
                pending,
                0,
                now,
            )
        )
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    cursor.executemany(SQLITE_INSERT.format(table=Reminder.__tablename__), rows)
    # sqlite3 sums the changes of an executemany: the rows written, not ignored.
    return int(cursor.rowcount)


def _sqlite_datetime(moment: datetime) -> str:
    """A UTC moment in SQLAlchemy's SQLite DATETIME storage format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def cancel_stale(session: Session) -> int:
    """Cancel pending rows whose obligation is no longer open or has a new date."""
    return rowcount(session.execute(_cancel_stale_update()))


# Core statements on the tables: the ORM-enabled forms were compiled afresh on a
# session's first runs (their cache key differs), at the cost of a compile per run.
@lru_cache(maxsize=1)
def _cancel_stale_update() -> sa.Update:
    """The statement of ``cancel_stale`` (built once)."""
    reminders, obligations = _tables()
    still_due = (
        sa.select(obligations.c.id)
        .where(
            obligations.c.id == reminders.c.obligation_id,
            obligations.c.status == ObligationStatus.OPEN,
            obligations.c.due_on == reminders.c.due_on,
        )
        .exists()
    )
    return (
        sa.update(reminders)
        .where(
            reminders.c.status == ReminderStatus.PENDING,
            reminders.c.obligation_id.is_not(None),
            ~still_due,
        )
        .values(
            status=ReminderStatus.CANCELLED, last_error="Frist erledigt oder verschoben"
        )
    )


def _tables() -> tuple[sa.Table, sa.Table]:
    """The reminders and obligations tables (for Core statements)."""
    return cast(sa.Table, Reminder.__table__), cast(sa.Table, Obligation.__table__)


def cancel_superseded(session: Session) -> int:
    """Cancel pending rows for which a later stage of the same obligation exists."""
    return rowcount(session.execute(_cancel_superseded_update()))


@lru_cache(maxsize=1)
def _cancel_superseded_update() -> sa.Update:
    """The statement of ``cancel_superseded`` (built once)."""
    reminders, _ = _tables()
    newer = reminders.alias("newer")
    later = (
        sa.select(newer.c.id)
        .where(
            newer.c.obligation_id == reminders.c.obligation_id,
            newer.c.recipient == reminders.c.recipient,
            newer.c.planned_for > reminders.c.planned_for,
        )
        .exists()
    )
    return (
        sa.update(reminders)
        .where(
            reminders.c.status == ReminderStatus.PENDING,
            reminders.c.obligation_id.is_not(None),
            later,
        )
        .values(
            status=ReminderStatus.CANCELLED, last_error="durch spätere Stufe ersetzt"
        )
    )


def plan_digest_rows(
    session: Session, today: date, lead: str | None, timezone: str
) -> int:
    """Write one digest row per person for the week of ``today`` (once per week)."""
    monday = today - timedelta(days=today.weekday())
    items = due_items(session, today + timedelta(weeks=8))
    people = {d.recipient for d in plan_digests(items, today, lead)}
    done = set(
        session.scalars(
            sa.select(Reminder.recipient).where(
                Reminder.stage == DIGEST_STAGE, Reminder.due_on == monday
            )
        )
    )
    at = local_midnight(today, timezone)
    rows: list[dict[str, object]] = [
        {
            "obligation_id": None,
            "recipient": person,
            "cc": [],
            "stage": DIGEST_STAGE,
            "due_on": monday,
            "planned_for": at,
            "next_attempt_at": at,
            "status": ReminderStatus.PENDING,
            "attempts": 0,
            "created_at": datetime.now(UTC),
        }
        for person in sorted(people - done)
    ]
    if not rows:
        return 0
    # A second scheduler planning the same week at the same moment hits the
    # partial unique index (uq_reminders_digest) and writes nothing.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(Reminder).on_conflict_do_nothing().returning(Reminder.id)
    return len(session.connection().execute(insert, rows).all())
