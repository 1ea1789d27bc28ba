"""What one outbox row says: the reminder or digest mail built from the database.

``compose`` turns a claimed row into its message (None when the obligation is no
longer open); ``mail_for`` gathers the facts of one reminder (also for the .ics
export) and ``why_shifted`` names the weekend and holidays a deadline moved over.
The Message-ID comes from the row (``message_id_for``): a re-send after a crash is
the same message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email.message import Message
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from portfolio.domain.deadlines import WorkingDays, format_de, weekday_de
from portfolio.domain.enums import ObligationStatus, label
from portfolio.domain.models import Award, Obligation, Reminder
from portfolio.domain.reminders import plan_digests
from portfolio.notify import (
    Office,
    ReminderMail,
    digest_message,
    message_id_for,
    reminder_message,
)
from portfolio.services.reminder_planning import DIGEST_STAGE, due_items

if TYPE_CHECKING:
    from portfolio.services.reminder_sending import MailSettings


def compose(
    session: Session, row: Reminder, settings: MailSettings, now: datetime
) -> Message | None:
    """Build the message of a row; None if its obligation is no longer open."""
    office = Office(
        name=settings.office.name,
        sender=settings.office.sender,
        base_url=settings.office.base_url,
        templates_dir=settings.office.templates_dir,
        now=now,
    )
    message_id = message_id_for(row.id, office.sender, row.created_at)
    if row.stage == DIGEST_STAGE:
        today = now.astimezone(ZoneInfo(settings.timezone)).date()
        items = due_items(session, today + timedelta(weeks=8))
        for digest in plan_digests(items, today, settings.lead):
            if digest.recipient == row.recipient:
                return digest_message(digest, office, message_id)
        return None
    obligation = row.obligation
    if obligation is None or obligation.status is not ObligationStatus.OPEN:
        return None
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    mail = mail_for(obligation, row, office, settings, today)
    return reminder_message(mail, office)


def mail_for(
    obligation: Obligation,
    row: Reminder | None,
    office: Office,
    settings: MailSettings,
    today: date | None = None,
) -> ReminderMail:
    """The facts of one reminder mail (also used for the .ics export)."""
    award: Award | None = obligation.award
    effective = obligation.due_effective or obligation.due_on
    base = office.base_url.rstrip("/")
    return ReminderMail(
        recipient=row.recipient if row else "",
        cc=tuple(row.cc) if row else (),
        programme=obligation.programme.label,
        title=obligation.title,
        kind=label(obligation.kind),
        due_on=obligation.due_on,
        due_effective=effective,
        stage=int(row.stage) if row else 0,
        obligation_id=obligation.id,
        message_id=message_id_for(row.id, office.sender, row.created_at) if row else "",
        source=obligation.source or "",
        checklist=tuple(obligation.checklist or ()),
        award=(award.reference or "") if award else "",
        funder=award.funder.short_name if award else "",
        link=f"{base}/programme/{obligation.programme.key}#frist-{obligation.id}"
        if base
        else "",
        today=today,
        holiday=why_shifted(obligation.due_on, effective, WorkingDays(settings.state)),
    )


def why_shifted(due_on: date, effective: date, calendar: WorkingDays) -> str:
    """Name the days a deadline was moved over: "30.04.2017 Sonntag, 01.05.2017 …"."""
    reasons, day = [], due_on
    while day < effective:
        name = calendar.holiday_name(day) or weekday_de(day)
        reasons.append(f"{format_de(day)} {name}")
        day += timedelta(days=1)
    return ", ".join(reasons)
