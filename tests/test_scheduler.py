"""The scheduler: fixed jobs, catch-up once, Stichtag → outbox, clean SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import scheduler
from portfolio.config import load_settings
from portfolio.domain.enums import ObligationKind
from portfolio.domain.models import Contact, Obligation, Programme, Reminder
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

ROOT = Path(__file__).resolve().parents[1]


def settings_for(db_url, tmp_path, **extra):
    env = {
        "PORTFOLIO_DB": db_url,
        "PORTFOLIO_MAIL_OUTBOX": str(tmp_path / "outbox"),
        **extra,
    }
    return load_settings(None, environ=env)


def add_obligation(engine, due_on):
    with session_scope(engine, "test") as session:
        person = Contact(email="kaoa@example.org", name="KAoA")
        programme = Programme(key="kaoa", name="KAoA", lead=person)
        session.add_all([person, programme])
        session.flush()
        session.add(
            Obligation(
                programme_id=programme.id,
                kind=ObligationKind.REPORT,
                title="Jahresbericht",
                due_on=due_on,
                origin="manual",
            )
        )


def test_jobs_have_fixed_ids_and_are_coalesced(sqlite_url, tmp_path):
    engine = open_database(sqlite_url)
    sched = scheduler.build_scheduler(engine, settings_for(sqlite_url, tmp_path))
    jobs = {job.id: job for job in sched.get_jobs()}
    assert set(jobs) == {"reminders", "digest", "yearly-reports"}
    assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    assert "mon-fri" in str(jobs["reminders"].trigger)
    assert "hour='7'" in str(jobs["digest"].trigger)
    engine.dispose()


def test_after_downtime_one_mail_for_the_latest_stage_then_none(db_url, tmp_path):
    engine = open_database(db_url)
    add_obligation(engine, date.today() + timedelta(days=2))  # 42 and 14 were missed
    settings = settings_for(db_url, tmp_path)
    scheduler.reminder_job(engine, settings)
    scheduler.reminder_job(engine, settings)
    with session_scope(engine, "test", read_only=True) as session:
        stages = list(session.scalars(sa.select(Reminder.stage)))
    engine.dispose()
    assert stages == ["3"]
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_stichtag_database_writes_to_outbox_even_with_smtp(cli, tmp_path, smtp_server):
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    assert cli("demo", "--today", "2017-04-10", db=db).exit_code == 0
    engine = open_database(db)
    settings = settings_for(
        db,
        tmp_path,
        PORTFOLIO_MAIL_TRANSPORT="smtp",
        PORTFOLIO_SMTP_HOST="127.0.0.1",
        PORTFOLIO_SMTP_PORT=str(smtp_server.port),
    )
    scheduler.reminder_job(engine, settings)
    engine.dispose()
    assert smtp_server.messages == []
    # two Zwischennachweise and Zukunftsstadt's overdue spending deadline
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3


def test_service_sends_at_start_and_stops_cleanly_on_sigterm(
    sqlite_url, tmp_path, smtp_server
):
    engine = open_database(sqlite_url)
    add_obligation(engine, date.today())
    engine.dispose()
    env = {
        "PATH": "/usr/bin:/bin",
        "PORTFOLIO_DB": sqlite_url,
        "PORTFOLIO_MAIL_TRANSPORT": "smtp",
        "PORTFOLIO_SMTP_HOST": "127.0.0.1",
        "PORTFOLIO_SMTP_PORT": str(smtp_server.port),
    }
    service = subprocess.Popen(
        [sys.executable, str(ROOT / "scheduler.py")],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not smtp_server.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    service.send_signal(signal.SIGTERM)
    output = service.communicate(timeout=60)[0].decode()
    assert service.returncode == 0, output
    assert len(smtp_server.messages) == 1
    assert "Signal SIGTERM empfangen" in output and "Dienst beendet" in output


def test_bad_database_url_is_a_german_one_liner(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "scheduler.py"), "--db", "mysql://x/y"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Fehler:") and "Traceback" not in result.stderr


def test_scheduler_help_and_errors_are_german(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as shown:
        scheduler.main(["--help"])
    assert shown.value.code == 0
    out = capsys.readouterr().out
    assert "Aufruf: portfolio-scheduler" in out
    assert "Diese Hilfe zeigen und beenden." in out
    assert "usage" not in out and "show this help" not in out
    with pytest.raises(SystemExit) as wrong:
        scheduler.main(["--bogus"])
    assert wrong.value.code == 2
    assert "Fehler: unbekannte Argumente: --bogus" in capsys.readouterr().err


def test_impossible_yearly_date_is_a_german_line_exit_2(
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PORTFOLIO_REPORTS_YEARLY_DATE", "31.02.")
    assert scheduler.main(["--db", sqlite_url]) == 2
    assert "reports.yearly_date '31.02.'" in capsys.readouterr().err
