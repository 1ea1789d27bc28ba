"""Reminder benchmark (issue 4 "Speed"): planning vs a bare SELECT, sending vs smtplib.

1. Planning: a SQLite database with ``--size`` obligations (default 1,000,000) of which
   ``--due`` (default 5,000) are open and inside the planning window of day T; the
   rest are done (past) or open far in the future. The outbox is first filled for
   day T-1 (a cold start: every row in the window gets its reminder); then we time
   ``services.reminders.plan`` for day T (the stages that come due that day) and a
   repeat (a no-op) against a bare indexed ``SELECT`` of the open rows in the window
   (the floor). Goal: ≤ 3× the floor, and flat in the table size (compare a run with
   a smaller ``--size``).
2. Sending: ``--mails`` (default 10,000) reminders through ``send_due`` to a local
   aiosmtpd (a separate process, one connection) against a bare ``smtplib`` loop
   sending pre-built messages of the same size over one connection. Goal: ≥ 0.5×.
   ``--lease S`` (default 300) is the claim's lease: the sender renews it every S/3
   seconds while it holds rows, so a short lease (``--lease 3``) measures the cost of
   renewing it (issue 15).

Run: ``python benchmarks/bench_reminders.py [--size N] [--due K] [--mails M]
[--lease S]``.
"""

from __future__ import annotations

import argparse
import random
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median

import sqlalchemy as sa

from portfolio.domain.models import Contact, Obligation, Programme, Reminder
from portfolio.domain.reminders import Stages
from portfolio.notify import Office, SmtpTransport
from portfolio.services import reminders as outbox
from portfolio.storage.db import session_scope
from portfolio.storage.schema import open_database

T = date(2017, 4, 10)
CHUNK = 50_000


def fill(engine, size: int, due: int, seed: int = 4) -> None:
    """``size`` obligations; ``due`` of them open within [T-20, T+42]."""
    rng = random.Random(seed)
    with session_scope(engine, "bench") as session:
        contacts = [
            Contact(email=f"p{i}@example.org", name=f"P {i}") for i in range(50)
        ]
        programmes = [
            Programme(key=f"prog-{i}", name=f"Programm {i}", lead=contacts[i % 50])
            for i in range(200)
        ]
        session.add_all([*contacts, *programmes])
        session.flush()
        prog_ids = [p.id for p in programmes]
        contact_ids = [c.id for c in contacts]
    table = Obligation.__table__
    rows: list[dict[str, object]] = []
    with engine.begin() as conn:
        for i in range(size):
            if i < due:
                due_on, status = T + timedelta(days=rng.randint(-20, 42)), "open"
            else:
                due_on = date(2000, 1, 1) + timedelta(days=rng.randint(0, 40 * 365))
                if T - timedelta(days=60) <= due_on <= T + timedelta(days=60):
                    due_on += timedelta(days=200)  # keep the window to the ``due`` rows
                status = "done" if due_on < T else "open"
            rows.append(
                {
                    "programme_id": rng.choice(prog_ids),
                    "kind": "report",
                    "title": f"Bericht {i}",
                    "due_on": due_on,
                    "status": status,
                    "origin": "manual",
                    "responsible_id": rng.choice(contact_ids) if i % 3 else None,
                    "checklist": [],
                    "edited": False,
                }
            )
            if len(rows) >= CHUNK:
                conn.execute(sa.insert(table), rows)
                rows = []
        if rows:
            conn.execute(sa.insert(table), rows)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def floor_select(engine, until: date) -> tuple[float, int]:
    """The bare indexed SELECT of the rows planning must look at."""
    start = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                Obligation.id, Obligation.due_on, Obligation.responsible_id
            ).where(Obligation.status == "open", Obligation.due_on <= until)
        ).all()
    return time.perf_counter() - start, len(rows)


def timed_plan(engine, day: date = T) -> tuple[float, outbox.PlanResult]:
    start = time.perf_counter()
    with session_scope(engine, "bench") as session:
        result = outbox.plan(session, day, Stages(), "leitung@example.org")
    return time.perf_counter() - start, result


def best(fn, repeat: int = 3):
    results = [fn() for _ in range(repeat)]
    return min(results, key=lambda r: r[0])


