"""Read form fields the way people type them, with German messages for mistakes.

Each parser returns the value or records one German sentence under the field's name
in an ``Errors`` dict; a view re-renders its form with those messages and status 422
instead of saving anything.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)
Errors = dict[str, str]
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")


def parse_enum(enum: type[E], text: str) -> E | None:
    """An enum value from a filter parameter; unknown or empty means no filter."""
    try:
        return enum(text) if text else None
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    """A date typed as 15.03.2017, 15.3.17 or 2017-03-15 (None if it is none)."""
    text = text.strip()
    match = _GERMAN_DATE.match(text)
    try:
        if match:
            day, month, year = (int(p) for p in match.groups())
            return date(year + 2000 if year < 100 else year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        return None


def date_field(
    errors: Errors, name: str, text: str, *, required: bool = False
) -> date | None:
    """A date field; records an error if it is required or not a date."""
    if not text.strip():
        if required:
            errors[name] = "Bitte ein Datum angeben (z. B. 15.03.2017)."
        return None
    value = parse_date(text)
    if value is None:
        errors[name] = f"„{text}“ ist kein Datum – bitte so schreiben: 15.03.2017."
    return value


def money_field(errors: Errors, name: str, text: str) -> Decimal | None:
    """A money field typed as 1.234,56 or 1234.56; never negative."""
    cleaned = text.replace("€", "").replace(" ", "").strip()
    if not cleaned:
        return None
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        errors[name] = f"„{text}“ ist kein Betrag – bitte so schreiben: 12.500,00."
        return None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        errors[name] = "Der Betrag muss zwischen 0 und 999.999.999.999 liegen."
        return None
    return value.quantize(Decimal("0.01"))


def text_field(
    errors: Errors,
    name: str,
    text: str,
    *,
    required: bool = False,
    max_length: int = 300,
) -> str | None:
    """A text field, trimmed; empty means None."""
    value = text.strip()
    if not value:
        if required:
            errors[name] = "Bitte ausfüllen."
        return None
    if len(value) > max_length:
        errors[name] = f"Höchstens {max_length} Zeichen (jetzt {len(value)})."
    return value


def enum_field(errors: Errors, name: str, enum: type[E], text: str) -> E | None:
    """A choice field; records an error for an unknown value."""
    try:
        return enum(text)
    except ValueError:
        errors[name] = "Bitte einen Eintrag aus der Liste wählen."
        return None
