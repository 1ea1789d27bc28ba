"""Stopping and killing the real sending processes (issue 15), against aiosmtpd.

SIGKILL in the middle of a run, several times: nothing is lost and at most one
message per kill arrives twice, with the same Message-ID. SIGTERM to
``portfolio-scheduler`` and to ``portfolio serve`` in the middle of a run: the
message in flight is finished and marked, the rest is given back, the process exits
0, and a restart sends the rest without a duplicate.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import RecordingSmtp
from test_services_reminders import (
    _free_port,
    _scheduler_env,
    _wait_for,
    add_obligations,
    statuses,
)

from portfolio.domain.enums import ReminderStatus
from portfolio.domain.models import Reminder
from portfolio.storage.db import session_scope

ROOT = Path(__file__).resolve().parents[1]
PORTFOLIO = Path(sys.executable).with_name("portfolio")


def _start(args, db_url, tmp_path, port, **extra):
    env = {**_scheduler_env(tmp_path, port), **extra}
    return subprocess.Popen(
        args,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _once(db_url, tmp_path, port, **extra):
    args = [sys.executable, str(ROOT / "scheduler.py"), "--once", "--db", db_url]
    return _start(args, db_url, tmp_path, port, **extra)


def _finish(db_url, tmp_path, port):
    """A last run to the end: sends what is left."""
    process = _once(db_url, tmp_path, port)
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 0, output


def _sending_rows(engine):
    with session_scope(engine, "test", read_only=True) as session:
        return session.scalar(
            sa.select(sa.func.count()).where(Reminder.status == ReminderStatus.SENDING)
        )


@pytest.mark.slow
def test_three_sigkills_lose_nothing_and_duplicate_at_most_one_each(
    engine, db_url, tmp_path
):
    kills = 3
    server = RecordingSmtp(delay=0.01).start()
    try:
        add_obligations(engine, 150, date.today())
        for _ in range(kills):
            before = len(server.messages)
            sender = _once(
                db_url, tmp_path, server.port, PORTFOLIO_MAIL_LEASE_SECONDS="1"
            )
            _wait_for(lambda: len(server.messages) >= before + 20)  # noqa: B023
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=30)
        time.sleep(1.5)  # the killed senders' one-second leases run out
        server.delay = 0
        _finish(db_url, tmp_path, server.port)
    finally:
        server.stop()
    ids = Counter(server.message_ids())
    assert len(ids) == 150  # none lost
    duplicates = sum(ids.values()) - len(ids)
    print(f"{kills} SIGKILLs, duplicates: {duplicates}")
    assert duplicates <= kills
    # A duplicate is the same message: same Message-ID, recipient and subject.
    for message_id, count in ids.items():
        if count > 1:
            copies = [m for m in server.messages if m["Message-ID"] == message_id]
            assert len({(m["To"], m["Subject"]) for m in copies}) == 1
    assert statuses(engine) == {ReminderStatus.SENT: 150}


def _sigterm_mid_send(engine, db_url, tmp_path, server, args, **extra):
    """Start a process that sends, SIGTERM it mid-run, check it stopped cleanly."""
    add_obligations(engine, 60, date.today())
    process = _start(args, db_url, tmp_path, server.port, **extra)
    _wait_for(lambda: len(server.messages) >= 5)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=15)[0].decode()  # within a few seconds
    assert process.returncode == 0, output
    arrived = len(server.messages)
    assert 5 <= arrived < 60, "the run should have been stopped mid-send"
    assert _sending_rows(engine) == 0  # unsent claims were given back
    # Everything that arrived is marked sent (the message in flight too).
    assert statuses(engine)[ReminderStatus.SENT] == arrived
    server.delay = 0
    _finish(db_url, tmp_path, server.port)
    ids = Counter(server.message_ids())
    assert len(ids) == 60 and sum(ids.values()) == 60  # none lost, none twice
    assert statuses(engine) == {ReminderStatus.SENT: 60}
    return output


@pytest.mark.slow
def test_sigterm_to_the_scheduler_mid_send(engine, db_url, tmp_path):
    server = RecordingSmtp(delay=0.04).start()
    try:
        output = _sigterm_mid_send(
            engine,
            db_url,
            tmp_path,
            server,
            [sys.executable, str(ROOT / "scheduler.py"), "--db", db_url],
        )
    finally:
        server.stop()
    assert "Signal SIGTERM empfangen" in output and "Dienst beendet" in output


@pytest.mark.slow
def test_sigterm_to_serve_mid_send(engine, db_url, tmp_path):
    server = RecordingSmtp(delay=0.04).start()
    port = _free_port()
    try:
        output = _sigterm_mid_send(
            engine,
            db_url,
            tmp_path,
            server,
            [str(PORTFOLIO), "--db", db_url, "serve", "--port", str(port)],
            PORTFOLIO_SECRET_KEY="x" * 32,
        )
    finally:
        server.stop()
    assert "portfolio beendet" in output


@pytest.mark.slow
def test_sigterm_to_a_single_run_mid_send(engine, db_url, tmp_path):
    server = RecordingSmtp(delay=0.04).start()
    try:
        _sigterm_mid_send(
            engine,
            db_url,
            tmp_path,
            server,
            [sys.executable, str(ROOT / "scheduler.py"), "--once", "--db", db_url],
        )
    finally:
        server.stop()
