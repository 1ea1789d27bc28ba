"""Deadline and reminder commands: remind, done, deadlines, reminders, export ics.

``portfolio remind`` runs the scheduler's reminder job once (plan, then send through
the configured transport); ``--now`` shows what goes out on a given day and
``--dry-run`` only lists it. ``done`` marks an obligation done (its pending reminders
are cancelled), ``deadlines`` lists what is coming, ``reminders`` is the outbox log
with failures, ``export ics`` writes all open deadlines as a calendar. The outbox
service and ``portfolio.notify`` (SMTP, Jinja, icalendar) are imported inside the
commands that use them, so that every other command starts without them.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa

from portfolio.cli.app import CliContext, main, parse_day, pass_cli
from portfolio.cli.core import export
from portfolio.cli.files import write_atomically
from portfolio.cli.render import console, table
from portfolio.domain.enums import (
    ObligationKind,
    ObligationStatus,
    ReminderStatus,
    label,
)
from portfolio.domain.errors import InputError
from portfolio.domain.models import Contact, Obligation, Programme, Reminder
from portfolio.domain.periods import format_date
from portfolio.domain.regimes import CONFIDENCE, load_regimes
from portfolio.domain.reminders import (
    DueItem,
    plan_reminders,
    recipient_for,
    stage_label,
)
from portfolio.services import clock, obligations
from portfolio.services.reminder_admin import failed_count, retry_failed
from portfolio.storage.db import session_scope
from portfolio.storage.queries import retention_dates

if TYPE_CHECKING:
    from portfolio.services.reminders import RunConfig


def parse_now(value: str | None, timezone: str) -> datetime | None:
    """``2017-04-10T08:00`` or ``2017-04-10`` in the office's time zone."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        day = parse_day(value, "--now")
        assert day is not None
        parsed = datetime(day.year, day.month, day.day, 8, 0)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(UTC)


def default_now(cli: CliContext, timezone: str) -> datetime:
    """Now, or the Stichtag at the current clock time when the database has one."""
    real = datetime.now(ZoneInfo(timezone))
    with cli.session(read_only=True) as session:
        day = clock.stichtag(session)
    if day is None:
        return real.astimezone(UTC)
    return datetime.combine(day, real.timetz()).astimezone(UTC)


@main.command()
@click.option(
    "--now",
    "now_text",
    metavar="ZEITPUNKT",
    help="So tun, als wäre es jetzt z. B. 2017-04-10T08:00.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Nur zeigen, was verschickt würde; nichts schreiben.",
)
@click.option("--digest", is_flag=True, help="Auch die Wochenübersicht verschicken.")
@pass_cli
def remind(cli: CliContext, now_text: str | None, dry_run: bool, digest: bool) -> None:
    """Fällige Erinnerungen planen und verschicken (wie der Zeitplan-Dienst)."""
    from portfolio.services import reminders as outbox

    config = outbox.RunConfig.from_settings(cli.office_settings)
    tz = config.mail.timezone
    now = parse_now(now_text, tz) or default_now(cli, tz)
    today = now.astimezone(ZoneInfo(tz)).date()
    if dry_run:
        _dry_run(cli, config, today)
        return
    report = outbox.run_once(
        lambda: session_scope(cli.engine, "remind"), config, now, digest=digest
    )
    where = (
        f"Ausgangsordner {Path(config.outbox_dir).resolve()}"
        if report.transport == "outbox"
        else f"SMTP {config.smtp and config.smtp['host']}"
    )
    click.echo(
        f"Stand {format_date(today)}: {_count(report.planned.planned)} neu geplant, "
        f"{report.sent.sent} verschickt ({where})."
    )
    if report.sent.retried or report.sent.failed:
        click.echo(
            f"{report.sent.retried} werden später erneut versucht, "
            f"{report.sent.failed} endgültig fehlgeschlagen "
            "(siehe `portfolio reminders`).",
            err=True,
        )
    if report.sent.transport_down:
        click.echo(f"Versand unterbrochen: {report.sent.transport_down}", err=True)
        sys.exit(1)
    if report.sent.failed:
        sys.exit(1)


def _count(n: int) -> str:
    """German count of reminders: "1 Erinnerung", "2 Erinnerungen"."""
    return f"{n} Erinnerung{'' if n == 1 else 'en'}"


