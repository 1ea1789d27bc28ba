"""The change log, written automatically on every flush.

Services never write ``Change`` rows by hand: a listener on the project's session
class validates every new or changed entity (its German ``validate``) before the
flush, and after the flush records one row per insert, update and delete with the
values before and after, who did it (``session.info["who"]``) and the import batch
(``session.info["batch_id"]``). Bulk paths that bypass the ORM call
``record_changes`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from portfolio.domain.base import Base, to_jsonable, utcnow
from portfolio.domain.enums import ChangeAction
from portfolio.domain.models import Change


class PortfolioSession(Session):
    """The session class of the project: validates and logs every flush."""


def _audited(obj: object) -> bool:
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
def _log(
    session: Session,
    flush_context: UOWTransaction,  # noqa: ARG001 - event signature
) -> None:
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if _audited(obj):
            rows.append(_row(obj, ChangeAction.CREATE, None, obj.snapshot()))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _before(obj), obj.snapshot()
            if before != after:
                rows.append(_row(obj, ChangeAction.UPDATE, before, after))
    for obj in session.deleted:
        if _audited(obj):
            rows.append(_row(obj, ChangeAction.DELETE, _before(obj), None))
    if rows:
        record_changes(session, rows)


def _row(
    obj: Base,
    action: ChangeAction,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "entity": obj.__tablename__,
        "entity_id": _key(obj),
        "action": action,
        "before": before,
        "after": after,
    }


def record_changes(session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert change-log rows, stamped with the session's user, batch and time."""
    who = str(session.info.get("who", ""))
    batch_id = session.info.get("batch_id")
    now = utcnow()
    values = [
        {"who": who, "batch_id": batch_id, "at": now, **dict(row)} for row in rows
    ]
    session.connection().execute(sa.insert(Change), values)
