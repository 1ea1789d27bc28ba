"""Web commands: ``serve`` (web UI plus the reminder scheduler) and ``user add``.

``serve`` runs uvicorn in the foreground and, when ``scheduler.build_scheduler`` is
available, the reminder jobs in a background thread of the same process (one office,
one process); deployments with several web workers run ``portfolio-scheduler``
separately and start the web with ``--ohne-zeitplan``. On SIGTERM/SIGINT uvicorn
stops serving; then the reminder job finishes the message in flight, gives its
unsent rows back, and ``serve`` exits 0.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
from types import FrameType
from typing import Any

import click

from portfolio.cli.app import CliContext, main, pass_cli
from portfolio.domain.errors import InputError
from portfolio.services.users import add_user, parse_role


def _check_address(host: str, port: int) -> None:
    """Refuse a busy port or an unknown host before anything starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InputError(
            f"Die Adresse {host!r} ist unbekannt; nehmen Sie z. B. --host 127.0.0.1."
        ) from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # as uvicorn binds: a port in TIME_WAIT is free, one with a listener is not
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(
                f"Auf {host}:{port} lässt sich nicht lauschen (Port belegt oder "
                "Adresse nicht auf diesem Rechner) – läuft portfolio schon? "
                "Wählen Sie einen anderen Port mit --port."
            ) from exc


def _stop_scheduler(jobs: Any) -> None:
    """Let the running reminder job end after its message in flight, then stop."""
    import scheduler as service

    service.stop_gracefully(jobs)


def _quiet_exit(signum: int, frame: FrameType | None) -> None:
    """After uvicorn's graceful shutdown it re-raises the signal: end normally."""


def _start_scheduler(cli: CliContext) -> Any:
    try:
        import scheduler as service
    except ImportError:
        return None
    build = getattr(service, "build_scheduler", None)
    if build is None:
        return None
    jobs = build(cli.engine, cli.settings)
    # A BlockingScheduler blocks only the thread that starts it: run it beside
    # the web server in a daemon thread.
    threading.Thread(target=jobs.start, name="portfolio-scheduler", daemon=True).start()
    return jobs


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Adresse, auf der der Server lauscht.",
)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port des Servers.",
)
@click.option(
    "--ohne-zeitplan",
    "no_scheduler",
    is_flag=True,
    help="Keine Erinnerungen in diesem Prozess (wenn portfolio-scheduler läuft).",
)
@pass_cli
def serve(cli: CliContext, host: str, port: int, no_scheduler: bool) -> None:
    """Weboberfläche starten (und den Zeitplan für Erinnerungen)."""
    import uvicorn

    from portfolio.web import create_app
    from portfolio.web.server import GermanH11Protocol, install_log_filter

    _check_address(host, port)
    settings = cli.office_settings
    if (
        host == "127.0.0.1"
        and port != 8000
        and settings.get("web.base_url") == "http://127.0.0.1:8000"
    ):
        settings = settings.with_overrides(
            **{"web.base_url": f"http://127.0.0.1:{port}"}
        )
    app = create_app(settings, engine=cli.engine)
    jobs = None if no_scheduler else _start_scheduler(cli)
    address = f"http://{host}:{port}"
    click.echo(f"portfolio läuft auf {address} – beenden mit Strg+C.")
    if jobs is not None:
        click.echo("Zeitplan für Erinnerungen läuft im Hintergrund.")
    # uvicorn handles SIGTERM/SIGINT while it runs and then raises the signal
    # again; these handlers turn that into a normal return, so the scheduler can
    # finish its message in flight and the process exits 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _quiet_exit)
    install_log_filter()
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            # uvicorn's own answers (a request it cannot parse) in German
            http=GermanH11Protocol,
            log_level="warning",
            # the client address comes from web.trusted_proxies, not from uvicorn
            proxy_headers=False,
        )
    finally:
        if jobs is not None:
            _stop_scheduler(jobs)
    click.echo("portfolio beendet.")


@main.group()
def user() -> None:
    """Benutzer der Weboberfläche verwalten."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InputError(
            "Kein Terminal für die Passwortabfrage: Passwort mit --password-stdin "
            "über die Standardeingabe übergeben."
        )
    while True:  # click's own confirmation complains in English
        first = str(click.prompt("Passwort", hide_input=True))
        if first == str(click.prompt("Passwort wiederholen", hide_input=True)):
            return first
        click.echo("Die beiden Eingaben stimmen nicht überein – noch einmal.", err=True)


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["admin", "editor", "viewer"]),
    default="viewer",
    show_default=True,
    help="Rolle: admin (alles), editor (ändern), viewer (lesen).",
)
@click.option("--email", default=None, help="E-Mail-Adresse (optional).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Passwort als eine Zeile von der Standardeingabe lesen.",
)
@pass_cli
def user_add(
    cli: CliContext, name: str, role: str, email: str | None, password_stdin: bool
) -> None:
    """Einen Benutzer anlegen (fragt zweimal nach dem Passwort)."""
    password = _read_password(password_stdin)
    with cli.session() as session:
        created = add_user(session, name, password, parse_role(role), email)
        click.echo(f"Benutzer {created.username} angelegt (Rolle {role}).")
