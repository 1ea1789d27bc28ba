"""``portfolio report nachweis``: the Zwischen- or Verwendungsnachweis of one award.

``--year JJJJ`` writes the Zwischennachweis of that Haushaltsjahr (no Belegliste),
``--final`` the Verwendungsnachweis over the whole Bewilligungszeitraum with the
Belegliste as an appendix; docx, pdf, xlsx or html. The sender is the office
(``office.name``, ``office.address``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from portfolio.cli.app import CliContext, pass_cli
from portfolio.cli.files import write_atomically
from portfolio.cli.reports import report
from portfolio.domain.errors import InputError
from portfolio.services import clock


@report.command("nachweis")
@click.argument("key", metavar="SCHLÜSSEL")
@click.option(
    "--award",
    "reference",
    required=True,
    metavar="FKZ",
    help="Förderkennzeichen der Bewilligung.",
)
@click.option(
    "--year", type=int, metavar="JJJJ", help="Zwischennachweis für dieses Jahr."
)
@click.option("--final", is_flag=True, help="Verwendungsnachweis (ganzer Zeitraum).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["docx", "pdf", "xlsx", "html"]),
    default="pdf",
    help="Format: docx, pdf, xlsx oder html (Standard: pdf).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="DATEI",
    help="Zieldatei (- für die Standardausgabe).",
)
@pass_cli
def report_nachweis(  # noqa: PLR0917 - one parameter per option
    cli: CliContext,
    key: str,
    reference: str,
    year: int | None,
    final: bool,
    fmt: str,
    output: Path | None,
) -> None:
    """Zwischen- oder Verwendungsnachweis einer Bewilligung."""  # fmt: skip
    from reports.nachweis import render_nachweis
    from reports.nachweis_data import build_nachweis, find_award

    if final == (year is not None):
        raise InputError("Bitte genau eines angeben: --year JJJJ oder --final.")
    folder = cli.settings.get("paths.templates")
    with cli.session(read_only=True) as session:
        award = find_award(session, key, reference)
        data = build_nachweis(
            session,
            award,
            year=year,
            today=clock.today(session, cli.settings.get("office.timezone")),
            office=str(cli.office_settings.get("office.name")),
            address=cli.office_settings.office_address_lines,
            regimes_dir=cli.settings.get("paths.regimes"),
        )
        content = render_nachweis(session, data, fmt, Path(folder) if folder else None)
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(content)
        return
    name = "Verwendungsnachweis" if final else f"Zwischennachweis-{year}"
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in reference)
    target = output or Path(f"{name}-{safe}.{fmt}")
    write_atomically(target, content)
    click.echo(f"{data.title} geschrieben: {target}", err=True)
