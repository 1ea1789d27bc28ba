"""Delete an entity so it can be brought back from the change log.

A delete removes the row and everything that goes with it (the cascade: a
programme's phases, awards and deadlines). The change log already holds every
removed row's values (one flush writes them all with one time stamp), so
``undo_delete`` re-inserts the rows of that flush in dependency order, with their
old ids, and the log records the restore like any other change. Reminders are not
user data and are planned anew by the next scheduler run. Services never commit.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.domain.base import Base
from portfolio.domain.enums import ChangeAction
from portfolio.domain.errors import Conflict, NotFound
from portfolio.domain.models import ENTITIES, Change
from portfolio.storage.changes import record_changes

ENTITY_NAMES = {
    "programmes": "Programm",
    "phases": "Phase",
    "fundings": "Finanzierung",
    "applications": "Antrag",
    "awards": "Bewilligung",
    "obligations": "Frist",
    "contacts": "Ansprechperson",
    "partners": "Partner",
    "funders": "Fördergeber",
    "programme_partners": "Partnerrolle",
    "award_versions": "Bescheid",
    "budget_lines": "Planzeile",
    "expenses": "Ausgabe",
    "disbursements": "Mittelabruf",
    "narratives": "Sachbericht-Text",
}


def delete_row(session: Session, obj: Base) -> int:
    """Delete one entity (with its cascade); return the change-log id to undo it."""
    table = obj.__tablename__
    key = str(sa.inspect(obj).identity[0])  # type: ignore[index]
    session.delete(obj)
    session.flush()
    change_id = session.scalar(
        sa.select(sa.func.max(Change.id)).where(
            Change.entity == table,
            Change.entity_id == key,
            Change.action == ChangeAction.DELETE,
        )
    )
    return int(change_id or 0)


def undo_delete(session: Session, change_id: int) -> str:
    """Bring back the rows one delete removed; return a German sentence."""
    change = session.get(Change, change_id)
    if change is None or change.action is not ChangeAction.DELETE:
        raise NotFound(
            f"Eine Löschung mit der Nummer {change_id} gibt es im Änderungsprotokoll "
            "nicht."
        )
    together = session.scalars(
        sa.select(Change)
        .where(
            Change.action == ChangeAction.DELETE,
            Change.at == change.at,
            Change.who == change.who,
        )
        .order_by(Change.id)
    ).all()
    order = {cls.__tablename__: n for n, cls in enumerate(ENTITIES)}
    classes = {cls.__tablename__: cls for cls in ENTITIES}
    rows = sorted(
        (c for c in together if c.entity in classes and c.before),
        key=lambda c: (order[c.entity], c.id),
    )
    for row in rows:
        cls = classes[row.entity]
        assert row.before is not None
        if session.get(cls, _identity(cls, row.entity_id)) is not None:
            name = ENTITY_NAMES.get(row.entity, row.entity)
            raise Conflict(
                f"{name} Nr. {row.entity_id} gibt es schon wieder – die Löschung "
                "lässt sich nicht mehr rückgängig machen."
            )
    log: list[dict[str, Any]] = []
    try:
        with session.begin_nested():
            for row in rows:
                table = Base.metadata.tables[row.entity]
                session.execute(sa.insert(table).values(_values(table, row.before)))
                log.append(
                    {
                        "entity": row.entity,
                        "entity_id": row.entity_id,
                        "action": ChangeAction.CREATE,
                        "before": None,
                        "after": row.before,
                    }
                )
    except sa.exc.IntegrityError:
        raise Conflict(
            "Die Löschung lässt sich nicht rückgängig machen: inzwischen gibt es einen "
            "Eintrag mit demselben Namen oder Schlüssel, oder ein Bezug fehlt."
        ) from None
    record_changes(session, log)
    session.expire_all()
    name = ENTITY_NAMES.get(change.entity, change.entity)
    label = _label(change.before or {})
    extra = len(rows) - 1
    more = f" (mit {extra} zugehörigen Einträgen)" if extra > 0 else ""
    return f"{name} {label}wiederhergestellt{more}.".replace("  ", " ")


def _identity(cls: type[Base], entity_id: str) -> object:
    parts = entity_id.split("/")
    columns = list(sa.inspect(cls).primary_key)
    values = [
        int(p) if c.type.python_type is int else p
        for p, c in zip(parts, columns, strict=False)
    ]
    return values[0] if len(values) == 1 else tuple(values)


def _label(before: dict[str, object]) -> str:
    for key in ("name", "short_name", "title", "reference", "email", "key"):
        if before.get(key):
            return f"„{before[key]}“ "
    return ""


def _values(table: sa.Table, data: dict[str, Any] | None) -> dict[str, Any]:
    data = data or {}
    return {c.key: _convert(c, data[c.key]) for c in table.columns if c.key in data}


def _convert(column: sa.Column[Any], value: Any) -> Any:
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
    converters: dict[type, Any] = {
        Decimal: lambda v: Decimal(str(v)),
        datetime: datetime.fromisoformat,
        date: date.fromisoformat,
        int: int,
    }
    convert = converters.get(python_type)
    return convert(value) if convert and not isinstance(value, python_type) else value
