"""Turn the rows below a header into records, skipped rows and rejected rows.

Every row that holds anything ends in exactly one of three lists, so the preview's
counts add up to the sheet's rows: a ``Record`` (values parsed per column), a
``Skipped`` row (sum rows: a ``=SUM(…)`` formula, or a label such as ``Summe`` or
``Gesamt:`` with amounts – ``Gesamt-Konzept Ganztag`` next to a funder is a
programme –, footnotes such as ``* Beträge ohne Gewähr``, headings merged across the
table), or
rejected with one ``Problem`` per unreadable cell (file, sheet, row, column, value,
why, what to do). A formula without a cached value is a problem, never a zero. Blank
rows are counted, not listed. The sheet's notes name header cells that are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from math import isfinite
from typing import Any

from imports.columns import MAX_LENGTH, REQUIRED, Column, money, text
from imports.finish import finish
from imports.headers import Header
from imports.values import SPACES, ValueProblem, clean_text, is_blank, parse_money
from imports.words import StatusWord
from imports.xmlscan import SheetFacts, column_letter
from portfolio.domain.errors import Problem
from portfolio.domain.records import Record, SheetKind, SheetResult, Skipped, Source

SUM_RE = re.compile(
    r"^(summe|summen|gesamt|gesamtsumme|insgesamt|zwischensumme|total|totals|sum|"
    r"gesamtbetrag|endsumme)\b",
    re.IGNORECASE,
)
# What a text that SUM_RE matches starts with (after blanks clean_text drops).
SUM_START = re.compile(r"[\s\u200b]*[sgizte]", re.IGNORECASE)
SUM_FORMULA_RE = re.compile(
    r"\b(SUM|SUMME|SUBTOTAL|TEILERGEBNIS|SUMIF|SUMMEWENN)\(", re.I
)
FOOTNOTE_RE = re.compile(
    r"^(\*|¹|²|³|\(\d\)|\d\)|hinweis|anmerkung|quelle|stand|fußnote|fussnote|note|"
    r"source|erläuterung|legende)",
    re.IGNORECASE,
)
MAX_TEXT = 2000
MAX_UNREAD = 12  # header names listed in the "not read" note
MEMO_SIZE = 20_000  # distinct values remembered per column
MISSING = object()
SKIP = object()  # a planned cell that gives no value: blank, or a problem
KEY_FIELDS = ("key", "id", "award_id", "stamp")  # hidden, but always read
IGNORED_FIELDS = ("total",)  # derived sums: recomputed, never trusted
TOO_LONG_HINT = "Kürzen Sie den Eintrag oder schreiben Sie Details in Bemerkungen."
EMPTY_ROW = "Zeile ohne Werte in den erkannten Spalten"
UNCACHED = "Die Formel hat keinen gespeicherten Wert."
UNCACHED_HINT = (
    "Öffnen und speichern Sie die Datei in Excel, damit der Wert berechnet wird."
)
IDENTIFYING = {
    SheetKind.PROGRAMMES: ("name", "key", "id", "reference"),
    SheetKind.OBLIGATIONS: ("due", "title", "programme", "key", "id"),
    SheetKind.CONTACTS: ("name", "email", "id"),
    SheetKind.BUDGET: ("category", "amounts"),
    SheetKind.DISBURSEMENTS: ("amount", "requested_on", "received_on"),
}


def _cut(text: str, limit: int) -> str:
    """Shorten a text to ``limit`` characters, marking the cut with "…"."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text(cells: list[Any]) -> str:
    """The row's filled cells as one short line (for skipped rows)."""
    return _cut(
        " | ".join(_cut(clean_text(c), 60) for c in cells if not is_blank(c)), 200
    )


def _is_sum_label(text: str, others: Iterable[Any]) -> bool:
    """Whether a text that starts with a sum word labels a sum row.

    "Summe", "Gesamt:", "Summe 2017" always do. A sum word in a compound or with
    more words ("Gesamt-Konzept Ganztag", "Total digital!", "Zwischensumme Land
    NRW") only does when no other cell of the row holds words (a funder, a status,
    "seit 2017") – only amounts: a sum row carries a label and numbers.
    """
    m = SUM_RE.match(text)
    if m is None:
        return False
    if not any(c.isalpha() for c in text[m.end() :]):
        return True
    return not any(_has_words(cell) for cell in others)


