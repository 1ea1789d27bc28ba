"""Admin actions on the reminder outbox: send a failed reminder again.

A failed row goes back to ``pending`` with its attempts reset, so the next scheduler
run (or ``portfolio remind``) picks it up; the unique key of the outbox still
guarantees it is sent at most once. Services never commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portfolio.domain.enums import ReminderStatus
from portfolio.domain.errors import Conflict, NotFound
from portfolio.domain.models import Reminder

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
