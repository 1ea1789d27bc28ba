"""Server-side browser sessions: open, load, save, end and revoke them.

The cookie carries only a random id (256 bits); the table keeps its SHA-256, the
user and the session's data (CSRF token, flash messages, the pending upload). A
session ends when its user logs out, after ``idle`` without a request, after
``lifetime`` in total, and at once for every session of a user whose password,
role or active flag changes. Services never commit; the caller owns the unit of
work.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.base import utcnow
from portfolio.domain.models import WebSession

# Writing last_seen on every request would make each page view a write.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Lifetimes:
    """How long a session may stay unused, and how long it may live at all."""

    idle: timedelta
    lifetime: timedelta


def new_session_id() -> str:
    """A fresh random session id for the cookie."""
    return secrets.token_urlsafe(32)


def id_hash(session_id: str) -> str:
    """The stored form of a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _expired(row: WebSession, limits: Lifetimes, now: datetime) -> bool:
    return (
        now - row.last_seen_at > limits.idle or now - row.created_at > limits.lifetime
    )


def load_session(
    session: Session, session_id: str, limits: Lifetimes
) -> WebSession | None:
    """The live session with this id, or None (an expired one is removed)."""
    if not session_id or len(session_id) > 100:
        return None
    row = session.get(WebSession, id_hash(session_id))
    if row is None:
        return None
    if _expired(row, limits, utcnow()):
        session.delete(row)
        session.flush()
        return None
    return row


def save_session(
    session: Session,
    session_id: str,
    data: dict[str, Any],
    *,
    existed: bool,
    touch: bool,
) -> bool:
    """Store a session's data; False if it was ended meanwhile (not re-created)."""
    user_id = data.get("uid") if isinstance(data.get("uid"), int) else None
    now = utcnow()
    if not existed:
        session.add(
            WebSession(
                id_hash=id_hash(session_id),
                user_id=user_id,
                data=data,
                created_at=now,
                last_seen_at=now,
            )
        )
        session.flush()
        return True
    values: dict[str, Any] = {"data": data, "user_id": user_id}
    if touch:
        values["last_seen_at"] = now
    done = session.execute(
        sa.update(WebSession)
        .where(WebSession.id_hash == id_hash(session_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def needs_touch(row: WebSession) -> bool:
    """Whether the last-seen time is old enough to be written again."""
    return utcnow() - row.last_seen_at > TOUCH_EVERY


def end_session(session: Session, session_id: str) -> None:
    """End one session (logout, or a fresh id after login)."""
    session.execute(
        sa.delete(WebSession).where(WebSession.id_hash == id_hash(session_id))
    )


def revoke_user_sessions(
    session: Session, user_id: int, *, keep: str | None = None
) -> int:
    """End every session of a user (but the one whose id is ``keep``)."""
    statement = sa.delete(WebSession).where(WebSession.user_id == user_id)
    if keep:
        statement = statement.where(WebSession.id_hash != id_hash(keep))
    done = session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(done, "rowcount", 0) or 0)


def purge_expired(session: Session, limits: Lifetimes) -> int:
    """Remove sessions that can no longer be used."""
    now = utcnow()
    done = session.execute(
        sa.delete(WebSession)
        .where(
            sa.or_(
                WebSession.last_seen_at < now - limits.idle,
                WebSession.created_at < now - limits.lifetime,
            )
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)
