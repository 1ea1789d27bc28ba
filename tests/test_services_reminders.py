"""The reminder outbox with real parts: SQLite/PostgreSQL, aiosmtpd, subprocesses.

Covers: planning twice is a no-op; the mail server down for a run, then up (all
arrive, once); giving up after N refusals, visible in ``portfolio reminders``; two
schedulers on one PostgreSQL database for
1,000 reminders (each exactly once); CLI writes on SQLite while the scheduler sends
(no "database is locked").
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from portfolio.domain.enums import ObligationKind, ReminderStatus
from portfolio.domain.models import Contact, Obligation, Programme, Reminder
from portfolio.domain.reminders import Stages
from portfolio.notify import Office, OutboxTransport, SmtpTransport
from portfolio.services import reminders as outbox
from portfolio.storage.db import session_scope

ROOT = Path(__file__).resolve().parents[1]
SCHEDULER = ROOT / "scheduler.py"
TODAY = date(2017, 4, 10)
NOW = datetime(2017, 4, 10, 6, 0, tzinfo=UTC)
MAIL = outbox.MailSettings(office=Office(sender="portfolio@kreis-re.example"))


def add_obligations(engine, count, due_on, *, prefix="frist"):
    """``count`` open obligations of one programme, each with its own contact."""
    with session_scope(engine, "test") as session:
        programme = Programme(key=f"{prefix}-programm", name=f"Programm {prefix}")
        session.add(programme)
        session.flush()
        contacts = [
            Contact(email=f"{prefix}{i}@example.org", name=f"Person {i}")
            for i in range(count)
        ]
        session.add_all(contacts)
        session.flush()
        session.add_all(
            Obligation(
                programme_id=programme.id,
                kind=ObligationKind.REPORT,
                title=f"Bericht {i}",
                due_on=due_on,
                responsible_id=contacts[i].id,
                origin="manual",
            )
            for i in range(count)
        )


def plan_all(engine, today=TODAY):
    with session_scope(engine, "test") as session:
        return outbox.plan(session, today, Stages(), "leitung@example.org")


def sessions_for(engine):
    return lambda: session_scope(engine, "test")


def statuses(engine):
    with session_scope(engine, "test", read_only=True) as session:
        return Counter(session.scalars(sa.select(Reminder.status)))


def test_planning_twice_writes_once(engine):
    add_obligations(engine, 5, TODAY + timedelta(days=14))
    assert plan_all(engine).planned == 5
    assert plan_all(engine).planned == 0
    assert statuses(engine) == {ReminderStatus.PENDING: 5}


def test_capitalised_addresses_are_known_on_the_next_run(engine):
    """The database recognises a planned reminder whatever the address's case."""
    add_obligations(engine, 2, TODAY + timedelta(days=14))
    with session_scope(engine, "test") as session:
        first, second = session.scalars(sa.select(Contact).order_by(Contact.id))
        first.email = "Anna.Schmidt@Kreis-RE.example"
        second.email = "JÖRG.Ärger@example.org"  # a non-ASCII capital
    assert plan_all(engine).planned == 2
    again = plan_all(engine)
    assert again.planned == 0
    # the ASCII address is skipped by the database; the other may be looked at
    # again (SQLite folds ASCII only) but is never written twice
    assert again.considered <= 1
    with session_scope(engine, "test", read_only=True) as session:
        recipients = set(session.scalars(sa.select(Reminder.recipient)))
    assert recipients == {"anna.schmidt@kreis-re.example", "jörg.ärger@example.org"}
    assert statuses(engine) == {ReminderStatus.PENDING: 2}


def test_outbox_transport_writes_eml_once(engine, tmp_path):
    add_obligations(engine, 3, TODAY)
    plan_all(engine)
    transport = OutboxTransport(tmp_path / "outbox")
    result = outbox.send_due(sessions_for(engine), transport, MAIL, NOW)
    assert result.sent == 3
    again = outbox.send_due(sessions_for(engine), transport, MAIL, NOW)
    assert again.sent == 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
    with session_scope(engine, "test", read_only=True) as session:
        rows = session.scalars(sa.select(Reminder)).all()
    assert all(r.message_id.startswith("<portfolio-reminder-") for r in rows)
    assert all(abs(r.sent_at - datetime.now(UTC)) < timedelta(minutes=5) for r in rows)


