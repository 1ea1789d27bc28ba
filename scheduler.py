"""The portfolio service: reminders every 15 minutes in office hours, digest on Monday.

``portfolio-scheduler`` (or ``python scheduler.py``) reads the settings, opens the
database and runs an APScheduler 3 ``BlockingScheduler`` with jobs of fixed ids
(``reminders``, ``digest``), ``replace_existing`` and coalescing, so a restart never
duplicates a job and a scheduler that was down runs each job once, not once per
missed run. The reminder job also runs right at start: it sends everything due as of
now — after three days of downtime the overdue stage once, and nothing it already
sent (the outbox remembers). While the database carries a Stichtag (the demo), the
jobs work from that day and write to the outbox folder only. SIGTERM and SIGINT shut
the scheduler down cleanly: the mail in flight is finished and marked, the rows the
run claimed but did not send are given back, and the process exits 0 within
seconds (APScheduler's ``shutdown(wait=True)`` waits for the running job, which
``STOPPING`` ends after its current message).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import NoReturn
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from portfolio.config import Settings, load_settings
from portfolio.domain.errors import PortfolioError
from portfolio.services import clock, schedule
from portfolio.services import reminders as outbox
from portfolio.services.office import database_defaults
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

log = logging.getLogger("portfolio.scheduler")

REMINDERS_JOB = "reminders"
DIGEST_JOB = "digest"
# The cron rules live with the admin page's "next run" (portfolio.services.schedule).
REMINDER_TRIGGER = schedule.REMINDER_TRIGGER
DIGEST_TRIGGER = schedule.DIGEST_TRIGGER
# One run after downtime, never two at once; a run up to an hour late still counts.
JOB_OPTIONS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
# Set on SIGTERM/SIGINT (or by ``portfolio serve`` on exit): a running reminder job
# finishes the message in flight, gives the rest back and returns.
STOPPING = threading.Event()


def job_now(engine: Engine, timezone: str) -> tuple[datetime, bool]:
    """The moment a job works for, and whether a Stichtag forces the outbox."""
    real = datetime.now(ZoneInfo(timezone))
    with session_scope(engine, "scheduler", read_only=True) as session:
        day = clock.stichtag(session)
    if day is None:
        return real.astimezone(UTC), False
    return datetime.combine(day, real.timetz()).astimezone(UTC), True


def reminder_job(engine: Engine, settings: Settings, *, digest: bool = False) -> None:
    """Plan and send everything due as of now (one run of the outbox)."""
    config = outbox.RunConfig.from_settings(settings)
    now, outbox_only = job_now(engine, config.mail.timezone)
    try:
        report = outbox.run_once(
            lambda: session_scope(engine, "scheduler"),
            config,
            now,
            outbox_only=outbox_only,
            digest=digest,
            stop=STOPPING.is_set,
        )
    except PortfolioError as exc:
        log.error("Erinnerungslauf fehlgeschlagen: %s", exc)
        return
    log.info(
        "%s: %d geplant, %d verschickt, %d später erneut, %d fehlgeschlagen (%s)%s",
        "Wochenübersicht" if digest else "Erinnerungen",
        report.planned.planned,
        report.sent.sent,
        report.sent.retried,
        report.sent.failed,
        report.transport,
        f"; Versand unterbrochen: {report.sent.transport_down}"
        if report.sent.transport_down
        else "",
    )


def build_scheduler(
    engine: Engine, settings: Settings, *, start_now: bool = True
) -> BlockingScheduler:
    """The scheduler with its jobs (fixed ids, replace_existing, coalesced)."""
    timezone = ZoneInfo(str(settings.get("office.timezone")))
    scheduler = BlockingScheduler(
        timezone=timezone,
        job_defaults=JOB_OPTIONS,
    )
    first = {"next_run_time": datetime.now(timezone)} if start_now else {}
    scheduler.add_job(
        reminder_job,
        CronTrigger(timezone=timezone, **REMINDER_TRIGGER),
        args=(engine, settings),
        id=REMINDERS_JOB,
        name="Erinnerungen verschicken",
        replace_existing=True,
        **JOB_OPTIONS,
        **first,
    )
    scheduler.add_job(
        reminder_job,
        CronTrigger(timezone=timezone, **DIGEST_TRIGGER),
        args=(engine, settings),
        kwargs={"digest": True},
        id=DIGEST_JOB,
        name="Wochenübersicht verschicken",
        replace_existing=True,
        **JOB_OPTIONS,
    )
    add_yearly_reports_job(scheduler, engine, settings)
    return scheduler


YEARLY_JOB = "yearly-reports"


def yearly_reports_job(engine: Engine, settings: Settings) -> None:
    """Last year's reports as drafts to the office lead (issue 5; reports.yearly)."""
    from reports import ReportOptions
    from reports.yearly import run_yearly

    config = outbox.RunConfig.from_settings(settings)
    _, outbox_only = job_now(engine, config.mail.timezone)
    try:
        result = run_yearly(
            lambda: session_scope(engine, "scheduler"),
            config.make_transport(outbox_only=outbox_only),
            ReportOptions.from_settings(settings),
            sender=config.mail.office.sender,
            lead=config.mail.lead,
        )
    except PortfolioError as exc:
        log.error("Jahresberichte fehlgeschlagen: %s", exc)
        return
    log.info("Jahresberichte: %s", result.text)


