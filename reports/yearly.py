"""The yearly job: last year's funder reports and the portfolio report as drafts.

On the configured day (``reports.yearly_date``, default 15 January) the scheduler
builds, for the Haushaltsjahr just ended, the report to every funder with an award
running in that year (Word, so the office can edit it) and the portfolio report
(PDF), and mails them in one message to the office lead for review. Nothing goes to a
funder: that needs a person and ``portfolio report funder … --send``. The run is
recorded (``ReportSending`` kind ``drafts``), so a restarted or second scheduler
does not mail the drafts twice.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.errors import InputError
from portfolio.domain.models import Award, Funder, Programme
from portfolio.notify import (
    MessageDeferred,
    MessageRejected,
    Transport,
    TransportDown,
)
from portfolio.services import clock, report_sending
from portfolio.services.reminders import office_lead
from reports import portfolio_report
from reports.datasets import award_touches_year, funder_report
from reports.mail import Attachment, ReportMail, report_message
from reports.options import ReportOptions
from reports.render import render_funder, report_filename

DRAFTS = "drafts"
SUBJECT = "Jahresberichte"
Sessions = Callable[[], AbstractContextManager[Session]]


def parse_yearly_date(text: str) -> tuple[int, int]:
    """``15.01.`` → (day, month); refuses what is no day of the year."""
    parts = [p for p in text.strip().split(".") if p]
    try:
        day, month = int(parts[0]), int(parts[1])
        date(2001, month, day)  # a non-leap year: 29.02. would skip three years
    except (IndexError, ValueError) as exc:
        raise InputError(
            f"reports.yearly_date {text!r} ist kein Tag im Jahr (Beispiel: 15.01.)."
        ) from exc
    return day, month


def funders_of_year(session: Session, year: int) -> list[str]:
    """Short names of the funders with an award running in the year."""
    awards = session.execute(
        sa.select(Award, Programme, Funder.short_name)
        .join(Programme, Programme.id == Award.programme_id)
        .join(Funder, Funder.id == Award.funder_id)
    )
    names = {
        short
        for award, programme, short in awards
        if award_touches_year(award, programme, year)
    }
    return sorted(names, key=str.casefold)


def build_drafts(
    session: Session, year: int, today: date, options: ReportOptions
) -> tuple[list[Attachment], list[str]]:
    """The drafts: one Word report per funder, the portfolio report as PDF."""
    files, titles = [], []
    for name in funders_of_year(session, year):
        report = funder_report(session, name, year, today)
        if not report.programmes:
            continue
        data = render_funder(report, "docx", options)
        files.append(
            Attachment(report_filename("funder", name, year, "docx"), "docx", data)
        )
        titles.append(report.title)
    pdf = portfolio_report.render(session, year, today, "pdf", options)
    files.append(
        Attachment(report_filename("portfolio", None, year, "pdf"), "pdf", pdf)
    )
    titles.append(f"Portfolio-Bericht {year}")
    return files, titles


@dataclass(frozen=True, slots=True)
class YearlyResult:
    """What the yearly run did, in one German sentence for the log."""

    text: str
    sent: bool = False


def run_yearly(
    sessions: Sessions,
    transport: Transport,
    options: ReportOptions,
    *,
    sender: str,
    lead: str | None = None,
    year: int | None = None,
) -> YearlyResult:
    """Build last year's drafts and mail them to the office lead, once per year."""
    with sessions() as session:
        today = clock.today(session)
        year = year or today.year - 1
        recipient = office_lead(session, lead)
        if recipient is None:
            return YearlyResult(
                "Keine Büroleitung bekannt (office.lead_email): "
                "Entwürfe nicht versandt."
            )
        if report_sending.previous(session, DRAFTS, SUBJECT, year):
            return YearlyResult(f"Die Entwürfe für {year} wurden schon versandt.")
        files, titles = build_drafts(session, year, today, options)
        row = report_sending.start(
            session, kind=DRAFTS, subject=SUBJECT, year=year, programmes=[],
            recipient=recipient, cc=[], formats=[f.fmt for f in files], sender=sender,
        )  # fmt: skip
        row_id, message_id = row.id, str(row.message_id)
    mail = ReportMail(
        recipient=recipient, cc=(), sender=sender, message_id=message_id,
        office=options.office_name, title=f"Jahresberichte {year}", year=year,
        recipient_name=recipient, programmes=titles, draft=True,
    )  # fmt: skip
    message = report_message(mail, files, options.templates_dir)
    try:
        with transport:
            transport.send(message)
    except (TransportDown, MessageRejected, MessageDeferred) as exc:
        with sessions() as session:
            report_sending.mark_failed(session, row_id, str(exc))
        return YearlyResult(f"Entwürfe {year} nicht versandt: {exc}")
    with sessions() as session:
        report_sending.mark_sent(session, row_id)
    return YearlyResult(
        f"Entwürfe {year} ({len(files)} Dateien) an {recipient} versandt.", sent=True
    )
