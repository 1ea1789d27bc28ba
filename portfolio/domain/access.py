"""Who may come in, and what they did: web sessions, login throttle, audit trail.

These rows belong to the installation, not to the portfolio (they are not part of
the ``portfolio/1`` export) and are never copied into the change log. A browser
session lives in ``sessions`` under the SHA-256 of the random id its cookie carries,
so a stolen database does not hand out valid cookies; ``login_throttle`` keeps the
failure counts that slow down password guessing, shared by every server process;
``audit_events`` records sign-ins, user changes and other security-relevant acts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portfolio.domain.base import Base, utcnow


class WebSession(Base):
    """A browser session: its data stays on the server, the cookie holds an id."""

    __tablename__ = "sessions"
    __audited__ = False

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def validate(self) -> None:
        """Nothing to check."""


class LoginThrottle(Base):
    """Recent failed logins of one account, one address or one pair of both."""

    __tablename__ = "login_throttle"
    __audited__ = False

    scope: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def validate(self) -> None:
        """Nothing to check."""


class AuditEvent(Base):
    """One security-relevant act: who, when, from where, what, on whom or what."""

    __tablename__ = "audit_events"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    target: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def validate(self) -> None:
        """Nothing to check."""