def _dry_run(cli: CliContext, config: RunConfig, today: date) -> None:
    """List what a run would plan, without writing anything."""
    from portfolio.services import reminders as outbox

    with cli.session(read_only=True) as session:
        lead = outbox.office_lead(session, config.mail.lead)
        items = outbox.due_items(
            session, today + timedelta(days=config.stages.max_days)
        )
        planned = plan_reminders(items, today, config.stages, lead)
        known = {
            (r.obligation_id, r.recipient, r.stage, r.due_on)
            for r in session.scalars(
                sa.select(Reminder).where(
                    Reminder.obligation_id.in_([p.obligation_id for p in planned])
                )
            )
        }
        by_id = {i.obligation_id: i for i in items}
    rows = [
        [
            str(p.obligation_id),
            p.recipient + (f" (Kopie {', '.join(p.cc)})" if p.cc else ""),
            stage_label(p.stage),
            format_date(by_id[p.obligation_id].due_effective or p.due_on),
            by_id[p.obligation_id].title,
            by_id[p.obligation_id].programme,
        ]
        for p in planned
        if (p.obligation_id, p.recipient, str(p.stage), p.due_on) not in known
    ]
    console().print(
        table(
            f"Würde am {format_date(today)} verschickt ({len(rows)}; "
            "Probelauf, nichts geschrieben)",
            ["Frist-Nr.", "an", "Stufe", "fällig", "Titel", "Programm"],
            rows,
        )
    )


@main.command()
@click.argument("obligation_id", type=int, metavar="NR")
@click.option(
    "--on",
    "on_text",
    metavar="DATUM",
    help="Erledigt am (Standard: heute bzw. Stichtag).",
)
@click.option(
    "--status",
    type=click.Choice(["done", "submitted", "waived", "open"]),
    default="done",
    show_default=True,
    help="erledigt, eingereicht, entfallen oder wieder offen.",
)
@click.option(
    "--attach",
    "attach_files",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="DATEI",
    help="Was eingereicht wurde, als Dokument der Frist ablegen (mehrfach möglich).",
)
@pass_cli
def done(
    cli: CliContext,
    obligation_id: int,
    on_text: str | None,
    status: str,
    attach_files: tuple[Path, ...],
) -> None:
    """Eine Frist als erledigt markieren (offene Erinnerungen entfallen)."""
    from portfolio.cli.documents import attach_to_deadline

    on = parse_day(on_text, "--on")
    with cli.session() as session:
        obligation = obligations.mark(
            session, obligation_id, ObligationStatus(status), on
        )
        text = (
            f"Frist {obligation.id} „{obligation.title}“ ist jetzt "
            f"{label(obligation.status)}"
        )
        if obligation.done_on and obligation.status is not ObligationStatus.OPEN:
            text += f" (am {format_date(obligation.done_on)})"
        key = obligation.programme.key
        attached = attach_to_deadline(cli, session, key, obligation.id, attach_files)
    click.echo(text + ".")
    for line in attached:
        click.echo(line)
    if not attach_files and obligation.status in (
        ObligationStatus.DONE,
        ObligationStatus.SUBMITTED,
    ):
        click.echo(
            f"Was eingereicht wurde, ablegen: portfolio attach {key} DATEI "
            f"--deadline {obligation.id}"
        )


@main.command()
@click.option(
    "--days", default=56, show_default=True, help="So viele Tage vorausschauen."
)
@click.option("--person", metavar="EMAIL", help="Nur Fristen dieser Person.")
@click.option(
    "--now",
    "now_text",
    metavar="DATUM",
    help="Stichtag für die Liste (Standard: heute).",
)
@click.option(
    "--kind",
    type=click.Choice([k.value for k in ObligationKind]),
    help="Nur Fristen dieser Art; aufbewahrung listet alle Aufbewahrungsfristen "
    "(ohne --days-Grenze).",
)
@pass_cli
def deadlines(
    cli: CliContext,
    days: int,
    person: str | None,
    now_text: str | None,
    kind: str | None,
) -> None:
    """Offene Fristen: überfällige und die der nächsten Tage."""
    from portfolio.services import reminders as outbox

    if days < 0:
        raise InputError("--days muss 0 oder größer sein.")
    if kind == ObligationKind.AUFBEWAHRUNG:
        _retention_list(cli)
        return
    with cli.session(read_only=True) as session:
        today = parse_day(now_text, "--now") or clock.today(
            session, cli.settings.get("office.timezone")
        )
        lead = outbox.office_lead(session, cli.settings.get("office.lead_email"))
        items = outbox.due_items(session, today + timedelta(days=days))
        chosen = [
            i
            for i in items
            if (
                person is None
                or (outbox_recipient(i, lead) or "").lower() == person.lower()
            )
            and (kind is None or i.kind == kind)
        ]
        sources = dict(
            session.execute(
                sa.select(Obligation.id, Obligation.source).where(
                    Obligation.id.in_([i.obligation_id for i in chosen])
                )
            ).all()
        )
    chosen.sort(key=lambda i: (i.due_effective or i.due_on, i.obligation_id))
    rows = [
        [
            str(i.obligation_id),
            _due_text(i.due_on, i.due_effective),
            "überfällig" if (i.due_effective or i.due_on) < today else "offen",
            i.title,
            i.programme,
            outbox_recipient(i, lead) or "–",
            sources.get(i.obligation_id) or "",
        ]
        for i in chosen
    ]
    console().print(
        table(
            f"Fristen bis {format_date(today + timedelta(days=days))} "
            f"(Stand {format_date(today)})",
            ["Nr.", "fällig", "Status", "Titel", "Programm", "zuständig", "Grundlage"],
            rows,
        )
    )
    if not rows:
        click.echo("Keine offenen Fristen in diesem Zeitraum.")


