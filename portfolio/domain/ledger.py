"""What the installation keeps about its own work: log, outbox, imports, users.

These rows are not the portfolio itself (they are not part of the ``portfolio/1``
export): the key/value ``Meta`` facts (the Stichtag), the import batches (the unit
of undo), the change log, the reminder outbox, the record of report mailings and the
web users. ``portfolio.domain.models`` re-exports them, so callers import every
entity from one place.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portfolio.domain.base import Base, enum_column, utcnow
from portfolio.domain.enums import (
    ChangeAction,
    ImportStatus,
    ReminderStatus,
    UserRole,
)
from portfolio.domain.errors import InvalidValue

if TYPE_CHECKING:  # the outbox points at obligations; resolved by name at run time
    from portfolio.domain.models import Obligation


class Meta(Base):
    """Key/value facts about the database itself, such as its Stichtag."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)

    def validate(self) -> None:
        """Nothing to check."""


class ImportBatch(Base):
    """One applied import: which file, by whom, what it did; the unit of undo."""

    __tablename__ = "import_batches"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(sa.String(500))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    sheets: Mapped[list[str]] = mapped_column(default=list)
    kind: Mapped[str | None] = mapped_column(sa.String(120))
    profile: Mapped[str | None] = mapped_column(sa.String(120))
    who: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "status"), default=ImportStatus.APPLIED
    )
    undone_at: Mapped[datetime | None]
    # What the file was read with (its sha256, the options, profile and version):
    # the same run key on an unchanged database means the same result.
    run_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # The change log's state (``count:last id``) when the database last matched
    # this file exactly (written at apply, renewed by a re-import that found no
    # change); a later change of any row moves the log on.
    matched_at: Mapped[str | None] = mapped_column(sa.String(40))

    def validate(self) -> None:
        """Nothing to check."""


class Change(Base):
    """One entry of the change log: who changed which row how, and when."""

    __tablename__ = "changes"
    __audited__ = False
    __table_args__ = (sa.Index("ix_changes_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[ChangeAction] = mapped_column(enum_column(ChangeAction, "action"))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    who: Mapped[str] = mapped_column(sa.String(120), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    batch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )

    def validate(self) -> None:
        """Nothing to check."""


class Reminder(Base):
    """One planned reminder mail in the outbox (DESIGN §5).

    Sent once; a crash between the hand-off to the server and the mark can send
    it a second time, with the same Message-ID.
    """

    __tablename__ = "reminders"
    __audited__ = False
    __table_args__ = (
        sa.UniqueConstraint("obligation_id", "recipient", "stage", "due_on"),
        sa.Index("ix_reminders_status_planned", "status", "planned_for"),
        # Digests belong to no obligation, and NULLs never collide in the unique
        # constraint above: one digest per person and week needs its own index.
        sa.Index(
            "uq_reminders_digest",
            "recipient",
            "stage",
            "due_on",
            unique=True,
            sqlite_where=sa.text("obligation_id IS NULL"),
            postgresql_where=sa.text("obligation_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("obligations.id", ondelete="CASCADE")
    )
    recipient: Mapped[str] = mapped_column(sa.String(254))
    cc: Mapped[list[str]] = mapped_column(default=list)
    stage: Mapped[str] = mapped_column(sa.String(40))
    due_on: Mapped[date]
    planned_for: Mapped[datetime]
    status: Mapped[ReminderStatus] = mapped_column(
        enum_column(ReminderStatus, "status"), default=ReminderStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime | None]
    # When a sender last claimed the row to send it (``retry --since``).
    last_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    obligation: Mapped[Obligation | None] = relationship()

    def validate(self) -> None:
        """Nothing to check beyond the constraints."""


class ReportSending(Base):
    """One mailing of a yearly report to a funder (DESIGN §8, issue 5).

    Written as ``sending`` before the mail goes out and marked ``sent`` after, with
    a Message-ID derived from the row, so a crash in between never sends twice
    unnoticed: the next ``--send`` sees the row and asks.
    """

    __tablename__ = "report_sendings"
    __audited__ = False
    __table_args__ = (
        sa.Index("ix_report_sendings_subject", "kind", "subject", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    subject: Mapped[str] = mapped_column(sa.String(120))
    year: Mapped[int]
    programmes: Mapped[list[str]] = mapped_column(default=list)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    cc: Mapped[list[str]] = mapped_column(default=list)
    formats: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(sa.String(20), default="sending")
    message_id: Mapped[str | None] = mapped_column(sa.String(300))
    who: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    def validate(self) -> None:
        """Nothing to check beyond the columns."""


class User(Base):
    """A web user with a role; the password is stored only as a hash."""

    __tablename__ = "users"
    __audit_exclude__ = frozenset({"password_hash", "api_token_hash", "ics_token"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(300))
    role: Mapped[UserRole] = mapped_column(
        enum_column(UserRole, "role"), default=UserRole.VIEWER
    )
    email: Mapped[str | None] = mapped_column(sa.String(254))
    api_token_hash: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    ics_token: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def validate(self) -> None:
        """A user name has no blanks."""
        if not self.username or any(c.isspace() for c in self.username):
            raise InvalidValue(
                f"Der Benutzername {self.username!r} darf keine Leerzeichen enthalten."
            )
