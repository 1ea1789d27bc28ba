"""Report commands: ``export xlsx``, ``report funder|programme|portfolio``, narrative.

Thin: parse the options, call ``reports.build_workbook`` / ``reports.render_report``
or the narrative service, write the file atomically and say where it went. ``--send``
mails a funder report through the configured transport and records the sending
(``portfolio.services.report_sending``). ``reports`` (matplotlib, docxtpl,
WeasyPrint, XlsxWriter) is imported inside the commands: every other command would
otherwise wait a second for it at start-up.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from portfolio.cli.app import CliContext, ask_yes, main, pass_cli
from portfolio.cli.core import export
from portfolio.cli.files import read_text, write_atomically
from portfolio.domain.errors import InputError
from portfolio.services import clock
from portfolio.services.narratives import SECTIONS, check_year, set_narrative

FORMAT_HELP = "Format: docx, pdf, xlsx oder html (Standard: pdf)."


def _year(cli: CliContext, year: int | None) -> int:
    if year is not None:
        return year
    with cli.session(read_only=True) as session:
        return clock.today(session, cli.settings.get("office.timezone")).year


@export.command("xlsx")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="DATEI",
    help="Zieldatei (Standard: portfolio-<Stichtag>.xlsx).",
)
@click.option(
    "--year",
    type=int,
    metavar="JJJJ",
    help="Finanzen nur für dieses Haushaltsjahr, Förderer bis zu diesem Jahr.",
)
@pass_cli
def export_xlsx(cli: CliContext, output: Path | None, year: int | None) -> None:
    """Portfolio-Arbeitsmappe für die Leitung (bearbeiten und wieder importieren)."""
    from reports import build_workbook

    if year is not None:
        check_year(year)  # as the reports: 1800 is a typo, not a Haushaltsjahr
    with cli.session(read_only=True) as session:
        today = clock.today(session, cli.settings.get("office.timezone"))
        data = build_workbook(
            session,
            today,
            year,
            office=cli.office_settings.get("office.name"),
            timezone=str(cli.settings.get("office.timezone")),
        )
    target = output or Path(f"portfolio-{today:%Y-%m-%d}.xlsx")
    write_atomically(target, data)
    click.echo(
        f"Arbeitsmappe geschrieben: {target} ({len(data) // 1024} KB). "
        "Nach dem Bearbeiten mit `portfolio import` wieder einlesen."
    )


@main.group()
def report() -> None:
    """Jahresberichte an Fördergeber, je Programm und für das ganze Portfolio."""


def _produce(
    cli: CliContext,
    *,
    kind: str,
    subject: str | None,
    year: int | None,
    fmt: str,
    output: Path | None,
) -> tuple[Path, int]:
    from reports import ReportOptions, render_report, report_filename

    year = _year(cli, year)
    options = ReportOptions.from_settings(cli.office_settings)
    with cli.session(read_only=True) as session:
        data = render_report(session, kind, subject, year, fmt, options)
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(data)
        return output, year
    target = output or Path(report_filename(kind, subject, year, fmt))
    write_atomically(target, data)
    click.echo(f"Bericht geschrieben: {target}", err=True)
    return target, year


def _send(cli: CliContext, kind: str, subject: str, year: int, yes: bool) -> None:
    """Mail docx and pdf to the funder's contact, office lead in copy; record it."""
    from portfolio.notify import MessageDeferred, MessageRejected, TransportDown
    from portfolio.services import report_sending
    from portfolio.services.reminders import RunConfig, office_lead
    from reports import ReportOptions, report_filename
    from reports.mail import Attachment, ReportMail, report_message
    from reports.render import build_funder_report, render_funder

    options = ReportOptions.from_settings(cli.office_settings)
    sender = str(cli.settings.get("mail.sender"))
    with cli.session(read_only=True) as session:
        today = clock.today(session, cli.settings.get("office.timezone"))
        report = build_funder_report(session, kind, subject, year, today)
        lead = office_lead(session, cli.settings.get("office.lead_email"))
    if not report.contact_email:
        raise InputError(
            f"Für {report.recipient} ist keine Kontaktadresse erfasst; tragen Sie beim "
            "Fördergeber einen Kontakt ein oder senden Sie die Datei selbst."
        )
    files = [
        Attachment(report_filename(kind, subject, year, fmt), fmt,
                   render_funder(report, fmt, options))
        for fmt in ("docx", "pdf")
    ]  # fmt: skip
    with cli.session() as session:
        earlier = report_sending.previous(session, kind, report.subject, year)
        if earlier and not yes:
            last = earlier[-1]
            when = (
                f"am {last.sent_at:%d.%m.%Y} gesendet"
                if last.sent_at
                else "vielleicht schon gesendet (Versand wurde unterbrochen)"
            )
            if not ask_yes(
                f"Dieser Bericht für {year} wurde an {last.recipient} {when}. "
                "Noch einmal senden?",
                without="Noch einmal senden ohne Rückfrage mit --yes.",
            ):
                click.echo("Nicht gesendet.")
                return
        row = report_sending.start(
            session, kind=kind, subject=report.subject, year=year,
            programmes=[p.key for p in report.programmes],
            recipient=report.contact_email, cc=[lead] if lead else [],
            formats=["docx", "pdf"], sender=sender,
        )  # fmt: skip
        row_id, message_id = row.id, str(row.message_id)
    mail = ReportMail(
        recipient=report.contact_email, cc=[lead] if lead else [], sender=sender,
        message_id=message_id, office=options.office_name, title=report.title,
        year=year, recipient_name=report.recipient,
        programmes=[p.name for p in report.programmes],
    )  # fmt: skip
    message = report_message(mail, files, options.templates_dir)
    try:
        with RunConfig.from_settings(cli.settings).make_transport() as transport:
            transport.send(message)
    except (TransportDown, MessageRejected, MessageDeferred) as exc:
        with cli.session() as session:
            report_sending.mark_failed(session, row_id, str(exc))
        raise InputError(f"Der Bericht wurde nicht versandt: {exc}") from exc
    with cli.session() as session:
        report_sending.mark_sent(session, row_id)
    copy = f" (Kopie an {lead})" if lead else ""
    click.echo(f"Bericht an {report.contact_email} gesendet{copy}.")
    _file_sent(cli, files[-1].filename, files[-1].data, report, year)


