"""``render_report``: one report of one kind, subject and year, in one format.

Kinds: ``funder`` (subject: the funder's short name), ``programme`` (subject: the
programme key) and ``portfolio`` (no subject). Formats: html (for the browser), pdf
(WeasyPrint from the same html with print CSS), docx (docxtpl from the Word
template) and xlsx (the report's numbers). The result is bytes, so the CLI writes a
file, the web sends a download and the mailer attaches it, all from the same call.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from portfolio.domain.errors import InputError
from portfolio.services import clock
from portfolio.services.narratives import check_year
from reports import portfolio_report
from reports.datasets import FunderReport, funder_report, programme_report
from reports.numbers import funder_xlsx
from reports.options import ReportOptions, SettingsLike
from reports.templating import html_to_pdf, render_docx, render_html
from reports.view import funder_view

KINDS = ("funder", "programme", "portfolio")
FORMATS = ("docx", "pdf", "xlsx", "html")
PORTFOLIO_FORMATS = ("pdf", "html", "docx")
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def _options(settings: ReportOptions | SettingsLike | None) -> ReportOptions:
    if isinstance(settings, ReportOptions):
        return settings
    return ReportOptions.from_settings(settings)


def _check(kind: str, fmt: str) -> None:
    if kind not in KINDS:
        raise InputError(
            f"Unbekannte Berichtsart {kind!r}: erlaubt sind {', '.join(KINDS)}."
        )
    allowed = PORTFOLIO_FORMATS if kind == "portfolio" else FORMATS
    if fmt not in allowed:
        raise InputError(
            f"Das Format {fmt!r} gibt es für diesen Bericht nicht: erlaubt sind "
            f"{', '.join(allowed)}."
        )


def build_funder_report(
    session: Session, kind: str, subject: str, year: int, today: date
) -> FunderReport:
    """The dataset of a funder or programme report."""
    if kind == "funder":
        return funder_report(session, subject, year, today)
    return programme_report(session, subject, year, today)


def render_funder(report: FunderReport, fmt: str, options: ReportOptions) -> bytes:
    """A funder/programme report dataset in one format."""
    if fmt == "xlsx":
        return funder_xlsx(report, options.office_name)
    context = {"r": funder_view(report, options.office_name, options.office_address)}
    if fmt == "docx":
        return render_docx("funder_report.docx", context, options.templates_dir)
    html = render_html("funder_report.html", context, options.templates_dir)
    if fmt == "pdf":
        return html_to_pdf(html)
    return html.encode("utf-8")


def render_report(  # noqa: PLR0917 - the API the web and scheduler call
    session: Session,
    kind: str,
    subject: str | None,
    year: int,
    fmt: str,
    settings: ReportOptions | SettingsLike | None = None,
    *,
    today: date | None = None,
) -> bytes:
    """Build and render one report; ``today`` defaults to the database's Stichtag."""
    _check(kind, fmt)
    check_year(year)
    options = _options(settings)
    today = today or clock.today(session)
    if kind == "portfolio":
        return portfolio_report.render(session, year, today, fmt, options)
    if not subject:
        what = "Fördergeber" if kind == "funder" else "Programmschlüssel"
        raise InputError(f"Für diesen Bericht fehlt der {what}.")
    report = build_funder_report(session, kind, subject, year, today)
    return render_funder(report, fmt, options)


def report_filename(kind: str, subject: str | None, year: int, fmt: str) -> str:
    """A file name people recognise: ``Jahresbericht-2017-BMBF.pdf``."""
    name = "Portfolio" if kind == "portfolio" else (subject or kind)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")
    return f"Jahresbericht-{year}-{safe}.{fmt}"
