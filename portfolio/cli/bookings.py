"""``portfolio import`` of a booking list (Buchungsliste / Sachkontenauszug).

``portfolio import`` hands a file here when it is a booking list of the finance
system (``imports.bookings.looks_like_bookings``): the preview says what is new,
what is already stored, which codes belong to no award (counted per code) and which
rows are rejected (file, row, column, what to do); after the question (or with
``--yes``) the new bookings are written as one import batch, undone with
``portfolio imports undo NR``. Exit codes: 0 done, 1 rows rejected (the rest
applied), 2 nothing usable.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from imports.bookings import looks_like_bookings, read_bookings
from portfolio.cli.app import CliContext, ask_yes
from portfolio.domain.bookings import BookingFile, parse_categories
from portfolio.domain.errors import Conflict, InputError
from portfolio.services.import_bookings import (
    BookingPlan,
    apply_bookings,
    plan_bookings,
)
from portfolio.services.money import sync_awards


def booking_files(files: tuple[Path, ...], max_bytes: int) -> list[BookingFile] | None:
    """The files read as booking lists, if every one of them is one (else None)."""
    if not files or not all(looks_like_bookings(path) for path in files):
        return None
    results = []
    for path in files:
        result = read_bookings(path, max_bytes)
        if result is None:
            return None
        results.append(result)
    return results


def import_bookings(
    cli: CliContext,
    results: list[BookingFile],
    *,
    dry_run: bool,
    yes: bool,
    fmt: str,
) -> int:
    """Preview, ask, apply; the exit code."""
    defaults = parse_categories(str(cli.settings.get("money.account_categories") or ""))
    with cli.session(read_only=True) as session:
        plans = [plan_bookings(session, result, defaults) for result in results]
    _show(plans, fmt)
    code = max(plan.exit_code for plan in plans)
    if code == 2 and not any(plan.new or plan.unchanged for plan in plans):
        raise InputError(
            "Keine Zeile der Buchungsliste ist verwendbar – siehe die abgelehnten "
            "Zeilen oben."
        )
    if dry_run or not any(plan.new for plan in plans):
        return code
    if not yes and not ask_yes(
        "Diese Buchungen übernehmen?",
        without="Übernehmen ohne Rückfrage mit --yes, nur ansehen mit --dry-run.",
    ):
        click.echo("Nichts geändert.", err=True)
        return code
    with cli.session() as session:
        for shown, result in zip(plans, results, strict=True):
            again = plan_bookings(session, result, defaults)
            if again.counts() != shown.counts():
                raise Conflict(
                    "Die Datenbank hat sich seit der Vorschau geändert – es wurde "
                    "nichts übernommen; bitte den Import wiederholen."
                )
            number = apply_bookings(session, again)
            if number is not None:
                shown.batch_id = number
                # Spending uses up payments: their spending deadlines follow.
                sync_awards(
                    session,
                    again.per_award,
                    str(cli.settings.get("office.state")),
                    cli.settings.get("paths.regimes"),
                )
    for plan in plans:
        if plan.batch_id is not None:
            click.echo(
                f"Übernommen als Import {plan.batch_id} "
                f"(rückgängig: portfolio imports undo {plan.batch_id}).",
                err=fmt == "json",
            )
    return code


def _show(plans: list[BookingPlan], fmt: str) -> None:
    if fmt == "json":
        document = [plan.document() for plan in plans]
        click.echo(json.dumps(document if len(document) > 1 else document[0],
                              ensure_ascii=False, indent=2))  # fmt: skip
    else:
        click.echo("".join(plan.text() for plan in plans), nl=False)
