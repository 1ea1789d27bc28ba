"""Values vote with the headers: which column really holds a field.

Header words make a column a field's candidate (``Zuwendung für …`` and
``Gesamtzuwendung`` both speak of the grant); the cells below decide. For each field
the share of sample cells that read as what the field needs (amount, date, period,
e-mail, status word, words, short code) is measured per candidate: a column whose
values do not fit never wins when another candidate fits better, and a lone
candidate whose values do not fit at all is not read (a column of budget codes
under ``Titel`` does not become the programme name). Every such choice is named
for the preview ("Fördersumme: Spalte M gewählt (Zahlen), nicht Spalte K (Text)").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from imports.headers import Header, match_column
from imports.values import (
    ValueProblem,
    clean_text,
    is_blank,
    parse_money,
    parse_period,
    parse_point,
)
from imports.words import parse_email, parse_status
from imports.xmlscan import column_letter

SAMPLE_ROWS = 60
FITS = 0.5  # a lone candidate below this share of fitting cells is not read
MARGIN = 0.2  # a later candidate must fit this much better to win
MIN_CELLS = 3  # fewer filled sample cells say nothing
CODE_RE = re.compile(r"[\d\s.,/:_\-]+[A-Za-z]{0,2}|[A-Z]{0,3}[\d.\-/]+")
LETTERS_RE = re.compile(r"[^\W\d_]{3}")

# What each field's cells must look like. Fields not named here are not checked.
MONEY = ("amount", "own_contribution", "planned", "total")
DATES = ("start", "end", "due")
WORDS = (
    "name",
    "programme",
    "title",
    "funders",
    "contact",
    "responsible",
    "recipient",
    "purpose",
    "category",
    "field_of_action",
    "organisation",
)


def _money(cell: Any) -> bool:
    if isinstance(cell, date | datetime | bool):
        return False
    try:
        parse_money(cell)
    except ValueProblem:
        return False
    return True


def _date(cell: Any) -> bool:
    try:
        parse_point(cell)
    except ValueProblem:
        return False
    return True


def _period(cell: Any) -> bool:
    try:
        parse_period(cell)
    except ValueProblem:
        return False
    return True


def _email(cell: Any) -> bool:
    try:
        parse_email(cell)
    except ValueProblem:
        return False
    return True


def _status(cell: Any) -> bool:
    try:
        return parse_status(cell).programme is not None
    except ValueProblem:
        return False


def is_code(cell: Any) -> bool:
    """A short code: ``684.12``, ``01.6``, ``86``, ``B-12/3`` – no words."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return True
    text = clean_text(cell)
    return bool(text) and len(text) <= 20 and bool(CODE_RE.fullmatch(text))


def _words(cell: Any) -> bool:
    if not isinstance(cell, str):
        return False
    return bool(LETTERS_RE.search(cell)) and not is_code(cell)


CHECKS: dict[str, Callable[[Any], bool]] = {
    **dict.fromkeys(MONEY, _money),
    **dict.fromkeys(DATES, _date),
    **dict.fromkeys(WORDS, _words),
    "period": _period,
    "email": _email,
    "status": _status,
}
# The cells' own kind, named in the preview.
KIND_NAMES = {
    "number": "Zahlen",
    "date": "Daten",
    "email": "E-Mail-Adressen",
    "code": "Kennzahlen",
    "text": "Text",
}


def describe(cells: Sequence[Any]) -> str:
    """What a column mostly holds, in German (``Zahlen``, ``Text`` …)."""
    kinds: Counter[str] = Counter()
    for cell in cells:
        if isinstance(cell, date | datetime):
            kinds["date"] += 1
        elif isinstance(cell, int | float) and not isinstance(cell, bool):
            kinds["number"] += 1
        elif _email(cell):
            kinds["email"] += 1
        elif _money(cell):
            kinds["number"] += 1
        elif is_code(cell):
            kinds["code"] += 1
        elif _date(cell):
            kinds["date"] += 1
        else:
            kinds["text"] += 1
    if not kinds:
        return "leer"
    return KIND_NAMES[kinds.most_common(1)[0][0]]


def _cells(rows: Sequence[Sequence[Any]], col: int) -> list[Any]:
    return [row[col] for row in rows if col < len(row) and not is_blank(row[col])]


def fit(field: str, cells: Sequence[Any]) -> float | None:
    """Share of cells that read as the field needs (None: nothing to judge)."""
    check = CHECKS.get(field)
    if check is None or len(cells) < MIN_CELLS:
        return None
    return sum(1 for cell in cells if check(cell)) / len(cells)


def candidates(
    header: Header, extra: dict[str, str] | None = None
) -> dict[str, list[int]]:
    """Per field: the column read now, then other columns whose header names it."""
    found = {c.field: [i] for i, c in header.columns.items()}
    for index, label in sorted(header.unread.items()):
        column = match_column(label, header.kind, extra)
        if column is not None and column.field in found:
            found[column.field].append(index)
    return found


def vote(
    header: Header,
    rows: Sequence[Sequence[Any]],
    extra: dict[str, str] | None = None,
    fixed: frozenset[str] = frozenset(),
) -> None:
    """Let the values below the header decide between a field's candidates.

    ``rows`` are the first rows below the header; ``fixed`` fields were chosen by
    the user (a profile, ``--map``) and are left alone. Changes ``header`` in
    place and adds a note per decision worth telling.
    """
    sample = [list(row) for row in rows[:SAMPLE_ROWS]]
    if not sample:
        return
    for field_name, found in candidates(header, extra).items():
        if field_name not in CHECKS or field_name in fixed:
            continue
        cells = {col: _cells(sample, col) for col in found}
        scores = {col: fit(field_name, cells[col]) for col in found}
        first = found[0]
        chosen = first
        for col in found[1:]:
            score, best = scores[col], scores[chosen]
            if score is not None and (best is None or score > best + MARGIN):
                chosen = col
        column = header.columns[first]
        label = column.label
        if chosen != first:
            _move(header, first, chosen)
            header.notes.append(
                f"{label}: Spalte {column_letter(chosen)} gewählt "
                f"({describe(cells[chosen])}), nicht Spalte {column_letter(first)} "
                f"({describe(cells[first])})."
            )
        score = scores[chosen]
        if score is not None and score < FITS:
            _drop(header, chosen)
            name = header.labels.get(chosen) or header.unread.get(chosen, "")
            header.notes.append(
                f"Spalte {column_letter(chosen)} („{name}“) wird nicht als "
                f"„{label}“ gelesen: sie enthält {describe(cells[chosen])}."
            )


def _move(header: Header, old: int, new: int) -> None:
    """Read the field from column ``new`` instead of ``old``."""
    column = header.columns.pop(old)
    header.unread[old] = header.labels.pop(old, "")
    header.columns[new] = column
    header.labels[new] = header.unread.pop(new, "") or clean_text(column.label)


def _drop(header: Header, col: int) -> None:
    """Do not read a column whose values are not the field's."""
    header.columns.pop(col, None)
    if col in header.labels:
        header.unread[col] = header.labels.pop(col)
