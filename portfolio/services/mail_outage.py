"""The mail server's outage, remembered in the database so every door can show it.

When a sending run cannot reach the server, it records the outage in ``meta``
(since when, the last try, the last error) instead of using up the reminders'
attempts; the first run that connects again clears it and, when it lasted longer
than ``mail.outage_alert_minutes``, tells the office lead. ``portfolio reminders``,
the admin page and the dashboard read it with ``current``. Two senders may record
the same outage at once: the writes are upserts, and the first start wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portfolio.domain.deadlines import format_de
from portfolio.domain.models import Meta

SINCE = "mail.outage_since"
LAST = "mail.outage_last"
ERROR = "mail.outage_error"


@dataclass(frozen=True)
class Outage:
    """The mail server has been unreachable since ``since`` (last tried ``last``)."""

    since: datetime
    last: datetime
    error: str

    def text(self, timezone: str) -> str:
        """``Mailserver nicht erreichbar seit 10.04.2017 08:00 Uhr (…)``."""
        return (
            f"Mailserver nicht erreichbar seit {_moment(self.since, timezone)} "
            f"(letzter Versuch {_moment(self.last, timezone)}: {self.error}). "
            "Erinnerungen warten und gehen raus, sobald er wieder erreichbar ist."
        )


def _moment(value: datetime, timezone: str) -> str:
    local = value.astimezone(ZoneInfo(timezone))
    return f"{format_de(local.date())} {local:%H:%M} Uhr"


def current(session: Session) -> Outage | None:
    """The ongoing outage, if the last sending run could not reach the server."""
    values = dict(
        session.execute(
            sa.select(Meta.key, Meta.value).where(Meta.key.in_((SINCE, LAST, ERROR)))
        ).all()
    )
    if SINCE not in values:
        return None
    since = _parse(values[SINCE])
    return Outage(
        since=since,
        last=_parse(values.get(LAST) or values[SINCE]),
        error=values.get(ERROR) or "",
    )


def record_down(session: Session, at: datetime, error: str) -> None:
    """Note a failed connection at ``at``; the outage starts at the first one."""
    _upsert(session, SINCE, _format(at), keep=True)
    _upsert(session, LAST, _format(at))
    _upsert(session, ERROR, error[:2000])


def clear(session: Session) -> Outage | None:
    """The server answered again: forget the outage and return what it was."""
    outage = current(session)
    if outage is not None:
        session.execute(sa.delete(Meta).where(Meta.key.in_((SINCE, LAST, ERROR))))
    return outage


def _upsert(session: Session, key: str, value: str, *, keep: bool = False) -> None:
    """Insert ``key``; on a second writer keep the first value or overwrite."""
    name = session.get_bind().dialect.name
    insert = (postgresql if name == "postgresql" else sqlite).insert(Meta)
    statement = insert.values(key=key, value=value)
    if keep:
        session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
    else:
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["key"], set_={"value": value}
            )
        )


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