def test_smtp_down_then_up_everything_arrives_once(engine, smtp_server):
    add_obligations(engine, 20, TODAY)
    plan_all(engine)
    smtp_server.stop()
    down = outbox.send_due(
        sessions_for(engine), SmtpTransport("127.0.0.1", smtp_server.port), MAIL, NOW
    )
    assert down.sent == 0 and down.transport_down
    with session_scope(engine, "test", read_only=True) as session:
        rows = session.scalars(sa.select(Reminder)).all()
    assert {r.status for r in rows} == {ReminderStatus.PENDING}
    assert {r.attempts for r in rows} == {0}  # an outage uses up no attempt
    assert all(r.next_attempt_at > NOW for r in rows)  # back-off, not a hot loop
    assert any("nicht erreichbar" in (r.last_error or "") for r in rows)

    too_early = outbox.send_due(
        sessions_for(engine), SmtpTransport("127.0.0.1", smtp_server.port), MAIL, NOW
    )
    assert too_early.sent == 0 and too_early.transport_down is None

    smtp_server.start()
    later = NOW + timedelta(minutes=10)
    up = outbox.send_due(
        sessions_for(engine), SmtpTransport("127.0.0.1", smtp_server.port), MAIL, later
    )
    assert up.sent == 20
    assert len(smtp_server.message_ids()) == len(set(smtp_server.message_ids())) == 20
    assert smtp_server.connections == 1  # one connection for the whole run
    assert statuses(engine) == {ReminderStatus.SENT: 20}


