"""Undo an import batch from the change log, unless later changes build on it.

Every row the batch wrote has a ``Change`` with its ``batch_id`` and the values before
and after. Undo replays them backwards: created rows are deleted, changed rows get
their old values, deleted rows come back. It refuses, naming the reason, when a later
change touched a row of the batch or created a row that points to one (a deadline
added to an imported programme): undoing would destroy that work. The refusal says
which later imports to undo first, or who changed what by hand and when. The undo
itself is logged like any change; the batch is marked ``undone``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.base import Base, utcnow
from portfolio.domain.change_text import subject
from portfolio.domain.enums import ChangeAction, ImportStatus
from portfolio.domain.errors import Conflict, NotFound
from portfolio.domain.models import Change, ImportBatch, Programme
from portfolio.domain.periods import format_date
from portfolio.services import audit
from portfolio.services.change_log import person
from portfolio.storage.changes import record_changes
from portfolio.storage.integrity import TABLES

# Foreign-key columns that point at a row a batch may have created.
REFERENCES = {
    "programme_id": "programmes",
    "award_id": "awards",
    "funder_id": "funders",
    "responsible_id": "contacts",
    "lead_id": "contacts",
    "contact_id": "contacts",
    "phase_id": "phases",
    "partner_id": "partners",
    "obligation_id": "obligations",
}
REVERSE = {
    ChangeAction.CREATE: ChangeAction.DELETE,
    ChangeAction.DELETE: ChangeAction.CREATE,
    ChangeAction.UPDATE: ChangeAction.UPDATE,
}


@dataclass(frozen=True, slots=True)
class UndoResult:
    """What the undo did."""

    batch_id: int
    file_name: str
    deleted: int
    restored: int


def undo_batch(session: Session, batch_id: int) -> UndoResult:
    """Restore the state before an import batch (refuse if later work builds on it)."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(
            f"Einen Import {batch_id} gibt es nicht (Liste: portfolio imports)."
        )
    if batch.status is ImportStatus.UNDONE:
        when = format_date(batch.undone_at.date()) if batch.undone_at else "früher"
        raise Conflict(f"Import {batch_id} wurde bereits am {when} rückgängig gemacht.")
    changes = list(
        session.scalars(
            sa.select(Change).where(Change.batch_id == batch_id).order_by(Change.id)
        )
    )
    if changes:
        _refuse_if_built_upon(session, batch_id, changes)
    deleted = restored = 0
    log: list[dict[str, Any]] = []
    for change in _replay_order(changes):
        table = Base.metadata.tables[change.entity]
        where = _where(table, change.entity_id)
        if change.action is ChangeAction.CREATE:
            session.execute(sa.delete(table).where(where))
            deleted += 1
        elif change.action is ChangeAction.UPDATE and change.before is not None:
            session.execute(
                sa.update(table).where(where).values(_values(table, change.before))
            )
            restored += 1
        elif change.action is ChangeAction.DELETE and change.before is not None:
            session.execute(sa.insert(table).values(_values(table, change.before)))
            restored += 1
        log.append(
            {
                "entity": change.entity,
                "entity_id": change.entity_id,
                "action": REVERSE[change.action],
                "before": change.after,
                "after": change.before,
            }
        )
    if log:
        # The compensating rows belong to the batch's history: a later undo of an
        # earlier batch must not count them as work that builds on it.
        previous = session.info.get("batch_id")
        session.info["batch_id"] = batch_id
        record_changes(session, log)
        session.info["batch_id"] = previous
    batch.status = ImportStatus.UNDONE
    batch.undone_at = utcnow()
    session.flush()
    audit.record(session, "import_undone", target=batch.file_name, batch=batch_id)
    session.expire_all()
    return UndoResult(batch_id, batch.file_name, deleted, restored)


def _replay_order(changes: list[Change]) -> list[Change]:
    """The batch's changes newest first; rows it deleted come back parents first.

    The log of one flush's deletes is in no particular order, so each run of
    deletes is re-inserted in the order of the foreign keys (a programme before
    its awards, an award before its deadlines).
    """
    rank = {t.name: n for n, t in enumerate(Base.metadata.sorted_tables)}
    ordered: list[Change] = []
    run: list[Change] = []
    for change in reversed(changes):
        if change.action is ChangeAction.DELETE:
            run.append(change)
            continue
        ordered += sorted(run, key=lambda c: rank.get(c.entity, 0))
        run = []
        ordered.append(change)
    ordered += sorted(run, key=lambda c: rank.get(c.entity, 0))
    return ordered


