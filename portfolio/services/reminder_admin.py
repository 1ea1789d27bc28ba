"""Admin actions on the reminder outbox: send failed reminders again.

``retry_reminder`` takes one row, ``retry_failed`` every failed row (tried on or
after a moment, if given): after a long refusal by the mail server the office
sends them in bulk from the CLI or the web. A failed row goes back to ``pending``
with its attempts reset, so the next scheduler run (or ``portfolio remind``) picks
it up; the unique key of the outbox still guarantees it is planned once. Services
never commit.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.enums import ReminderStatus
from portfolio.domain.errors import Conflict, NotFound
from portfolio.domain.models import Reminder
from portfolio.services.obligations import rowcount

RETRYABLE = (ReminderStatus.FAILED, ReminderStatus.CANCELLED)


def retry_reminder(session: Session, reminder_id: int) -> Reminder:
    """Put a failed (or cancelled) reminder back into the queue."""
    reminder = session.get(Reminder, reminder_id)
    if reminder is None:
        raise NotFound(f"Eine Erinnerung mit der Nummer {reminder_id} gibt es nicht.")
    if reminder.status not in RETRYABLE:
        raise Conflict(
            "Nur fehlgeschlagene oder stornierte Erinnerungen können erneut "
            "versucht werden."
        )
    reminder.status = ReminderStatus.PENDING
    reminder.attempts = 0
    reminder.last_error = None
    reminder.next_attempt_at = None
    reminder.claimed_by = None
    reminder.claimed_until = None
    session.flush()
    return reminder


def retry_failed(session: Session, since: datetime | None = None) -> int:
    """Queue every failed reminder again (last tried on or after ``since``)."""
    conditions = [Reminder.status == ReminderStatus.FAILED]
    if since is not None:
        conditions.append(Reminder.last_attempt_at >= since)
    result = session.execute(
        sa.update(Reminder)
        .where(*conditions)
        .values(
            status=ReminderStatus.PENDING,
            attempts=0,
            last_error=None,
            next_attempt_at=None,
            claimed_by=None,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def failed_count(session: Session) -> int:
    """How many reminders have failed for good."""
    return int(
        session.scalar(
            sa.select(sa.func.count(Reminder.id)).where(
                Reminder.status == ReminderStatus.FAILED
            )
        )
        or 0
    )
