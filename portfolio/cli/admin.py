"""Administration on the command line: ``user list|passwd|deactivate|role``, ``audit``.

The same services as the Verwaltung page: a new password, a role change or a
deactivation ends the user's browser sessions at once and is written to the audit
log, with the operating-system user (``cli:NAME``) as the one who did it.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import click
from sqlalchemy.orm import Session

from portfolio.cli.app import CliContext, main, parse_day, pass_cli
from portfolio.cli.web import _read_password, user
from portfolio.domain.enums import label
from portfolio.domain.errors import NotFound
from portfolio.domain.models import User
from portfolio.services import audit
from portfolio.services.users import (
    find_user,
    list_users,
    parse_role,
    set_password,
    update_user,
)


def _user(session: Session, name: str) -> User:
    found = find_user(session, name)
    if found is None:
        raise NotFound(
            f"Den Benutzer {name!r} gibt es nicht (alle: portfolio user list)."
        )
    return found


@user.command("list")
@pass_cli
def user_list(cli: CliContext) -> None:
    """Alle Benutzer mit Rolle, E-Mail und Status."""
    with cli.session(read_only=True) as session:
        users = list_users(session)
        if not users:
            click.echo("Noch keine Benutzer (anlegen: portfolio user add NAME).")
        for u in users:
            state = "aktiv" if u.active else "gesperrt"
            key = ", API-Schlüssel" if u.api_token_hash else ""
            click.echo(
                f"{u.username:<20} {label(u.role):<14} {state:<9} {u.email or '–'}{key}"
            )


@user.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Passwort als eine Zeile von der Standardeingabe lesen.",
)
@pass_cli
def user_passwd(cli: CliContext, name: str, password_stdin: bool) -> None:
    """Neues Passwort setzen; alle Anmeldungen des Benutzers enden."""
    password = _read_password(password_stdin)
    with cli.session() as session:
        set_password(session, _user(session, name), password)
    click.echo(f"Passwort von {name} geändert; seine Anmeldungen wurden beendet.")


@user.command("deactivate")
@click.argument("name")
@click.option("--wieder", "again", is_flag=True, help="Wieder freischalten.")
@pass_cli
def user_deactivate(cli: CliContext, name: str, again: bool) -> None:
    """Benutzer sperren (mit --wieder freischalten); Anmeldungen enden sofort."""
    with cli.session() as session:
        found = _user(session, name)
        update_user(session, found, role=found.role, active=again, acting=None)
    click.echo(f"{name} {'freigeschaltet' if again else 'gesperrt'}.")


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(["admin", "editor", "viewer"]))
@pass_cli
def user_role(cli: CliContext, name: str, role: str) -> None:
    """Rolle ändern (admin, editor, viewer); Anmeldungen des Benutzers enden."""
    with cli.session() as session:
        found = _user(session, name)
        update_user(
            session, found, role=parse_role(role), active=found.active, acting=None
        )
    click.echo(f"{name} hat jetzt die Rolle {role}.")


@main.command("audit")
@click.option("--since", metavar="DATUM", help="Nur Ereignisse ab diesem Tag.")
@click.option(
    "--limit", default=500, show_default=True, help="Höchstens so viele Ereignisse."
)
@pass_cli
def audit_command(cli: CliContext, since: str | None, limit: int) -> None:
    """Protokoll: Anmeldungen, Benutzer, Schlüssel, Importe, Berichte, Einstellungen."""
    zone = ZoneInfo(str(cli.settings.get("office.timezone")))
    day = parse_day(since, "--since")
    start = datetime.combine(day, time(0), zone) if day else None
    with cli.session(read_only=True) as session:
        rows, total = audit.events(session, since=start, limit=limit)
        for event in reversed(rows):
            when = event.at.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S")
            what = audit.ACTIONS.get(event.action, event.action)
            parts = [when, what, event.actor]
            parts.append(f"von {event.address}" if event.address else "")
            parts.append(event.target or "")
            parts.append(audit.describe(event))
            click.echo("  ".join(p for p in parts if p))
    if total > len(rows):
        click.echo(f"(die neuesten {len(rows)} von {total}; mehr mit --limit)")
    elif not rows:
        click.echo("Keine Ereignisse" + (f" seit {since}." if since else "."))
