"""The change log as people read it: one query for a page, one per referenced table.

The web page ``/aenderungen``, the programme page, the API (``/api/changes``) and the
workbook all take their entries from here, so they say the same thing:
``Frist „Zwischennachweis 2016“: Status offen → erledigt, erledigt am 15.03.2017``,
at the office's local time, filterable by person and date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.base import Base
from portfolio.domain.change_text import all_references, describe, local_time
from portfolio.domain.field_labels import entity_name, naming_field
from portfolio.domain.models import Change
from portfolio.storage.page_queries import Page, make_page

_FIRST, _LAST = date(1900, 1, 1), date(9000, 1, 1)
# Rows named by more than one column: a programme by its short name if it has one.
_NAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "programmes": ("short_name", "name"),
    "funders": ("short_name", "name"),
}


@dataclass(frozen=True)
class ChangeEntry:
    """One readable change-log entry."""

    id: int
    at: datetime  # UTC, as stored
    when: str  # local time, 15.03.2017 14:05
    who: str
    entity: str
    entity_label: str
    entity_id: str
    action: str
    subject: str
    details: tuple[str, ...]
    text: str
    batch_id: int | None
    programme: str | None  # the programme the row belongs to, by its name


@dataclass(frozen=True)
class ChangeFilter:
    """Whose changes and which days (local dates, both inclusive)."""

    who: str = ""
    since: date | None = None
    until: date | None = None


def _names(session: Session, refs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The names of referenced rows: one query per table."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for table_name, ident in refs:
        if ident.isdigit():
            wanted[table_name].add(int(ident))
    names: dict[tuple[str, str], str] = {}
    for table_name, ids in wanted.items():
        table = Base.metadata.tables.get(table_name)
        own = naming_field(table_name)
        columns = _NAME_COLUMNS.get(table_name, (own,) if own else ())
        if table is None or not columns or "id" not in table.columns:
            continue
        query = sa.select(table.c.id, *(table.c[c] for c in columns)).where(
            table.c.id.in_(sorted(ids))
        )
        for ident, *values in session.execute(query):
            text = next((str(v) for v in values if v), None)
            names[(table_name, str(ident))] = text or f"Nr. {ident}"
    return names


def _programme(change: Change, names: dict[tuple[str, str], str]) -> str | None:
    values = change.after if change.after is not None else change.before
    if change.entity == "programmes" or not values:
        return None
    ident = values.get("programme_id")
    return names.get(("programmes", str(ident))) if ident is not None else None


def readable(
    session: Session, changes: Sequence[Change], timezone: str
) -> list[ChangeEntry]:
    """Change rows as entries people can read."""
    zone = ZoneInfo(timezone)
    names = _names(
        session, all_references((c.entity, c.before, c.after) for c in changes)
    )
    entries = []
    for change in changes:
        words = describe(
            change.entity,
            change.entity_id,
            change.action,
            change.before,
            change.after,
            names,
            zone,
        )
        entries.append(
            ChangeEntry(
                id=change.id,
                at=change.at,
                when=local_time(change.at, zone),
                who=person(change.who),
                entity=change.entity,
                entity_label=entity_name(change.entity),
                entity_id=change.entity_id,
                action=words.action,
                subject=words.subject,
                details=tuple(words.details),
                text=words.text,
                batch_id=change.batch_id,
                programme=_programme(change, names),
            )
        )
    return entries


def person(who: str | None) -> str:
    """Who as people say it: ``web:anna`` is anna, ``api:anna`` anna (API)."""
    door, _, name = (who or "").partition(":")
    if not name:
        return who or "–"
    return f"{name} (API)" if door == "api" else name


def _conditions(flt: ChangeFilter, timezone: str) -> list[sa.ColumnElement[bool]]:
    zone = ZoneInfo(timezone)
    conditions: list[sa.ColumnElement[bool]] = []
    if flt.who:
        # The same person through any door (web:anna, api:anna, or a CLI name).
        who = flt.who
        conditions.append(
            sa.or_(Change.who == who, Change.who.in_([f"web:{who}", f"api:{who}"]))
        )
    # Days outside the years anything was logged mean no limit (and no overflow
    # when the time is turned into UTC).
    if flt.since and _FIRST < flt.since < _LAST:
        conditions.append(Change.at >= datetime.combine(flt.since, time(), zone))
    if flt.until and _FIRST < flt.until < _LAST:
        end = datetime.combine(flt.until + timedelta(days=1), time(), zone)
        conditions.append(Change.at < end)
    if (flt.until and flt.until <= _FIRST) or (flt.since and flt.since >= _LAST):
        conditions.append(sa.false())
    return conditions


def change_page(
    session: Session,
    flt: ChangeFilter,
    timezone: str,
    number: int = 1,
    size: int = 50,
) -> tuple[list[ChangeEntry], Page]:
    """One page of the whole change log, newest first."""
    conditions = _conditions(flt, timezone)
    total = session.scalar(sa.select(sa.func.count(Change.id)).where(*conditions))
    page = make_page(number, size, total or 0)
    query = (
        sa.select(Change)
        .where(*conditions)
        .order_by(Change.at.desc(), Change.id.desc())
        .limit(page.size)
        .offset(page.offset)
    )
    return readable(session, list(session.scalars(query)), timezone), page


def people(session: Session) -> list[str]:
    """Everyone who changed something (for the filter)."""
    query = (
        sa.select(Change.who).where(Change.who != "").distinct().order_by(Change.who)
    )
    return [str(who) for who in session.scalars(query)]


def all_entries(
    session: Session, timezone: str, limit: int = 5000
) -> list[ChangeEntry]:
    """The newest entries of the whole log (for the workbook)."""
    query = sa.select(Change).order_by(Change.at.desc(), Change.id.desc()).limit(limit)
    return readable(session, list(session.scalars(query)), timezone)
