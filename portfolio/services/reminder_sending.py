"""Reminder delivery from the outbox: claim → send → mark (DESIGN §5).

``send_due`` claims a batch of ready rows (status ``sending``, a lease in
``claimed_until``, ``attempts + 1``) — on PostgreSQL with ``FOR UPDATE SKIP LOCKED``
so two schedulers never claim the same row, on SQLite in one ``BEGIN IMMEDIATE``
write — then sends and marks each row ``sent`` in its own transaction. A crash
between the SMTP hand-off and that commit can repeat at most the one message in
flight (after the lease expires); every other row is either sent and marked, or not
sent. Failures are recorded (``last_error``) and retried with exponential back-off
until ``max_attempts``, then the row stays ``failed``. ``send_due`` takes a session
factory because it needs several short transactions; the door supplies it and still
owns the transaction policy.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from portfolio.domain.deadlines import WorkingDays, format_de, weekday_de
from portfolio.domain.enums import ObligationStatus, ReminderStatus, label
from portfolio.domain.errors import PortfolioError
from portfolio.domain.models import Award, Obligation, Reminder
from portfolio.domain.reminders import plan_digests
from portfolio.notify import (
    MessageRejected,
    Office,
    Outgoing,
    ReminderMail,
    Transport,
    TransportDown,
    digest_message,
    message_id_for,
    prepare,
    reminder_message,
)
from portfolio.services.reminder_planning import DIGEST_STAGE, due_items
from portfolio.storage.db import session_scope

SessionFactory = Callable[[], AbstractContextManager[Session]]
LEASE = timedelta(minutes=5)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
MARK_SQL = (
    "UPDATE {table} SET status = {p}, sent_at = {p}, message_id = {p}, "
    "claimed_until = NULL, last_error = {p} WHERE id = {p} AND claimed_by = {p}"
)


def worker_name() -> str:
    """Who claims rows: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class SendResult:
    """What a sending run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    transport_down: str | None = None


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4 … minutes, at most 6 hours."""
    return min(BACKOFF_FIRST * (1 << max(attempts - 1, 0)), BACKOFF_MAX)