def _refuse_if_built_upon(
    session: Session, batch_id: int, changes: list[Change]
) -> None:
    """Refuse, naming what builds on the batch.

    Later imports can be undone first (newest first); a change by hand cannot, so
    the refusal says who made it and when.
    """
    last = changes[-1].id
    undone = sa.select(ImportBatch.id).where(
        sa.or_(ImportBatch.status == ImportStatus.UNDONE, ImportBatch.id == batch_id)
    )
    touched = {(c.entity, c.entity_id) for c in changes}
    created = {
        (c.entity, c.entity_id) for c in changes if c.action is ChangeAction.CREATE
    }
    later = session.scalars(
        sa.select(Change)
        .where(
            Change.id > last,
            sa.or_(Change.batch_id.is_(None), Change.batch_id.not_in(undone)),
        )
        .order_by(Change.id)
    )
    by_import: dict[int, str] = {}  # later batch -> its first reason
    for change in later:
        reason = _builds_on(change, touched, created)
        if not reason:
            continue
        if change.batch_id is None:
            # Work by hand: no command undoes it, so say whose and when.
            who = f"von {person(change.who)} " if change.who else ""
            refusal = Conflict(
                f"Import {batch_id} kann nicht rückgängig gemacht werden: {reason} "
                f"({who}am {format_date(change.at.date())}) – machen Sie diese "
                "Änderung zuerst rückgängig oder korrigieren Sie die Daten von Hand."
            )
            refusal.link = _link(session, change)
            raise refusal
        by_import.setdefault(change.batch_id, reason)
    if by_import:
        raise Conflict(_later_imports(batch_id, by_import))


def _builds_on(
    change: Change,
    touched: set[tuple[str, str]],
    created: set[tuple[str, str]],
) -> str:
    """Why a later change depends on the batch ("" if it does not)."""
    name = _name(change)
    if (change.entity, change.entity_id) in touched:
        return f"{name} wurde danach geändert"
    if change.action is ChangeAction.CREATE and change.after:
        for column, target in REFERENCES.items():
            value = change.after.get(column)
            if value is not None and (target, str(value)) in created:
                return f"{name} verweist auf {TABLES.get(target, target)} Nr. {value}"
    return ""


def _name(change: Change) -> str:
    """``Frist „Zwischennachweis 2016“ (fällig 30.04.2017)``, not "Frist Nr. 25"."""
    values = change.after if change.after is not None else change.before
    name = subject(change.entity, change.entity_id, values, {})
    due = (values or {}).get("due_on")
    if change.entity == "obligations" and isinstance(due, str):
        name += f" (fällig {format_date(date.fromisoformat(due))})"
    return name


def _link(session: Session, change: Change) -> tuple[str, str] | None:
    """The page where the blocking row can be looked at."""
    values = change.after if change.after is not None else change.before
    ident = (values or {}).get("programme_id")
    if change.entity == "programmes":
        ident = change.entity_id
    if ident is None:
        return None
    key = session.scalar(sa.select(Programme.key).where(Programme.id == int(ident)))
    if key is None:
        return None
    anchor = f"#frist-{change.entity_id}" if change.entity == "obligations" else ""
    return f"/programme/{key}{anchor}", f"{_name(change)} öffnen"


def _later_imports(batch_id: int, by_import: dict[int, str]) -> str:
    """The refusal when only later imports build on the batch: undo them first."""
    newest_first = sorted(by_import, reverse=True)
    if len(newest_first) == 1:
        later = newest_first[0]
        return (
            f"Import {batch_id} kann nicht rückgängig gemacht werden: Import {later} "
            f"baut darauf auf ({by_import[later]}) – erst Import {later} rückgängig "
            f"machen (portfolio imports undo {later}), dann Import {batch_id}."
        )
    reasons = "; ".join(f"Import {b}: {by_import[b]}" for b in newest_first)
    commands = ", dann ".join(f"portfolio imports undo {b}" for b in newest_first)
    return (
        f"Import {batch_id} kann nicht rückgängig gemacht werden: die Importe "
        f"{_listing(sorted(by_import))} bauen darauf auf ({reasons}) – erst diese "
        f"rückgängig machen, den neuesten zuerst: {commands}; dann Import {batch_id}."
    )


def _listing(numbers: list[int]) -> str:
    """``2``, ``2 und 3``, ``2, 3 und 5``."""
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " und " + words[-1]


def _where(table: sa.Table, entity_id: str) -> sa.ColumnElement[bool]:
    parts = entity_id.split("/")
    columns = list(table.primary_key.columns)
    return sa.and_(*(c == _convert(c, p) for c, p in zip(columns, parts, strict=False)))


def _values(table: sa.Table, data: dict[str, Any]) -> dict[str, Any]:
    return {c.key: _convert(c, data[c.key]) for c in table.columns if c.key in data}


def _convert(column: sa.Column[Any], value: Any) -> Any:  # noqa: PLR0911
    """Turn a change-log JSON value back into what the column stores."""
    if value is None:
        return None
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    enum_class = getattr(column.type, "enum_class", None)
    if enum_class is not None:
        return enum_class(value)
    if python_type is Decimal:
        return Decimal(str(value))
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if python_type is int and not isinstance(value, int):
        return int(value)
    return value
