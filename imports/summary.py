"""A plain-text account of what the reading layer found in a file.

Used by the golden tests of the sample workbooks and for debugging a layout: sheets
imported (kind, header row, columns), sheets skipped and why, then every record with
its values, every skipped row with why and every rejected cell with the reason.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from portfolio.domain.money import format_money
from portfolio.domain.periods import Period, format_date
from portfolio.domain.records import KIND_LABELS, FileResult, FunderRef, SheetResult


def show(value: Any) -> str:  # noqa: PLR0911 - one return per type
    """Write one parsed value the German way."""
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, Period):
        end = value.end_precision
        return f"{value} [{value.precision.value}{f'/{end.value}' if end else ''}]"
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, FunderRef):
        return f"{value.name} ({value.kind.value if value.kind else '?'})"
    if isinstance(value, tuple):
        return " / ".join(show(v) for v in value if v is not None)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return str(value)


def describe(result: FileResult) -> str:
    """Describe everything read from one file."""
    lines = [f"Datei: {result.file} ({result.format})"]
    lines += [
        f"Blatt {s.sheet!r} übersprungen: {s.reason}" for s in result.skipped_sheets
    ]
    for sheet in result.sheets:
        lines += _sheet(sheet)
    return "\n".join(lines) + "\n"


def _sheet(sheet: SheetResult) -> list[str]:
    lines = [
        "",
        f"Blatt {sheet.sheet!r}: {KIND_LABELS[sheet.kind]}, "
        f"Kopfzeile {sheet.header_row}",
        "  Spalten: " + ", ".join(f"{k}={v!r}" for k, v in sheet.columns.items()),
        f"  Zeilen: {sheet.data_rows} = {len(sheet.records)} gelesen + "
        f"{len(sheet.skipped)} übersprungen + {sheet.rejected_rows} abgelehnt"
        f" (Leerzeilen: {sheet.blank_rows})",
    ]
    lines += [f"  Hinweis: {note}" for note in sheet.notes]
    for record in sheet.records:
        fields = "; ".join(f"{k}: {show(v)}" for k, v in record.values.items())
        lines.append(f"  Zeile {record.source.row}: {fields}")
    for skipped in sheet.skipped:
        where = f"  Zeile {skipped.source.row} übersprungen"
        lines.append(f"{where} ({skipped.reason}): {skipped.text}")
    for problem in sheet.rejected:
        lines.append(f"  abgelehnt: {problem}")
    return lines
