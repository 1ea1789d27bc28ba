"""Read a booking list of the finance system (Buchungsliste / Sachkontenauszug).

The Kämmerei exports what was booked: CSV (cp1252, ``;``) or XLSX with title rows
above the header. A sheet is a booking list when its header names a Buchungsdatum,
a Sachkonto, an amount (signed ``Betrag``, ``Betrag`` with an ``S/H`` mark, or
``Soll`` and ``Haben`` columns) and at least one code column (Kostenstelle,
Kostenträger, Auftrag, Haushaltsstelle, PSP-Element). Each row becomes a
``Booking`` or a ``BookingProblem`` naming file, row and column in German; sum rows
and blank rows are skipped. Nothing here touches the database: matching bookings
to awards is ``portfolio.services.import_bookings``.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from imports.readers import (
    DEFAULT_MAX_BYTES,
    decode_text,
    first_lines,
    load_sheet,
    open_workbook,
    sniff_delimiter,
)
from imports.values import ValueProblem, parse_date, parse_money
from portfolio.domain.bookings import (
    ACCOUNT_LENGTH,
    AMOUNT_LIMIT,
    CODE_LENGTH,
    REFERENCE_LENGTH,
    Booking,
    BookingFile,
    BookingProblem,
)
from portfolio.domain.money import format_money
from portfolio.services.collector import collector_paused

HEADER_ROWS = 30
CENT = Decimal("0.01")
# Header words, folded (lower case, umlauts spelled out, only letters and digits).
DATE = ("buchungsdatum", "buchdatum", "buchungstag", "datum", "belegdatum")
REFERENCE = ("belegnummer", "belegnr", "beleg", "belegno", "buchungsbeleg")
ACCOUNT = ("sachkonto", "sachkontonr", "konto", "kontonr", "kontonummer")
CODES = (
    "kostentraeger", "kostenstelle", "auftrag", "innenauftrag", "haushaltsstelle",
    "pspelement", "psp", "kst", "ktr", "kostentraegerauftrag",
)  # fmt: skip
BROAD = ("kostenstelle", "kst", "haushaltsstelle")
TEXT = ("buchungstext", "text", "verwendungszweck", "bezeichnung", "beschreibung")
AMOUNT = ("betrag", "betrageur", "betragineur", "betrageuro", "buchungsbetrag")
DEBIT = ("soll", "sollbetrag", "betragsoll")
CREDIT = ("haben", "habenbetrag", "betraghaben")
SIDE = ("sollhaben", "sh", "shkennzeichen", "sollhabenkennzeichen")
SUM_WORDS = re.compile(r"\b(summe|gesamt|übertrag|saldo|endsumme)\b", re.IGNORECASE)
GERMAN_AMOUNT = re.compile(r"([+-]?)(\d{1,3}(?:\.\d{3})*|\d+)(?:,(\d{1,2}))?(-?)")
_AMOUNT = GERMAN_AMOUNT.fullmatch
PLAIN_DIGITS = 15  # digits and dots of a plain amount (Decimal's 28 digits are far)
PLAIN = 1e15  # a plain number as an amount, far from Decimal's limits
MONEY_HINT = "als Zahl wie 1.234,56 oder -1.234,56 schreiben"
FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(raw: object) -> str:
    """A header cell as a word: "Kostenträger/Auftrag" → kostentraegerauftrag."""
    text = str(raw).casefold().translate(FOLD)
    return re.sub(r"[^a-z0-9]", "", text.replace("€", "eur"))


@dataclass(frozen=True, slots=True)
class Layout:
    """Which column holds what (0-based indexes) and its header as written."""

    date: int
    reference: int | None
    account: int
    codes: tuple[int, ...]
    text: int | None
    amount: int | None
    debit: int | None
    credit: int | None
    side: int | None
    labels: tuple[str, ...]
    named: tuple[str, ...] = ()  # each column's header and letter, made once

    def label(self, index: int | None) -> str:
        """The column as the user sees it: its header and letter."""
        if index is None:
            return "?"
        return self.named[index]


def _letter(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _first(words: list[str], wanted: tuple[str, ...]) -> int | None:
    for alias in wanted:  # in order of preference (Buchungsdatum before Datum)
        if alias in words:
            return words.index(alias)
    return None


def find_layout(row: list[Any]) -> Layout | None:
    """The layout if this row is the header of a booking list."""
    words = [fold(cell) if cell is not None else "" for cell in row]
    day, account = _first(words, DATE), _first(words, ACCOUNT)
    amount = _first(words, AMOUNT)
    debit, credit = _first(words, DEBIT), _first(words, CREDIT)
    # Most specific first (Auftrag, Kostenträger before Kostenstelle): a booking
    # on no award is counted under its most specific code.
    codes = tuple(
        sorted(
            (i for i, w in enumerate(words) if w in CODES),
            key=lambda i: (words[i] in BROAD, i),
        )
    )
    if day is None or account is None or not codes:
        return None
    if amount is None and (debit is None or credit is None):
        return None
    labels = tuple(str(c).strip() if c is not None else "" for c in row)
    return Layout(
        date=day,
        reference=_first(words, REFERENCE),
        account=account,
        codes=codes,
        text=_first(words, TEXT),
        amount=amount,
        debit=debit if amount is None else None,
        credit=credit if amount is None else None,
        side=_first(words, SIDE) if amount is not None else None,
        labels=labels,
        named=tuple(f"{label} ({_letter(i)})" for i, label in enumerate(labels)),
    )


def looks_like_bookings(path: Path) -> bool:
    """Whether a file might be a booking list, from a cheap look at its start.

    Used by ``portfolio import`` to route the file before the ordinary reading;
    a file that passes is then read fully and must have a booking header.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                part = "xl/sharedStrings.xml"
                data = archive.open(part).read(262144) if part in names else b""
                if not data:
                    sheet = "xl/worksheets/sheet1.xml"
                    data = archive.open(sheet).read(262144) if sheet in names else b""
        except (zipfile.BadZipFile, OSError, KeyError):
            return False
        words = data.decode("utf-8", "replace").casefold()
        return "sachkonto" in words and ("beleg" in words or "buchung" in words)
    text = decode_text(head)
    delimiter = sniff_delimiter(text)
    for line in first_lines(text, HEADER_ROWS):
        if find_layout(line.split(delimiter)) is not None:
            return True
    return False


