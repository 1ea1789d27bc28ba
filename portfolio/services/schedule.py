"""When the scheduler runs next, and what it will send then (Verwaltung › Erinnerungen).

The cron rules of the two jobs are declared here once; ``scheduler.py`` builds its
APScheduler triggers from them and the admin page computes the next run times from the
same rules. ``next_run_preview`` answers what the next reminder run will send without
writing anything: the outbox rows that are ready by then, and the reminders the
planning of that run will add (the same planner ``plan`` uses, as a dry run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session

from portfolio.domain.enums import ObligationStatus, ReminderStatus
from portfolio.domain.models import Obligation, Reminder
from portfolio.domain.reminders import Stages, plan_reminders, stage_label
from portfolio.services.reminder_planning import Unplanned, due_items, office_lead

# Reminders every quarter of an hour in office hours; the weekly digest on Monday.
REMINDER_TRIGGER: dict[str, Any] = {
    "day_of_week": "mon-fri",
    "hour": "7-18",
    "minute": "*/15",
}
DIGEST_TRIGGER: dict[str, Any] = {"day_of_week": "mon", "hour": 7, "minute": 0}
SHOWN = 10


def next_time(rule: dict[str, Any], now: datetime, timezone: str) -> datetime:
    """The next moment a cron rule fires after ``now``, in the office's time zone."""
    zone = ZoneInfo(timezone)
    trigger = CronTrigger(timezone=zone, **rule)
    after = now.astimezone(zone) + timedelta(seconds=1)
    found = trigger.get_next_fire_time(None, after)
    if not isinstance(found, datetime):  # a weekly rule always fires again
        raise TypeError(f"{rule} fires no more")
    return found.astimezone(zone)


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A reminder the next run will send: which deadline, which stage, to whom."""

    title: str
    due_on: date
    stage: str  # in words: "14 Tage vorher"
    recipient: str
    planned: bool  # already in the outbox (else the run's planning adds it)


@dataclass(frozen=True, slots=True)
class NextRunPreview:
    """The next reminder and digest runs, and what the reminder run will send."""

    reminders_at: datetime
    digest_at: datetime
    count: int
    shown: list[DueReminder]


def next_run_preview(
    session: Session,
    now: datetime,
    *,
    timezone: str,
    stages: Stages,
    lead: str | None,
) -> NextRunPreview:
    """What the next run after ``now`` will send (four statements, nothing written)."""
    reminders_at = next_time(REMINDER_TRIGGER, now, timezone)
    digest_at = next_time(DIGEST_TRIGGER, now, timezone)
    moment = reminders_at.astimezone(UTC)
    ready = sa.and_(
        Reminder.status == ReminderStatus.PENDING,
        Reminder.planned_for <= moment,
        sa.or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= moment),
        Reminder.obligation_id.is_not(None),
        Obligation.status == ObligationStatus.OPEN,
    )
    base = sa.select(Reminder).join(Obligation, Obligation.id == Reminder.obligation_id)
    waiting = session.scalar(
        sa.select(sa.func.count()).select_from(base.where(ready).subquery())
    )
    shown = [
        DueReminder(
            title,
            reminder.due_on,
            stage_label(int(reminder.stage)),
            reminder.recipient,
            True,
        )
        for reminder, title in session.execute(
            sa.select(Reminder, Obligation.title)
            .join(Obligation, Obligation.id == Reminder.obligation_id)
            .where(ready)
            .order_by(Reminder.planned_for, Reminder.id)
            .limit(SHOWN)
        )
    ]
    day = reminders_at.date()
    boss = office_lead(session, lead)
    items = due_items(
        session,
        day + timedelta(days=stages.max_days),
        unplanned=Unplanned(day, stages, boss),
    )
    titles = {item.obligation_id: item.title for item in items}
    planned = plan_reminders(items, day, stages, boss)
    for row in planned[: max(0, SHOWN - len(shown))]:
        shown.append(
            DueReminder(
                titles.get(row.obligation_id, ""),
                row.due_on,
                stage_label(row.stage),
                row.recipient,
                False,
            )
        )
    return NextRunPreview(
        reminders_at, digest_at, int(waiting or 0) + len(planned), shown
    )
