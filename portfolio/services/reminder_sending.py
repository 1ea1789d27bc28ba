"""Reminder delivery from the outbox: claim → send → mark (DESIGN §5).

``send_due`` claims a batch of ready rows (status ``sending``, a lease in
``claimed_until``, ``attempts + 1``) — on PostgreSQL the ids first with ``FOR UPDATE
SKIP LOCKED`` and then the update of exactly those (one statement with the limited
subquery inside was re-planned to run it per row and claimed thousands), on SQLite
in one ``BEGIN IMMEDIATE`` write — then sends and marks each row ``sent`` in its own
transaction. While it sends, the run renews the lease of the rows it still holds, so
a second sender never takes over a row the first one still owns; the lease and
every other moment are measured on the run's clock (its ``now`` plus the time the
run has taken), so a simulated run can test take-overs. A crash between the SMTP
hand-off and that commit can repeat at most the one message in flight (after the
lease expires), with the same Message-ID. A server that cannot be reached (refused,
timeout, TLS, 4xx) pauses sending without using up attempts and is recorded as an
outage (``mail_outage``); only a permanent answer about the message (5xx) counts,
retried with exponential back-off until ``max_attempts``, then the row stays
``failed``. ``stop`` (set on SIGTERM) ends the run after the message in flight and
gives the unsent rows back. ``send_due`` takes a session factory because it needs
several short transactions; the door supplies it and still owns the transaction
policy.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from portfolio.domain.enums import ReminderStatus
from portfolio.domain.errors import PortfolioError
from portfolio.domain.models import Award, Obligation, Reminder
from portfolio.notify import (
    MessageDeferred,
    MessageRejected,
    Office,
    Outgoing,
    Transport,
    TransportDown,
    outage_message,
    prepare,
)
from portfolio.services import mail_outage
from portfolio.services.reminder_compose import compose
from portfolio.storage.db import session_scope

SessionFactory = Callable[[], AbstractContextManager[Session]]
LEASE = timedelta(minutes=5)
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
# A message the server refused for now (4xx) waits this long; no attempt is used.
DEFER = timedelta(minutes=15)
MARK_SQL = (
    "UPDATE {table} SET status = {p}, sent_at = {p}, message_id = {p}, "
    "claimed_until = NULL, last_error = {p} "
    "WHERE id = {p} AND claimed_by = {p} AND status = {p}"
)


def worker_name() -> str:
    """Who claims rows: host, process id and a token for this run.

    The token keeps two runs apart that share a process (or a recycled pid), so
    one never renews or marks a row the other has claimed.
    """
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class SendResult:
    """What a sending run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    transport_down: str | None = None
    stopped: bool = False
    lead_told: bool = False


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4 … minutes, at most 6 hours."""
    return min(BACKOFF_FIRST * (1 << max(attempts - 1, 0)), BACKOFF_MAX)


def _ready(now: datetime) -> sa.ColumnElement[bool]:
    """Rows a sender may claim at ``now``: due and waiting, or an expired lease."""
    return sa.or_(
        sa.and_(
            Reminder.status == ReminderStatus.PENDING,
            Reminder.planned_for <= now,
            sa.or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
        ),
        sa.and_(
            Reminder.status == ReminderStatus.SENDING, Reminder.claimed_until < now
        ),
    )


def claim(
    session: Session, worker: str, now: datetime, limit: int, lease: timedelta = LEASE
) -> list[int]:
    """Claim up to ``limit`` ready rows for this worker (caller commits).

    Never more than ``limit``, whatever the planner thinks of the table: on
    PostgreSQL the ids are selected (and locked) in their own statement and the
    update names them; SQLite evaluates the uncorrelated ``IN (… LIMIT n)`` once,
    inside the write lock of ``BEGIN IMMEDIATE``.
    """
    ready = _ready(now)
    candidates = sa.select(Reminder.id).where(ready).order_by(Reminder.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if not ids:
            return []
        chosen = Reminder.id.in_(ids)
    else:
        chosen = Reminder.id.in_(candidates.scalar_subquery())
    statement = (
        sa.update(Reminder)
        .where(chosen, ready)
        .values(
            status=ReminderStatus.SENDING,
            claimed_by=worker,
            claimed_until=now + lease,
            attempts=Reminder.attempts + 1,
            last_attempt_at=now,
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
    lease: timedelta = LEASE
    outage_alert: timedelta = timedelta(hours=2)


def send_due(
    sessions: SessionFactory,
    transport: Transport,
    settings: MailSettings,
    now: datetime,
    *,
    worker: str | None = None,
    batch: int = 50,
    lease: timedelta | None = None,
    stop: Callable[[], bool] | None = None,
) -> SendResult:
    """Send every ready row of the outbox through one transport run."""
    sender = _Sender(
        sessions,
        transport,
        settings,
        now,
        worker or worker_name(),
        lease or settings.lease,
        stop or (lambda: False),
    )
    with ExitStack() as stack:
        stack.callback(sender.close)
        ids = sender.claim(batch)
        if not ids:
            return sender.result
        try:  # connect only when there is something to send
            stack.enter_context(transport)
        except TransportDown as exc:
            sender.server_down(ids, str(exc))
            return sender.result
        if not sender.server_up():
            sender.server_down(ids, sender.result.transport_down or "")
            return sender.result
        # One batch at a time: composing in a helper thread was measured no
        # faster (the GIL), so the simple loop stays.
        while ids:
            try:
                outgoing = sender.compose_batch(ids)
            except PortfolioError as exc:
                # A broken template (e.g. from paths.templates): give the claimed
                # rows back at once instead of leaving them "sending" for a lease.
                sender.release(ids, exc.message)
                raise
            if not sender.send_batch(ids, outgoing):
                break
            ids = sender.claim(batch)
    return sender.result


@dataclass
class _Sender:
    """One sending run: sends claimed rows, renews their lease, records outcomes."""

    sessions: SessionFactory
    transport: Transport
    settings: MailSettings
    now: datetime
    worker: str
    lease: timedelta
    stop: Callable[[], bool]
    result: SendResult = field(default_factory=SendResult)
    _connection: sa.Connection | None = None
    _engine: Engine | None = None
    _started: float = field(default_factory=time.monotonic)
    # When to renew the lease next, on time.monotonic().
    _renew_at: float = float("inf")

    def clock(self) -> datetime:
        """The run's clock: its ``now`` plus the time the run has taken so far."""
        return self.now + timedelta(seconds=time.monotonic() - self._started)

    def claim(self, batch: int) -> list[int]:
        """Claim the next batch (none once a stop was asked for)."""
        if self.stop():
            self.result.stopped = True
            return []
        at = self.clock()
        with self.sessions() as session:
            ids = claim(session, self.worker, at, batch, self.lease)
        self._renew_at = time.monotonic() + self.lease.total_seconds() / 3
        return ids

    def renew(self, ids: Collection[int]) -> set[int]:
        """Extend the lease of the rows still ours; return which those are."""
        at = self.clock()
        with self.sessions() as session:
            kept = set(
                session.scalars(
                    sa.update(Reminder)
                    .where(
                        Reminder.id.in_(list(ids)),
                        Reminder.claimed_by == self.worker,
                        Reminder.status == ReminderStatus.SENDING,
                    )
                    .values(claimed_until=at + self.lease)
                    .returning(Reminder.id)
                    .execution_options(synchronize_session=False)
                )
            )
        self._renew_at = time.monotonic() + self.lease.total_seconds() / 3
        return kept

    def send_batch(
        self, ids: list[int], outgoing: list[tuple[int, Outgoing | None]]
    ) -> bool:
        """Send one composed batch; False when the run ends early (rest released)."""
        held = set(ids)
        stop, renew_at = self.stop, self._renew_at
        for position, (reminder_id, msg) in enumerate(outgoing):
            # Plain float comparisons per message: this loop runs at wire speed.
            if stop():
                self.result.stopped = True
                self.release(_rest(outgoing, position), None, at_once=True)
                return False
            if time.monotonic() >= renew_at:
                held = self.renew(_rest(outgoing, position))
                renew_at = self._renew_at
            if reminder_id not in held:
                continue  # the lease ran out and another sender took it over
            try:
                if msg is not None:
                    self.transport.send(msg)
            except MessageRejected as exc:
                self.record_failure(reminder_id, str(exc))
                continue
            except MessageDeferred as exc:
                self.release([reminder_id], str(exc), wait=DEFER)
                self.result.deferred += 1
                continue
            except TransportDown as exc:
                self.server_down(_rest(outgoing, position), str(exc))
                return False
            self.mark_sent(reminder_id, msg)
        return True

    def server_down(self, ids: list[int], error: str) -> None:
        """The server is unreachable: give every row back and record the outage."""
        self.result.transport_down = error
        self.release(ids, error)
        with self.sessions() as session:
            mail_outage.record_down(session, self.clock(), error)

    def server_up(self) -> bool:
        """Connected: end a recorded outage, telling the lead if it was long.

        False when the notice found the server down again.
        """
        with self.sessions() as session:
            outage = mail_outage.current(session)
        if outage is None:
            return True
        lead = self.settings.lead
        until = self.clock()
        if lead and until - outage.since >= self.settings.outage_alert:
            notice = outage_message(
                self.settings.office,
                lead,
                since=outage.since,
                until=until,
                error=outage.error,
                timezone=self.settings.timezone,
            )
            try:
                self.transport.send(notice)
            except (MessageRejected, MessageDeferred):
                pass  # the lead's address is refused: the reminders still go out
            except TransportDown as exc:
                self.result.transport_down = str(exc)
                return False
            else:
                self.result.lead_told = True
        with self.sessions() as session:
            mail_outage.clear(session)
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
        Only a row this run still owned counts as sent.
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
            ReminderStatus.SENDING.value,
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
            marked = cursor.rowcount == 1
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
        if sent and marked:
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
        """Record a refused message: retry later with back-off, or give up."""
        with self.sessions() as session:
            row = session.get(Reminder, reminder_id)
            if row is None or row.claimed_by != self.worker:
                return
            row.last_error = error[:2000]
            row.claimed_until = None
            if row.attempts >= self.settings.max_attempts:
                row.status = ReminderStatus.FAILED
                self.result.failed += 1
            else:
                row.status = ReminderStatus.PENDING
                row.next_attempt_at = self.clock() + backoff(row.attempts)
                self.result.retried += 1

    def release(
        self,
        ids: Collection[int],
        error: str | None,
        *,
        wait: timedelta = BACKOFF_FIRST,
        at_once: bool = False,
    ) -> None:
        """Give claimed but unsent rows back (no attempt counted).

        ``at_once`` (a stop): the next run may send them right away; otherwise
        they wait ``wait``. ``error`` None keeps the last recorded error.
        """
        if not ids:
            return
        values: dict[str, object] = {
            "status": ReminderStatus.PENDING,
            "attempts": sa.case(
                (Reminder.attempts > 0, Reminder.attempts - 1), else_=0
            ),
            "claimed_until": None,
            "next_attempt_at": None if at_once else self.clock() + wait,
        }
        if error is not None:
            values["last_error"] = error[:2000]
        with self.sessions() as session:
            session.execute(
                sa.update(Reminder)
                .where(
                    Reminder.id.in_(list(ids)),
                    Reminder.claimed_by == self.worker,
                    Reminder.status == ReminderStatus.SENDING,
                )
                .values(values)
                .execution_options(synchronize_session=False)
            )


def _rest(outgoing: list[tuple[int, Outgoing | None]], position: int) -> list[int]:
    """The ids of a batch from ``position`` on (not sent yet)."""
    return [reminder_id for reminder_id, _ in outgoing[position:]]