def claim(
    session: Session, worker: str, now: datetime, limit: int, lease: timedelta = LEASE
) -> list[int]:
    """Claim up to ``limit`` ready rows for this worker (caller commits)."""
    ready = sa.or_(
        sa.and_(
            Reminder.status == ReminderStatus.PENDING,
            Reminder.planned_for <= now,
            sa.or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
        ),
        sa.and_(
            Reminder.status == ReminderStatus.SENDING, Reminder.claimed_until < now
        ),
    )
    candidates = (
        sa.select(Reminder.id)
        .where(ready)
        .order_by(Reminder.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        sa.update(Reminder)
        .where(Reminder.id.in_(candidates.scalar_subquery()), ready)
        .values(
            status=ReminderStatus.SENDING,
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=Reminder.attempts + 1,
        )
        .returning(Reminder.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(statement))


@dataclass(frozen=True)
class MailSettings:
    """What composing needs that the door knows: office, time zone, state."""

    office: Office
    timezone: str = "Europe/Berlin"
    state: str = "NW"
    lead: str | None = None
    max_attempts: int = 8


def send_due(
    sessions: SessionFactory,
    transport: Transport,
    settings: MailSettings,
    now: datetime,
    *,
    worker: str | None = None,
    batch: int = 50,
    lease: timedelta = LEASE,
) -> SendResult:
    """Send every ready row of the outbox through one transport run."""
    sender = _Sender(sessions, transport, settings, now, worker or worker_name())
    with ExitStack() as stack:
        stack.callback(sender.close)
        with sessions() as session:
            ids = claim(session, sender.worker, now, batch, lease)
        if not ids:
            return sender.result
        try:  # connect only when there is something to send
            stack.enter_context(transport)
        except TransportDown as exc:
            for reminder_id in ids:
                sender.record_failure(reminder_id, str(exc))
            sender.result.transport_down = str(exc)
            return sender.result
        # One batch at a time: composing in a helper thread was measured no
        # faster (the GIL), so the simple loop stays.
        while ids:
            try:
                outgoing = sender.compose_batch(ids)
            except PortfolioError as exc:
                # A broken template (e.g. from paths.templates): give the claimed
                # rows back at once instead of leaving them "sending" for a lease.
                for reminder_id in ids:
                    sender.release(reminder_id, exc.message)
                raise
            if not sender.send_batch(ids, outgoing):
                break
            with sessions() as session:
                ids = claim(session, sender.worker, now, batch, lease)
    return sender.result


@dataclass
class _Sender:
    """One sending run: sends claimed rows and records each outcome."""

    sessions: SessionFactory
    transport: Transport
    settings: MailSettings
    now: datetime
    worker: str
    result: SendResult = field(default_factory=SendResult)
    _connection: sa.Connection | None = None
    _engine: Engine | None = None

    def send_batch(
        self, ids: list[int], outgoing: list[tuple[int, Outgoing | None]]
    ) -> bool:
        """Send one composed batch; False when the server went down (rest released)."""
        done: set[int] = set()
        for reminder_id, msg in outgoing:
            done.add(reminder_id)
            try:
                if msg is not None:
                    self.transport.send(msg)
            except MessageRejected as exc:
                self.record_failure(reminder_id, str(exc))
                continue
            except TransportDown as exc:
                self.record_failure(reminder_id, str(exc))
                for other in ids:
                    if other not in done:
                        self.release(other, str(exc))
                self.result.transport_down = str(exc)
                return False
            self.mark_sent(reminder_id, msg)
        return True

    def compose_batch(self, ids: list[int]) -> list[tuple[int, Outgoing | None]]:
        """Build the messages of a claimed batch in one read-only transaction."""
        with session_scope(self.engine(), "outbox", read_only=True) as session:
            rows = session.scalars(
                sa.select(Reminder)
                .where(
                    Reminder.id.in_(ids),
                    Reminder.claimed_by == self.worker,
                    Reminder.status == ReminderStatus.SENDING,
                )
                .order_by(Reminder.id)
                .options(
                    selectinload(Reminder.obligation).selectinload(
                        Obligation.programme
                    ),
                    selectinload(Reminder.obligation)
                    .selectinload(Obligation.award)
                    .selectinload(Award.funder),
                )
            ).all()
            result = []
            for row in rows:
                msg = compose(session, row, self.settings, self.now)
                result.append((row.id, prepare(msg) if msg is not None else None))
            return result

    def mark_sent(self, reminder_id: int, msg: Outgoing | None) -> None:
        """Mark a row sent (or cancelled if there was nothing to send), at once.

        One tiny transaction per message keeps the duplicate bound at one message.
        It runs as plain SQL on the run's DB-API connection: SQLAlchemy's execution
        machinery cost a fifth of the whole run (benchmarks/bench_reminders.py).
        """
        sent = msg is not None
        now = datetime.now(UTC).replace(tzinfo=None)
        params = (
            ReminderStatus.SENT.value if sent else ReminderStatus.CANCELLED.value,
            # SQLAlchemy's SQLite storage format; psycopg takes the datetime.
            now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.is_sqlite() else now,
            msg.message_id if msg is not None else None,
            None if sent else "Frist nicht mehr offen",
            reminder_id,
            self.worker,
        )
        raw = self.connection().connection.dbapi_connection
        assert raw is not None
        sqlite = self.is_sqlite()
        sql = MARK_SQL.format(p="?" if sqlite else "%s", table=Reminder.__tablename__)
        cursor = raw.cursor()
        if sqlite:  # storage runs SQLite in autocommit mode: we open the transaction
            cursor.execute("BEGIN IMMEDIATE")
        try:
            cursor.execute(sql, params)
            if sqlite:
                cursor.execute("COMMIT")
            else:
                raw.commit()
        except BaseException:
            if sqlite:
                cursor.execute("ROLLBACK")
            else:
                raw.rollback()
            raise
        finally:
            cursor.close()
        if sent:
            self.result.sent += 1

    def is_sqlite(self) -> bool:
        """Whether the outbox lives in SQLite (else PostgreSQL)."""
        return self.engine().dialect.name == "sqlite"

    def engine(self) -> Engine:
        """The engine behind the session factory (looked up once)."""
        if self._engine is None:
            with self.sessions() as session:
                bind = session.get_bind()
            self._engine = bind if isinstance(bind, Engine) else bind.engine
        return self._engine

    def connection(self) -> sa.Connection:
        """One connection of the engine, kept for the run's marks."""
        if self._connection is None:
            self._connection = self.engine().connect()
        return self._connection

    def close(self) -> None:
        """Give the connection back."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def record_failure(self, reminder_id: int, error: str) -> None:
        """Record a failed attempt: retry later with back-off, or give up."""
        with self.sessions() as session:
            row = session.get(Reminder, reminder_id)
            if row is None:
                return
            row.last_error = error[:2000]
            row.claimed_until = None
            if row.attempts >= self.settings.max_attempts:
                row.status = ReminderStatus.FAILED
                self.result.failed += 1
            else:
                row.status = ReminderStatus.PENDING
                row.next_attempt_at = self.now + backoff(row.attempts)
                self.result.retried += 1

    def release(self, reminder_id: int, error: str) -> None:
        """Give a claimed but unsent row back (no attempt counted)."""
        with self.sessions() as session:
            row = session.get(Reminder, reminder_id)
            if row is None or row.claimed_by != self.worker:
                return
            row.status = ReminderStatus.PENDING
            row.attempts = max(row.attempts - 1, 0)
            row.claimed_until = None
            row.next_attempt_at = self.now + BACKOFF_FIRST
            row.last_error = error[:2000]


def compose(
    session: Session, row: Reminder, settings: MailSettings, now: datetime
) -> Message | None:
    """Build the message of a row; None if its obligation is no longer open."""
    office = Office(
        name=settings.office.name,
        sender=settings.office.sender,
        base_url=settings.office.base_url,
        templates_dir=settings.office.templates_dir,
        now=now,
    )
    message_id = message_id_for(row.id, office.sender, row.created_at)
    if row.stage == DIGEST_STAGE:
        today = now.astimezone(ZoneInfo(settings.timezone)).date()
        items = due_items(session, today + timedelta(weeks=8))
        for digest in plan_digests(items, today, settings.lead):
            if digest.recipient == row.recipient:
                return digest_message(digest, office, message_id)
        return None
    obligation = row.obligation
    if obligation is None or obligation.status is not ObligationStatus.OPEN:
        return None
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    mail = mail_for(obligation, row, office, settings, today)
    return reminder_message(mail, office)


def mail_for(
    obligation: Obligation,
    row: Reminder | None,
    office: Office,
    settings: MailSettings,
    today: date | None = None,
) -> ReminderMail:
    """The facts of one reminder mail (also used for the .ics export)."""
    award: Award | None = obligation.award
    effective = obligation.due_effective or obligation.due_on
    base = office.base_url.rstrip("/")
    return ReminderMail(
        recipient=row.recipient if row else "",
        cc=tuple(row.cc) if row else (),
        programme=obligation.programme.label,
        title=obligation.title,
        kind=label(obligation.kind),
        due_on=obligation.due_on,
        due_effective=effective,
        stage=int(row.stage) if row else 0,
        obligation_id=obligation.id,
        message_id=message_id_for(row.id, office.sender, row.created_at) if row else "",
        source=obligation.source or "",
        checklist=tuple(obligation.checklist or ()),
        award=(award.reference or "") if award else "",
        funder=award.funder.short_name if award else "",
        link=f"{base}/programme/{obligation.programme.key}#frist-{obligation.id}"
        if base
        else "",
        today=today,
        holiday=why_shifted(obligation.due_on, effective, WorkingDays(settings.state)),
    )


def why_shifted(due_on: date, effective: date, calendar: WorkingDays) -> str:
    """Name the days a deadline was moved over: "30.04.2017 Sonntag, 01.05.2017 …"."""
    reasons, day = [], due_on
    while day < effective:
        name = calendar.holiday_name(day) or weekday_de(day)
        reasons.append(f"{format_de(day)} {name}")
        day += timedelta(days=1)
    return ", ".join(reasons)