def _retention_list(cli: CliContext) -> None:
    """Every retention date: from when an award's files may be destroyed."""
    with cli.session(read_only=True) as session:
        lines = [
            [
                str(o.id),
                format_date(o.due_on),
                "vorläufig" if (o.basis or "").startswith("Vorläufig") else "fest",
                name,
                reference or "–",
                o.basis or o.source or "",
            ]
            for o, name, reference in retention_dates(session)
        ]
    console().print(
        table(
            f"Aufbewahrungsfristen ({len(lines)}): Unterlagen aufbewahren bis",
            ["Nr.", "bis", "Stand", "Programm", "Bewilligung", "Grundlage"],
            lines,
        )
    )
    if not lines:
        click.echo("Keine Aufbewahrungsfristen erfasst.")


def outbox_recipient(item: DueItem, lead: str | None) -> str | None:
    """Who gets reminded of an item."""
    return recipient_for(item, lead)


def _due_text(due_on: date, effective: date | None) -> str:
    """The effective date, with the computed one when it was shifted."""
    if effective and effective != due_on:
        return f"{format_date(effective)} (berechnet {format_date(due_on)})"
    return format_date(due_on)


@main.group("reminders", invoke_without_command=True)
@click.option(
    "--status",
    type=click.Choice([s.value for s in ReminderStatus]),
    help="Nur Erinnerungen mit diesem Status.",
)
@click.option(
    "--limit", default=50, show_default=True, help="Höchstens so viele Zeilen."
)
@click.pass_context
def reminders_log(ctx: click.Context, status: str | None, limit: int) -> None:
    """Protokoll der Erinnerungen (Ausgang), Fehlschläge zuerst."""
    if ctx.invoked_subcommand is not None:
        return
    from portfolio.services import mail_outage

    cli = ctx.find_object(CliContext)
    assert cli is not None
    timezone = cli.settings.get("office.timezone")
    tz = ZoneInfo(timezone)
    with cli.session(read_only=True) as session:
        outage = mail_outage.current(session)
        query = (
            sa.select(Reminder, Obligation.title)
            .outerjoin(Obligation, Obligation.id == Reminder.obligation_id)
            .order_by(
                (Reminder.status == ReminderStatus.FAILED).desc(),
                Reminder.planned_for.desc(),
                Reminder.id.desc(),
            )
            .limit(limit)
        )
        if status:
            query = query.where(Reminder.status == ReminderStatus(status))
        rows = [
            [
                str(r.id),
                title or "Wochenübersicht",
                r.recipient,
                _stage_text(r.stage),
                format_date(r.planned_for.astimezone(tz).date()),
                label(r.status),
                str(r.attempts),
                (r.last_error or "")[:80],
            ]
            for r, title in session.execute(query)
        ]
        failed = failed_count(session)
    if outage is not None:  # first, before the table: nothing goes out meanwhile
        click.echo(outage.text(timezone))
    console().print(
        table(
            "Erinnerungen",
            ["Nr.", "Frist", "an", "Stufe", "geplant", "Status", "Versuche", "Fehler"],
            rows,
        )
    )
    if failed:
        click.echo(
            f"{failed} Erinnerungen sind endgültig fehlgeschlagen "
            "(erneut senden: portfolio reminders retry).",
            err=True,
        )


