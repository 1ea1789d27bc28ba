"""The ``portfolio`` command group: global options, German help and error handling.

Every command of every area hangs off ``main``. Errors become one German line on
stderr and the exit codes of DESIGN §6 (0 done, 1 done with rejected rows, 2 unusable
input, 3 internal error); a traceback is shown only with ``PORTFOLIO_DEBUG=1``.
"""

from __future__ import annotations

import gc
import getpass
import importlib
import os
import re
import sys
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NoReturn

import click
from click.exceptions import NoArgsIsHelpError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portfolio import __version__
from portfolio.config import Settings, load_settings
from portfolio.domain.errors import InputError, PortfolioError
from portfolio.services.office import database_defaults
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

HEADINGS = {
    "Options": "Optionen",
    "Commands": "Befehle",
    "Arguments": "Argumente",
    "Positionals": "Argumente",
}
HELP_TEXT = "Diese Hilfe zeigen und beenden."
# click's type names as metavars (INTEGER …) and the extras after an option's help.
METAVARS = {
    "INTEGER": "ZAHL",
    "FLOAT": "ZAHL",
    "PATH": "PFAD",
    "FILENAME": "DATEI",
    "FILE": "DATEI",
    "DIRECTORY": "ORDNER",
}
HELP_EXTRAS = (("[default: ", "[Standard: "), ("required]", "Pflichtangabe]"))
# click's own error sentences (it has no German catalogue), most specific first.
CLICK_MESSAGES = (
    (r"^(.+) is not a valid (integer|float)\.$", r"\1 ist keine Zahl."),
    (r"^(.+) is not a valid (.+)\.$", r"\1 ist kein gültiger Wert."),
    (r"^(.+) is not one of (.+)\.$", r"\1 ist keiner der Werte \2."),
    (r"^(.+) is not in the range (.+)\.$", r"\1 liegt nicht im Bereich \2."),
    (r"^\w+ (.+) does not exist\.$", r"\1 gibt es nicht."),
    (r"^\w+ (.+) is a directory\.$", r"\1 ist ein Ordner, keine Datei."),
    (r"^\w+ (.+) is a file\.$", r"\1 ist eine Datei, kein Ordner."),
    (r"^\w+ (.+) is not readable\.$", r"\1 ist nicht lesbar."),
    (r"^\w+ (.+) is not writable\.$", r"\1 ist nicht beschreibbar."),
    (r"^Got unexpected extra arguments? \((.+)\)$", r"Überzählige Angabe: \1."),
    (r"^Option (.+) requires an argument\.$", r"Zur Option \1 fehlt der Wert."),
    (r"^Option (.+) requires (\d+) arguments\.$", r"Zur Option \1 fehlen \2 Werte."),
    (r"^Option (.+) does not take a value\.$", r"Die Option \1 nimmt keinen Wert."),
    (r"^Missing command\.$", "Es fehlt der Befehl."),
    (r"^(.+) is not (.+)\.$", r"\1 ist nicht \2."),
)


def german_click_message(message: str) -> str:
    """Translate one of click's English error sentences (others pass unchanged)."""
    for pattern, replacement in CLICK_MESSAGES:
        translated, count = re.subn(pattern, replacement, message)
        if count:
            return translated
    return message


