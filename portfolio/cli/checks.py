"""``portfolio check``: every warning of the money checks, for people and cron.

Lists each warning with programme, award, rule, amount and what to do; exit 0
when there is none, 1 when there are some (a cron job can watch it). ``--now``
checks as on another day (default: the Stichtag of the database, else today).
Awards whose deadline rules cannot be computed (no Bewilligungszeitraum, an open
end) are named with why and what to enter, as ``portfolio show`` and the programme
page do; they are hints and leave the exit code alone.
"""

from __future__ import annotations

import json

import click

from portfolio.cli.app import CliContext, main, parse_day, pass_cli
from portfolio.cli.render import console, table
from portfolio.domain.money import format_money
from portfolio.domain.periods import format_date
from portfolio.domain.regimes import load_regimes
from portfolio.services import clock
from portfolio.services.money_checks import money_warnings
from portfolio.services.obligations import AwardNote, awards_without_dates


def _print_notes(notes: list[AwardNote]) -> None:
    """The awards without computable deadlines, one line each (hints)."""
    if not notes:
        return
    click.echo(f"Bewilligungen ohne berechenbare Fristen ({len(notes)}):")
    for note in notes:
        for line in note.lines:
            click.echo(f"- {note.programme_label}, Bewilligung {note.award}: {line}")


@main.command("check")
@click.option("--now", "now_text", metavar="DATUM", help="Prüfen wie am Tag DATUM.")
@click.option("--programme", metavar="SCHLÜSSEL", help="Nur dieses Programm.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
    help="Ausgabeformat (Standard: text).",
)  # fmt: skip
@pass_cli
def check_command(
    cli: CliContext, now_text: str | None, programme: str | None, fmt: str
) -> int:
    """Geldregeln prüfen: Überschreitung, Ermäßigung, Mittelverwendung, Abruf.

    Nennt auch Bewilligungen, für die keine Fristen berechenbar sind (ohne
    Bewilligungszeitraum, offenes Ende), als Hinweis ohne Einfluss auf den Exit-Code.
    Exit-Code 0: keine Warnung, 1: Warnungen (für cron), 2: Eingabe unbrauchbar.
    """
    regimes_dir = cli.settings.get("paths.regimes")
    with cli.session(read_only=True) as session:
        now = parse_day(now_text, "--now") or clock.today(session)
        warnings = money_warnings(
            session,
            now,
            regimes_dir,
            programme,
            state=str(cli.settings.get("office.state")),
        )
        notes = awards_without_dates(session, load_regimes(regimes_dir), now, programme)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "now": now.isoformat(),
                    "warnings": [
                        {
                            "programme": w.programme,
                            "award": w.award,
                            "rule": w.rule,
                            "amount": None if w.amount is None else str(w.amount),
                            "message": w.message,
                            "source": w.source,
                        }
                        for w in warnings
                    ],
                    "awards_without_dates": [
                        {
                            "programme": n.programme,
                            "award": n.award,
                            "lines": list(n.lines),
                        }
                        for n in notes
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 1 if warnings else 0
    if not warnings:
        click.echo(f"Keine Warnungen am {format_date(now)}.")
        _print_notes(notes)
        return 0
    rows = [
        (w.programme_label, w.award, w.rule, format_money(w.amount), w.message)
        for w in warnings
    ]
    console().print(
        table(
            f"Warnungen am {format_date(now)} ({len(warnings)})",
            ["Programm", "Bewilligung", "Regel", "Betrag", "Hinweis"],
            rows,
        )
    )
    for rule in sorted({(w.rule, w.source) for w in warnings}):
        click.echo(f"{rule[0]}: {rule[1]}")
    _print_notes(notes)
    return 1