@reminders_log.command("retry")
@click.option(
    "--since",
    "since_text",
    metavar="DATUM",
    help="Nur die, deren letzter Versuch an oder nach DATUM war "
    "(15.03.2017, 2017-03-15 oder 2017-03-15T08:00).",
)
@pass_cli
def reminders_retry(cli: CliContext, since_text: str | None) -> None:
    """Fehlgeschlagene Erinnerungen erneut senden (Versuche zurückgesetzt)."""
    since = parse_since(since_text, cli.settings.get("office.timezone"))
    with cli.session() as session:
        count = retry_failed(session, since)
    when = f" (letzter Versuch ab {since_text})" if since_text else ""
    click.echo(
        f"{_count(count)}{when} werden beim nächsten Lauf erneut versendet."
        if count
        else f"Keine fehlgeschlagenen Erinnerungen{when}."
    )


def parse_since(value: str | None, timezone: str) -> datetime | None:
    """A day (its start) or a moment in the office's time zone, as UTC."""
    if value is None:
        return None
    if "T" in value or " " in value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise InputError(
                f"--since: {value!r} ist kein Zeitpunkt (z. B. 2017-03-15T08:00)."
            ) from exc
    else:
        day = parse_day(value, "--since")
        assert day is not None
        moment = datetime(day.year, day.month, day.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC)


def _stage_text(stage: str) -> str:
    """A stored stage as German text."""
    from portfolio.services.reminders import DIGEST_STAGE

    return "Wochenübersicht" if stage == DIGEST_STAGE else stage_label(int(stage))


@export.command("ics")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Datei (Standard: Ausgabe auf dem Bildschirm).",
)
@pass_cli
def export_ics(cli: CliContext, output: Path | None) -> None:
    """Alle offenen Fristen als Kalenderdatei (.ics)."""
    from portfolio.notify import Office, ics_for
    from portfolio.services import reminders as outbox

    config = outbox.RunConfig.from_settings(cli.office_settings)
    office = Office(
        name=config.mail.office.name,
        sender=config.mail.office.sender,
        base_url=config.mail.office.base_url,
    )
    with cli.session(read_only=True) as session:
        open_ones = session.scalars(
            sa.select(Obligation)
            .join(Programme)
            .outerjoin(Contact, Contact.id == Obligation.responsible_id)
            .where(
                Obligation.status == ObligationStatus.OPEN,
                Obligation.kind != ObligationKind.AUFBEWAHRUNG,
            )
            .order_by(Obligation.due_on, Obligation.id)
        ).all()
        mails = [outbox.mail_for(o, None, office, config.mail) for o in open_ones]
    data = ics_for(mails, office)
    if output is None:
        sys.stdout.buffer.write(data)
        return
    write_atomically(output, data)
    click.echo(f"{len(mails)} Fristen nach {output} geschrieben.")


@main.command("regimes")
@pass_cli
def regimes_cmd(cli: CliContext) -> None:
    """Regelwerke mit ihren Fristregeln, Quellen und Verlässlichkeit zeigen."""
    regimes = load_regimes(cli.settings.get("paths.regimes"))
    rows = [
        [
            regime.id,
            template.id + ("" if template.enabled else " (aus)"),
            label(template.kind),
            template.formula.text,
            template.source,
            CONFIDENCE[template.confidence],
        ]
        for regime in sorted(regimes.values(), key=lambda r: r.id)
        for template in regime.templates
    ]
    console().print(
        table(
            "Regelwerke",
            ["Regelwerk", "Regel", "Art", "Formel", "Grundlage", "Verlässlichkeit"],
            rows,
        )
    )


@main.command("regenerate")
@pass_cli
def regenerate_cmd(cli: CliContext) -> None:
    """Fristen aller Bewilligungen aus ihren Regelwerken neu erzeugen.

    Von Hand geänderte, eingereichte, erledigte oder entfallene Fristen bleiben
    unverändert.
    """
    with cli.session() as session:
        result = obligations.regenerate_awards(
            session,
            state=cli.settings.get("office.state"),
            regimes_dir=cli.settings.get("paths.regimes"),
        )
    click.echo(
        f"Fristen aus Förderregeln: {result.created} neu, {result.updated} geändert, "
        f"{result.removed} entfernt, {result.kept} von Hand bearbeitete beibehalten."
    )
