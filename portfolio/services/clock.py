"""Today, as the portfolio sees it: the database's Stichtag, or the real date.

A historic portfolio (the demo) carries a Stichtag; every list, view, report default
and scheduler run treats it as today and says so.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.models import Meta

STICHTAG = "stichtag"


def stichtag(session: Session) -> date | None:
    """The database's reference date, if it carries one."""
    value = session.scalar(sa.select(Meta.value).where(Meta.key == STICHTAG))
    return date.fromisoformat(value) if value else None


def set_stichtag(session: Session, day: date | None) -> None:
    """Store (or remove, with None) the database's reference date."""
    row = session.get(Meta, STICHTAG)
    if day is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(Meta(key=STICHTAG, value=day.isoformat()))
    else:
        row.value = day.isoformat()


def real_today(timezone: str = "Europe/Berlin") -> date:
    """The calendar date now in the office's time zone."""
    return datetime.now(ZoneInfo(timezone)).date()


def today(session: Session, timezone: str = "Europe/Berlin") -> date:
    """The Stichtag if the database carries one, else the real date."""
    return stichtag(session) or real_today(timezone)