def _has_words(cell: Any) -> bool:
    """Whether a cell holds text with letters that is not an amount (120 TEUR)."""
    if not isinstance(cell, str) or not any(c.isalpha() for c in cell):
        return False
    try:
        parse_money(cell)
    except ValueProblem:
        return True
    return False


def _filled(cells: list[Any]) -> dict[int, Any]:
    """The cells that are not blank, by column (``is_blank``, inlined: hot)."""
    filled = {}
    for col, cell in enumerate(cells):
        if isinstance(cell, str):
            if not cell or cell.isspace():
                continue
            if "\u200b" in cell and not SPACES.sub("", cell):
                continue
        elif cell is None:
            continue
        filled[col] = cell
    return filled


# A text that may start a sum label (SUM_RE), a formula or a blank: the first
# three texts of a row that starts none of these cannot make it a sum row.
ODD_START = re.compile(
    r"[\s\u200b=]|(?:summe|summen|gesamt|gesamtsumme|insgesamt|zwischensumme|total"
    r"|totals|sum|gesamtbetrag|endsumme)\b",
    re.IGNORECASE,
)


def _ordinary(cells: list[Any], plain: set[str]) -> bool:
    """Whether a row is data for sure (what ``_not_data`` says of most rows).

    It has more than two filled cells, and none of its first three texts starts
    a sum label, a formula or blanks; any other row takes the long way. Texts
    found ``plain`` are remembered: lists repeat names and dates.
    """
    texts = filled = 0
    for cell in cells:
        if type(cell) is str:
            if not cell:
                continue
            if texts < 3:
                if cell not in plain:
                    if ODD_START.match(cell):
                        return False
                    if len(plain) >= MEMO_SIZE:
                        plain.clear()
                    plain.add(cell)
                texts += 1
        elif cell is None:
            continue
        elif isinstance(cell, str):
            return False
        filled += 1
        if filled > 2 and texts == 3:
            return True
    return filled > 2


RANGE_RE = re.compile(r"\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)")


def is_vertical_sum(formula: str) -> bool:
    """Whether a formula sums cells above it (``=SUM(C5:C20)``), not across a row."""
    if not SUM_FORMULA_RE.search(formula):
        return False
    return any(m[1] == m[3] and m[2] != m[4] for m in RANGE_RE.finditer(formula))


