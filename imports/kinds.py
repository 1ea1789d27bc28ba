"""Decide what a sheet is: which kind of table, or a sheet to skip (and why).

Hidden sheets, chart sheets and sheets of dropdown lists are skipped and listed; every
other sheet is searched for a header of the kinds allowed (all four unless ``--kind``
forces one), and the kind whose columns the header names best wins.
"""

from __future__ import annotations

import re
from typing import Any

from imports.headers import Header, find_header
from imports.values import clean_text
from portfolio.domain.records import SheetKind

LIST_SHEET_RE = re.compile(
    r"(liste|listen|dropdown|auswahl|werte|lookup|lists?|stammdaten|hilfs|codes?"
    r"|validierung|validation|parameter|config|einstellungen)",
    re.IGNORECASE,
)


def looks_like_list_sheet(name: str, rows: list[list[Any]]) -> bool:
    """Whether a sheet holds dropdown lists: its name says so and it has no header."""
    if not LIST_SHEET_RE.search(name):
        return False
    filled = [sum(1 for c in row if clean_text(c)) for row in rows[:30]]
    return not filled or max(filled) <= 4


def classify(
    rows: list[list[Any]],
    forced: SheetKind | None = None,
    extra: dict[str, str] | None = None,
    header_row: int | None = None,
) -> Header | None:
    """Find the header and the kind of a sheet from its first rows."""
    kinds = [forced] if forced else list(SheetKind)
    return find_header(rows, kinds, extra, header_row)