def _mark_sent(engine) -> None:
    """The scheduler sent what was planned (so the next day plans afresh)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(Reminder)
            .where(Reminder.status == "pending")
            .values(status="sent", sent_at=datetime(2017, 4, 1, tzinfo=UTC))
        )


def bench_planning(size: int, due: int, folder: Path, days: int = 3) -> None:
    engine = open_database(f"sqlite:///{folder / f'plan-{size}.db'}")
    t0 = time.perf_counter()
    fill(engine, size, due)
    print(f"filled {size:,} obligations in {time.perf_counter() - t0:.1f} s")
    catch_up, first = timed_plan(engine, T - timedelta(days=1))
    _mark_sent(engine)
    print(
        f"cold outbox, day before: {first.planned:,} rows written in "
        f"{catch_up * 1000:.1f} ms"
    )
    # One planning run per day, each right after its own floor on the same
    # connection (a run on a shared machine is noisy: pairs keep the ratio honest).
    ratios = []
    for offset in range(days):
        day = T + timedelta(days=offset)
        until = day + timedelta(days=Stages().max_days)
        floor, n = best(lambda until=until: floor_select(engine, until))
        took, result = timed_plan(engine, day)
        _mark_sent(engine)
        ratios.append(took / floor)
        print(
            f"planning day {day:%d.%m.%Y}: {n:,} open rows in the window, "
            f"floor (bare indexed SELECT) {floor * 1000:.1f} ms, "
            f"plan the day ({result.planned:,} new) {took * 1000:.1f} ms "
            f"= {took / floor:.2f}x"
        )
    floor, _ = best(lambda: floor_select(engine, until))
    repeat, again = best(lambda: timed_plan(engine, day))
    print(f"  plan the day, median of {days}: {median(ratios):.2f}x   <- goal <= 3x")
    print(
        f"  plan again ({again.planned} new): {repeat * 1000:.1f} ms "
        f"= {repeat / floor:.2f}x"
    )
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sink(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"]
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("aiosmtpd did not start")


def _reset_outbox(engine) -> None:
    """Every reminder pending again, as before the first send."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(Reminder).values(
                status="pending", attempts=0, sent_at=None, message_id=None,
                claimed_by=None, claimed_until=None, last_error=None,
                last_attempt_at=None, next_attempt_at=Reminder.planned_for,
            )
        )  # fmt: skip


def bench_sending(
    mails: int, folder: Path, lease: float = 300.0, rounds: int = 3
) -> None:
    engine = open_database(f"sqlite:///{folder / 'send.db'}")
    with session_scope(engine, "bench") as session:
        person = Contact(email="kaoa@example.org", name="KAoA")
        programme = Programme(key="kaoa", name="KAoA", lead=person)
        session.add_all([person, programme])
        session.flush()
        session.execute(
            sa.insert(Obligation),
            [
                {
                    "programme_id": programme.id,
                    "kind": "zwischennachweis",
                    "title": f"Zwischennachweis {i}",
                    "due_on": T,
                    "status": "open",
                    "origin": "manual",
                    "source": "ANBest-Gk Nr. 6",
                    "checklist": ["Sachbericht", "zahlenmäßiger Nachweis"],
                    "edited": False,
                }
                for i in range(mails)
            ],
        )
    with session_scope(engine, "bench") as session:
        outbox.plan(session, T, Stages(), None)
    port = free_port()
    server = start_sink(port)
    settings = outbox.MailSettings(
        office=Office(sender="portfolio@kreis-re.example"),
        lease=timedelta(seconds=lease),
    )
    now = datetime(2017, 4, 10, 8, 0, tzinfo=UTC)
    with session_scope(engine, "bench", read_only=True) as session:
        row = session.scalars(sa.select(Reminder).limit(1)).one()
        sample = outbox.compose(session, row, settings, now)
    assert sample is not None
    data = sample.as_bytes(policy=sample.policy.clone(linesep="\r\n"))
    print(f"sending {mails:,} mails to aiosmtpd (one connection, lease {lease:g} s):")
    floors, wires = [], []
    try:
        # Rounds of floor, wire-only and ours back to back: the machine's load
        # changes from minute to minute, the ratio within a round much less.
        for number in range(1, rounds + 1):
            start = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as conn:
                for i in range(mails):
                    del sample["Message-ID"]
                    sample["Message-ID"] = f"<bare-{number}-{i}@kreis-re.example>"
                    conn.send_message(sample)
            bare = time.perf_counter() - start
            start = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as conn:
                for _ in range(mails):
                    conn.sendmail(
                        "portfolio@kreis-re.example", ["kaoa@example.org"], data
                    )
            raw = time.perf_counter() - start
            _reset_outbox(engine)
            start = time.perf_counter()
            result = outbox.send_due(
                lambda: session_scope(engine, "bench"),
                SmtpTransport("127.0.0.1", port),
                settings,
                now,
            )
            ours = time.perf_counter() - start
            assert result.sent == mails, result
            floors.append(bare / ours)
            wires.append(raw / ours)
            print(
                f"  round {number}: smtplib send_message {mails / bare:5.0f}/s, "
                f"sendmail of bytes {mails / raw:5.0f}/s, portfolio send_due "
                f"{mails / ours:5.0f}/s = {bare / ours:.2f}x of the floor, "
                f"{raw / ours:.2f}x of wire only"
            )
    finally:
        server.terminate()
        server.wait()
        engine.dispose()
    print(
        f"  send_due, median of {rounds}: {median(floors):.2f}x of the floor "
        f"(smtplib send_message)   <- goal >= 0.5x; {median(wires):.2f}x of wire only"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=5_000)
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--lease", type=float, default=300.0)
    parser.add_argument("--days", type=int, default=3, help="planning runs")
    parser.add_argument("--rounds", type=int, default=3, help="sending rounds")
    parser.add_argument("--skip-planning", action="store_true")
    parser.add_argument("--skip-sending", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_planning:
            bench_planning(args.size, args.due, folder, args.days)
        if not args.skip_sending:
            bench_sending(args.mails, folder, args.lease, args.rounds)


if __name__ == "__main__":
    main()
