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
from datetime import date, timedelta
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
from portfolio.notify import OutboxTransport
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
