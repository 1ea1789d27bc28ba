"""Bookings of the finance system as read from a file, and the Sachkonto mapping.

A booking list is read by ``imports.bookings`` into these records; the service
``portfolio.services.import_bookings`` matches them to awards by their code, never
by guessing. ``category_for`` maps a Sachkonto to a plan position by the longest
prefix named (the award's own entries win over the office-wide default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# What the stored columns of a booking (``Expense``) take: a longer value or a
# larger amount is a rejected row, not a database error (PostgreSQL enforces the
# lengths; SQLite would store it and the next PostgreSQL restore fail). The
# Buchungstext is cut to its length instead (``import_bookings``).
REFERENCE_LENGTH = 60
ACCOUNT_LENGTH = 40
CODE_LENGTH = 60
TEXT_LENGTH = 300
AMOUNT_LIMIT = Decimal(10) ** 12  # Numeric(14, 2): below 1 Billion in either sign


@dataclass(slots=True)
class Booking:
    """One booking line, read: where it was, and its values.

    Not frozen: a frozen dataclass sets each field through ``object.__setattr__``,
    five times the cost of a plain one, and a booking list has 100 000 of them.
    """

    row: int
    day: date
    reference: str
    account: str
    codes: tuple[str, ...]
    text: str
    amount: Decimal
    occurrence: int = 1


@dataclass(frozen=True, slots=True)
class BookingProblem:
    """A row that cannot be read, with a German reason naming the column."""

    row: int
    column: str
    message: str

    def line(self, file: str) -> str:
        """One German line: file, row, column, what is wrong and what to do."""
        return f"{file}, Zeile {self.row}, Spalte {self.column}: {self.message}"


@dataclass(slots=True)
class BookingFile:
    """A booking list read from one file."""

    file: str
    sheet: str
    sha256: str
    header_row: int
    code_columns: list[str]
    bookings: list[Booking] = field(default_factory=list)
    problems: list[BookingProblem] = field(default_factory=list)
    skipped: int = 0


def category_for(account: str, *mappings: Mapping[str, object]) -> str | None:
    """The plan position of a Sachkonto: longest matching prefix, first mapping wins."""
    for mapping in mappings:
        best: tuple[int, str] | None = None
        for prefix, category in mapping.items():
            fits = account.startswith(prefix) and isinstance(category, str)
            if fits and (best is None or len(prefix) > best[0]):
                best = (len(prefix), str(category))
        if best is not None:
            return best[1]
    return None


def parse_categories(text: str) -> dict[str, str]:
    """The office-wide default: "5011=Personal; 52=Sachausgaben" as a mapping."""
    mapping: dict[str, str] = {}
    for part in text.replace("\n", ";").split(";"):
        if "=" not in part:
            continue
        prefix, _, category = part.partition("=")
        if prefix.strip() and category.strip():
            mapping[prefix.strip()] = category.strip()
    return mapping
