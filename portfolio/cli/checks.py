"""``portfolio check``: every warning of the money checks, for people and cron.

Lists each warning with programme, award, rule, amount and what to do; exit 0
when there is none, 1 when there are some (a cron job can watch it). ``--now``
checks as on another day (default: the Stichtag of the database, else today).
"""

from __future__ import annotations

import json

import click

from portfolio.cli.app import CliContext, main, parse_day, pass_cli
from portfolio.cli.render import console, table
from portfolio.domain.money import format_money
from portfolio.domain.periods import format_date
from portfolio.services import clock
from portfolio.services.money_checks import money_warnings


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

    Exit-Code 0: keine Warnung, 1: Warnungen (für cron), 2: Eingabe unbrauchbar.
    """
    with cli.session(read_only=True) as session:
        now = parse_day(now_text, "--now") or clock.today(session)
        warnings = money_warnings(
            session,
            now,
            cli.settings.get("paths.regimes"),
            programme,
            state=str(cli.settings.get("office.state")),
        )
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
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 1 if warnings else 0
    if not warnings:
        click.echo(f"Keine Warnungen am {format_date(now)}.")
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
    return 1
