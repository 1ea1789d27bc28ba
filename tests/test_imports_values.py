"""What people type in office sheets reads as the right dates, money and words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from imports.headers import match_column, normalize, year_of_header
from imports.values import (
    ValueProblem,
    parse_date,
    parse_due,
    parse_money,
    parse_period,
)
from imports.words import (
    parse_done,
    parse_funder_kinds,
    parse_funders,
    parse_status,
    split_abbreviation,
)
from portfolio.domain.enums import (
    FunderKind,
    ObligationStatus,
    Precision,
    ProgrammeStatus,
)
from portfolio.domain.records import SheetKind


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01.11.2016", date(2016, 11, 1)),
        ("1.11.16", date(2016, 11, 1)),
        ("2016-11-01", date(2016, 11, 1)),
        ("1. November 2016", date(2016, 11, 1)),
        ("11/2016", date(2016, 11, 1)),
        ("Nov. 2016", date(2016, 11, 1)),
        ("November 2016", date(2016, 11, 1)),
        (42675, date(2016, 11, 1)),
        (42675.0, date(2016, 11, 1)),
        (date(2016, 11, 1), date(2016, 11, 1)),
    ],
)
def test_dates_as_written(raw: object, expected: date) -> None:
    assert parse_date(raw) == expected


def test_excel_serials_in_both_date_systems() -> None:
    assert parse_date(42675) == date(2016, 11, 1)
    assert parse_date(41213, date1904=True) == date(2016, 11, 1)


def test_a_due_month_means_its_last_day() -> None:
    assert parse_due("11/2017") == date(2017, 11, 30)
    assert parse_due("bis 30.04.2017") == date(2017, 4, 30)


@pytest.mark.parametrize(
    ("raw", "start", "end", "precision"),
    [
        ("11/2016 – 4/2018", date(2016, 11, 1), date(2018, 4, 30), Precision.MONTH),
        ("01.08.2016-31.07.2018", date(2016, 8, 1), date(2018, 7, 31), Precision.DAY),
        ("seit 02/2010", date(2010, 2, 1), None, Precision.MONTH),
        ("ab 1. August 2016", date(2016, 8, 1), None, Precision.DAY),
        ("2013 ff.", date(2013, 1, 1), None, Precision.YEAR),
        ("2013 - 2015", date(2013, 1, 1), date(2015, 12, 31), Precision.YEAR),
        (
            "Nov. 2016 bis Okt. 2018",
            date(2016, 11, 1),
            date(2018, 10, 31),
            Precision.MONTH,
        ),
    ],
)
def test_periods_as_written(
    raw: str, start: date, end: date | None, precision: Precision
) -> None:
    period = parse_period(raw)
    assert (period.start, period.end, period.precision) == (start, end, precision)


@pytest.mark.parametrize(
    "raw", ["31.02.2017", "nächste Woche", "bis 2018", "2018 – 2016"]
)
def test_unreadable_dates_say_why_and_what_to_write(raw: str) -> None:
    with pytest.raises(ValueProblem) as info:
        parse_period(raw)
    assert info.value.reason
    assert info.value.hint


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.234.567,89 €", "1234567.89"),
        ("1,2 Mio. €", "1200000.00"),
        ("120 TEUR", "120000.00"),
        ("120 T€", "120000.00"),
        ("50.000,-", "50000.00"),
        ("12.500", "12500.00"),
        ("12,5", "12.50"),
        ("EUR 3.000", "3000.00"),
        (1234.5, "1234.50"),
        (80000, "80000.00"),
    ],
)
def test_money_as_written(raw: object, expected: str) -> None:
    assert parse_money(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["viel Geld", "", float("nan"), True])
def test_not_money(raw: object) -> None:
    with pytest.raises(ValueProblem):
        parse_money(raw)


def test_two_funders_typed_by_kind_column_or_known_names() -> None:
    kinds = parse_funder_kinds("Land / Stiftung")
    funders = parse_funders("MAIS NRW / RAG-Stiftung", kinds)
    assert [(f.name, f.kind) for f in funders] == [
        ("MAIS NRW", FunderKind.LAND),
        ("RAG-Stiftung", FunderKind.STIFTUNG),
    ]
    known = parse_funders("BMBF, ESF u. Kreis Recklinghausen")
    assert [f.kind for f in known] == [
        FunderKind.BUND,
        FunderKind.EU,
        FunderKind.KOMMUNE,
    ]


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("läuft", ProgrammeStatus.RUNNING),
        ("Abgeschlossen", ProgrammeStatus.ENDED),
        ("beantragt", ProgrammeStatus.APPLYING),
        ("bewilligt", ProgrammeStatus.RUNNING),
        ("abgelehnt", ProgrammeStatus.REJECTED),
    ],
)
def test_status_words(raw: str, status: ProgrammeStatus) -> None:
    assert parse_status(raw).programme is status


def test_done_marks() -> None:
    assert parse_done("x") == (ObligationStatus.DONE, None)
    assert parse_done("ja") == (ObligationStatus.DONE, None)
    assert parse_done("erledigt am 3.4.2017") == (
        ObligationStatus.DONE,
        date(2017, 4, 3),
    )
    assert parse_done("nein") == (ObligationStatus.OPEN, None)


def test_abbreviation_in_brackets_is_the_short_name() -> None:
    assert split_abbreviation("Kein Abschluss ohne Anschluss (KAoA)") == (
        "Kein Abschluss ohne Anschluss",
        "KAoA",
    )
    assert split_abbreviation("Zukunftsstadt (2)") == ("Zukunftsstadt (2)", None)


@pytest.mark.parametrize(
    ("header", "folded"),
    [
        ("Fördersumme (€)", "foerdersumme"),
        ("Ansprechpartner/in", "ansprechpartner"),
        ("Laufzeit\n(von – bis)", "laufzeit"),
        ("  FÄLLIG\u00a0AM ", "faellig am"),
        ("Was?", "was"),
    ],
)
def test_header_words_fold(header: str, folded: str) -> None:
    assert normalize(header) == folded


def test_year_headers_of_a_budget_plan() -> None:
    assert year_of_header(2016) == 2016
    assert year_of_header("HJ 2017") == 2017
    assert year_of_header("Summe") is None


@pytest.mark.parametrize(
    ("raw", "written", "precisions"),
    [
        ("01.03.2017 – 2018", "01.03.2017 – 2018", (Precision.DAY, Precision.YEAR)),
        ("11/2016 – 2018", "11/2016 – 2018", (Precision.MONTH, Precision.YEAR)),
        ("2015 – 30.04.2018", "2015 – 30.04.2018", (Precision.YEAR, Precision.DAY)),
        ("2017", "2017 – 2017", (Precision.YEAR, None)),
        (2017, "2017 – 2017", (Precision.YEAR, None)),
        (2017.0, "2017 – 2017", (Precision.YEAR, None)),
    ],
)
def test_each_end_of_a_period_keeps_its_precision(
    raw: str | int, written: str, precisions: tuple[Precision, Precision | None]
) -> None:
    period = parse_period(raw)
    assert str(period) == written
    assert (period.precision, period.end_precision) == precisions


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Laufzeit von", "start"),
        ("Laufzeit bis", "end"),
        ("Förderzeitraum\nvon", "start"),
        ("Zeitraum (bis)", "end"),
        ("Beginn der Laufzeit", "start"),
        ("Ende der Laufzeit", "end"),
        ("Laufzeit von – bis", "period"),
        ("Laufzeit", "period"),
        ("Fördersumme (€)", "amount"),
    ],
)
def test_period_headers_with_von_or_bis_name_start_or_end(
    header: str, field: str
) -> None:
    column = match_column(header, SheetKind.PROGRAMMES)
    assert column is not None and column.field == field
