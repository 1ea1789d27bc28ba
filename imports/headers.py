"""Find the header row of a sheet and map its cells to fields.

Office sheets start with titles, a "Stand: …" line, blank rows and merged cells; the
header is the row (among the first 30) whose cells name the most known fields. Header
words are compared after ``normalize``: lower case, umlauts folded (``ä`` → ``ae``),
line breaks and bracketed units (``Fördersumme (€)``) dropped, gender forms
(``Ansprechpartner/in``) reduced. A header that is not an alias itself still maps when
its first known word is one (``Beginn der Maßnahme`` → start); a period word with
``von``/``bis`` (``Laufzeit von``, ``Förderzeitraum (bis)``, or ``von | bis`` under a
merged ``Laufzeit``) is the start or the end, not the whole period. A column whose
header is a year (``2016``) is a year column of a budget plan. Header cells that name
no field (or a field an earlier column already names) are kept as ``unread``, so the
preview can say which columns it ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from imports.columns import COLUMNS, Column
from imports.values import clean_text
from portfolio.domain.records import SheetKind

HEADER_SEARCH_ROWS = 30
COMPOUND_MIN = 6  # shortest alias that ends a compound header word
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
BRACKETS_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}")
GENDER_RE = re.compile(r"(?<=\w)(?:/-?|\*|:|_)in(?:nen)?\b")
YEAR_HEADER_RE = re.compile(r"(?:hj|haushaltsjahr|jahr)?\s*((?:19|20)\d{2})")
# Words that turn a period header ("Laufzeit") into its start or its end.
START_WORDS = frozenset({"von", "ab", "beginn", "start", "anfang", "from", "begin"})
END_WORDS = frozenset({"bis", "ende", "end", "until", "to"})


def _bracket(m: re.Match[str]) -> str:
    """Drop a bracketed unit, but keep ``(von)``/``(bis)``: they name the field."""
    inner = m[0][1:-1].strip().lower()
    return f" {inner} " if inner in START_WORDS | END_WORDS else " "


def normalize(raw: Any) -> str:
    """Fold a header cell to compare it with aliases."""
    value = clean_text(raw).lower()
    value = GENDER_RE.sub("", value)
    value = BRACKETS_RE.sub(_bracket, value).translate(UMLAUTS)
    value = re.sub(r"[^a-z0-9_]+", " ", value)
    return " ".join(value.split())


def _alias_table(
    columns: tuple[Column, ...],
) -> tuple[dict[str, Column], dict[str, Column]]:
    exact: dict[str, Column] = {}
    words: dict[str, Column] = {}
    for column in columns:
        for alias in column.aliases:
            key = normalize(alias)
            exact.setdefault(key, column)
            if " " not in key and len(key) > 3 and not key.startswith("_"):
                words.setdefault(key, column)
    return exact, words


ALIASES = {kind: _alias_table(columns) for kind, columns in COLUMNS.items()}


def year_of_header(raw: Any) -> int | None:
    """Return the year a budget column stands for (``2016``, ``HJ 2017``), or None."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return int(raw) if float(raw).is_integer() and 1990 <= raw <= 2100 else None
    m = YEAR_HEADER_RE.fullmatch(normalize(raw))
    return int(m[1]) if m else None


def match_column(
    raw: Any,
    kind: SheetKind,
    extra: dict[str, str] | None = None,
    *,
    compound: bool = True,
) -> Column | None:
    """Map one header cell to a column of a kind (profile words first)."""
    key = normalize(raw)
    if not key:
        return None
    exact, words = ALIASES[kind]
    if extra and key in extra:
        field_name = extra[key]
        return next((c for c in COLUMNS[kind] if c.field == field_name), None)
    if key in exact:
        return exact[key]
    parts = key.split()
    for word in parts:
        if word in words:
            return _bound(words[word], parts, kind)
    # A German compound is what its last part is: "Gesamtzuwendung" is a
    # Zuwendung ("Zuwendungsempfänger" is not: its last part is Empfänger).
    return _compound(parts, words, kind) if compound else None


def _compound(
    parts: list[str], words: dict[str, Column], kind: SheetKind
) -> Column | None:
    """The column a compound header word ends with (``gesamtzuwendung``)."""
    for word in parts:
        for alias, column in words.items():
            if len(alias) >= COMPOUND_MIN and word.endswith(alias):
                return _bound(column, parts, kind)
    return None


def _bound(column: Column, parts: list[str], kind: SheetKind) -> Column:
    """``Laufzeit von`` is the start and ``Laufzeit bis`` the end, not the period.

    A header with both words (``Laufzeit von – bis``) stays the whole period.
    """
    if column.field != "period":
        return column
    start, end = (
        bool(START_WORDS.intersection(parts)),
        bool(END_WORDS.intersection(parts)),
    )
    if start == end:
        return column
    wanted = "start" if start else "end"
    return next((c for c in COLUMNS[kind] if c.field == wanted), column)