def _file_sent(cli: CliContext, name: str, data: bytes, report: Any, year: int) -> None:
    """Keep the PDF that went out as a document of the deadline it answers."""
    from portfolio.cli.documents import store_of
    from portfolio.services.sent_documents import file_sent_report

    with cli.session() as session:
        filed = file_sent_report(
            session, store_of(cli), data, name,
            programme_keys=[p.key for p in report.programmes], year=year,
            title=f"{report.title} (gesendet an {report.contact_email})", who=cli.who,
        )  # fmt: skip
    for item in filed:
        where = f" zur Frist „{item.deadline}“" if item.deadline else ""
        number = item.document_id
        click.echo(f"Als Dokument abgelegt: Nr. {number} bei {item.programme}{where}.")


_output = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="DATEI",
    help="Zieldatei (Standard: Jahresbericht-<Jahr>-<Name>.<Format>; "
    "- für die Standardausgabe).",
)
_yearopt = click.option(
    "--year",
    type=int,
    metavar="JJJJ",
    help="Haushaltsjahr (Standard: das Jahr des Stichtags).",
)
_send_opt = click.option(
    "--send",
    is_flag=True,
    help="Bericht (docx und pdf) an den Kontakt des Fördergebers "
    "mailen, Leitung in Kopie.",
)
_yes = click.option("--yes", "-y", is_flag=True, help="Nicht nachfragen.")


@report.command("funder")
@click.argument("name")
@_yearopt
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["docx", "pdf", "xlsx", "html"]),
    default="pdf",
    help=FORMAT_HELP,
)
@_output
@_send_opt
@_yes
@pass_cli
def report_funder(
    cli: CliContext,
    *,
    name: str,
    year: int | None,
    fmt: str,
    output: Path | None,
    send: bool,
    yes: bool,
) -> None:
    """Jahresbericht an einen Fördergeber (NAME: Kurzname, z. B. BMBF)."""
    _, year = _produce(
        cli, kind="funder", subject=name, year=year, fmt=fmt, output=output
    )
    if send:
        _send(cli, "funder", name, year, yes)


@report.command("programme")
@click.argument("key", metavar="SCHLÜSSEL")
@_yearopt
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["docx", "pdf", "xlsx", "html"]),
    default="pdf",
    help=FORMAT_HELP,
)
@_output
@_send_opt
@_yes
@pass_cli
def report_programme(
    cli: CliContext,
    *,
    key: str,
    year: int | None,
    fmt: str,
    output: Path | None,
    send: bool,
    yes: bool,
) -> None:
    """Jahresbericht zu einem Programm (SCHLÜSSEL: wie in `portfolio programmes`)."""
    _, year = _produce(
        cli, kind="programme", subject=key, year=year, fmt=fmt, output=output
    )
    if send:
        _send(cli, "programme", key, year, yes)


@report.command("portfolio")
@_yearopt
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "html", "docx"]),
    default="pdf",
    help="Format: pdf, html oder docx (Standard: pdf).",
)
@_output
@pass_cli
def report_portfolio(
    cli: CliContext, year: int | None, fmt: str, output: Path | None
) -> None:
    """Jahresbericht des Portfolios für Lenkungskreis und Ausschuss (mit Grafiken)."""
    _produce(cli, kind="portfolio", subject=None, year=year, fmt=fmt, output=output)


@main.command()
@click.argument("key", metavar="SCHLÜSSEL")
@click.option("--year", type=int, required=True, metavar="JJJJ", help="Haushaltsjahr.")
@click.option(
    "--section",
    required=True,
    metavar="ABSCHNITT",
    help=f"Abschnitt des Sachberichts: {', '.join(SECTIONS)}.",
)
@click.option(
    "--from",
    "source",
    required=True,
    metavar="DATEI",
    help="Textdatei (UTF-8) mit dem Text; - liest von der Standardeingabe; "
    "eine leere Datei löscht den Text.",
)
@pass_cli
def narrative(cli: CliContext, key: str, year: int, section: str, source: str) -> None:
    """Text eines Sachbericht-Abschnitts je Programm und Jahr setzen."""
    text = sys.stdin.read() if source == "-" else read_text(Path(source))
    with cli.session() as session:
        result = set_narrative(session, key, year, section, text)
    title = SECTIONS[result.section]
    click.echo(
        f"Sachbericht {result.programme} {result.year}, „{title}“: {result.action}."
    )
