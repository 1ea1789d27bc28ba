"""One change-log row as a sentence people can read.

``Frist „Zwischennachweis 2016“: Status offen → erledigt, erledigt am 15.03.2017``:
the entity by its German name and its own name, each changed field by its German
label (``field_labels``), each value formatted by the column's type (dates
``15.03.2017``, money ``1.234,56 €``, shares ``90 %``, enum values by their German
label, yes/no), references to other rows by the name the caller looked up. Pure: the
caller passes the names of referenced rows and the office's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from portfolio.domain.base import Base
from portfolio.domain.enums import ChangeAction, IncomeKind, label
from portfolio.domain.field_labels import (
    HIDDEN,
    entity_name,
    field_label,
    naming_field,
)
from portfolio.domain.money import format_money, format_number, format_percent
from portfolio.domain.periods import format_date

ACTION_TEXT = {
    ChangeAction.CREATE: "angelegt",
    ChangeAction.UPDATE: "geändert",
    ChangeAction.DELETE: "gelöscht",
}
EMPTY = "–"
Ref = tuple[str, str]
"""A referenced row: table name and id (as text, as the log stores ids)."""


@dataclass(frozen=True)
class ChangeText:
    """A change as words: who named what, and the list of field changes."""

    subject: str  # Frist „Zwischennachweis 2016“
    action: str  # angelegt / geändert / gelöscht
    details: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The whole sentence."""
        if self.details:
            return f"{self.subject}: {', '.join(self.details)}"
        return f"{self.subject} {self.action}"


def _column(entity: str, name: str) -> sa.Column[Any] | None:
    table = Base.metadata.tables.get(entity)
    if table is None or name not in table.columns:
        return None
    return table.columns[name]


def referenced_table(entity: str, name: str) -> str | None:
    """The table a foreign-key field points to (``responsible_id`` → ``contacts``)."""
    column = _column(entity, name)
    if column is None or not column.foreign_keys:
        return None
    return next(iter(column.foreign_keys)).column.table.name


def references(entity: str, values: Mapping[str, Any] | None) -> set[Ref]:
    """The rows a snapshot refers to, so the caller can look up their names."""
    refs: set[Ref] = set()
    for name, value in (values or {}).items():
        target = referenced_table(entity, name)
        if target is not None and value is not None:
            refs.add((target, str(value)))
    return refs


def format_value(  # noqa: PLR0911 - one branch per kind of column
    entity: str,
    name: str,
    value: Any,
    names: Mapping[Ref, str],
    timezone: ZoneInfo,
) -> str:
    """A stored (JSON) value the way a person writes it."""
    if value is None or value in ("", [], {}):
        return EMPTY
    column = _column(entity, name)
    if column is None:
        return str(value)
    target = referenced_table(entity, name)
    if target is not None:
        return names.get((target, str(value)), f"Nr. {value}")
    kind = column.type
    enum_class = getattr(kind, "enum_class", None)
    if enum_class is not None:
        try:
            return label(enum_class(value))
        except ValueError:
            return str(value)
    if isinstance(kind, sa.Boolean):
        return "ja" if value else "nein"
    if isinstance(kind, sa.Date) and isinstance(value, str):
        return format_date(date.fromisoformat(value))
    if isinstance(kind, sa.DateTime) or getattr(kind, "impl", None) is sa.DateTime:
        return _local(value, timezone)
    if isinstance(kind, sa.Numeric):
        return _number(kind, value)
    if isinstance(value, list):
        return ", ".join(_item(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _item(value: Any) -> str:
    """One list entry; a Bescheid's plan line reads ``Personal 2017: 1.000,00 €``."""
    if isinstance(value, dict) and "planned" in value:
        name = str(value.get("category") or "")
        if "kind" in value:
            try:
                name = label(IncomeKind(value["kind"]))
            except ValueError:
                name = str(value["kind"])
        try:
            amount = format_money(Decimal(str(value["planned"])))
        except InvalidOperation:
            amount = str(value["planned"])
        return f"{name} {value.get('year', '')}: {amount}".replace("  ", " ")
    return str(value)


def _local(value: Any, timezone: ZoneInfo) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return local_time(moment, timezone)


def local_time(moment: datetime, timezone: ZoneInfo) -> str:
    """A stored UTC time in the office's time zone: ``15.03.2017 14:05``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(timezone).strftime("%d.%m.%Y %H:%M")


def _number(kind: sa.Numeric[Any], value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if kind.scale == 2 and kind.precision == 14:
        return format_money(number)
    if kind.scale == 4:
        return format_percent(number)
    return format_number(number, kind.scale or 0)


def subject(
    entity: str,
    entity_id: str,
    values: Mapping[str, Any] | None,
    names: Mapping[Ref, str],
) -> str:
    """``Frist „Zwischennachweis 2016“`` (its own name, else what it belongs to)."""
    noun = entity_name(entity)
    values = values or {}
    own = naming_field(entity)
    title = values.get(own) if own else None
    if title:
        return f"{noun} „{title}“"
    owners = [
        names[(target, str(values[key]))]
        for key in values
        if (target := referenced_table(entity, key)) is not None
        and values[key] is not None
        and (target, str(values[key])) in names
    ]
    if owners:
        return f"{noun} {' · '.join(owners)}"
    return f"{noun} Nr. {entity_id}"


def _detail(label_text: str, before: str, after: str) -> str:
    if before == EMPTY:
        # "erledigt am 15.03.2017", "Notizen: neuer Text".
        joiner = " " if label_text.endswith((" am", " vom", " ab", " bis")) else ": "
        return f"{label_text}{joiner}{after}"
    if after == EMPTY:
        return f"{label_text} {before} entfernt"
    return f"{label_text} {before} → {after}"


def describe(  # noqa: PLR0917 - the columns of one change row
    entity: str,
    entity_id: str,
    action: ChangeAction,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    names: Mapping[Ref, str],
    timezone: ZoneInfo,
) -> ChangeText:
    """One change row as words: subject, action and the changed fields."""
    current = after if after is not None else before
    name = subject(entity, entity_id, current, names)
    details: list[str] = []
    if action is ChangeAction.UPDATE and before is not None and after is not None:
        for key, new in after.items():
            old = before.get(key)
            if key in HIDDEN or old == new:
                continue
            details.append(
                _detail(
                    field_label(entity, key),
                    format_value(entity, key, old, names, timezone),
                    format_value(entity, key, new, names, timezone),
                )
            )
    return ChangeText(name, ACTION_TEXT[action], details)


def all_references(rows: Iterable[tuple[str, Any, Any]]) -> set[Ref]:
    """Every referenced row of many changes (entity, before, after)."""
    refs: set[Ref] = set()
    for entity, before, after in rows:
        refs |= references(entity, before) | references(entity, after)
    return refs