class TableReader:
    """Reads one sheet's data rows under a found header."""

    def __init__(
        self,
        result: SheetResult,
        header: Header,
        facts: SheetFacts,
        merged: list[tuple[tuple[int, int], tuple[int, int]]],
        date1904: bool,
    ) -> None:
        """Prepare the column plan once; rows are then read one by one."""
        self.result = result
        self.header = header
        self.facts = facts
        self.date1904 = date1904
        self.hidden = facts.hidden_columns
        self.plan = [
            (i, c)
            for i, c in sorted(header.columns.items())
            if (i not in self.hidden or c.field in KEY_FIELDS)
            and c.field not in IGNORED_FIELDS
        ]
        self.years = {i: y for i, y in header.years.items() if i not in self.hidden}
        self.mapped = {i for i, _ in self.plan} | set(self.years)
        self.wide_merges = {
            r0: (c0, c1) for (r0, c0), (_r1, c1) in merged if c1 - c0 >= 2
        }
        self.required = REQUIRED[header.kind]
        self.required_set = frozenset(self.required)
        # Texts met among a row's first three that start no sum word or formula.
        self.plain_texts: set[str] = set()
        self.names: dict[int, str] = {}
        self.names = {i: self._column_name(i) for i, _ in self.plan}
        self.identifying = IDENTIFYING[header.kind]
        # Per planned column: its memo of parsed values and its text limit.
        self.steps: list[tuple[int, Column, dict[Any, Any], int, bool]] = [
            (i, c, {}, MAX_LENGTH.get(c.field, MAX_TEXT), c.parse is text)
            for i, c in self.plan
        ]
        self.shared_columns: dict[tuple[int, ...], dict[str, str]] = {}
        # Per planned column its readable cells remembered by ``_values``: a str
        # by itself, anything else by (type, value); SKIP for a blank cell.
        self.fast_steps: list[tuple[int, str, dict[Any, Any], int, bool, bool]] = [
            (i, column.field, {}, position, plain, column.parse is money)
            for position, (i, column, _memo, _limit, plain) in enumerate(self.steps)
        ]
        self.cols = tuple(i for i, _ in self.plan)
        self.width = max(self.cols, default=-1) + 1
        self.gap_columns: dict[tuple[int, ...], dict[str, str]] = {}
        self.uncached_rows = {r for r, _ in facts.uncached}
        self.unknown_status: dict[str, int] = {}
        self.sum_rows = {
            r for (r, _), f in facts.formulas.items() if is_vertical_sum(f)
        }
        ignored = sorted(
            i for i in header.columns if i in self.hidden and i not in self.mapped
        )
        if ignored:
            names = ", ".join(header.labels.get(i, column_letter(i)) for i in ignored)
            result.notes.append(f"Ausgeblendete Spalten werden nicht gelesen: {names}.")
        # Visible header cells that name no field: say so, or data goes missing
        # silently ("Gesamtlaufzeit" read as nothing). Hidden ones are noted above.
        unread = [t for i, t in sorted(header.unread.items()) if i not in self.hidden]
        if unread:
            names = ", ".join(_cut(name, 40) for name in unread[:MAX_UNREAD])
            more = ", …" if len(unread) > MAX_UNREAD else "."
            result.notes.append(f"Nicht eingelesene Spalten: {names}{more}")

    def read(self, rows: Iterable[tuple[int, list[Any]]]) -> None:
        """Sort every row below the header into records, skipped and rejected."""
        pending_blank = 0
        last_row = self.header.last_row
        sum_rows, plain_texts = self.sum_rows, self.plain_texts
        for index, cells in rows:
            if index <= last_row:
                continue
            # Most rows are data: more than two cells, no sum word or formula.
            if _ordinary(cells, plain_texts) and index not in sum_rows:
                if pending_blank:
                    self.result.blank_rows += pending_blank
                    pending_blank = 0
                self._data(index, cells)
                continue
            filled = _filled(cells)
            if not filled:
                pending_blank += 1
                continue
            self.result.blank_rows += pending_blank
            pending_blank = 0
            self._row(index, cells, filled)
        self._name_unknown_status()

    def _name_unknown_status(self) -> None:
        """Each status word portfolio does not know, once, with its rows."""
        for word, count in sorted(self.unknown_status.items()):
            rows = "1 Zeile" if count == 1 else f"{count} Zeilen"
            self.result.notes.append(
                f"Unbekannter Status „{word}“ ({rows}): die Zeilen werden "
                "übernommen, der Status steht in den Bemerkungen."
            )

    def _source(self, index: int) -> Source:
        return Source(self.result.file, self.result.sheet, index + 1)

    def _row(self, index: int, cells: list[Any], filled: dict[int, Any]) -> None:
        reason = self._not_data(index, cells, filled)
        if reason:
            self.result.skipped.append(
                Skipped(self._source(index), reason, _text(cells))
            )
            return
        self._data(index, cells)

    def _data(self, index: int, cells: list[Any]) -> None:
        """A row that is not a sum, footnote or heading: a record or problems."""
        problems: list[Problem] = []
        values, columns = self._values(index, cells, problems)
        status = values.get("status")
        unknown = (
            status.word
            if type(status) is StatusWord and status.programme is None
            else None
        )
        if self.years:
            values["amounts"] = self._years(index, cells, problems)
        if not problems and (bad := finish(self.header.kind, values)):
            name, trouble = bad
            col = next((i for i, c in self.plan if c.field == name), 0)
            raw = cells[col] if col < len(cells) else ""
            problems.append(
                self._problem(index, col, raw, trouble.reason, trouble.hint)
            )
        if not problems and not values.keys() >= self.required_set:
            missing = [f for f in self.required if f not in values]
            if missing and not any(values.get(f) for f in self.identifying):
                self.result.skipped.append(
                    Skipped(self._source(index), EMPTY_ROW, _text(cells))
                )
                return
            problems = [self._missing(index, name) for name in missing]
        if problems:
            self.result.rejected.extend(problems)
            return
        source = Source(self.result.file, self.result.sheet, index + 1)
        self.result.records.append(Record(self.header.kind, source, values, columns))
        if unknown is not None:
            self.unknown_status[unknown] = self.unknown_status.get(unknown, 0) + 1

    def _values(
        self, index: int, cells: list[Any], problems: list[Problem]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The row's parsed cells by field, and the columns they came from.

        Lists repeat names, dates and marks: each planned column remembers its
        readable cells by type and value (``1``, ``1.0`` and ``True`` stay apart)
        with what they give, or SKIP for a blank one; the rest is read by
        ``_cell_value``.
        """
        if index in self.uncached_rows:
            return self._values_uncached(index, cells, problems)
        if len(cells) < self.width:
            cells = cells + [None] * (self.width - len(cells))
        values: dict[str, Any] = {}
        gaps: list[int] = []
        for col, field, fast, position, plain, amount in self.fast_steps:
            raw = cells[col]
            if type(raw) is not str:
                value = fast.get((type(raw), raw), MISSING)
                if value is MISSING:
                    if amount and type(raw) is float and isfinite(raw):
                        value = parse_money(raw)  # amounts: mostly each its own
                    else:
                        value = self._cell_value(index, position, raw, problems)
            elif (value := fast.get(raw, MISSING)) is MISSING:
                if plain:
                    value = self._text(index, position, raw, problems)
                else:
                    value = self._cell_value(index, position, raw, problems)
            if value is SKIP:
                gaps.append(col)
                continue
            values[field] = value
        columns = self.gap_columns.get(tuple(gaps))
        if columns is None:
            used = tuple(i for i in self.cols if i not in gaps)
            columns = self.gap_columns[tuple(gaps)] = self._columns(used)
        return values, columns

    def _text(
        self, index: int, position: int, raw: str, problems: list[Problem]
    ) -> Any:
        """A text column's new cell (titles, references): ``clean_text``, inlined."""
        value = raw.strip()
        if "  " in value or not value.isprintable():
            value = clean_text(raw)
        if len(value) > self.steps[position][3]:
            return self._cell_value(index, position, raw, problems)  # the problem
        fast = self.fast_steps[position][2]
        if len(fast) >= MEMO_SIZE:
            fast.clear()  # the next rows repeat the latest texts, if any
        result: Any = value or SKIP
        fast[raw] = result
        return result

    def _cell_value(
        self, index: int, position: int, raw: Any, problems: list[Problem]
    ) -> Any:
        """A planned cell not remembered: its value, or SKIP (blank, a problem)."""
        col, column, memo, limit, plain = self.steps[position]
        fast = self.fast_steps[position][2]
        key = raw if type(raw) is str else (type(raw), raw)
        if len(fast) >= MEMO_SIZE:
            fast.clear()  # the next rows repeat the latest cells, if any
        if raw is None or (isinstance(raw, str) and is_blank(raw)):
            fast[key] = SKIP
            return SKIP
        value = memo.get(key, MISSING)
        if value is MISSING:
            if plain and len(memo) >= MEMO_SIZE and type(raw) is str:
                # A column of unique texts (titles): clean_text, inlined.
                value = raw.strip()
                if "  " in value or not value.isprintable():
                    value = clean_text(raw)
            else:
                value = self._parse(column, memo, raw)
        if isinstance(value, ValueProblem):
            problems.append(self._problem(index, col, raw, value.reason, value.hint))
            return SKIP
        if type(value) is str:  # not StrEnum: slicing would drop the enum type
            if not value:
                value = SKIP
            elif len(value) > limit:
                why = f"Der Text ist zu lang ({len(value)} statt {limit} Zeichen)."
                short = value[:40] + "…"
                problems.append(self._problem(index, col, short, why, TOO_LONG_HINT))
                return SKIP
        # Mutable results are not shared between records (as in ``_parse``).
        if not isinstance(value, list | dict | set):
            fast[key] = value
        return value

    def _values_uncached(
        self, index: int, cells: list[Any], problems: list[Problem]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """``_values`` for a row with formulas that have no cached value."""
        values: dict[str, Any] = {}
        used: list[int] = []
        uncached = self.facts.uncached
        for col, field, _fast, position, _plain, _limit in self.fast_steps:
            if (index, col) in uncached:
                self._cell(index, col, cells, problems)
                continue
            raw = cells[col] if col < len(cells) else None
            value = self._cell_value(index, position, raw, problems)
            if value is not SKIP:
                values[field] = value
                used.append(col)
        return values, self._columns(tuple(used))

    def _columns(self, used: tuple[int, ...]) -> dict[str, str]:
        """Field → column name, one shared (read-only) dict per set of columns."""
        columns = self.shared_columns.get(used)
        if columns is None:
            fields = {i: c.field for i, c in self.plan}
            columns = {fields[i]: self._column_name(i) for i in used}
            self.shared_columns[used] = columns
        return columns

    def _parse(self, column: Column, memo: dict[Any, Any], raw: Any) -> Any:
        """Parse a cell not seen before in its column; return a problem, not raise.

        Lists repeat names, dates and marks, so most cells are parsed once.
        """
        key = raw if type(raw) is str else (type(raw), raw)
        try:
            value = column.parse(raw, self.date1904)
        except ValueProblem as exc:
            value = exc
        # Mutable results are not shared between records; unique texts (titles)
        # would only fill the memo.
        if len(memo) < MEMO_SIZE and not isinstance(value, list | dict | set):
            memo[key] = value
        return value

    def _cell(
        self, index: int, col: int, cells: list[Any], problems: list[Problem]
    ) -> Any:
        """Return a cell's raw value, or None when blank or an uncached formula."""
        if (index, col) in self.facts.uncached:
            formula = "=" + self.facts.formulas[(index, col)]
            problems.append(self._problem(index, col, formula, UNCACHED, UNCACHED_HINT))
            return None
        raw = cells[col] if col < len(cells) else None
        return None if is_blank(raw) else raw

    def _missing(self, index: int, name: str) -> Problem:
        columns = {c.field: (i, c.label) for i, c in self.header.columns.items()}
        col, label = columns.get(name, (None, name))
        return Problem(
            f"Pflichtangabe „{label}“ fehlt.",
            self.result.file,
            self.result.sheet,
            index + 1,
            # The cell to fill in: its letter too, as for every other problem.
            self._column_name(col) if col is not None else label,
            "",
            f"Tragen Sie in dieser Zeile „{label}“ ein oder löschen Sie die Zeile.",
        )

    def _years(
        self, index: int, cells: list[Any], problems: list[Problem]
    ) -> dict[int, Any]:
        amounts: dict[int, Any] = {}
        for col, year in self.years.items():
            raw = self._cell(index, col, cells, problems)
            if raw is None:
                continue
            try:
                amounts[year] = parse_money(raw)
            except ValueProblem as exc:
                problems.append(self._problem(index, col, raw, exc.reason, exc.hint))
        return amounts

    def _column_name(self, col: int) -> str:
        if col in self.names:
            return self.names[col]
        label = self.header.labels.get(col, "")
        letter = column_letter(col)
        return f"{letter} ({label})" if label else letter

    def _problem(
        self, index: int, col: int, raw: Any, reason: str, hint: str
    ) -> Problem:
        return Problem(
            reason,
            self.result.file,
            self.result.sheet,
            index + 1,
            self._column_name(col),
            clean_text(raw)[:100],
            hint,
        )

    def _not_data(
        self, index: int, cells: list[Any], cells_filled: dict[int, Any]
    ) -> str:
        """Name why a row is not data (sum, footnote, heading), or return ''."""
        seen = 0
        formula = False
        for col, cell in cells_filled.items():  # the first three texts
            if isinstance(cell, str):
                # SUM_START is a cheap superset of SUM_RE: most texts fail at once.
                if SUM_START.match(cell) and _is_sum_label(
                    clean_text(cell),
                    (c for i, c in cells_filled.items() if i != col),
                ):
                    return "Summenzeile"
                # A CSV keeps formulas as text; an xlsx has them in its XML.
                formula = formula or (cell[:1] == "=" and is_vertical_sum(cell))
                seen += 1
                if seen == 3:
                    break
        if formula or index in self.sum_rows:
            return "Summenzeile (Formel)"
        if len(cells_filled) > 2:
            return ""
        return self._short_row(index, cells, list(cells_filled.items()))

    def _short_row(
        self, index: int, cells: list[Any], filled: list[tuple[int, Any]]
    ) -> str:
        """Footnotes and headings: rows of one or two filled cells."""
        if FOOTNOTE_RE.match(clean_text(filled[0][1])) and not self._has_required(
            cells
        ):
            return "Fußnote oder Anmerkung"
        if len(filled) == 1:
            col = filled[0][0]
            span = self.wide_merges.get(index)
            if span and span[0] <= col <= span[1]:
                return "Zwischenüberschrift"
            if col not in self.mapped:
                return "Text außerhalb der erkannten Spalten"
        return ""

    def _has_required(self, cells: list[Any]) -> bool:
        for col, column in self.plan:
            if (
                column.field in self.required
                and col < len(cells)
                and not is_blank(cells[col])
            ):
                return not FOOTNOTE_RE.match(clean_text(cells[col]))
        return False
