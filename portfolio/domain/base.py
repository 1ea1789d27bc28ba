"""The declarative base: one MetaData with a naming convention, and shared column types.

Constraint names follow a fixed convention so Alembic migrations can name, alter and
drop them on SQLite and PostgreSQL alike. Money is ``Numeric(14, 2)`` mapped to
``Decimal``; timestamps are stored as naive UTC and come back timezone-aware, because
SQLite keeps no zone and PostgreSQL would otherwise convert to the server's zone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = sa.Numeric(14, 2, asdecimal=True)
Rate = sa.Numeric(7, 4, asdecimal=True)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and returned timezone-aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        """Store in UTC without a zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        """Return the stored UTC time as an aware datetime."""
        return None if value is None else value.replace(tzinfo=UTC)


def enum_column(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable enum: a VARCHAR with a named CHECK constraint, storing values."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of all entities; carries the naming convention and type map."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        Decimal: Money,
        datetime: UTCDateTime(),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }

    # Columns never copied into the change log (secrets).
    __audit_exclude__: frozenset[str] = frozenset()
    # Entities whose changes are not user data (outbox rows, the log itself).
    __audited__: bool = True

    def snapshot(self) -> dict[str, Any]:
        """The column values as JSON-friendly data, for the change log."""
        cls = type(self)
        keys = _SNAPSHOT_KEYS.get(cls)
        if keys is None:
            keys = _SNAPSHOT_KEYS[cls] = tuple(
                c.key
                for c in self.__table__.columns
                if c.key not in self.__audit_exclude__
            )
        # Loaded values straight from the instance (an import logs 100 000 new
        # rows); anything not loaded goes through the attribute as before.
        loaded = self.__dict__
        return {
            key: to_jsonable(loaded[key] if key in loaded else getattr(self, key))
            for key in keys
        }


_PLAIN = frozenset({str, int, bool, float})
_SNAPSHOT_KEYS: dict[type[Base], tuple[str, ...]] = {}


def to_jsonable(value: Any) -> Any:
    """Turn dates, money and enums into JSON values (ISO, decimal string, value)."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
