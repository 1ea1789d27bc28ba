"""Value parsers for what people type into office spreadsheets (DESIGN §6).

Each parser takes a raw cell (a string, a number, a date from the reader) and returns a
typed value or raises ``ValueProblem`` with a German reason and a hint on what to type
instead. Dates: ``01.11.2016``, ``1.11.16``, ``11/2016``, ``Nov. 2016``, ``November
2016``, ISO, Excel serial numbers in the 1900 and 1904 systems. Periods: ``11/2016 –
4/2018``, ``seit 02/2010``, ``ab 1. August 2016``, ``2013 ff.``; each end keeps the
precision it was written with (``01.03.2017 – 2018``), and a year alone (``2017``, as
text or number) is that whole year. Money: ``1.234.567,89 €``, ``1,2 Mio. €``, ``120
TEUR``, ``50.000,-``. Words (status, done marks, funders) live in ``imports.words``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from portfolio.domain.enums import (
    Precision,
)
from portfolio.domain.errors import InvalidValue
from portfolio.domain.money import CENT, to_money
from portfolio.domain.periods import Period, month_end

Raw = object

EXCEL_1900 = date(1899, 12, 30)
EXCEL_1904 = date(1904, 1, 1)
MIN_YEAR, MAX_YEAR = 1950, 2100
SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u200b]+")


class ValueProblem(ValueError):
    """A cell value that cannot be read, with a hint on what to write instead."""

    def __init__(self, reason: str, hint: str = "") -> None:
        """Keep reason and hint (German)."""
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


def clean_text(raw: Raw) -> str:
    """Trim a cell to text; fold inner whitespace and non-breaking spaces."""
    if raw is None:
        return ""
    if type(raw) is str:
        text = raw.strip()
        if "  " not in text and text.isprintable():  # fast path: already clean
            return text
        return SPACES.sub(" ", text).strip()
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return SPACES.sub(" ", str(raw)).strip()


def is_blank(raw: Raw) -> bool:
    """Whether a cell holds nothing a person would see."""
    if raw is None:
        return True
    if not isinstance(raw, str):
        return False
    # Only a zero-width space is blank without being whitespace to str.isspace.
    return not raw or raw.isspace() or ("\u200b" in raw and not SPACES.sub("", raw))


# --- dates -----------------------------------------------------------------

MONTHS = {
    "januar": 1,
    "jan": 1,
    "jänner": 1,
    "january": 1,
    "februar": 2,
    "feb": 2,
    "february": 2,
    "märz": 3,
    "maerz": 3,
    "mär": 3,
    "mrz": 3,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mai": 5,
    "may": 5,
    "juni": 6,
    "jun": 6,
    "june": 6,
    "juli": 7,
    "jul": 7,
    "july": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "dezember": 12,
    "dez": 12,
    "december": 12,
    "dec": 12,
}

DAY_RE = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}|\d{2})")
ISO_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t][\d:.]+)?")
MONTH_NUM_RE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})")
DAY_NAME_RE = re.compile(r"(\d{1,2})\.?\s*([a-zäöü]+)\.?\s*(\d{4}|\d{2})")
MONTH_NAME_RE = re.compile(r"([a-zäöü]+)\.?\s*(\d{4}|\d{2})")
YEAR_RE = re.compile(r"(\d{4})")
DATE_HINT = "Schreiben Sie das Datum als TT.MM.JJJJ, z. B. 01.11.2016."


@dataclass(frozen=True, slots=True)
class DatePoint:
    """A date as written: its first and last day and the precision it was known to."""

    first: date
    last: date
    precision: Precision


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueProblem(f"Das Jahr {year} ist unplausibel.", DATE_HINT)
    return year


def _day(year: int, month: int, day: int) -> DatePoint:
    try:
        value = date(year, month, day)
    except ValueError:
        raise ValueProblem("Diesen Tag gibt es nicht.", DATE_HINT) from None
    return DatePoint(value, value, Precision.DAY)


def _month(year: int, month: int) -> DatePoint:
    if not 1 <= month <= 12:
        raise ValueProblem("Diesen Monat gibt es nicht.", DATE_HINT)
    return DatePoint(date(year, month, 1), month_end(year, month), Precision.MONTH)


def serial_to_date(serial: float, date1904: bool = False) -> date:
    """Turn an Excel serial day number into a date (1900 or 1904 system)."""
    base = EXCEL_1904 if date1904 else EXCEL_1900
    try:
        value = base + timedelta(days=int(serial))
    except OverflowError:
        raise ValueProblem("Die Zahl ist kein Datum.", DATE_HINT) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueProblem("Die Zahl ist kein plausibles Datum.", DATE_HINT)
    return value


def parse_point(raw: Raw, date1904: bool = False) -> DatePoint:
    """Read one date at the precision it was written (day, month or year)."""
    if isinstance(raw, DatePoint):  # already read (a start or end column)
        return raw
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        if not MIN_YEAR <= raw.year <= MAX_YEAR:
            raise ValueProblem(f"Das Jahr {raw.year} ist unplausibel.", DATE_HINT)
        return DatePoint(raw, raw, Precision.DAY)
    if isinstance(raw, bool):
        raise ValueProblem("Hier wird ein Datum erwartet.", DATE_HINT)
    if isinstance(raw, int | float):
        if float(raw).is_integer() and MIN_YEAR <= raw <= MAX_YEAR:
            year = int(raw)
            return DatePoint(date(year, 1, 1), date(year, 12, 31), Precision.YEAR)
        day = serial_to_date(float(raw), date1904)
        return DatePoint(day, day, Precision.DAY)
    return _parse_point_text(clean_text(raw).lower().rstrip(".").strip())


def _parse_point_text(text: str) -> DatePoint:  # noqa: PLR0911 - one per form
    if not text:
        raise ValueProblem("Das Datum fehlt.", DATE_HINT)
    if m := DAY_RE.fullmatch(text):
        return _day(_year(m[3]), int(m[2]), int(m[1]))
    if m := ISO_RE.fullmatch(text):
        return _day(_year(m[1]), int(m[2]), int(m[3]))
    if m := MONTH_NUM_RE.fullmatch(text):
        return _month(_year(m[2]), int(m[1]))
    if (m := DAY_NAME_RE.fullmatch(text)) and m[2] in MONTHS:
        return _day(_year(m[3]), MONTHS[m[2]], int(m[1]))
    if (m := MONTH_NAME_RE.fullmatch(text)) and m[1] in MONTHS:
        return _month(_year(m[2]), MONTHS[m[1]])
    if m := YEAR_RE.fullmatch(text):
        year = _year(m[1])
        return DatePoint(date(year, 1, 1), date(year, 12, 31), Precision.YEAR)
    if re.fullmatch(r"\d+(?:[.,]\d+)?", text):
        return parse_point(float(text.replace(",", ".")))
    raise ValueProblem("Das ist kein Datum.", DATE_HINT)


def parse_date(raw: Raw, date1904: bool = False) -> date:
    """Read a date to the day (a month or year alone means its first day)."""
    return parse_point(raw, date1904).first


def parse_due(raw: Raw, date1904: bool = False) -> date:
    """Read a due date; "11/2016" or "2016" mean the last day of that month or year."""
    if isinstance(raw, str):
        raw = _strip_words(clean_text(raw), DUE_WORDS)
    point = parse_point(raw, date1904)
    return point.last


def parse_start(raw: Raw, date1904: bool = False) -> DatePoint:
    """Read a start date ("Beginn", "Laufzeit von") at the precision it was written."""
    if isinstance(raw, str):
        raw = _strip_words(clean_text(raw), START_WORDS)
    return parse_point(raw, date1904)


def parse_end(raw: Raw, date1904: bool = False) -> DatePoint:
    """Read an end date ("Ende", "Laufzeit bis") at the precision it was written."""
    if isinstance(raw, str):
        raw = _strip_words(clean_text(raw), DUE_WORDS)
    return parse_point(raw, date1904)


DUE_WORDS = ("bis zum", "bis", "spätestens", "am", "zum")
START_WORDS = ("ab dem", "ab", "seit", "vom", "von", "am")
OPEN_START = ("seit", "ab", "since", "from", "start", "beginn")
OPEN_END = ("ff.", "ff", "fortlaufend", "laufend", "unbefristet", "offen", "dauerhaft")
RANGE_RE = re.compile(r"\s*(?:[–—]|\s-\s|\bbis\b|\bto\b)\s*")
PERIOD_HINT = (
    "Schreiben Sie den Zeitraum z. B. als 11/2016 – 04/2018 oder seit 02/2010."
)


def _strip_words(text: str, words: tuple[str, ...]) -> str:
    lowered = text.lower()
    for word in words:
        if lowered.startswith(word + " "):
            return text[len(word) + 1 :].strip()
    return text


def parse_period(raw: Raw, date1904: bool = False) -> Period:
    """Read a period: a range, an open start ("seit 02/2010") or a single point."""
    if not isinstance(raw, str):
        # As for text: a year alone (2017) is that whole year, a date an open start.
        point = parse_point(raw, date1904)
        return _period(point, point if point.precision is Precision.YEAR else None)
    text = clean_text(raw)
    lowered = text.lower()
    open_end = False
    for word in OPEN_END:
        if lowered.endswith(" " + word) or lowered == word:
            text, open_end = text[: -len(word)].strip(), True
            break
    stripped = _strip_words(text, OPEN_START)
    open_end = open_end or stripped != text
    parts = [p for p in RANGE_RE.split(stripped) if p]
    if len(parts) == 1 and "-" in stripped and not ISO_RE.fullmatch(stripped):
        parts = _split_hyphen(stripped)
    if not parts:
        raise ValueProblem("Der Zeitraum fehlt.", PERIOD_HINT)
    if lowered.startswith("bis ") or len(parts) > 2:
        raise ValueProblem("Der Zeitraum ist nicht lesbar.", PERIOD_HINT)
    start = parse_point(parts[0])
    if len(parts) == 1:
        end = None if open_end or start.precision is not Precision.YEAR else start
    else:
        end = parse_point(parts[1])
    return _period(start, end)


def _split_hyphen(text: str) -> list[str]:
    """Split "2013-2015" or "11/2016-4/2018" at the hyphen that separates two dates."""
    for index, char in enumerate(text):
        if char == "-":
            left, right = text[:index].strip(), text[index + 1 :].strip()
            try:
                parse_point(left)
                parse_point(right)
            except ValueProblem:
                continue
            return [left, right]
    return [text]


def _period(start: DatePoint, end: DatePoint | None) -> Period:
    """Join two points; each end keeps the precision it was written with.

    "01.03.2017 – 2018" starts on 01.03.2017 (to the day) and ends on 31.12.2018
    (to the year): widening the start to 01.01.2017 would invent two months.
    """
    last = end.last if end is not None else None
    end_precision = (
        end.precision if end is not None and end.precision != start.precision else None
    )
    try:
        return Period(start.first, last, start.precision, end_precision)
    except InvalidValue as exc:
        raise ValueProblem(exc.message, "Prüfen Sie Beginn und Ende.") from None


# --- money -----------------------------------------------------------------

MONEY_HINT = "Schreiben Sie den Betrag z. B. als 1.234,56 oder 120 TEUR."
MULTIPLIERS = (
    (re.compile(r"\b(mio|millionen|million|mill)\b\.?"), Decimal(1_000_000)),
    (re.compile(r"\b(mrd|milliarden)\b\.?"), Decimal(1_000_000_000)),
    (
        re.compile(r"(\bteur\b|\bt€|\btsd\b\.?|\btausend\b|\bk€|\bkeur\b)"),
        Decimal(1000),
    ),
)
CURRENCY_RE = re.compile(r"€|\beur\b|\beuro\b|\bca\b\.?|\brd\b\.?|~")
NUMBER_RE = re.compile(r"[+-]?\d[\d.,' ]*")


def parse_money(raw: Raw) -> Decimal:
    """Read an amount of money as a two-place Decimal."""
    if type(raw) is float and math.isfinite(raw):  # hot: a workbook's numbers
        return Decimal(repr(raw)).quantize(CENT, rounding=ROUND_HALF_UP)
    if isinstance(raw, bool):
        raise ValueProblem("Hier wird ein Betrag erwartet.", MONEY_HINT)
    if isinstance(raw, int):
        return to_money(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueProblem("Das ist kein Betrag.", MONEY_HINT)
        return to_money(Decimal(repr(raw)))
    text = clean_text(raw).lower()
    if not text:
        raise ValueProblem("Der Betrag fehlt.", MONEY_HINT)
    factor = Decimal(1)
    for pattern, value in MULTIPLIERS:
        if pattern.search(text):
            text, factor = pattern.sub(" ", text), value
            break
    text = CURRENCY_RE.sub(" ", text)
    text = re.sub(r"[,.]-+\s*$", "", text.strip()).strip()
    if not NUMBER_RE.fullmatch(text):
        raise ValueProblem("Das ist kein Betrag.", MONEY_HINT)
    return to_money(_decimal(text.replace(" ", "").replace("'", "")) * factor)


def _decimal(text: str) -> Decimal:
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        decimal_mark = "." if re.fullmatch(r"[+-]?\d{1,3}(,\d{3}){2,}", text) else ","
    elif re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+", text):
        decimal_mark = ","
    else:
        decimal_mark = "."
    thousands = "." if decimal_mark == "," else ","
    text = text.replace(thousands, "").replace(decimal_mark, ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueProblem("Das ist kein Betrag.", MONEY_HINT) from None
