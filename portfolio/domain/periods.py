"""Periods as offices write them: to the day, the month or the year, maybe open-ended.

A period known only to the month ("11/2016") is stored as the first day of its first
month and the last day of its last month, plus a precision, so that it can be written
back exactly as the office wrote it: "11/2016 – 04/2018", "seit 02/2010",
"01.08.2016 – 31.07.2018", "2013 – 2015".
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from portfolio.domain.enums import Precision
from portfolio.domain.errors import InvalidValue

DASH = " – "


def month_end(year: int, month: int) -> date:
    """Return the last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """Shift a date by whole months, clamping to the month end (§ 188 Abs. 3 BGB)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True, slots=True)
class Period:
    """A stretch of time with a known precision; ``end`` is None when open-ended."""

    start: date
    end: date | None = None
    precision: Precision = Precision.DAY
    # The end may be known more or less exactly than the start ("2015 – 30.04.2018").
    end_precision: Precision | None = None

    def __post_init__(self) -> None:
        """Refuse a period that ends before it starts."""
        if self.end is not None and self.end < self.start:
            raise InvalidValue(
                f"Das Ende ({format_date(self.end, self.precision)}) liegt vor dem "
                f"Beginn ({format_date(self.start, self.precision)})."
            )

    @classmethod
    def of_months(
        cls, start: tuple[int, int], end: tuple[int, int] | None = None
    ) -> Period:
        """Build a month-precise period from (year, month) pairs."""
        first = date(start[0], start[1], 1)
        last = month_end(*end) if end else None
        return cls(first, last, Precision.MONTH)

    @classmethod
    def of_years(cls, start: int, end: int | None = None) -> Period:
        """Build a year-precise period."""
        return cls(
            date(start, 1, 1), date(end, 12, 31) if end else None, Precision.YEAR
        )

    @property
    def is_open(self) -> bool:
        """Whether the period has no known end ("seit 02/2010")."""
        return self.end is None

    def contains(self, day: date) -> bool:
        """Whether a day falls inside the period."""
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, first: date, last: date) -> bool:
        """Whether the period shares at least one day with [first, last]."""
        return self.start <= last and (self.end is None or self.end >= first)

    def years(self, until: date | None = None) -> list[int]:
        """The calendar years the period touches (open periods up to ``until``)."""
        last = self.end or until or self.start
        return list(range(self.start.year, max(last.year, self.start.year) + 1))

    def __str__(self) -> str:
        """Write the period the way an office does."""
        return format_period(self)


def format_date(day: date, precision: Precision = Precision.DAY) -> str:
    """Write one date at a precision: 01.11.2016, 11/2016 or 2016."""
    if precision is Precision.MONTH:
        return f"{day.month:02d}/{day.year}"
    if precision is Precision.YEAR:
        return str(day.year)
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def format_period(period: Period) -> str:
    """Write a period: "11/2016 – 04/2018", "seit 02/2010", "01.08.2016 – …"."""
    start = format_date(period.start, period.precision)
    if period.end is None:
        return f"seit {start}"
    end_precision = period.end_precision or period.precision
    return f"{start}{DASH}{format_date(period.end, end_precision)}"