class GermanHelpFormatter(click.HelpFormatter):
    """Writes click's help headings in German."""

    def write_usage(
        self,
        prog: str,
        args: str = "",
        prefix: str | None = None,  # noqa: ARG002
    ) -> None:
        """Write the usage line as "Aufruf: …"."""
        super().write_usage(prog, args, prefix="Aufruf: ")

    def write_heading(self, heading: str) -> None:
        """Translate the section headings."""
        super().write_heading(HEADINGS.get(heading, heading))

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Translate type metavars and the ``[default: …]``/``[required]`` extras."""
        super().write_dl(
            [(_german_metavars(term), _german_extras(text)) for term, text in rows],
            col_max,
            col_spacing,
        )


def _german_metavars(term: str) -> str:
    return re.sub(
        r"\b(" + "|".join(METAVARS) + r")\b", lambda m: METAVARS[m.group(1)], term
    )


def _german_extras(text: str) -> str:
    for english, german in HELP_EXTRAS:
        text = text.replace(english, german)
    return text


class GermanContext(click.Context):
    """A click context that formats help in German."""

    formatter_class = GermanHelpFormatter


class GermanHelpOption:
    """Mixin: the --help option explained in German (commands and groups alike)."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """The --help option, explained in German."""
        option: click.Option | None = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_TEXT
        return option


class PortfolioCommand(GermanHelpOption, click.Command):
    """A command with German help."""

    context_class = GermanContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """A command whose usage line reads ``[OPTIONEN]``."""
        kwargs.setdefault("options_metavar", "[OPTIONEN]")
        super().__init__(*args, **kwargs)


def _german(exc: click.ClickException) -> str:
    if isinstance(exc, click.NoSuchOption):
        return f"Unbekannte Option {exc.option_name!r}."
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        hint = exc.param.get_error_hint(exc.ctx) if exc.ctx else exc.param.name
        return f"Es fehlt die Angabe {hint}."
    if isinstance(exc, click.BadParameter):
        hint = exc.param.get_error_hint(exc.ctx) if exc.param and exc.ctx else ""
        message = german_click_message(exc.message)
        return f"Ungültiger Wert {hint}: {message}".replace("  ", " ")
    if isinstance(exc, click.UsageError) and exc.message.startswith("No such command"):
        return f"Unbekannter Befehl: {exc.message.split(' ', 3)[-1]}"
    return german_click_message(exc.format_message())


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Fehler: {message}", err=True)
    sys.exit(code)


class PortfolioGroup(GermanHelpOption, click.Group):
    """A group whose errors become German one-liners with DESIGN §6 exit codes."""

    context_class = GermanContext
    command_class = PortfolioCommand
    group_class = type  # subgroups are PortfolioGroups too
    # Top-level command → the modules that define or extend it, loaded when the
    # command is asked for (set on ``main`` only; see ``COMMAND_MODULES``).
    lazy: dict[str, tuple[str, ...]] = {}  # noqa: RUF012 - replaced, never mutated

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, loaded or not, in alphabetical order (as click lists)."""
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its modules imported first (they register it on ``main``)."""
        for module in self.lazy.get(cmd_name, ()):
            importlib.import_module(module)
        return super().get_command(ctx, cmd_name)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """A group whose usage line reads ``[OPTIONEN] BEFEHL [ARGUMENTE]...``."""
        kwargs.setdefault("options_metavar", "[OPTIONEN]")
        if kwargs.get("invoke_without_command"):
            kwargs.setdefault("subcommand_metavar", "[BEFEHL] [ARGUMENTE]...")
        kwargs.setdefault("subcommand_metavar", "BEFEHL [ARGUMENTE]...")
        super().__init__(*args, **kwargs)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; turn every failure into a message and an exit code."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except (click.Abort, KeyboardInterrupt):
            _fail("Abgebrochen – es wurde nichts geändert.", 130)
        except NoArgsIsHelpError as exc:
            # A group called without a command: its help, not an error line.
            click.echo(exc.ctx.get_help(), err=True)
            sys.exit(2)
        except click.ClickException as exc:
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" (Hilfe: {exc.ctx.command_path} --help)"
            else:
                hint = ""
            _fail(_german(exc) + hint, 2 if exc.exit_code == 1 else exc.exit_code)
        except PortfolioError as exc:
            _fail(exc.message, exc.exit_code)
        except Exception as exc:
            if os.environ.get("PORTFOLIO_DEBUG"):
                traceback.print_exc()
            _fail(
                f"Interner Fehler ({type(exc).__name__}: {exc}). Das ist ein Fehler in "
                "portfolio; bitte melden (Details mit PORTFOLIO_DEBUG=1).",
                3,
            )
        sys.exit(result if isinstance(result, int) else 0)


@dataclass
class CliContext:
    """What every command gets: the settings and, on demand, the database."""

    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)
    # Whether the command runs as a process of its own that ends with it (the
    # ``portfolio`` program, ``run``), not inside another (tests, a script).
    own_process: bool = False

    @property
    def engine(self) -> Engine:
        """The database, opened (and created or checked) on first use.

        Opening it also reads the office defaults the database carries (the demo's
        name and address) into ``settings`` where the file and environment are silent.
        """
        if self._engine is None:
            self._engine = open_database(self.settings.database_url)
            with session_scope(self._engine, self.who, read_only=True) as session:
                defaults = database_defaults(session)
            self.settings = self.settings.with_database_defaults(defaults)
        return self._engine

    @property
    def office_settings(self) -> Settings:
        """The settings with the database's office defaults (opens the database)."""
        _ = self.engine
        return self.settings

    @property
    def who(self) -> str:
        """Who is acting, for the change log."""
        try:
            return f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            return "cli"

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A unit of work on the database (committed unless read-only)."""
        with session_scope(self.engine, self.who, read_only=read_only) as session:
            yield session

    def close(self) -> None:
        """Release the database connections."""
        if self._engine is not None:
            self._engine.dispose()


pass_cli = click.make_pass_decorator(CliContext)


def ask_yes(question: str, *, without: str) -> bool:
    """Ask in German; ``j``/``ja`` (or ``y``/``yes``) says yes, anything else no.

    Input that ends before an answer (no terminal: a script, a pipe, ``</dev/null``)
    is neither a user's "no" nor a Ctrl-C: the call cannot work that way, so it is
    refused like unusable input (exit 2), with ``without``: how to run it unasked.
    """
    try:
        answer = click.prompt(
            f"{question} [j/N]", default="n", show_default=False, err=True
        )
    except click.Abort as exc:
        if not isinstance(exc.__context__, EOFError):
            raise  # Ctrl-C: aborted (exit 130)
        click.echo("", err=True)  # end the prompt's line
        raise InputError(
            f"Keine Antwort auf die Rückfrage (kein Terminal) – es wurde nichts "
            f"geändert. {without}"
        ) from None
    return str(answer).strip().lower() in ("j", "ja", "y", "yes")


def parse_day(value: str | None, option: str) -> date | None:
    """A date option: 2017-03-15 or 15.03.2017."""
    if value is None:
        return None
    try:
        if "." in value:
            day, month, year = (int(p) for p in value.split("."))
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(
            f"{option}: {value!r} ist kein Datum (z. B. 15.03.2017 oder 2017-03-15)."
        ) from exc


@click.group(
    cls=PortfolioGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Datenbank-URL (Umgebung: PORTFOLIO_DB; Standard: sqlite:///portfolio.db).",
)
@click.option(
    "--config",
    "config_file",
    metavar="DATEI",
    help="Konfigurationsdatei (TOML; Umgebung: PORTFOLIO_CONFIG).",
)
@click.version_option(
    __version__,
    "--version",
    message="portfolio %(version)s",
    help="Version zeigen und beenden.",
)
@click.pass_context
def main(ctx: click.Context, db_url: str | None, config_file: str | None) -> None:
    """Portfolio – Förderprogramme, Fristen und Berichte des Bildungsbüros.

    Beispiele:

      portfolio demo                  Demo-Portfolio laden und Übersicht zeigen

      portfolio programmes            alle Programme mit nächster Frist

      portfolio --db sqlite:///x.db show zukunftsstadt
    """
    settings = load_settings(config_file)
    if db_url:
        settings = settings.with_overrides(**{"database.url": db_url})
    cli = CliContext(settings, own_process=OWN_PROCESS.is_set)
    if cli.own_process and not gc.isenabled():
        # The command's modules are loaded (click resolves it first): see ``run``.
        gc.freeze()
        gc.enable()
    ctx.obj = cli
    ctx.call_on_close(cli.close)


class _Flag:
    """A switch set once for the process (``run``)."""

    is_set = False


OWN_PROCESS = _Flag()


def run() -> None:
    """``main`` in a process that ends with its command (``portfolio.cli.run``).

    The program switched the cyclic collector off before anything loaded:
    loading the command's modules makes only objects that live as long as the
    process, and ``main`` then exempts them from it (``gc.freeze``) – a
    twentieth of a second of every command, and less for the collector of
    ``portfolio serve`` to walk.
    """
    OWN_PROCESS.is_set = True
    main()


def _modules(*names: str) -> tuple[str, ...]:
    return tuple(f"portfolio.cli.{name}" for name in names)


# Each command loads only the modules that define it or add subcommands to it:
# ``portfolio import`` then starts without the web server, the documents and the
# backup code (a fifth of a second of every short command). tests/test_startup.py
# checks that this table names every command and each module that extends it.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "attach": _modules("documents"),
    "audit": _modules("admin"),
    "backup": _modules("backup"),
    "check": _modules("checks"),
    "db": _modules("core"),
    "deadlines": _modules("reminders"),
    "demo": _modules("core"),
    "documents": _modules("documents"),
    "done": _modules("reminders"),
    "export": _modules("core", "reminders", "reports"),
    "import": _modules("imports"),
    "imports": _modules("imports"),
    "narrative": _modules("reports"),
    "programmes": _modules("core"),
    "regenerate": _modules("reminders"),
    "regimes": _modules("reminders"),
    "remind": _modules("reminders"),
    "reminders": _modules("reminders"),
    "report": _modules("reports", "nachweis"),
    "restore": _modules("core"),
    "serve": _modules("web"),
    "show": _modules("core"),
    "user": _modules("web", "admin"),
}
assert isinstance(main, PortfolioGroup)
main.lazy = COMMAND_MODULES
