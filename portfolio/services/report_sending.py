"""Records of report mailings: written before sending, marked sent afterwards.

``start`` writes a ``ReportSending`` row in state ``sending`` with a Message-ID
derived from its id; the door commits, sends, and calls ``mark_sent`` or
``mark_failed`` in a second unit of work. A crash in between leaves the row in
``sending``, so the next ``--send`` of the same report and year sees it and asks
instead of mailing the funder twice without anyone noticing. Like every service this
takes a session and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.models import ReportSending
from portfolio.notify import message_id_for
from portfolio.services import audit

SENDING, SENT, FAILED = "sending", "sent", "failed"


def previous(
    session: Session, kind: str, subject: str, year: int
) -> list[ReportSending]:
    """Earlier sendings (sent or possibly sent) of the same report and year."""
    query = (
        sa.select(ReportSending)
        .where(
            ReportSending.kind == kind,
            ReportSending.subject == subject,
            ReportSending.year == year,
            ReportSending.status.in_((SENDING, SENT)),
        )
        .order_by(ReportSending.id)
    )
    return list(session.scalars(query))


def message_id(row_id: int, sender: str, created_at: datetime | None = None) -> str:
    """A stable Message-ID per sending: a retried message is recognisably the same."""
    return message_id_for(row_id, sender, created_at, kind="report")


def start(
    session: Session,
    *,
    kind: str,
    subject: str,
    year: int,
    programmes: Sequence[str],
    recipient: str,
    cc: Sequence[str],
    formats: Sequence[str],
    sender: str,
) -> ReportSending:
    """Write the record of a sending about to happen (state ``sending``)."""
    row = ReportSending(
        kind=kind,
        subject=subject,
        year=year,
        programmes=list(programmes),
        recipient=recipient,
        cc=list(cc),
        formats=list(formats),
        status=SENDING,
        who=str(session.info.get("who", "")),
    )
    session.add(row)
    session.flush()
    row.message_id = message_id(row.id, sender, row.created_at)
    session.flush()
    return row


def mark_sent(session: Session, row_id: int, now: datetime | None = None) -> None:
    """The transport accepted the message."""
    row = session.get(ReportSending, row_id)
    if row is not None:
        row.status = SENT
        row.sent_at = now or datetime.now(UTC)
        row.last_error = None
        audit.record(
            session,
            "report_sent",
            target=f"{row.kind} {row.subject} {row.year}",
            recipient=row.recipient,
        )


def mark_failed(session: Session, row_id: int, error: str) -> None:
    """The transport refused the message: nothing went out."""
    row = session.get(ReportSending, row_id)
    if row is not None:
        row.status = FAILED
        row.last_error = error[:2000]


def history(session: Session, limit: int = 50) -> list[ReportSending]:
    """The latest sendings, newest first (for the web's Verwaltung page)."""
    query = sa.select(ReportSending).order_by(ReportSending.id.desc()).limit(limit)
    return list(session.scalars(query))