def test_gives_up_after_max_attempts_and_shows_failure(
    engine, db_url, cli, smtp_server
):
    add_obligations(engine, 2, TODAY)
    plan_all(engine)
    smtp_server.refuse = {
        f"frist{i}@example.org": "550 5.1.1 Postfach unbekannt" for i in range(2)
    }
    settings = outbox.MailSettings(office=MAIL.office, max_attempts=3)
    now = NOW
    for _ in range(3):
        outbox.send_due(
            sessions_for(engine),
            SmtpTransport("127.0.0.1", smtp_server.port),
            settings,
            now,
        )
        now += timedelta(hours=7)
    assert statuses(engine) == {ReminderStatus.FAILED: 2}
    result = cli("reminders", db=db_url)
    assert "fehlgeschlagen" in result.output
    assert "2 Erinnerungen sind endgültig fehlgeschlagen" in result.output


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _scheduler_env(tmp_path, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_")}
    env.update(
        PORTFOLIO_MAIL_TRANSPORT="smtp",
        PORTFOLIO_SMTP_HOST="127.0.0.1",
        PORTFOLIO_SMTP_PORT=str(port),
        PORTFOLIO_MAIL_FROM="portfolio@kreis-re.example",
        PORTFOLIO_MAIL_OUTBOX=str(tmp_path / "outbox"),
    )
    return env


def _run_sender(db_url, tmp_path, port):
    """The real door: ``python scheduler.py --once`` plans and sends with SMTP."""
    return subprocess.Popen(
        [sys.executable, str(SCHEDULER), "--once", "--db", db_url],
        env=_scheduler_env(tmp_path, port),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


@pytest.mark.postgres
@pytest.mark.slow
def test_two_schedulers_on_postgres_send_1000_exactly_once(postgres_url, tmp_path):
    from conftest import RecordingSmtp

    from portfolio.storage.schema import open_database

    engine = open_database(postgres_url)
    server = RecordingSmtp(delay=0.003).start()
    try:
        add_obligations(engine, 1000, date.today())
        plan_all(engine, date.today())
        first = _run_sender(postgres_url, tmp_path, server.port)
        second = _run_sender(postgres_url, tmp_path, server.port)
        outputs = [p.communicate(timeout=300)[0].decode() for p in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], outputs
    finally:
        server.stop()
        engine.dispose()
    ids = Counter(server.message_ids())
    assert len(ids) == 1000 and sum(ids.values()) == 1000  # each exactly once


@pytest.mark.slow
def test_cli_writes_while_scheduler_sends_on_sqlite(sqlite_url, tmp_path, cli):
    from conftest import RecordingSmtp

    from portfolio.storage.schema import open_database

    engine = open_database(sqlite_url)
    server = RecordingSmtp(delay=0.003).start()
    try:
        add_obligations(engine, 300, date.today())
        add_obligations(
            engine, 40, date.today() + timedelta(days=200), prefix="spaeter"
        )
        with session_scope(engine, "test", read_only=True) as session:
            later = list(
                session.scalars(
                    sa.select(Obligation.id).where(Obligation.due_on > date.today())
                )
            )
        sender = _run_sender(sqlite_url, tmp_path, server.port)
        _wait_for(lambda: len(server.messages) >= 20)
        results = [cli("done", str(oid), db=sqlite_url) for oid in later]
        output = sender.communicate(timeout=120)[0].decode()
    finally:
        server.stop()
        engine.dispose()
    assert sender.returncode == 0, output
    assert [r.exit_code for r in results] == [0] * len(later), results[0].output
    assert "locked" not in output and all("locked" not in r.output for r in results)
    assert len(set(server.message_ids())) == 300


def test_weekly_digest_once_per_week_each_person_and_lead(engine, tmp_path):
    add_obligations(engine, 2, TODAY + timedelta(days=10))
    with session_scope(engine, "test") as session:
        lead = Contact(email="leitung@example.org", name="Leitung", is_office_lead=True)
        session.add(lead)
    transport = OutboxTransport(tmp_path / "outbox")
    settings = outbox.MailSettings(office=MAIL.office, lead="leitung@example.org")
    for _ in range(2):  # the second run in the same week writes nothing
        with session_scope(engine, "test") as session:
            outbox.plan_digest_rows(session, TODAY, "leitung@example.org", "UTC")
        outbox.send_due(sessions_for(engine), transport, settings, NOW)
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 3  # two people and the office lead
    texts = [f.read_bytes() for f in files]
    assert sum(b"leitung@example.org" in t for t in texts) == 1


def test_sql_stage_agrees_with_pure_planning(engine):
    from portfolio.domain.reminders import current_stage, parse_stage_config

    stages = parse_stage_config("42,14,3,0; mittelabruf=7,1")
    with session_scope(engine, "test") as session:
        programme = Programme(key="grid", name="Raster")
        session.add(programme)
        session.flush()
        for offset in range(-30, 50):
            for kind in (ObligationKind.REPORT, ObligationKind.MITTELABRUF):
                session.add(
                    Obligation(
                        programme_id=programme.id,
                        kind=kind,
                        title=f"{kind} {offset}",
                        due_on=TODAY + timedelta(days=offset),
                        origin="manual",
                    )
                )
        session.flush()
        dialect = session.get_bind().dialect.name
        rows = session.execute(
            sa.select(
                Obligation.kind,
                Obligation.due_on,
                outbox.sql_stage(dialect, TODAY, stages),
            )
        ).all()
    assert len(rows) == 160
    for kind, due_on, stage in rows:
        assert stage == current_stage(due_on, TODAY, stages.for_kind(kind)), (
            kind,
            due_on,
        )


def test_planned_rows_read_back_exactly(engine):
    add_obligations(engine, 1, TODAY - timedelta(days=8))  # overdue: lead in copy
    plan_all(engine)
    with session_scope(engine, "test", read_only=True) as session:
        [row] = session.scalars(sa.select(Reminder)).all()
    assert (row.stage, row.due_on, row.cc) == (
        "-7",
        TODAY - timedelta(days=8),
        ["leitung@example.org"],
    )
    assert row.planned_for == outbox.local_midnight(
        TODAY - timedelta(days=1), "Europe/Berlin"
    )
    assert row.status is ReminderStatus.PENDING and row.attempts == 0