def read_bookings(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> BookingFile | None:
    """Read the first sheet of a file that is a booking list; None if none is.

    Hidden columns and formulas do not matter here (a sum row is told by its
    words), so the xlsx sheets are not scanned for them.
    """
    with collector_paused():  # 100 000 rows and bookings, none in a cycle
        return _read_first(path, max_bytes)


def _read_first(path: Path, max_bytes: int) -> BookingFile | None:
    workbook = open_workbook(path, max_bytes, sheet_facts=False)
    try:
        for sheet in workbook.sheets:
            if not sheet.visible or sheet.kind_note:
                continue
            if workbook.format != "csv":
                load_sheet(workbook, sheet)
            rows = sheet.iter_rows()
            head: list[tuple[int, list[Any]]] = []
            for index, cells in rows:
                head.append((index, cells))
                layout = find_layout(cells)
                if layout is not None:
                    result = BookingFile(
                        path.name,
                        sheet.name,
                        workbook.sha256,
                        index + 1,
                        [layout.labels[i] for i in layout.codes],
                    )
                    _read_rows(result, layout, rows, workbook.date1904)
                    return result
                if len(head) >= HEADER_ROWS:
                    break
        return None
    finally:
        workbook.close()


def _read_rows(result: BookingFile, layout: Layout, rows: Any, date1904: bool) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    width = max(
        i
        for i in (layout.date, layout.account, *layout.codes, layout.amount or 0,
                  layout.debit or 0, layout.credit or 0, layout.side or 0,
                  layout.reference or 0, layout.text or 0)
    ) + 1  # fmt: skip
    quick = _quick_reader(layout)
    days: dict[str, date] = {}  # date cells as written that read well before
    bookings = result.bookings
    for index, row in rows:
        cells = row if len(row) >= width else [*row, *([""] * (width - len(row)))]
        number = index + 1
        booking = quick(number, cells, days)
        if booking is None:
            try:
                booking = _booking(number, cells, layout, date1904)
            except _Skip:
                result.skipped += 1
                continue
            except _Bad as bad:
                result.problems.append(BookingProblem(number, bad.column, bad.message))
                continue
            raw_day = cells[layout.date]
            if type(raw_day) is str:
                days[raw_day] = booking.day
        amount = booking.amount
        if (
            not -AMOUNT_LIMIT < amount < AMOUNT_LIMIT
            or len(booking.reference) > REFERENCE_LENGTH
            or len(booking.account) > ACCOUNT_LENGTH
            or any(len(code) > CODE_LENGTH for code in booking.codes)
        ):
            result.problems.append(_oversized(booking, layout))
            continue
        identity = (
            booking.reference, booking.day, booking.account, booking.codes,
            # Hashing a new Decimal costs five times its text. Every amount
            # not zero has two places, so equal texts are equal amounts.
            str(amount) if amount else "0",
        )  # fmt: skip
        occurrence = seen.get(identity, 0) + 1
        seen[identity] = occurrence
        if occurrence > 1:
            booking.occurrence = occurrence
        bookings.append(booking)


def _oversized(booking: Booking, layout: Layout) -> BookingProblem:
    """The first value of a row that is longer or larger than its column takes."""
    texts = (
        (layout.reference, "Die Belegnummer", booking.reference, REFERENCE_LENGTH),
        (layout.account, "Das Sachkonto", booking.account, ACCOUNT_LENGTH),
        *(
            (index, "Der Eintrag", code, CODE_LENGTH)
            for index, code in zip(layout.codes, booking.codes, strict=True)
        ),
    )
    for index, what, text, limit in texts:
        if len(text) > limit:
            return BookingProblem(
                booking.row,
                layout.label(index),
                f"{what} ist zu lang ({len(text)} statt höchstens {limit} Zeichen) "
                "– so lange Einträge speichert portfolio nicht; bitte die Spalte "
                "im Export prüfen.",
            )
    column = layout.amount if layout.amount is not None else layout.debit
    return BookingProblem(
        booking.row,
        layout.label(column),
        f"Der Betrag {format_money(booking.amount)} ist zu groß (portfolio "
        "speichert Beträge unter 1 Billion €) – ein Tippfehler? Bitte die Zeile "
        "im Export prüfen.",
    )


Quick = Callable[[int, list[Any], dict[str, date]], Booking | None]


def _quick_reader(layout: Layout) -> Quick:
    """Read a row of the usual shape in one go; None sends it to ``_booking``.

    A booking list is mostly rows of one shape: a date as the file wrote it on
    an earlier good row (or a real date), text cells and a plain amount. Such a
    row is read here with what ``_booking`` would make of it; anything else
    (a blank, a sum row, a missing value, an odd amount, a Soll/Haben column)
    returns None and ``_booking`` reads it, with its skip rules and messages.
    """
    day_at, account_at, reference_at = layout.date, layout.account, layout.reference
    text_at, amount_at, codes_at = layout.text, layout.amount, layout.codes
    if reference_at is None or amount_at is None or layout.side is not None:
        return _never

    def quick(number: int, cells: list[Any], days: dict[str, date]) -> Booking | None:
        raw_day = cells[day_at]
        kind = type(raw_day)
        if kind is str:
            day = days.get(raw_day)
            if day is None:
                return None
        elif kind is date:
            day = raw_day
        else:
            return None
        try:  # text cells as _text reads them: stripped
            account = cells[account_at].strip()
            reference = cells[reference_at].strip()
            text = cells[text_at].strip() if text_at is not None else ""
            codes = tuple([cells[i].strip() for i in codes_at])
        except AttributeError:  # a number or an empty cell of a workbook
            account = _text(cells[account_at])
            reference = _text(cells[reference_at])
            text = _text(cells[text_at]) if text_at is not None else ""
            codes = tuple([_text(cells[i]) for i in codes_at])
        if not account or not reference:
            return None
        amount = _plain_amount(cells[amount_at])
        if amount is None:
            return None
        return Booking(number, day, reference, account, codes, text, amount)

    return quick


def _never(number: int, cells: list[Any], days: dict[str, date]) -> Booking | None:
    """The quick reader of layouts it does not cover: every row to ``_booking``."""
    del number, cells, days
    return None


def _plain_amount(cell: Any) -> Decimal | None:
    """A number or a plain German amount as ``_money`` reads it; None otherwise."""
    kind = type(cell)
    if kind is float or kind is int:
        return Decimal(repr(cell)).quantize(CENT) if -PLAIN < cell < PLAIN else None
    if kind is not str:
        return None
    text = cell.strip()
    if text[-3:-2] == "," and text.isascii():  # 1234,56: no pattern needed
        whole, cents = text[:-3], text[-2:]
        if whole.isdecimal() and cents.isdecimal() and len(whole) <= PLAIN_DIGITS:
            return Decimal(f"{whole}.{cents}")
    match = _AMOUNT(text)
    if match is None:
        return None
    sign, whole, cents, trailing = match.groups()
    if len(whole) > PLAIN_DIGITS:  # a huge amount: _money says what it makes of it
        return None
    whole = whole.replace(".", "")
    if cents is not None and len(cents) == 2:  # two places already: as quantized
        value = Decimal(f"{whole}.{cents}")
    else:
        value = Decimal(f"{whole}.{cents or '0'}").quantize(CENT)
    return -value if sign == "-" or trailing == "-" else value


class _Skip(Exception):
    """A blank row or a sum row."""


class _Bad(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _booking(number: int, cells: list[Any], layout: Layout, date1904: bool) -> Booking:
    raw_day = cells[layout.date]
    day_text = _text(raw_day)
    if not day_text:
        if not any(_text(c) for c in cells) or any(
            SUM_WORDS.search(_text(c)) for c in cells
        ):
            raise _Skip
        raise _Bad(
            layout.label(layout.date),
            "Das Buchungsdatum fehlt – bitte die Zeile mit Datum exportieren.",
        )
    try:
        day = raw_day if type(raw_day) is date else _day(raw_day, date1904)
    except ValueProblem:
        if SUM_WORDS.search(day_text):
            raise _Skip from None
        raise _Bad(
            layout.label(layout.date),
            f"{day_text!r} ist kein Datum – als TT.MM.JJJJ schreiben.",
        ) from None
    account = _text(cells[layout.account])
    if not account:
        raise _Bad(layout.label(layout.account), "Das Sachkonto fehlt.")
    reference = _text(cells[layout.reference]) if layout.reference is not None else ""
    if not reference:
        raise _Bad(
            layout.label(layout.reference)
            if layout.reference is not None
            else "Belegnummer",
            "Die Belegnummer fehlt – ohne sie ist die Buchung beim nächsten Import "
            "nicht wiederzuerkennen; bitte mit Belegnummer exportieren.",
        )
    codes = tuple(_text(cells[i]) for i in layout.codes)
    text = _text(cells[layout.text]) if layout.text is not None else ""
    return Booking(number, day, reference, account, codes, text, _amount(cells, layout))


_DAYS: dict[str, date] = {}  # a booking list repeats its few hundred dates


def _day(raw: Any, date1904: bool) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if type(raw) is str:
        known = _DAYS.get(raw)
        if known is None:
            known = parse_date(raw, date1904)
            if len(_DAYS) < 100_000:
                _DAYS[raw] = known
        return known
    return parse_date(raw, date1904)


def _amount(cells: list[Any], layout: Layout) -> Decimal:
    if layout.amount is not None:
        column = layout.label(layout.amount)
        value = _money(cells[layout.amount], column)
        if value is None:
            raise _Bad(column, f"Der Betrag fehlt – {MONEY_HINT}.")
        if layout.side is None:
            return value
        side = fold(cells[layout.side] or "")
        side_column = layout.label(layout.side)
        if value < 0:
            raise _Bad(
                column,
                "Negativer Betrag und ein Soll/Haben-Kennzeichen zugleich – das "
                "Vorzeichen ist unklar; bitte entweder mit Vorzeichen oder mit "
                "Soll/Haben exportieren.",
            )
        if side in ("s", "soll"):
            return value
        if side in ("h", "haben"):
            return -value
        raise _Bad(
            side_column,
            f"{_text(cells[layout.side])!r} ist kein Soll/Haben-Kennzeichen "
            "(erwartet S oder H).",
        )
    assert layout.debit is not None and layout.credit is not None
    debit_column, credit_column = (
        layout.label(layout.debit),
        layout.label(layout.credit),
    )
    debit = _money(cells[layout.debit], debit_column)
    credit = _money(cells[layout.credit], credit_column)
    for value, column in ((debit, debit_column), (credit, credit_column)):
        if value is not None and value < 0:
            raise _Bad(
                column,
                "In Soll und Haben stehen Beträge ohne Vorzeichen – die Spalte sagt "
                "die Richtung; bitte den Export prüfen.",
            )
    if debit and credit:
        raise _Bad(
            f"{debit_column}/{credit_column}",
            "Soll und Haben zugleich in einer Zeile – bitte je Buchung nur eine "
            "Seite füllen.",
        )
    if debit is None and credit is None:
        raise _Bad(
            f"{debit_column}/{credit_column}", f"Der Betrag fehlt – {MONEY_HINT}."
        )
    return (debit or Decimal(0)) - (credit or Decimal(0))


def _money(cell: Any, column: str) -> Decimal | None:
    """An amount as written by finance systems; None for an empty cell."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        try:
            value = Decimal(repr(cell)).quantize(CENT)
        except InvalidOperation:  # more digits than a Decimal holds, or infinite
            value = Decimal("NaN")
        if not value.is_finite():
            raise _Bad(column, f"{repr(cell)!r} ist kein Betrag – {MONEY_HINT}.")
        return value
    text = str(cell).strip().replace("€", "").replace("EUR", "").strip()
    if not text:
        return None
    match = GERMAN_AMOUNT.fullmatch(text)
    if match:
        sign, whole, cents, trailing = match.groups()
        try:
            value = Decimal(f"{whole.replace('.', '')}.{cents or '0'}").quantize(CENT)
        except InvalidOperation:  # more digits than a Decimal holds
            raise _Bad(column, f"{text!r} ist kein Betrag – {MONEY_HINT}.") from None
        return -value if "-" in (sign, trailing) else value
    try:
        return parse_money(text)
    except ValueProblem:
        raise _Bad(column, f"{text!r} ist kein Betrag – {MONEY_HINT}.") from None


def describe(result: BookingFile) -> str:
    """A short German account of what was read (for tests and debugging)."""
    return (
        f"{result.file} (Blatt {result.sheet}, Kopfzeile {result.header_row}): "
        f"{len(result.bookings)} Buchungen, {len(result.problems)} fehlerhaft, "
        f"{result.skipped} übersprungen"
    )


__all__ = [
    "Booking",
    "BookingFile",
    "BookingProblem",
    "describe",
    "find_layout",
    "looks_like_bookings",
    "read_bookings",
]
