"""The change log, written automatically on every flush.

Services never write ``Change`` rows by hand: a listener on the project's session
class validates every new or changed entity (its German ``validate``) before the
flush, and after the flush records one row per insert, update and delete with the
values before and after, who did it (``session.info["who"]``) and the import batch
(``session.info["batch_id"]``). Bulk paths that bypass the ORM call
``record_changes`` (or ``record_change_rows`` with tuples) themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from operator import itemgetter
from types import NoneType
from typing import Any, TypeGuard, cast

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from portfolio.domain.base import Base, to_jsonable, utcnow
from portfolio.domain.enums import ChangeAction
from portfolio.domain.models import Change
from portfolio.storage.bulk import (
    BulkInsert,
    JsonTexts,
    Quoted,
    Same,
    default_json,
    direct,
    json_objects,
    one_object,
)


class PortfolioSession(Session):
    """The session class of the project: validates and logs every flush."""


ChangeRow = tuple[str, str, ChangeAction, dict[str, Any] | None, dict[str, Any] | None]
"""One change-log row: entity, entity id, action, values before, values after."""


def _audited(obj: object) -> TypeGuard[Base]:
    return isinstance(obj, Base) and type(obj).__audited__


def _key(obj: Base) -> str:
    # New rows get their identity key only after ``after_flush``; the primary key
    # values themselves are already set by then.
    state = inspect(obj)
    values = state.mapper.primary_key_from_instance(obj)
    return "/".join(str(part) for part in values)


def _before(obj: Base) -> dict[str, Any]:
    """The committed values of a changed object (what it was before this flush)."""
    state = inspect(obj)
    data: dict[str, Any] = {}
    for column in obj.__table__.columns:
        if column.key in obj.__audit_exclude__:
            continue
        history = state.attrs[column.key].history
        if history.deleted:
            data[column.key] = to_jsonable(history.deleted[0])
        elif history.unchanged:
            data[column.key] = to_jsonable(history.unchanged[0])
        else:
            data[column.key] = to_jsonable(getattr(obj, column.key))
    return data


@event.listens_for(PortfolioSession, "before_flush")
def _validate(
    session: Session,
    flush_context: UOWTransaction,  # noqa: ARG001 - event signature
    instances: Any,  # noqa: ARG001
) -> None:
    for obj in (*session.new, *session.dirty):
        validate = getattr(obj, "validate", None)
        if validate is not None:
            validate()


@event.listens_for(PortfolioSession, "after_flush")
def _log(session: Session, flush_context: UOWTransaction) -> None:
    rows: list[ChangeRow] = []
    stamp = _stamp(session)  # one time for the whole flush, however many chunks
    for obj in session.new:
        if _audited(obj):
            rows.append(_row(obj, ChangeAction.CREATE, None, obj.snapshot()))
            if len(rows) >= LOG_CHUNK:  # a big import: not all snapshots at once
                CHANGES.insert(session, rows, stamp)
                rows = []
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _before(obj), obj.snapshot()
            if before != after:
                rows.append(_row(obj, ChangeAction.UPDATE, before, after))
    for obj in _deleted(session, flush_context):
        if _audited(obj):
            rows.append(_row(obj, ChangeAction.DELETE, _before(obj), None))
    CHANGES.insert(session, rows, stamp)


def _deleted(session: Session, flush_context: UOWTransaction) -> list[object]:
    """The rows this flush deleted: by ``session.delete`` and as orphans.

    A row taken out of a ``delete-orphan`` collection (a partner removed from a
    programme's list) is found to be an orphan only within the flush and never
    appears in ``session.deleted``; the flush's own states name it.
    """
    found = list(session.deleted)
    seen = {id(obj) for obj in found}
    for state, (is_delete, list_only) in flush_context.states.items():
        obj = state.obj()
        if is_delete and not list_only and obj is not None and id(obj) not in seen:
            seen.add(id(obj))
            found.append(obj)
    return found


def _row(
    obj: Base,
    action: ChangeAction,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> ChangeRow:
    return (obj.__tablename__, _key(obj), action, before, after)


# Written through the driver (see ``portfolio.storage.bulk``): a big import logs
# one row per new deadline.
CHANGES = BulkInsert(
    cast(sa.Table, Change.__table__),
    ("entity", "entity_id", "action", "before", "after"),
    fixed=("who", "batch_id", "at"),
)
# The same with the values before and after as JSON text already.
CHANGES_ENCODED = BulkInsert(
    CHANGES.table, CHANGES.columns, CHANGES.fixed, encoded=("before", "after")
)
LOG_CHUNK = 5000  # change-log rows built and written at a time by one flush
_FIELDS = itemgetter("entity", "entity_id", "action", "before", "after")


def record_changes(session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert change-log rows (entity, entity_id, action, before, after)."""
    record_change_rows(session, list(map(_FIELDS, rows)))


def record_change_rows(session: Session, rows: Sequence[ChangeRow]) -> None:
    """Insert change-log rows, stamped with the session's user, batch and time."""
    CHANGES.insert(session, rows, _stamp(session))


def record_created(
    session: Session,
    entity: str,
    keys: Sequence[str],
    columns: Sequence[Sequence[Any]],
    entity_ids: Sequence[str],
) -> None:
    """Log new rows of one table given column by column (a bulk insert's rows).

    ``columns`` hold the JSON-friendly values after (``to_jsonable``), one column
    per key, or such a column's JSON already (``log_column``); the log gets what
    ``record_change_rows`` would write for the dicts ``dict(zip(keys, row))``,
    without building them where the JSON is written with ``json.dumps`` anyway.
    """
    count = len(entity_ids)
    dialect = session.connection().dialect
    after: Sequence[Any]
    if direct(dialect) and default_json(dialect):
        after = json_objects(keys, columns)
        # JSON's null for "no values before", as SQLAlchemy writes None.
        before, table = "null", CHANGES_ENCODED
    else:
        plain = [_jsonable(values) for values in columns]
        rows = zip(*plain, strict=True)
        after = [dict(zip(keys, values, strict=True)) for values in rows]
        before, table = None, CHANGES
    # A table's name is SQLAlchemy's ``quoted_name``, a str subclass: sqlite3
    # would look for an adapter of it on every row (a fifth of the log's time).
    log = [
        Same([str(entity)] * count),
        entity_ids,
        Same([ChangeAction.CREATE] * count),
        Same([before] * count),
        after,
    ]
    table.insert_columns(session, log, _stamp(session))


# Values ``to_jsonable`` returns unchanged.
_AS_THEY_ARE = {NoneType, str, int, bool, float, list, dict}


def log_column(values: list[Any]) -> Sequence[Any]:
    """New rows' values of one column as ``record_created`` takes them.

    ``to_jsonable`` of each, or straight away the JSON that ``json_objects``
    would write of that: a date or status repeats across thousands of rows and
    is written once; a Decimal or a plain date goes in as its ``str`` (what
    ``to_jsonable`` gives) in quotes, without a text per value first.
    """
    if one_object(values):  # an empty column, a default
        return Same([to_jsonable(values[0])] * len(values))
    kinds = set(map(type, values))
    if kinds <= _AS_THEY_ARE:
        return values
    if kinds in ({Decimal}, {date}):  # set equality: exactly these types
        return Quoted(values)
    if all(issubclass(kind, date | Enum) or kind is NoneType for kind in kinds):
        # Equal dates and enum members write alike (a date never equals a
        # datetime); not so Decimals, 1.0 equals 1.00: each on its own.
        texts = {value: json.dumps(to_jsonable(value)) for value in set(values)}
        return JsonTexts(map(texts.__getitem__, values))
    if kinds == {Decimal, NoneType}:
        return JsonTexts("null" if value is None else f'"{value}"' for value in values)
    return list(map(to_jsonable, values))


def _jsonable(values: Sequence[Any]) -> Sequence[Any]:
    """A ``log_column`` column as ``to_jsonable``'s values again."""
    if isinstance(values, JsonTexts):
        return list(map(json.loads, values))
    if isinstance(values, Quoted):
        return list(map(str, values))
    return values


def _stamp(session: Session) -> tuple[str, int | None, datetime]:
    """Who, which import batch, and when: the same for all rows of one call."""
    return str(session.info.get("who", "")), session.info.get("batch_id"), utcnow()