def add_yearly_reports_job(
    scheduler: BlockingScheduler, engine: Engine, settings: Settings
) -> None:
    """Once a year (``reports.yearly_date``, 6 Uhr): drafts of last year's reports."""
    from reports.yearly import parse_yearly_date

    day, month = parse_yearly_date(str(settings.get("reports.yearly_date")))
    timezone = ZoneInfo(str(settings.get("office.timezone")))
    scheduler.add_job(
        yearly_reports_job,
        CronTrigger(month=month, day=day, hour=6, minute=0, timezone=timezone),
        args=(engine, settings),
        id=YEARLY_JOB,
        name="Jahresberichte als Entwurf an die Leitung",
        replace_existing=True,
        **JOB_OPTIONS,
    )


def stop_gracefully(scheduler: BlockingScheduler | None) -> None:
    """End the running job after its message in flight, then stop the scheduler."""
    STOPPING.set()
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=True)


def install_signal_handlers(scheduler: BlockingScheduler | None) -> None:
    """SIGTERM/SIGINT: finish the message in flight, give the rest back, stop."""

    def stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        log.info(
            "Signal %s empfangen: Dienst wird beendet.", signal.Signals(signum).name
        )
        stop_gracefully(scheduler)

    handler: Callable[[int, FrameType | None], None] = stop
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


class GermanArgumentParser(argparse.ArgumentParser):
    """argparse with German headings and error messages."""

    WORDS = (
        ("usage:", "Aufruf:"),
        ("options:", "Optionen:"),
        ("unrecognized arguments:", "unbekannte Argumente:"),
        ("expected one argument", "erwartet einen Wert"),
    )

    def _german(self, text: str) -> str:
        for english, german in self.WORDS:
            text = text.replace(english, german)
        return text

    def format_usage(self) -> str:
        """The usage line in German."""
        return self._german(super().format_usage())

    def format_help(self) -> str:
        """The help text in German."""
        return self._german(super().format_help())

    def error(self, message: str) -> NoReturn:
        """One German line and exit code 2 (DESIGN §6)."""
        self.print_usage(sys.stderr)
        self.exit(2, f"Fehler: {self._german(message)}\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (German help)."""
    parser = GermanArgumentParser(
        prog="portfolio-scheduler",
        description="Zeitplan-Dienst von portfolio: Erinnerungen und Wochenübersicht.",
        add_help=False,
    )
    parser.add_argument(
        "-h", "--help", action="help", help="Diese Hilfe zeigen und beenden."
    )
    parser.add_argument("--config", metavar="DATEI", help="Konfigurationsdatei (TOML).")
    parser.add_argument("--db", metavar="URL", help="Datenbank-URL.")
    parser.add_argument(
        "--once", action="store_true", help="Den Erinnerungslauf einmal ausführen."
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the service until SIGTERM; exit codes as the CLI (DESIGN §6)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parse_args(argv)
    try:
        settings = load_settings(args.config)
        if args.db:
            settings = settings.with_overrides(**{"database.url": args.db})
        engine = open_database(settings.database_url)
        with session_scope(engine, "scheduler", read_only=True) as session:
            settings = settings.with_database_defaults(database_defaults(session))
    except PortfolioError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        if args.once:
            install_signal_handlers(None)
            reminder_job(engine, settings)
            return 0
        try:
            scheduler = build_scheduler(engine, settings)
        except PortfolioError as exc:  # e.g. an impossible reports.yearly_date
            print(f"Fehler: {exc}", file=sys.stderr)
            return exc.exit_code
        install_signal_handlers(scheduler)
        log.info("Dienst gestartet (Jobs: %s, %s).", REMINDERS_JOB, DIGEST_JOB)
        scheduler.start()
        log.info("Dienst beendet.")
        return 0
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