@dataclass(slots=True)
class Header:
    """A found header: its row(s), column index → field, and year columns."""

    row: int
    kind: SheetKind
    columns: dict[int, Column] = field(default_factory=dict)
    years: dict[int, int] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    last_row: int = 0
    # Header cells that name no field, or a field an earlier column names: not read.
    unread: dict[int, str] = field(default_factory=dict)
    # What the values below decided (``voting``), for the preview.
    notes: list[str] = field(default_factory=list)

    def fields(self) -> set[str]:
        """The fields the header names."""
        return {c.field for c in self.columns.values()}


def map_row(
    cells: list[Any], kind: SheetKind, extra: dict[str, str] | None = None
) -> Header:
    """Map every cell of a candidate header row for one kind."""
    header = Header(0, kind)
    taken: set[str] = set()
    rest: list[int] = []
    if extra:  # a profile's words first: they win over the usual ones
        for index, cell in enumerate(cells):
            column = (
                match_column(cell, kind, extra) if normalize(cell) in extra else None
            )
            if column is not None and column.field not in taken:
                taken.add(column.field)
                header.columns[index] = column
                header.labels[index] = clean_text(cell)
    for index, cell in enumerate(cells):
        if index in header.columns:
            continue
        if kind is SheetKind.BUDGET and (year := year_of_header(cell)) is not None:
            header.years[index] = year
            header.labels[index] = clean_text(cell)
            continue
        column = match_column(cell, kind, extra, compound=False)
        if column is not None and column.field not in taken:
            taken.add(column.field)
            header.columns[index] = column
            header.labels[index] = clean_text(cell)
        else:
            rest.append(index)
    # Compounds ("Gesamtzuwendung") only for fields no plainer header names:
    # "Gesamtlaufzeit" beside "Laufzeit" is not the term.
    for index in rest:
        column = match_column(cells[index], kind, extra)
        if column is not None and column.field not in taken:
            taken.add(column.field)
            header.columns[index] = column
            header.labels[index] = clean_text(cells[index])
        elif label := clean_text(cells[index]):
            header.unread[index] = label
    return header


def score(header: Header) -> int:
    """How convincingly a row is a header of its kind."""
    fields = header.fields()
    points = len(fields)
    if header.kind is SheetKind.BUDGET:
        wide = bool(header.years)
        long = {"year", "planned"} <= fields
        points = (
            (len(fields) + min(len(header.years), 3))
            if (wide or long) and "category" in fields
            else 0
        )
    elif header.kind is SheetKind.PROGRAMMES:
        has_detail = fields & {
            "funders",
            "period",
            "start",
            "amount",
            "status",
            "reference",
        }
        named = fields & {"name", "recipient", "purpose"}
        points = points + 1 if named and has_detail else 0
    elif header.kind is SheetKind.OBLIGATIONS:
        points = (
            points + 1
            if "due" in fields and fields & {"programme", "title", "key"}
            else 0
        )
    elif header.kind is SheetKind.CONTACTS:
        shape = "name" in fields and "email" in fields
        points = points if shape and len(fields) >= 2 else 0
    elif header.kind is SheetKind.DISBURSEMENTS:
        # A payment has an amount, a day it was called or received, and an award.
        paid = bool(
            "amount" in fields
            and fields & {"requested_on", "received_on"}
            and fields & {"programme", "key", "award_id", "reference"}
        )
        points = points + 1 if paid else 0
    return points


def find_header(
    rows: list[list[Any]],
    kinds: list[SheetKind],
    extra: dict[str, str] | None = None,
    header_row: int | None = None,
) -> Header | None:
    """Pick the row and kind that name the most fields (rows are the sheet's first)."""
    best: Header | None = None
    best_score = 1
    candidates = (
        [header_row]
        if header_row is not None
        else range(min(len(rows), HEADER_SEARCH_ROWS))
    )
    for index in candidates:
        if index >= len(rows):
            continue
        for kind in kinds:
            header = map_row(rows[index], kind, extra)
            points = score(header)
            if points > best_score:
                header.row = header.last_row = index
                best, best_score = header, points
    if best is not None and best.row + 1 < len(rows):
        _merge_second_row(best, rows[best.row + 1], extra)
    return best


def _merge_second_row(
    header: Header, cells: list[Any], extra: dict[str, str] | None
) -> None:
    """Take sub-headers such as ``von | bis`` under a merged ``Laufzeit``."""
    below = map_row(cells, header.kind, extra)
    new = {
        i: c
        for i, c in below.columns.items()
        if i not in header.columns or _narrows(header.columns[i], c)
    }
    if not new:
        return
    filled = [clean_text(c) for c in cells if clean_text(c)]
    # Only a row made entirely of short header words is a second header row.
    if len(new) < len(filled) or any(len(text) > 40 for text in filled):
        return
    # A merged "Laufzeit" over "von | bis" is read as start and end.
    above = {i: header.labels[i] for i in new if header.columns.pop(i, None)}
    taken = header.fields()
    for index, column in new.items():
        if column.field not in taken:
            taken.add(column.field)
            header.columns[index] = column
            label = below.labels[index]
            header.labels[index] = (
                f"{above[index]} {label}" if index in above else label
            )
            header.unread.pop(index, None)
    header.last_row = header.row + 1


def _narrows(above: Column, below: Column) -> bool:
    """Whether a sub-header (``von``) makes a period column its start or end."""
    return above.field == "period" and below.field in {"start", "end"}
