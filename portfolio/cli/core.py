"""Core commands: demo, programmes, show, export json, restore, db upgrade.

Each command parses its options, calls one service or query and formats the answer;
nothing here decides anything about the data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from portfolio.cli.app import CliContext, main, parse_day, pass_cli
from portfolio.cli.backup import restore_from_archive
from portfolio.cli.files import write_atomically
from portfolio.cli.render import (
    console,
    due_text,
    programmes_table,
    stichtag_line,
    table,
)
from portfolio.domain.enums import ObligationKind, label
from portfolio.domain.errors import NotFound
from portfolio.domain.models import Programme
from portfolio.domain.money import format_money, format_percent
from portfolio.domain.periods import format_date
from portfolio.domain.regimes import load_regimes
from portfolio.services import clock
from portfolio.services.backup import is_archive
from portfolio.services.demo import load_demo
from portfolio.services.export_json import export_json
from portfolio.services.obligations import award_notes
from portfolio.services.restore_json import read_backup
from portfolio.services.restore_json import restore as restore_document
from portfolio.services.users import ensure_demo_user
from portfolio.storage import schema
from portfolio.storage.queries import programme_by_key, programme_overview, suggest_keys


def _print_overview(cli: CliContext) -> None:
    with cli.session(read_only=True) as session:
        today = clock.today(session, cli.settings.get("office.timezone"))
        rows = programme_overview(session)
        banner = stichtag_line(clock.stichtag(session))
    out = console()
    if banner:
        out.print(banner)
    out.print(programmes_table(rows, today))


@main.command()
@click.option("--reset", is_flag=True, help="Vorhandene Daten ersetzen (löscht alles).")
@click.option(
    "--today",
    "today_text",
    metavar="DATUM",
    help="Stichtag setzen (Standard 15.03.2017).",
)
@pass_cli
def demo(cli: CliContext, reset: bool, today_text: str | None) -> None:
    """Demo-Portfolio des Kreises Recklinghausen laden und Übersicht zeigen."""
    today = parse_day(today_text, "--today")
    with cli.session() as session:
        counts = load_demo(
            session, today=today, reset=reset, state=cli.settings.get("office.state")
        )
        login = ensure_demo_user(session)
    click.echo(
        f"Demo-Portfolio geladen: {counts['programmes']} Programme, "
        f"{counts['funders']} Fördergeber, {counts['partners']} Partner, "
        f"{counts.get('obligations', 0)} Fristen aus Förderregeln erzeugt "
        f"(Datenbank: {cli.settings.database_url})."
    )
    _print_overview(cli)
    click.echo(
        f"Weboberfläche: `portfolio serve`, dann {cli.settings.get('web.base_url')} "
        f"öffnen – Anmeldung mit Benutzer {login[0]!r}, Passwort {login[1]!r}."
    )


@main.command()
@click.option(
    "--search", "-s", metavar="TEXT", help="Nur Programme, deren Name TEXT enthält."
)
@pass_cli
def programmes(cli: CliContext, search: str | None) -> None:
    """Alle Programme: Fördergeber, Laufzeit, Betrag, Status, nächste Frist."""
    with cli.session(read_only=True) as session:
        today = clock.today(session, cli.settings.get("office.timezone"))
        rows = programme_overview(session, search=search)
        banner = stichtag_line(clock.stichtag(session))
    out = console()
    if banner:
        out.print(banner)
    if not rows:
        out.print(
            "Keine Programme gefunden."
            + (
                ""
                if search
                else " Laden Sie welche mit `portfolio import` oder `portfolio demo`."
            )
        )
        return
    out.print(programmes_table(rows, today))


def _phases(programme: Programme) -> list[list[str]]:
    return [[p.name or "–", str(p.period)] for p in programme.phases]


def _awards(programme: Programme) -> list[list[str]]:
    return [
        [
            a.funder.short_name,
            a.reference or "–",
            label(a.kind),
            f"{format_date(a.start)} – {format_date(a.end)}"
            if a.start and a.end
            else (format_date(a.start) if a.start else "–"),
            format_money(a.amount),
            format_percent(a.funding_rate),
            a.regime or "–",
        ]
        for a in sorted(
            programme.awards,
            key=lambda a: (
                a.start or a.end or programme.phases[0].start
                if programme.phases
                else 0,
                a.id,
            ),
        )
    ]


@main.command()
@click.argument("key", metavar="SCHLÜSSEL")
@pass_cli
def show(cli: CliContext, key: str) -> None:
    """Ein Programm mit Phasen, Bewilligungen und Fristen zeigen."""
    with cli.session(read_only=True) as session:
        programme = programme_by_key(session, key)
        if programme is None:
            hints = suggest_keys(session, key)
            hint = (
                f" Meinten Sie {', '.join(hints)}?"
                if hints
                else (" `portfolio programmes` listet alle Schlüssel.")
            )
            raise NotFound(f"Kein Programm mit dem Schlüssel {key!r}.{hint}")
        today = clock.today(session, cli.settings.get("office.timezone"))
        out = console()
        banner = stichtag_line(clock.stichtag(session))
        if banner:
            out.print(banner)
        period = programme.period()
        out.print(f"[bold]{programme.name}[/bold] ({programme.key})")
        out.print(f"Status: {label(programme.status)}   Laufzeit: {period or '–'}")
        if programme.field_of_action:
            out.print(f"Handlungsfeld: {programme.field_of_action}")
        if programme.lead:
            out.print(f"Verantwortlich: {programme.lead.name} <{programme.lead.email}>")
        if programme.description:
            out.print(programme.description)
        funders = [
            f"{f.funder.short_name} ({label(f.funder.kind)})"
            + (f" {format_money(f.amount)}" if f.amount else "")
            for f in programme.fundings
        ]
        out.print("Fördergeber: " + (", ".join(funders) or "–"))
        out.print(table("Phasen", ["Phase", "Laufzeit"], _phases(programme)))
        if programme.awards:
            out.print(
                table(
                    "Bewilligungen",
                    [
                        "Fördergeber",
                        "Zeichen",
                        "Art",
                        "Bewilligungszeitraum",
                        "Betrag",
                        "Quote",
                        "Regelwerk",
                    ],
                    _awards(programme),
                )
            )
            regimes = load_regimes(cli.settings.get("paths.regimes"))
            for award in programme.awards:
                for note in award_notes(award, regimes, today):
                    name = award.reference or award.funder.short_name
                    out.print(f"Bewilligung {name}: {note}", soft_wrap=True)
        obligations = sorted(programme.obligations, key=lambda o: (o.due_on, o.id))
        out.print(table("Fristen", ["Nr.", "Fällig", "Verschoben auf",
                                    "Spätestens", "Was", "Status", "Quelle"], [
            [str(o.id),
             due_text(o.due_on, today)
             if o.is_open and o.kind is not ObligationKind.AUFBEWAHRUNG
             else format_date(o.due_on),
             format_date(o.due_effective) if o.due_effective and
             o.due_effective != o.due_on else "",
             format_date(o.due_latest) if o.due_latest else "",
             o.title, label(o.status), o.source or label(o.kind)]
            for o in obligations]))  # fmt: skip
        reasons = [o for o in obligations if o.is_open and o.basis]
        if reasons:
            out.print("Begründung der Daten (offene Fristen):")
            for o in reasons:
                out.print(f"  Nr. {o.id} {o.title}: {o.basis}", soft_wrap=True)


@main.group()
def export() -> None:
    """Portfolio exportieren (json, xlsx, ics)."""


@export.command("json")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Zieldatei (Standard: Ausgabe auf dem Terminal).",
)
@pass_cli
def export_json_cmd(cli: CliContext, output: Path | None) -> None:
    """Ganzes Portfolio als JSON (Format portfolio/1) – Sicherung und Austausch."""
    with cli.session(read_only=True) as session:
        text = export_json(session)
    if output is None:
        sys.stdout.write(text)
        return
    write_atomically(output, text.encode("utf-8"))  # never half a backup
    click.echo(f"Exportiert nach {output}.", err=True)


@main.command()
@click.argument("file", type=click.Path(path_type=Path), metavar="DATEI")
@pass_cli
def restore(cli: CliContext, file: Path) -> None:
    """Sicherung (ZIP von portfolio backup, oder JSON portfolio/1) einspielen."""
    if file.is_file() and is_archive(file):
        restore_from_archive(cli, file)
        return
    text = read_backup(file)  # an unreadable file must not create a database
    with cli.session() as session:
        counts = restore_document(
            session, text, file.name, cli.settings.get("paths.regimes")
        )
    click.echo(
        f"Wiederhergestellt aus {file}: {counts['programmes']} Programme, "
        f"{counts['funders']} Fördergeber, {counts['contacts']} Kontakte, "
        f"{counts['partners']} Partner."
    )


@main.group()
def db() -> None:
    """Datenbank verwalten (Schema aktualisieren, Stand zeigen)."""


@db.command("upgrade")
@pass_cli
def db_upgrade(cli: CliContext) -> None:
    """Das Datenbankschema auf den neuesten Stand bringen (vorher sichern!)."""
    before, after = schema.upgrade(cli.settings.database_url)
    if before == after:
        click.echo(f"Die Datenbank ist schon auf dem neuesten Stand ({after}).")
    else:
        click.echo(f"Datenbank aktualisiert: {before or 'leer'} → {after}.")


@db.command("status")
@pass_cli
def db_status(cli: CliContext) -> None:
    """Stand des Datenbankschemas zeigen."""
    # Not cli.engine: an old schema is refused there, and this command must show it.
    shown, state = schema.status(cli.settings.database_url)
    click.echo(f"Datenbank: {shown}")
    click.echo(f"Schema: {state}")
