"""The outbox under faults, with real parts (issue 15): SQLite/PostgreSQL, aiosmtpd.

A claim never takes more than its batch, with fresh or stale table statistics; the
lease is measured on the run's clock, so a simulated run takes over only expired
rows; two senders against a slow server with a short lease send nothing twice (the
lease is renewed while a sender holds rows).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import RecordingSmtp
from test_services_reminders import (
    MAIL,
    NOW,
    TODAY,
    _scheduler_env,
    add_obligations,
    plan_all,
    sessions_for,
    statuses,
)

from portfolio.domain.enums import ReminderStatus
from portfolio.domain.models import Reminder
from portfolio.domain.reminders import Stages
from portfolio.notify import OutboxTransport, SmtpTransport
from portfolio.services import reminders as outbox
from portfolio.storage.db import session_scope

ROOT = Path(__file__).resolve().parents[1]


def _due_rows(engine, count):
    """``count`` due digest rows, written in one statement."""
    at = NOW - timedelta(days=1)
    rows = [
        {
            "obligation_id": None,
            "recipient": f"p{i}@example.org",
            "cc": [],
            "stage": "digest",
            "due_on": TODAY,
            "planned_for": at,
            "next_attempt_at": at,
            "status": ReminderStatus.PENDING,
            "attempts": 0,
            "created_at": at,
        }
        for i in range(count)
    ]
    with session_scope(engine, "test") as session:
        session.execute(sa.insert(Reminder), rows)


def _analyze(engine):
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "ANALYZE"
        )


@pytest.mark.parametrize("statistics", ["fresh", "stale"])
def test_claim_never_takes_more_than_its_batch(engine, statistics):
    if statistics == "stale":
        _analyze(engine)  # the planner believes the table is empty
        _due_rows(engine, 5000)
    else:
        _due_rows(engine, 5000)
        _analyze(engine)
    for _ in range(3):
        with session_scope(engine, "test") as session:
            claimed = outbox.claim(session, "probe", NOW, 50)
        assert len(claimed) == 50
    assert statuses(engine) == {
        ReminderStatus.SENDING: 150,
        ReminderStatus.PENDING: 4850,
    }


def test_lease_is_measured_on_the_runs_clock(engine, tmp_path):
    add_obligations(engine, 4, TODAY)
    plan_all(engine)
    with session_scope(engine, "test") as session:  # a sender that then died
        assert len(outbox.claim(session, "crashed", NOW, 50)) == 4
    transport = OutboxTransport(tmp_path / "outbox")
    sessions = sessions_for(engine)
    early = outbox.send_due(sessions, transport, MAIL, NOW.replace(minute=4))
    assert early.sent == 0  # 4 minutes later the 5-minute lease still holds
    late = outbox.send_due(sessions, transport, MAIL, NOW.replace(minute=6))
    assert late.sent == 4
    assert statuses(engine) == {ReminderStatus.SENT: 4}


def _sender(db_url, tmp_path, port, lease):
    env = _scheduler_env(tmp_path, port)
    env["PORTFOLIO_MAIL_LEASE_SECONDS"] = str(lease)
    return subprocess.Popen(
        [sys.executable, str(ROOT / "scheduler.py"), "--once", "--db", db_url],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
def test_two_senders_slow_server_short_lease_send_nothing_twice(
    engine, db_url, tmp_path
):
    server = RecordingSmtp(delay=0.05).start()
    try:
        add_obligations(engine, 160, date.today())
        plan_all(engine, date.today())
        # A batch of 50 takes 2.5 s at this server, the lease is 1 s: without
        # renewal the second sender would take over rows the first still sends.
        senders = [_sender(db_url, tmp_path, server.port, 1) for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0].decode() for p in senders]
        assert [p.returncode for p in senders] == [0, 0], outputs
    finally:
        server.stop()
    ids = Counter(server.message_ids())
    assert len(ids) == 160
    assert sum(ids.values()) == 160, ids.most_common(3)
    assert statuses(engine) == {ReminderStatus.SENT: 160}
    with session_scope(engine, "test", read_only=True) as session:
        assert session.scalar(sa.select(sa.func.max(Reminder.attempts))) == 1


def _smtp_env(port, **extra):
    return {
        "PORTFOLIO_MAIL_TRANSPORT": "smtp",
        "PORTFOLIO_SMTP_HOST": "127.0.0.1",
        "PORTFOLIO_SMTP_PORT": str(port),
        "PORTFOLIO_MAIL_FROM": "portfolio@kreis-re.example",
        "PORTFOLIO_OFFICE_LEAD": "leitung@example.org",
        **extra,
    }


def test_outage_of_20_runs_pauses_then_everything_arrives(
    engine, db_url, cli, smtp_server
):
    add_obligations(engine, 10, TODAY)
    env = _smtp_env(smtp_server.port)
    smtp_server.stop()
    moment = datetime(2017, 4, 10, 8, 0)  # office time, 15-minute rhythm
    for _ in range(20):  # five hours: the old code gave up after 8 tries
        run = cli("remind", "--now", moment.isoformat(), db=db_url, env=env)
        assert run.exit_code == 1 and "Versand unterbrochen" in run.output
        moment += timedelta(minutes=15)
    with session_scope(engine, "test", read_only=True) as session:
        assert set(session.scalars(sa.select(Reminder.attempts))) == {0}
    log = cli("reminders", db=db_url).output
    assert log.startswith("Mailserver nicht erreichbar seit 10.04.2017 08:00 Uhr")
    assert statuses(engine) == {ReminderStatus.PENDING: 10}

    smtp_server.start()
    run = cli("remind", "--now", moment.isoformat(), db=db_url, env=env)
    assert run.exit_code == 0, run.output
    assert "10 verschickt" in run.output
    assert statuses(engine) == {ReminderStatus.SENT: 10}
    ids = smtp_server.message_ids()
    assert len(ids) == len(set(ids)) == 11  # ten reminders and the lead's notice
    [notice] = [m for m in smtp_server.messages if "outage" in str(m["Message-ID"])]
    assert notice["To"] == "leitung@example.org"
    assert "10.04.2017 08:00 Uhr bis 10.04.2017 13:00 Uhr" in str(notice["Subject"])
    assert "nicht erreichbar" not in cli("reminders", db=db_url).output


def test_short_outage_tells_no_one(engine, smtp_server, tmp_path):
    add_obligations(engine, 2, TODAY)
    plan_all(engine)
    settings = replace(MAIL, lead="leitung@example.org")
    smtp_server.stop()
    transport = SmtpTransport("127.0.0.1", smtp_server.port)
    down = outbox.send_due(sessions_for(engine), transport, settings, NOW)
    assert down.transport_down
    smtp_server.start()
    later = NOW + timedelta(minutes=30)
    up = outbox.send_due(sessions_for(engine), transport, settings, later)
    assert (up.sent, up.lead_told) == (2, False)
    assert len(smtp_server.messages) == 2


def test_temporary_refusal_waits_permanent_one_counts(engine, smtp_server):
    add_obligations(engine, 3, TODAY)
    plan_all(engine)
    smtp_server.refuse = {
        "frist0@example.org": "450 4.2.1 Postfach gerade belegt",
        "frist1@example.org": "550 5.1.1 Postfach unbekannt",
    }
    transport = SmtpTransport("127.0.0.1", smtp_server.port)
    first = outbox.send_due(sessions_for(engine), transport, MAIL, NOW)
    assert (first.sent, first.deferred, first.retried) == (1, 1, 1)
    with session_scope(engine, "test", read_only=True) as session:
        query = sa.select(Reminder.recipient, Reminder.attempts)
        tries = {row.recipient: row.attempts for row in session.execute(query)}
    assert tries == {
        "frist0@example.org": 0,  # 4xx: no attempt used
        "frist1@example.org": 1,  # 5xx for that recipient: one attempt
        "frist2@example.org": 1,
    }
    smtp_server.refuse = {}
    later = NOW + timedelta(minutes=20)
    assert outbox.send_due(sessions_for(engine), transport, MAIL, later).sent == 2
    assert statuses(engine) == {ReminderStatus.SENT: 3}


def test_cli_retries_failed_reminders_since_a_day(engine, db_url, cli, smtp_server):
    add_obligations(engine, 2, TODAY)
    smtp_server.refuse = {
        f"frist{i}@example.org": "550 5.1.1 Postfach unbekannt" for i in range(2)
    }
    env = _smtp_env(smtp_server.port, PORTFOLIO_MAIL_MAX_ATTEMPTS="1")
    assert cli("remind", "--now", "2017-04-10T08:00", db=db_url, env=env).exit_code
    assert statuses(engine) == {ReminderStatus.FAILED: 2}
    later = cli("reminders", "retry", "--since", "11.04.2017", db=db_url)
    assert later.exit_code == 0 and "Keine fehlgeschlagenen" in later.output
    assert statuses(engine) == {ReminderStatus.FAILED: 2}
    retry = cli("reminders", "retry", "--since", "10.04.2017", db=db_url)
    assert "2 Erinnerungen (letzter Versuch ab 10.04.2017)" in retry.output
    assert statuses(engine) == {ReminderStatus.PENDING: 2}
    listing = cli("reminders", db=db_url)  # plain `reminders` still lists
    assert listing.exit_code == 0 and "frist0@example.org" in listing.output
    smtp_server.refuse = {}
    sent = cli("remind", "--now", "2017-04-10T09:00", db=db_url, env=env)
    assert "2 verschickt" in sent.output
    assert statuses(engine) == {ReminderStatus.SENT: 2}


def test_planned_counts_only_rows_this_run_wrote(engine):
    from portfolio.domain.reminders import PlannedReminder, plan_reminders

    add_obligations(engine, 4, TODAY)
    with session_scope(engine, "test") as session:
        items = outbox.due_items(session, TODAY + timedelta(days=42))
        planned = plan_reminders(items, TODAY, Stages(), "leitung@example.org")
        assert outbox.insert_planned(session, planned[:1], "UTC") == 1
        again: list[PlannedReminder] = list(planned)
        assert outbox.insert_planned(session, again, "UTC") == 3
    assert statuses(engine) == {ReminderStatus.PENDING: 4}


@pytest.mark.postgres
def test_concurrent_planning_on_postgres_counts_each_row_once(postgres_url):
    import threading

    from portfolio.storage.schema import open_database

    engine = open_database(postgres_url)
    try:
        add_obligations(engine, 30, TODAY)
        counts: list[int] = []
        first = session_scope(engine, "first")
        session = first.__enter__()
        counts.append(
            outbox.plan(session, TODAY, Stages(), "leitung@example.org").planned
        )
        # The second run plans the same reminders while the first has not
        # committed: its insert waits, then finds them all written.
        second = threading.Thread(
            target=lambda: counts.append(plan_all(engine).planned)
        )
        second.start()
        second.join(timeout=1.0)
        first.__exit__(None, None, None)
        second.join(timeout=60)
        assert counts == [30, 0]
        assert statuses(engine) == {ReminderStatus.PENDING: 30}
    finally:
        engine.dispose()
